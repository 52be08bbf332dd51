// What an admin pastes or imports into Computers (docs/PROTOCOLS.md §11): names and addresses
// several to a line, each with an optional SMB port (host:port, [IPv6]:port), IPv4 ranges
// (10.0.0.1-10.0.0.20 or 10.0.0.1-20, a :port after one applies to every address), CIDR blocks
// (10.0.0.0/28) and text/CSV files with a header naming the computer column (and optionally a port
// column). Pure: it returns a preview of what would be added, with duplicates and invalid lines,
// and the caller adds. Bounded: more than 50 000 lines or entries is refused whole, with a clear
// error, before anything is expanded. previewComputerListInChunks does the same work a slice of
// lines at a time, yielding to the event loop between slices, so that a 50 000-line paste never
// holds main (the bridge, the engine's timers) for more than a few milliseconds at once.
import net from 'node:net';
import type { ComputerImportPreview } from '../ipc/contract.js';
import { ConsoleError } from '../ipc/errors.js';
import { parseComputerEntry, parsePort } from '../engine/computerEntry.js';

export const MAX_IMPORT_LINES = 50_000;
export const MAX_IMPORT_ENTRIES = 50_000;
/** How many lines previewComputerListInChunks parses between two yields to the event loop. */
export const PREVIEW_CHUNK_LINES = 2_000;
/** One range or block expands to at most this many addresses (a /20). */
export const MAX_RANGE_ADDRESSES = 4096;

const PORT_COLUMNS = ['port', 'smb port', 'smbport'];
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

/** A CSV header: a separator, the index of the column that names the computer and of the SMB port's (or null). */
interface CsvHeader {
  readonly separator: string;
  readonly column: number;
  readonly portColumn: number | null;
}

/** The header `line` is when one of its cells names the computer column; null when it is not a header. */
function csvHeader(line: string): CsvHeader | null {
  for (const separator of [',', ';', '\t']) {
    if (!line.includes(separator)) continue;
    const cells = splitCsvLine(line, separator).map((c) => c.toLowerCase());
    const portColumn = cells.findIndex((c) => PORT_COLUMNS.includes(c));
    for (const name of NAME_COLUMNS) {
      const column = cells.indexOf(name);
      if (column >= 0) return { separator, column, portColumn: portColumn >= 0 ? portColumn : null };
    }
  }
  return null;
}

/** A range or CIDR block with a :port after it (10.0.0.1-20:10445); null when the text is not one. */
function rangeWithPort(text: string): { range: string; port: string } | null {
  const m = /^([^:[\]]+):([^:]*)$/.exec(text);
  return m && expandRange(m[1]!.trim()) !== null ? { range: m[1]!.trim(), port: m[2]! } : null;
}

/**
 * Parses a paste or a file's text into a preview. `existing` holds the names (lower case) already
 * in Computers: those come back as duplicates with `existing: true`.
 */
export function previewComputerList(text: string, existing: ReadonlySet<string> = new Set()): ComputerImportPreview {
  const run = startPreview(text, existing);
  run.lines(0, run.count);
  return run.preview;
}

/** The same preview, PREVIEW_CHUNK_LINES lines at a time with a yield to the event loop after each slice. */
export async function previewComputerListInChunks(text: string, existing: ReadonlySet<string> = new Set(), chunkLines = PREVIEW_CHUNK_LINES): Promise<ComputerImportPreview> {
  const run = startPreview(text, existing);
  for (let from = 0; from < run.count; from += chunkLines) {
    run.lines(from, Math.min(run.count, from + chunkLines));
    if (from + chunkLines < run.count) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return run.preview;
}

/** A preview under way: its lines (bounded), the CSV header if any, and a function that previews lines [from, to). */
function startPreview(text: string, existing: ReadonlySet<string>) {
  const all = importLines(text);
  const preview: ComputerImportPreview = { entries: [], duplicates: [], invalid: [], lines: all.length };
  const firstContent = all.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const header = firstContent >= 0 ? csvHeader(all[firstContent]!) : null;
  const add = entryAdder(preview, existing);
  const lines = (from: number, to: number) => {
    for (let index = from; index < to; index++) {
      const raw = all[index]!;
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || (header && index === firstContent)) continue;
      previewLine(preview, add, header, raw, index + 1);
    }
  };
  return { preview, count: all.length, lines };
}

/** The text's lines without a BOM or trailing blank lines; more than MAX_IMPORT_LINES is refused. */
function importLines(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length > MAX_IMPORT_LINES) {
    throw new ConsoleError(
      'import-too-large',
      `The list has ${lines.length} lines; at most ${MAX_IMPORT_LINES} can be imported at once.`,
      `Split the file into parts of up to ${MAX_IMPORT_LINES} lines, or import a range or CIDR block instead.`,
    );
  }
  return lines;
}

/** Adds one token on line `lineNo` to the preview. `port`: from a CSV port column or a range's :port (null: 445), over what the token says. */
type AddEntry = (lineNo: number, token: string, port?: number | null) => void;

/** The preview's AddEntry: invalid entries, duplicates (in the list or already in Computers), and the bound on entries. */
function entryAdder(preview: ComputerImportPreview, existing: ReadonlySet<string>): AddEntry {
  const seen = new Set<string>();
  return (lineNo, token, port) => {
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
        `Import it in parts of up to ${MAX_IMPORT_ENTRIES} computers.`,
      );
    }
    const isAddress = parsed.kind === 'ipv4' || parsed.kind === 'ipv6';
    preview.entries.push({ line: lineNo, name: parsed.name, address: isAddress ? parsed.name : null, port: port === undefined ? parsed.port : port });
  };
}

/** One line with content: a CSV row (its name column and port column) or names, addresses and ranges. */
function previewLine(preview: ComputerImportPreview, add: AddEntry, header: CsvHeader | null, raw: string, lineNo: number): void {
  const line = raw.trim();
  const cells = header ? splitCsvLine(line, header.separator) : [];
  const tokens = header ? [cells[header.column] ?? ''] : line.split(/[\s,;]+/).filter(Boolean);
  // A CSV port column: an empty cell is the default (or the name's own :port).
  let columnPort: number | null | undefined;
  const portCell = header && header.portColumn !== null ? (cells[header.portColumn] ?? '') : '';
  if (portCell !== '') {
    const port = parsePort(portCell);
    if (!port.ok) {
      preview.invalid.push({ line: lineNo, entry: `${tokens[0] || raw.slice(0, 200)} (port ${portCell.slice(0, 20)})`, reason: port.reason });
      return;
    }
    columnPort = port.port;
  }
  // A range written with spaces around the dash is one token.
  const joined = !header && /^\S+\s*-\s*\S+$/.test(line) ? [line] : tokens;
  for (const token of joined) {
    if (token === '') {
      preview.invalid.push({ line: lineNo, entry: raw.slice(0, 200), reason: 'no computer name in this row' });
      continue;
    }
    previewToken(preview, add, lineNo, token, columnPort);
  }
}

/** One token: a name or address, or a range or CIDR block (with an optional :port) expanded to its addresses. */
function previewToken(preview: ComputerImportPreview, add: AddEntry, lineNo: number, token: string, columnPort: number | null | undefined): void {
  const suffixed = rangeWithPort(token);
  let rangePort = columnPort;
  if (suffixed) {
    const port = parsePort(suffixed.port);
    if (!port.ok) {
      preview.invalid.push({ line: lineNo, entry: token, reason: port.reason });
      return;
    }
    rangePort = port.port;
  }
  const range = expandRange(suffixed ? suffixed.range : token);
  if (range === null) add(lineNo, token, columnPort);
  else if (!range.ok) preview.invalid.push({ line: lineNo, entry: token, reason: range.reason });
  else for (const address of range.addresses) add(lineNo, address, rangePort);
}
