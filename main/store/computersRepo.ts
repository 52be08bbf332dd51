// Computers targeted for remote installation.
import type { Computer } from '../ipc/contract.js';
import type { Db } from './database.js';

interface ComputerRow {
  id: number;
  name: string;
  address: string | null;
  domain: string | null;
  os: string | null;
  group_name: string | null;
  port: number | null;
  last_result: string | null;
  created_at: string;
  site_id: number | null;
  site_pinned: number;
  /** From the join with sites (COMPUTERS_WITH_SITE); absent from a row an INSERT returned. */
  site_name?: string | null;
}

/** A computer's columns with its site's name. */
const COMPUTERS_WITH_SITE = 'SELECT c.*, s.name AS site_name FROM computers c LEFT JOIN sites s ON s.id = c.site_id';

function toComputer(row: ComputerRow): Computer {
  return {
    id: row.id,
    name: row.name,
    address: row.address,
    port: row.port,
    domain: row.domain,
    os: row.os,
    groupName: row.group_name,
    lastResult: row.last_result,
    createdAt: row.created_at,
    siteId: row.site_id === null ? null : Number(row.site_id),
    siteName: row.site_name ?? null,
    sitePinned: Number(row.site_pinned) === 1,
  };
}

export interface NewComputer {
  readonly name: string;
  readonly address?: string | null;
  readonly port?: number | null;
  readonly groupName?: string | null;
}

/**
 * Text in SQLite's BINARY order (memcmp of the UTF-8 bytes), which is code point order. PostgreSQL
 * orders text by its database's collation (PostgreSQL docs, "Collation Support"): with a
 * language's rules 'alpha' comes before 'Beta' and 'É' beside 'E', so a list the console shows in
 * order is put in SQLite's order here, the same on both stores.
 */
export function compareBinary(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return a.codePointAt(i)! - b.codePointAt(i)!;
  }
  return a.length - b.length;
}

/** SQLite's lower(): ASCII letters only (without the ICU extension). */
export function sqliteLower(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** Ids bound per statement by byIds: well under SQLite's 32 766 parameters. */
export const SQL_CHUNK = 500;
/** Computers written per transaction by addInChunks (a few milliseconds of main's time each). */
export const ADD_CHUNK = 2_000;
/** Computers per INSERT statement (5 parameters each, far below SQLite's and PostgreSQL's limits). */
export const ROWS_PER_INSERT = 100;

export class ComputersRepo {
  constructor(private readonly db: Db, private readonly now: () => Date = () => new Date()) {}

  /** By name as SQLite orders lower(name) — ASCII case ignored, then bytes — then id, on both stores. */
  list(): Computer[] {
    const rows = this.db.prepare(`${COMPUTERS_WITH_SITE} ORDER BY lower(c.name), c.id`).all() as ComputerRow[];
    // Already in this order on SQLite (the sort then only checks it); PostgreSQL's may differ.
    const keyed = rows.map((row) => ({ row, key: sqliteLower(row.name) }));
    keyed.sort((x, y) => compareBinary(x.key, y.key) || x.row.id - y.row.id);
    return keyed.map((k) => toComputer(k.row));
  }

  /** The given computers still listed, by name; SQL_CHUNK ids per statement (SQLite binds at most 32 766 parameters). */
  byIds(ids: readonly number[]): Computer[] {
    const rows: ComputerRow[] = [];
    for (let from = 0; from < ids.length; from += SQL_CHUNK) {
      const chunk = ids.slice(from, from + SQL_CHUNK);
      rows.push(...(this.db.prepare(`${COMPUTERS_WITH_SITE} WHERE c.id IN (${chunk.map(() => '?').join(', ')})`).all(...chunk) as ComputerRow[]));
    }
    return rows.sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' })).map(toComputer);
  }

  /** Every computer's name in lower case (what an import compares against), without reading whole rows. */
  lowerCaseNames(): Set<string> {
    const names = this.db.prepare('SELECT name FROM computers').pluck().all() as string[];
    return new Set(names.map((n) => n.toLowerCase()));
  }

  /**
   * Adds `chunk` computers per transaction, yielding to the event loop between transactions, so
   * that 50 000 never hold main for one long write; `onChunk` hears how many are done after each.
   * Each chunk is whole or nothing; what earlier chunks added stays if a later one fails.
   */
  async addInChunks(computers: readonly NewComputer[], chunk = ADD_CHUNK, onChunk?: (done: number, total: number) => void): Promise<{ added: Computer[]; duplicates: string[] }> {
    const added: Computer[] = [];
    const duplicates: string[] = [];
    for (let from = 0; from < computers.length; from += chunk) {
      const r = this.addMany(computers.slice(from, from + chunk));
      for (const c of r.added) added.push(c);
      for (const d of r.duplicates) duplicates.push(d);
      onChunk?.(Math.min(computers.length, from + chunk), computers.length);
      if (from + chunk < computers.length) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { added, duplicates };
  }

  /**
   * Adds in one transaction; names already present (case-insensitive) come back as duplicates.
   * ROWS_PER_INSERT rows per statement: on PostgreSQL each statement is a round trip to the
   * server, so one per computer made 10 000 cost seconds. The rows a statement inserted come back
   * (RETURNING) and are matched to the entries by name, in order: an entry whose name was already
   * there, or came earlier in the same list, is a duplicate.
   */
  addMany(computers: readonly NewComputer[]): { added: Computer[]; duplicates: string[] } {
    const added: Computer[] = [];
    const duplicates: string[] = [];
    const createdAt = this.now().toISOString();
    this.db.transaction(() => {
      for (let from = 0; from < computers.length; from += ROWS_PER_INSERT) {
        const batch = computers.slice(from, from + ROWS_PER_INSERT);
        const rows = this.db
          .prepare(
            `INSERT INTO computers (name, address, port, group_name, created_at) VALUES ${batch.map(() => '(?, ?, ?, ?, ?)').join(', ')}
             ON CONFLICT DO NOTHING RETURNING *`,
          )
          .all(...batch.flatMap((c) => [c.name, c.address ?? null, c.port ?? null, c.groupName ?? null, createdAt])) as ComputerRow[];
        // Inserted rows by exact name: an entry takes the row of its own name, once.
        const inserted = new Map<string, ComputerRow[]>();
        for (const row of rows) inserted.set(row.name, [...(inserted.get(row.name) ?? []), row]);
        for (const c of batch) {
          const row = inserted.get(c.name)?.shift();
          if (row) added.push(toComputer(row));
          else duplicates.push(c.name);
        }
      }
    })();
    return { added, duplicates };
  }

  removeMany(ids: readonly number[]): number {
    const remove = this.db.prepare('DELETE FROM computers WHERE id = ?');
    let removed = 0;
    this.db.transaction(() => {
      for (const id of ids) removed += remove.run(id).changes;
    })();
    return removed;
  }

  /** Moves computers into a group (null: no group). */
  setGroup(ids: readonly number[], groupName: string | null): number {
    const update = this.db.prepare('UPDATE computers SET group_name = ? WHERE id = ?');
    let changed = 0;
    this.db.transaction(() => {
      for (const id of ids) changed += update.run(groupName, id).changes;
    })();
    return changed;
  }

  /** What Get Info learned (a null keeps what was known). */
  updateInfo(id: number, info: { domain?: string | null; os?: string | null }): void {
    this.db.prepare('UPDATE computers SET domain = COALESCE(?, domain), os = COALESCE(?, os) WHERE id = ?').run(info.domain ?? null, info.os ?? null, id);
  }

  /** The last push result of a computer, for the Computers grid. */
  setLastResult(id: number, lastResult: string): void {
    this.db.prepare('UPDATE computers SET last_result = ? WHERE id = ?').run(lastResult, id);
  }
}
