// NDR 2.0 (C706 chapter 14, MS-RPCE 2.2.5) primitives the MS-SCMR calls need: aligned integers,
// [unique] and [ref] pointers, conformant varying UTF-16 strings, context handles. Alignment is
// counted from the start of the stub; pads are written as zeros. Every read is bounds-checked.
import { RpcProtocolError } from './errors.js';

export const CONTEXT_HANDLE_SIZE = 20;

export class NdrWriter {
  private buf = Buffer.alloc(256);
  private pos = 0;
  private nextReferent = 0x00020000;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  align(n: number): this {
    const pad = (n - (this.pos % n)) % n;
    this.ensure(pad);
    this.buf.fill(0, this.pos, this.pos + pad);
    this.pos += pad;
    return this;
  }

  u16(v: number): this {
    this.align(2).ensure(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.align(4).ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  contextHandle(handle: Buffer): this {
    if (handle.length !== CONTEXT_HANDLE_SIZE) throw new RangeError('a context handle is 20 bytes');
    return this.align(4).bytes(handle);
  }

  /** A [string] wchar_t* pointee: max_count, offset 0, actual_count (NUL included), UTF-16LE. */
  conformantVaryingString(s: string): this {
    const chars = Buffer.from(`${s}\0`, 'utf16le');
    const count = chars.length / 2;
    return this.u32(count).u32(0).u32(count).bytes(chars);
  }

  /** A top-level [ref, string] parameter: no referent id, the string at once. */
  refString(s: string): this {
    return this.conformantVaryingString(s);
  }

  /** A [unique] pointer's referent id: the next non-zero id when present, 0 for NULL (C706 14.3.10). */
  pointer(present: boolean): this {
    if (!present) return this.u32(0);
    this.u32(this.nextReferent);
    this.nextReferent += 4;
    return this;
  }

  /** A top-level [unique, string] parameter: a referent id (0 for NULL), then the string. */
  uniqueString(s: string | null): this {
    if (s === null) return this.u32(0);
    return this.pointer(true).conformantVaryingString(s);
  }

  /** A top-level [unique, size_is(n)] byte array: a referent id (0 for NULL), then max_count and the bytes. */
  uniqueBytes(b: Uint8Array | null): this {
    if (b === null) return this.u32(0);
    return this.pointer(true).u32(b.length).bytes(b);
  }

  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

export class NdrReader {
  private pos = 0;

  constructor(private readonly buf: Buffer, private readonly what: string) {}

  private need(n: number, field: string): void {
    if (this.pos + n > this.buf.length) {
      throw new RpcProtocolError(`${this.what}: ${field} needs ${n} bytes at offset ${this.pos} of a ${this.buf.length}-byte stub`);
    }
  }

  align(n: number): this {
    const pad = (n - (this.pos % n)) % n;
    this.need(pad, 'alignment');
    this.pos += pad;
    return this;
  }

  u32(field: string): number {
    this.align(4).need(4, field);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  contextHandle(field: string): Buffer {
    this.align(4).need(CONTEXT_HANDLE_SIZE, field);
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + CONTEXT_HANDLE_SIZE));
    this.pos += CONTEXT_HANDLE_SIZE;
    return v;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Where the reader stands, counted from the start of the stub. */
  get offset(): number {
    return this.pos;
  }

  u16(field: string): number {
    this.align(2).need(2, field);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  bytes(n: number, field: string): Buffer {
    this.need(n, field);
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return v;
  }

  /** A [unique] or embedded pointer's referent id: false for NULL. */
  pointer(field: string): boolean {
    return this.u32(`${field} referent`) !== 0;
  }

  /**
   * A [string] wchar_t* pointee (the server side of NdrWriter.conformantVaryingString): offset 0,
   * actual_count <= max_count <= maxChars + 1, and the last character the NUL terminator, as the
   * NDR engine checks a [string] (C706 14.3.4). Returned without the NUL.
   */
  conformantVaryingString(field: string, maxChars: number): string {
    const max = this.u32(`${field} max_count`);
    const offset = this.u32(`${field} offset`);
    const actual = this.u32(`${field} actual_count`);
    if (offset !== 0 || actual > max || actual < 1 || max > maxChars + 1) {
      throw new RpcProtocolError(`${this.what}: ${field} has max_count ${max}, offset ${offset}, actual_count ${actual} (at most ${maxChars} characters)`);
    }
    const chars = this.bytes(actual * 2, field);
    if (chars.readUInt16LE(chars.length - 2) !== 0) throw new RpcProtocolError(`${this.what}: ${field} is not NUL-terminated`);
    return chars.subarray(0, chars.length - 2).toString('utf16le');
  }

  /** The method's return value: the last DWORD, and nothing after it. */
  returnCode(): number {
    const v = this.u32('return value');
    if (this.remaining !== 0) throw new RpcProtocolError(`${this.what}: ${this.remaining} unexpected bytes after the return value`);
    return v;
  }
}
