// Following a restart the agent scheduled (docs/ARCHITECTURE.md §3b) to its end, outside the push
// slots: the push hands over its SMB session with the agent's service open, and the follower asks
// the Service Control Manager about that service every poll. While the agent waits for the restart
// its service runs; when the computer goes down the session drops (restarting); the follower then
// probes TCP 445 until the computer answers, logs on again and finds the agent's service STOPPED
// (its process ended with Windows): restarted, "back online after N min" — and only then removes
// the agent's service and files (they could not go while the agent ran). Bounds: not down by the
// latest restart time + a margin → not-restarted; down and not back within the bound → not-back.
// A cancel stops the agent's service: the agent calls AbortSystemShutdownW, and cleanup follows.
import type { RestartState } from '../ipc/contract.js';
import { ServiceState, type Handle } from '../rpc/scmr.js';
import { probeSmbPort } from './probeAhead.js';
import { closeRemote, connect, openScm, type Remote, type RemoteHost } from './remoteHost.js';
import type { EngineTimers } from './timers.js';

/** The agent's exit code when a STOP cancelled its pending restart (agent/src/exitcodes.h). */
export const AGENT_RESTART_CANCELLED = 19;

export interface RestartBounds {
  /** Between two status queries while the restart is pending. */
  readonly pollMs: number;
  /** Between two TCP probes while the computer is down. */
  readonly probeMs: number;
  /** Down for longer than this: not-back. */
  readonly notBackMs: number;
  /** Still up this long after the latest restart time: not-restarted. */
  readonly notDoneMs: number;
}

export const DEFAULT_RESTART_BOUNDS: RestartBounds = { pollMs: 10_000, probeMs: 5_000, notBackMs: 30 * 60_000, notDoneMs: 10 * 60_000 };

/** One restart to follow: where, how to log on again, the agent's service, and the latest restart time. */
export interface FollowedRestart {
  readonly targetId: number;
  readonly host: RemoteHost;
  readonly serviceName: string;
  readonly at: Date;
  /** The logged-on user was asked (ask, or when-idle with a user): a restart at the limit means they postponed it. */
  readonly asked?: boolean;
  /** The push's session with the SCM pipe open (null after a console restart: the follower connects). */
  readonly remote: Remote | null;
  readonly service: Handle | null;
}

export interface RestartFollowerDeps {
  readonly timers: EngineTimers;
  readonly bounds: () => RestartBounds;
  /** A state change: written and announced; `detail` goes to the step log and the target's restart detail. */
  readonly changed: (targetId: number, state: RestartState, detail: string, code?: string | null) => void;
  /** Removes the agent's service and files now that it no longer runs (Remove Leftovers' path). */
  readonly clean: (targetId: number) => Promise<void>;
  readonly now: () => number;
}

interface Following {
  readonly r: FollowedRestart;
  phase: 'scheduled' | 'restarting';
  remote: Remote | null;
  service: Handle | null;
  downAt: number | null;
  stopped: boolean;
}

const minutes = (ms: number) => `${Math.max(0, Math.round(ms / 60_000))} min`;
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);

export class RestartFollower {
  private readonly following = new Map<number, Following>();

  constructor(private readonly d: RestartFollowerDeps) {}

  /** Targets followed now. */
  get active(): number {
    return this.following.size;
  }

  isFollowing(targetId: number): boolean {
    return this.following.has(targetId);
  }

  follow(r: FollowedRestart): void {
    this.drop(r.targetId); // a target followed twice (a console restart with a push's hand-over) keeps the newest
    const f: Following = { r, phase: 'scheduled', remote: r.remote, service: r.service, downAt: null, stopped: false };
    this.following.set(r.targetId, f);
    this.d.timers.after(0, () => void this.tick(f));
  }

  /** Stops following (a cancel, or the console closing); the session is closed. */
  drop(targetId: number): void {
    const f = this.following.get(targetId);
    if (!f) return;
    f.stopped = true;
    this.following.delete(targetId);
    closeRemote(f.remote);
  }

  close(): void {
    for (const id of [...this.following.keys()]) this.drop(id);
  }

  private async tick(f: Following): Promise<void> {
    if (f.stopped) return;
    try {
      if (f.phase === 'scheduled') await this.pending(f);
      else await this.down(f);
    } catch {
      // a step that failed is tried again at the next tick
    }
    if (f.stopped) return;
    const b = this.d.bounds();
    this.d.timers.after(f.phase === 'scheduled' ? b.pollMs : b.probeMs, () => void this.tick(f));
  }

  /** The restart is pending: is the agent's service still running? A dropped session means the computer is going down. */
  private async pending(f: Following): Promise<void> {
    const now = this.d.now();
    if (now > f.r.at.getTime() + this.d.bounds().notDoneMs) {
      return this.end(f, 'not-restarted', `the computer did not restart by ${clock(f.r.at.getTime())} UTC (the restart may have been cancelled on it, e.g. shutdown /a); the agent was removed`, 'RESTART');
    }
    let status;
    try {
      f.remote ??= await connect(f.r.host);
      const { scmr, scm } = await openScm(f.remote, f.r.host.host);
      f.service ??= await scmr.openService(scm, f.r.serviceName);
      if (!f.service) return this.end(f, 'not-restarted', `the agent's service ${f.r.serviceName} is gone: the restart cannot be followed`, 'RESTART');
      status = await scmr.queryServiceStatus(f.service);
    } catch {
      closeRemote(f.remote);
      f.remote = null;
      f.service = null;
      f.phase = 'restarting';
      f.downAt = now;
      this.d.changed(f.r.targetId, 'restarting', `restarting: the computer went down at ${clock(now)} UTC`);
      return;
    }
    if (status.currentState !== ServiceState.STOPPED) return;
    // The agent ended while the computer stayed up: cancelled on the computer (19), or it restarted between two polls.
    closeRemote(f.remote);
    f.remote = null;
    if (status.win32ExitCode === 1066 && status.serviceSpecificExitCode === AGENT_RESTART_CANCELLED) {
      return this.end(f, 'cancelled', 'the pending restart was cancelled (the agent\'s service was stopped; it called AbortSystemShutdownW)', null);
    }
    return this.end(f, 'restarted', 'back online (it restarted between two checks)', null);
  }

  /** Down: TCP probes until the computer answers, then a logon and the agent's service STOPPED = restarted. */
  private async down(f: Following): Promise<void> {
    const now = this.d.now();
    const downFor = now - (f.downAt ?? now);
    if (downFor > this.d.bounds().notBackMs) {
      this.following.delete(f.r.targetId);
      f.stopped = true;
      this.d.changed(f.r.targetId, 'not-back', `not back ${minutes(downFor)} after it went down at ${clock(f.downAt ?? now)} UTC`, 'RESTART-NOT-BACK');
      return;
    }
    await probeSmbPort(f.r.host.host, f.r.host.port, f.r.host.timeouts.connectMs);
    const remote = await connect(f.r.host); // SMB answers: the Server service is up again
    closeRemote(remote);
    // Asked, and down only at the latest time (give or take a poll): the user kept postponing and Windows forced it.
    const forced = f.r.asked && (f.downAt ?? now) >= f.r.at.getTime() - 2 * this.d.bounds().pollMs - 30_000;
    return this.end(f, 'restarted', `back online after ${minutes(downFor)} (down at ${clock(f.downAt ?? now)} UTC${forced ? '; forced at the limit after the user postponed it' : ''})`, null);
  }

  /** The restart's end: state and detail, then the agent's service and files removed. */
  private async end(f: Following, state: RestartState, detail: string, code: string | null): Promise<void> {
    f.stopped = true;
    this.following.delete(f.r.targetId);
    closeRemote(f.remote);
    this.d.changed(f.r.targetId, state, detail, code);
    await this.d.clean(f.r.targetId);
  }
}
