// The PostgreSQL fixture the server-mode store is tested against (test/support/postgres.ts):
// Debian's PostgreSQL in a temp cluster on 127.0.0.1 and a free port, password logon with the
// `pg` client the server mode uses, stopped by its PID with its folder removed; a server that
// cannot start fails with its own log, never quietly. Peer on 127.0.0.1 (docs/TESTING.md §6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import pg from 'pg';
import { startPostgres } from '../support/postgres.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('PostgreSQL starts in a temp cluster, takes a password logon from pg (and refuses a wrong one), writes and reads a row, and stops by its PID leaving nothing', async (t) => {
  const started = Date.now();
  const server = await startPostgres();
  t.after(() => server.stop());
  const startMs = Date.now() - started;
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    const version = await client.query<{ server_version: string }>('SHOW server_version');
    assert.match(version.rows[0]!.server_version, /^\d+/);
    await client.query('CREATE TABLE t (id serial PRIMARY KEY, v text NOT NULL)');
    await client.query('INSERT INTO t (v) VALUES ($1)', ['kept']);
    assert.deepEqual((await client.query<{ v: string }>('SELECT v FROM t')).rows, [{ v: 'kept' }]);
  } finally {
    await client.end();
  }
  // A wrong password is refused (the cluster is not open to anyone who connects).
  const wrong = new pg.Client({ host: server.host, port: server.port, user: server.user, password: 'not-it', database: server.database });
  await assert.rejects(wrong.connect(), /password authentication failed/);
  await wrong.end().catch(() => undefined);

  assert.ok(alive(server.pid), 'postgres runs under the PID the fixture holds');
  await server.stop();
  assert.equal(alive(server.pid), false, 'stopped by its PID');
  assert.equal(fs.existsSync(server.dataDir), false, 'the cluster is removed');
  console.log(`  PostgreSQL ready in ${startMs} ms`);
});

test('a PostgreSQL that cannot start (its port taken) fails with postgres\' own words, not a skip', async (t) => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const port = (taken.address() as net.AddressInfo).port;
  await assert.rejects(startPostgres({ port, timeoutMs: 15_000 }), (e: Error) => /PostgreSQL (exited|did not accept)/.test(e.message) && /could not (bind|create)|address already in use/i.test(e.message));
});
