// SQLite through Node's built-in node:sqlite (DatabaseSync), with the small synchronous surface
// the repositories use: prepared statements (run/get/all, and pluck for one column), exec,
// pragmas, and transactions that nest (SAVEPOINTs inside BEGIN IMMEDIATE). Built into Node 22+
// and into Electron's Node, so no native module is compiled per ABI. Rows are plain objects and
// BLOBs are Buffers, as the repositories expect.
import { createRequire } from 'node:module';
import type { DatabaseSync as DatabaseSyncType, StatementSync, SQLInputValue } from 'node:sqlite';
import { DatabaseClosedError, type SqlDb, type SqlStatement, type SqlValue } from './sql.js';

/**
 * node:sqlite warns once per process that it is experimental (Node 22); the console's output and
 * the CLI's --json are not the place for that line, so the load is done with that one warning
 * held back. Loaded through require so that bundlers leave the built-in module alone.
 */
function loadSqlite(): typeof import('node:sqlite') {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    (emit as (w: string | Error, ...r: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return createRequire(import.meta.url)('node:sqlite') as typeof import('node:sqlite');
  } finally {
    process.emitWarning = emit;
  }
}

const { DatabaseSync } = loadSqlite();

type Row = Record<string, unknown>;

function plainRow(row: Row | undefined): Row | undefined {
  if (!row) return row;
  const out: Row = {};
  for (const key of Object.keys(row)) {
    const value = row[key];
    out[key] = value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
  }
  return out;
}

/** node:sqlite's own error for a closed database (code ERR_INVALID_STATE) becomes DatabaseClosedError. */
function closedAware<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_INVALID_STATE' && /not open|finalized/.test((error as Error).message)) throw new DatabaseClosedError();
    throw error;
  }
}

export class Statement implements SqlStatement {
  private plucked = false;

  constructor(private readonly s: StatementSync) {}

  /** get/all answer the first column's value instead of the row. */
  pluck(): this {
    this.plucked = true;
    return this;
  }

  run(...params: SqlValue[]): { changes: number; lastInsertRowid: number } {
    const r = closedAware(() => this.s.run(...(params as SQLInputValue[])));
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
  }

  get(...params: SqlValue[]): unknown {
    const row = plainRow(closedAware(() => this.s.get(...(params as SQLInputValue[]))) as Row | undefined);
    return this.plucked && row ? Object.values(row)[0] : row;
  }

  all(...params: SqlValue[]): unknown[] {
    const rows = (closedAware(() => this.s.all(...(params as SQLInputValue[]))) as Row[]).map((r) => plainRow(r)!);
    return this.plucked ? rows.map((r) => Object.values(r)[0]) : rows;
  }
}

/** How many prepared statements a database keeps for reuse (least recently used go first). */
export const STATEMENT_CACHE_SIZE = 256;

export class Database implements SqlDb {
  readonly dialect = 'sqlite';
  private readonly db: DatabaseSyncType;
  /**
   * Prepared statements by SQL text, reused: preparing costs as much as running a small statement,
   * and a statement's native memory is freed only when the garbage collector finalizes its
   * wrapper — a push's dozens of statements, prepared afresh each time, kept megabytes of
   * sqlite3_stmt alive between collections. Bounded, since some SQL is built per call.
   */
  private readonly statements = new Map<string, StatementSync>();
  private depth = 0;
  private savepoints = 0;

  constructor(file: string, options: { readonly?: boolean } = {}) {
    this.db = new DatabaseSync(file, { readOnly: options.readonly === true });
  }

  get open(): boolean {
    return this.db.isOpen;
  }

  prepare(sql: string): Statement {
    if (!this.db.isOpen) throw new DatabaseClosedError();
    let statement = this.statements.get(sql);
    if (statement) this.statements.delete(sql);
    else {
      statement = this.db.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.delete(this.statements.keys().next().value!);
    }
    this.statements.set(sql, statement);
    return new Statement(statement);
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  /** `PRAGMA name` or `PRAGMA name = value`; `simple` answers the first column of the first row. */
  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const rows = this.prepare(`PRAGMA ${source}`).all() as Row[];
    return options.simple ? (rows[0] ? Object.values(rows[0])[0] : undefined) : rows;
  }

  /**
   * A function that runs `fn` in a transaction: committed when it returns, rolled back when it
   * throws. Called inside another transaction it runs in a SAVEPOINT, so the outer one decides.
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    return (...args: A): R => {
      const savepoint = this.depth > 0 ? `sp${++this.savepoints}` : null;
      this.db.exec(savepoint ? `SAVEPOINT ${savepoint}` : 'BEGIN IMMEDIATE');
      this.depth += 1;
      try {
        const result = fn(...args);
        this.db.exec(savepoint ? `RELEASE ${savepoint}` : 'COMMIT');
        return result;
      } catch (error) {
        if (savepoint) this.db.exec(`ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
        else if (this.db.isTransaction) this.db.exec('ROLLBACK');
        throw error;
      } finally {
        this.depth -= 1;
      }
    };
  }

  schemaVersion(): number {
    return this.pragma('user_version', { simple: true }) as number;
  }

  close(): void {
    this.statements.clear();
    if (this.db.isOpen) this.db.close();
  }
}
