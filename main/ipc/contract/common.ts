// The contract's shared shapes: ids and times, the error every channel may answer with, and the
// enums more than one domain uses (a target's state and outcome). Imports only zod, like every
// module of main/ipc/contract/ (the renderer bundles them through main/ipc/contract.ts).
import { z } from 'zod';

/** What the UI shows instead of a stack trace (docs/ARCHITECTURE.md §7). */
export const IpcErrorSchema = z.object({
  class: z.string(),
  code: z.string().nullable(),
  message: z.string(),
  advice: z.string(),
});
export type IpcError = z.infer<typeof IpcErrorSchema>;

export const Id = z.number().int().positive();

/** The most computers, targets or ids one request names: an enterprise's whole list (50 000). */
export const MAX_BATCH = 50_000;
export const IsoTime = z.string();

export const TargetStateSchema = z.enum([
  'queued',
  'probing',
  'connecting',
  'authenticating',
  'copying',
  /** The SMB transport: the package is being copied to ADMIN$ (progress in percent). */
  'copying-package',
  'starting',
  'waiting-for-agent',
  'downloading',
  'installing',
  'cleaning-up',
  /** Queued, but its credential is gone (not remembered across a restart, deleted, or hash-only where a password is needed): it waits until Set Credentials… rebinds it. */
  'waiting-for-credentials',
  'done',
]);
export type TargetState = z.infer<typeof TargetStateSchema>;

export const OutcomeSchema = z.enum([
  'succeeded',
  'succeeded-reboot-required',
  'failed',
  'cancelled',
  'interrupted',
]);

export const FilePath = z.string().trim().min(1).max(4096);

export const NoRequest = z.object({}).strict();

/** What each domain's `…Channels` object satisfies: a channel is its request and its result. */
export type ChannelSpecs = Record<string, { request: z.ZodType; result: z.ZodType }>;
