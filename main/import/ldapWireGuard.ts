// Stands between the directory's socket and ldapts: reassembles the byte stream into whole
// messages, checks each against the grammar (ldapGrammar.ts) and the search's limits, and hands
// ldapts only checked messages; a connection the server closed is never silently reopened. A
// StartTLS upgrade (RFC 4511 §4.14) moves the watch to the TLS socket over the same connection.
import net from 'node:net';
import { ConsoleError } from '../ipc/errors.js';
import { protocolError } from './directoryErrors.js';
import { MAX_DIRECTORY_BYTES, MAX_DIRECTORY_RESULTS } from './directoryLimits.js';
import { LDAP_SEARCH_ENTRY, LDAP_SEARCH_REFERENCE, Malformed, elements, messageLength, validate } from './ldapGrammar.js';

const ignore = () => undefined;

/** A socket that fails at once, handed to ldapts in place of one the guard refuses. */
function deadSocket(): net.Socket {
  const dead = new net.Socket();
  dead.on('error', ignore);
  process.nextTick(() => dead.destroy(new Error('Connection closed')));
  return dead;
}

/**
 * One search's guard: the first failure ends the search (onFailure hears it once, and the socket
 * goes). Besides a malformed message it refuses a message over 256 KiB (ldapts would buffer a
 * declared 4 GiB message for ever), an answer to a message the console never sent (ldapts ignores
 * it and waits), more than 10 001 entries (the server ignored the size limit: an endless stream)
 * or more than 32 MiB in all.
 */
export class WireGuard {
  bytes = 0;
  results = 0;
  failure: ConsoleError | null = null;
  /** The search's one connection, once ldapts has made it (after StartTLS, its TLS socket). */
  socket: net.Socket | null = null;
  /** The plain socket under a StartTLS upgrade, destroyed with the TLS one. */
  private plain: net.Socket | null = null;
  private readonly sent = new Set<number>();
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly url: string, private readonly onFailure: (error: ConsoleError) => void) {}

  fail(error: ConsoleError): void {
    if (this.failure) return;
    this.failure = error;
    this.onFailure(error);
    this.destroy();
  }

  /** Closes the connection: the TLS socket of a StartTLS upgrade and the plain one under it. */
  destroy(): void {
    this.socket?.destroy();
    this.plain?.destroy();
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

  /**
   * StartTLS: ldapts makes a TLS socket over the watched one (tls.connect with `socket`) once the
   * server accepted the extended operation. That socket becomes the watched one — its plaintext is
   * checked as before — and the plain one is only kept to be closed. Refused: a second upgrade, an
   * upgrade of another socket, and bytes the server sent in clear after its StartTLS answer (they
   * would be read as if they had come over TLS).
   */
  upgrade<S extends net.Socket>(over: unknown, create: () => S): S {
    if (!this.socket || over !== this.socket || this.plain) {
      this.fail(protocolError('a second TLS upgrade of the connection'));
      return deadSocket() as S;
    }
    if (this.pending.length) {
      this.fail(protocolError('bytes sent in clear after the StartTLS answer'));
      return deadSocket() as S;
    }
    this.plain = this.socket;
    this.socket = null;
    return this.attach(create);
  }

  /**
   * ldapts creates its socket through this (createConnection, createSecureConnection): the first
   * is watched, every 'data' event and write passing the guard; a second is refused.
   */
  watch<S extends net.Socket>(create: () => S): S {
    if (this.socket || this.plain) {
      // ldapts reconnects (unbound) when the server closed the connection: refuse.
      this.fail(new ConsoleError('directory-closed', `The directory server ${this.url} closed the connection during the search.`, 'Check the server\'s logs and that the bind account may search; try again.'));
      return deadSocket() as S;
    }
    return this.attach(create);
  }

  /** Makes the socket the watched one: every 'data' event and write passes the guard. */
  private attach<S extends net.Socket>(create: () => S): S {
    const s = create();
    this.socket = s;
    s.on('error', ignore);
    // ldapts removes every 'error' listener once connected; keep one so no error is ever unheard.
    const relisten = () => setImmediate(() => s.listeners('error').includes(ignore) || s.on('error', ignore));
    s.once('connect', relisten);
    s.once('secureConnect', relisten);
    // Every 'data' event passes the guard: ldapts only ever sees whole, checked messages.
    const emit = s.emit.bind(s) as (event: string | symbol, ...args: unknown[]) => boolean;
    s.emit = ((event: string | symbol, ...args: unknown[]) => {
      // Under a StartTLS upgrade the plain socket carries TLS records, which the TLS socket reads.
      if (event !== 'data' || s === this.plain) return emit(event, ...args);
      const chunk = args[0];
      this.incoming(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)), (message) => emit('data', message));
      return true;
    }) as typeof s.emit;
    const write = s.write.bind(s) as (...args: unknown[]) => boolean;
    s.write = ((...args: unknown[]) => {
      if (s !== this.plain) this.outgoing(args[0]);
      return write(...args);
    }) as typeof s.write;
    return s;
  }
}
