// A console connected to a real Push Install Server (startPushServer over a real PostgreSQL,
// test/support/postgres.ts): a local ConsoleServices — the same services Electron and the browser
// shell run — signs in through server.connect, confirming the fingerprint on first contact (the
// first step sends nothing but the TLS handshake), then lists and creates on the server's store,
// gets the server's events on its own windows' bus and reads the audit trail as an administrator;
// a console with another pin for the server refuses it before signing in; the server closed and
// started again on the same port and data folder (the same certificate) is reconnected to by
// itself; Disconnect returns to the console's own store, untouched meanwhile. A server refuses a
// console's own server.* channels. Everything on 127.0.4.0/24.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import { writeRendererFixture } from '../support/http.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { startPushServer, type PushServer } from '../../main/serverMode/server.js';
import { connect, signIn } from '../../main/serverMode/serverClient.js';
import { UsersRepo } from '../../main/serverMode/users.js';
import { AuditRepo } from '../../main/serverMode/audit.js';
import { ConsoleError } from '../../main/ipc/errors.js';
import { createConsoleServices, type ConsoleServices } from '../../main/app/services.js';
import { KNOWN_SERVERS_FILE } from '../../main/app/knownServers.js';
import type { ChannelName, Envelope, EventName, ResultOf } from '../../main/ipc/contract.js';

const HOST = '127.0.4.1';
const PG_HOST = '127.0.4.2';
const CONSOLE = '127.0.4.10';
const OTHER_CONSOLE = '127.0.4.11';
const PASSWORDS = { admin: 'admin-password-4a1', view: 'viewer-password-4b2' };

let postgres: RunningPostgres;
let root: string;
let dbUrl: string;
let server: PushServer;
let services: ConsoleServices;
const seen: { event: EventName; payload: unknown }[] = [];

async function startServer(port: number): Promise<PushServer> {
  const dataDir = path.join(root, 'server');
  return startPushServer({ dbUrl, host: HOST, port, dataDir, rendererDir: writeRendererFixture(dataDir), packagePort: 0, packageHost: HOST, log: () => undefined });
}

function consoleServices(name: string, localAddress: string): ConsoleServices {
  return createConsoleServices({ dataDir: path.join(root, name), shell: 'browser', serverLink: { localAddress } });
}

async function call<C extends ChannelName>(s: ConsoleServices, channel: C, request: unknown): Promise<Envelope<ResultOf<C>>> {
  return (await s.router(() => true).dispatch(channel, request, { shell: 'browser', url: 'test' })) as Envelope<ResultOf<C>>;
}

async function must<C extends ChannelName>(s: ConsoleServices, channel: C, request: unknown): Promise<ResultOf<C>> {
  const e = await call(s, channel, request);
  assert.ok(e.ok, `${channel}: ${JSON.stringify(e)}`);
  return e.result;
}

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The server's address as the console keys it: its origin (server.url ends in a slash). */
const origin = () => server.url.replace(/\/$/, '');

const logons = () => new AuditRepo(server.db).list({ action: 'logon', limit: 1000, offset: 0 }).total;

before(async () => {
  postgres = await startPostgres({ host: PG_HOST });
  root = makeTempDir('pic-console-connect-');
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  try {
    await admin.query('CREATE DATABASE console_connect');
  } finally {
    await admin.end();
  }
  dbUrl = postgres.url.replace(/\/[^/]+$/, '/console_connect');
  server = await startServer(0);
  const users = new UsersRepo(server.db);
  await users.add('admin', 'administrator', PASSWORDS.admin);
  await users.add('view', 'viewer', PASSWORDS.view);
  services = consoleServices('console', CONSOLE);
  services.events.subscribe((event, payload) => seen.push({ event, payload }));
  // The console's own store has a computer of its own.
  services.computers.addMany([{ name: 'LOCAL-ONLY-PC', address: null, port: null }]);
});

after(async () => {
  await services?.close();
  await server?.close();
  await postgres?.stop();
  if (root) removeDir(root);
});

describe('a console connected to a Push Install Server', () => {
  test('first contact: the fingerprint comes back for confirmation with nothing sent; confirmed, the console signs in and pins it', async () => {
    const before = logons();
    const first = await must(services, 'server.connect', { url: server.url, user: 'admin', password: PASSWORDS.admin });
    assert.deepEqual(first, { needsConfirmation: true, url: origin(), fingerprint: server.certificate.fingerprint });
    assert.equal(logons(), before, 'no sign-in before the confirmation');
    assert.equal(fs.existsSync(path.join(root, 'console', KNOWN_SERVERS_FILE)), false);
    assert.equal((await must(services, 'server.status', {})).state, 'local');

    const confirmed = await must(services, 'server.connect', { url: server.url, user: 'admin', password: PASSWORDS.admin, fingerprint: first.fingerprint });
    assert.deepEqual(confirmed, { needsConfirmation: false, url: origin(), user: 'admin', role: 'administrator', fingerprint: server.certificate.fingerprint, firstContact: true });
    assert.equal(logons(), before + 1);
    const known = fs.readFileSync(path.join(root, 'console', KNOWN_SERVERS_FILE), 'utf8');
    assert.ok(known.includes(server.certificate.fingerprint));
    assert.ok(!known.includes(PASSWORDS.admin), 'the password is never written');
    const status = await must(services, 'server.status', {});
    assert.deepEqual([status.state, status.url, status.user, status.role], ['connected', origin(), 'admin', 'administrator']);
    assert.ok(seen.some((e) => e.event === 'data.reload' && (e.payload as { reason: string }).reason === 'connected'));
  });

  test('lists and creates on the server\'s store, gets its events, and reads the audit trail as an administrator', async () => {
    const info = await must(services, 'app.info', {});
    assert.deepEqual(info.server, { url: origin(), user: 'admin', role: 'administrator', fingerprint: server.certificate.fingerprint });
    assert.equal(info.dataDir, path.join(root, 'server'), 'the server\'s app.info');

    const added = await must(services, 'computers.add', { entries: ['PC-ON-SERVER-1', 'PC-ON-SERVER-2'] });
    assert.equal(added.added.length, 2);
    const listed = (await must(services, 'computers.list', {})).map((c) => c.name);
    assert.deepEqual(listed.filter((n) => n.startsWith('PC-ON-SERVER')).sort(), ['PC-ON-SERVER-1', 'PC-ON-SERVER-2']);
    assert.ok(!listed.includes('LOCAL-ONLY-PC'), 'the server\'s list, not the console\'s');
    assert.ok(server.services.computers.list().some((c) => c.name === 'PC-ON-SERVER-1'), 'in the server\'s store');
    assert.ok(!services.computers.list().some((c) => c.name === 'PC-ON-SERVER-1'), 'not in the console\'s');
    await until(() => seen.some((e) => e.event === 'log.line' && /Added 2 computer/.test((e.payload as { message: string }).message)), 5000, 'the server\'s log line');

    const audit = await must(services, 'audit.list', { action: 'computers.add', limit: 10 });
    assert.equal(audit.total, 1);
    assert.equal(audit.rows[0]!.user, 'admin');
    assert.equal(audit.rows[0]!.address, CONSOLE);
    assert.deepEqual([...audit.rows[0]!.ids].sort(), added.added.map((c) => c.id).sort());
    const page = await must(services, 'audit.list', { limit: 1, offset: 0 });
    assert.ok(page.total >= 2 && page.rows.length === 1, 'a logon and the change at least, one per page');
    const csv = await must(services, 'audit.exportCsv', { user: 'ADMIN' });
    assert.match(csv.fileName, /^audit-trail-.*\.csv$/);
    assert.match(csv.text, /^at,user,address,action,ids,detail\r\n/);
    assert.ok(csv.text.includes('computers.add') && csv.text.includes('logon'));
    assert.equal(csv.truncated, false);
  });

  test('a viewer may not read the audit trail; a server refuses a console\'s own server.* channels', async () => {
    const session = await signIn({ url: server.url, fingerprint: server.certificate.fingerprint, localAddress: CONSOLE }, 'view', PASSWORDS.view);
    const connection = await connect(session);
    try {
      await assert.rejects(connection.api.invoke('audit.list', { limit: 10 }), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'forbidden');
      assert.deepEqual((await connection.api.invoke('app.info', {})).server?.role, 'viewer');
      for (const channel of ['server.status', 'server.disconnect'] as const) {
        await assert.rejects(connection.api.invoke(channel, {}), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'local-only', channel);
      }
      await assert.rejects(
        connection.api.invoke('server.connect', { url: 'https://127.0.4.99:1', user: 'x', password: 'y' }),
        (e: unknown) => e instanceof ConsoleError && e.errorClass === 'local-only',
      );
    } finally {
      connection.close();
    }
  });

  test('a console that pinned another certificate for the server refuses it before signing in (server-certificate-changed)', async (t) => {
    const other = consoleServices('other-console', OTHER_CONSOLE);
    t.after(() => other.close());
    const wrong = 'ab'.repeat(32);
    fs.mkdirSync(other.dataDir, { recursive: true });
    fs.writeFileSync(path.join(other.dataDir, KNOWN_SERVERS_FILE), JSON.stringify({ version: 1, servers: { [`https://${HOST}:${server.port}`]: { fingerprint: wrong, pinnedAt: '2025-01-01T00:00:00.000Z' } } }));
    const before = new AuditRepo(server.db).list({ limit: 1000, offset: 0 }).total;
    const refused = await call(other, 'server.connect', { url: server.url, user: 'admin', password: PASSWORDS.admin });
    assert.ok(!refused.ok);
    assert.equal(refused.error.class, 'server-certificate-changed');
    assert.match(refused.error.message, new RegExp(server.certificate.fingerprint));
    assert.ok(!refused.error.message.includes(PASSWORDS.admin));
    // Confirming the certificate seen does not override the pin either.
    const confirmed = await call(other, 'server.connect', { url: server.url, user: 'admin', password: PASSWORDS.admin, fingerprint: server.certificate.fingerprint });
    assert.ok(!confirmed.ok && confirmed.error.class === 'server-certificate-changed');
    assert.equal(new AuditRepo(server.db).list({ limit: 1000, offset: 0 }).total, before, 'not even a failed logon reached the server');
    assert.equal((await must(other, 'server.status', {})).state, 'local');
  });

  test('the server closed and started again on the same port and data folder: reconnecting, then connected again by itself, and the windows told to re-read', async () => {
    const port = server.port;
    const reloadsBefore = seen.filter((e) => e.event === 'data.reload').length;
    await server.close();
    await until(async () => (await must(services, 'server.status', {})).state === 'reconnecting', 10_000, 'reconnecting');
    const meanwhile = await call(services, 'computers.list', {});
    assert.ok(!meanwhile.ok && meanwhile.error.class === 'server-unreachable', JSON.stringify(meanwhile));
    assert.ok(!meanwhile.ok && /reconnecting/.test(meanwhile.error.message));
    // Backoff 1, 2, 4 … s: let a couple of attempts fail before the server is back.
    await new Promise((r) => setTimeout(r, 2500));
    const status = await must(services, 'server.status', {});
    assert.equal(status.state, 'reconnecting');
    assert.ok(status.attempts >= 1 && status.lastError !== null, JSON.stringify(status));
    server = await startServer(port);
    await until(async () => (await must(services, 'server.status', {})).state === 'connected', 40_000, 'connected again');
    assert.ok(seen.slice(0).filter((e) => e.event === 'data.reload').length > reloadsBefore);
    assert.equal((seen.filter((e) => e.event === 'data.reload').at(-1)!.payload as { reason: string }).reason, 'reconnected');
    const states = seen.filter((e) => e.event === 'server.status').map((e) => (e.payload as { state: string }).state);
    assert.ok(states.includes('reconnecting') && states.at(-1) === 'connected', states.join(' '));
    const names = (await must(services, 'computers.list', {})).map((c) => c.name);
    assert.ok(names.includes('PC-ON-SERVER-1'), 'the server\'s data again');
    const added = await must(services, 'computers.add', { entries: ['PC-RESTARTED'] });
    assert.equal(added.added.length, 1);
  });

  test('Disconnect returns to the console\'s own store, untouched meanwhile', async () => {
    const status = await must(services, 'server.disconnect', {});
    assert.deepEqual([status.state, status.user, status.url], ['local', null, null]);
    const names = (await must(services, 'computers.list', {})).map((c) => c.name);
    assert.deepEqual(names, ['LOCAL-ONLY-PC']);
    assert.equal((await must(services, 'app.info', {})).server, null);
    const refused = await call(services, 'audit.list', { limit: 10 });
    assert.ok(!refused.ok && refused.error.class === 'needs-server');
    assert.equal((seen.filter((e) => e.event === 'data.reload').at(-1)!.payload as { reason: string }).reason, 'disconnected');
    // Known now: connecting again signs in at once.
    const again = await must(services, 'server.connect', { url: server.url, user: 'admin', password: PASSWORDS.admin });
    assert.equal(again.needsConfirmation, false);
    assert.equal(again.needsConfirmation === false && again.firstContact, false);
    await must(services, 'server.disconnect', {});
  });
});
