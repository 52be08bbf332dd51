// The engine's side of the reboot policy (docs/ARCHITECTURE.md §3b): the restart follower fed with
// what pushes hand over, each restart's new state written to its target (a failure's class and
// advice, a step, an event so the windows reload the row), Cancel Restart, the restarts a console
// stopped in the middle of followed again at start, and a wait for a task's restarts to end.
import type { RestartState } from '../ipc/contract.js';
import { defaultAdvice, type ErrorClass } from '../ipc/errorClasses.js';
import type { TasksRepo } from '../store/tasksRepo.js';
import type { CredentialVault } from './credentials.js';
import type { KerberosLogons } from './kerberosLogons.js';
import type { EngineOptions } from './engineTypes.js';
import type { Journal } from './journal.js';
import { pushTimeouts } from './packageFiles.js';
import { DEFAULT_RESTART_BOUNDS, RestartFollower } from './restartFollower.js';
import type { EngineTimers } from './timers.js';

/** The restart states that are failures, with their class (the target's outcome stays what msiexec made it). */
const RESTART_FAILURES: Partial<Record<RestartState, ErrorClass>> = { 'not-back': 'restart-not-back', 'not-restarted': 'restart-not-done', refused: 'restart-refused' };

export interface EngineRestartsDeps {
  readonly o: Pick<EngineOptions, 'settings' | 'timeouts'> & { readonly tasks: TasksRepo; readonly vault: CredentialVault };
  readonly journal: Journal;
  readonly timers: EngineTimers;
  readonly now: () => number;
  /** Remove Leftovers on the target (its agent's service and files). */
  readonly clean: (targetId: number) => Promise<unknown>;
  /** The credentials' Kerberos identities (a restart's session logs on as its push did). */
  readonly kerberos: KerberosLogons;
}

export class EngineRestarts {
  readonly follower: RestartFollower;

  constructor(private readonly d: EngineRestartsDeps) {
    this.follower = new RestartFollower({
      timers: d.timers,
      bounds: () => ({ ...DEFAULT_RESTART_BOUNDS, ...d.o.timeouts?.restart }),
      now: d.now,
      changed: (targetId, state, detail, code) => this.changed(targetId, state, detail, code ?? null),
      clean: async (targetId) => void (await d.clean(targetId)),
    });
  }

  /** Cancel Restart: the agent's service is stopped (it calls AbortSystemShutdownW), then removed; false when no restart is pending. */
  async cancel(targetId: number): Promise<boolean> {
    const t = this.d.o.tasks.targetRecord(targetId);
    // Only a restart still pending: once the computer is going down there is nothing to cancel.
    if (!t || t.restart_state !== 'scheduled') return false;
    this.follower.drop(targetId);
    this.changed(targetId, 'cancelled', 'pending restart cancelled from the console: the agent\'s service is stopped (AbortSystemShutdownW) and removed', null);
    await this.d.clean(targetId);
    return true;
  }

  /** Resolves when no target of the task has a restart pending (pushctl waits for it). */
  async waitFor(taskId: number, closed: () => boolean, pollMs = 500): Promise<void> {
    const pending = () => this.d.o.tasks.targetRecords(taskId).some((t) => t.restart_state === 'scheduled' || t.restart_state === 'restarting');
    while (pending() && !closed()) await new Promise((r) => setTimeout(r, pollMs));
  }

  /** Restarts scheduled before the console stopped: followed again (the follower logs on by itself). */
  resume(): void {
    const { o } = this.d;
    for (const t of o.tasks.pendingRestarts()) {
      // A LAPS credential's logon is the directory reader's, not the computer's: such a restart is left to Remove Leftovers.
      const logon = t.credential_id !== null && !o.vault.lapsDirectory(t.credential_id) ? o.vault.logon(t.credential_id) : null;
      if (!logon || !t.service_name || !t.restart_at) continue;
      const settings = o.settings();
      this.follower.follow({
        targetId: t.id, serviceName: t.service_name, at: new Date(t.restart_at), remote: null, service: null,
        host: { host: t.address ?? t.computer_name, logonName: t.computer_name, port: t.port ?? 445, credentials: this.d.kerberos.credentials(logon, `restart ${t.task_id}`), encryptWhenSupported: settings.encryptWhenSupported, auth: settings.authentication, timeouts: pushTimeouts(settings, o.timeouts) },
      });
    }
  }

  /** A restart's new state: the target's columns (a failure's class and advice), a step, and an event so the windows reload the row. */
  private changed(targetId: number, state: RestartState, detail: string, code: string | null): void {
    const { journal } = this.d;
    const t = this.d.o.tasks.targetRecord(targetId);
    if (!t) return;
    const failure = RESTART_FAILURES[state];
    // Once restarted (or cancelled) the push's "History follows the restart" advice is past.
    const advice = failure
      ? { error_class: failure, error_code: code, advice: defaultAdvice(failure) }
      : state === 'restarted' ? { advice: null } : state === 'cancelled' ? { advice: 'Restart Computers… in Installation History when the computer may restart.' } : {};
    journal.update(targetId, { restart_state: state, restart_detail: detail, ...advice });
    journal.step(t.task_id, targetId, 'restart', detail, code);
    journal.flush();
    journal.progress(t.task_id, targetId, 'done', t.outcome, null);
  }
}
