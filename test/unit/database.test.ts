// openDatabase (pragmas, versioned migrations) and the repos over it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DATABASE_FILE_NAME, integrityCheck, openDatabase, schemaVersion } from '../../main/store/database.js';
import { Database } from '../../main/store/sqlite.js';
import { DatabaseClosedError } from '../../main/store/sql.js';
import { migrations, type Migration } from '../../main/store/migrations.js';
import { ComputersRepo } from '../../main/store/computersRepo.js';
import { PackagesRepo } from '../../main/store/packagesRepo.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';
import { tempDirFor } from '../support/tempDir.js';

type T = { after(fn: () => void): void };

function openTemp(t: T, extra: { migrations?: readonly Migration[] } = {}): { db: Database; dir: string } {
  const dir = tempDirFor(t, 'pic-db-');
  const db = openDatabase({ location: dir, ...extra });
  t.after(() => db.open && db.close());
  return { db, dir };
}

/** Opens the file with plain SQLite (no pragmas, no migrations) to look at it from outside. */
function rawOpen(t: T, dir: string): Database {
  const db = new Database(path.join(dir, DATABASE_FILE_NAME));
  t.after(() => db.open && db.close());
  return db;
}

function tableNames(db: Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
}

const counterMigrations: Migration[] = [
  { version: 1, name: 'runs', sql: 'CREATE TABLE runs (version INTEGER NOT NULL); INSERT INTO runs VALUES (1);' },
  { version: 2, name: 'second', sql: 'INSERT INTO runs VALUES (2);' },
];

describe('openDatabase', () => {
  test('a new database file is created in the folder with WAL journal, FULL sync and foreign keys on', (t) => {
    const { db, dir } = openTemp(t);
    assert.ok(fs.existsSync(path.join(dir, DATABASE_FILE_NAME)));
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.pragma('synchronous', { simple: true }), 2, 'synchronous = FULL');
    assert.equal(integrityCheck(db), 'ok');
  });

  test('openDatabase creates a missing nested data folder', (t) => {
    const root = tempDirFor(t, 'pic-db-nested-');
    const dir = path.join(root, 'a', 'b', 'c');
    const db = openDatabase({ location: dir });
    t.after(() => db.close());
    assert.ok(fs.existsSync(path.join(dir, DATABASE_FILE_NAME)));
  });

  test('foreign keys are enforced: a target of a task that does not exist is refused, and deleting a task cascades', (t) => {
    const { db } = openTemp(t);
    assert.throws(
      () => db.prepare("INSERT INTO task_targets (task_id, computer_name) VALUES (999, 'PC')").run(),
      // node:sqlite carries SQLite's extended result code: 787 is SQLITE_CONSTRAINT_FOREIGNKEY.
      (error: Error & { errcode?: number }) => error.errcode === 787,
    );
    const tasks = new TasksRepo(db);
    const { taskId, targetIds } = tasks.create({ name: 't', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'PC1' }] });
    tasks.appendStep(targetIds[0]!, 'probe', 'port 445 open');
    db.prepare('DELETE FROM tasks WHERE id = ?').run(taskId);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM task_targets').get() as { n: number }).n, 0);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM step_logs').get() as { n: number }).n, 0);
  });

  test('migrations bring user_version to migrations.length and create the schema', (t) => {
    const { db } = openTemp(t);
    assert.ok(migrations.length >= 1);
    assert.equal(schemaVersion(db), migrations.length);
    assert.equal(db.pragma('user_version', { simple: true }), migrations.length);
    for (const table of ['computers', 'credentials', 'packages', 'tasks', 'task_targets', 'step_logs']) {
      assert.ok(tableNames(db).includes(table), table);
    }
  });

  test('reopening does not re-run applied migrations; only newer ones run', (t) => {
    const dir = tempDirFor(t, 'pic-db-reopen-');
    const first = openDatabase({ location: dir, migrations: counterMigrations.slice(0, 1) });
    first.close();
    const second = openDatabase({ location: dir, migrations: counterMigrations.slice(0, 1) });
    assert.deepEqual(second.prepare('SELECT version FROM runs ORDER BY rowid').pluck().all(), [1]);
    assert.equal(schemaVersion(second), 1);
    second.close();
    const third = openDatabase({ location: dir, migrations: counterMigrations });
    t.after(() => third.close());
    assert.deepEqual(third.prepare('SELECT version FROM runs ORDER BY rowid').pluck().all(), [1, 2]);
    assert.equal(schemaVersion(third), 2);

    // The real migrations too: a second open keeps the data and the version.
    const realDir = tempDirFor(t, 'pic-db-reopen-real-');
    const a = openDatabase({ location: realDir });
    new ComputersRepo(a).addMany([{ name: 'KEEP-ME' }]);
    a.close();
    const b = openDatabase({ location: realDir });
    t.after(() => b.close());
    assert.equal(schemaVersion(b), migrations.length);
    assert.deepEqual(new ComputersRepo(b).list().map((c) => c.name), ['KEEP-ME']);
  });

  test('a database newer than the code is refused with a clear message and left untouched', (t) => {
    const dir = tempDirFor(t, 'pic-db-newer-');
    openDatabase({ location: dir }).close();
    const raw = new Database(path.join(dir, DATABASE_FILE_NAME));
    raw.pragma(`user_version = ${migrations.length + 1}`);
    raw.close();
    assert.throws(
      () => openDatabase({ location: dir }),
      (error: Error) =>
        error.message.includes(`schema version ${migrations.length + 1}`) &&
        error.message.includes(`(${migrations.length})`) &&
        /newer console/.test(error.message),
    );
    const after = rawOpen(t, dir);
    assert.equal(after.pragma('user_version', { simple: true }), migrations.length + 1);
  });

  test('a failing migration rolls back: user_version unchanged and no partial table', (t) => {
    const dir = tempDirFor(t, 'pic-db-failing-');
    const failing: Migration[] = [
      counterMigrations[0]!,
      {
        version: 2,
        name: 'breaks half way',
        sql: 'CREATE TABLE partial_table (x INTEGER); INSERT INTO runs VALUES (2); INSERT INTO no_such_table VALUES (1);',
      },
    ];
    assert.throws(() => openDatabase({ location: dir, migrations: failing }), /no such table: no_such_table/);
    const raw = rawOpen(t, dir);
    assert.equal(raw.pragma('user_version', { simple: true }), 1, 'migration 1 committed, 2 rolled back');
    assert.ok(!tableNames(raw).includes('partial_table'), 'no partial table');
    assert.deepEqual(raw.prepare('SELECT version FROM runs').pluck().all(), [1], "migration 2's insert rolled back");
    raw.close();
    // A fixed migration 2 then applies cleanly.
    const fixed = openDatabase({ location: dir, migrations: counterMigrations });
    t.after(() => fixed.close());
    assert.equal(schemaVersion(fixed), 2);
  });

  test('migration versions with a gap are refused before anything is applied', (t) => {
    const dir = tempDirFor(t, 'pic-db-gap-');
    const gap: Migration[] = [counterMigrations[0]!, { version: 3, name: 'three', sql: 'SELECT 1;' }];
    assert.throws(() => openDatabase({ location: dir, migrations: gap }), /without gaps/);
    const raw = rawOpen(t, dir);
    assert.equal(raw.pragma('user_version', { simple: true }), 0);
    assert.deepEqual(tableNames(raw), []);
  });
});

describe('ComputersRepo', () => {
  test('addMany reports names already present as duplicates case-insensitively, within and across calls', (t) => {
    const { db } = openTemp(t);
    const repo = new ComputersRepo(db, () => new Date('2025-03-04T05:06:07.000Z'));
    const first = repo.addMany([{ name: 'PC01' }, { name: 'pc02', address: null, groupName: 'Lab' }]);
    assert.deepEqual(first.added.map((c) => c.name), ['PC01', 'pc02']);
    assert.deepEqual(first.duplicates, []);
    assert.equal(first.added[1]!.groupName, 'Lab');
    assert.equal(first.added[0]!.createdAt, '2025-03-04T05:06:07.000Z');

    const second = repo.addMany([{ name: 'pc01' }, { name: 'PC02' }, { name: 'pc03' }, { name: 'PC03' }]);
    assert.deepEqual(second.added.map((c) => c.name), ['pc03']);
    assert.deepEqual(second.duplicates, ['pc01', 'PC02', 'PC03']);
    assert.deepEqual(repo.list().map((c) => c.name), ['PC01', 'pc02', 'pc03']);
  });

  test('list sorts by name case-insensitively and removeMany counts only what existed', (t) => {
    const { db } = openTemp(t);
    const repo = new ComputersRepo(db);
    const { added } = repo.addMany([{ name: 'b-host' }, { name: 'A-HOST' }, { name: 'c-host', address: '10.0.0.3' }]);
    assert.deepEqual(repo.list().map((c) => c.name), ['A-HOST', 'b-host', 'c-host']);
    const ids = added.map((c) => c.id);
    assert.equal(repo.removeMany([ids[0]!, ids[0]!, 99_999]), 1);
    assert.deepEqual(repo.list().map((c) => c.name), ['A-HOST', 'c-host']);
  });
});

describe('TasksRepo', () => {
  test('create writes a task and its targets; list counts succeeded, failed, running, waiting for credentials and ended with leftovers per task', (t) => {
    const { db } = openTemp(t);
    const pkg = new PackagesRepo(db).add({ name: 'Agent 7.1', msiFileName: 'agent.msi', msiPath: '/p/agent.msi', msiSize: 1024, msiSha256: 'ab'.repeat(32) });
    const tasks = new TasksRepo(db);
    const names = ['PC1', 'PC2', 'PC3', 'PC4', 'PC5', 'PC6', 'PC7'];
    const first = tasks.create({
      name: 'Roll out agent',
      packageId: pkg.id,
      scheduledAt: '2025-06-01T08:00:00.000Z',
      options: { reboot: false },
      targets: names.map((n) => ({ computerId: null, computerName: n })),
    });
    assert.equal(first.targetIds.length, names.length);
    const empty = tasks.create({ name: 'Nothing yet', packageId: null, scheduledAt: null, targets: [] });

    const set = db.prepare('UPDATE task_targets SET state = ?, outcome = ? WHERE id = ?');
    const [t1, t2, t3, t4, t5, t6, t7] = first.targetIds;
    set.run('done', 'succeeded', t1);
    set.run('done', 'succeeded-reboot-required', t2);
    set.run('done', 'failed', t3);
    set.run('done', 'cancelled', t4);
    set.run('copying', null, t5);
    set.run('installing', null, t6);
    set.run('waiting-for-credentials', null, t7);
    // An ended push that left something counts as leftovers; a running one's record does not.
    const leftovers = db.prepare('UPDATE task_targets SET leftovers = ? WHERE id = ?');
    leftovers.run('{"service":"PushInstallAgent-x","files":[],"directories":[]}', t4);
    leftovers.run('{"service":"PushInstallAgent-y","files":[],"directories":[]}', t5);

    const list = tasks.list();
    assert.deepEqual(list.map((s) => s.id), [empty.taskId, first.taskId], 'newest first');
    const summary = list.find((s) => s.id === first.taskId)!;
    assert.deepEqual(
      { ...summary },
      {
        id: first.taskId,
        name: 'Roll out agent',
        packageName: 'Agent 7.1',
        action: 'install', // no action in the task's options: an install
        transport: 'callback', // no transport either: it called back, as every task before the option
        scheduledAt: '2025-06-01T08:00:00.000Z',
        createdAt: summary.createdAt,
        targets: 7,
        succeeded: 2,
        failed: 1,
        running: 2,
        waiting: 1,
        leftovers: 1,
        status: 'pending',
        startedAt: null,
        finishedAt: null,
      },
    );
    const none = list.find((s) => s.id === empty.taskId)!;
    assert.deepEqual([none.targets, none.succeeded, none.failed, none.running, none.packageName], [0, 0, 0, 0, null]);

    const targets = tasks.targets(first.taskId);
    assert.deepEqual(targets.map((x) => x.computerName), names);
    assert.deepEqual(targets.map((x) => x.state), ['done', 'done', 'done', 'done', 'copying', 'installing', 'waiting-for-credentials']);
    assert.equal(targets[2]!.outcome, 'failed');
    assert.deepEqual(tasks.targets(empty.taskId), []);
  });

  test('create is atomic: a bad target rolls back the task and every target', (t) => {
    const { db } = openTemp(t);
    const tasks = new TasksRepo(db);
    assert.throws(() =>
      tasks.create({
        name: 'half',
        packageId: null,
        scheduledAt: null,
        targets: [{ computerId: null, computerName: 'PC1' }, { computerId: 424242, computerName: 'ghost' }],
      }),
    );
    assert.deepEqual(tasks.list(), []);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM task_targets').get() as { n: number }).n, 0);
  });

  test('the step log of a target comes back in the order written, only for that target', (t) => {
    const { db } = openTemp(t);
    // A clock that runs backwards: order must follow writing, not timestamps.
    let ms = Date.parse('2025-01-01T12:00:00.000Z');
    const tasks = new TasksRepo(db, () => new Date((ms -= 1000)));
    const { targetIds } = tasks.create({
      name: 'log order',
      packageId: null,
      scheduledAt: null,
      targets: [{ computerId: null, computerName: 'A' }, { computerId: null, computerName: 'B' }],
    });
    const [a, b] = targetIds as [number, number];
    const steps = ['probe', 'connect', 'authenticate', 'copy', 'start-service', 'install', 'cleanup'];
    steps.forEach((step, i) => {
      tasks.appendStep(a, step, `detail ${i}`, i === 3 ? 'ERROR_SHARING_VIOLATION' : null);
      tasks.appendStep(b, `other-${step}`, 'x');
    });
    const log = tasks.log(a);
    assert.deepEqual(log.map((e) => e.step), steps);
    assert.deepEqual(log.map((e) => e.detail), steps.map((_, i) => `detail ${i}`));
    assert.ok(log.every((e) => e.targetId === a));
    assert.equal(log[3]!.code, 'ERROR_SHARING_VIOLATION');
    assert.equal(log[0]!.code, null);
    assert.ok(log[0]!.at > log[6]!.at, 'timestamps descend, yet the order is by writing');
    assert.equal(tasks.log(b).length, steps.length);
    assert.deepEqual(tasks.log(999), []);
  });
});

test('a statement after the database closed throws DatabaseClosedError, whether prepared before or after the close', () => {
  const db = openDatabase({ location: ':memory:' });
  const early = db.prepare('SELECT 1');
  db.close();
  assert.throws(() => early.get(), DatabaseClosedError);
  assert.throws(() => db.prepare('SELECT 1'), DatabaseClosedError);
});
