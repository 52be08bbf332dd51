// Targets (one computer's push within a task): the step log and MSI log, cancelling one, and
// what pushes left on computers — the Leftovers window and Remove Leftovers on one target.
import { ConsoleError } from '../../ipc/errors.js';
import { leftoverItems, type Leftovers } from '../../engine/cleanup.js';
import { pushEngine, type DomainHandlers, type HandlerDeps } from './common.js';

/** Why Remove Leftovers did not try, as the error the admin reads. */
export function leftoversRefusal(why: 'credentials-missing' | 'not-ended', computer: string): ConsoleError {
  return why === 'credentials-missing'
    ? new ConsoleError('credentials-missing', `${computer}: no credentials are held for it now, so what the push left there cannot be removed.`, 'Use Set Credentials… on this computer: what the push left is then removed at once.')
    : new ConsoleError('target-running', `${computer}: its push is still running; Remove Leftovers only cleans after pushes that ended.`, 'Wait for the push to end, or Cancel it: a cancelled push cleans up after itself.');
}

export function createTargetsHandlers(deps: HandlerDeps): DomainHandlers<'targets'> {
  return {
    'targets.cancel': ({ targetId }) => {
      pushEngine(deps).cancelTarget(targetId);
      return { ok: true };
    },
    'targets.cancelRestart': async ({ targetId }) => {
      const t = deps.tasks.targetRecord(targetId);
      if (!t) throw new ConsoleError('not-found', `Target ${targetId} does not exist.`, 'Refresh Installation History.');
      if (t.restart_state !== 'scheduled') {
        throw new ConsoleError('task', `${t.computer_name} has no restart pending${t.restart_state ? ` (${t.restart_state})` : ''}.`, 'Cancel Restart works while a restart is scheduled and the computer has not gone down yet.');
      }
      return { ok: await pushEngine(deps).cancelRestart(targetId) };
    },
    'targets.removeLeftovers': async ({ targetId }) => {
      const result = await pushEngine(deps).removeLeftovers(targetId);
      if (result.refused) throw leftoversRefusal(result.refused, deps.tasks.targetRecord(targetId)?.computer_name ?? `target ${targetId}`);
      return { remaining: result.left ? JSON.stringify(result.left) : null };
    },
    'leftovers.list': () => {
      // Only the names of the tasks that left something (tasks.list() would count every target of every task).
      const names = new Map<number, string>();
      const taskName = (id: number) => names.get(id) ?? names.set(id, deps.tasks.task(id)?.name ?? `Task ${id}`).get(id)!;
      return deps.tasks.targetsWithLeftovers().map((t) => ({
        targetId: t.id,
        taskId: t.task_id,
        taskName: taskName(t.task_id),
        computerId: t.computer_id,
        computerName: t.computer_name,
        items: leftoverItems(JSON.parse(t.leftovers!) as Leftovers),
        since: t.finished_at,
        credentialAvailable: t.credential_id !== null && deps.vault.held(t.credential_id),
      }));
    },
    'targets.msiLog': ({ targetId }) => ({ log: deps.tasks.targetRecord(targetId)?.msi_log ?? null }),
    'targets.log': ({ targetId }) => deps.tasks.log(targetId),
  };
}
