// The one IPC contract: every channel the renderer may invoke (name → request → result) and every
// event the main process pushes. Main, preload, the browser bridge and the renderer all import
// this file; nothing restates it. Its schemas live in main/ipc/contract/, one module per domain
// (common, computers, credentials, packages, tasks, targets, history, settings, app, server,
// sites, events); this
// index joins them and is the only module that imports that folder. It and they import only zod,
// so they run in Node, in the sandboxed preload bundle and in the renderer bundle alike.
//
// Schemas are `.strict()` on the way in (unknown keys are an error, not silently dropped) and
// plain on the way out (main parses every result, so a field not declared here — a secret,
// say — is stripped before it can reach the renderer).
import type { z } from 'zod';
import { IpcErrorSchema, OutcomeSchema, TargetStateSchema, type ChannelSpecs, type IpcError, type TargetState } from './contract/common.js';
import {
  ComputerImportPreviewSchema,
  ComputerSchema,
  computersChannels,
  DiagnosticsResultSchema,
  HostInfoResultSchema,
  type Computer,
  type ComputerImportPreview,
  type DiagnosticsResult,
  type HostInfoResult,
} from './contract/computers.js';
import { CredentialCheckSchema, CredentialSchema, credentialsChannels, LapsDirectorySchema, LapsFoundSchema, type Credential, type CredentialCheck, type LapsFound } from './contract/credentials.js';
import {
  MsiInfoSchema,
  PackageInspectionSchema,
  PackageSchema,
  packagesChannels,
  XmlProblemSchema,
  type MsiInfo,
  type Package,
  type PackageInspection,
  type XmlProblem,
} from './contract/packages.js';
import { installsAs, RebootPolicySchema, TaskActionSchema, TaskStatusSchema, TaskSummarySchema, TransportSchema, tasksChannels, type RebootPolicy, type TaskAction, type TaskSummary, type Transport } from './contract/tasks.js';
import { LeftoverSchema, RestartStateSchema, StepLogEntrySchema, targetsChannels, TaskTargetSchema, type Leftover, type RestartState, type StepLogEntry, type TaskTarget } from './contract/targets.js';
import { historyChannels } from './contract/history.js';
import { defaultSettings, SettingsChangesSchema, SettingsSchema, settingsChannels, type Settings } from './contract/settings.js';
import {
  AppInfoSchema,
  appChannels,
  DirectoryComputerSchema,
  FolderListingSchema,
  type AppInfo,
  type DirectoryComputer,
  type FolderListing,
} from './contract/app.js';
import { eventChannels, MenuCommandSchema, type MenuCommand } from './contract/events.js';
import {
  AuditFilterSchema,
  AuditRowSchema,
  auditChannels,
  MAX_AUDIT_PAGE,
  RoleSchema,
  ServerAccountSchema,
  serverChannels,
  ServerStatusSchema,
  type AuditFilter,
  type AuditRow,
  type ServerAccount,
  type ServerRole,
  type ServerState,
  type ServerStatus,
} from './contract/server.js';
import { SiteSchema, sitesChannels, WorkerSchema, type PushWorker, type Site } from './contract/sites.js';

// ---- every schema and type, under the names importers have always used -------------------

export { IpcErrorSchema, TargetStateSchema, OutcomeSchema, type IpcError, type TargetState };
export { ComputerSchema, ComputerImportPreviewSchema, HostInfoResultSchema, DiagnosticsResultSchema };
export type { Computer, ComputerImportPreview, HostInfoResult, DiagnosticsResult };
export { CredentialSchema, CredentialCheckSchema, LapsDirectorySchema, LapsFoundSchema, type Credential, type CredentialCheck, type LapsFound };
export { PackageSchema, XmlProblemSchema, MsiInfoSchema, PackageInspectionSchema };
export type { Package, XmlProblem, MsiInfo, PackageInspection };
export { installsAs, RebootPolicySchema, TaskActionSchema, TaskStatusSchema, TaskSummarySchema, TransportSchema, type RebootPolicy, type TaskAction, type TaskSummary, type Transport };
export { TaskTargetSchema, StepLogEntrySchema, LeftoverSchema, RestartStateSchema, type TaskTarget, type StepLogEntry, type Leftover, type RestartState };
export { SettingsSchema, defaultSettings, SettingsChangesSchema, type Settings };
export { AppInfoSchema, FolderListingSchema, DirectoryComputerSchema, type AppInfo, type FolderListing, type DirectoryComputer };
export { MenuCommandSchema, type MenuCommand };
export { RoleSchema, ServerAccountSchema, ServerStatusSchema, AuditRowSchema, AuditFilterSchema, MAX_AUDIT_PAGE };
export type { ServerRole, ServerAccount, ServerState, ServerStatus, AuditRow, AuditFilter };
export { SiteSchema, WorkerSchema, type Site, type PushWorker };

// ---- channels and events ---------------------------------------------------------------

export const channels = {
  ...appChannels,
  ...computersChannels,
  ...credentialsChannels,
  ...packagesChannels,
  ...tasksChannels,
  ...targetsChannels,
  ...historyChannels,
  ...settingsChannels,
  ...serverChannels,
  ...auditChannels,
  ...sitesChannels,
} as const satisfies ChannelSpecs;

/** Each domain's channel names: main/app/handlers/ implements one domain per module. */
export interface ChannelDomains {
  app: keyof typeof appChannels;
  computers: keyof typeof computersChannels;
  credentials: keyof typeof credentialsChannels;
  packages: keyof typeof packagesChannels;
  tasks: keyof typeof tasksChannels;
  targets: keyof typeof targetsChannels;
  history: keyof typeof historyChannels;
  settings: keyof typeof settingsChannels;
  server: keyof typeof serverChannels;
  audit: keyof typeof auditChannels;
  sites: keyof typeof sitesChannels;
}

// A channel declared in two domains would silently keep only the later one above: refuse that.
type DomainList = [
  typeof appChannels,
  typeof computersChannels,
  typeof credentialsChannels,
  typeof packagesChannels,
  typeof tasksChannels,
  typeof targetsChannels,
  typeof historyChannels,
  typeof settingsChannels,
  typeof serverChannels,
  typeof auditChannels,
  typeof sitesChannels,
];
type KeysOf<T extends readonly object[]> = T extends readonly [infer H, ...infer R extends readonly object[]] ? keyof H | KeysOf<R> : never;
type SharedKeys<T extends readonly object[]> = T extends readonly [infer H, ...infer R extends readonly object[]] ? (keyof H & KeysOf<R>) | SharedKeys<R> : never;
type Expect<T extends true> = T;
type _NoChannelInTwoDomains = Expect<[SharedKeys<DomainList>] extends [never] ? true : SharedKeys<DomainList>>;

export const events = eventChannels;

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
