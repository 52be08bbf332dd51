// The server mode's database: PostgreSQL through the `pg` client's pool. Opening it applies the
// migrations of pgMigrations.ts that are not there yet — each in its own transaction, recorded in
// schema_migrations (version, name, when) — while holding a session advisory lock, so several
// server processes opening one database at once migrate it once. A database migrated further than
// this console knows is refused, as the SQLite store refuses one (database.ts).
import pg from 'pg';
import type { Migration } from '../migrations.js';
import { SchemaTooNewError } from '../schemaErrors.js';
import { pgMigrations } from './pgMigrations.js';
import { PgSyncDatabase, type PgSyncOptions } from './pgSync.js';

/** pg_advisory_lock's key for migrating: "PushInst" as ASCII, so other applications' keys do not collide. */
const MIGRATION_LOCK_KEY = 0x50757368496e7374n;

export interface PgDatabase {
  readonly pool: pg.Pool;
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}

export interface OpenPgOptions {
  /** postgres://user:password@host:port/database */
  readonly url: string;
  readonly migrations?: readonly Migration[];
  /** Connections the pool keeps at most; default 10. */
  readonly maxConnections?: number;
}

export async function openPgDatabase(options: OpenPgOptions): Promise<PgDatabase> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 10 });
  // An idle connection the server drops (a PostgreSQL restart) must not crash the process.
  pool.on('error', () => undefined);
  try {
    await migratePg(pool, options.migrations ?? pgMigrations);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return { pool, schemaVersion: () => pgSchemaVersion(pool), close: () => pool.end() };
}

export async function pgSchemaVersion(db: pg.Pool | pg.PoolClient): Promise<number> {
  const { rows } = await db.query<{ v: string | null }>("SELECT max(version)::text AS v FROM schema_migrations");
  return Number(rows[0]?.v ?? 0);
}

/** Applies every migration newer than the database, each in its own transaction, under the migration lock. */
export async function migratePg(pool: pg.Pool, list: readonly Migration[]): Promise<void> {
  const sorted = [...list].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migration versions must run 1..n without gaps (found ${m.version} at ${i + 1}).`);
  });
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
      const current = await pgSchemaVersion(client);
      if (current > sorted.length) throw new SchemaTooNewError(current, sorted.length);
      for (const m of sorted.slice(current)) {
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    client.release();
  }
}

/**
 * The server's store: the database migrated (through a short-lived pool, under the migration
 * lock), then the repositories' synchronous connection to it (pgSync.ts).
 */
export async function openPgStore(options: OpenPgOptions & PgSyncOptions): Promise<PgSyncDatabase> {
  const migrated = await openPgDatabase({ url: options.url, maxConnections: 1, ...(options.migrations ? { migrations: options.migrations } : {}) });
  await migrated.close();
  return new PgSyncDatabase(options);
}
