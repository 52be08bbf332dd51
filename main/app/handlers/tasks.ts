// Tasks: the History tab's list and a task's targets, the New Task wizard's create, and cancel,
// retry failed and redeploy on a whole task (the engine does the work).
import { ConsoleError } from '../../ipc/errors.js';
import { hashOnlyRefusal, qualifiedUser } from '../../engine/credentials.js';
import { installsAs } from '../../ipc/contract.js';
import { pushEngine, type DomainHandlers, type HandlerDeps } from './common.js';

/** A page without a limit: the contract's largest (MAX_TARGETS_PAGE). */
const DEFAULT_PAGE = 5_000;

export function createTasksHandlers(deps: HandlerDeps): DomainHandlers<'tasks'> {
  const queuePosition = (id: number) => deps.runtime()?.engine.queuePosition(id) ?? null;
  return {
    'tasks.list': () => deps.tasks.list(),
    'tasks.targets': ({ taskId, offset, limit }) => {
      if (offset === undefined && limit === undefined) return deps.tasks.targets(taskId, queuePosition);
      const from = offset ?? 0;
      const count = limit ?? DEFAULT_PAGE;
      if (!deps.targetIdPage) return deps.tasks.targets(taskId, queuePosition).slice(from, from + count);
      const ids = deps.targetIdPage(taskId, from, count);
      return ids.length === 0 ? [] : deps.tasks.targetsByIds(taskId, ids, queuePosition);
    },
    'tasks.targetsById': ({ taskId, targetIds }) => deps.tasks.targetsByIds(taskId, targetIds, queuePosition),
    'tasks.create': ({ name, packageId, scheduledAt, runAs, action, transport, reboot, targets }) => {
      const byId = new Map(deps.computers.list().map((c) => [c.id, c]));
      const missing = targets.filter((t) => !byId.has(t.computerId));
      if (missing.length) throw new ConsoleError('invalid-computer', `${missing.length} selected computer(s) no longer exist.`, 'Refresh the Computers tab and select again.');
      // The SMB transport installs as SYSTEM: an NT hash is enough for it.
      if (installsAs(runAs, transport) === 'admin') {
        const hashOnly = deps.vault.list().filter((c) => c.keeps === 'nt-hash' && targets.some((t) => t.credentialId === c.id));
        if (hashOnly.length) {
          const refusal = hashOnlyRefusal(hashOnly.map(qualifiedUser));
          throw new ConsoleError(refusal.errorClass, refusal.message, refusal.advice);
        }
      }
      const taskId = pushEngine(deps).submit({
        name,
        packageId,
        scheduledAt,
        options: { runAs, action: action ?? 'install', transport: transport ?? 'auto', ...(reboot && reboot.policy !== 'none' ? { reboot } : {}) },
        targets: targets.map((t) => {
          const c = byId.get(t.computerId)!;
          return { computerId: c.id, computerName: c.name, address: c.address, port: c.port, credentialId: t.credentialId };
        }),
      });
      return { taskId };
    },
    'tasks.restartComputers': ({ taskId, targetIds, reboot }) => {
      if (reboot.policy === 'none') throw new ConsoleError('invalid-request', 'Restart Computers… needs a restart policy other than "Don\'t restart".', 'Choose when the computers restart.');
      return { taskId: pushEngine(deps).restartComputers(taskId, reboot, targetIds) };
    },
    'tasks.cancel': ({ taskId }) => {
      pushEngine(deps).cancelTask(taskId);
      return { ok: true };
    },
    'tasks.retryFailed': ({ taskId }) => ({ taskId: pushEngine(deps).retryFailed(taskId) }),
    'tasks.redeploy': ({ taskId }) => ({ taskId: pushEngine(deps).redeploy(taskId) }),
  };
}
