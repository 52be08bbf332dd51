// A small ZIP writer (APPNOTE 6.3.x: local file headers 4.3.7, central directory 4.3.12, end of
// central directory 4.3.16) for the history's log export: deflated entries, UTF-8 names (flag
// bit 11); past 65 535 entries the ZIP64 end records carry the count (sizes and offsets stay 32-bit:
// an export is refused past 4 GB rather than written wrong). ZipBuilder adds one entry at a time,
// so that an export of 50 000 targets can yield to the event loop between them.
import zlib from 'node:zlib';
import { ConsoleError } from '../ipc/errors.js';

export interface ZipEntry {
  /** Forward slashes; no leading slash, no "..". */
  readonly name: string;
  readonly data: Buffer;
  readonly modified?: Date;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** MS-DOS date and time (APPNOTE 4.4.6), local time, two-second resolution. */
function dosDateTime(d: Date): { date: number; time: number } {
  const year = Math.max(1980, Math.min(2107, d.getFullYear()));
  return {
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
  };
}

function checkName(name: string): void {
  if (!name || name.startsWith('/') || name.includes('\\') || name.split('/').some((p) => p === '..' || p === '')) {
    throw new ConsoleError('export', `"${name}" is not a safe name inside a ZIP.`, 'This is a bug in the console; report it.');
  }
}

/** Entries past this need the ZIP64 end records (APPNOTE 4.3.14, 4.3.15): 50 000 targets with an MSI log each are 100 000 files. */
const MAX_CLASSIC_ENTRIES = 0xffff;
/** Even with the ZIP64 end records entries stay classic (sizes and offsets in 32 bits): past this many the export is refused. */
export const MAX_ZIP_ENTRIES = 1_000_000;

/** A ZIP written one entry at a time (each compressed as it is added), then finished with its central directory. */
export class ZipBuilder {
  private readonly parts: Buffer[] = [];
  private readonly centrals: Buffer[] = [];
  private offset = 0;
  private count = 0;

  get entries(): number {
    return this.count;
  }

  add(entry: ZipEntry): void {
    checkName(entry.name);
    if (this.count >= MAX_ZIP_ENTRIES) throw new ConsoleError('export', `More than ${MAX_ZIP_ENTRIES} files are too many for one ZIP.`, 'Export fewer targets at once.');
    const name = Buffer.from(entry.name, 'utf8');
    const compressed = zlib.deflateRawSync(entry.data, { level: 6 });
    const crc = crc32(entry.data);
    const { date, time } = dosDateTime(entry.modified ?? new Date());
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by: Unix, 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, rw-r--r--
    central.writeUInt32LE(this.offset, 42);
    this.parts.push(local, name, compressed);
    this.centrals.push(central, name);
    this.offset += local.length + name.length + compressed.length;
    this.count += 1;
    if (this.offset > 0xffffffff) throw new ConsoleError('export', 'The logs are larger than 4 GB.', 'Export fewer targets at once.');
  }

  /** The whole archive: the entries, the central directory, and the end records (ZIP64 ones too past 65 535 entries). */
  finish(): Buffer {
    const centralSize = this.centrals.reduce((n, b) => n + b.length, 0);
    if (this.offset + centralSize > 0xffffffff) throw new ConsoleError('export', 'The logs are larger than 4 GB.', 'Export fewer targets at once.');
    const ends: Buffer[] = [];
    const zip64 = this.count > MAX_CLASSIC_ENTRIES;
    if (zip64) {
      const record = Buffer.alloc(56);
      record.writeUInt32LE(0x06064b50, 0);
      record.writeBigUInt64LE(44n, 4); // the record's size after this field
      record.writeUInt16LE(0x032d, 12); // made by: Unix, 4.5
      record.writeUInt16LE(45, 14); // version needed: 4.5 (ZIP64)
      record.writeBigUInt64LE(BigInt(this.count), 24);
      record.writeBigUInt64LE(BigInt(this.count), 32);
      record.writeBigUInt64LE(BigInt(centralSize), 40);
      record.writeBigUInt64LE(BigInt(this.offset), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(0x07064b50, 0);
      locator.writeBigUInt64LE(BigInt(this.offset + centralSize), 8);
      locator.writeUInt32LE(1, 16); // disks
      ends.push(record, locator);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(this.count, MAX_CLASSIC_ENTRIES), 8);
    end.writeUInt16LE(Math.min(this.count, MAX_CLASSIC_ENTRIES), 10);
    end.writeUInt32LE(centralSize, 12);
    end.writeUInt32LE(this.offset, 16);
    return Buffer.concat([...this.parts, ...this.centrals, ...ends, end]);
  }
}

export function writeZip(entries: readonly ZipEntry[]): Buffer {
  const zip = new ZipBuilder();
  for (const entry of entries) zip.add(entry);
  return zip.finish();
}
