// Active Directory import (DESIGN.md §1.1) over LDAP or LDAPS with ldapts: bind with the given
// account, search the base DN (or an OU under it) for computer objects, and return their names,
// DNS names and operating systems. The filter is AD's (objectClass=computer); the test directory
// (test/support/slapd.ts) loads a minimal schema with AD's OIDs for computer, dNSHostName and
// operatingSystem, so the same query runs against both.
//
// Bounded against a broken or hostile server (issue #9; test/interop/ldapFuzz.test.ts): each step
// (connect, bind, each page) within `timeoutMs` and the whole search within `deadlineMs`; a
// wire guard reads the framing of every message the server sends before ldapts does and refuses
// a message over 256 KiB (ldapts would buffer a declared 4 GiB message for ever), an answer to a
// message the console never sent (ldapts ignores it and waits), more than 10 001 entries (the
// server ignored the size limit: an endless stream) or more than 32 MiB in all; a connection the
// server closes is never silently reopened (ldapts would reconnect and search unbound). Every
// failure is a ConsoleError with a class and advice.
import net from 'node:net';
import tls from 'node:tls';
import { Client, InvalidCredentialsError, NoSuchObjectError, ResultCodeError } from 'ldapts';
import type { DirectoryComputer } from '../ipc/contract.js';
import { ConsoleError } from '../ipc/errors.js';

export const MAX_DIRECTORY_COMPUTERS = 10_000;
/** Search entries and references accepted in one search: the size limit asked of the server. */
export const MAX_DIRECTORY_RESULTS = MAX_DIRECTORY_COMPUTERS + 1;
/** One LDAP message from the server; a computer entry with five attributes is well under 4 KiB. */
export const MAX_DIRECTORY_MESSAGE_BYTES = 256 * 1024;
/** Everything the server sends in one search (10 001 entries of up to ~3 KiB each). */
export const MAX_DIRECTORY_BYTES = 32 * 1024 * 1024;

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

const protocolAdvice = 'The server at this address does not answer as an LDAP directory should. Check the URL (ldap:// and port 389, or ldaps:// and port 636) and that it is a domain controller or LDAP server.';

function protocolError(what: string): ConsoleError {
  return new ConsoleError('directory-protocol', `The directory sent a malformed answer: ${what}.`, protocolAdvice);
}

function asConsoleError(error: unknown, q: DirectoryQuery): ConsoleError {
  if (error instanceof ConsoleError) return error;
  if (error instanceof InvalidCredentialsError) {
    return new ConsoleError('directory-logon', `The directory refused the bind account ${q.bindDn || '(anonymous)'}.`, 'Check the account (a DN, or user@domain for Active Directory) and its password.', 'LDAP 49');
  }
  if (error instanceof NoSuchObjectError) {
    return new ConsoleError('directory-base', `The directory has no entry ${q.ou || q.baseDn}.`, 'Check the base DN (e.g. DC=corp,DC=example) and the OU.', 'LDAP 32');
  }
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 300);
  if (error instanceof ResultCodeError) {
    return new ConsoleError('directory', `The directory refused the search: ${message}`, 'Check the base DN, the OU and that the bind account may read computer objects.', `LDAP ${error.code}`);
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const errno = typeof code === 'string' ? code : null;
  if (errno === 'ECONNREFUSED' || errno === 'ETIMEDOUT' || errno === 'ENOTFOUND' || errno === 'EHOSTUNREACH' || errno === 'ENETUNREACH' || errno === 'EAI_AGAIN' || /^Connection timeout$/.test(message)) {
    return new ConsoleError('directory-unreachable', `The directory server ${q.url} did not answer (${errno ?? message}).`, 'Check the server name and port (389 for LDAP, 636 for LDAPS) and that a firewall lets the console reach it.', errno);
  }
  if (/certificate|self[- ]signed|CERT_/i.test(message) || (errno ?? '').startsWith('ERR_SSL') || (errno ?? '').startsWith('ERR_TLS')) {
    return new ConsoleError('directory-tls', `The directory's certificate is not trusted or TLS failed: ${message}`, 'Install the directory\'s CA certificate on this computer, or allow an untrusted certificate for a lab directory. Check that ldaps:// goes to the LDAPS port (636).', errno);
  }
  if (/Operation timed out/i.test(message)) {
    return new ConsoleError('directory-timeout', `The directory server ${q.url} accepted the connection but did not answer in time.`, 'Check that the address is the directory\'s LDAP port and that the server is not overloaded; narrow the search with an OU.', null);
  }
  if (errno === 'ECONNRESET' || errno === 'EPIPE' || /Connection closed|Socket error|Socket connection not established/i.test(message)) {
    return new ConsoleError('directory-closed', `The directory server ${q.url} closed the connection before it answered.`, 'Check the URL: ldap:// on port 389 or ldaps:// on port 636 (LDAPS on 389 or LDAP on 636 is closed by the server), and the server\'s logs.', errno);
  }
  // Whatever else ldapts throws comes from decoding the server's answer.
  return protocolError(message || 'unreadable message');
}

/** The framing of one LDAP message: SEQUENCE { messageID INTEGER, protocolOp [APPLICATION n] … }. */
interface Frame {
  readonly total: number; // header + content, or -1 when the header itself is malformed
  readonly problem?: string;
  readonly id?: number;
  readonly op?: number;
}

/** Reads a message's framing from its first bytes; null when more bytes are needed. */
function readFrame(b: Buffer, complete: boolean): Frame | null {
  if (b.length < 2) return complete ? { total: -1, problem: 'a message shorter than its header' } : null;
  if (b[0] !== 0x30) return { total: -1, problem: `a message starting with tag 0x${b[0]!.toString(16)} instead of a SEQUENCE` };
  const l = b[1]!;
  let contentLength: number;
  let at: number;
  if (l < 0x80) {
    contentLength = l;
    at = 2;
  } else {
    const n = l & 0x7f;
    if (n === 0) return { total: -1, problem: 'an indefinite length, which LDAP forbids' };
    if (n > 4) return { total: -1, problem: `a length of ${n} bytes` };
    if (b.length < 2 + n) return complete ? { total: -1, problem: 'a truncated length' } : null;
    contentLength = b.readUIntBE(2, n);
    at = 2 + n;
  }
  const total = at + contentLength;
  if (contentLength > MAX_DIRECTORY_MESSAGE_BYTES) return { total, problem: `a message of ${contentLength} bytes (at most ${MAX_DIRECTORY_MESSAGE_BYTES} are read)` };
  // messageID: INTEGER of 1..4 bytes, then the protocolOp's tag; not checked past the message's end.
  const end = Math.min(b.length, total);
  if (end < at + 2) return b.length >= total || complete ? { total } : null;
  if (b[at] !== 0x02 || b[at + 1]! < 1 || b[at + 1]! > 4) return { total };
  const idLength = b[at + 1]!;
  if (end < at + 2 + idLength + 1) return b.length >= total || complete ? { total } : null;
  return { total, id: b.readIntBE(at + 2, idLength), op: b[at + 2 + idLength]! };
}

const SEARCH_RESULT_ENTRY = 0x64;
const SEARCH_RESULT_REFERENCE = 0x73;
const HEADER_PEEK = 2 + 4 + 2 + 4 + 1;

/** Reads the framing of the server's byte stream ahead of ldapts and counts what it may accept. */
class WireGuard {
  bytes = 0;
  results = 0;
  failure: ConsoleError | null = null;
  private readonly sent = new Set<number>();
  private head: Buffer = Buffer.alloc(0);
  private skip = 0;

  constructor(private readonly onFailure: (error: ConsoleError) => void) {}

  fail(error: ConsoleError): void {
    if (this.failure) return;
    this.failure = error;
    this.onFailure(error);
  }

  /** A message the client writes (ldapts writes whole messages). */
  outgoing(data: unknown): void {
    if (!Buffer.isBuffer(data)) return;
    const frame = readFrame(data, true);
    if (frame?.id !== undefined) this.sent.add(frame.id);
  }

  incoming(chunk: Buffer): void {
    if (this.failure) return;
    this.bytes += chunk.length;
    if (this.bytes > MAX_DIRECTORY_BYTES) {
      this.fail(new ConsoleError('directory-too-large', `The directory sent more than ${MAX_DIRECTORY_BYTES / 1024 / 1024} MiB for one search.`, 'Narrow the search base: choose an OU with fewer computers.'));
      return;
    }
    this.scan(chunk);
  }

  private scan(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.failure) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      const take = Math.min(HEADER_PEEK - this.head.length, chunk.length - at);
      this.head = Buffer.concat([this.head, chunk.subarray(at, at + take)]);
      at += take;
      const frame = readFrame(this.head, this.head.length >= HEADER_PEEK);
      if (!frame) continue;
      if (frame.problem) return this.fail(protocolError(frame.problem));
      this.check(frame);
      // The peeked bytes may run past a short message into the next ones.
      const head = this.head;
      this.head = Buffer.alloc(0);
      this.skip = Math.max(0, frame.total - head.length);
      if (head.length > frame.total) this.scan(head.subarray(frame.total));
    }
  }

  private check(frame: Frame): void {
    if (frame.id === undefined || frame.op === undefined) return; // ldapts reports it
    // Message 0 is an unsolicited notification (e.g. Notice of Disconnection): the close follows.
    if (frame.id !== 0 && !this.sent.has(frame.id)) {
      this.fail(protocolError(`an answer to message ${frame.id}, which the console never sent`));
      return;
    }
    if (frame.op === SEARCH_RESULT_ENTRY || frame.op === SEARCH_RESULT_REFERENCE) {
      this.results++;
      if (this.results > MAX_DIRECTORY_RESULTS) {
        this.fail(new ConsoleError('directory-too-large', `The directory sent more than ${MAX_DIRECTORY_RESULTS} entries, past the size limit the console asked for.`, 'Narrow the search base: choose an OU with fewer computers.'));
      }
    }
  }
}

export async function searchDirectoryComputers(q: DirectoryQuery): Promise<{ computers: DirectoryComputer[]; truncated: boolean }> {
  const timeout = q.timeoutMs ?? 15_000;
  const deadlineMs = q.deadlineMs ?? 60_000;
  let socket: net.Socket | null = null;
  let rejectFailed: (error: ConsoleError) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => (rejectFailed = reject));
  failed.catch(() => undefined);
  const guard = new WireGuard((error) => {
    rejectFailed(error);
    socket?.destroy();
  });
  const ignore = () => undefined;
  // ldapts creates the socket through these: one connection per search, watched by the guard.
  const watch = <S extends net.Socket>(create: () => S): S => {
    if (socket) {
      // ldapts reconnects (unbound) when the server closed the connection: refuse.
      guard.fail(new ConsoleError('directory-closed', `The directory server ${q.url} closed the connection during the search.`, 'Check the server\'s logs and that the bind account may search; try again.'));
      const dead = new net.Socket();
      dead.on('error', ignore);
      process.nextTick(() => dead.destroy(new Error('Connection closed')));
      return dead as S;
    }
    const s = create();
    socket = s;
    s.on('error', ignore);
    // ldapts removes every 'error' listener once connected; keep one so no error is ever unheard.
    const relisten = () => setImmediate(() => s.listeners('error').includes(ignore) || s.on('error', ignore));
    s.once('connect', relisten);
    s.once('secureConnect', relisten);
    s.on('data', (chunk: Buffer) => guard.incoming(chunk));
    const write = s.write.bind(s) as (...args: unknown[]) => boolean;
    s.write = ((...args: unknown[]) => {
      guard.outgoing(args[0]);
      return write(...args);
    }) as typeof s.write;
    return s;
  };
  const deadline = setTimeout(
    () => guard.fail(new ConsoleError('directory-timeout', `The directory search at ${q.url} did not finish within ${Math.round(deadlineMs / 1000)} s.`, 'Check that the server is not overloaded, and narrow the search with an OU.')),
    deadlineMs,
  );
  let client: Client | null = null;
  try {
    const work = (async () => {
      const secure = q.url.toLowerCase().startsWith('ldaps:');
      client = new Client({
        url: q.url,
        timeout,
        connectTimeout: timeout,
        createConnection: ((port: number, host: string) => watch(() => net.connect(port, host))) as typeof net.connect,
        createSecureConnection: ((port: number, host: string, options: tls.ConnectionOptions) => watch(() => tls.connect(port, host, options))) as typeof tls.connect,
        ...(secure ? { tlsOptions: { rejectUnauthorized: !q.allowUntrusted } } : {}),
      });
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
    const computers = searchEntries.slice(0, MAX_DIRECTORY_COMPUTERS).map((e) => {
      const dn = String(e.dn);
      const dnsName = first(e.dNSHostName);
      const name = first(e.cn) ?? first(e.name) ?? dnsName?.split('.')[0] ?? dn;
      const os = [first(e.operatingSystem), first(e.operatingSystemVersion)].filter(Boolean).join(' ') || null;
      return { name, dnsName, os, dn };
    });
    return { computers, truncated: searchEntries.length > MAX_DIRECTORY_COMPUTERS };
  } catch (error) {
    throw guard.failure ?? asConsoleError(error, q);
  } finally {
    clearTimeout(deadline);
    const open = client as Client | null;
    if (open && !guard.failure) {
      // A polite unbind, bounded: the server may never read it.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([open.unbind().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, Math.min(timeout, 1000))))]);
      clearTimeout(timer);
    }
    (socket as net.Socket | null)?.destroy();
  }
}
