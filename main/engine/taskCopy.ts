// Retry Failed and Redeploy: a new task with some targets of an old one — the failed, interrupted
// and cancelled ones, or all — same package and options, each with the credential it had. Refused,
// with nothing started, when a target's credential is gone or only its NT hash is kept where the
// password is needed: the window asks for credentials and runs the action again.
import { ConsoleError } from '../ipc/errors.js';
import type { TargetRecord, TasksRepo } from '../store/tasksRepo.js';
import type { CredentialProblem } from './credentialBinding.js';
import type { NewTaskInput, TaskOptions } from './engineTypes.js';
import type { RebootPolicy } from '../ipc/contract.js';

export interface TaskCopyDeps {
  readonly tasks: Pick<TasksRepo, 'task' | 'targetRecords'>;
  credentialProblem(t: TargetRecord, options: TaskOptions): CredentialProblem | null;
  submit(input: NewTaskInput): number;
}

const WHICH: Record<'retry' | 'redeploy' | 'restart', { prefix: string; take: (t: TargetRecord) => boolean }> = {
  retry: { prefix: 'Retry of', take: (t) => t.outcome === 'failed' || t.outcome === 'interrupted' || t.outcome === 'cancelled' },
  redeploy: { prefix: 'Redeploy of', take: () => true },
  // Restart Computers…: the computers still waiting for the restart their install needs.
  restart: { prefix: 'Restart after', take: (t) => t.reboot_required === 1 && !['scheduled', 'restarting', 'restarted', 'left-to-msiexec'].includes(t.restart_state ?? '') },
};

/** A restart task: the action restart (no msiexec), as SYSTEM, with the policy; only the given targets when named. */
export interface RestartCopy {
  readonly reboot: RebootPolicy;
  readonly targetIds?: readonly number[] | undefined;
}

/** The new task's id, or null when no target qualifies. */
export function copyTask(taskId: number, kind: 'retry' | 'redeploy' | 'restart', d: TaskCopyDeps, restart?: RestartCopy): number | null {
  const task = d.tasks.task(taskId);
  if (!task || task.package_id === null) throw new ConsoleError('task', `Task ${taskId} does not exist or has no package.`, 'Pick another task.');
  const named = restart?.targetIds ? new Set(restart.targetIds) : null;
  const targets = d.tasks.targetRecords(taskId).filter((t) => WHICH[kind].take(t) && (!named || named.has(t.id)));
  if (targets.length === 0) return null;
  const original = JSON.parse(task.options_json) as TaskOptions;
  const options: TaskOptions = restart ? { ...original, action: 'restart', runAs: 'system', reboot: restart.reboot } : original;
  const missing = targets.filter((t) => d.credentialProblem(t, options) !== null);
  if (missing.length) {
    const first = d.credentialProblem(missing[0]!, options)!;
    throw new ConsoleError(
      first.kind === 'missing' ? 'credentials-missing' : 'credentials-hash-only',
      `${missing.length} of the ${targets.length} computer(s) have no usable credentials (${first.why}); nothing was started.`,
      first.kind === 'missing' ? 'Use Set Credentials… on the task, then try again.' : 'Use Set Credentials… on the task with a credential that keeps the password (or install as SYSTEM), then try again.',
    );
  }
  return d.submit({
    name: `${WHICH[kind].prefix} ${task.name}`,
    packageId: task.package_id,
    options,
    targets: targets.map((t) => ({ computerId: t.computer_id, computerName: t.computer_name, address: t.address, port: t.port, credentialId: t.credential_id })),
  });
}
