// A counting, recording TCP proxy in front of a KDC (docs/TESTING.md §4): listens on the DC's
// loopback address and a free port, forwards every connection to the KDC's port 88, and splits
// both directions into Kerberos-over-TCP frames (RFC 4120 §7.2.2: a 4-byte big-endian length,
// then the message). Each frame is recorded with its message type — the APPLICATION tag of its
// first byte: 0x6a AS-REQ, 0x6b AS-REP, 0x6c TGS-REQ, 0x6d TGS-REP, 0x7e KRB-ERROR — so a test
// can count the exchanges a client makes (one AS exchange for a cached ticket) and keep the raw
// bytes (test/support/captureKerberos.ts). It writes its own krb5.conf whose only KDC is itself.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { renderKrb5Conf } from './sambaAdDc.js';
import { freePort } from './processes.js';

export type KerberosMessageType = 'AS-REQ' | 'AS-REP' | 'TGS-REQ' | 'TGS-REP' | 'KRB-ERROR' | 'unknown';

const TYPES: Record<number, KerberosMessageType> = { 0x6a: 'AS-REQ', 0x6b: 'AS-REP', 0x6c: 'TGS-REQ', 0x6d: 'TGS-REP', 0x7e: 'KRB-ERROR' };

export interface KdcFrame {
  /** Order of arrival over all connections, from 0. */
  seq: number;
  /** The proxied TCP connection, from 0. */
  connection: number;
  direction: 'request' | 'reply';
  type: KerberosMessageType;
  /** The message without the 4-byte length prefix. */
  message: Buffer;
  /** KRB-ERROR only: error-code (e.g. 25 KDC_ERR_PREAUTH_REQUIRED, 24 KDC_ERR_PREAUTH_FAILED). */
  errorCode?: number;
  /** AS-REQ and TGS-REQ: the sname asked for, e.g. 'krbtgt/PUSH.TEST', 'cifs/dc1.push.test'. */
  serviceName?: string;
}

export interface KdcCounts {
  connections: number;
  asReq: number;
  asRep: number;
  tgsReq: number;
  tgsRep: number;
  krbError: number;
}

export interface KdcProxy {
  readonly address: string;
  readonly port: number;
  /** A krb5.conf like the DC's, with kdc = <address>:<port> (TCP only). */
  readonly krb5ConfigPath: string;
  /** The proxy's temp folder (krb5.conf, ccaches of env()); removed by stop(). */
  readonly dir: string;
  frames(): KdcFrame[];
  counts(): KdcCounts;
  /** Forgets the frames and counts so far (open connections go on being proxied). */
  reset(): void;
  /** { KRB5_CONFIG: the proxy's krb5.conf, KRB5CCNAME: a file ccache in the proxy's folder }. */
  env(ccacheName?: string): { KRB5_CONFIG: string; KRB5CCNAME: string };
  /** Closes the listener and every proxied connection, removes the folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface KdcTarget {
  address: string;
  kdcPort: number;
}

const MAX_FRAME = 1 << 20;

interface Tlv {
  tag: number;
  /** Offset of the value in the buffer, and its end. */
  start: number;
  end: number;
}

/** The DER TLVs in buf[from, to): definite lengths only; null if malformed. */
function tlvs(buf: Buffer, from: number, to: number): Tlv[] | null {
  const out: Tlv[] = [];
  let at = from;
  while (at < to) {
    const tag = buf[at];
    const first = buf[at + 1];
    if (tag === undefined || first === undefined) return null;
    let len = first;
    let header = 2;
    if (first >= 0x80) {
      const n = first & 0x7f;
      if (n === 0 || n > 4) return null;
      len = 0;
      for (let i = 0; i < n; i++) {
        const b = buf[at + 2 + i];
        if (b === undefined) return null;
        len = len * 256 + b;
      }
      header += n;
    }
    const start = at + header;
    if (start + len > to) return null;
    out.push({ tag, start, end: start + len });
    at = start + len;
  }
  return out;
}

/** The fields of [APPLICATION n] SEQUENCE { [i] … }, by context tag number. */
function fields(message: Buffer): Map<number, Tlv> | null {
  const app = tlvs(message, 0, message.length)?.[0];
  if (app === undefined) return null;
  const seq = tlvs(message, app.start, app.end)?.[0];
  if (seq?.tag !== 0x30) return null;
  return contextFields(message, seq);
}

function contextFields(buf: Buffer, seq: Tlv): Map<number, Tlv> | null {
  const items = tlvs(buf, seq.start, seq.end);
  if (items === null) return null;
  const map = new Map<number, Tlv>();
  for (const item of items) {
    if ((item.tag & 0xe0) !== 0xa0) continue;
    const inner = tlvs(buf, item.start, item.end)?.[0];
    if (inner !== undefined) map.set(item.tag & 0x1f, inner);
  }
  return map;
}

/** KRB-ERROR ::= [APPLICATION 30] SEQUENCE { …, error-code [6] Int32, … }: the error-code, or undefined. */
export function krbErrorCode(message: Buffer): number | undefined {
  if (message[0] !== 0x7e) return undefined;
  const code = fields(message)?.get(6);
  if (code?.tag !== 0x02 || code.end - code.start < 1 || code.end - code.start > 4) return undefined;
  return message.readIntBE(code.start, code.end - code.start);
}

/** KDC-REQ (AS-REQ, TGS-REQ): req-body [4] { sname [3] PrincipalName }, as 'cifs/dc1.push.test'; undefined if absent. */
export function requestedServiceName(message: Buffer): string | undefined {
  if (message[0] !== 0x6a && message[0] !== 0x6c) return undefined;
  const body = fields(message)?.get(4);
  if (body?.tag !== 0x30) return undefined;
  const sname = contextFields(message, body)?.get(3);
  if (sname?.tag !== 0x30) return undefined;
  const strings = contextFields(message, sname)?.get(1);
  if (strings?.tag !== 0x30) return undefined;
  const parts = tlvs(message, strings.start, strings.end);
  if (parts === null) return undefined;
  return parts.map((p) => message.toString('utf8', p.start, p.end)).join('/');
}

/** KDC-REP (AS-REP, TGS-REP): enc-part [6] { etype [0] } — 17 aes128-cts-hmac-sha1-96, 18 aes256-cts-hmac-sha1-96, 23 rc4-hmac. */
export function replyEncPartEtype(message: Buffer): number | undefined {
  if (message[0] !== 0x6b && message[0] !== 0x6d) return undefined;
  const encPart = fields(message)?.get(6);
  if (encPart?.tag !== 0x30) return undefined;
  const etype = contextFields(message, encPart)?.get(0);
  if (etype?.tag !== 0x02 || etype.end - etype.start < 1 || etype.end - etype.start > 4) return undefined;
  return message.readIntBE(etype.start, etype.end - etype.start);
}

export async function startKdcProxy(kdc: KdcTarget, options: { address?: string; port?: number } = {}): Promise<KdcProxy> {
  const address = options.address ?? kdc.address;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-kdcproxy-'));
  let frames: KdcFrame[] = [];
  let connections = 0;
  let seq = 0;
  const sockets = new Set<net.Socket>();

  const record = (connection: number, direction: 'request' | 'reply', message: Buffer) => {
    const type = TYPES[message[0] ?? -1] ?? 'unknown';
    const frame: KdcFrame = { seq: seq++, connection, direction, type, message };
    if (type === 'KRB-ERROR') {
      const code = krbErrorCode(message);
      if (code !== undefined) frame.errorCode = code;
    }
    const serviceName = requestedServiceName(message);
    if (serviceName !== undefined) frame.serviceName = serviceName;
    frames.push(frame);
  };

  /** Splits one direction of a connection into frames, as the bytes pass through unchanged. */
  const framer = (connection: number, direction: 'request' | 'reply') => {
    let pending = Buffer.alloc(0);
    let broken = false;
    return (chunk: Buffer) => {
      if (broken) return;
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const len = pending.readUInt32BE(0);
        if (len > MAX_FRAME) {
          // Not Kerberos-over-TCP (or the high-bit extension): keep forwarding, stop parsing.
          broken = true;
          return;
        }
        if (pending.length < 4 + len) return;
        record(connection, direction, Buffer.from(pending.subarray(4, 4 + len)));
        pending = pending.subarray(4 + len);
      }
    };
  };

  const server = net.createServer((client) => {
    const connection = connections++;
    const upstream = net.connect({ host: kdc.address, port: kdc.kdcPort });
    sockets.add(client);
    sockets.add(upstream);
    const fromClient = framer(connection, 'request');
    const fromKdc = framer(connection, 'reply');
    client.on('data', (chunk: Buffer) => {
      fromClient(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      fromKdc(chunk);
      client.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });

  const port = options.port ?? (await freePort(address));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A forgotten stop() must not keep the test process alive.
  server.unref();

  const krb5ConfigPath = path.join(dir, 'krb5.conf');
  fs.writeFileSync(krb5ConfigPath, renderKrb5Conf(`${address}:${port}`));

  let stopping: Promise<void> | null = null;
  return {
    address,
    port,
    krb5ConfigPath,
    dir,
    frames: () => [...frames],
    counts: () => ({
      connections: new Set(frames.map((f) => f.connection)).size,
      asReq: frames.filter((f) => f.type === 'AS-REQ').length,
      asRep: frames.filter((f) => f.type === 'AS-REP').length,
      tgsReq: frames.filter((f) => f.type === 'TGS-REQ').length,
      tgsRep: frames.filter((f) => f.type === 'TGS-REP').length,
      krbError: frames.filter((f) => f.type === 'KRB-ERROR').length,
    }),
    reset() {
      frames = [];
    },
    env: (ccacheName = 'ccache') => ({ KRB5_CONFIG: krb5ConfigPath, KRB5CCNAME: `FILE:${path.join(dir, ccacheName)}` }),
    stop() {
      stopping ??= (async () => {
        for (const s of sockets) s.destroy();
        sockets.clear();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
      })();
      return stopping;
    },
  };
}
