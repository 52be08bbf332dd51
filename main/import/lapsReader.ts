// A computer's own local Administrator password, read from Active Directory when a push starts
// (docs/PROTOCOLS.md §10.1): Windows LAPS's msLAPS-Password, else legacy LAPS's ms-Mcs-AdmPwd
// (MS-ADA2 2.64–2.71; lapsParse.ts decides which). Over LDAPS, or LDAP with StartTLS (RFC 4511
// §4.14), never in clear; a simple bind. The connection goes through the same wire guard as the
// directory import (ldapWireGuard.ts), and every failure is a ConsoleError: the laps-* classes, or
// the directory-* ones for the connection, the bind and TLS (directoryErrors.ts). Neither the
// password read nor the bind password ever appears in an error's text.
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { Client, ResultCodeError, SizeLimitExceededError, type Entry } from 'ldapts';
import { ConsoleError } from '../ipc/errors.js';
import { registerSecret } from '../smb/auth/secretRegistry.js';
import { asConsoleError } from './directoryErrors.js';
import { ambiguous, lapsSearches, lapsSecretFromEntry, LAPS_READ_ATTRIBUTES, MSLAPS_ENCRYPTED_PASSWORD, notFound, pickComputer, printable, type LapsEntry, type LapsSecret, type LapsSearch, type LapsTarget } from './lapsParse.js';
import { WireGuard } from './ldapWireGuard.js';

export { DEFAULT_LEGACY_ACCOUNT, dateToFileTime, escapeFilterValue, fileTimeToDate, hexFileTimeToDate, lapsSearches, lapsSecretFromEntry, parseWindowsLapsJson } from './lapsParse.js';
export type { LapsSecret, LapsTarget } from './lapsParse.js';

export interface LapsDirectory {
  /** ldaps://dc01.corp.example (636), or ldap://dc01.corp.example (389) with startTls. */
  readonly url: string;
  /** Where the computer objects are searched (the subtree): the domain, e.g. DC=corp,DC=example. */
  readonly baseDn: string;
  /** The reading account: a DN or user@domain. */
  readonly bindDn: string;
  readonly password: string;
  /** Upgrade an ldap:// connection with StartTLS before the bind (required for ldap://). */
  readonly startTls?: boolean | undefined;
  /** Accept a certificate nobody vouches for (a lab directory). */
  readonly allowUntrusted?: boolean | undefined;
  /** CA certificates (PEM) trusted besides Node's own: the domain's CA. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[] | undefined;
  /** A PEM file of CA certificates, trusted as `ca`. */
  readonly caFile?: string | undefined;
  /** The built-in Administrator's name for legacy LAPS, when renamed (default Administrator). */
  readonly legacyAccount?: string | undefined;
  /** Connect, StartTLS, bind, each search: 15 s by default. */
  readonly timeoutMs?: number | undefined;
  /** The whole read, connect to last answer: 30 s by default. */
  readonly deadlineMs?: number | undefined;
}

/** Entries one search may bring: enough to pick NAME$ among a few same-named objects. */
const SEARCH_SIZE_LIMIT = 10;

/**
 * The target's LAPS password, read with the directory account: found by DNS name (dNSHostName),
 * else by NetBIOS name (cn, sAMAccountName NAME$). An expired one is returned with expired: true.
 * Throws a ConsoleError: laps-not-found, laps-ambiguous, laps-missing, laps-denied,
 * laps-encrypted, laps-malformed; directory-logon, -base, -unreachable, -tls, -timeout, -closed,
 * -protocol, -too-large, directory (another LDAP result code); invalid-request (no name, or
 * ldap:// without StartTLS); file (caFile); cancelled (the signal, e.g. the push's cancel).
 */
export async function readLapsPassword(dir: LapsDirectory, target: LapsTarget, options: { signal?: AbortSignal | undefined } = {}): Promise<LapsSecret> {
  registerSecret(dir.password);
  const cancelled = () => new ConsoleError('cancelled', 'Reading the LAPS password was cancelled.');
  if (options.signal?.aborted) throw cancelled();
  const searches = lapsSearches(target);
  const { secure, host } = transport(dir);
  const ca = trustedCas(dir);
  const timeout = dir.timeoutMs ?? 15_000;
  const deadlineMs = dir.deadlineMs ?? 30_000;
  let rejectFailed: (error: ConsoleError) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => (rejectFailed = reject));
  failed.catch(() => undefined);
  const guard = new WireGuard(dir.url, (error) => rejectFailed(error));
  const deadline = setTimeout(
    () => guard.fail(new ConsoleError('directory-timeout', `Reading the LAPS password from ${dir.url} did not finish within ${Math.round(deadlineMs / 1000)} s.`, 'Check that the directory server is not overloaded, and retry.')),
    deadlineMs,
  );
  const onAbort = () => guard.fail(cancelled());
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const tlsOptions: tls.ConnectionOptions = { rejectUnauthorized: !dir.allowUntrusted, ...(ca ? { ca } : {}) };
  let client: Client | null = null;
  try {
    const work = (async () => {
      client = guardedClient(dir, secure, tlsOptions, timeout, guard);
      if (!secure) await startTls(client, dir, host, tlsOptions);
      await client.bind(dir.bindDn, dir.password);
      return findComputer(client, dir, searches);
    })();
    work.catch(() => undefined);
    const entry = await Promise.race([work, failed]);
    if (guard.failure) throw guard.failure;
    const secret = lapsSecretFromEntry(entry, { legacyAccount: dir.legacyAccount });
    registerSecret(secret.password);
    return secret;
  } catch (error) {
    throw guard.failure ?? asConsoleError(error, dir);
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onAbort);
    const open = client as Client | null;
    if (open && !guard.failure) await politeUnbind(open, timeout);
    guard.destroy();
  }
}

/** LDAPS, or LDAP that StartTLS will upgrade: a LAPS password never crosses the network in clear. */
function transport(dir: LapsDirectory): { secure: boolean; host: string } {
  let url: URL;
  try {
    url = new URL(dir.url);
  } catch {
    throw new ConsoleError('invalid-request', `${printable(dir.url)} is not a directory URL.`, 'Give the directory as ldaps://server (port 636), or ldap://server (389) with StartTLS.');
  }
  const scheme = url.protocol.toLowerCase();
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (scheme === 'ldaps:') {
    if (dir.startTls) throw new ConsoleError('invalid-request', `StartTLS is for ldap:// URLs; ${printable(dir.url)} is LDAPS already.`, 'Use ldaps://server without StartTLS, or ldap://server with StartTLS.');
    return { secure: true, host };
  }
  if (scheme !== 'ldap:') throw new ConsoleError('invalid-request', `${printable(dir.url)} is not an ldap:// or ldaps:// URL.`, 'Give the directory as ldaps://server (port 636), or ldap://server (389) with StartTLS.');
  if (!dir.startTls) {
    throw new ConsoleError('invalid-request', `LAPS passwords are not read over plain LDAP (${printable(dir.url)} without StartTLS).`, 'Use ldaps://server (port 636), or turn StartTLS on for ldap://server: a LAPS password never crosses the network in clear.');
  }
  return { secure: false, host };
}

function trustedCas(dir: LapsDirectory): (string | Buffer)[] | null {
  const given = dir.ca === undefined ? [] : Array.isArray(dir.ca) ? [...(dir.ca as readonly (string | Buffer)[])] : [dir.ca as string | Buffer];
  if (dir.caFile) {
    try {
      given.push(fs.readFileSync(dir.caFile));
    } catch (error) {
      throw new ConsoleError('file', `The CA certificate file ${printable(dir.caFile)} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, 'Choose a readable PEM file with the directory\'s CA certificate.', (error as NodeJS.ErrnoException).code ?? null);
    }
  }
  return given.length ? [...tls.rootCertificates, ...given] : null;
}

/** An ldapts client whose one connection (plain, LDAPS, or StartTLS over plain) is made through the guard. */
function guardedClient(dir: LapsDirectory, secure: boolean, tlsOptions: tls.ConnectionOptions, timeout: number, guard: WireGuard): Client {
  const createSecureConnection = (...args: unknown[]) => {
    // StartTLS: ldapts passes one options object whose `socket` is the connection to upgrade.
    if (typeof args[0] === 'object' && args[0] !== null) {
      const options = args[0] as tls.ConnectionOptions;
      return guard.upgrade(options.socket, () => tls.connect(options));
    }
    const [port, host, options] = args as [number, string, tls.ConnectionOptions];
    return guard.watch(() => tls.connect(port, host, options));
  };
  return new Client({
    url: dir.url,
    timeout,
    connectTimeout: timeout,
    createConnection: ((port: number, host: string) => guard.watch(() => net.connect(port, host))) as typeof net.connect,
    createSecureConnection: createSecureConnection as typeof tls.connect,
    ...(secure ? { tlsOptions } : {}),
  });
}

/** RFC 4511 §4.14 / RFC 4513 §3: the extended operation, then TLS over the same connection, checked as LDAPS is. */
async function startTls(client: Client, dir: LapsDirectory, host: string, tlsOptions: tls.ConnectionOptions): Promise<void> {
  try {
    // servername only for a name: SNI carries no address (RFC 6066 §3); host is what the certificate must name.
    await client.startTLS({ ...tlsOptions, host, ...(net.isIP(host) ? {} : { servername: host }) });
  } catch (error) {
    if (error instanceof ResultCodeError) {
      throw new ConsoleError('directory-tls', `The directory at ${printable(dir.url)} refused StartTLS (LDAP ${error.code}).`, 'Give the domain controller a certificate for LDAP over TLS, or use ldaps:// on port 636.', `LDAP ${error.code}`);
    }
    throw error;
  }
}

/** The first search that finds the computer decides: one object, or NAME$ among several; none guessed at. */
async function findComputer(client: Client, dir: LapsDirectory, searches: readonly LapsSearch[]): Promise<LapsEntry> {
  for (const search of searches) {
    let entries: Entry[];
    try {
      ({ searchEntries: entries } = await client.search(dir.baseDn, {
        scope: 'sub',
        filter: search.filter,
        attributes: [...LAPS_READ_ATTRIBUTES],
        explicitBufferAttributes: [MSLAPS_ENCRYPTED_PASSWORD],
        sizeLimit: SEARCH_SIZE_LIMIT,
      }));
    } catch (error) {
      if (error instanceof SizeLimitExceededError) throw ambiguous(search, null);
      throw error;
    }
    const found = pickComputer(search, entries.map(toLapsEntry));
    if (found) return found;
  }
  throw notFound(searches);
}

function toLapsEntry(e: Entry): LapsEntry {
  const attributes = new Map<string, (string | Buffer)[]>();
  for (const [name, value] of Object.entries(e)) {
    if (name === 'dn') continue;
    const values = (Array.isArray(value) ? value : [value]) as (string | Buffer)[];
    attributes.set(name.toLowerCase(), [...(attributes.get(name.toLowerCase()) ?? []), ...values]);
  }
  return { dn: String(e.dn), attributes };
}

/** A polite unbind, bounded: the server may never read it. */
async function politeUnbind(client: Client, timeout: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.unbind().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, Math.min(timeout, 1000))))]);
  clearTimeout(timer);
}
