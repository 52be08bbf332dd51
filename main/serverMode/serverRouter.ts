// The server's side of the contract for one connection: the caller's role checked on every call
// before anything runs (roles.ts — hiding a button in the console is not enforcement), then the
// console's own router (validation, handler, result parsing), then one audit row for every change
// that succeeded (audit.ts): when, who, from which address, what, on which ids.
//
// What only the server can answer is answered here: app.info says who the caller is on this
// server (its `server` field), and audit.list / audit.exportCsv read the server's audit trail (a
// console's own handlers refuse them). A console's own connection channels (server.*) are refused:
// a server does not connect onwards to another server.
import { isChannelName, type AppInfo, type ChannelName } from '../ipc/contract.js';
import { ConsoleError, toIpcError } from '../ipc/errors.js';
import { createRouter, type Handlers, type IpcRouter } from '../ipc/router.js';
import type { Caller } from '../browser/bridgeServer.js';
import { auditEntryFor, auditHandlers, type AuditRepo } from './audit.js';
import { mayCall, requiredRole } from './roles.js';

/** What the server knows of itself for app.info's `server` field. */
export interface ServerSelf {
  /** SHA-256 of the server's certificate (certificate.ts form); empty when not given. */
  readonly fingerprint?: string;
  /** After a change: the lists it touched, for every console to read again (event data.changed). */
  readonly changed?: (lists: ChangedList[]) => void;
}

export type ChangedList = 'computers' | 'credentials' | 'packages' | 'tasks' | 'settings' | 'sites';

/** The lists a successful change of this channel touches. */
export function listsChangedBy(channel: ChannelName): ChangedList[] {
  const domain = channel.slice(0, channel.indexOf('.'));
  if (channel === 'computers.removeLeftovers') return ['tasks', 'computers'];
  // A site's rules move computers; Set Site… changes the sites' counts.
  if (domain === 'sites' || channel === 'computers.setSite') return ['computers', 'sites'];
  if (domain === 'computers' || domain === 'scan') return ['computers'];
  if (domain === 'credentials') return ['credentials'];
  if (domain === 'packages') return ['packages'];
  if (domain === 'tasks' || domain === 'targets' || domain === 'leftovers') return ['tasks'];
  if (domain === 'settings') return ['settings'];
  return [];
}

const CONSOLE_ONLY: ReadonlySet<ChannelName> = new Set<ChannelName>(['server.connect', 'server.disconnect', 'server.status']);

export function serverRouter(base: IpcRouter, caller: Caller, audit: AuditRepo, log: (line: string) => void, self: ServerSelf = {}): IpcRouter {
  // The audit channels through the same validation and result parsing as every other channel.
  const trail = createRouter(auditHandlers(audit) as Handlers, () => true);
  return {
    async dispatch(channel, payload, sender) {
      const principal = caller.principal;
      if (!principal) {
        return { ok: false, error: toIpcError(new ConsoleError('forbidden', 'The server answers signed-in accounts only.', 'Sign in to the Push Install Server.')) };
      }
      if (isChannelName(channel) && CONSOLE_ONLY.has(channel)) {
        return {
          ok: false,
          error: toIpcError(new ConsoleError('local-only', `${channel} is a console's own action; a Push Install Server does not connect onwards to another server.`)),
        };
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
      if (channel === 'audit.list' || channel === 'audit.exportCsv') return trail.dispatch(channel, payload, sender);
      const envelope = await base.dispatch(channel, payload, sender);
      if (envelope.ok && channel === 'app.info') {
        // Who the caller is here, as this server names itself (the console puts the address it connected to).
        const info: AppInfo = { ...(envelope.result as AppInfo), server: { url: sender.url, user: principal.user, role: principal.role, fingerprint: self.fingerprint ?? '' } };
        return { ok: true, result: info };
      }
      if (envelope.ok && isChannelName(channel)) {
        const entry = auditEntryFor(channel, payload as never, envelope.result as never);
        try {
          if (entry) audit.record({ user: principal.user, address: caller.address, ...entry });
        } catch (error) {
          // The change is done; its row could not be written (the database went away): said loudly, not lost silently.
          log(`AUDIT ROW NOT WRITTEN for ${principal.user} ${channel} ${JSON.stringify(entry?.ids ?? [])}: ${error instanceof Error ? error.message : String(error)}`);
        }
        const lists = entry ? listsChangedBy(channel) : [];
        if (lists.length > 0) self.changed?.(lists);
      }
      return envelope;
    },
  };
}
