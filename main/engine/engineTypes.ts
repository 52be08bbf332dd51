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
import type { QueueEntry } from './targetQueue.js';

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
  /** Claim mode (push workers, main/workers/claimWorker.ts): see ClaimHooks. */
  readonly claim?: ClaimHooks;
}

/**
 * Claim mode: the targets are pushed by workers that claim them from the database
 * (main/workers/leases.ts), so the engine never starts a task's targets itself (begin() only
 * marks the task running), runs no crash recovery (another process's targets are the reaper's)
 * and pushes only what its worker adopts (PushEngine.adopt). Every target write goes through a
 * store fenced by the worker's leases.
 */
export interface ClaimHooks {
  /** The journal's store: target changes and steps written only while the lease is held. */
  readonly journalStore: Pick<TasksRepo, 'batch' | 'updateTarget' | 'appendStep'>;
  /** Whether the target's lease is still held (a turn of a lost target does not start). */
  mayRun(targetId: number): boolean;
  /** A turn settled: its end committed, or it waits (credentials, a retry later). */
  settled(entry: QueueEntry): void;
  /** Cancel Task / Cancel Computer: said in the database; the owning worker aborts at its next heartbeat. */
  cancel(scope: { taskId: number } | { targetId: number }): void;
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
