// The Windows Installer database inside a compound file: stream names (packed two characters
// per UTF-16 unit, tables prefixed with U+4840), the string pool (_StringPool lengths and
// reference counts, _StringData bytes in the database's code page) and tables stored column by
// column. Only what reading a table of string columns needs, bounded like the container below.
import { TextDecoder } from 'node:util';
import { CompoundFile, type DirectoryEntry } from './compoundFile.js';
import { MsiFormatError } from './errors.js';

const NAME_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._';
const TABLE_PREFIX = '\u4840';
/** No installer database we push comes near this; a larger table is refused, not allocated. */
const MAX_STRINGS = 2_000_000;

/** Decodes an MSI stream name: U+3800..U+47FF hold two characters, U+4800..U+483F one. */
export function decodeStreamName(raw: string): string {
  let out = '';
  for (const ch of raw) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x3800 && c < 0x4800) {
      const v = c - 0x3800;
      out += NAME_ALPHABET[v & 0x3f]! + NAME_ALPHABET[(v >> 6) & 0x3f]!;
    } else if (c >= 0x4800 && c < 0x4840) {
      out += NAME_ALPHABET[c - 0x4800]!;
    } else {
      out += ch;
    }
  }
  return out;
}

function decoderFor(codepage: number): TextDecoder {
  if (codepage === 65001) return new TextDecoder('utf-8');
  // 0 is the neutral code page; Windows reads such strings in the system's ANSI page.
  const label = codepage === 0 ? 'windows-1252' : `windows-${codepage}`;
  try {
    return new TextDecoder(label);
  } catch {
    return new TextDecoder('windows-1252');
  }
}

export class MsiDatabase {
  private readonly streams = new Map<string, DirectoryEntry>();
  readonly strings: readonly (string | null)[];
  readonly codepage: number;
  /** Width of a string reference in a table: 2 bytes, or 3 when the pool has more than 65535. */
  readonly stringRefBytes: 2 | 3;

  constructor(private readonly file: CompoundFile) {
    for (const entry of file.children(file.root)) {
      if (entry.type === 2) this.streams.set(decodeStreamName(entry.name), entry);
    }
    const pool = this.stream('_StringPool');
    const data = this.stream('_StringData');
    if (!pool || !data) throw new MsiFormatError('not-an-msi', 'The compound file has no installer string pool: it is not an .msi (perhaps an .msp, .doc or .xls).');
    if (pool.length < 4 || pool.length % 4 !== 0) throw new MsiFormatError('string-pool-corrupt', `The string pool is ${pool.length} bytes, not a whole number of entries.`);
    const flags = pool.readUInt16LE(2);
    this.stringRefBytes = flags & 0x8000 ? 3 : 2;
    this.codepage = pool.readUInt16LE(0) | ((flags & 0x7fff) << 16);
    const decoder = decoderFor(this.codepage);
    const count = pool.length / 4;
    if (count > MAX_STRINGS) throw new MsiFormatError('too-large', `The string pool has ${count} entries.`);
    const strings: (string | null)[] = [null];
    let offset = 0;
    for (let i = 1; i < count; ) {
      const len16 = pool.readUInt16LE(i * 4);
      const refs = pool.readUInt16LE(i * 4 + 2);
      let length: number;
      if (len16 === 0 && refs === 0) {
        strings.push(null);
        i += 1;
        continue;
      }
      if (len16 === 0) {
        // A string over 64 KB: this entry's reference count is the high word, the next entry the low word.
        if (i + 1 >= count) throw new MsiFormatError('string-pool-corrupt', 'The string pool ends inside a long string entry.');
        length = pool.readUInt16LE((i + 1) * 4 + 2) * 65536 + pool.readUInt16LE((i + 1) * 4);
        i += 2;
      } else {
        length = len16;
        i += 1;
      }
      if (offset + length > data.length) throw new MsiFormatError('string-pool-corrupt', `String ${strings.length} runs past the end of the string data (${offset + length} > ${data.length}).`);
      strings.push(decoder.decode(data.subarray(offset, offset + length)));
      offset += length;
    }
    this.strings = strings;
  }

  /** A stream of the root storage by its decoded name; a table name finds its prefixed stream too. */
  stream(name: string): Buffer | null {
    const entry = this.streams.get(name) ?? this.streams.get(TABLE_PREFIX + name);
    return entry ? this.file.read(entry) : null;
  }

  get streamNames(): string[] {
    return [...this.streams.keys()].map((n) => (n.startsWith(TABLE_PREFIX) ? `!${n.slice(1)}` : n));
  }

  private string(id: number, table: string): string | null {
    if (id === 0) return null;
    if (id >= this.strings.length) throw new MsiFormatError('table-corrupt', `Table ${table} refers to string ${id} of ${this.strings.length - 1}.`);
    return this.strings[id] ?? '';
  }

  /**
   * Rows of a table whose columns are all strings (Property: Property, Value). Tables are stored
   * column by column: every row's first cell, then every row's second, each a string reference.
   */
  stringTable(name: string, columns: number): (string | null)[][] {
    const bytes = this.stream(TABLE_PREFIX + name);
    if (!bytes) return [];
    const width = this.stringRefBytes;
    const rowBytes = width * columns;
    if (bytes.length % rowBytes !== 0) throw new MsiFormatError('table-corrupt', `Table ${name} is ${bytes.length} bytes, not a whole number of ${rowBytes}-byte rows.`);
    const rows = bytes.length / rowBytes;
    const out: (string | null)[][] = [];
    for (let r = 0; r < rows; r++) {
      const row: (string | null)[] = [];
      for (let c = 0; c < columns; c++) {
        const at = (c * rows + r) * width;
        const id = width === 2 ? bytes.readUInt16LE(at) : bytes.readUInt16LE(at) | (bytes.readUInt8(at + 2) << 16);
        row.push(this.string(id, name));
      }
      out.push(row);
    }
    return out;
  }
}
