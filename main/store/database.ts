// The console's embedded SQL database (SQLite through node:sqlite, sqlite.ts): WAL journal, full sync on
// commit, foreign keys on, and the versioned migrations of migrations.ts. Committed rows survive
// the process being killed mid-write (test/unit/databaseCrash.test.ts proves it).
import path from 'node:path';
import fs from 'node:fs';
import { Database } from './sqlite.js';
import type { SqlDb } from './sql.js';
import { migrations as defaultMigrations, type Migration } from './migrations.js';
import { SchemaTooNewError } from './schemaErrors.js';

/** What the repositories are written against: the local SQLite file or the server's PostgreSQL (sql.ts). */
export type Db = SqlDb;

export const DATABASE_FILE_NAME = 'console.sqlite3';

export interface OpenDatabaseOptions {
  /** A folder (the file is DATABASE_FILE_NAME inside it) or ':memory:'. */
  readonly location: string;
  readonly migrations?: readonly Migration[];
}

export function openDatabase(options: OpenDatabaseOptions): Database {
  const file =
    options.location === ':memory:' ? ':memory:' : path.join(options.location, DATABASE_FILE_NAME);
  if (file !== ':memory:') fs.mkdirSync(options.location, { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before it returns, so "committed" survives power loss, not only a kill.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, options.migrations ?? defaultMigrations);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

export function schemaVersion(db: Database): number {
  return db.schemaVersion();
}

/** Applies every migration newer than the database, each in its own transaction. */
export function migrate(db: Database, list: readonly Migration[]): void {
  const sorted = [...list].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migration versions must run 1..n without gaps (found ${m.version} at ${i + 1}).`);
  });
  const current = schemaVersion(db);
  if (current > sorted.length) throw new SchemaTooNewError(current, sorted.length);
  for (const m of sorted.slice(current)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

export function integrityCheck(db: Database): string {
  return db.pragma('integrity_check', { simple: true }) as string;
}
