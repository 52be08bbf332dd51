// A console connected to a Push Install Server (main/serverMode/server.ts): File → Connect to Server… signs in
// to the server as one of its accounts, pins its certificate by SHA-256 fingerprint the way SSH
// pins a host key (known_hosts), and from then on every other channel is answered by the server.
// server.* are the console's own and never reach a server (a server refuses them); audit.* read
// the audit trail a server keeps, for its administrators — a console not connected to one refuses
// them (class needs-server).
import { z } from 'zod';
import { IpcErrorSchema, IsoTime, NoRequest, type ChannelSpecs } from './common.js';

export const RoleSchema = z.enum(['administrator', 'operator', 'viewer']);
export type ServerRole = z.infer<typeof RoleSchema>;

/** SHA-256 of the server's certificate: 64 hex digits, with or without colons or spaces between pairs. */
export const FingerprintSchema = z
  .string()
  .trim()
  .max(128)
  .refine((v) => /^[0-9a-f]{64}$/i.test(v.replace(/[:\s]/g, '')), 'not a SHA-256 fingerprint (64 hexadecimal digits)');

/** https://host[:port] of a Push Install Server (what it printed at start, PUSHSERVER_URL). */
export const ServerUrlSchema = z.string().trim().min(1).max(512).regex(/^https:\/\/[^\s/?#]+\/?$/i, 'must be https://host:port');

/** Who this console is on which server. */
export const ServerAccountSchema = z.object({
  url: z.string(),
  user: z.string(),
  role: RoleSchema,
  fingerprint: z.string(),
});
export type ServerAccount = z.infer<typeof ServerAccountSchema>;

export const ServerStateSchema = z.enum(['local', 'connected', 'reconnecting', 'failed']);
export type ServerState = z.infer<typeof ServerStateSchema>;

/** Where the console's data comes from now, and why not the server when it should. */
export const ServerStatusSchema = z.object({
  state: ServerStateSchema,
  url: z.string().nullable(),
  user: z.string().nullable(),
  role: RoleSchema.nullable(),
  fingerprint: z.string().nullable(),
  /** Why the last attempt failed ('reconnecting', 'failed'); null otherwise. */
  lastError: IpcErrorSchema.nullable(),
  /** While reconnecting: the attempts so far and when the next one is (ISO time). */
  attempts: z.number().int().nonnegative(),
  nextAttemptAt: IsoTime.nullable(),
});
export type ServerStatus = z.infer<typeof ServerStatusSchema>;

export const serverChannels = {
  /**
   * Two steps on a first contact: without a fingerprint and with none pinned for the address, only
   * the TLS handshake is made (nothing is sent, the password neither) and the certificate's
   * fingerprint comes back to be confirmed (`needsConfirmation`); the same call with that
   * fingerprint signs in and pins it. An address already pinned signs in at once, and a
   * certificate other than the pinned one is refused (server-certificate-changed).
   */
  'server.connect': {
    request: z
      .object({
        url: ServerUrlSchema,
        user: z.string().trim().min(1).max(64),
        password: z.string().min(1).max(256),
        fingerprint: FingerprintSchema.optional(),
      })
      .strict(),
    result: z.discriminatedUnion('needsConfirmation', [
      z.object({ needsConfirmation: z.literal(true), url: z.string(), fingerprint: z.string() }),
      z.object({ needsConfirmation: z.literal(false), url: z.string(), user: z.string(), role: RoleSchema, fingerprint: z.string(), firstContact: z.boolean() }),
    ]),
  },
  /** Back to this console's own store and engine (which ran on meanwhile). */
  'server.disconnect': { request: NoRequest, result: ServerStatusSchema },
  'server.status': { request: NoRequest, result: ServerStatusSchema },
} as const satisfies ChannelSpecs;

export const AuditRowSchema = z.object({
  id: z.number().int(),
  at: IsoTime,
  user: z.string(),
  address: z.string().nullable(),
  action: z.string(),
  ids: z.array(z.number()),
  /** JSON text, never a secret; null when none. */
  detail: z.string().nullable(),
});
export type AuditRow = z.infer<typeof AuditRowSchema>;

/** The most rows one audit.list page holds (main/serverMode/audit.ts MAX_AUDIT_PAGE). */
export const MAX_AUDIT_PAGE = 1000;

const AuditFilterFields = {
  /** At or after this moment (ISO 8601). */
  from: z.string().datetime({ offset: true }).optional(),
  /** Before this moment (ISO 8601). */
  to: z.string().datetime({ offset: true }).optional(),
  /** The account's name, whatever its case. */
  user: z.string().trim().max(64).optional(),
  /** Exactly this action (a channel's name, logon, logon-failed…). */
  action: z.string().trim().max(64).optional(),
  /** Found in the user, address, action, ids or detail. */
  text: z.string().trim().max(200).optional(),
};

export const AuditFilterSchema = z.object(AuditFilterFields).strict();
export type AuditFilter = z.infer<typeof AuditFilterSchema>;

export const auditChannels = {
  /** One page of the audit trail, newest first, and how many rows match in all. */
  'audit.list': {
    request: z
      .object({ ...AuditFilterFields, limit: z.number().int().min(1).max(MAX_AUDIT_PAGE), offset: z.number().int().nonnegative().max(10_000_000).optional() })
      .strict(),
    result: z.object({ rows: z.array(AuditRowSchema), total: z.number().int().nonnegative() }),
  },
  /** Every matching row as CSV (RFC 4180, formulas neutralised), as history.exportCsv answers. */
  'audit.exportCsv': {
    request: AuditFilterSchema,
    result: z.object({ fileName: z.string(), text: z.string(), rows: z.number().int().nonnegative(), truncated: z.boolean() }),
  },
} as const satisfies ChannelSpecs;
