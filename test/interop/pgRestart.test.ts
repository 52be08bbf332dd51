// The server mode's store (main/store/pg/pgSync.ts) across PostgreSQL restarts, with a real
// PostgreSQL (test/support/postgres.ts) stopped by its PID and started again on the same data
// folder and port. PgSyncDatabase blocks the calling thread while it waits for the server, so
// whatever must happen meanwhile — postgres starting again — is spawned before the statement.
// Proved: a write issued while the server is still starting waits for it and succeeds, and no
// step log written before or after is lost; a transaction cut by a stop fails with
// DatabaseUnavailableError and leaves nothing committed (PostgreSQL docs, "Server Shutdown": a
// fast shutdown rolls back open transactions); a server kept down beyond reconnectMs fails a
// statement with DatabaseUnavailableError within that bound, and the same store works once it
// is back.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openPgStore } from '../../main/store/pg/pgDatabase.js';
import type { PgSyncDatabase } from '../../main/store/pg/pgSync.js';
import { DatabaseUnavailableError } from '../../main/store/sql.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';

let server: RunningPostgres;
let databases = 0;

before(async () => {
  server = await startPostgres();
});
after(() => server?.stop());

/** A server that runs, whatever the test before left. */
async function up(): Promise<void> {
  if (!server.running) server.spawnAgain();
  await server.ready();
}

/** Runs SQL on its own connection (not through the store under test). */
async function outside<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function store(t: TestContext, options: { reconnectMs: number; statementTimeoutMs?: number }): Promise<{ db: PgSyncDatabase; url: string; tasks: TasksRepo; targetId: number }> {
  await up();
  const name = `restart_${++databases}`;
  await outside(server.url, `CREATE DATABASE ${name}`);
  const url = server.url.replace(/\/[^/]+$/, `/${name}`);
  const db = await openPgStore({ url, ...options });
  t.after(() => db.close());
  const tasks = new TasksRepo(db);
  const { targetIds } = tasks.create({ name: 'push', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'pc-1' }] });
  return { db, url, tasks, targetId: targetIds[0]! };
}

const readyLines = () => server.log().match(/ready to accept connections/g)?.length ?? 0;
const backendPid = (db: PgSyncDatabase) => Number(db.prepare('SELECT pg_backend_pid() AS pid').pluck().get());

test('a write issued while PostgreSQL is still starting again blocks until it is back and succeeds; no step log before or after the restart is lost', async (t) => {
  const { db, url, tasks, targetId } = await store(t, { reconnectMs: 30_000 });
  for (let i = 0; i < 25; i++) tasks.appendStep(targetId, 'before', `step ${i}`);
  const pidBefore = backendPid(db);

  await server.halt();
  assert.equal(server.running, false);
  server.spawnAgain(); // not awaited: the write below must wait for it
  const readyBefore = readyLines();
  const issued = Date.now();
  const first = tasks.appendStep(targetId, 'after', 'the first write after the restart');
  const blockedMs = Date.now() - issued;
  assert.equal(readyBefore, readyLines() - 1, 'the new server was not yet ready when the write was issued, and is now');
  for (let i = 1; i < 25; i++) tasks.appendStep(targetId, 'after', `step ${i}`);

  assert.notEqual(backendPid(db), pidBefore, 'the store is on a new connection to the new server');
  const log = tasks.log(targetId);
  assert.equal(log.length, 50);
  assert.deepEqual(log.map((e) => e.step), [...Array<string>(25).fill('before'), ...Array<string>(25).fill('after')]);
  assert.deepEqual(log[25], first);
  const rows = await outside<{ n: number }>(url, 'SELECT count(*)::int AS n FROM step_logs');
  assert.equal(rows[0]!.n, 50, 'counted on a connection of its own: every step is on disk');
  t.diagnostic(`the write waited ${blockedMs} ms for PostgreSQL to start`);
});

test('a transaction cut by a PostgreSQL stop fails with DatabaseUnavailableError, and none of its rows are committed — stopped before a statement, or before COMMIT', async (t) => {
  const { db, url, tasks, targetId } = await store(t, { reconnectMs: 1_500 });
  tasks.appendStep(targetId, 'committed', 'before the transaction');

  // Stopped between two statements of the transaction.
  assert.throws(
    () =>
      tasks.batch([
        () => void tasks.appendStep(targetId, 'cut', 'first write of the transaction'),
        () => tasks.updateTarget(targetId, { state: 'done', outcome: 'succeeded' }),
        () => server.haltSync(),
        () => void tasks.appendStep(targetId, 'cut', 'after the stop'),
      ]),
    (e: unknown) => e instanceof DatabaseUnavailableError && /PostgreSQL is unavailable/.test(e.message),
  );
  assert.equal(server.running, false);
  await up();
  assert.deepEqual(tasks.log(targetId).map((e) => e.step), ['committed'], 'read back through the same store, reconnected');
  assert.equal(tasks.targetRecord(targetId)!.state, 'queued');

  // Stopped with only COMMIT left to send.
  assert.throws(
    () =>
      db.transaction(() => {
        tasks.create({ name: 'half', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'pc-2' }] });
        tasks.appendStep(targetId, 'cut', 'last write before COMMIT');
        server.haltSync();
      })(),
    DatabaseUnavailableError,
  );
  await up();
  const seen = await outside<{ tasks: number; steps: number; done: number }>(
    url,
    "SELECT (SELECT count(*)::int FROM tasks) AS tasks, (SELECT count(*)::int FROM step_logs) AS steps, (SELECT count(*)::int FROM task_targets WHERE state = 'done') AS done",
  );
  assert.deepEqual(seen[0], { tasks: 1, steps: 1, done: 0 }, 'only what was committed before the transactions');
  assert.deepEqual(tasks.list().map((s) => s.name), ['push']);
});

test('PostgreSQL kept down beyond reconnectMs: a statement fails with DatabaseUnavailableError within the bound, nothing is written, and the same store works once it is back', async (t) => {
  const reconnectMs = 1_500;
  const { db, url, tasks, targetId } = await store(t, { reconnectMs, statementTimeoutMs: 10_000 });
  tasks.appendStep(targetId, 'before', 'written');
  await server.halt();

  for (const attempt of [1, 2]) {
    const started = Date.now();
    assert.throws(() => tasks.appendStep(targetId, 'lost', `attempt ${attempt}`), DatabaseUnavailableError);
    const waited = Date.now() - started;
    assert.ok(waited >= reconnectMs - 100, `attempt ${attempt}: it kept trying for reconnectMs (${waited} ms)`);
    assert.ok(waited < reconnectMs + 2_000, `attempt ${attempt}: it gave up within the bound (${waited} ms)`);
  }
  // A transaction cannot begin either, and says why.
  assert.throws(() => tasks.batch([() => void tasks.appendStep(targetId, 'lost', 'in a transaction')]), DatabaseUnavailableError);

  server.spawnAgain();
  await server.ready();
  assert.equal(db.open, true);
  const entry = tasks.appendStep(targetId, 'after', 'back');
  assert.deepEqual(tasks.log(targetId).map((e) => [e.step, e.detail]), [['before', 'written'], ['after', 'back']]);
  assert.deepEqual(tasks.log(targetId)[1], entry);
  tasks.batch([() => tasks.updateTarget(targetId, { state: 'done', outcome: 'succeeded' })]);
  const rows = await outside<{ n: number; state: string }>(url, 'SELECT (SELECT count(*)::int FROM step_logs) AS n, (SELECT state FROM task_targets) AS state');
  assert.deepEqual(rows[0], { n: 2, state: 'done' });
});
