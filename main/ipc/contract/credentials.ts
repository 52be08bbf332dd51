// Credentials: the stored accounts (never their passwords), setting and removing them, the
// wizard's Test, and giving targets a credential again (Set Credentials…).
import { z } from 'zod';
import { Id, IpcErrorSchema, MAX_BATCH, NoRequest, type ChannelSpecs } from './common.js';

/** A LAPS credential's directory and reading account: where each computer's own password is read, never a secret. */
export const LapsDirectorySchema = z.object({
  url: z.string(),
  baseDn: z.string(),
  startTls: z.boolean(),
  allowUntrusted: z.boolean(),
  /** Whether a CA certificate was given (the PEM itself stays in main). */
  ca: z.boolean(),
  /** The account that reads the LAPS passwords (a DN or user@domain). */
  bindDn: z.string(),
});

/** What the LAPS read found for one computer (Test, Diagnostics): the attribute and account, never the password. */
export const LapsFoundSchema = z.object({
  attribute: z.enum(['msLAPS-Password', 'ms-Mcs-AdmPwd']),
  account: z.string(),
  expired: z.boolean(),
  expiresAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
  /** How the computer object was found: by DNS name, by NetBIOS name (as the computer reports it). */
  lookedUp: z.string(),
});
export type LapsFound = z.infer<typeof LapsFoundSchema>;

/** A stored credential: who, never the password. */
export const CredentialSchema = z.object({
  id: Id,
  label: z.string(),
  user: z.string(),
  domain: z.string(),
  /** false: the secret is gone (not remembered across a restart); set it again before pushing. */
  available: z.boolean(),
  /** Where the secret is kept — the OS keychain (survives a restart) or memory only. */
  storage: z.enum(['keychain', 'memory']),
  /** The password (installs as this account possible) or only its NT hash (SYSTEM installs). */
  keeps: z.enum(['password', 'nt-hash']),
  /** A LAPS credential: each computer's own local Administrator password is read from this directory at push time (user is the reading account). */
  laps: LapsDirectorySchema.optional(),
});
export type Credential = z.infer<typeof CredentialSchema>;

/** One computer's administrator-rights check (the wizard's Test button, Diagnostics). */
export const CredentialCheckSchema = z.object({
  computerId: Id,
  ok: z.boolean(),
  logon: z.boolean().nullable(),
  /** Which mechanism logged on (kerberos, ntlm); null or absent when none did. */
  authMechanism: z.enum(['kerberos', 'ntlm']).nullable().optional(),
  adminShareWritable: z.boolean().nullable(),
  scmAccess: z.boolean().nullable(),
  error: IpcErrorSchema.nullable(),
  /** A LAPS credential: which attribute and account the computer's password came from (null: not read). */
  laps: LapsFoundSchema.nullable().optional(),
});
export type CredentialCheck = z.infer<typeof CredentialCheckSchema>;

export const credentialsChannels = {
  'credentials.list': { request: NoRequest, result: z.array(CredentialSchema) },
  'credentials.set': {
    request: z
      .object({
        label: z.string().trim().max(128).optional(),
        /** DOMAIN\\user, user@domain or a local user. */
        user: z.string().trim().min(1).max(256),
        password: z.string().max(256),
        remember: z.boolean(),
        /** 'nt-hash': the password is dropped at once and only its NT hash kept (SYSTEM installs only). */
        keep: z.enum(['password', 'nt-hash']).optional(),
      })
      .strict(),
    result: CredentialSchema,
  },
  /**
   * A LAPS credential: the directory (LDAPS, or LDAP with StartTLS) and the account that reads each
   * computer's own local Administrator password from it when its push starts. The reading
   * account's password is kept as any credential's (keychain when remembered, else memory).
   */
  'credentials.setLaps': {
    request: z
      .object({
        label: z.string().trim().max(128).optional(),
        url: z.string().trim().min(8).max(512),
        baseDn: z.string().trim().min(1).max(1024),
        startTls: z.boolean(),
        allowUntrusted: z.boolean(),
        /** The domain CA's certificate(s), PEM, when Node's own roots do not vouch for the directory. */
        caPem: z.string().max(64 * 1024).optional(),
        bindDn: z.string().trim().min(1).max(1024),
        password: z.string().min(1).max(256),
        remember: z.boolean(),
      })
      .strict(),
    result: CredentialSchema,
  },
  'credentials.remove': { request: z.object({ id: Id }).strict(), result: z.object({ removed: z.boolean() }) },
  'credentials.test': {
    request: z.object({ credentialId: Id, computerIds: z.array(Id).min(1).max(500) }).strict(),
    result: z.array(CredentialCheckSchema),
  },
  /**
   * Gives targets a credential again (one that is gone: not remembered across a restart, deleted,
   * or hash-only where a password is needed). Exactly one scope: the given targets, a task's
   * targets that did not succeed or left something behind, or every target of the given computers
   * whose credential is gone. Waiting targets are queued again; ended ones with leftovers are cleaned.
   */
  'credentials.rebind': {
    request: z
      .object({
        credentialId: Id,
        targetIds: z.array(Id).min(1).max(MAX_BATCH).optional(),
        taskId: Id.optional(),
        computerIds: z.array(Id).min(1).max(MAX_BATCH).optional(),
      })
      .strict()
      .refine((r) => [r.targetIds, r.taskId, r.computerIds].filter((x) => x !== undefined).length === 1, { message: 'exactly one of targetIds, taskId, computerIds' }),
    result: z.object({ rebound: z.number().int().nonnegative(), resumed: z.number().int().nonnegative(), cleaning: z.number().int().nonnegative() }),
  },
} as const satisfies ChannelSpecs;
