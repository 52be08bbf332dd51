// A lab host's restarts, as Windows does them: a restart an agent schedules (InitiateShutdownW
// with a timeout) and may cancel (AbortSystemShutdownW); at its moment the host goes down — every SMB
// connection dropped and nothing listening (connects refused) for LabHostConfig.restartDownMs, running
// services sent SERVICE_CONTROL_SHUTDOWN (their agents end), the SCM's database as after a boot
// (services STOPPED, never started since; those marked for delete gone) — then it listens again. Files
// on ADMIN$ stay. A `never-back` host does not come back: after its restart connects hang for good.
// The SMB server (smb/server.ts) plugs its side in as `network`; nothing here runs until a restart is
// scheduled (one timer while one is pending, one while the host is down).
import type { LabHostState } from './hostState.js';

/** 'up' answers; 'restarting' is down for restartDownMs; 'gone' is a never-back host after its restart. */
export type LabPowerState = 'up' | 'restarting' | 'gone';

/** The SMB server's side of a restart. */
export interface LabNetwork {
  /** Drop every connection (their sessions end) and stop listening: connects are refused. */
  down(): void;
  /** Listen again. */
  up(): void;
  /** Never answer again (never-back): connects hang. */
  gone(): void;
}

/** How long a restarting host refuses connections, unless its config says (LabOptions.restartDownMs). */
export const DEFAULT_RESTART_DOWN_MS = 3000;
/** Win32 codes InitiateShutdownW and AbortSystemShutdownW answer with. */
export const ShutdownCode = { SUCCESS: 0, SHUTDOWN_IN_PROGRESS: 1115, NO_SHUTDOWN_IN_PROGRESS: 1116 } as const;

const SERVICE_NEVER_STARTED = 1077;
/** setTimeout's largest delay; a restart further away is waited for in steps. */
const MAX_TIMER_MS = 0x7fffffff;

/** Calls `fire` at `atMs` (Date.now() time), however far away; cancellable. */
function timerAt(atMs: number, fire: () => void): { clear(): void } {
  let timer: NodeJS.Timeout;
  const arm = () => {
    timer = setTimeout(() => (Date.now() >= atMs ? fire() : arm()), Math.max(0, Math.min(atMs - Date.now(), MAX_TIMER_MS)));
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}

export class HostPower {
  state: LabPowerState = 'up';
  /** Set by the host's SMB server while it runs. */
  network: LabNetwork | null = null;
  private pending: { at: number; timer: { clear(): void } } | null = null;
  private upTimer: NodeJS.Timeout | null = null;
  private waiters: Set<() => void> | null = null;

  constructor(private readonly host: LabHostState) {}

  /** The moment the pending restart happens, or null. */
  get pendingRestart(): Date | null {
    return this.pending ? new Date(this.pending.at) : null;
  }

  /** InitiateShutdownW(restart, grace): the host restarts in `inMs`. 1115 when one is already pending. */
  schedule(inMs: number): number {
    if (this.pending || this.state !== 'up') return ShutdownCode.SHUTDOWN_IN_PROGRESS;
    this.arm(Date.now() + Math.max(0, inMs));
    return ShutdownCode.SUCCESS;
  }

  /** The pending restart, sooner: in `inMs` when that is before its moment (a user said yes). */
  advance(inMs: number): void {
    const at = Date.now() + Math.max(0, inMs);
    if (!this.pending || at >= this.pending.at) return;
    this.pending.timer.clear();
    this.arm(at);
  }

  /** AbortSystemShutdownW: 0, or 1116 when no restart is pending. */
  cancel(): number {
    if (!this.pending) return ShutdownCode.NO_SHUTDOWN_IN_PROGRESS;
    this.pending.timer.clear();
    this.pending = null;
    return ShutdownCode.SUCCESS;
  }

  /** Resolves the next time the host has come back up (or gone for good, or the lab closed). */
  nextBoot(): Promise<void> {
    return new Promise((resolve) => (this.waiters ??= new Set()).add(resolve));
  }

  /** The restart itself: down now, up after restartDownMs (a never-back host: never). */
  restartNow(): void {
    if (this.state !== 'up') return;
    this.cancel();
    const host = this.host;
    host.counters.restarts++;
    this.state = 'restarting';
    this.network?.down();
    // SERVICE_CONTROL_SHUTDOWN: every running agent ends (simAgent.ts); then the SCM as after the boot.
    for (const service of [...host.services.values()]) service.shutdown?.();
    for (const [key, service] of [...host.services]) {
      if (service.markedForDelete) {
        host.services.delete(key);
        host.counters.servicesDeleted++;
        continue;
      }
      service.state = 'stopped';
      service.win32ExitCode = SERVICE_NEVER_STARTED;
      service.serviceSpecificExitCode = 0;
      delete service.stop;
      delete service.shutdown;
    }
    host.changed();
    if (host.config.profile === 'never-back') {
      this.state = 'gone';
      this.network?.gone();
      this.booted();
      return;
    }
    this.upTimer = setTimeout(() => {
      this.upTimer = null;
      this.state = 'up';
      this.network?.up();
      this.booted();
    }, host.config.restartDownMs ?? DEFAULT_RESTART_DOWN_MS);
  }

  /** The lab is closing: no restart happens any more, and a host that is down stays down. */
  dispose(): void {
    this.cancel();
    if (this.upTimer) clearTimeout(this.upTimer);
    this.upTimer = null;
    this.network = null;
    this.booted();
  }

  private arm(at: number): void {
    this.pending = { at, timer: timerAt(at, () => this.restartNow()) };
  }

  private booted(): void {
    const waiters = this.waiters;
    this.waiters = null;
    for (const resolve of waiters ?? []) resolve();
  }
}
