// One computer's push within a task (a target): its row in History, its step log and MSI log,
// cancelling it, and what pushes left on computers (the Leftovers window).
import { z } from 'zod';
import { Id, IsoTime, NoRequest, OutcomeSchema, TargetStateSchema, type ChannelSpecs } from './common.js';

/** A target's restart (main/engine/restartFollower.ts). */
export const RestartStateSchema = z.enum(['not-needed', 'left-to-msiexec', 'scheduled', 'restarting', 'restarted', 'not-back', 'not-restarted', 'refused', 'cancelled']);
export type RestartState = z.infer<typeof RestartStateSchema>;

export const TaskTargetSchema = z.object({
  id: Id,
  taskId: Id,
  computerName: z.string(),
  state: TargetStateSchema,
  outcome: OutcomeSchema.nullable(),
  errorClass: z.string().nullable(),
  errorCode: z.string().nullable(),
  progress: z.number().min(0).max(100).nullable(),
  startedAt: IsoTime.nullable(),
  finishedAt: IsoTime.nullable(),
  /** What the admin reads: the failure in a sentence, and what to do about it. */
  errorMessage: z.string().nullable(),
  advice: z.string().nullable(),
  /** The agent's result code (100000 + the msiexec code when msiexec failed). */
  exitCode: z.number().int().nullable(),
  rebootRequired: z.boolean(),
  /** What cleanup could not remove (service, files), for "Remove leftovers". */
  leftovers: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  /** 1 = next to start; null when not queued. */
  queuePosition: z.number().int().positive().nullable(),
  /** The credential the target uses (null when it was deleted): compare with credentials.list's `available`. */
  credentialId: Id.nullable(),
  /** Which transport carried the package and the result: callback (TCP 2224) or smb; null before the agent ran. */
  transport: z.enum(['callback', 'smb']).nullable(),
  /** Which mechanism logged on to the computer in the last attempt: kerberos or ntlm; null before a logon. */
  authMechanism: z.enum(['kerberos', 'ntlm']).nullable(),
  /** What became of the restart the task's reboot policy asked for; null without a policy or before msiexec ran. */
  restart: RestartStateSchema.nullable(),
  /** The latest moment the computer restarts (as its agent scheduled it). */
  restartAt: IsoTime.nullable(),
  /** What the console saw: "back online after 3 min", "not back 30 min after the restart", a refusal. */
  restartDetail: z.string().nullable(),
});
export type TaskTarget = z.infer<typeof TaskTargetSchema>;

export const StepLogEntrySchema = z.object({
  id: Id,
  targetId: Id,
  at: IsoTime,
  step: z.string(),
  detail: z.string(),
  code: z.string().nullable(),
});
export type StepLogEntry = z.infer<typeof StepLogEntrySchema>;

/** What a push left on one computer, for the Leftovers window. */
export const LeftoverSchema = z.object({
  targetId: Id,
  taskId: Id,
  taskName: z.string(),
  computerId: Id.nullable(),
  computerName: z.string(),
  /** Each thing left: `service PushInstallAgent-…`, `ADMIN$\\PushInstall\\…`. */
  items: z.array(z.string()),
  /** When the push that left them ended (or was interrupted). */
  since: IsoTime.nullable(),
  /** Whether the target's credential is held now (false: Set Credentials… first). */
  credentialAvailable: z.boolean(),
});
export type Leftover = z.infer<typeof LeftoverSchema>;

export const targetsChannels = {
  'targets.log': {
    request: z.object({ targetId: Id }).strict(),
    result: z.array(StepLogEntrySchema),
  },
  /** Cancels a pending restart: the agent's service is stopped (it calls AbortSystemShutdownW), then removed. */
  'targets.cancelRestart': { request: z.object({ targetId: Id }).strict(), result: z.object({ ok: z.boolean() }) },
  'targets.cancel': { request: z.object({ targetId: Id }).strict(), result: z.object({ ok: z.boolean() }) },
  /** Everything pushes left on computers, with the target that left it. */
  'leftovers.list': { request: NoRequest, result: z.array(LeftoverSchema) },
  'targets.removeLeftovers': { request: z.object({ targetId: Id }).strict(), result: z.object({ remaining: z.string().nullable() }) },
  'targets.msiLog': { request: z.object({ targetId: Id }).strict(), result: z.object({ log: z.string().nullable() }) },
} as const satisfies ChannelSpecs;
