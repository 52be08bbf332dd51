// The server's side of the contract for one connection: the caller's role checked on every call
// before anything runs (roles.ts — hiding a button in the console is not enforcement), then the
// console's own router (validation, handler, result parsing), then one audit row for every change
// that succeeded (audit.ts): when, who, from which address, what, on which ids.
import { isChannelName } from '../ipc/contract.js';
import { ConsoleError, toIpcError } from '../ipc/errors.js';
import type { IpcRouter } from '../ipc/router.js';
import type { Caller } from '../browser/bridgeServer.js';
import { auditEntryFor, type AuditRepo } from './audit.js';
import { mayCall, requiredRole } from './roles.js';

export function serverRouter(base: IpcRouter, caller: Caller, audit: AuditRepo, log: (line: string) => void): IpcRouter {
  return {
    async dispatch(channel, payload, sender) {
      const principal = caller.principal;
      if (!principal) {
        return { ok: false, error: toIpcError(new ConsoleError('forbidden', 'The server answers signed-in accounts only.', 'Sign in to the Push Install Server.')) };
      }
      if (isChannelName(channel) && !mayCall(principal.role, channel)) {
        return {
          ok: false,
          error: toIpcError(
            new ConsoleError(
              'forbidden',
              `${principal.user} (${principal.role}) may not do ${channel}: it needs the ${requiredRole[channel]} role.`,
              'Ask an administrator of the Push Install Server to do it, or to give your account that role.',
            ),
          ),
        };
      }
      const envelope = await base.dispatch(channel, payload, sender);
      if (envelope.ok && isChannelName(channel)) {
        const entry = auditEntryFor(channel, payload as never, envelope.result as never);
        try {
          if (entry) audit.record({ user: principal.user, address: caller.address, ...entry });
        } catch (error) {
          // The change is done; its row could not be written (the database went away): said loudly, not lost silently.
          log(`AUDIT ROW NOT WRITTEN for ${principal.user} ${channel} ${JSON.stringify(entry?.ids ?? [])}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      return envelope;
    },
  };
}
