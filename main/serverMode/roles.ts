// What each role of a Push Install Server account may call: every IPC channel of the contract
// (main/ipc/contract.ts) names the least role that may call it, and the roles are ordered
// viewer < operator < administrator (each may do what the one below may). `requiredRole` is a
// Record over ChannelName, so a channel added to the contract does not compile until it is given
// a role here.
//
// | role          | may call                                                                      |
// |---------------|-------------------------------------------------------------------------------|
// | viewer        | reading what the server holds: app.info; computers.list, credentials.list     |
// |               | (who, never a secret), packages.list, tasks.list, tasks.targets,              |
// |               | tasks.targetsById, targets.log, targets.msiLog, leftovers.list, settings.get, |
// |               | sites.list, workers.list; history.exportCsv and history.exportLogs (the same  |
// |               | data, exported)                                                               |
// | operator      | + everything that changes computers, credentials, packages and tasks, or     |
// |               | reaches out from the server: computers.add/remove/setGroup/preview/           |
// |               | previewFile/getInfo/diagnose/removeLeftovers/setSite (Set Site…);             |
// |               | credentials.set/setLaps/remove/test/rebind; packages.inspect/create/          |
// |               | duplicate/remove; tasks.create/cancel/retryFailed/redeploy/restartComputers;  |
// |               | targets.cancel/cancelRestart/                                                 |
// |               | removeLeftovers; scan.start/cancel; directory.search; files.list,             |
// |               | files.chooseNative                                                            |
// | administrator | + settings.update and app.networkAddresses (only Configuration's callback     |
// |               | address uses it); the audit trail: audit.list, audit.exportCsv; the server's  |
// |               | own actions: users.*; the sites and their rules: sites.add/update/remove      |
//
// server.connect, server.disconnect and server.status are a console's own (its connection to a
// server): a server refuses them whatever the role (serverRouter.ts, class local-only), so their
// role here is only what the table must say: viewer, as any account's console has them.
//
// Choices worth saying: packages.inspect, computers.previewFile and files.list read files on the
// server's disk by path, so they are operator's (the steps before creating a package or adding
// computers), not a viewer's reading; computers.preview only parses text but is the first step of
// adding computers, so it goes with computers.add; computers.getInfo writes what a computer tells
// (domain, OS) into the store; directory.search carries a directory password and reaches the
// network. What a viewer may not call is refused before its handler runs (ConsoleError
// 'forbidden', forbiddenError below).
import type { ChannelName } from '../ipc/contract.js';
import { ConsoleError } from '../ipc/errors.js';
import { isRole, type Role } from './users.js';

export type { Role } from './users.js';

export const requiredRole: Record<ChannelName, Role> = {
  // app: the console itself
  'app.info': 'viewer',
  'app.networkAddresses': 'administrator',
  'files.list': 'operator',
  'files.chooseNative': 'operator',
  'scan.start': 'operator',
  'scan.cancel': 'operator',
  'directory.search': 'operator',
  // computers
  'computers.list': 'viewer',
  'computers.add': 'operator',
  'computers.remove': 'operator',
  'computers.preview': 'operator',
  'computers.previewFile': 'operator',
  'computers.setGroup': 'operator',
  'computers.getInfo': 'operator',
  'computers.diagnose': 'operator',
  'computers.removeLeftovers': 'operator',
  // credentials
  'credentials.list': 'viewer',
  'credentials.set': 'operator',
  'credentials.setLaps': 'operator',
  'credentials.remove': 'operator',
  'credentials.test': 'operator',
  'credentials.rebind': 'operator',
  // packages
  'packages.list': 'viewer',
  'packages.inspect': 'operator',
  'packages.create': 'operator',
  'packages.duplicate': 'operator',
  'packages.remove': 'operator',
  // tasks
  'tasks.list': 'viewer',
  'tasks.targets': 'viewer',
  'tasks.targetsById': 'viewer',
  'tasks.create': 'operator',
  'tasks.restartComputers': 'operator',
  'tasks.cancel': 'operator',
  'tasks.retryFailed': 'operator',
  'tasks.redeploy': 'operator',
  // targets and leftovers
  'targets.log': 'viewer',
  'targets.msiLog': 'viewer',
  'leftovers.list': 'viewer',
  'targets.cancel': 'operator',
  'targets.cancelRestart': 'operator',
  'targets.removeLeftovers': 'operator',
  // history
  'history.exportCsv': 'viewer',
  'history.exportLogs': 'viewer',
  // settings
  'settings.get': 'viewer',
  'settings.update': 'administrator',
  // a console's own connection: never answered by a server (serverRouter.ts refuses them)
  'server.connect': 'viewer',
  'server.disconnect': 'viewer',
  'server.status': 'viewer',
  // the server's audit trail
  'audit.list': 'administrator',
  'audit.exportCsv': 'administrator',
  // sites: reading them is a viewer's, changing their rules an administrator's (they decide where
  // every computer is pushed from); putting computers in a site by hand goes with computers' changes
  'sites.list': 'viewer',
  'workers.list': 'viewer',
  'sites.add': 'administrator',
  'sites.update': 'administrator',
  'sites.remove': 'administrator',
  'computers.setSite': 'operator',
};

/** The server's own actions, outside the console's contract: managing accounts (the audit trail is read through the contract's audit.*). */
export const serverActionRole = {
  'users.list': 'administrator',
  'users.add': 'administrator',
  'users.setRole': 'administrator',
  'users.setPassword': 'administrator',
  'users.setDisabled': 'administrator',
  'users.remove': 'administrator',
} as const satisfies Record<string, Role>;
export type ServerAction = keyof typeof serverActionRole;

const RANK: Readonly<Record<Role, number>> = { viewer: 0, operator: 1, administrator: 2 };

/** The least role for a channel or server action; null for a name that is neither. */
export function roleFor(action: string): Role | null {
  if (Object.prototype.hasOwnProperty.call(requiredRole, action)) return requiredRole[action as ChannelName];
  if (Object.prototype.hasOwnProperty.call(serverActionRole, action)) return serverActionRole[action as ServerAction];
  return null;
}

/** Whether an account of this role may call the channel (or server action); an unknown name or role may call nothing. */
export function mayCall(role: Role, channel: ChannelName | ServerAction): boolean {
  const needed = roleFor(channel);
  return needed !== null && isRole(role) && RANK[role] >= RANK[needed];
}

/** What a call the role may not make answers. */
export function forbiddenError(role: Role, channel: string): ConsoleError {
  const needed = roleFor(channel);
  const message = needed
    ? `A ${role} may not call ${channel}: it needs the role ${needed}.`
    : `${channel.slice(0, 80)} is not something an account may call.`;
  return new ConsoleError('forbidden', message, undefined, needed ? `needs-${needed}` : null);
}
