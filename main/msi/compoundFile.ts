// A reader of the OLE compound file format ([MS-CFB]), the container of every .msi: header
// (2.2), FAT and DIFAT sector chains (2.3, 2.5), the mini stream and mini FAT (2.4), and the
// directory's red-black tree of storages and streams (2.6). Reads sectors on demand from a
// buffer or an open file, so a 1 GB package costs its FAT and the streams asked for, not 1 GB;
// every offset and chain is checked before use, so a damaged file ends in MsiFormatError — never
// an out-of-range read, an endless chain or an unbounded allocation.
import fs from 'node:fs';
import { MsiFormatError } from './errors.js';

/** Random access to the file's bytes. */
export interface ByteSource {
  readonly length: number;
  read(offset: number, length: number): Buffer;
}

export function bufferSource(data: Buffer): ByteSource {
  return { length: data.length, read: (offset, length) => data.subarray(offset, offset + length) };
}

/** Reads from an open file descriptor (the caller closes it). */
export function fileSource(fd: number): ByteSource {
  const length = fs.fstatSync(fd).size;
  return {
    length,
    read(offset, want) {
      const n = Math.max(0, Math.min(want, length - offset));
      const out = Buffer.alloc(n);
      let done = 0;
      while (done < n) {
        const got = fs.readSync(fd, out, done, n - done, offset + done);
        if (got === 0) break;
        done += got;
      }
      return out.subarray(0, done);
    },
  };
}

const SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const MAXREGSECT = 0xfffffffa;
const ENDOFCHAIN = 0xfffffffe;
const FREESECT = 0xffffffff;
const NOSTREAM = 0xffffffff;
/** Directory entries of a tree walk, and sectors of any chain, are bounded by the file's size. */
const MAX_DIRECTORY_ENTRIES = 1 << 20;

export interface DirectoryEntry {
  readonly index: number;
  readonly name: string;
  /** 1 storage, 2 stream, 5 root storage (MS-CFB 2.6.1). */
  readonly type: number;
  readonly left: number;
  readonly right: number;
  readonly child: number;
  readonly start: number;
  readonly size: number;
}

function corrupt(message: string): MsiFormatError {
  return new MsiFormatError('compound-file-corrupt', message);
}

export class CompoundFile {
  private readonly sectorSize: number;
  private readonly miniSectorSize: number;
  private readonly miniCutoff: number;
  private readonly fat: Uint32Array;
  private readonly miniFat: Uint32Array;
  readonly entries: readonly DirectoryEntry[];
  private miniStream: Buffer | null = null;

  private readonly length: number;

  constructor(private readonly source: ByteSource) {
    this.length = source.length;
    const data = source.read(0, 512);
    if (data.length < 512 || !data.subarray(0, 8).equals(SIGNATURE)) {
      throw new MsiFormatError('not-a-compound-file', 'The file is not an OLE compound file (an .msi starts with D0 CF 11 E0).');
    }
    const major = data.readUInt16LE(0x1a);
    const sectorShift = data.readUInt16LE(0x1e);
    const miniShift = data.readUInt16LE(0x20);
    if (data.readUInt16LE(0x1c) !== 0xfffe) throw corrupt('The compound file header has no little-endian byte order mark.');
    if (!((major === 3 && sectorShift === 9) || (major === 4 && sectorShift === 12))) {
      throw corrupt(`Unsupported compound file version ${major} with sector shift ${sectorShift}.`);
    }
    if (miniShift !== 6) throw corrupt(`Unsupported mini sector shift ${miniShift}.`);
    this.sectorSize = 1 << sectorShift;
    this.miniSectorSize = 1 << miniShift;
    this.miniCutoff = data.readUInt32LE(0x38);
    if (this.miniCutoff !== 4096) throw corrupt(`Unexpected mini stream cutoff ${this.miniCutoff}.`);

    const sectorCount = Math.max(0, Math.ceil((this.length - this.sectorSize) / this.sectorSize));
    const fatSectors = data.readUInt32LE(0x2c);
    if (fatSectors > sectorCount) throw corrupt(`The header claims ${fatSectors} FAT sectors in a file of ${sectorCount}.`);

    // DIFAT: 109 entries in the header, then a chain of DIFAT sectors (MS-CFB 2.5).
    const fatLocations: number[] = [];
    for (let i = 0; i < 109 && fatLocations.length < fatSectors; i++) fatLocations.push(data.readUInt32LE(0x4c + i * 4));
    let difat = data.readUInt32LE(0x44);
    const difatCount = data.readUInt32LE(0x48);
    const perDifat = this.sectorSize / 4 - 1;
    for (let n = 0; n < difatCount && fatLocations.length < fatSectors; n++) {
      if (difat > MAXREGSECT || difat >= sectorCount) throw corrupt(`DIFAT sector ${difat} is outside the file.`);
      const sector = this.sector(difat);
      for (let i = 0; i < perDifat && fatLocations.length < fatSectors; i++) fatLocations.push(sector.readUInt32LE(i * 4));
      difat = sector.readUInt32LE(perDifat * 4);
    }
    if (fatLocations.length < fatSectors) throw corrupt('The DIFAT ends before every FAT sector is listed.');
    this.fat = new Uint32Array(fatSectors * (this.sectorSize / 4));
    fatLocations.forEach((sector, i) => {
      if (sector > MAXREGSECT || sector >= sectorCount) throw corrupt(`FAT sector ${sector} is outside the file.`);
      const bytes = this.sector(sector);
      for (let j = 0; j < this.sectorSize / 4; j++) this.fat[i * (this.sectorSize / 4) + j] = bytes.readUInt32LE(j * 4);
    });

    const miniFatStart = data.readUInt32LE(0x3c);
    this.miniFat = miniFatStart === ENDOFCHAIN ? new Uint32Array(0) : bytesToU32(this.readChain(miniFatStart, null));
    this.entries = this.readDirectory(data.readUInt32LE(0x30));
  }

  /** A sector's bytes; metadata sectors (FAT, DIFAT) must be whole, a stream's last may be short. */
  private sector(sector: number, whole = true): Buffer {
    const offset = (sector + 1) * this.sectorSize;
    if (offset >= this.length || (whole && offset + this.sectorSize > this.length)) {
      throw corrupt(`Sector ${sector} is past the end of the file.`);
    }
    return this.source.read(offset, this.sectorSize);
  }

  /** The sectors of a FAT chain, concatenated; `size` (when known) trims and bounds it. */
  private readChain(start: number, size: number | null): Buffer {
    const maxSectors = this.fat.length;
    const wanted = size === null ? null : Math.ceil(size / this.sectorSize);
    if (wanted !== null && wanted > maxSectors) throw corrupt(`A stream of ${size} bytes is larger than the file.`);
    const parts: Buffer[] = [];
    let sector = start;
    const seen = new Set<number>();
    while (sector !== ENDOFCHAIN) {
      if (sector > MAXREGSECT || sector >= this.fat.length) throw corrupt(`A sector chain points at ${sector === FREESECT ? 'a free sector' : `sector ${sector}`}.`);
      if (seen.has(sector)) throw corrupt(`A sector chain loops back to sector ${sector}.`);
      seen.add(sector);
      parts.push(this.sector(sector, false));
      if (wanted !== null && parts.length >= wanted) break;
      sector = this.fat[sector]!;
    }
    const joined = Buffer.concat(parts);
    if (size !== null) {
      if (joined.length < size) throw corrupt(`A stream's chain holds ${joined.length} of its ${size} bytes.`);
      return joined.subarray(0, size);
    }
    return joined;
  }

  private readDirectory(start: number): DirectoryEntry[] {
    const bytes = this.readChain(start, null);
    const count = Math.min(Math.floor(bytes.length / 128), MAX_DIRECTORY_ENTRIES);
    const entries: DirectoryEntry[] = [];
    for (let i = 0; i < count; i++) {
      const e = bytes.subarray(i * 128, i * 128 + 128);
      const nameLength = e.readUInt16LE(0x40);
      const type = e.readUInt8(0x42);
      if (nameLength > 64 || nameLength % 2 !== 0) throw corrupt(`Directory entry ${i} has a name length of ${nameLength}.`);
      const name = e.subarray(0, Math.max(0, nameLength - 2)).toString('utf16le');
      // Version 3 files keep only the low 32 bits of the size (MS-CFB 2.6.3).
      const high = e.readUInt32LE(0x7c);
      const size = this.sectorSize === 512 ? e.readUInt32LE(0x78) : high * 2 ** 32 + e.readUInt32LE(0x78);
      if (size > this.length && (type === 1 || type === 2 || type === 5)) {
        throw corrupt(`Directory entry "${name}" claims ${size} bytes in a file of ${this.length}.`);
      }
      entries.push({ index: i, name, type, left: e.readUInt32LE(0x44), right: e.readUInt32LE(0x48), child: e.readUInt32LE(0x4c), start: e.readUInt32LE(0x74), size });
    }
    if (entries[0]?.type !== 5) throw corrupt('The first directory entry is not the root storage.');
    return entries;
  }

  /** The direct children of a storage (a walk of its red-black tree, cycles refused). */
  children(storage: DirectoryEntry): DirectoryEntry[] {
    const out: DirectoryEntry[] = [];
    const seen = new Set<number>();
    const stack = [storage.child];
    while (stack.length > 0) {
      const index = stack.pop()!;
      if (index === NOSTREAM) continue;
      if (index >= this.entries.length) throw corrupt(`The directory tree points at entry ${index} of ${this.entries.length}.`);
      if (seen.has(index)) throw corrupt(`The directory tree loops back to entry ${index}.`);
      seen.add(index);
      const entry = this.entries[index]!;
      out.push(entry);
      stack.push(entry.left, entry.right);
    }
    return out;
  }

  get root(): DirectoryEntry {
    return this.entries[0]!;
  }

  /** A stream's bytes: from the mini stream when smaller than the cutoff, else from the FAT. */
  read(entry: DirectoryEntry): Buffer {
    if (entry.type !== 2) throw corrupt(`"${entry.name}" is not a stream.`);
    if (entry.size === 0) return Buffer.alloc(0);
    if (entry.size >= this.miniCutoff) return this.readChain(entry.start, entry.size);
    this.miniStream ??= this.root.start === ENDOFCHAIN ? Buffer.alloc(0) : this.readChain(this.root.start, this.root.size);
    const parts: Buffer[] = [];
    let sector = entry.start;
    let have = 0;
    const seen = new Set<number>();
    while (have < entry.size) {
      if (sector >= this.miniFat.length) throw corrupt(`A mini sector chain points at ${sector}.`);
      if (seen.has(sector)) throw corrupt(`A mini sector chain loops back to ${sector}.`);
      seen.add(sector);
      const offset = sector * this.miniSectorSize;
      if (offset + this.miniSectorSize > this.miniStream.length) throw corrupt(`Mini sector ${sector} is past the mini stream.`);
      parts.push(this.miniStream.subarray(offset, offset + this.miniSectorSize));
      have += this.miniSectorSize;
      sector = this.miniFat[sector]!;
    }
    return Buffer.concat(parts).subarray(0, entry.size);
  }
}

function bytesToU32(bytes: Buffer): Uint32Array {
  const out = new Uint32Array(Math.floor(bytes.length / 4));
  for (let i = 0; i < out.length; i++) out[i] = bytes.readUInt32LE(i * 4);
  return out;
}
