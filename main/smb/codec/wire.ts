// Bounds-checked little-endian reading and writing for SMB2 codecs: a read past the end throws
// SmbFormatError, never a RangeError, and never returns garbage, so a peer's malformed message
// ends in an error the engine can classify (`smb-protocol`), not a crash.
import { ConsoleError } from '../../ipc/errors.js';

/** Malformed bytes from the server: a typed error the engine and the UI can show as is. */
export class SmbFormatError extends ConsoleError {
  constructor(message: string) {
    super('smb-protocol', message, 'The computer sent a malformed SMB message; check that it is a Windows computer or a compatible SMB server, then report it.');
    this.name = 'SmbFormatError';
  }
}

export class Reader {
  constructor(readonly buf: Buffer, private pos = 0) {}

  get offset(): number {
    return this.pos;
  }

  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new SmbFormatError(`${what}: needs ${n} bytes at offset ${this.pos}, message has ${this.buf.length}`);
    }
  }

  seek(offset: number, what: string): this {
    if (offset < 0 || offset > this.buf.length) throw new SmbFormatError(`${what}: offset ${offset} outside ${this.buf.length}-byte message`);
    this.pos = offset;
    return this;
  }

  skip(n: number, what = 'padding'): this {
    this.need(n, what);
    this.pos += n;
    return this;
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf.readUInt8(this.pos++);
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(what: string): bigint {
    this.need(8, what);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

/** A slice [offset, offset+length) of `buf`, checked; used for the spec's Offset/Length field pairs. */
export function sliceAt(buf: Buffer, offset: number, length: number, what: string): Buffer {
  if (length === 0) return Buffer.alloc(0);
  if (offset < 0 || length < 0 || offset + length > buf.length) {
    throw new SmbFormatError(`${what}: ${length} bytes at offset ${offset} lie outside the ${buf.length}-byte message`);
  }
  return buf.subarray(offset, offset + length);
}

export class Writer {
  private chunks: Buffer[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  private push(b: Buffer): this {
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }

  u8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeUInt8(v);
    return this.push(b);
  }

  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return this.push(b);
  }

  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.push(b);
  }

  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return this.push(b);
  }

  bytes(b: Uint8Array): this {
    return this.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }

  zeros(n: number): this {
    return this.push(Buffer.alloc(n));
  }

  /** Pads with zeros to a multiple of `n`, counted from `base` (the message start). */
  align(n: number, base = 0): this {
    const rem = (this.size - base) % n;
    return rem === 0 ? this : this.zeros(n - rem);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

export function utf16(s: string): Buffer {
  return Buffer.from(s, 'utf16le');
}

/** A UTF-16LE string at an Offset/Length field pair, checked like sliceAt; an odd length is malformed. */
export function utf16At(buf: Buffer, offset: number, length: number, what: string): string {
  if (length % 2 !== 0) throw new SmbFormatError(`${what}: odd UTF-16 length ${length}`);
  return sliceAt(buf, offset, length, what).toString('utf16le');
}

/** 100-ns ticks between 1601-01-01 and 1970-01-01: the FILETIME epoch (MS-DTYP 2.3.3). */
export const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

/** A FILETIME (MS-DTYP 2.3.3) for a JavaScript time in milliseconds (default: now), as SMB2 times carry it. */
export function filetimeNow(ms: number = Date.now()): bigint {
  return BigInt(ms) * 10_000n + FILETIME_UNIX_EPOCH;
}
