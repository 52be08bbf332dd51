// The server mode's PostgreSQL schema against a real PostgreSQL (test/support/postgres.ts): the
// console's migrations, translated (pgMigrations.ts), reach the same tables and columns as SQLite;
// a computer's name is unique whatever its case on both; several server processes opening one new
// database migrate it once; a database newer than the console is refused; a migration that fails
// leaves the database at the version before it. PostgreSQL on 127.0.0.1 (docs/TESTING.md §6).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openDatabase } from '../../main/store/database.js';
import { migrations } from '../../main/store/migrations.js';
import { openPgDatabase } from '../../main/store/pg/pgDatabase.js';
import { pgMigrations } from '../../main/store/pg/pgMigrations.js';
import { SchemaTooNewError } from '../../main/store/schemaErrors.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';

let server: RunningPostgres;
let databases = 0;

before(async () => {
  server = await startPostgres();
});
after(() => server?.stop());

/** A new, empty database on the server, and its URL. */
function freshDatabase(): Promise<string> {
  return server.createDatabase(`store_${++databases}`);
}

/** table.column → NOT NULL, for every column of the store's tables. */
function sqliteColumns(): Map<string, boolean> {
  const db = openDatabase({ location: ':memory:' });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
    const out = new Map<string, boolean>();
    for (const { name } of tables) {
      for (const c of db.prepare(`PRAGMA table_info(${name})`).all() as { name: string; notnull: number; pk: number }[]) out.set(`${name}.${c.name}`, c.notnull === 1 || c.pk > 0);
    }
    return out;
  } finally {
    db.close();
  }
}

async function pgColumns(pool: pg.Pool): Promise<Map<string, boolean>> {
  const { rows } = await pool.query<{ table_name: string; column_name: string; is_nullable: string }>(
    "SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations'",
  );
  return new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, r.is_nullable === 'NO']));
}

test('the console\'s migrations translated for PostgreSQL reach the same tables and columns, with the same NOT NULLs, as on SQLite', async () => {
  const db = await openPgDatabase({ url: await freshDatabase() });
  try {
    assert.equal(await db.schemaVersion(), migrations.length);
    const sorted = (m: Map<string, boolean>) => [...m].sort(([a], [b]) => a.localeCompare(b));
    assert.deepEqual(sorted(await pgColumns(db.pool)), sorted(sqliteColumns()));
  } finally {
    await db.close();
  }
});

test('a computer\'s name is unique whatever its case, on PostgreSQL as on SQLite (COLLATE NOCASE)', async () => {
  const db = await openPgDatabase({ url: await freshDatabase() });
  try {
    await db.pool.query("INSERT INTO computers (name, created_at) VALUES ('PC-01', 'now')");
    await assert.rejects(db.pool.query("INSERT INTO computers (name, created_at) VALUES ('pc-01', 'now')"), /duplicate key/);
  } finally {
    await db.close();
  }
  const lite = openDatabase({ location: ':memory:' });
  try {
    lite.prepare("INSERT INTO computers (name, created_at) VALUES ('PC-01', 'now')").run();
    assert.throws(() => lite.prepare("INSERT INTO computers (name, created_at) VALUES ('pc-01', 'now')").run(), /UNIQUE/);
  } finally {
    lite.close();
  }
});

test('three server processes opening one new database at once migrate it once (an advisory lock), and each sees it current', async () => {
  const url = await freshDatabase();
  const opened = await Promise.all([1, 2, 3].map(() => openPgDatabase({ url, maxConnections: 2 })));
  try {
    for (const db of opened) assert.equal(await db.schemaVersion(), migrations.length);
    const { rows } = await opened[0]!.pool.query<{ version: number; n: string }>('SELECT version, count(*)::text AS n FROM schema_migrations GROUP BY version ORDER BY version');
    assert.deepEqual(rows.map((r) => [r.version, r.n]), migrations.map((m) => [m.version, '1']));
  } finally {
    await Promise.all(opened.map((db) => db.close()));
  }
});

test('a database a newer console migrated is refused with SchemaTooNewError, and left as it is', async () => {
  const url = await freshDatabase();
  const db = await openPgDatabase({ url });
  await db.pool.query("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')");
  await db.close();
  await assert.rejects(openPgDatabase({ url }), (e: unknown) => e instanceof SchemaTooNewError && e.found === 99 && /Use a newer console/.test(e.message));
  const check = new pg.Client({ connectionString: url });
  await check.connect();
  try {
    assert.equal((await check.query('SELECT count(*)::int AS n FROM schema_migrations')).rows[0].n, migrations.length + 1);
  } finally {
    await check.end();
  }
});

test('a migration that fails halfway is rolled back whole: the database stays at the version before it', async () => {
  const url = await freshDatabase();
  const broken = [...pgMigrations, { version: pgMigrations.length + 1, name: 'fails', sql: 'CREATE TABLE half_made (id INTEGER); SELECT 1 / 0;' }];
  await assert.rejects(openPgDatabase({ url, migrations: broken }), /division by zero/);
  const db = await openPgDatabase({ url });
  try {
    assert.equal(await db.schemaVersion(), pgMigrations.length);
    const { rows } = await db.pool.query("SELECT to_regclass('public.half_made') AS t");
    assert.equal(rows[0].t, null, 'the half-made table is gone with its migration');
  } finally {
    await db.close();
  }
});
