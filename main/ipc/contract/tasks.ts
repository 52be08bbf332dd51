// Tasks: the History tab's list, a task's targets, the New Task wizard's create, and cancel,
// retry failed and redeploy on a whole task.
import { z } from 'zod';
import { Id, IsoTime, MAX_BATCH, NoRequest, type ChannelSpecs } from './common.js';
import { TaskTargetSchema } from './targets.js';

/** The most targets one page of tasks.targets holds. */
export const MAX_TARGETS_PAGE = 5_000;

/** What a task does with its package on each computer (msiexec /i, /x, /fvomus). */
export const TaskActionSchema = z.enum(['install', 'uninstall', 'repair']);
export type TaskAction = z.infer<typeof TaskActionSchema>;

/** How agents get the package (agent/README.md "Transports"): callback on TCP 2224, smb through ADMIN$, or auto (callback, then SMB). */
export const TransportSchema = z.enum(['callback', 'smb', 'auto']);
export type Transport = z.infer<typeof TransportSchema>;

/**
 * What happens after an install that needs a restart (msiexec 3010): none (the default), when-idle
 * (restart when no one is logged on, else ask), ask (ask the logged-on user again every
 * graceMinutes, force after forceAfterMinutes), now (restart after graceMinutes' notice). The
 * message is what the user sees.
 */
export const RebootPolicySchema = z
  .object({
    policy: z.enum(['none', 'when-idle', 'ask', 'now']),
    graceMinutes: z.number().int().min(0).max(1440),
    forceAfterMinutes: z.number().int().min(1).max(10_080),
    // The agent refuses C0 and C1 controls and the Unicode line and paragraph separators: so does the console.
    message: z.string().max(512).regex(/^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/, 'no control characters or line breaks'),
  })
  .strict();
export type RebootPolicy = z.infer<typeof RebootPolicySchema>;

/** Who msiexec runs as: the SMB transport always installs as SYSTEM (the account's password never travels in a file). */
export function installsAs(runAs: 'admin' | 'system' | undefined, transport: Transport | undefined): 'admin' | 'system' {
  return transport === 'smb' ? 'system' : (runAs ?? 'admin');
}

export const TaskStatusSchema = z.enum(['pending', 'running', 'finished', 'cancelled']);

export const TaskSummarySchema = z.object({
  id: Id,
  name: z.string(),
  packageName: z.string().nullable(),
  /** install for tasks created before the action existed; restart for a Restart Computers… task. */
  action: z.enum([...TaskActionSchema.options, 'restart']),
  /** callback for tasks created before the option. */
  transport: TransportSchema,
  scheduledAt: IsoTime.nullable(),
  createdAt: IsoTime,
  status: TaskStatusSchema,
  startedAt: IsoTime.nullable(),
  finishedAt: IsoTime.nullable(),
  targets: z.number().int().nonnegative(),
  succeeded: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  /** Targets waiting for credentials (see TargetState 'waiting-for-credentials'). */
  waiting: z.number().int().nonnegative(),
  /** Ended targets whose push left something on the computer (a service, files): the task is kept until they are gone. */
  leftovers: z.number().int().nonnegative(),
});
export type TaskSummary = z.infer<typeof TaskSummarySchema>;

export const tasksChannels = {
  'tasks.list': { request: NoRequest, result: z.array(TaskSummarySchema) },
  'tasks.targets': {
    /** Without offset/limit every target; with them one page in id order (History reads a big task page by page). */
    request: z.object({ taskId: Id, offset: z.number().int().nonnegative().optional(), limit: z.number().int().min(1).max(MAX_TARGETS_PAGE).optional() }).strict(),
    result: z.array(TaskTargetSchema),
  },
  /** Only the given targets of a task (History reloads the ones that just finished). */
  'tasks.targetsById': {
    request: z.object({ taskId: Id, targetIds: z.array(Id).min(1).max(MAX_BATCH) }).strict(),
    result: z.array(TaskTargetSchema),
  },
  'tasks.create': {
    request: z
      .object({
        name: z.string().trim().min(1).max(128),
        packageId: Id,
        /** null = now. */
        scheduledAt: IsoTime.nullable(),
        runAs: z.enum(['admin', 'system']),
        /** Absent = install. */
        action: TaskActionSchema.optional(),
        /** Absent = auto. */
        transport: TransportSchema.optional(),
        /** Absent = no restart. */
        reboot: RebootPolicySchema.optional(),
        targets: z.array(z.object({ computerId: Id, credentialId: Id }).strict()).min(1).max(MAX_BATCH),
      })
      .strict(),
    result: z.object({ taskId: Id }),
  },
  /** Restart computers…: a new task that restarts the given (or all) targets of a task that ended succeeded, reboot required. */
  'tasks.restartComputers': {
    request: z.object({ taskId: Id, targetIds: z.array(Id).min(1).max(MAX_BATCH).optional(), reboot: RebootPolicySchema }).strict(),
    result: z.object({ taskId: Id.nullable() }),
  },
  'tasks.cancel': { request: z.object({ taskId: Id }).strict(), result: z.object({ ok: z.boolean() }) },
  'tasks.retryFailed': { request: z.object({ taskId: Id }).strict(), result: z.object({ taskId: Id.nullable() }) },
  'tasks.redeploy': { request: z.object({ taskId: Id }).strict(), result: z.object({ taskId: Id.nullable() }) },
} as const satisfies ChannelSpecs;
