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
}

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
  };
}

export interface NewComputer {
  readonly name: string;
  readonly address?: string | null;
  readonly port?: number | null;
  readonly groupName?: string | null;
}

export class ComputersRepo {
  constructor(private readonly db: Db, private readonly now: () => Date = () => new Date()) {}

  list(): Computer[] {
    const rows = this.db.prepare('SELECT * FROM computers ORDER BY name COLLATE NOCASE').all() as ComputerRow[];
    return rows.map(toComputer);
  }

  /** Adds in one transaction; names already present (case-insensitive) come back as duplicates. */
  addMany(computers: readonly NewComputer[]): { added: Computer[]; duplicates: string[] } {
    const insert = this.db.prepare(
      `INSERT INTO computers (name, address, port, group_name, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(name) DO NOTHING RETURNING *`,
    );
    const added: Computer[] = [];
    const duplicates: string[] = [];
    const createdAt = this.now().toISOString();
    this.db.transaction(() => {
      for (const c of computers) {
        const row = insert.get(c.name, c.address ?? null, c.port ?? null, c.groupName ?? null, createdAt) as ComputerRow | undefined;
        if (row) added.push(toComputer(row));
        else duplicates.push(c.name);
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
