// The Computers tab's channels: the list, adding (typed, pasted, from a file), groups, Get Info,
// Diagnostics and Remove Leftovers on whole computers.
import { z } from 'zod';
import { Id, IpcErrorSchema, FilePath, IsoTime, MAX_BATCH, type ChannelSpecs } from './common.js';

export const ComputerSchema = z.object({
  id: Id,
  name: z.string(),
  address: z.string().nullable(),
  /** SMB port when not 445 (simulated lab hosts without root). */
  port: z.number().int().min(1).max(65535).nullable(),
  domain: z.string().nullable(),
  os: z.string().nullable(),
  groupName: z.string().nullable(),
  lastResult: z.string().nullable(),
  createdAt: IsoTime,
  /** The site the computer belongs to (main/store/sitesRepo.ts); null: the default site. */
  siteId: Id.nullable(),
  siteName: z.string().nullable(),
  /** Put in its site by hand (Set Site…): the rules do not move it. */
  sitePinned: z.boolean(),
});
export type Computer = z.infer<typeof ComputerSchema>;

/** What a paste, a range, a CIDR block or a file would add to Computers, before anything is added. */
export const ComputerImportPreviewSchema = z.object({
  entries: z.array(z.object({ line: z.number().int(), name: z.string(), address: z.string().nullable(), port: z.number().int().min(1).max(65535).nullable() })),
  duplicates: z.array(z.object({ line: z.number().int(), entry: z.string(), existing: z.boolean() })),
  invalid: z.array(z.object({ line: z.number().int(), entry: z.string(), reason: z.string() })),
  lines: z.number().int().nonnegative(),
});
export type ComputerImportPreview = z.infer<typeof ComputerImportPreviewSchema>;

/** Get Info: what a computer tells without credentials. */
export const HostInfoResultSchema = z.object({
  computerId: Id,
  ok: z.boolean(),
  serverName: z.string().nullable(),
  domain: z.string().nullable(),
  dnsName: z.string().nullable(),
  osVersion: z.string().nullable(),
  dialect: z.string().nullable(),
  signingRequired: z.boolean().nullable(),
  cipher: z.string().nullable(),
  error: IpcErrorSchema.nullable(),
});
export type HostInfoResult = z.infer<typeof HostInfoResultSchema>;

/** Diagnostics: the pre-flight checks of docs/WINDOWS-TARGETS.md §9, one row per check. */
export const DiagnosticsResultSchema = z.object({
  computerId: Id,
  ok: z.boolean(),
  checks: z.array(z.object({ check: z.string(), ok: z.boolean().nullable(), detail: z.string() })),
  errors: z.array(IpcErrorSchema.extend({ step: z.string() })),
});
export type DiagnosticsResult = z.infer<typeof DiagnosticsResultSchema>;

/** A paste's text: 50 000 lines of up to ~160 characters. */
export const MAX_IMPORT_TEXT = 8_000_000;

/** A computer is added by NetBIOS/DNS name or IPv4/IPv6 address; main checks the syntax. */
const ComputerEntry = z.string().trim().min(1).max(253);

export const computersChannels = {
  /** Without ids every computer; with them only those still listed (the grid refreshes the few whose last result changed). */
  'computers.list': { request: z.object({ ids: z.array(Id).min(1).max(MAX_BATCH).optional() }).strict(), result: z.array(ComputerSchema) },
  'computers.add': {
    request: z
      .object({
        entries: z.array(ComputerEntry).min(1).max(MAX_BATCH),
        groupName: z.string().trim().min(1).max(64).optional(),
      })
      .strict(),
    result: z.object({
      added: z.array(ComputerSchema),
      duplicates: z.array(z.string()),
      invalid: z.array(z.object({ entry: z.string(), reason: z.string() })),
    }),
  },
  'computers.remove': {
    request: z.object({ ids: z.array(Id).min(1).max(MAX_BATCH) }).strict(),
    result: z.object({ removed: z.number().int().nonnegative() }),
  },
  'computers.preview': {
    request: z.object({ text: z.string().max(MAX_IMPORT_TEXT) }).strict(),
    result: ComputerImportPreviewSchema,
  },
  'computers.previewFile': {
    request: z.object({ path: FilePath }).strict(),
    result: ComputerImportPreviewSchema.extend({ fileName: z.string() }),
  },
  'computers.setGroup': {
    request: z.object({ ids: z.array(Id).min(1).max(MAX_BATCH), groupName: z.string().trim().min(1).max(64).nullable() }).strict(),
    result: z.object({ changed: z.number().int().nonnegative() }),
  },
  'computers.getInfo': {
    request: z.object({ ids: z.array(Id).min(1).max(1000) }).strict(),
    result: z.array(HostInfoResultSchema),
  },
  'computers.diagnose': {
    request: z.object({ ids: z.array(Id).min(1).max(200), credentialId: Id }).strict(),
    result: z.array(DiagnosticsResultSchema),
  },
  'computers.removeLeftovers': {
    request: z.object({ ids: z.array(Id).min(1).max(MAX_BATCH) }).strict(),
    result: z.object({
      targets: z.number().int().nonnegative(),
      cleaned: z.number().int().nonnegative(),
      remaining: z.number().int().nonnegative(),
      /** Of the remaining, those whose credentials are gone: Set Credentials… on these computers cleans them. */
      noCredentials: z.number().int().nonnegative(),
    }),
  },
} as const satisfies ChannelSpecs;
