// Crash recovery at start-up (docs/crash-recovery.md): every target a dead console was working
// on ends `interrupted` with its log; what it recorded on the computer (written ahead of each
// remote change) is cleaned at once where its credential is held, and named in its log and the
// Leftovers window where it is not.
import type { TargetRecord, TasksRepo } from '../store/tasksRepo.js';
import { describeLeftovers, everythingOf, type Leftovers } from './cleanup.js';

export interface RecoveryDeps {
  readonly tasks: Pick<TasksRepo, 'inFlightTargets' | 'batch' | 'appendStep' | 'updateTarget'>;
  readonly now: () => Date;
  /** Whether the target's credential is held now. */
  readonly canClean: (t: TargetRecord) => boolean;
  /** Starts the cleanup of one recovered target (not awaited). */
  readonly clean: (targetId: number) => void;
  /** Revokes the agent tokens a dead console had issued for the target. */
  readonly revoke: (targetId: number) => void;
  readonly log: (line: string) => void;
}

/** Marks in-flight targets interrupted and starts their cleanup; returns how many there were. */
export function recoverInterrupted(d: RecoveryDeps): number {
  const inFlight = d.tasks.inFlightTargets();
  let withoutCredentials = 0;
  for (const t of inFlight) {
    const recorded = t.leftovers ? (JSON.parse(t.leftovers) as Leftovers) : null;
    const leftovers = recorded ? withSideFiles(recorded, t.run_id, t.service_name) : null;
    const canClean = d.canClean(t);
    if (leftovers && !canClean) withoutCredentials += 1;
    d.tasks.batch([
      () => d.tasks.appendStep(t.id, 'interrupted', `the console stopped while this target was ${t.state}; its agent token is revoked`),
      ...(leftovers && !canClean
        ? [() => void d.tasks.appendStep(t.id, 'cleanup', `left on the computer until its credentials are set again: ${describeLeftovers(leftovers)}`, 'LEFTOVERS')]
        : []),
      () =>
        d.tasks.updateTarget(t.id, {
          state: 'done', outcome: 'interrupted', error_class: 'interrupted', error_message: `The console stopped while this target was ${t.state}.`,
          advice: !leftovers
            ? 'Retry failed pushes it again.'
            : canClean
              ? 'Retry failed pushes it again. What the push left on the computer is removed now (see its log).'
              : 'Use Set Credentials… on this computer (Installation History or Computers): what the push left on it is then removed at once. Retry failed pushes it again.',
          finished_at: d.now().toISOString(), leftovers: leftovers ? JSON.stringify(leftovers) : null, progress: null,
        }),
    ]);
    // Tokens live only in the dead console's GrantStore: a restarted console has none of them.
    d.revoke(t.id);
    if (leftovers && canClean) d.clean(t.id);
  }
  if (inFlight.length) {
    d.log(
      `Recovered from an unexpected stop: ${inFlight.length} target(s) marked interrupted; ` +
        (withoutCredentials ? `${withoutCredentials} left something on their computer and have no credentials now: use Set Credentials… on them (Installation History or Computers, Leftovers).` : 'cleaning up after them.'),
    );
  }
  return inFlight.length;
}

/** A recorded run's leftovers plus the files its agent may have made beside itself (.log, .done). */
export function withSideFiles(recorded: Leftovers, runId: string | null, serviceName: string | null): Leftovers {
  if (!runId) return recorded;
  const all = everythingOf(runId, serviceName ?? recorded.service);
  const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];
  return { service: all.service, files: union(recorded.files, recorded.files.length ? all.files : []), directories: union(recorded.directories, all.directories) };
}
