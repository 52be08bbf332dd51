// Remove Leftovers and the cleanup recovery starts: cleans what an ended push left on its
// computer from the target's record. A push still running is not touched (only Cancel stops it);
// without a held credential nothing is tried; two cleanups of one target never run at once (the
// second joins the first).
import type { TargetRecord, TasksRepo } from '../store/tasksRepo.js';
import { ConsoleError } from '../ipc/errors.js';
import type { SmbCredentials } from '../smb/session.js';
import { removeLeftovers, type Leftovers } from './cleanup.js';
import type { Journal } from './journal.js';
import type { RemoteHost } from './remoteHost.js';

/** What Remove Leftovers did: what is still there (null: nothing), or why it did not try. */
export type LeftoversResult =
  | { readonly left: Leftovers | null; readonly refused?: undefined }
  | { readonly left: Leftovers; readonly refused: 'credentials-missing' | 'not-ended' };

export interface LeftoverCleanerDeps {
  readonly tasks: Pick<TasksRepo, 'targetRecord'>;
  readonly journal: Journal;
  readonly isRunning: (targetId: number) => boolean;
  /** Whether the target's credential is held now (else nothing is tried). */
  readonly held: (t: TargetRecord) => boolean;
  /** The logon for the target's computer (a LAPS credential reads its password again); null when gone. `step` adds to its log. */
  readonly credentialsFor: (t: TargetRecord, step: (detail: string) => void) => Promise<SmbCredentials | null>;
  /** The bounds and encryption setting of a connection now. */
  readonly connection: () => Pick<RemoteHost, 'timeouts' | 'encryptWhenSupported' | 'auth'>;
}

export class LeftoverCleaner {
  private readonly under = new Map<number, Promise<LeftoversResult>>();

  constructor(private readonly d: LeftoverCleanerDeps) {}

  clean(targetId: number): Promise<LeftoversResult> {
    const running = this.under.get(targetId);
    if (running) return running;
    const target = this.d.tasks.targetRecord(targetId);
    if (!target?.leftovers) return Promise.resolve({ left: null });
    const leftovers = JSON.parse(target.leftovers) as Leftovers;
    if (target.state !== 'done' || this.d.isRunning(targetId)) return Promise.resolve({ left: leftovers, refused: 'not-ended' });
    if (!this.d.held(target)) return Promise.resolve({ left: leftovers, refused: 'credentials-missing' });
    const { journal } = this.d;
    const step = (name: string, detail: string, code?: string | null) => journal.step(target.task_id, targetId, name, detail, code ?? null);
    const work = (async (): Promise<Leftovers | null> => {
      let credentials: SmbCredentials | null;
      try {
        credentials = await this.d.credentialsFor(target, (detail) => step('cleanup', detail));
      } catch (error) {
        // A LAPS read that failed: nothing is tried, the leftovers stay listed with why.
        const e = error instanceof ConsoleError ? error : new ConsoleError('internal', String(error));
        step('cleanup', `not cleaned: ${e.message} ${e.advice}`.trim(), e.code ?? 'LEFTOVERS');
        return leftovers;
      }
      if (!credentials) return leftovers;
      return removeLeftovers(
        { host: target.address ?? target.computer_name, logonName: target.computer_name, port: target.port ?? 445, credentials, ...this.d.connection() },
        leftovers,
        { step, remote: (l) => journal.update(targetId, { leftovers: JSON.stringify(l) }) },
      );
    })()
      .then((left): LeftoversResult => {
        // Once clean, an interrupted target's advice no longer asks for what was done.
        const advice = !left && target.outcome === 'interrupted' ? { advice: 'Retry failed pushes it again; what the push left on the computer was removed.' } : {};
        journal.update(targetId, { leftovers: left ? JSON.stringify(left) : null, ...(left ? {} : { service_name: null }), ...advice });
        journal.flush();
        return { left };
      })
      .finally(() => this.under.delete(targetId));
    this.under.set(targetId, work);
    return work;
  }

  /** Resolves when no cleanup is under way. */
  async settled(): Promise<void> {
    while (this.under.size > 0) await Promise.allSettled([...this.under.values()]);
  }
}
