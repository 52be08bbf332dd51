// Active Directory import (docs/PROTOCOLS.md §10) over LDAP or LDAPS with ldapts: bind with the
// given account, search the base DN (or an OU under it) for computer objects, and return their
// names, DNS names and operating systems. The filter is AD's (objectClass=computer); the test
// directory (test/support/slapd.ts) loads a minimal schema with AD's OIDs for computer, dNSHostName
// and operatingSystem, so the same query runs against both.
//
// Bounded against a broken or hostile server (test/interop/ldapFuzz.test.ts): each step
// (connect, bind, each page) within `timeoutMs` and the whole search within `deadlineMs`. A wire
// guard (ldapWireGuard.ts) stands between the socket and ldapts and checks every message against
// RFC 4511's grammar (ldapGrammar.ts) and the limits in directoryLimits.ts (ldapts spins, aborts
// the process or waits for ever on some malformed or endless answers). A connection the server
// closes is never silently reopened (ldapts would reconnect and search unbound). Every failure is
// a ConsoleError with a class and advice (directoryErrors.ts).
import net from 'node:net';
import tls from 'node:tls';
import { Client, type Entry } from 'ldapts';
import type { DirectoryComputer } from '../ipc/contract.js';
import { ConsoleError } from '../ipc/errors.js';
import { asConsoleError } from './directoryErrors.js';
import { MAX_DIRECTORY_COMPUTERS, MAX_DIRECTORY_RESULTS } from './directoryLimits.js';
import { WireGuard } from './ldapWireGuard.js';

export { MAX_DIRECTORY_BYTES, MAX_DIRECTORY_COMPUTERS, MAX_DIRECTORY_MESSAGE_BYTES, MAX_DIRECTORY_RESULTS } from './directoryLimits.js';

export interface DirectoryQuery {
  readonly url: string;
  readonly baseDn: string;
  readonly bindDn: string;
  readonly password: string;
  readonly ou?: string | undefined;
  readonly allowUntrusted?: boolean | undefined;
  /** Connect, and each LDAP operation (bind, each page of the search): 15 s by default. */
  readonly timeoutMs?: number;
  /** The whole search, connect to last entry: 60 s by default. */
  readonly deadlineMs?: number;
}

function first(value: unknown): string | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === null) return null;
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

export async function searchDirectoryComputers(q: DirectoryQuery): Promise<{ computers: DirectoryComputer[]; truncated: boolean }> {
  const timeout = q.timeoutMs ?? 15_000;
  const deadlineMs = q.deadlineMs ?? 60_000;
  let rejectFailed: (error: ConsoleError) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => (rejectFailed = reject));
  failed.catch(() => undefined);
  const guard = new WireGuard(q.url, (error) => rejectFailed(error));
  const deadline = setTimeout(
    () => guard.fail(new ConsoleError('directory-timeout', `The directory search at ${q.url} did not finish within ${Math.round(deadlineMs / 1000)} s.`, 'Check that the server is not overloaded, and narrow the search with an OU.')),
    deadlineMs,
  );
  let client: Client | null = null;
  try {
    const work = (async () => {
      client = guardedClient(q, timeout, guard);
      await client.bind(q.bindDn, q.password);
      return client.search(q.ou?.trim() || q.baseDn, {
        scope: 'sub',
        filter: '(objectClass=computer)',
        attributes: ['cn', 'name', 'dNSHostName', 'operatingSystem', 'operatingSystemVersion'],
        sizeLimit: MAX_DIRECTORY_RESULTS,
        paged: { pageSize: 500 },
      });
    })();
    work.catch(() => undefined);
    const { searchEntries } = await Promise.race([work, failed]);
    if (guard.failure) throw guard.failure;
    return { computers: searchEntries.slice(0, MAX_DIRECTORY_COMPUTERS).map(toComputer), truncated: searchEntries.length > MAX_DIRECTORY_COMPUTERS };
  } catch (error) {
    throw guard.failure ?? asConsoleError(error, q);
  } finally {
    clearTimeout(deadline);
    const open = client as Client | null;
    if (open && !guard.failure) await politeUnbind(open, timeout);
    guard.socket?.destroy();
  }
}

/** An ldapts client whose sockets (LDAP or LDAPS) are made through the guard: one connection per search. */
function guardedClient(q: DirectoryQuery, timeout: number, guard: WireGuard): Client {
  const secure = q.url.toLowerCase().startsWith('ldaps:');
  return new Client({
    url: q.url,
    timeout,
    connectTimeout: timeout,
    createConnection: ((port: number, host: string) => guard.watch(() => net.connect(port, host))) as typeof net.connect,
    createSecureConnection: ((port: number, host: string, options: tls.ConnectionOptions) => guard.watch(() => tls.connect(port, host, options))) as typeof tls.connect,
    ...(secure ? { tlsOptions: { rejectUnauthorized: !q.allowUntrusted } } : {}),
  });
}

function toComputer(e: Entry): DirectoryComputer {
  const dn = String(e.dn);
  const dnsName = first(e.dNSHostName);
  const name = first(e.cn) ?? first(e.name) ?? dnsName?.split('.')[0] ?? dn;
  const os = [first(e.operatingSystem), first(e.operatingSystemVersion)].filter(Boolean).join(' ') || null;
  return { name, dnsName, os, dn };
}

/** A polite unbind, bounded: the server may never read it. */
async function politeUnbind(client: Client, timeout: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.unbind().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, Math.min(timeout, 1000))))]);
  clearTimeout(timer);
}
