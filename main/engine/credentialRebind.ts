// Set Credentials… on targets, a task or computers: the chosen credential replaces the one they
// point at (docs/crash-recovery.md "A credential that is gone"). Waiting targets are queued
// again; ended ones with leftovers are cleaned at once; a running push keeps what it started with.
import { ConsoleError } from '../ipc/errors.js';
import type { TargetRecord, TasksRepo } from '../store/tasksRepo.js';
import { rebindCandidates, type RebindScope } from './credentialBinding.js';
import { hashOnlyRefusal, qualifiedUser, type CredentialVault } from './credentials.js';
import { effectiveRunAs, type TaskOptions } from './engineTypes.js';
import type { Journal } from './journal.js';
import type { TargetQueue } from './targetQueue.js';
import { WAITING, type TargetTurns } from './targetTurn.js';

export interface RebindResult {
  readonly rebound: number;
  readonly resumed: number;
  readonly cleaning: number;
}

export interface RebindDeps {
  readonly tasks: TasksRepo;
  readonly vault: Pick<CredentialVault, 'logon' | 'held' | 'lapsDirectory'>;
  readonly journal: Journal;
  readonly queue: TargetQueue;
  readonly turns: TargetTurns;
  /** Remove Leftovers on an ended target, in the background. */
  clean(targetId: number): void;
}

export function rebindCredential(scope: RebindScope, credentialId: number, d: RebindDeps): RebindResult {
  if (!d.vault.held(credentialId)) throw new ConsoleError('credentials-missing', 'These credentials are not available any more.', 'Set them again.');
  // null for a LAPS credential: each computer's own password is read when its push starts.
  const credential = d.vault.logon(credentialId);
  const who = credential ? qualifiedUser(credential) : `LAPS passwords from ${d.vault.lapsDirectory(credentialId)?.url ?? 'the directory'}`;
  const optionsOf = new Map<number, TaskOptions>();
  const options = (taskId: number): TaskOptions => {
    let o = optionsOf.get(taskId);
    if (!o) optionsOf.set(taskId, (o = JSON.parse(d.tasks.task(taskId)?.options_json ?? '{}') as TaskOptions));
    return o;
  };
  const candidates = rebindCandidates(scope, {
    target: (id) => d.tasks.targetRecord(id),
    targetsOfTask: (taskId) => d.tasks.targetRecords(taskId),
    targetsOfComputers: (ids) => d.tasks.targetsOfComputers(ids),
    isRunning: (id) => d.queue.isRunning(id),
    credentialGone: (t) => d.turns.credentialProblem(t, options(t.task_id)) !== null,
  });
  if (credential?.keeps === 'nt-hash') {
    const needPassword = candidates.filter((t) => t.state !== 'done' && effectiveRunAs(options(t.task_id)) === 'admin');
    if (needPassword.length) {
      const refusal = hashOnlyRefusal([qualifiedUser(credential)]);
      throw new ConsoleError(refusal.errorClass, `${needPassword.length} computer(s) install as the account: ${refusal.message}`, refusal.advice);
    }
  }
  const resumed: TargetRecord[] = [];
  const toClean: number[] = [];
  for (const t of candidates) {
    d.journal.step(t.task_id, t.id, 'credentials', `credentials set again: ${who}`);
    if (t.state === WAITING) {
      d.journal.update(t.id, { credential_id: credentialId, state: 'queued', error_class: null, error_code: null, error_message: null, advice: null });
      resumed.push(t);
    } else {
      d.journal.update(t.id, { credential_id: credentialId });
      if (t.state === 'done' && t.leftovers !== null) toClean.push(t.id);
    }
  }
  d.journal.flush();
  for (const t of resumed) {
    d.journal.progress(t.task_id, t.id, 'queued', null, null);
    d.turns.credentialsBack(t.task_id);
    if (d.tasks.task(t.task_id)?.status === 'running' && !d.queue.isQueued(t.id)) d.queue.push([{ targetId: t.id, taskId: t.task_id }]);
  }
  for (const id of toClean) d.clean(id);
  if (candidates.length) d.journal.log(`Credentials ${who} set for ${candidates.length} target(s): ${resumed.length} resumed, ${toClean.length} being cleaned.`);
  d.queue.pump();
  return { rebound: candidates.length, resumed: resumed.length, cleaning: toClean.length };
}
