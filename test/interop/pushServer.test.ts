// The Push Install Server against a real PostgreSQL (test/support/postgres.ts): accounts sign in
// over TLS, the server enforces each account's role on every call, every change leaves its audit
// row, failed sign-ins are throttled, a signed-out session stops working, and a client pinned to
// one server's certificate refuses another's before sending anything. The server on 127.0.2.1
// (docs/TESTING.md §6).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import { writeRendererFixture } from '../support/http.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { startPushServer, type PushServer } from '../../main/serverMode/server.js';
import { connect, ServerCertificateChangedError, signIn, type ServerConnection } from '../../main/serverMode/serverClient.js';
import { UsersRepo } from '../../main/serverMode/users.js';
import { AuditRepo } from '../../main/serverMode/audit.js';
import { ConsoleError } from '../../main/ipc/errors.js';

const HOST = '127.0.2.1';
/** Where the consoles connect from; the throttle's case from its own address, so its lockout touches no other case. */
const CONSOLE = '127.0.2.10';
const ATTACKER = '127.0.2.20';
const PASSWORDS = { admin: 'admin-password-1', op: 'operator-password-2', view: 'viewer-password-3' };

let postgres: RunningPostgres;
let root: string;
let server: PushServer;
const connections: ServerConnection[] = [];

const freshDatabase = (name: string) => postgres.createDatabase(name);

async function startServer(dbUrl: string, dataDir: string): Promise<PushServer> {
  return startPushServer({ dbUrl, host: HOST, port: 0, dataDir, rendererDir: writeRendererFixture(dataDir), packagePort: 0, packageHost: HOST, log: () => undefined });
}

async function as(user: keyof typeof PASSWORDS): Promise<ServerConnection> {
  const session = await signIn({ url: server.url, fingerprint: server.certificate.fingerprint, localAddress: CONSOLE }, user, PASSWORDS[user]);
  const connection = await connect(session);
  connections.push(connection);
  return connection;
}

before(async () => {
  postgres = await startPostgres({ host: '127.0.0.1' });
  root = makeTempDir('pic-server-');
  const dbUrl = await freshDatabase('server_main');
  server = await startServer(dbUrl, path.join(root, 'a'));
  const users = new UsersRepo(server.db);
  await users.add('admin', 'administrator', PASSWORDS.admin);
  await users.add('op', 'operator', PASSWORDS.op);
  await users.add('view', 'viewer', PASSWORDS.view);
});

after(async () => {
  for (const c of connections) c.close();
  await server?.close();
  await postgres?.stop();
  if (root) removeDir(root);
});

describe('Push Install Server', () => {
  test('an operator\'s change is done and audited with who, from where, what and which ids; a viewer reads it', async () => {
    const view = await as('view');
    const changed: string[][] = [];
    view.api.on('data.changed', ({ lists }) => changed.push(lists));
    const op = await as('op');
    const added = await op.api.invoke('computers.add', { entries: ['PC-AUDIT-1', 'PC-AUDIT-2'] });
    assert.equal(added.added.length, 2);
    await until(() => changed.length > 0);
    assert.deepEqual(changed[0], ['computers'], 'the viewer\'s console is told to read its Computers again');
    const names = (await view.api.invoke('computers.list', {})).map((c) => c.name);
    assert.ok(names.includes('PC-AUDIT-1') && names.includes('PC-AUDIT-2'), 'the viewer sees what the operator added');
    const rows = new AuditRepo(server.db).list({ action: 'computers.add', limit: 10, offset: 0 }).rows;
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.user, 'op');
    assert.equal(rows[0]!.address, CONSOLE);
    assert.deepEqual([...rows[0]!.ids].sort(), added.added.map((c) => c.id).sort());
  });

  test('the server refuses a viewer\'s change itself (class forbidden) and records nothing', async () => {
    const view = await as('view');
    // Changes only: each sign-in has its own row.
    const changes = () => new AuditRepo(server.db).list({ limit: 1000, offset: 0 }).rows.filter((r) => !r.action.startsWith('logon')).length;
    const before = changes();
    await assert.rejects(
      view.api.invoke('computers.add', { entries: ['PC-VIEWER'] }),
      (error: unknown) => error instanceof ConsoleError && error.errorClass === 'forbidden' && /viewer/.test(error.message),
    );
    await assert.rejects(view.api.invoke('tasks.cancel', { taskId: 1 }), (error: unknown) => error instanceof ConsoleError && error.errorClass === 'forbidden');
    const op = await as('op');
    assert.ok(!(await op.api.invoke('computers.list', {})).some((c) => c.name === 'PC-VIEWER'));
    assert.equal(changes(), before, 'a refused call is not a change');
    // An operator may not change the server's settings; an administrator may.
    await assert.rejects(op.api.invoke('settings.update', { maxConcurrentPushes: 7 }), (error: unknown) => error instanceof ConsoleError && error.errorClass === 'forbidden');
    const admin = await as('admin');
    assert.equal((await admin.api.invoke('settings.update', { maxConcurrentPushes: 7 })).maxConcurrentPushes, 7);
  });

  test('a wrong password is logon-failed, audited, and after five the account is throttled (logon-throttled) even with the right one', async () => {
    const users = new UsersRepo(server.db);
    await users.add('victim', 'viewer', 'victim-password-4');
    for (let i = 0; i < 5; i++) {
      await assert.rejects(signIn({ url: server.url, fingerprint: server.certificate.fingerprint, localAddress: ATTACKER }, 'victim', 'wrong-password-xx'), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'logon-failed');
    }
    await assert.rejects(signIn({ url: server.url, fingerprint: server.certificate.fingerprint, localAddress: ATTACKER }, 'victim', 'victim-password-4'), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'logon-throttled');
    const failed = new AuditRepo(server.db).list({ action: 'logon-failed', user: 'victim', limit: 10, offset: 0 });
    assert.equal(failed.total, 5);
  });

  test('a signed-out session can no longer call the server', async () => {
    const session = await signIn({ url: server.url, fingerprint: server.certificate.fingerprint, localAddress: CONSOLE }, 'op', PASSWORDS.op);
    const connection = await connect(session);
    connections.push(connection);
    assert.ok(Array.isArray(await connection.api.invoke('tasks.list', {})));
    server.sessions.signOut(session.token);
    await assert.rejects(connection.api.invoke('tasks.list', {}), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'bridge-token');
    await connection.closed;
  });

  test('a client pinned to one server refuses another server\'s certificate before sending the password', async () => {
    const other = await startServer(await freshDatabase('server_other'), path.join(root, 'b'));
    try {
      assert.notEqual(other.certificate.fingerprint, server.certificate.fingerprint);
      const audit = new AuditRepo(other.db);
      await assert.rejects(
        signIn({ url: other.url, fingerprint: server.certificate.fingerprint }, 'admin', PASSWORDS.admin),
        (e: unknown) => e instanceof ServerCertificateChangedError && e.message.includes(other.certificate.fingerprint),
      );
      assert.equal(audit.list({ limit: 10, offset: 0 }).total, 0, 'the other server heard no sign-in');
      // First contact without a pin: the fingerprint seen is returned to be pinned.
      await new UsersRepo(other.db).add('admin', 'administrator', PASSWORDS.admin);
      const first = await signIn({ url: other.url }, 'admin', PASSWORDS.admin);
      assert.equal(first.fingerprint, other.certificate.fingerprint);
    } finally {
      await other.close();
    }
  });

  test('credentials set through the server are stored encrypted and never come back to a console', async () => {
    const op = await as('op');
    const secret = 'Server-Secret-Pa55word!';
    const saved = await op.api.invoke('credentials.set', { label: 'Domain admin', user: 'CORP\\pushadmin', password: secret, remember: true });
    const listed = JSON.stringify(await op.api.invoke('credentials.list', {}));
    assert.ok(listed.includes('pushadmin') && !listed.includes(secret));
    assert.ok(JSON.stringify(saved).indexOf(secret) === -1);
    const client = new pg.Client({ connectionString: postgresUrlOf('server_main') });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT * FROM credentials');
      const dump = rows.map((row: Record<string, unknown>) => Object.values(row).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v))).join('|')).join('\n');
      assert.ok(!dump.includes(secret), 'no plaintext in the credentials table');
      assert.ok(fs.readdirSync(path.join(root, 'a')).length > 0);
    } finally {
      await client.end();
    }
  });
});

async function until(probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function postgresUrlOf(database: string): string {
  return postgres.url.replace(/\/[^/]+$/, `/${database}`);
}
