// The one IPC contract (issue #2): every channel the renderer may invoke (name → request →
// result) and every event the main process pushes. Main, preload, the browser bridge and the
// renderer all import this file; nothing restates it. It imports only zod, so it runs in
// Node, in the sandboxed preload bundle and in the renderer bundle alike.
//
// Schemas are `.strict()` on the way in (unknown keys are an error, not silently dropped) and
// plain on the way out (main parses every result, so a field not declared here — a secret,
// say — is stripped before it can reach the renderer).
import { z } from 'zod';

// ---- shared shapes ---------------------------------------------------------------------

/** What the UI shows instead of a stack trace (DESIGN.md §3, STYLE.md habit 6). */
export const IpcErrorSchema = z.object({
  class: z.string(),
  code: z.string().nullable(),
  message: z.string(),
  advice: z.string(),
});
export type IpcError = z.infer<typeof IpcErrorSchema>;

const Id = z.number().int().positive();
const IsoTime = z.string();

export const TargetStateSchema = z.enum([
  'queued',
  'probing',
  'connecting',
  'authenticating',
  'copying',
  'starting',
  'waiting-for-agent',
  'downloading',
  'installing',
  'cleaning-up',
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
});
export type Computer = z.infer<typeof ComputerSchema>;

export const PackageSchema = z.object({
  id: Id,
  name: z.string(),
  msiFileName: z.string(),
  msiSize: z.number().int().nonnegative(),
  msiSha256: z.string(),
  productName: z.string().nullable(),
  productVersion: z.string().nullable(),
  manufacturer: z.string().nullable(),
  productCode: z.string().nullable(),
  configFileName: z.string().nullable(),
  parameters: z.string(),
  createdAt: IsoTime,
});
export type Package = z.infer<typeof PackageSchema>;

export const TaskStatusSchema = z.enum(['pending', 'running', 'finished', 'cancelled']);

export const TaskSummarySchema = z.object({
  id: Id,
  name: z.string(),
  packageName: z.string().nullable(),
  scheduledAt: IsoTime.nullable(),
  createdAt: IsoTime,
  status: TaskStatusSchema,
  startedAt: IsoTime.nullable(),
  finishedAt: IsoTime.nullable(),
  targets: z.number().int().nonnegative(),
  succeeded: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
});
export type TaskSummary = z.infer<typeof TaskSummarySchema>;

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

/** A stored credential: who, never the password. */
export const CredentialSchema = z.object({
  id: Id,
  label: z.string(),
  user: z.string(),
  domain: z.string(),
  /** false: the secret is gone (not remembered across a restart); set it again before pushing. */
  available: z.boolean(),
});
export type Credential = z.infer<typeof CredentialSchema>;

/** One computer's administrator-rights check (the wizard's Test button, Diagnostics). */
export const CredentialCheckSchema = z.object({
  computerId: Id,
  ok: z.boolean(),
  logon: z.boolean().nullable(),
  adminShareWritable: z.boolean().nullable(),
  scmAccess: z.boolean().nullable(),
  error: IpcErrorSchema.nullable(),
});
export type CredentialCheck = z.infer<typeof CredentialCheckSchema>;

/** Remote Install settings (DESIGN.md §1.5): each field's rule, without defaults. */
const settingsShape = {
  maxConcurrentPushes: z.number().int().min(1).max(200),
  connectTimeoutSeconds: z.number().int().min(1).max(60),
  agentCallbackTimeoutSeconds: z.number().int().min(10).max(3600),
  installTimeoutMinutes: z.number().int().min(1).max(720),
  packageServerPort: z.number().int().min(1).max(65535),
  callbackAddress: z.string().max(253),
  retryCount: z.number().int().min(0).max(20),
  retryIntervalMinutes: z.number().int().min(1).max(1440),
  logRetentionDays: z.number().int().min(1).max(3650),
  encryptWhenSupported: z.boolean(),
};
export const SettingsSchema = z.object(settingsShape);
export type Settings = z.infer<typeof SettingsSchema>;

/** What a console that was never configured uses; both shells agree because both read this. */
export const defaultSettings: Readonly<Settings> = Object.freeze({
  maxConcurrentPushes: 20,
  connectTimeoutSeconds: 5,
  agentCallbackTimeoutSeconds: 120,
  installTimeoutMinutes: 60,
  packageServerPort: 2224,
  callbackAddress: '',
  retryCount: 0,
  retryIntervalMinutes: 15,
  logRetentionDays: 90,
  encryptWhenSupported: true,
});

/** A change to some settings: only the keys sent, each by its rule (no defaults filled in). */
export const SettingsChangesSchema = SettingsSchema.partial().strict();

export const AppInfoSchema = z.object({
  productName: z.string(),
  version: z.string(),
  shell: z.enum(['electron', 'browser']),
  dataDir: z.string(),
  databaseSchemaVersion: z.number().int(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

// ---- channels --------------------------------------------------------------------------

const NoRequest = z.object({}).strict();

/** A computer is added by NetBIOS/DNS name or IPv4/IPv6 address; main checks the syntax. */
const ComputerEntry = z.string().trim().min(1).max(253);

export const channels = {
  'app.info': { request: NoRequest, result: AppInfoSchema },
  'computers.list': { request: NoRequest, result: z.array(ComputerSchema) },
  'computers.add': {
    request: z
      .object({
        entries: z.array(ComputerEntry).min(1).max(10_000),
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
    request: z.object({ ids: z.array(Id).min(1).max(10_000) }).strict(),
    result: z.object({ removed: z.number().int().nonnegative() }),
  },
  'packages.list': { request: NoRequest, result: z.array(PackageSchema) },
  'tasks.list': { request: NoRequest, result: z.array(TaskSummarySchema) },
  'tasks.targets': {
    request: z.object({ taskId: Id }).strict(),
    result: z.array(TaskTargetSchema),
  },
  'targets.log': {
    request: z.object({ targetId: Id }).strict(),
    result: z.array(StepLogEntrySchema),
  },
  'credentials.list': { request: NoRequest, result: z.array(CredentialSchema) },
  'credentials.set': {
    request: z
      .object({
        label: z.string().trim().max(128).optional(),
        /** DOMAIN\\user, user@domain or a local user. */
        user: z.string().trim().min(1).max(256),
        password: z.string().max(256),
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
  'tasks.create': {
    request: z
      .object({
        name: z.string().trim().min(1).max(128),
        packageId: Id,
        /** null = now. */
        scheduledAt: IsoTime.nullable(),
        runAs: z.enum(['admin', 'system']),
        targets: z.array(z.object({ computerId: Id, credentialId: Id }).strict()).min(1).max(10_000),
      })
      .strict(),
    result: z.object({ taskId: Id }),
  },
  'tasks.cancel': { request: z.object({ taskId: Id }).strict(), result: z.object({ ok: z.boolean() }) },
  'tasks.retryFailed': { request: z.object({ taskId: Id }).strict(), result: z.object({ taskId: Id.nullable() }) },
  'tasks.redeploy': { request: z.object({ taskId: Id }).strict(), result: z.object({ taskId: Id.nullable() }) },
  'targets.cancel': { request: z.object({ targetId: Id }).strict(), result: z.object({ ok: z.boolean() }) },
  'targets.removeLeftovers': { request: z.object({ targetId: Id }).strict(), result: z.object({ remaining: z.string().nullable() }) },
  'targets.msiLog': { request: z.object({ targetId: Id }).strict(), result: z.object({ log: z.string().nullable() }) },
  'settings.get': { request: NoRequest, result: SettingsSchema },
  'settings.update': {
    request: SettingsChangesSchema,
    result: SettingsSchema,
  },
} as const satisfies Record<string, { request: z.ZodType; result: z.ZodType }>;

// ---- events pushed by main -------------------------------------------------------------

export const MenuCommandSchema = z.enum([
  'tab.computers',
  'tab.history',
  'tab.packages',
  'tab.configuration',
  'properties',
]);
export type MenuCommand = z.infer<typeof MenuCommandSchema>;

export const events = {
  /** A target moved on: state, copy/download percentage. */
  'task.progress': z.object({
    taskId: Id,
    targetId: Id,
    state: TargetStateSchema,
    outcome: OutcomeSchema.nullable(),
    progress: z.number().min(0).max(100).nullable(),
  }),
  /** A line for the console's activity log (and, with a target, its step log). */
  'log.line': z.object({
    at: IsoTime,
    level: z.enum(['info', 'warning', 'error']),
    message: z.string(),
    taskId: Id.optional(),
    targetId: Id.optional(),
  }),
  /** The application menu (Electron) asks the renderer to act: switch tab, open Properties. */
  'menu.command': z.object({ command: MenuCommandSchema }),
} as const satisfies Record<string, z.ZodType>;

// ---- derived types: the only place the API's shape is spelled ----------------------------

export type Channels = typeof channels;
export type ChannelName = keyof Channels;
export type RequestOf<C extends ChannelName> = z.input<Channels[C]['request']>;
export type ParsedRequestOf<C extends ChannelName> = z.output<Channels[C]['request']>;
export type ResultOf<C extends ChannelName> = z.output<Channels[C]['result']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayloadOf<E extends EventName> = z.output<Events[E]>;

export const channelNames = Object.keys(channels) as ChannelName[];
export const eventNames = Object.keys(events) as EventName[];

export function isChannelName(value: unknown): value is ChannelName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(channels, value);
}

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(events, value);
}

/** What every invocation returns across a process boundary (Electron drops thrown errors' fields). */
export type Envelope<T> = { ok: true; result: T } | { ok: false; error: IpcError };

/** Electron channel names are prefixed so nothing else on ipcMain collides with the contract. */
export const IPC_INVOKE_PREFIX = 'pic:invoke:';
export const IPC_EVENT_PREFIX = 'pic:event:';

/** The window API, derived from the contract (renderer/global.d.ts declares window.pushConsole). */
export interface PushConsoleApi {
  invoke<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResultOf<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayloadOf<E>) => void): () => void;
}
