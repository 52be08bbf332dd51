// Reads the corpus of Windows bytes in test/fixtures/windows/ (its README.md names each file's
// source and licence): the `name = HEX` vector files, the captures (classic pcap, gzip, Ethernet
// / IPv4 / TCP) and the `> HEX` / `< HEX` message lists. Parsing only; no expected values here.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const DIR = new URL('../fixtures/windows/', import.meta.url);

export function fixturePath(name: string): URL {
  return new URL(name, DIR);
}

/** A `name = HEX` / `name = "text"` file: values continue on indented lines; `#` starts a comment line. */
export class Vectors {
  private readonly values = new Map<string, string>();

  constructor(readonly file: string) {
    let current: string | null = null;
    for (const raw of readFileSync(fixturePath(file), 'utf8').split('\n')) {
      if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
      if (/^\s/.test(raw)) {
        if (current === null) throw new Error(`${file}: a continuation line before any name`);
        this.values.set(current, this.values.get(current)! + raw.trim());
        continue;
      }
      const eq = raw.indexOf('=');
      if (eq < 0) throw new Error(`${file}: no '=' in ${JSON.stringify(raw)}`);
      current = raw.slice(0, eq).trim();
      if (this.values.has(current)) throw new Error(`${file}: ${current} given twice`);
      this.values.set(current, raw.slice(eq + 1).trim());
    }
  }

  private raw(name: string): string {
    const value = this.values.get(name);
    if (value === undefined) throw new Error(`${this.file}: no value named ${name}`);
    return value;
  }

  hex(name: string): Buffer {
    const value = this.raw(name);
    if (!/^([0-9a-fA-F]{2})+$/.test(value)) throw new Error(`${this.file}: ${name} is not hex`);
    return Buffer.from(value, 'hex');
  }

  text(name: string): string {
    const match = /^"(.*)"$/.exec(this.raw(name));
    if (!match) throw new Error(`${this.file}: ${name} is not a quoted text`);
    return match[1]!;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }
}

export type Direction = 'client' | 'server';

export interface WireMessage {
  direction: Direction;
  /** One SMB2 message (or TRANSFORM_HEADER message) without the 4-byte Direct TCP prefix. */
  bytes: Buffer;
}

/**
 * The Direct TCP (port 445) messages of a classic pcap capture, in capture order. Each direction's
 * TCP payload is concatenated in capture order (the corpus captures have no loss or
 * retransmission: a sequence-number gap throws) and cut at the 4-byte length prefixes.
 */
export function readSmbCapture(file: string): WireMessage[] {
  let data = readFileSync(fixturePath(file));
  if (data[0] === 0x1f && data[1] === 0x8b) data = gunzipSync(data);
  if (data.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${file}: not a little-endian microsecond pcap`);
  if (data.readUInt32LE(20) !== 1) throw new Error(`${file}: link type ${data.readUInt32LE(20)}, expected Ethernet`);
  const pending: Record<Direction, Buffer> = { client: Buffer.alloc(0), server: Buffer.alloc(0) };
  const nextSeq: Record<Direction, number | null> = { client: null, server: null };
  const out: WireMessage[] = [];
  for (let at = 24; at < data.length; ) {
    const captured = data.readUInt32LE(at + 8);
    const frame = data.subarray(at + 16, at + 16 + captured);
    at += 16 + captured;
    if (frame.readUInt16BE(12) !== 0x0800) continue;
    const ip = frame.subarray(14);
    if (ip[9] !== 6) continue;
    const tcp = ip.subarray((ip[0]! & 0x0f) * 4, ip.readUInt16BE(2));
    const sourcePort = tcp.readUInt16BE(0);
    const destinationPort = tcp.readUInt16BE(2);
    if (sourcePort !== 445 && destinationPort !== 445) continue;
    const payload = tcp.subarray((tcp[12]! >> 4) * 4);
    if (payload.length === 0) continue;
    const direction: Direction = destinationPort === 445 ? 'client' : 'server';
    const seq = tcp.readUInt32BE(4);
    const expected = nextSeq[direction];
    if (expected !== null && seq !== expected) throw new Error(`${file}: TCP sequence gap in the ${direction}'s stream`);
    nextSeq[direction] = (seq + payload.length) >>> 0;
    let buffer = Buffer.concat([pending[direction], payload]);
    while (buffer.length >= 4 && buffer.length >= 4 + (buffer.readUInt32BE(0) & 0xffffff)) {
      const length = buffer.readUInt32BE(0) & 0xffffff;
      out.push({ direction, bytes: Buffer.from(buffer.subarray(4, 4 + length)) });
      buffer = buffer.subarray(4 + length);
    }
    pending[direction] = buffer;
  }
  for (const direction of ['client', 'server'] as const) {
    if (pending[direction].length) throw new Error(`${file}: ${pending[direction].length} trailing bytes in the ${direction}'s stream`);
  }
  return out;
}

/** A `> HEX` (client to server) / `< HEX` (server to client) message list; `#` lines are comments. */
export function readMessageList(file: string): WireMessage[] {
  const out: WireMessage[] = [];
  for (const line of readFileSync(fixturePath(file), 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = /^([<>]) ([0-9a-f]+)$/.exec(line);
    if (!match) throw new Error(`${file}: cannot read ${JSON.stringify(line.slice(0, 40))}`);
    out.push({ direction: match[1] === '>' ? 'client' : 'server', bytes: Buffer.from(match[2]!, 'hex') });
  }
  return out;
}
