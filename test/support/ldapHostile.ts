// A hostile LDAP server for the directory import's fuzz test: a plain TCP server on a
// loopback address that answers the console's BindRequest and SearchRequest with the answers of
// a recorded, well-formed slapd conversation (test/support/ldapRecorder.ts) — one of them mutated
// per run: bit flips, truncation, a length field set to an extreme value (0x84 FF FF FF FF…), a
// wrong tag, another message id, an entry with a huge attribute value count, an endless
// SearchResultEntry stream without SearchResultDone, endless pages, a close mid-message, no
// answer at all, random bytes. The run is named by the bind password ("run-<id>"), so each
// connection finds its own plan whatever order concurrent clients connect in.
import net from 'node:net';
import { deterministicRandom, prng } from './prng.js';

// ---- BER, as much as LDAP's framing needs -------------------------------------------------------

export interface Tlv {
  readonly tag: number;
  readonly start: number; // the tag byte
  readonly lengthStart: number; // the first length byte
  readonly contentStart: number;
  readonly end: number;
}

/** One TLV at `at` (definite lengths only); null when it does not fit in `limit`. */
export function readTlv(b: Buffer, at: number, limit = b.length): Tlv | null {
  if (at + 2 > limit) return null;
  const l = b[at + 1]!;
  let length: number;
  let contentStart: number;
  if (l < 0x80) {
    length = l;
    contentStart = at + 2;
  } else {
    const n = l & 0x7f;
    if (n === 0 || n > 4 || at + 2 + n > limit) return null;
    length = b.readUIntBE(at + 2, n);
    contentStart = at + 2 + n;
  }
  if (contentStart + length > limit) return null;
  return { tag: b[at]!, start: at, lengthStart: at + 1, contentStart, end: contentStart + length };
}

/** Every TLV of a well-formed message, depth first (constructed tags have bit 0x20). */
export function walk(b: Buffer, at = 0, limit = b.length, out: Tlv[] = []): Tlv[] {
  while (at < limit) {
    const t = readTlv(b, at, limit);
    if (!t) break;
    out.push(t);
    if (t.tag & 0x20) walk(b, t.contentStart, t.end, out);
    at = t.end;
  }
  return out;
}

export function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

export function berInt(n: number, tag = 0x02): Buffer {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0 && v !== -1);
  if (n >= 0 && bytes[0]! & 0x80) bytes.unshift(0);
  if (n < 0 && !(bytes[0]! & 0x80)) bytes.unshift(0xff);
  return tlv(tag, Buffer.from(bytes));
}

/** Splits a byte stream into whole LDAP messages. */
export function splitMessages(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < stream.length; ) {
    const t = readTlv(stream, at);
    if (!t) break;
    out.push(Buffer.from(stream.subarray(at, t.end)));
    at = t.end;
  }
  return out;
}

/** A message's id, its protocolOp's tag and the TLVs after the id. */
export function parseMessage(m: Buffer): { id: number; op: number; rest: Buffer } | null {
  const outer = readTlv(m, 0);
  if (!outer || outer.tag !== 0x30) return null;
  const id = readTlv(m, outer.contentStart, outer.end);
  if (!id || id.tag !== 0x02 || id.end - id.contentStart < 1 || id.end - id.contentStart > 4) return null;
  if (id.end >= outer.end) return null;
  return { id: m.readIntBE(id.contentStart, id.end - id.contentStart), op: m[id.end]!, rest: m.subarray(id.end, outer.end) };
}

/** The same message with another id. */
export function withMessageId(m: Buffer, id: number): Buffer {
  const p = parseMessage(m);
  return p ? tlv(0x30, berInt(id), p.rest) : m;
}

// ---- The recorded conversation ------------------------------------------------------------------

export interface LdapSeed {
  /** The BindResponse. */
  readonly bind: Buffer;
  /** The SearchResultEntry messages and, last, the SearchResultDone. */
  readonly search: readonly Buffer[];
}

const LDAP_BIND_REQUEST = 0x60;
const LDAP_SEARCH_REQUEST = 0x63;
const LDAP_UNBIND_REQUEST = 0x42;
const LDAP_SEARCH_ENTRY = 0x64;
const PAGED_RESULTS_OID = '1.2.840.113556.1.4.319';

/** The bind password of a request (simple bind: [0] password after version and name). */
function bindPassword(m: Buffer): string | null {
  const outer = readTlv(m, 0);
  if (!outer) return null;
  const id = readTlv(m, outer.contentStart, outer.end);
  const op = id && readTlv(m, id.end, outer.end);
  if (!op || op.tag !== LDAP_BIND_REQUEST) return null;
  const version = readTlv(m, op.contentStart, op.end);
  const name = version && readTlv(m, version.end, op.end);
  const password = name && readTlv(m, name.end, op.end);
  return password ? m.toString('utf8', password.contentStart, password.end) : null;
}

/** A SearchResultDone (success) that asks for another page: a paged-results control with a cookie. */
export function doneWithCookie(id: number): Buffer {
  const value = tlv(0x30, berInt(0), tlv(0x04, Buffer.from('more')));
  const control = tlv(0x30, tlv(0x04, Buffer.from(PAGED_RESULTS_OID)), tlv(0x04, value));
  return tlv(0x30, berInt(id), tlv(0x65, tlv(0x0a, Buffer.from([0])), tlv(0x04), tlv(0x04)), tlv(0xa0, control));
}

/** An entry with an extra attribute of `count` values (well-formed, only large). */
export function withManyValues(entry: Buffer, count: number, valueBytes: number): Buffer {
  const p = parseMessage(entry);
  if (!p || p.op !== LDAP_SEARCH_ENTRY) return entry;
  const op = readTlv(p.rest, 0)!;
  const dn = readTlv(p.rest, op.contentStart, op.end)!;
  const attributes = readTlv(p.rest, dn.end, op.end)!;
  const one = tlv(0x04, Buffer.alloc(valueBytes, 0x61));
  const values = Buffer.concat(Array.from({ length: count }, () => one));
  const extra = tlv(0x30, tlv(0x04, Buffer.from('description')), tlv(0x31, values));
  const attrs = tlv(0x30, p.rest.subarray(attributes.contentStart, attributes.end), extra);
  return tlv(0x30, berInt(p.id), tlv(LDAP_SEARCH_ENTRY, p.rest.subarray(dn.start, dn.end), attrs), p.rest.subarray(op.end));
}

// ---- Mutations ----------------------------------------------------------------------------------

/** What a mutated answer does: bytes to send, then keep the connection, close it, or stream. */
export interface Mutated {
  readonly bytes: Buffer;
  readonly then?: 'continue' | 'close' | 'hold' | 'endless-entries' | 'endless-pages';
}

type Mutation = (m: Buffer, r: () => number, seed: LdapSeed) => Mutated;

const EXTREME_LENGTHS = [
  [0x84, 0xff, 0xff, 0xff, 0xff],
  [0x84, 0x7f, 0xff, 0xff, 0xff],
  [0x84, 0x00, 0x10, 0x00, 0x00],
  [0x83, 0xff, 0xff, 0xff],
  [0x85, 0x01, 0x00, 0x00, 0x00, 0x00],
  [0x80],
  [0x00],
  [0x7f],
  [0x81, 0x00],
];
const TAGS = [0x00, 0x01, 0x02, 0x04, 0x05, 0x0a, 0x30, 0x31, 0x60, 0x61, 0x64, 0x65, 0x73, 0x78, 0x80, 0xa0, 0xa3, 0xff];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[r() % list.length]!;
}

export const MUTATIONS: Record<string, Mutation> = {
  flipBits: (m, r) => {
    const b = Buffer.from(m);
    for (let i = 0, n = 1 + (r() % 3); i < n; i++) b[r() % b.length]! ^= 1 << (r() % 8);
    return { bytes: b };
  },
  truncateThenWait: (m, r) => ({ bytes: m.subarray(0, r() % m.length), then: 'hold' }),
  truncateThenClose: (m, r) => ({ bytes: m.subarray(0, r() % m.length), then: 'close' }),
  extremeLength: (m, r) => {
    const t = pick(r, walk(m));
    const lengthEnd = t.contentStart;
    return { bytes: Buffer.concat([m.subarray(0, t.lengthStart), Buffer.from(pick(r, EXTREME_LENGTHS)), m.subarray(lengthEnd)]), then: r() % 2 ? 'hold' : 'continue' };
  },
  wrongTag: (m, r) => {
    const b = Buffer.from(m);
    b[pick(r, walk(m)).start] = r() % 2 ? pick(r, TAGS) : r() & 0xff;
    return { bytes: b };
  },
  messageId: (m, r) => ({ bytes: withMessageId(m, pick(r, [0, 3, 7, 0x7fffffff, -1, 1 + (r() % 1000)])) }),
  manyValues: (m, r, seed) => {
    const entry = parseMessage(m)?.op === LDAP_SEARCH_ENTRY ? m : seed.search[0]!;
    return { bytes: withManyValues(entry, pick(r, [1000, 20_000, 100_000]), pick(r, [0, 1, 8])) };
  },
  endlessEntries: () => ({ bytes: Buffer.alloc(0), then: 'endless-entries' }),
  closeMidMessage: (m, r) => ({ bytes: m.subarray(0, 1 + (r() % Math.max(1, m.length - 1))), then: 'close' }),
  neverAnswer: () => ({ bytes: Buffer.alloc(0), then: 'hold' }),
  duplicate: (m) => ({ bytes: Buffer.concat([m, m]) }),
  appendGarbage: (m, r) => ({ bytes: Buffer.concat([m, deterministicRandom(r())(1 + (r() % 300))]) }),
  replaceRandom: (_m, r) => ({ bytes: deterministicRandom(r())(r() % 400) }),
  noticeOfDisconnection: () => ({
    bytes: tlv(0x30, berInt(0), tlv(0x78, tlv(0x0a, Buffer.from([52])), tlv(0x04), tlv(0x04), tlv(0x8a, Buffer.from('1.3.6.1.4.1.1466.20036')))),
    then: 'close',
  }),
};
export const MUTATION_NAMES = Object.keys(MUTATIONS);

export type HostilePlan =
  /** Replay the seed with answer `target` (0: BindResponse, 1..: search answers) mutated. */
  | { readonly kind: 'mutate'; readonly target: number; readonly mutation: string; readonly seed: number }
  /**
   * Answer the bind (or, with afterBind, the search) with random bytes: raw, inside a message
   * (SEQUENCE and message id), or as the content of a response operation inside a message.
   */
  | { readonly kind: 'random'; readonly afterBind: boolean; readonly framing: 'raw' | 'message' | 'operation'; readonly seed: number }
  /** The seed as recorded, sent `chunk` bytes at a time. */
  | { readonly kind: 'replay'; readonly chunk?: number }
  /** Answer the bind, then close (a client must not reconnect and search unbound). */
  | { readonly kind: 'close-after-bind' }
  | { readonly kind: 'endless-entries' }
  | { readonly kind: 'endless-pages' };

export interface HostileServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** The plan for the client that binds with password `run-<id>`. */
  plan(id: number, plan: HostilePlan): void;
  connections(): number;
  openConnections(): number;
  close(): Promise<void>;
}

async function writeAll(socket: net.Socket, bytes: Buffer): Promise<boolean> {
  if (socket.destroyed) return false;
  if (socket.write(bytes)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}

/** Streams copies of an entry (then, for pages, a done with a cookie) until the client goes. */
async function endless(socket: net.Socket, entry: Buffer, batch: number): Promise<void> {
  const chunk = Buffer.concat(Array.from({ length: batch }, () => entry));
  while (!socket.destroyed && (await writeAll(socket, chunk)));
}

export async function startHostileLdap(seed: LdapSeed, host = '127.0.76.2'): Promise<HostileServer> {
  const plans = new Map<number, HostilePlan>();
  const open = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let plan: HostilePlan = { kind: 'replay' };
    let bindAnswered = false;
    let closing = false;

    const send = async (answers: readonly Buffer[], index0: number, id: number): Promise<void> => {
      for (let i = 0; i < answers.length; i++) {
        if (socket.destroyed) return;
        let bytes = withMessageId(answers[i]!, id);
        let then: Mutated['then'] = 'continue';
        if (plan.kind === 'mutate' && plan.target === index0 + i) {
          const m = MUTATIONS[plan.mutation]!(bytes, prng(plan.seed), seed);
          bytes = m.bytes;
          then = m.then ?? 'continue';
        } else if (plan.kind === 'replay' && plan.chunk) {
          for (let at = 0; at < bytes.length; at += plan.chunk) if (!(await writeAll(socket, bytes.subarray(at, at + plan.chunk)))) return;
          continue;
        }
        if (bytes.length > 0 && !(await writeAll(socket, bytes))) return;
        if (then === 'close') return void setTimeout(() => socket.destroy(), 5);
        if (then === 'hold') return;
        if (then === 'endless-entries') return endless(socket, withMessageId(seed.search[0]!, id), 64);
      }
    };

    const answer = async (m: Buffer): Promise<void> => {
      if (closing) return;
      const p = parseMessage(m);
      if (!p) return void socket.destroy();
      if (p.op === LDAP_UNBIND_REQUEST) return void socket.end();
      if (p.op === LDAP_BIND_REQUEST) {
        const run = /^run-(\d+)$/.exec(bindPassword(m) ?? '');
        plan = (run && plans.get(Number(run[1]))) || { kind: 'replay' };
        if (run) plans.delete(Number(run[1]));
        bindAnswered = true;
        if (plan.kind === 'random' && !plan.afterBind) return randomAnswer(plan, p.id);
        if (plan.kind === 'close-after-bind') {
          closing = true;
          socket.end(withMessageId(seed.bind, p.id));
          return;
        }
        return send([seed.bind], 0, p.id);
      }
      if (p.op === LDAP_SEARCH_REQUEST && bindAnswered) {
        if (plan.kind === 'random') return randomAnswer(plan, p.id);
        if (plan.kind === 'endless-entries') return endless(socket, withMessageId(seed.search[0]!, p.id), 64);
        if (plan.kind === 'endless-pages') {
          await writeAll(socket, Buffer.concat([withMessageId(seed.search[0]!, p.id), doneWithCookie(p.id)]));
          return;
        }
        return send(seed.search, 1, p.id);
      }
      socket.destroy();
    };

    const randomAnswer = async (p: Extract<HostilePlan, { kind: 'random' }>, id: number): Promise<void> => {
      const r = prng(p.seed);
      const body = deterministicRandom(r())(r() % 600);
      const op = [0x61, 0x64, 0x65, 0x73, 0x78][r() % 5]!;
      const bytes = p.framing === 'raw' ? body : tlv(0x30, berInt(id), p.framing === 'message' ? body : tlv(op, body));
      await writeAll(socket, bytes);
      if (r() % 2) setTimeout(() => socket.destroy(), 5);
    };

    // Requests are answered one at a time, in order.
    let queue = Promise.resolve();
    socket.on('data', (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      for (;;) {
        const t = readTlv(buffered, 0);
        if (!t) {
          if (buffered.length > 65_536) socket.destroy();
          return;
        }
        const m = buffered.subarray(0, t.end);
        buffered = buffered.subarray(t.end);
        queue = queue.then(() => answer(m)).catch(() => void socket.destroy());
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host,
    port,
    url: `ldap://${host}:${port}`,
    plan: (id, plan) => plans.set(id, plan),
    connections: () => connections,
    openConnections: () => open.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }),
  };
}
