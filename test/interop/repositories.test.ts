// The repositories (ComputersRepo, PackagesRepo, TasksRepo, targetIdPage) written once against the
// synchronous SQL surface (main/store/sql.ts) and run against both stores: SQLite in memory
// (main/store/sqlite.ts) and a real PostgreSQL (main/store/pg/pgSync.ts, test/support/postgres.ts,
// a fresh database per test copied from a migrated template). Each test records what it observed
// with `same(…)`, and the last suite checks that both stores observed the same — the repositories
// behave alike, not merely "work" on each. Transactions are proved on both: a task is created
// whole or not at all, a batch is rolled back whole, and a nested transaction's failure undoes
// only its own savepoint (PostgreSQL docs, "SAVEPOINT" and "ROLLBACK TO SAVEPOINT").
import { after, afterEach, before, beforeEach, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openDatabase } from '../../main/store/database.js';
import type { SqlDb } from '../../main/store/sql.js';
import type { Computer } from '../../main/ipc/contract.js';
import { ComputersRepo, SQL_CHUNK } from '../../main/store/computersRepo.js';
import { PackagesRepo, type NewPackage } from '../../main/store/packagesRepo.js';
import { TasksRepo, type NewTask } from '../../main/store/tasksRepo.js';
import { targetIdPage } from '../../main/app/targetPages.js';
import { defaultAdvice } from '../../main/ipc/errorClasses.js';
import { openPgStore } from '../../main/store/pg/pgDatabase.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';

type Backend = 'sqlite' | 'postgres';

/** What each test observed, per store, to compare at the end. */
const transcripts: Record<Backend, Map<string, Map<string, unknown>>> = { sqlite: new Map(), postgres: new Map() };
const testNames: string[] = [];

/** A clock that starts at the same instant for every test and moves one second per reading. */
function clock(start = Date.UTC(2024, 0, 1, 8, 0, 0)): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}

function pkg(name: string, extra: Partial<NewPackage> = {}): NewPackage {
  return { name, msiFileName: `${name}.msi`, msiPath: `/store/${name}.msi`, msiSize: 1234, msiSha256: 'ab'.repeat(32), ...extra };
}

function count(db: SqlDb, table: string): number {
  return Number(db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).pluck().get());
}

interface Ctx {
  readonly db: SqlDb;
  readonly computers: ComputersRepo;
  readonly packages: PackagesRepo;
  readonly tasks: TasksRepo;
  /** Records an observation under `label`, compared across the stores afterwards. */
  same(label: string, value: unknown): void;
}

/** The suite, once; `open` gives a migrated, empty store for each test. */
function repositoryTests(backend: Backend, open: () => SqlDb): void {
  const it = (name: string, fn: (c: Ctx) => void | Promise<void>) => {
    if (backend === 'sqlite') testNames.push(name);
    test(name, async (t: TestContext) => {
      const db = open();
      t.after(() => db.close());
      assert.equal(db.dialect, backend);
      const now = clock();
      const seen = new Map<string, unknown>();
      transcripts[backend].set(name, seen);
      await fn({
        db,
        computers: new ComputersRepo(db, now),
        packages: new PackagesRepo(db, now),
        tasks: new TasksRepo(db, now),
        same: (label, value) => {
          assert.equal(seen.has(label), false, `label ${label} recorded twice`);
          seen.set(label, structuredClone(value));
        },
      });
    });
  };

  // ---- ComputersRepo -------------------------------------------------------------------------

  it('addMany adds computers with what was given and reports names already present, whatever their case, as duplicates', ({ computers, same }) => {
    const first = computers.addMany([{ name: 'PC-01', address: '10.0.0.1', port: 4450, groupName: 'Lab' }, { name: 'pc-02' }]);
    assert.deepEqual(first.duplicates, []);
    assert.equal(first.added.length, 2);
    const [a, b] = first.added;
    assert.ok(Number.isInteger(a!.id) && Number.isInteger(b!.id) && a!.id !== b!.id, 'ids are integers (numbers on PostgreSQL too)');
    assert.deepEqual({ ...a!, id: 0 }, { id: 0, name: 'PC-01', address: '10.0.0.1', port: 4450, domain: null, os: null, groupName: 'Lab', lastResult: null, createdAt: '2024-01-01T08:00:01.000Z', siteId: null, siteName: null, sitePinned: false });
    // Case-insensitive against the table and within the same batch.
    const second = computers.addMany([{ name: 'pc-01' }, { name: 'PC-02' }, { name: 'PC-03' }, { name: 'pc-03' }]);
    assert.deepEqual(second.duplicates, ['pc-01', 'PC-02', 'pc-03']);
    assert.deepEqual(second.added.map((c) => c.name), ['PC-03']);
    same('names', computers.list().map((c) => c.name));
    same('result', { first: first.added.map((c) => ({ ...c, id: 0 })), second: { ...second, added: second.added.map((c) => c.name) } });
  });

  it('list orders computers by name without regard to ASCII case, then by id, in SQLite\'s byte order whatever the database\'s collation', ({ computers, same }) => {
    computers.addMany(['delta', 'Émile', 'Bravo', 'alpha-2', 'ALPHA', 'charlie', 'Alpha-10', '_lab', 'Zulu', 'eve'].map((name) => ({ name })));
    const names = computers.list().map((c) => c.name);
    // lower() folds ASCII letters only, and names compare as bytes: '_' (0x5F) before letters, 'É' (0xC3 0x89) after 'z'.
    assert.deepEqual(names, ['_lab', 'ALPHA', 'Alpha-10', 'alpha-2', 'Bravo', 'charlie', 'delta', 'eve', 'Zulu', 'Émile']);
    same('order', names);
  });

  it('byIds answers the listed computers among the ids, by name, skipping unknown ids, across several statements of SQL_CHUNK ids', ({ computers, same }) => {
    const { added } = computers.addMany(Array.from({ length: SQL_CHUNK + 30 }, (_, i) => ({ name: `host-${String(i).padStart(4, '0')}` })));
    const ids = added.map((c) => c.id).reverse();
    const found = computers.byIds([...ids, 999_999_999]);
    assert.equal(found.length, SQL_CHUNK + 30);
    assert.deepEqual(found.map((c) => c.name), added.map((c) => c.name));
    const few = computers.byIds([added[7]!.id, added[3]!.id]);
    assert.deepEqual(few.map((c) => c.name), ['host-0003', 'host-0007']);
    assert.deepEqual(computers.byIds([]), []);
    same('few', few.map((c) => ({ ...c, id: 0 })));
  });

  it('lowerCaseNames answers every name in lower case', ({ computers, same }) => {
    computers.addMany([{ name: 'PC-A' }, { name: 'pc-b' }, { name: 'Pc-C' }]);
    const names = computers.lowerCaseNames();
    assert.deepEqual([...names].sort(), ['pc-a', 'pc-b', 'pc-c']);
    same('names', [...names].sort());
  });

  it('addInChunks adds chunk by chunk with progress, finds duplicates across chunks, and keeps earlier chunks when a later one fails whole', async ({ db, computers, same }) => {
    const progress: [number, number][] = [];
    const r = await computers.addInChunks([{ name: 'a1' }, { name: 'a2' }, { name: 'A1' }, { name: 'a3' }, { name: 'a4' }], 2, (done, total) => progress.push([done, total]));
    assert.deepEqual(r.added.map((c) => c.name), ['a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(r.duplicates, ['A1']);
    assert.deepEqual(progress, [[2, 5], [4, 5], [5, 5]]);
    // The third chunk holds a computer without a name (NOT NULL): that chunk is rolled back whole.
    const broken = [{ name: 'b1' }, { name: 'b2' }, { name: 'b3' }, { name: 'b4' }, { name: 'b5' }, { name: null as unknown as string }];
    await assert.rejects(computers.addInChunks(broken, 2), /null|NOT NULL/i);
    assert.deepEqual(computers.list().map((c) => c.name), ['a1', 'a2', 'a3', 'a4', 'b1', 'b2', 'b3', 'b4']);
    assert.equal(count(db, 'computers'), 8);
    same('after', computers.list().map((c) => c.name));
    same('progress', progress);
  });

  it('removeMany and setGroup count only the computers they changed (unknown and repeated ids count once or not at all)', ({ computers, same }) => {
    const { added } = computers.addMany([{ name: 'r1' }, { name: 'r2' }, { name: 'r3' }, { name: 'r4' }]);
    const [r1, r2, r3, r4] = added.map((c) => c.id) as [number, number, number, number];
    const grouped = computers.setGroup([r1, r2, 999_999], 'Floor 2');
    assert.equal(grouped, 2);
    assert.deepEqual(computers.list().map((c) => [c.name, c.groupName]), [['r1', 'Floor 2'], ['r2', 'Floor 2'], ['r3', null], ['r4', null]]);
    const ungrouped = computers.setGroup([r2], null);
    assert.equal(ungrouped, 1);
    const removed = computers.removeMany([r3, r4, r4, 999_999]);
    assert.equal(removed, 2);
    assert.deepEqual(computers.list().map((c) => [c.name, c.groupName]), [['r1', 'Floor 2'], ['r2', null]]);
    assert.equal(computers.removeMany([]), 0);
    same('counts', { grouped, ungrouped, removed });
    same('left', computers.list().map((c) => [c.name, c.groupName]));
  });

  it('updateInfo keeps what was known where it is given null (COALESCE), and setLastResult records the last push result', ({ computers, same }) => {
    const { added } = computers.addMany([{ name: 'info' }]);
    const id = added[0]!.id;
    computers.updateInfo(id, { domain: 'CORP', os: null });
    computers.updateInfo(id, { os: 'Windows 11 Pro' });
    computers.updateInfo(id, { domain: null, os: null });
    computers.updateInfo(id, {});
    computers.setLastResult(id, 'succeeded');
    const c = computers.list()[0]!;
    assert.deepEqual([c.domain, c.os, c.lastResult], ['CORP', 'Windows 11 Pro', 'succeeded']);
    computers.updateInfo(id, { domain: 'LAB' });
    assert.deepEqual([computers.list()[0]!.domain, computers.list()[0]!.os], ['LAB', 'Windows 11 Pro']);
    same('computer', { ...computers.list()[0]!, id: 0 });
  });

  // ---- PackagesRepo --------------------------------------------------------------------------

  it('packages: add answers the stored package, list orders by name (byte order, whatever the database\'s collation) then id, source gives the files (undefined when gone)', ({ packages, same }) => {
    const z = packages.add(pkg('apple'));
    const b = packages.add(pkg('Beta', { productName: 'Beta App', productVersion: '1.2.3', manufacturer: 'Acme', productCode: '{B}', configFileName: 'beta.ini', configPath: '/store/beta.ini', parameters: 'ALLUSERS=1' }));
    const a = packages.add(pkg('Alpha'));
    const a2 = packages.add(pkg('Alpha'));
    assert.ok(Number.isInteger(b.id) && b.id > 0);
    assert.deepEqual({ ...b, id: 0 }, {
      id: 0, name: 'Beta', msiFileName: 'Beta.msi', msiSize: 1234, msiSha256: 'ab'.repeat(32), productName: 'Beta App', productVersion: '1.2.3',
      manufacturer: 'Acme', productCode: '{B}', configFileName: 'beta.ini', parameters: 'ALLUSERS=1', createdAt: '2024-01-01T08:00:02.000Z',
    });
    assert.deepEqual({ ...a, id: 0 }, {
      id: 0, name: 'Alpha', msiFileName: 'Alpha.msi', msiSize: 1234, msiSha256: 'ab'.repeat(32), productName: null, productVersion: null,
      manufacturer: null, productCode: null, configFileName: null, parameters: '', createdAt: '2024-01-01T08:00:03.000Z',
    });
    // By name as SQLite compares it (bytes: capitals before small letters), then id.
    assert.deepEqual(packages.list().map((p) => p.id), [a.id, a2.id, b.id, z.id]);
    assert.deepEqual(packages.source(b.id), {
      name: 'Beta', msiFileName: 'Beta.msi', msiPath: '/store/Beta.msi', msiSize: 1234, msiSha256: 'ab'.repeat(32), configFileName: 'beta.ini', configPath: '/store/beta.ini', parameters: 'ALLUSERS=1',
    });
    assert.equal(packages.source(999_999), undefined);
    same('list', packages.list().map((p) => ({ ...p, id: 0 })));
    same('source', packages.source(b.id));
  });

  it('packages: usage counts the tasks of each package; remove refuses a used package (ON DELETE RESTRICT), removes an unused one, and answers false for one that is gone', ({ db, packages, tasks, same }) => {
    const used = packages.add(pkg('Used'));
    const unused = packages.add(pkg('Unused'));
    tasks.create({ name: 't1', packageId: used.id, scheduledAt: null, targets: [] });
    tasks.create({ name: 't2', packageId: used.id, scheduledAt: null, targets: [] });
    tasks.create({ name: 'restart', packageId: null, scheduledAt: null, targets: [] });
    const usage = packages.usage();
    assert.deepEqual([...usage], [[used.id, 2]]);
    assert.equal(typeof usage.get(used.id), 'number', 'COUNT comes back as a number on both');
    assert.throws(() => packages.remove(used.id), /foreign key|FOREIGN KEY/);
    assert.equal(packages.remove(unused.id), true);
    assert.equal(packages.remove(unused.id), false);
    assert.deepEqual(packages.list().map((p) => p.name), ['Used']);
    assert.equal(count(db, 'tasks'), 3, 'a refused remove changed nothing');
    same('usage', [...usage.values()]);
  });

  it('packages: filesInUse counts the packages whose MSI or config file is the path', ({ packages, same }) => {
    packages.add(pkg('One', { msiPath: '/store/shared.msi' }));
    packages.add(pkg('Two', { msiPath: '/store/shared.msi', configPath: '/store/shared.ini' }));
    packages.add(pkg('Three', { configPath: '/store/shared.ini' }));
    const counts = ['/store/shared.msi', '/store/shared.ini', '/store/Three.msi', '/store/none'].map((p) => packages.filesInUse(p));
    assert.deepEqual(counts, [2, 2, 1, 0]);
    same('counts', counts);
  });

  // ---- TasksRepo -----------------------------------------------------------------------------

  it('create writes the task and its targets and answers their ids in order; task(), targets() and targetRecords() read them back with their defaults', ({ tasks, computers, same }) => {
    const [pc] = computers.addMany([{ name: 'pc-1' }]).added;
    const created = tasks.create({
      name: 'Install', packageId: null, scheduledAt: '2024-02-01T00:00:00.000Z', options: { action: 'repair', transport: 'smb' },
      targets: [{ computerId: pc!.id, computerName: 'pc-1', address: '10.1.1.1', port: 4445 }, { computerId: null, computerName: 'loose' }],
    });
    assert.ok(Number.isInteger(created.taskId));
    assert.equal(created.targetIds.length, 2);
    assert.ok(created.targetIds[0]! < created.targetIds[1]!);
    const task = tasks.task(created.taskId)!;
    assert.deepEqual({ ...task, id: 0 }, {
      id: 0, name: 'Install', package_id: null, scheduled_at: '2024-02-01T00:00:00.000Z', options_json: '{"action":"repair","transport":"smb"}',
      created_at: '2024-01-01T08:00:02.000Z', status: 'pending', started_at: null, finished_at: null,
    });
    assert.equal(tasks.task(999_999), undefined);
    const targets = tasks.targets(created.taskId, (id) => (id === created.targetIds[1] ? 7 : null));
    assert.deepEqual(targets.map((t) => t.id), created.targetIds);
    assert.deepEqual(targets.map((t) => [t.computerName, t.state, t.outcome, t.attempts, t.rebootRequired, t.queuePosition]), [
      ['pc-1', 'queued', null, 0, false, null],
      ['loose', 'queued', null, 0, false, 7],
    ]);
    const records = tasks.targetRecords(created.taskId);
    assert.deepEqual(records.map((r) => [r.task_id, r.computer_id, r.address, r.port, r.reboot_required, r.attempts, r.credential_id]), [
      [created.taskId, pc!.id, '10.1.1.1', 4445, 0, 0, null],
      [created.taskId, null, null, null, 0, 0, null],
    ]);
    assert.deepEqual(tasks.targetRecord(created.targetIds[0]!), records[0]);
    assert.equal(tasks.targetRecord(999_999), undefined);
    const anonymous = (r: object) => ({ ...r, id: 0, task_id: 0, computer_id: 0 });
    same('records', records.map(anonymous));
    same('targets', targets.map((t) => ({ ...t, id: 0, taskId: 0 })));
    same('task', { ...task, id: 0 });
  });

  it('list() summarises each task, newest first: package name, action, transport, and target counts by outcome and state after updateTarget, leftovers only of ended targets', ({ tasks, packages, same }) => {
    const p = packages.add(pkg('Agent'));
    const empty = tasks.create({ name: 'empty', packageId: null, scheduledAt: null, options: { action: 'restart' }, targets: [] });
    const big = tasks.create({ name: 'big', packageId: p.id, scheduledAt: null, options: { transport: 'auto' }, targets: Array.from({ length: 8 }, (_, i) => ({ computerId: null, computerName: `t${i}` })) });
    const [t0, t1, t2, t3, t4, t5, t6] = big.targetIds as [number, number, number, number, number, number, number];
    tasks.updateTarget(t0, { state: 'done', outcome: 'succeeded' });
    tasks.updateTarget(t1, { state: 'done', outcome: 'succeeded-reboot-required', reboot_required: 1 });
    tasks.updateTarget(t2, { state: 'done', outcome: 'failed', leftovers: '["service PushInstallAgent-1"]' });
    tasks.updateTarget(t3, { state: 'installing' });
    tasks.updateTarget(t4, { state: 'copying', leftovers: '["not yet a leftover: still running"]' });
    tasks.updateTarget(t5, { state: 'waiting-for-credentials' });
    tasks.updateTarget(t6, { state: 'done', outcome: 'cancelled' });
    tasks.setTaskStatus(big.taskId, 'running');
    const list = tasks.list();
    assert.deepEqual(list.map((s) => s.id), [big.taskId, empty.taskId]);
    const [b, e] = list;
    assert.deepEqual({ ...b!, id: 0 }, {
      id: 0, name: 'big', packageName: 'Agent', action: 'install', transport: 'auto', scheduledAt: null, createdAt: '2024-01-01T08:00:03.000Z',
      targets: 8, succeeded: 2, failed: 1, running: 2, waiting: 1, leftovers: 1, status: 'running', startedAt: '2024-01-01T08:00:04.000Z', finishedAt: null,
    });
    assert.deepEqual({ ...e!, id: 0 }, {
      id: 0, name: 'empty', packageName: null, action: 'restart', transport: 'callback', scheduledAt: null, createdAt: '2024-01-01T08:00:02.000Z',
      targets: 0, succeeded: 0, failed: 0, running: 0, waiting: 0, leftovers: 0, status: 'pending', startedAt: null, finishedAt: null,
    });
    for (const key of ['targets', 'succeeded', 'failed', 'running', 'waiting', 'leftovers'] as const) assert.equal(typeof b![key], 'number', key);
    same('list', list.map((s) => ({ ...s, id: 0 })));
  });

  it('targetsByIds answers only the given targets of that task, in the order asked, skipping others; targetStates and targetTally read the task', ({ tasks, same }) => {
    const one = tasks.create({ name: 'one', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'a' }, { computerId: null, computerName: 'b' }, { computerId: null, computerName: 'c' }] });
    const two = tasks.create({ name: 'two', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'z' }] });
    const [a, b, c] = one.targetIds as [number, number, number];
    tasks.updateTarget(b, { state: 'done', outcome: 'succeeded-reboot-required' });
    tasks.updateTarget(c, { state: 'done', outcome: 'failed', credential_id: null });
    const picked = tasks.targetsByIds(one.taskId, [c, two.targetIds[0]!, 999_999, a], (id) => (id === a ? 1 : null));
    assert.deepEqual(picked.map((t) => [t.computerName, t.queuePosition]), [['c', null], ['a', 1]]);
    assert.deepEqual(tasks.targetStates(one.taskId), [
      { id: a, state: 'queued', credential_id: null },
      { id: b, state: 'done', credential_id: null },
      { id: c, state: 'done', credential_id: null },
    ]);
    const tally = tasks.targetTally(one.taskId);
    assert.deepEqual(tally, { targets: 3, notDone: 1, succeeded: 1 });
    assert.deepEqual(tasks.targetTally(999_999), { targets: 0, notDone: 0, succeeded: 0 });
    same('picked', picked.map((t) => t.computerName));
    same('states', tasks.targetStates(one.taskId).map((s) => s.state));
    same('tally', tally);
  });

  it('inFlightTargets, targetsWithLeftovers, targetsOfComputers and pendingRestarts pick the right targets in id order', ({ tasks, computers, same }) => {
    const [x, y] = computers.addMany([{ name: 'x' }, { name: 'y' }]).added as [Computer, Computer];
    const t = tasks.create({
      name: 'mixed', packageId: null, scheduledAt: null,
      targets: [{ computerId: x.id, computerName: 'x' }, { computerId: y.id, computerName: 'y' }, { computerId: x.id, computerName: 'x' }, { computerId: null, computerName: 'w' }, { computerId: null, computerName: 'v' }],
    });
    const [t0, t1, t2, t3, t4] = t.targetIds as [number, number, number, number, number];
    tasks.updateTarget(t0, { state: 'installing' });
    tasks.updateTarget(t1, { state: 'done', outcome: 'failed', leftovers: '["ADMIN$\\\\PushInstall\\\\run"]', restart_state: 'scheduled', restart_at: '2024-01-01T09:00:00.000Z' });
    tasks.updateTarget(t2, { state: 'waiting-for-credentials', leftovers: '["x"]' });
    tasks.updateTarget(t3, { state: 'done', outcome: 'succeeded', restart_state: 'restarting' });
    tasks.updateTarget(t4, { state: 'done', outcome: 'succeeded', restart_state: 'restarted' });
    const other = tasks.create({ name: 'other', packageId: null, scheduledAt: null, targets: [{ computerId: x.id, computerName: 'x' }] });
    tasks.updateTarget(other.targetIds[0]!, { state: 'cleaning-up' });
    const ids = (rows: { id: number }[]) => rows.map((r) => r.id);
    assert.deepEqual(ids(tasks.inFlightTargets()), [t0, other.targetIds[0]]);
    assert.deepEqual(ids(tasks.targetsWithLeftovers()), [t1]);
    assert.deepEqual(ids(tasks.targetsOfComputers([x.id])), [t0, t2, other.targetIds[0]]);
    assert.deepEqual(ids(tasks.targetsOfComputers([y.id, x.id])), [t1, t0, t2, other.targetIds[0]]);
    assert.deepEqual(ids(tasks.pendingRestarts()), [t1, t3]);
    assert.equal(tasks.pendingRestarts()[0]!.restart_at, '2024-01-01T09:00:00.000Z');
    // A removed computer's targets stay, without it (ON DELETE SET NULL).
    computers.removeMany([x.id]);
    assert.deepEqual(tasks.targetsOfComputers([x.id]), []);
    assert.equal(tasks.targetRecord(t0)!.computer_id, null);
    const names = (rows: { computer_name: string; state: string }[]) => rows.map((r) => [r.computer_name, r.state]);
    same('inFlight', names(tasks.inFlightTargets()));
    same('leftovers', names(tasks.targetsWithLeftovers()));
    same('restarts', names(tasks.pendingRestarts()));
  });

  it('openTasks lists pending and running tasks; setTaskStatus stamps started_at once, clears finished_at on running, and stamps finished_at on finished or cancelled', ({ tasks, same }) => {
    const a = tasks.create({ name: 'a', packageId: null, scheduledAt: null, targets: [] }).taskId; // 08:00:01
    const b = tasks.create({ name: 'b', packageId: null, scheduledAt: null, targets: [] }).taskId; // 08:00:02
    const c = tasks.create({ name: 'c', packageId: null, scheduledAt: null, targets: [] }).taskId; // 08:00:03
    tasks.setTaskStatus(a, 'running'); // 08:00:04
    tasks.setTaskStatus(b, 'cancelled'); // 08:00:05
    assert.deepEqual(tasks.openTasks().map((t) => t.name), ['a', 'c']);
    tasks.setTaskStatus(a, 'finished'); // 08:00:06
    assert.deepEqual(tasks.task(a)!.finished_at, '2024-01-01T08:00:06.000Z');
    tasks.setTaskStatus(a, 'running'); // 08:00:07: started_at kept, finished_at cleared
    const running = tasks.task(a)!;
    assert.deepEqual([running.status, running.started_at, running.finished_at], ['running', '2024-01-01T08:00:04.000Z', null]);
    tasks.setTaskStatus(a, 'pending'); // 08:00:08: status only
    assert.deepEqual([tasks.task(a)!.status, tasks.task(a)!.started_at], ['pending', '2024-01-01T08:00:04.000Z']);
    tasks.setTaskStatus(c, 'finished'); // 08:00:09
    assert.deepEqual(tasks.openTasks().map((t) => t.name), ['a']);
    const rows = [a, b, c].map((id) => tasks.task(id)!).map((t) => [t.name, t.status, t.started_at, t.finished_at]);
    assert.deepEqual(rows, [
      ['a', 'pending', '2024-01-01T08:00:04.000Z', null],
      ['b', 'cancelled', null, '2024-01-01T08:00:05.000Z'],
      ['c', 'finished', null, '2024-01-01T08:00:09.000Z'],
    ]);
    same('rows', rows);
  });

  it('pruneEndedBefore removes tasks that ended before the cutoff with their targets and step logs, and keeps those with leftovers and those still open', ({ db, tasks, same }) => {
    const mk = (name: string, n: number) => tasks.create({ name, packageId: null, scheduledAt: null, targets: Array.from({ length: n }, (_, i) => ({ computerId: null, computerName: `${name}-${i}` })) });
    const old = mk('old', 3);
    const oldLeft = mk('old-with-leftovers', 2);
    const oldCancelled = mk('old-cancelled', 1);
    const recent = mk('recent', 1);
    const open = mk('open', 1);
    tasks.appendStep(old.targetIds[0]!, 'copy', 'copied');
    tasks.appendStep(old.targetIds[1]!, 'copy', 'copied');
    tasks.updateTarget(oldLeft.targetIds[1]!, { state: 'done', leftovers: '["service"]' });
    for (const t of [old, oldLeft]) tasks.setTaskStatus(t.taskId, 'finished');
    tasks.setTaskStatus(oldCancelled.taskId, 'cancelled');
    const cutoff = new Date(Date.UTC(2024, 0, 1, 8, 0, 30));
    db.prepare('UPDATE tasks SET finished_at = ? WHERE id = ?').run('2024-01-01T09:00:00.000Z', recent.taskId);
    db.prepare("UPDATE tasks SET status = 'finished' WHERE id = ?").run(recent.taskId);
    tasks.setTaskStatus(open.taskId, 'running');
    const stepsBefore = count(db, 'step_logs');
    const pruned = tasks.pruneEndedBefore(cutoff);
    assert.deepEqual(pruned, { tasks: 2, targets: 4, kept: 1 });
    assert.deepEqual(tasks.list().map((t) => t.name).sort(), ['old-with-leftovers', 'open', 'recent']);
    assert.equal(stepsBefore, 2);
    assert.equal(count(db, 'step_logs'), 0, 'step logs went with their targets');
    assert.equal(count(db, 'task_targets'), 4);
    assert.deepEqual(tasks.pruneEndedBefore(cutoff), { tasks: 0, targets: 0, kept: 1 }, 'a second prune finds only the kept task');
    same('pruned', pruned);
  });

  it('appendStep answers the entry it wrote, and log() reads a target\'s steps in the order written, camelCase targetId included', ({ tasks, same }) => {
    const { targetIds } = tasks.create({ name: 'log', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'a' }, { computerId: null, computerName: 'b' }] });
    const [a, b] = targetIds as [number, number];
    const e1 = tasks.appendStep(a, 'connect', 'SMB to 10.0.0.1:445');
    tasks.appendStep(b, 'connect', 'other target');
    const e2 = tasks.appendStep(a, 'copy', "copied 'PushInstallAgent.exe' (what? 100%)", 'STATUS_SUCCESS');
    const e3 = tasks.appendStep(a, 'install', 'msiexec', null, '2023-12-31T23:59:59.000Z');
    const log = tasks.log(a);
    assert.deepEqual(log, [e1, e2, e3]);
    assert.ok(e1.id < e2.id && e2.id < e3.id);
    assert.deepEqual(Object.keys(log[0]!), ['id', 'targetId', 'at', 'step', 'detail', 'code']);
    assert.equal(log[0]!.targetId, a);
    assert.deepEqual(tasks.log(999_999), []);
    same('log', log.map((e) => ({ ...e, id: 0, targetId: 0 })));
  });

  it('updateTarget writes the known columns (numbers, reals, nulls) and ignores unknown keys and the ones it must not change', ({ tasks, same }) => {
    const { taskId, targetIds } = tasks.create({ name: 'u', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'keep-me' }] });
    const id = targetIds[0]!;
    const before = tasks.targetRecord(id)!;
    tasks.updateTarget(id, { bogus: 'x', id: 5, task_id: 999, computer_name: 'changed' } as never);
    assert.deepEqual(tasks.targetRecord(id), before, 'only unknown or protected keys: nothing written');
    tasks.updateTarget(id, {
      state: 'copying-package', progress: 42.5, attempts: 2, exit_code: 101603, reboot_required: 1, transport: 'smb', auth_mechanism: 'kerberos',
      run_id: 'r-1', service_name: 'PushInstallAgent-r-1', error_class: 'access-denied', error_code: '0xC0000022', error_message: 'denied',
      advice: null, msi_log: 'MSI (s) ...', laps_attribute: 'msLAPS-Password', laps_account: 'Administrator', bogus: 'ignored',
    } as never);
    const r = tasks.targetRecord(id)!;
    assert.deepEqual([r.id, r.task_id, r.computer_name], [id, taskId, 'keep-me']);
    assert.deepEqual([r.state, r.progress, r.attempts, r.exit_code, r.reboot_required, r.transport, r.auth_mechanism, r.laps_account], ['copying-package', 42.5, 2, 101603, 1, 'smb', 'kerberos', 'Administrator']);
    tasks.updateTarget(id, { progress: null, error_message: undefined } as never);
    assert.deepEqual([tasks.targetRecord(id)!.progress, tasks.targetRecord(id)!.error_message], [null, null], 'undefined is written as null');
    const t = tasks.targets(taskId)[0]!;
    assert.deepEqual([t.rebootRequired, t.errorMessage, t.advice], [true, null, defaultAdvice('access-denied')], 'no advice of its own: its class\'s');
    same('record', { ...tasks.targetRecord(id)!, id: 0, task_id: 0 });
    same('target', { ...t, id: 0, taskId: 0 });
  });

  it('targetIdPage pages a task\'s target ids in id order by offset and limit', ({ db, tasks, same }) => {
    const page = targetIdPage(db);
    const { taskId, targetIds } = tasks.create({ name: 'paged', packageId: null, scheduledAt: null, targets: Array.from({ length: 7 }, (_, i) => ({ computerId: null, computerName: `p${i}` })) });
    tasks.create({ name: 'other', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'o' }] });
    assert.deepEqual(page(taskId, 0, 3), targetIds.slice(0, 3));
    assert.deepEqual(page(taskId, 3, 3), targetIds.slice(3, 6));
    assert.deepEqual(page(taskId, 6, 3), targetIds.slice(6));
    assert.deepEqual(page(taskId, 9, 3), []);
    assert.deepEqual(page(999_999, 0, 3), []);
    same('sizes', [0, 3, 6, 9].map((o) => page(taskId, o, 3).length));
  });

  it('a BLOB column (credentials.secret_blob) round-trips a Buffer byte for byte, zero bytes and 0xff included, and null stays null', ({ db, same }) => {
    const blob = Buffer.from([0, 1, 2, 0xff, 0xfe, 0, 0x80, 0x7f, ...Buffer.from('ciphertext')]);
    const insert = db.prepare('INSERT INTO credentials (label, username, secret_ref, secret_blob, created_at) VALUES (?, ?, ?, ?, ?)');
    const id = insert.run('with blob', 'admin', 'safe:1', blob, 'now').lastInsertRowid;
    insert.run('without', 'admin', 'memory:2', null, 'now');
    const rows = db.prepare('SELECT secret_ref, secret_blob FROM credentials ORDER BY id').all() as { secret_ref: string; secret_blob: Buffer | null }[];
    assert.ok(Buffer.isBuffer(rows[0]!.secret_blob), 'a Buffer, not a Uint8Array or a hex string');
    assert.ok(rows[0]!.secret_blob.equals(blob));
    assert.equal(rows[1]!.secret_blob, null);
    const byParam = db.prepare('SELECT id FROM credentials WHERE secret_blob = ?').pluck().get(blob);
    assert.equal(byParam, id, 'a Buffer parameter compares with the stored bytes');
    same('hex', rows.map((r) => r.secret_blob?.toString('hex') ?? null));
  });

  // ---- Transactions --------------------------------------------------------------------------

  it('create() is all or nothing: a target that breaks a foreign key leaves no task and no targets, and the next create works', ({ db, tasks, same }) => {
    const task: NewTask = {
      name: 'doomed', packageId: null, scheduledAt: null,
      targets: [{ computerId: null, computerName: 'ok-1' }, { computerId: null, computerName: 'ok-2' }, { computerId: null, computerName: 'bad', credentialId: 424242 }],
    };
    assert.throws(() => tasks.create(task), /foreign key|FOREIGN KEY/);
    assert.deepEqual([count(db, 'tasks'), count(db, 'task_targets')], [0, 0]);
    // A package that does not exist fails at the task's own row.
    assert.throws(() => tasks.create({ ...task, packageId: 777, targets: [{ computerId: null, computerName: 'x' }] }), /foreign key|FOREIGN KEY/);
    assert.deepEqual([count(db, 'tasks'), count(db, 'task_targets')], [0, 0]);
    const ok = tasks.create({ ...task, name: 'fine', targets: task.targets.slice(0, 2) });
    assert.equal(ok.targetIds.length, 2);
    assert.deepEqual(tasks.list().map((t) => [t.name, t.targets]), [['fine', 2]]);
    same('after', tasks.list().map((t) => [t.name, t.targets]));
  });

  it('batch() rolls back every write when one throws — a JavaScript error or a CHECK violation — and commits them all otherwise', ({ db, tasks, same }) => {
    const { taskId, targetIds } = tasks.create({ name: 'b', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'a' }, { computerId: null, computerName: 'b' }] });
    const [a, b] = targetIds as [number, number];
    const writes = [
      () => tasks.updateTarget(a, { state: 'done', outcome: 'succeeded' }),
      () => void tasks.appendStep(a, 'done', 'installed'),
      () => tasks.setTaskStatus(taskId, 'running'),
    ];
    assert.throws(() => tasks.batch([...writes, () => { throw new Error('the journal broke'); }]), /the journal broke/);
    const untouched = () => [tasks.targetRecord(a)!.state, tasks.log(a).length, tasks.task(taskId)!.status, tasks.targetRecord(b)!.transport];
    assert.deepEqual(untouched(), ['queued', 0, 'pending', null]);
    // transport has a CHECK (callback | smb): the database refuses 'ftp', and the batch goes whole.
    assert.throws(() => tasks.batch([...writes, () => tasks.updateTarget(b, { transport: 'ftp' as never })]), /check/i);
    assert.deepEqual(untouched(), ['queued', 0, 'pending', null]);
    assert.equal(count(db, 'step_logs'), 0);
    tasks.batch([...writes, () => tasks.updateTarget(b, { transport: 'smb' })]);
    assert.deepEqual(untouched(), ['done', 1, 'running', 'smb']);
    same('after', untouched());
  });

  it('a nested transaction that fails rolls back only its savepoint — after a JavaScript error or an SQL error — and the outer transaction commits the rest', ({ db, tasks, same }) => {
    const { targetIds } = tasks.create({ name: 'n', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'a' }] });
    const a = targetIds[0]!;
    const outcome: string[] = [];
    db.transaction(() => {
      tasks.appendStep(a, 'outer', 'before');
      try {
        tasks.batch([() => void tasks.appendStep(a, 'inner', 'undone'), () => { throw new Error('inner failed'); }]);
      } catch (error) {
        outcome.push((error as Error).message);
      }
      try {
        // An SQL error inside the savepoint: on PostgreSQL it aborts the transaction until the
        // savepoint is rolled back; after that the outer transaction goes on.
        db.transaction(() => {
          tasks.appendStep(a, 'inner', 'undone too');
          tasks.updateTarget(a, { auth_mechanism: 'basic' as never });
        })();
      } catch {
        outcome.push('sql error');
      }
      // A nested create commits with the outer transaction.
      tasks.create({ name: 'nested', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'z' }] });
      tasks.appendStep(a, 'outer', 'after');
    })();
    assert.deepEqual(outcome, ['inner failed', 'sql error']);
    assert.deepEqual(tasks.log(a).map((e) => e.detail), ['before', 'after']);
    assert.equal(tasks.targetRecord(a)!.auth_mechanism, null);
    assert.deepEqual(tasks.list().map((t) => t.name), ['nested', 'n']);
    // And the outer one failing takes its committed savepoints with it.
    assert.throws(() => db.transaction(() => {
      tasks.batch([() => void tasks.appendStep(a, 'inner', 'released, then rolled back with the outer')]);
      throw new Error('outer failed');
    })(), /outer failed/);
    assert.deepEqual(tasks.log(a).map((e) => e.detail), ['before', 'after']);
    same('log', tasks.log(a).map((e) => [e.step, e.detail]));
  });

  it('a statement that fails outside a transaction leaves the connection usable for the next', ({ db, computers, same }) => {
    assert.throws(() => db.prepare('INSERT INTO computers (name, created_at) VALUES (NULL, ?)').run('now'), /null|NOT NULL/i);
    assert.throws(() => db.prepare('SELECT no_such_column FROM computers').all(), /no_such_column/);
    computers.addMany([{ name: 'after-errors' }]);
    same('names', computers.list().map((c) => c.name));
  });
}

// ---- The stores ----------------------------------------------------------------------------

describe('SQLite (node:sqlite, in memory)', () => {
  repositoryTests('sqlite', () => openDatabase({ location: ':memory:' }));
});

describe('PostgreSQL (pg on a worker thread, a real server)', () => {
  let server: RunningPostgres | undefined;
  let templateUrl = '';
  let databases = 0;
  let current: SqlDb | null = null;

  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server!.url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const urlOf = (name: string) => server!.url.replace(/\/[^/]+$/, `/${name}`);

  before(async () => {
    server = await startPostgres();
    // Migrated once; each test's database is a copy of it (CREATE DATABASE … TEMPLATE). It collates
    // text by ICU's en-US rules, as a server's database often does (not the fixture's C locale),
    // so ORDER BY on names would not be SQLite's byte order (PostgreSQL docs, "Collation Support").
    await admin("CREATE DATABASE repo_template TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.utf8'");
    templateUrl = urlOf('repo_template');
    (await openPgStore({ url: templateUrl })).close();
  });
  after(() => server?.stop());

  beforeEach(async () => {
    const name = `repo_${++databases}`;
    await admin(`CREATE DATABASE ${name} TEMPLATE repo_template`);
    current = await openPgStore({ url: urlOf(name), reconnectMs: 2_000, statementTimeoutMs: 20_000 });
  });
  afterEach(() => {
    current?.close();
    current = null;
  });

  repositoryTests('postgres', () => {
    assert.ok(current, 'a PostgreSQL store for this test');
    return current;
  });
});

describe('SQLite and PostgreSQL observe the same', () => {
  for (const name of testNames) {
    test(name, () => {
      const lite = transcripts.sqlite.get(name);
      const pgSeen = transcripts.postgres.get(name);
      assert.ok(lite && pgSeen, 'both stores ran the test');
      assert.ok(lite.size > 0, 'the test recorded what it observed');
      assert.deepEqual(pgSeen, lite);
    });
  }
});
