// A console's own connection to a Push Install Server and the server's audit trail, as the console
// answers them on its own store. The connection itself (server.connect and the rest) is the
// services' server link (main/app/serverLink.ts), which replaces these defaults; handlers made
// without one say so. The audit trail is kept by a server only: asked of a console working on its
// own store, audit.* answer needs-server (connected, they go to the server like every channel).
import { ConsoleError } from '../../ipc/errors.js';
import type { ServerStatus } from '../../ipc/contract.js';
import type { DomainHandlers } from './common.js';

export const LOCAL_STATUS: ServerStatus = { state: 'local', url: null, user: null, role: null, fingerprint: null, lastError: null, attempts: 0, nextAttemptAt: null };

function noAuditTrail(): never {
  throw new ConsoleError(
    'needs-server',
    'The audit trail is kept by a Push Install Server, and this console is not connected to one: it works on its own store, whose changes are not audited.',
  );
}

function noLink(): never {
  throw new ConsoleError('local-only', 'These handlers were made without a connection to servers.', 'Use the console\'s own window (File → Connect to Server…).');
}

export function createServerHandlers(): DomainHandlers<'server'> {
  return {
    'server.connect': () => noLink(),
    'server.disconnect': () => LOCAL_STATUS,
    'server.status': () => LOCAL_STATUS,
  };
}

export function createAuditHandlers(): DomainHandlers<'audit'> {
  return {
    'audit.list': () => noAuditTrail(),
    'audit.exportCsv': () => noAuditTrail(),
  };
}
