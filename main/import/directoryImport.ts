// Active Directory import (docs/PROTOCOLS.md §10) over LDAP or LDAPS with ldapts: bind with the
// given account, search the base DN (or an OU under it) for computer objects, and return their
// names, DNS names and operating systems. The filter is AD's (objectClass=computer); the test
// directory (test/support/slapd.ts) loads a minimal schema with AD's OIDs for computer, dNSHostName
// and operatingSystem, so the same query runs against both.
//
// Bounded against a broken or hostile server (test/interop/ldapFuzz.test.ts): each step
// (connect, bind, each page) within `timeoutMs` and the whole search within `deadlineMs`. A wire
// guard stands between the socket and ldapts: it reassembles whole messages and checks each
// against RFC 4511's grammar before ldapts decodes it (ldapts spins or aborts the process on some
// malformed answers, see validate()), and refuses a message over 256 KiB (ldapts would buffer a
// declared 4 GiB message for ever), an answer to a message the console never sent (ldapts ignores
// it and waits), more than 10 001 entries (the server ignored the size limit: an endless stream)
// or more than 32 MiB in all. A connection the server closes is never silently reopened (ldapts
// would reconnect and search unbound). Every failure is a ConsoleError with a class and advice.
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

/** One BER element inside a message: tag, content [start, end). */
interface Element {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

class Malformed extends Error {}

/** The length of a message from its first bytes: null when more are needed. */
function messageLength(b: Buffer): number | null {
  if (b.length < 2) return null;
  if (b[0] !== 0x30) throw new Malformed(`a message starting with tag 0x${b[0]!.toString(16)} instead of a SEQUENCE`);
  const l = b[1]!;
  if (l < 0x80) return 2 + l;
  const n = l & 0x7f;
  if (n === 0) throw new Malformed('an indefinite length, which LDAP forbids');
  if (n > 4) throw new Malformed(`a length field of ${n} bytes`);
  if (b.length < 2 + n) return null;
  const length = b.readUIntBE(2, n);
  if (length > MAX_DIRECTORY_MESSAGE_BYTES) throw new Malformed(`a message of ${length} bytes (at most ${MAX_DIRECTORY_MESSAGE_BYTES} are read)`);
  return 2 + n + length;
}

/** The elements that exactly fill [start, end): definite lengths only, none running past the end. */
function elements(b: Buffer, start: number, end: number): Element[] {
  const out: Element[] = [];
  for (let at = start; at < end; ) {
    if (at + 2 > end) throw new Malformed('an element cut short');
    const tag = b[at]!;
    const l = b[at + 1]!;
    let length = l;
    let content = at + 2;
    if (l >= 0x80) {
      const n = l & 0x7f;
      if (n === 0 || n > 4 || content + n > end) throw new Malformed(`a bad length (0x${l.toString(16)}) in element 0x${tag.toString(16)}`);
      length = b.readUIntBE(content, n);
      content += n;
    }
    if (length > end - content) throw new Malformed(`element 0x${tag.toString(16)} of ${length} bytes where ${end - content} remain`);
    out.push({ tag, start: content, end: content + length });
    at = content + length;
  }
  return out;
}

function expect(e: Element | undefined, tag: number, what: string): Element {
  if (!e || e.tag !== tag) throw new Malformed(`${what} is ${e ? `tag 0x${e.tag.toString(16)}` : 'missing'}, not 0x${tag.toString(16)}`);
  return e;
}

function expectInteger(e: Element | undefined, tag: number, what: string): void {
  const n = expect(e, tag, what);
  if (n.end - n.start < 1 || n.end - n.start > 4) throw new Malformed(`${what} of ${n.end - n.start} bytes`);
}

function allOctetStrings(b: Buffer, e: Element, what: string): void {
  for (const v of elements(b, e.start, e.end)) expect(v, 0x04, what);
}

const LDAP_BIND_RESPONSE = 0x61;
const LDAP_SEARCH_ENTRY = 0x64;
const LDAP_SEARCH_DONE = 0x65;
const LDAP_SEARCH_REFERENCE = 0x73;
const LDAP_EXTENDED_RESPONSE = 0x78;
const PAGED_RESULTS = '1.2.840.113556.1.4.319';
/** Response controls ldapts decodes by type; none is asked for, so none may come. */
const UNREQUESTED_CONTROLS = new Set(['2.16.840.1.113730.3.4.7', '2.16.840.1.113730.3.4.3', '1.2.840.113556.1.4.473']);

/** LDAPResult (RFC 4511 §4.1.9) and the optional fields an operation may add after it. */
function ldapResult(b: Buffer, parts: Element[], optional: readonly number[]): void {
  expectInteger(parts[0], 0x0a, 'the result code');
  expect(parts[1], 0x04, 'the matched DN');
  expect(parts[2], 0x04, 'the diagnostic message');
  let next = 0;
  for (const extra of parts.slice(3)) {
    const at = optional.indexOf(extra.tag);
    if (at < next) throw new Malformed(`an unexpected field 0x${extra.tag.toString(16)} in a result`);
    next = at + 1;
    if (extra.tag === 0xa3) allOctetStrings(b, extra, 'a referral URI');
  }
}

function controls(b: Buffer, e: Element): void {
  for (const control of elements(b, e.start, e.end)) {
    const parts = elements(b, expect(control, 0x30, 'a control').start, control.end);
    const type = b.toString('latin1', expect(parts[0], 0x04, 'a control type').start, parts[0]!.end);
    let i = 1;
    if (parts[i]?.tag === 0x01) {
      if (parts[i]!.end - parts[i]!.start !== 1) throw new Malformed('a criticality that is not one byte');
      i++;
    }
    const value = parts[i] ? expect(parts[i], 0x04, 'a control value') : null;
    if (parts.length > i + (value ? 1 : 0)) throw new Malformed('a control with extra fields');
    if (UNREQUESTED_CONTROLS.has(type)) throw new Malformed(`control ${type}, which the console never asked for`);
    if (type === PAGED_RESULTS && value) {
      const [sequence, ...more] = elements(b, value.start, value.end);
      if (more.length) throw new Malformed('a paged-results value with extra fields');
      const fields = elements(b, expect(sequence, 0x30, 'the paged-results value').start, sequence!.end);
      expectInteger(fields[0], 0x02, 'the paged-results size');
      expect(fields[1], 0x04, 'the paged-results cookie');
      if (fields.length !== 2) throw new Malformed('a paged-results value with extra fields');
    }
  }
}

/**
 * Checks one whole message against the grammar of the answers the console can get (RFC 4511):
 * what ldapts then decodes is well-formed, so none of its decoding loops can spin (a BindResponse
 * whose last string overruns the message made ldapts push empty strings until V8 aborted the
 * process; an overrun inside an entry or a control made it loop for ever).
 */
function validate(b: Buffer): { id: number; op: number } {
  const [outer, ...after] = elements(b, 0, b.length);
  if (after.length || !outer || outer.tag !== 0x30) throw new Malformed('bytes after a message');
  const [id, op, control, ...extra] = elements(b, outer.start, outer.end);
  expectInteger(id, 0x02, 'the message id');
  if (!op) throw new Malformed('a message without an operation');
  if (control) controls(b, expect(control, 0xa0, 'the controls'));
  if (extra.length) throw new Malformed('a message with extra fields');
  const parts = op.tag & 0x20 ? elements(b, op.start, op.end) : [];
  switch (op.tag) {
    case LDAP_BIND_RESPONSE:
      ldapResult(b, parts, [0xa3, 0x87]);
      break;
    case LDAP_SEARCH_DONE:
      ldapResult(b, parts, [0xa3]);
      break;
    case LDAP_EXTENDED_RESPONSE:
      ldapResult(b, parts, [0xa3, 0x8a, 0x8b]);
      break;
    case LDAP_SEARCH_REFERENCE:
      if (!parts.length) throw new Malformed('a search reference without a URI');
      allOctetStrings(b, op, 'a reference URI');
      break;
    case LDAP_SEARCH_ENTRY: {
      expect(parts[0], 0x04, 'the entry\'s DN');
      const attributes = expect(parts[1], 0x30, 'the entry\'s attributes');
      if (parts.length !== 2) throw new Malformed('an entry with extra fields');
      for (const attribute of elements(b, attributes.start, attributes.end)) {
        const [type, values, ...more] = elements(b, expect(attribute, 0x30, 'an attribute').start, attribute.end);
        expect(type, 0x04, 'an attribute type');
        allOctetStrings(b, expect(values, 0x31, 'an attribute\'s values'), 'an attribute value');
        if (more.length) throw new Malformed('an attribute with extra fields');
      }
      break;
    }
    default:
      throw new Malformed(`operation 0x${op.tag.toString(16)}, which is not an answer to a bind or a search`);
  }
  return { id: b.readIntBE(id!.start, id!.end - id!.start), op: op.tag };
}

/**
 * Stands between the socket and ldapts: reassembles the server's byte stream into whole
 * messages, checks and counts each, and hands ldapts only checked messages, one at a time.
 */
class WireGuard {
  bytes = 0;
  results = 0;
  failure: ConsoleError | null = null;
  private readonly sent = new Set<number>();
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFailure: (error: ConsoleError) => void) {}

  fail(error: ConsoleError): void {
    if (this.failure) return;
    this.failure = error;
    this.onFailure(error);
  }

  /** A message the client writes (ldapts writes whole, well-formed messages). */
  outgoing(data: unknown): void {
    if (!Buffer.isBuffer(data)) return;
    try {
      const [outer] = elements(data, 0, data.length);
      const [id] = outer ? elements(data, outer.start, outer.end) : [];
      if (id?.tag === 0x02 && id.end - id.start >= 1 && id.end - id.start <= 4) this.sent.add(data.readIntBE(id.start, id.end - id.start));
    } catch {
      // not a message of ours: nothing to expect an answer to
    }
  }

  incoming(chunk: Buffer, deliver: (message: Buffer) => void): void {
    if (this.failure) return;
    this.bytes += chunk.length;
    if (this.bytes > MAX_DIRECTORY_BYTES) {
      return this.fail(new ConsoleError('directory-too-large', `The directory sent more than ${MAX_DIRECTORY_BYTES / 1024 / 1024} MiB for one search.`, 'Narrow the search base: choose an OU with fewer computers.'));
    }
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (!this.failure) {
      let message: Buffer;
      let checked: { id: number; op: number };
      try {
        const length = messageLength(this.pending);
        if (length === null || this.pending.length < length) return;
        message = this.pending.subarray(0, length);
        this.pending = this.pending.subarray(length);
        checked = validate(message);
      } catch (error) {
        return this.fail(protocolError(error instanceof Malformed ? error.message : String(error)));
      }
      // Message 0 is an unsolicited notification (e.g. Notice of Disconnection): the close follows.
      if (checked.id !== 0 && !this.sent.has(checked.id)) return this.fail(protocolError(`an answer to message ${checked.id}, which the console never sent`));
      if (checked.op === LDAP_SEARCH_ENTRY || checked.op === LDAP_SEARCH_REFERENCE) {
        if (++this.results > MAX_DIRECTORY_RESULTS) {
          return this.fail(new ConsoleError('directory-too-large', `The directory sent more than ${MAX_DIRECTORY_RESULTS} entries, past the size limit the console asked for.`, 'Narrow the search base: choose an OU with fewer computers.'));
        }
      }
      try {
        deliver(message);
      } catch (error) {
        return this.fail(protocolError(error instanceof Error ? error.message : String(error)));
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
    // Every 'data' event passes the guard: ldapts only ever sees whole, checked messages.
    const emit = s.emit.bind(s) as (event: string | symbol, ...args: unknown[]) => boolean;
    s.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event !== 'data') return emit(event, ...args);
      const chunk = args[0];
      guard.incoming(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)), (message) => emit('data', message));
      return true;
    }) as typeof s.emit;
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
