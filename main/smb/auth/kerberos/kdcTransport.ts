// Talking to a KDC over TCP (RFC 4120 §7.2.2): each request and reply behind a 4-byte big-endian
// length, one exchange per connection as Windows clients do. Which KDCs: the addresses configured
// (Configuration → Authentication, `pushctl --kdc`), else DNS SRV `_kerberos._tcp.<realm>` (RFC
// 4120 §7.2.3.2, MS-KILE 3.1.5.1 "locating a KDC"), tried in order; a KDC that does not answer
// is skipped for the next. UDP is never used: AD replies with PACs rarely fit a datagram.
import dns from 'node:dns';
import net from 'node:net';
import { KerberosError } from './errors.js';
import { frameTcp } from './messages.js';
import { connectHost } from '../../hostNames.js';

/** A reply larger than this is not a KDC's (AD's tickets with large PACs stay well below). */
export const MAX_KDC_REPLY = 256 * 1024;

export interface KdcAddress {
  readonly host: string;
  readonly port: number;
}

export interface KdcLocator {
  /** Configured KDCs (empty: DNS SRV for the realm). */
  readonly kdcs: readonly KdcAddress[];
  /** The connect-and-answer bound per KDC. */
  readonly timeoutMs: number;
  /** DNS SRV lookup, injectable for tests. */
  readonly resolveSrv?: (name: string) => Promise<{ name: string; port: number; priority: number; weight: number }[]>;
}

/** `host`, `host:port`, `[v6]:port`; port 88 by default. */
export function parseKdcAddress(text: string): KdcAddress {
  const s = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : 88 };
  const m = /^([^:\s]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new KerberosError('kdc-unreachable', `"${text}" is not a KDC address.`, 'Give a domain controller as host or host:port, e.g. dc1.corp.example.com or 10.0.0.5:88.', null);
  const port = m[2] ? Number(m[2]) : 88;
  if (!(port >= 1 && port <= 65535)) throw new KerberosError('kdc-unreachable', `"${text}" has no valid port.`, 'Give a port from 1 to 65535 (Kerberos is 88).', null);
  return { host: m[1]!, port };
}

/** The KDCs of a realm: those configured, else DNS SRV `_kerberos._tcp.<realm>` by priority. */
export async function locateKdcs(realm: string, locator: KdcLocator): Promise<KdcAddress[]> {
  if (locator.kdcs.length > 0) return [...locator.kdcs];
  // The system resolver may retry for much longer than a push waits for a KDC: bounded like a KDC's answer.
  const resolve = locator.resolveSrv ?? ((name: string) => {
    const resolver = new dns.promises.Resolver({ timeout: locator.timeoutMs, tries: 1 });
    return resolver.resolveSrv(name);
  });
  let records: Awaited<ReturnType<typeof resolve>>;
  try {
    records = await resolve(`_kerberos._tcp.${realm.toLowerCase()}`);
  } catch (error) {
    throw new KerberosError(
      'kdc-unreachable',
      `No KDC of the realm ${realm} was found: DNS has no _kerberos._tcp.${realm.toLowerCase()} record (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
      'Use the domain\'s DNS servers on the console computer, or set the domain controllers\' addresses in Configuration → Authentication (pushctl --kdc).',
      'KDC_NOT_FOUND',
    );
  }
  return records.sort((a, b) => a.priority - b.priority || b.weight - a.weight).map((r) => ({ host: r.name, port: r.port }));
}

/** One request to the first KDC that answers; the reply's bytes (without the length prefix). */
export async function sendToKdc(request: Buffer, kdcs: readonly KdcAddress[], timeoutMs: number, realm: string): Promise<Buffer> {
  const failures: string[] = [];
  for (const kdc of kdcs) {
    try {
      return await exchange(kdc, request, timeoutMs);
    } catch (error) {
      failures.push(`${kdc.host}:${kdc.port}: ${(error as Error).message}`);
    }
  }
  throw new KerberosError(
    'kdc-unreachable',
    `No KDC of the realm ${realm} answered (${failures.join('; ') || 'none configured'}).`,
    'Check that the domain controllers are up and that TCP 88 to them is open from the console computer; set their addresses in Configuration → Authentication if DNS does not find them.',
    'KDC_UNREACHABLE',
  );
}

function exchange(kdc: KdcAddress, request: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: connectHost(kdc.host), port: kdc.port });
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (error: Error | null, reply?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${(timeoutMs / 1000).toFixed(1)} s`)), timeoutMs);
    socket.once('connect', () => socket.write(frameTcp(request)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < 4) return;
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const length = all.readUInt32BE(0);
      if (length & 0x80000000) return finish(new Error('the reply\'s length has the reserved high bit set (RFC 4120 §7.2.2)'));
      if (length > MAX_KDC_REPLY) return finish(new Error(`a reply of ${length} bytes is larger than a KDC sends`));
      if (received >= 4 + length) return finish(null, Buffer.from(all.subarray(4, 4 + length)));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish(new Error(error.code === 'ECONNREFUSED' ? 'connection refused' : error.code === 'ENOTFOUND' ? 'name not resolved' : error.message)));
    socket.on('close', () => finish(new Error('the KDC closed the connection before its reply was complete')));
  });
}
