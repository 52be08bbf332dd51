// What an admin pastes or imports into Computers (DESIGN.md §1.1): names and addresses several
// to a line, IPv4 ranges (10.0.0.1-10.0.0.20 or 10.0.0.1-20), CIDR blocks (10.0.0.0/28) and
// text/CSV files with a header naming the computer column. Pure: it returns a preview of what
// would be added, with duplicates and invalid lines, and the caller adds. Bounded: more than
// 10 000 lines or entries is refused whole, with a clear error, before anything is expanded.
import net from 'node:net';
import type { ComputerImportPreview } from '../ipc/contract.js';
import { ConsoleError } from '../ipc/errors.js';
import { parseComputerEntry } from '../engine/computerEntry.js';

export const MAX_IMPORT_LINES = 10_000;
export const MAX_IMPORT_ENTRIES = 10_000;
/** One range or block expands to at most this many addresses (a /20). */
export const MAX_RANGE_ADDRESSES = 4096;

const NAME_COLUMNS = ['name', 'computer', 'computername', 'computer name', 'host', 'hostname', 'host name', 'dnshostname', 'dns name', 'fqdn', 'address', 'ip', 'ip address', 'ipaddress'];

export function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export type RangeResult = { ok: true; addresses: string[] } | { ok: false; reason: string } | null;

/** An IPv4 range or CIDR block, expanded; null when the text is neither. */
export function expandRange(text: string, limit = MAX_RANGE_ADDRESSES): RangeResult {
  const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (cidr) {
    const [, base, bits] = cidr as unknown as [string, string, string];
    const prefix = Number(bits);
    if (!net.isIPv4(base)) return { ok: false, reason: 'not a valid IPv4 address' };
    if (prefix > 32) return { ok: false, reason: 'a CIDR prefix is 0 to 32' };
    const size = 2 ** (32 - prefix);
    // Network and broadcast addresses are not computers, except in /31 and /32 (RFC 3021).
    const hosts = prefix >= 31 ? size : size - 2;
    if (hosts > limit) return { ok: false, reason: `/${prefix} holds ${hosts} addresses; at most ${limit} at once (a /${32 - Math.log2(limit)})` };
    const network = Math.floor(ipv4ToNumber(base) / size) * size;
    const first = prefix >= 31 ? network : network + 1;
    return { ok: true, addresses: Array.from({ length: hosts }, (_, i) => numberToIpv4(first + i)) };
  }
  const range = /^(\d{1,3}(?:\.\d{1,3}){3})\s*-\s*(\d{1,3}(?:\.\d{1,3}){3}|\d{1,3})$/.exec(text);
  if (range) {
    const [, from, toText] = range as unknown as [string, string, string];
    const to = toText.includes('.') ? toText : `${from.split('.').slice(0, 3).join('.')}.${toText}`;
    if (!net.isIPv4(from) || !net.isIPv4(to)) return { ok: false, reason: 'not a valid IPv4 range' };
    const a = ipv4ToNumber(from);
    const b = ipv4ToNumber(to);
    if (b < a) return { ok: false, reason: 'the range ends before it starts' };
    if (b - a + 1 > limit) return { ok: false, reason: `the range holds ${b - a + 1} addresses; at most ${limit} at once` };
    return { ok: true, addresses: Array.from({ length: b - a + 1 }, (_, i) => numberToIpv4(a + i)) };
  }
  return null;
}

function splitCsvLine(line: string, separator: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === separator) {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

/** A CSV header: a separator and the index of the column that names the computer. */
function csvHeader(line: string): { separator: string; column: number } | null {
  for (const separator of [',', ';', '\t']) {
    if (!line.includes(separator)) continue;
    const cells = splitCsvLine(line, separator).map((c) => c.toLowerCase());
    for (const name of NAME_COLUMNS) {
      const column = cells.indexOf(name);
      if (column >= 0) return { separator, column };
    }
  }
  return null;
}

/**
 * Parses a paste or a file's text into a preview. `existing` holds the names (lower case) already
 * in Computers: those come back as duplicates with `existing: true`.
 */
export function previewComputerList(text: string, existing: ReadonlySet<string> = new Set()): ComputerImportPreview {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length > MAX_IMPORT_LINES) {
    throw new ConsoleError(
      'import-too-large',
      `The list has ${lines.length} lines; at most ${MAX_IMPORT_LINES} can be imported at once.`,
      'Split the file into parts of up to 10 000 lines, or import a range or CIDR block instead.',
    );
  }
  const preview: ComputerImportPreview = { entries: [], duplicates: [], invalid: [], lines: lines.length };
  const seen = new Set<string>();
  const firstContent = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const header = firstContent >= 0 ? csvHeader(lines[firstContent]!) : null;

  const add = (lineNo: number, token: string) => {
    const parsed = parseComputerEntry(token);
    if (!parsed.ok) {
      preview.invalid.push({ line: lineNo, entry: token, reason: parsed.reason });
      return;
    }
    const key = parsed.name.toLowerCase();
    if (seen.has(key) || existing.has(key)) {
      preview.duplicates.push({ line: lineNo, entry: parsed.name, existing: existing.has(key) });
      return;
    }
    seen.add(key);
    if (preview.entries.length >= MAX_IMPORT_ENTRIES) {
      throw new ConsoleError(
        'import-too-large',
        `The list expands to more than ${MAX_IMPORT_ENTRIES} computers.`,
        'Import it in parts of up to 10 000 computers.',
      );
    }
    const isAddress = parsed.kind === 'ipv4' || parsed.kind === 'ipv6';
    preview.entries.push({ line: lineNo, name: parsed.name, address: isAddress ? parsed.name : null });
  };

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || (header && index === firstContent)) return;
    const tokens = header
      ? [splitCsvLine(line, header.separator)[header.column] ?? '']
      : line.split(/[\s,;]+/).filter(Boolean);
    // A range written with spaces around the dash is one token.
    const joined = !header && /^\S+\s*-\s*\S+$/.test(line) ? [line] : tokens;
    for (const token of joined) {
      if (token === '') {
        preview.invalid.push({ line: lineNo, entry: raw.slice(0, 200), reason: 'no computer name in this row' });
        continue;
      }
      const range = expandRange(token);
      if (range === null) add(lineNo, token);
      else if (!range.ok) preview.invalid.push({ line: lineNo, entry: token, reason: range.reason });
      else for (const address of range.addresses) add(lineNo, address);
    }
  });
  return preview;
}
