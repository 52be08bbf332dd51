// The engine's public shapes: what a task asks for, what the engine is built from, and how one
// target ended (the CLI's --json).
import { installsAs, type RebootPolicy, type Settings } from '../ipc/contract.js';
import type { EventBus } from '../ipc/eventBus.js';
import type { AgentTransport, PushAction } from '../server/agentProtocol.js';
import type { GrantStore } from '../server/grants.js';
import type { PackagesRepo } from '../store/packagesRepo.js';
import type { TasksRepo } from '../store/tasksRepo.js';
import type { AgentHub } from './agentHub.js';
import type { CredentialVault } from './credentials.js';
import type { PushTimeouts } from './pushTarget.js';
import type { RestartBounds } from './restartFollower.js';
import type { Outcome } from './results.js';
import type { ErrorClass } from '../ipc/errorClasses.js';

export interface TaskOptions {
  /** Install under the task's administrator account (default) or as SYSTEM. */
  readonly runAs?: 'admin' | 'system';
  /** What msiexec does with the package: install (default; tasks from before the option), uninstall (/x) or repair (/fvomus). */
  readonly action?: PushAction;
  /** Offline / port-blocked targets are retried this many times (default: settings.retryCount). */
  readonly retryCount?: number;
  /** How the agent gets the package: callback (tasks from before the option), smb, or auto (the default for new tasks). */
  readonly transport?: AgentTransport;
  /** What happens after a 3010 (or, for the action restart, at once): absent = no restart. */
  readonly reboot?: RebootPolicy;
}

/** Who msiexec runs as for these options (installsAs: the SMB transport installs as SYSTEM). */
export function effectiveRunAs(options: TaskOptions): 'admin' | 'system' {
  return installsAs(options.runAs, options.transport);
}

export interface NewTaskInput {
  readonly name: string;
  readonly packageId: number;
  /** ISO time; null or a past time = now. */
  readonly scheduledAt?: string | null;
  readonly options?: TaskOptions;
  readonly targets: readonly { computerId?: number | null; computerName: string; address?: string | null; port?: number | null; credentialId: number | null }[];
}

export interface EngineOptions {
  readonly tasks: TasksRepo;
  readonly packages: PackagesRepo;
  readonly settings: () => Settings;
  readonly vault: CredentialVault;
  readonly grants: GrantStore;
  readonly hub: AgentHub;
  /** The package server's port and certificate fingerprint (for job files); starts the server when it is not running yet. */
  readonly callback: () => Promise<{ port: number; fingerprint: string }>;
  /** The agent executable copied to each target. */
  readonly agentPath: string;
  readonly events?: EventBus;
  readonly now?: () => Date;
  /** Tests and the lab shorten the bounds the settings give in seconds and minutes. */
  readonly timeouts?: Partial<PushTimeouts> & { retryIntervalMs?: number; restart?: Partial<RestartBounds> };
  /** Called with each line of the console's own log (recovery, schedules). */
  readonly log?: (line: string) => void;
}

export interface TargetOutcome {
  readonly targetId: number;
  readonly target: string;
  readonly outcome: Outcome;
  readonly errorClass: ErrorClass | null;
  readonly code: string | null;
  readonly message: string;
  readonly advice: string;
  readonly exitCode: number | null;
  readonly rebootRequired: boolean;
  readonly durationMs: number;
}
