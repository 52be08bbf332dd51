// The Push Install Server's accounts and audit trail (main/serverMode/users.ts, audit.ts) on a
// real PostgreSQL (test/support/postgres.ts), through the synchronous store the server uses
// (openPgStore), and the same checks on SQLite beside it: one repository code, one behaviour on
// both — names unique whatever their case (a unique index on lower(name) there, COLLATE NOCASE
// here), the role CHECK, the last administrator kept in a transaction, and the audit trail's
// filters, text search with literal wildcards, paging and counts. PostgreSQL on 127.0.0.1
// (docs/TESTING.md §6); a fresh database per test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleError } from '../../main/ipc/errors.js';
import { AuditRepo, auditEntryFor } from '../../main/serverMode/audit.js';
import { UsersRepo } from '../../main/serverMode/users.js';
import { openDatabase } from '../../main/store/database.js';
import { openPgStore } from '../../main/store/pg/pgDatabase.js';
import type { SqlDb } from '../../main/store/sql.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';

let server: RunningPostgres;
let databases = 0;

before(async () => {
  server = await startPostgres();
});
after(() => server?.stop());

async function freshPg(): Promise<SqlDb> {
  return openPgStore({ url: await server.createDatabase(`accounts_${++databases}`) });
}

/** Runs the check on a new PostgreSQL database and on a new SQLite one. */
async function onBoth(check: (db: SqlDb, backend: string) => Promise<void>): Promise<void> {
  for (const [backend, open] of [['postgres', freshPg], ['sqlite', async () => openDatabase({ location: ':memory:' }) as SqlDb]] as const) {
    const db = await open();
    try {
      assert.equal(db.dialect, backend);
      await check(db, backend);
    } finally {
      db.close();
    }
  }
}

const PASSWORD = 'correct horse battery';
const code = (c: string) => (e: unknown) => e instanceof ConsoleError && e.code === c;

test('accounts on PostgreSQL as on SQLite: add, a name taken in another case refused, verify, list without hashes, role and password changed, disabled, removed', async () => {
  await onBoth(async (db, backend) => {
    const users = new UsersRepo(db, () => new Date('2025-01-02T03:04:05.000Z'));
    const admin = await users.add('Admin', 'administrator', PASSWORD);
    const op = await users.add('op.one', 'operator', PASSWORD);
    assert.equal(typeof admin.id, 'number', backend);
    await assert.rejects(users.add('ADMIN', 'viewer', PASSWORD), code('duplicate-name'), backend);
    assert.deepEqual(await users.verify('admin', PASSWORD), { id: admin.id, name: 'Admin', role: 'administrator' }, backend);
    assert.equal(await users.verify('admin', 'wrong password!'), null, backend);
    assert.equal(await users.verify('ghost', PASSWORD), null, backend);
    assert.deepEqual(users.list(), [
      { id: admin.id, name: 'Admin', role: 'administrator', createdAt: '2025-01-02T03:04:05.000Z', disabled: false },
      { id: op.id, name: 'op.one', role: 'operator', createdAt: '2025-01-02T03:04:05.000Z', disabled: false },
    ], backend);
    assert.equal(users.setRole(op.id, 'viewer').role, 'viewer');
    await users.setPassword(op.id, 'another long password');
    assert.deepEqual(await users.verify('OP.ONE', 'another long password'), { id: op.id, name: 'op.one', role: 'viewer' }, backend);
    users.setDisabled(op.id);
    assert.equal(users.byId(op.id)?.disabled, true);
    assert.equal(await users.verify('op.one', 'another long password'), null, backend);
    assert.throws(() => users.setRole(admin.id, 'operator'), code('last-administrator'), backend);
    assert.equal(users.byId(admin.id)?.role, 'administrator', `${backend}: the refused change was rolled back`);
    assert.equal(users.remove(op.id), true);
    assert.equal(users.count(), 1);
  });
});

test('the database itself refuses a role that is not one and a second name in another case, on PostgreSQL as on SQLite', async () => {
  await onBoth(async (db, backend) => {
    const insert = db.prepare("INSERT INTO server_users (name, role, password_hash, created_at) VALUES (?, ?, 'x', 'now')");
    insert.run('Someone', 'viewer');
    assert.throws(() => insert.run('other', 'root'), /check/i, backend);
    assert.throws(() => insert.run('SOMEONE', 'viewer'), /unique|duplicate/i, backend);
  });
});

test('the audit trail on PostgreSQL as on SQLite: newest first, filters by time, account in any case, action and text (wildcards literal), pages with the total', async () => {
  await onBoth(async (db, backend) => {
    const audit = new AuditRepo(db);
    for (let m = 0; m < 12; m++) {
      audit.record({ at: new Date(Date.UTC(2025, 1, 1, 0, m)), user: m % 2 ? 'Alice' : 'bob', address: `10.0.0.${m}`, action: m % 3 ? 'tasks.create' : 'computers.remove', ids: [m, 100 + m], detail: { note: m === 5 ? '50% off_x' : `n${m}` } });
    }
    const entry = auditEntryFor('credentials.set', { user: 'CORP\\admin', password: 'hunter2', remember: true }, { id: 4, label: 'L', user: 'admin', domain: 'CORP', available: true, storage: 'memory', keeps: 'password' });
    assert.ok(entry);
    audit.record({ at: new Date(Date.UTC(2025, 1, 1, 1)), user: 'carol', address: '::1', ...entry });
    const minutes = (q: Parameters<AuditRepo['list']>[0]) => audit.list(q).rows.map((r) => new Date(r.at).getUTCMinutes());

    const all = audit.list({ limit: 3 });
    assert.equal(all.total, 13, backend);
    assert.deepEqual(all.rows.map((r) => [r.user, r.action, r.ids, r.detail]), [
      ['carol', 'credentials.set', [4], '{"label":"L","user":"admin","domain":"CORP"}'],
      ['Alice', 'tasks.create', [11, 111], '{"note":"n11"}'],
      ['bob', 'tasks.create', [10, 110], '{"note":"n10"}'],
    ], backend);
    assert.deepEqual(minutes({ from: new Date(Date.UTC(2025, 1, 1, 0, 3)), to: new Date(Date.UTC(2025, 1, 1, 0, 6)), limit: 10 }), [5, 4, 3], backend);
    assert.equal(audit.list({ user: 'ALICE', limit: 1 }).total, 6, backend);
    assert.equal(audit.list({ action: 'computers.remove', limit: 1 }).total, 4, backend);
    assert.deepEqual(minutes({ text: '0% OFF_', limit: 10 }), [5], `${backend}: case-insensitive, % and _ literal`);
    assert.equal(audit.list({ text: '%', limit: 10 }).total, 1, backend);
    assert.deepEqual(minutes({ text: '10.0.0.1', limit: 20 }), [11, 10, 1], backend);
    const page = audit.list({ user: 'bob', limit: 2, offset: 2 });
    assert.deepEqual([page.total, page.rows.map((r) => r.ids[0])], [6, [6, 4]], backend);
  });
});
