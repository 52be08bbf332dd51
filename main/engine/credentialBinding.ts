// Which credential a target can be pushed with, and which targets Set Credentials… gives a new
// one (docs/crash-recovery.md "A credential that is gone"). Pure over the vault's answers.
import type { TargetRecord } from '../store/tasksRepo.js';
import { qualifiedUser, type CredentialVault } from './credentials.js';

/** `missing`: deleted, or not held since a restart (the target waits); `hash-only`: only the NT hash is kept where installing as the account needs the password (the target fails). */
export interface CredentialProblem {
  readonly kind: 'missing' | 'hash-only';
  readonly why: string;
}

/** Why a target cannot be pushed with its credential now (null: it can). */
export function credentialProblem(vault: Pick<CredentialVault, 'logon' | 'held'>, t: Pick<TargetRecord, 'credential_id'>, runAs: 'admin' | 'system' | undefined): CredentialProblem | null {
  if (t.credential_id === null) return { kind: 'missing', why: 'its credentials were deleted' };
  if (!vault.held(t.credential_id)) return { kind: 'missing', why: 'its credentials are not held any more (they were not remembered when the console stopped)' };
  // A LAPS credential has no logon of its own: each computer's password is read at push time (and kept whole).
  const logon = vault.logon(t.credential_id);
  if (!logon) return null;
  if ((runAs ?? 'admin') === 'admin' && logon.keeps === 'nt-hash') return { kind: 'hash-only', why: `only the NT hash of ${qualifiedUser(logon)} is kept, and installing as the account needs its password` };
  return null;
}

/** Which targets Set Credentials… rebinds: exactly one scope. */
export interface RebindScope {
  readonly targetIds?: readonly number[];
  readonly taskId?: number;
  readonly computerIds?: readonly number[];
}

/** A succeeded target with nothing left has no use for a credential: its history stays as it is. */
export function needsCredential(t: Pick<TargetRecord, 'outcome' | 'leftovers'>): boolean {
  return !(t.outcome === 'succeeded' || t.outcome === 'succeeded-reboot-required') || t.leftovers !== null;
}

/**
 * The targets a rebind touches: the chosen targets; a task's targets that need a credential; or
 * the targets of the chosen computers that need one and whose credential is gone. A running push
 * keeps the credential it started with.
 */
export function rebindCandidates(
  scope: RebindScope,
  read: {
    target(id: number): TargetRecord | undefined;
    targetsOfTask(taskId: number): TargetRecord[];
    targetsOfComputers(ids: readonly number[]): TargetRecord[];
    isRunning(targetId: number): boolean;
    credentialGone(t: TargetRecord): boolean;
  },
): TargetRecord[] {
  let candidates: TargetRecord[];
  if (scope.targetIds) candidates = scope.targetIds.flatMap((id) => read.target(id) ?? []);
  else if (scope.taskId !== undefined) candidates = read.targetsOfTask(scope.taskId).filter(needsCredential);
  else candidates = read.targetsOfComputers(scope.computerIds ?? []).filter((t) => needsCredential(t) && read.credentialGone(t));
  return candidates.filter((t) => !read.isRunning(t.id) && (t.state === 'queued' || t.state === 'waiting-for-credentials' || t.state === 'done'));
}
