// The one IPC contract: every channel the renderer may invoke (name → request →
// result) and every event the main process pushes. Main, preload, the browser bridge and the
// renderer all import this file; nothing restates it. It imports only zod, so it runs in
// Node, in the sandboxed preload bundle and in the renderer bundle alike.
//
// Schemas are `.strict()` on the way in (unknown keys are an error, not silently dropped) and
// plain on the way out (main parses every result, so a field not declared here — a secret,
// say — is stripped before it can reach the renderer).
import { z } from 'zod';

// ---- shared shapes ---------------------------------------------------------------------

/** What the UI shows instead of a stack trace (docs/ARCHITECTURE.md §7). */
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
  /** How the package installs by default (a task may choose otherwise). */
  runAs: z.enum(['admin', 'system']).optional(),
  /** The MSI property that names the configuration file, when the XML is applied through one. */
  configProperty: z.string().nullable().optional(),
  /** How many tasks use it (a used package cannot be deleted). */
  usedByTasks: z.number().int().nonnegative().optional(),
});
export type Package = z.infer<typeof PackageSchema>;

/** What a task does with its package on each computer (msiexec /i, /x, /fvomus). */
export const TaskActionSchema = z.enum(['install', 'uninstall', 'repair']);
export type TaskAction = z.infer<typeof TaskActionSchema>;

export const TaskStatusSchema = z.enum(['pending', 'running', 'finished', 'cancelled']);

export const TaskSummarySchema = z.object({
  id: Id,
  name: z.string(),
  packageName: z.string().nullable(),
  /** install for tasks created before the action existed. */
  action: TaskActionSchema,
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
  /** Where the secret is kept — the OS keychain (survives a restart) or memory only. */
  storage: z.enum(['keychain', 'memory']),
  /** The password (installs as this account possible) or only its NT hash (SYSTEM installs). */
  keeps: z.enum(['password', 'nt-hash']),
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

/** Remote Install settings (docs/ARCHITECTURE.md §11): each field's rule, without defaults. */
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
  /** Run the simulated lab of Windows hosts inside the console (the first-run demo). */
  simulatedLab: z.boolean(),
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
  simulatedLab: true,
});

/** A change to some settings: only the keys sent, each by its rule (no defaults filled in). */
export const SettingsChangesSchema = SettingsSchema.partial().strict();

export const AppInfoSchema = z.object({
  productName: z.string(),
  version: z.string(),
  shell: z.enum(['electron', 'browser']),
  dataDir: z.string(),
  databaseSchemaVersion: z.number().int(),
  /** The simulated lab when it runs: its hosts and its (simulated, not secret) administrator account. */
  lab: z
    .object({ hosts: z.number().int(), group: z.string(), user: z.string(), password: z.string(), port: z.number().int() })
    .nullable()
    .optional(),
  /** Where remembered credentials go: the OS keychain, or memory only (and why). */
  credentialStorage: z.object({ storage: z.enum(['keychain', 'memory']), problem: z.string().nullable() }).optional(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;


// ---- shapes of the console's windows -----------------------------------------------------

/** A line the XML parser refused, where it is (1-based). */
export const XmlProblemSchema = z.object({ message: z.string(), line: z.number().int().nullable(), column: z.number().int().nullable() });
export type XmlProblem = z.infer<typeof XmlProblemSchema>;

/** What an .msi says about itself (its Property table). */
export const MsiInfoSchema = z.object({
  productName: z.string().nullable(),
  productVersion: z.string().nullable(),
  manufacturer: z.string().nullable(),
  productCode: z.string().nullable(),
  upgradeCode: z.string().nullable(),
  productLanguage: z.string().nullable(),
  propertyCount: z.number().int().nonnegative(),
});
export type MsiInfo = z.infer<typeof MsiInfoSchema>;

export const PackageInspectionSchema = z.object({
  msiFileName: z.string(),
  msiSize: z.number().int().nonnegative(),
  msi: MsiInfoSchema,
  config: z.object({ fileName: z.string(), size: z.number().int().nonnegative(), problem: XmlProblemSchema.nullable() }).nullable(),
});
export type PackageInspection = z.infer<typeof PackageInspectionSchema>;

/** A folder's entries for the server-side file chooser: names and sizes, never contents. */
export const FolderListingSchema = z.object({
  path: z.string(),
  parent: z.string().nullable(),
  entries: z.array(z.object({ name: z.string(), kind: z.enum(['file', 'folder']), size: z.number().int().nonnegative().nullable() })),
  places: z.array(z.object({ label: z.string(), path: z.string() })),
  truncated: z.boolean(),
});
export type FolderListing = z.infer<typeof FolderListingSchema>;

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

/** A computer found in the directory (Active Directory import). */
export const DirectoryComputerSchema = z.object({
  name: z.string(),
  dnsName: z.string().nullable(),
  os: z.string().nullable(),
  dn: z.string(),
});
export type DirectoryComputer = z.infer<typeof DirectoryComputerSchema>;

const FilePath = z.string().trim().min(1).max(4096);
const ScanId = z.string().regex(/^[a-z0-9-]{1,40}$/);

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
  /** Only the given targets of a task (History reloads the ones that just finished). */
  'tasks.targetsById': {
    request: z.object({ taskId: Id, targetIds: z.array(Id).min(1).max(10_000) }).strict(),
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
        /** 'nt-hash': the password is dropped at once and only its NT hash kept (SYSTEM installs only). */
        keep: z.enum(['password', 'nt-hash']).optional(),
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
        /** Absent = install. */
        action: TaskActionSchema.optional(),
        targets: z.array(z.object({ computerId: Id, credentialId: Id }).strict()).min(1).max(10_000),
      })
      .strict(),
    result: z.object({ taskId: Id }),
  },
  'tasks.cancel': { request: z.object({ taskId: Id }).strict(), result: z.object({ ok: z.boolean() }) },
  'tasks.retryFailed': { request: z.object({ taskId: Id }).strict(), result: z.object({ taskId: Id.nullable() }) },
  'tasks.redeploy': { request: z.object({ taskId: Id }).strict(), result: z.object({ taskId: Id.nullable() }) },
  'targets.cancel': { request: z.object({ targetId: Id }).strict(), result: z.object({ ok: z.boolean() }) },
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
        targetIds: z.array(Id).min(1).max(10_000).optional(),
        taskId: Id.optional(),
        computerIds: z.array(Id).min(1).max(10_000).optional(),
      })
      .strict()
      .refine((r) => [r.targetIds, r.taskId, r.computerIds].filter((x) => x !== undefined).length === 1, { message: 'exactly one of targetIds, taskId, computerIds' }),
    result: z.object({ rebound: z.number().int().nonnegative(), resumed: z.number().int().nonnegative(), cleaning: z.number().int().nonnegative() }),
  },
  /** Everything pushes left on computers, with the target that left it. */
  'leftovers.list': { request: NoRequest, result: z.array(LeftoverSchema) },
  'targets.removeLeftovers': { request: z.object({ targetId: Id }).strict(), result: z.object({ remaining: z.string().nullable() }) },
  'targets.msiLog': { request: z.object({ targetId: Id }).strict(), result: z.object({ log: z.string().nullable() }) },
  // ---- the console's windows ----
  'files.list': {
    request: z.object({ path: FilePath.optional(), extensions: z.array(z.string().regex(/^[a-z0-9]{1,8}$/i)).max(8).optional() }).strict(),
    result: FolderListingSchema,
  },
  /** Electron's open dialog where the shell has one; `supported: false` in the browser shell. */
  'files.chooseNative': {
    request: z.object({ title: z.string().max(128), extensions: z.array(z.string().regex(/^[a-z0-9]{1,8}$/i)).max(8) }).strict(),
    result: z.object({ supported: z.boolean(), path: z.string().nullable() }),
  },
  'packages.inspect': {
    request: z.object({ msiPath: FilePath, configPath: FilePath.optional() }).strict(),
    result: PackageInspectionSchema,
  },
  'packages.create': {
    request: z
      .object({
        name: z.string().trim().min(1).max(128),
        msiPath: FilePath,
        configPath: FilePath.optional(),
        /** The name the XML gets beside the MSI on the target (default cfg.xml). */
        configFileName: z.string().trim().regex(/^[A-Za-z0-9 _.-]{1,64}\.xml$/i).optional(),
        /** An MSI property that receives the configuration file's name (e.g. CONFIGFILE). */
        configProperty: z.string().trim().regex(/^[A-Za-z_][A-Za-z0-9_.]{0,71}$/).optional(),
        parameters: z.string().max(2048),
        runAs: z.enum(['admin', 'system']),
      })
      .strict(),
    result: PackageSchema,
  },
  'packages.duplicate': {
    request: z
      .object({ id: Id, name: z.string().trim().min(1).max(128), parameters: z.string().max(2048).optional(), runAs: z.enum(['admin', 'system']).optional() })
      .strict(),
    result: PackageSchema,
  },
  'packages.remove': { request: z.object({ id: Id }).strict(), result: z.object({ removed: z.boolean() }) },
  'computers.preview': {
    request: z.object({ text: z.string().max(4_000_000) }).strict(),
    result: ComputerImportPreviewSchema,
  },
  'computers.previewFile': {
    request: z.object({ path: FilePath }).strict(),
    result: ComputerImportPreviewSchema.extend({ fileName: z.string() }),
  },
  'computers.setGroup': {
    request: z.object({ ids: z.array(Id).min(1).max(10_000), groupName: z.string().trim().min(1).max(64).nullable() }).strict(),
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
    request: z.object({ ids: z.array(Id).min(1).max(10_000) }).strict(),
    result: z.object({
      targets: z.number().int().nonnegative(),
      cleaned: z.number().int().nonnegative(),
      remaining: z.number().int().nonnegative(),
      /** Of the remaining, those whose credentials are gone: Set Credentials… on these computers cleans them. */
      noCredentials: z.number().int().nonnegative(),
    }),
  },
  /** A TCP 445 probe of a range; progress arrives as scan.progress events. */
  'scan.start': {
    request: z.object({ range: z.string().trim().min(1).max(200), port: z.number().int().min(1).max(65535).optional() }).strict(),
    result: z.object({ scanId: ScanId, total: z.number().int().positive() }),
  },
  'scan.cancel': { request: z.object({ scanId: ScanId }).strict(), result: z.object({ ok: z.boolean() }) },
  'directory.search': {
    request: z
      .object({
        /** ldap://host:port or ldaps://host:port */
        url: z.string().trim().regex(/^ldaps?:\/\/[^\s/]+\/?$/i),
        baseDn: z.string().trim().min(1).max(1024),
        bindDn: z.string().trim().max(1024),
        password: z.string().max(256),
        /** An OU (DN) under the base to search instead, optional. */
        ou: z.string().trim().max(1024).optional(),
        /** LDAPS: accept a self-signed certificate (lab directories). */
        allowUntrusted: z.boolean().optional(),
      })
      .strict(),
    result: z.object({ computers: z.array(DirectoryComputerSchema), truncated: z.boolean() }),
  },
  'history.exportCsv': {
    request: z.object({ taskId: Id }).strict(),
    result: z.object({ fileName: z.string(), text: z.string() }),
  },
  /** A ZIP of the step logs and MSI logs of a task's targets (or the chosen ones). */
  'history.exportLogs': {
    request: z.object({ taskId: Id, targetIds: z.array(Id).max(10_000).optional() }).strict(),
    result: z.object({ fileName: z.string(), base64: z.string(), bytes: z.number().int().nonnegative(), entries: z.number().int().nonnegative() }),
  },
  /** This computer's network addresses, for the agents' callback address (Configuration). */
  'app.networkAddresses': {
    request: NoRequest,
    result: z.array(z.object({ interface: z.string(), address: z.string(), family: z.enum(['IPv4', 'IPv6']), internal: z.boolean() })),
  },
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
  /** The Leftovers window: what pushes left on computers. */
  'leftovers',
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
  /** A network scan moved on; `found` are the addresses that answered since the last event. */
  'scan.progress': z.object({
    scanId: ScanId,
    done: z.number().int().nonnegative(),
    total: z.number().int().positive(),
    found: z.array(z.string()),
    finished: z.boolean(),
    cancelled: z.boolean(),
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

/** The window API, derived from the contract (renderer/global.d.ts declares window.pushConsole). */
export interface PushConsoleApi {
  invoke<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResultOf<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayloadOf<E>) => void): () => void;
}
