// The small synchronous SQL surface the repositories are written against, provided by both
// stores: SQLite through node:sqlite (sqlite.ts, the console's local mode) and PostgreSQL through
// the `pg` client on a worker thread (pg/pgSync.ts, the server mode). The repositories' SQL is the
// portable subset of both dialects — `?` parameters, no boolean arithmetic, every selected column
// grouped or aggregated — and PostgreSQL's side rewrites the rest (parameters to $n, camelCase
// aliases quoted, lastInsertRowid from RETURNING id).
//
// Why synchronous on PostgreSQL too: the engine's guarantees rest on each write being done before
// the next event is handled — a task and its targets exist before anything runs, a step is on disk
// before the push takes the next one, and a journal batch is one transaction no other write can
// interleave with. Keeping the one interface synchronous keeps that reasoning, and the engine,
// unchanged on both backends.

/** What a parameter may be: null, a number, a bigint, a string or a Buffer. */
export type SqlValue = unknown;

export interface SqlStatement {
  /** get/all answer the first column's value instead of the row. */
  pluck(): this;
  run(...params: SqlValue[]): { changes: number; lastInsertRowid: number };
  get(...params: SqlValue[]): unknown;
  all(...params: SqlValue[]): unknown[];
}

export interface SqlDb {
  readonly dialect: 'sqlite' | 'postgres';
  readonly open: boolean;
  prepare(sql: string): SqlStatement;
  /** One or more statements without parameters. */
  exec(sql: string): void;
  /**
   * A function that runs `fn` in a transaction: committed when it returns, rolled back when it
   * throws. Called inside another transaction it runs in a SAVEPOINT, so the outer one decides.
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  /** The newest migration applied. */
  schemaVersion(): number;
  close(): void;
}

/** A statement asked of a database already closed (the console is shutting down). */
export class DatabaseClosedError extends Error {
  constructor() {
    super('The database is not open.');
    this.name = 'DatabaseClosedError';
  }
}

/**
 * The database server could not be reached, or stopped answering mid-statement, for longer than
 * the store waits (PostgreSQL restarted or down).
 */
export class DatabaseUnavailableError extends Error {
  readonly advice = 'Check that the PostgreSQL server is running and reachable from the Push Install Server; the server reconnects by itself once it is.';
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}
