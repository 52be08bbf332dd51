// The push workers' lease store (main/workers/leases.ts) against a real PostgreSQL
// (test/support/postgres.ts): claims under SKIP LOCKED by racing worker threads, the one-claim-per-
// computer index under a real unique-violation race, fencing tokens against a paused owner, extend,
// the reaper, handBack, the site filter and the workers' heartbeats.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { defaultAdvice } from '../../main/ipc/errorClasses.js';
import { openPgStore } from '../../main/store/pg/pgDatabase.js';
import type { PgSyncDatabase } from '../../main/store/pg/pgSync.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';
import { LeaseStore } from '../../main/workers/leases.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import type { ClaimerData, ClaimerReport, ClaimRecord } from '../support/leaseClaimerThread.js';

let server: RunningPostgres;
let databases = 0;

before(async () => {
  server = await startPostgres();
});
after(() => server?.stop());

async function outside<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A migrated database of its own, with `computers` computers (ids 1..n) and one site per name. */
async function database(t: TestContext, computers: number, sites: readonly string[] = []): Promise<{ url: string; db: PgSyncDatabase; tasks: TasksRepo; leases: LeaseStore; siteIds: Map<string, number> }> {
  const url = await server.createDatabase(`leases_${++databases}`);
  const db = await openPgStore({ url, reconnectMs: 5_000 });
  t.after(() => db.close());
  db.prepare("INSERT INTO computers (name, created_at) SELECT 'pc-' || g, '2025-01-01T00:00:00.000Z' FROM generate_series(1, CAST(? AS INTEGER)) g").run(computers);
  const siteIds = new Map<string, number>();
  for (const name of sites) siteIds.set(name, Number(db.prepare("INSERT INTO sites (name, created_at) VALUES (?, '2025-01-01T00:00:00.000Z')").run(name).lastInsertRowid));
  return { url, db, tasks: new TasksRepo(db), leases: new LeaseStore(db), siteIds };
}

/** A task whose targets are on the given computers (ids), in that order, optionally in a site. */
function task(tasks: TasksRepo, db: PgSyncDatabase, computerIds: readonly number[], siteId: number | null = null): number[] {
  const { targetIds } = tasks.create({ name: 'push', packageId: null, scheduledAt: null, targets: computerIds.map((id) => ({ computerId: id, computerName: `pc-${id}` })) });
  if (siteId !== null) db.prepare('UPDATE task_targets SET site_id = ? WHERE id = ANY(CAST(? AS BIGINT[]))').run(siteId, targetIds);
  return targetIds;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('4 worker threads claiming at once over 2 000 targets on 300 computers never hold one target twice, never hold two targets of one computer at once, and end every target once', async (t) => {
  const COMPUTERS = 300;
  const TARGETS = 2_000;
  const { url, db } = await database(t, COMPUTERS);
  // One task; target g on computer (g * 7919 mod 300) + 1: each computer's targets spread over the queue.
  db.prepare("INSERT INTO tasks (name, options_json, created_at, status) VALUES ('race', '{}', '2025-01-01T00:00:00.000Z', 'running')").run();
  db.prepare(
    `INSERT INTO task_targets (task_id, computer_id, computer_name)
     SELECT 1, (g * 7919) % ${COMPUTERS} + 1, 'pc-' || ((g * 7919) % ${COMPUTERS} + 1) FROM generate_series(1, ${TARGETS}) g`,
  ).run();

  const shared = new SharedArrayBuffer(4 * (2 + COMPUTERS + 1 + TARGETS + 1));
  const started = Date.now();
  const reports = await Promise.all(
    [1, 2, 3, 4].map(
      (index) =>
        new Promise<ClaimerReport>((resolve, reject) => {
          const data: ClaimerData = { url, workerId: `worker-${index}`, index, shared, computerSlots: COMPUTERS + 1, max: 8, requeueOneIn: 8 };
          const worker = new Worker(new URL('../support/leaseClaimerThread.ts', import.meta.url), { workerData: data });
          worker.once('message', (m: ClaimerReport) => resolve(m));
          worker.once('error', reject);
          worker.once('exit', (code) => code !== 0 && reject(new Error(`claimer ${index} exited ${code}`)));
        }),
    ),
  );
  const elapsed = Date.now() - started;
  const records = reports.flatMap((r) => r.records);
  const counters = new Int32Array(shared);

  assert.equal(counters[1], 0, 'no slot (computer or target) was ever found taken by another claimer');
  assert.equal(reports.reduce((n, r) => n + r.fencedWritesRefused, 0), 0, 'no owner lost a write: no lease ran out');
  // Every target: claims 1..k, each exactly once, ended by the last.
  const byTarget = new Map<number, ClaimRecord[]>();
  for (const r of records) byTarget.set(r.targetId, [...(byTarget.get(r.targetId) ?? []), r]);
  assert.equal(byTarget.size, TARGETS, 'every target was claimed');
  for (const [id, claims] of byTarget) {
    const sorted = [...claims].sort((a, b) => a.from - b.from);
    assert.deepEqual(sorted.map((c) => c.claim), sorted.map((_, i) => i + 1), `target ${id}: claim numbers 1..k, each once, in order`);
    assert.deepEqual(sorted.map((c) => c.requeued), sorted.map((_, i) => i < sorted.length - 1), `target ${id}: only its last claim ended it`);
  }
  // Never two holders of one computer: its windows, in the shared order, follow one another.
  const byComputer = new Map<number, ClaimRecord[]>();
  for (const r of records) byComputer.set(r.computerId, [...(byComputer.get(r.computerId) ?? []), r]);
  let overlaps = 0;
  for (const windows of byComputer.values()) {
    windows.sort((a, b) => a.from - b.from);
    for (let i = 1; i < windows.length; i++) if (windows[i]!.from < windows[i - 1]!.to) overlaps += 1;
  }
  assert.equal(overlaps, 0, 'no two leases of one computer overlap');
  assert.ok(reports.every((r) => r.records.length > 100), `every claimer got a share: ${reports.map((r) => r.records.length).join(', ')}`);

  const rows = await outside<{ state: string; outcome: string; owner: string | null; n: number }>(url, 'SELECT state, outcome, owner, count(*)::int AS n FROM task_targets GROUP BY state, outcome, owner');
  assert.deepEqual(rows, [{ state: 'done', outcome: 'succeeded', owner: null, n: TARGETS }]);
  const steps = await outside<{ n: number }>(url, "SELECT count(*)::int AS n FROM step_logs WHERE step = 'pushing'");
  assert.equal(steps[0]!.n, records.length, 'one fenced step per lease');
  t.diagnostic(
    `${records.length} leases (${records.length - TARGETS} after a requeue) by 4 claimers in ${elapsed} ms; ${reports.reduce((n, r) => n + r.claimStatements, 0)} claim statements, ` +
      `${reports.reduce((n, r) => n + r.emptyClaims, 0)} empty, ${reports.reduce((n, r) => n + r.claimRetries, 0)} run again after a unique violation; per claimer ${reports.map((r) => r.records.length).join('/')} leases, ` +
      `${reports.map((r) => `${Math.round(r.claimMs)}/${Math.round(r.loopMs)}`).join(', ')} ms in claims/in the loop`,
  );
});

test('a claim that meets another transaction\'s uncommitted claim of the same computer fails with unique_violation inside, is run again, and then skips that computer', async (t) => {
  const { url, db, tasks, leases } = await database(t, 2);
  const [first, second, other] = task(tasks, db, [1, 1, 2]);
  // Another session claims the computer's SECOND target by hand and keeps its transaction open for
  // 600 ms. The claim's snapshot does not see it, so it takes the computer's first target; its
  // index entry then waits for that transaction, which commits: unique violation (23505).
  const ghost = new pg.Client({ connectionString: url });
  await ghost.connect();
  t.after(() => ghost.end());
  const held = ghost.query(`BEGIN; UPDATE task_targets SET owner = 'ghost', claim = claim + 1, lease_until = 0 WHERE id = ${second}; SELECT pg_sleep(0.6); COMMIT;`);
  for (;;) {
    const waiting = await outside<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'PgSleep'");
    if (waiting[0]!.n === 1) break;
    await sleep(5);
  }
  const got = leases.claim('w1', null, 10, 60_000);
  await held;
  assert.equal(leases.stats.claimRetries, 1, 'the claim ran into the unique index once and was run again');
  assert.deepEqual(got.map((l) => l.targetId), [other], 'the second run skipped the computer the other session holds');
  const rows = db.prepare('SELECT id, owner FROM task_targets ORDER BY id').all();
  assert.deepEqual(rows, [{ id: first, owner: null }, { id: second, owner: 'ghost' }, { id: other, owner: 'w1' }]);
});

test('one claim takes at most one target per computer, its first queued one, and none of a computer that has a claimed target', async (t) => {
  const { db, tasks, leases } = await database(t, 3);
  const ids = task(tasks, db, [1, 1, 2, 1, 2, 3, 3]);
  const a = leases.claim('a', null, 10, 60_000);
  assert.deepEqual(a.map((l) => [l.targetId, l.computerId, l.claim]), [[ids[0], 1, 1], [ids[2], 2, 1], [ids[5], 3, 1]]);
  assert.deepEqual(leases.claim('b', null, 10, 60_000), [], 'every computer is busy');
  assert.ok(leases.release(ids[2]!, 'a', 1, { state: 'done', outcome: 'succeeded' }));
  assert.deepEqual(leases.claim('b', null, 10, 60_000).map((l) => l.targetId), [ids[4]], 'computer 2 is free again: its next target');
  assert.deepEqual(leases.claim('b', null, 0, 60_000), []);
});

test('a paused owner\'s late fenced writes change nothing once its lease ran out, was reaped and another worker claimed the target', async (t) => {
  const { db, tasks, leases } = await database(t, 1);
  const [target] = task(tasks, db, [1]);
  const [a] = leases.claim('worker-a', null, 1, 150);
  assert.equal(a!.claim, 1);
  assert.ok(leases.appendStepFenced(target!, 'worker-a', 1, 'connecting', 'a connects'));
  assert.ok(leases.updateTargetFenced(target!, 'worker-a', 1, { state: 'connecting', run_id: 'run-a' }));

  await sleep(250); // worker-a "paused" past its lease
  assert.deepEqual(leases.reap(3), { requeued: 1, failed: 0, released: 0 });
  const [b] = leases.claim('worker-b', null, 1, 60_000);
  assert.deepEqual([b!.targetId, b!.claim], [target, 2]);
  assert.ok(leases.updateTargetFenced(target!, 'worker-b', 2, { state: 'installing', run_id: 'run-b' }));
  assert.ok(leases.appendStepFenced(target!, 'worker-b', 2, 'installing', 'b installs'));

  // worker-a wakes up and carries on with its old token.
  assert.equal(leases.updateTargetFenced(target!, 'worker-a', 1, { state: 'done', outcome: 'failed', error_class: 'timeout', run_id: 'run-a' }), false);
  assert.equal(leases.appendStepFenced(target!, 'worker-a', 1, 'result', 'a: timed out'), null);
  assert.equal(leases.release(target!, 'worker-a', 1, { state: 'done', outcome: 'failed', error_class: 'timeout' }), false);
  assert.deepEqual(leases.extend('worker-a', [{ targetId: target!, claim: 1 }], 60_000), { held: [], lost: [{ targetId: target!, claim: 1 }] });
  assert.equal(leases.updateTargetFenced(target!, 'worker-b', 1, { state: 'done' }), false, 'the right owner with an old claim number is refused too');
  assert.equal(leases.updateTargetFenced(target!, 'worker-a', 1, {}), false, 'an empty write still says the lease is lost');

  assert.ok(leases.release(target!, 'worker-b', 2, { state: 'done', outcome: 'succeeded', exit_code: 0 }));
  const row = tasks.targetRecord(target!) as unknown as Record<string, unknown>;
  assert.deepEqual([row.state, row.outcome, row.error_class, row.run_id, row.owner, row.lease_until, row.claim], ['done', 'succeeded', null, 'run-b', null, null, 2]);
  assert.deepEqual(tasks.log(target!).map((e) => [e.step, e.detail]), [
    ['connecting', 'a connects'],
    ['lease-expired', 'the lease of worker worker-a (claim 1) ran out before the push ended: back in the queue'],
    ['installing', 'b installs'],
  ]);
  assert.equal(leases.release(target!, 'worker-b', 2, { state: 'done', outcome: 'failed' }), false, 'a second release is refused: the target is no one\'s');
});

test('extend lengthens the leases still held, on the database clock, and reports the lost ones: reaped, handed to another claim, an expired one not yet reaped stays held', async (t) => {
  const { db, tasks, leases } = await database(t, 4);
  const ids = task(tasks, db, [1, 2, 3, 4]);
  const mine = leases.claim('w', null, 4, 100);
  assert.equal(mine.length, 4);
  await sleep(150); // all four expired
  // Target 0: reaped and claimed by another. Target 1: reaped, still queued. 2 and 3: expired, not reaped.
  db.prepare('UPDATE task_targets SET lease_until = lease_until + 100000 WHERE id = ANY(CAST(? AS BIGINT[]))').run([ids[2], ids[3]]);
  assert.deepEqual(leases.reap(5), { requeued: 2, failed: 0, released: 0 });
  db.prepare('UPDATE task_targets SET lease_until = 0 WHERE id = ANY(CAST(? AS BIGINT[]))').run([ids[2], ids[3]]);
  const other = leases.claim('other', null, 1, 60_000);
  assert.deepEqual(other.map((l) => [l.targetId, l.claim]), [[ids[0], 2]]);

  const before = leases.databaseNow();
  const result = leases.extend('w', [...mine.map((l) => ({ targetId: l.targetId, claim: l.claim })), { targetId: ids[3]!, claim: 7 }], 30_000);
  const afterNow = leases.databaseNow();
  assert.deepEqual(result.lost, [{ targetId: ids[0], claim: 1 }, { targetId: ids[1], claim: 1 }, { targetId: ids[3], claim: 7 }]);
  assert.deepEqual(result.held.map((h) => h.targetId), [ids[2], ids[3]]);
  for (const h of result.held) assert.ok(h.leaseUntil >= before + 30_000 && h.leaseUntil <= afterNow + 30_000, 'the new end is the database\'s now + leaseMs');
  assert.deepEqual(leases.reap(5), { requeued: 0, failed: 0, released: 0 }, 'the extended leases are no longer expired');
  assert.deepEqual(leases.extend('w', [], 30_000), { held: [], lost: [] });
});

test('reap returns expired leases to the queue with a lease-expired step, fails the target after maxClaims claims with the class and its advice, and leaves live leases alone', async (t) => {
  const { db, tasks, leases } = await database(t, 2);
  const [target, live] = task(tasks, db, [1, 2]);
  // A live lease on the other target, held by a worker that keeps heartbeating.
  db.prepare('UPDATE task_targets SET owner = ?, lease_until = CAST(? AS BIGINT) + 60000, claim = 1 WHERE id = ?').run('keeper', leases.databaseNow(), live);

  const verdicts: unknown[] = [];
  for (let i = 1; i <= 3; i++) {
    const got = leases.claim('flaky', null, 5, 20);
    assert.deepEqual(got.map((l) => [l.targetId, l.claim]), [[target, i]]);
    leases.updateTargetFenced(target!, 'flaky', i, { state: 'connecting', started_at: new Date().toISOString() });
    await sleep(40);
    verdicts.push(leases.reap(3));
  }
  assert.deepEqual(verdicts, [{ requeued: 1, failed: 0, released: 0 }, { requeued: 1, failed: 0, released: 0 }, { requeued: 0, failed: 1, released: 0 }]);
  const row = tasks.targetRecord(target!) as unknown as Record<string, unknown>;
  assert.deepEqual([row.state, row.outcome, row.error_class, row.owner, row.lease_until, row.claim], ['done', 'failed', 'lease-expired', null, null, 3]);
  assert.equal(row.advice, defaultAdvice('lease-expired'));
  assert.match(String(row.error_message), /claimed 3 times .* \(the last: worker flaky\)\.$/);
  assert.ok(row.finished_at);
  assert.deepEqual(tasks.log(target!).map((e) => e.detail), [
    'the lease of worker flaky (claim 1) ran out before the push ended: back in the queue',
    'the lease of worker flaky (claim 2) ran out before the push ended: back in the queue',
    'the lease of worker flaky (claim 3) ran out before the push ended: claimed 3 times, the limit: failed',
  ]);
  const [shown] = tasks.targetsByIds(row.task_id as number, [target!]);
  assert.deepEqual([shown!.errorClass, shown!.advice], ['lease-expired', defaultAdvice('lease-expired')]);
  assert.deepEqual(leases.claim('flaky', null, 5, 20), [], 'a failed target is not claimed again');
  assert.equal((tasks.targetRecord(live!) as unknown as Record<string, unknown>).owner, 'keeper', 'the live lease was left alone');

  // An expired lease on a target whose result its worker wrote but never released: only the owner goes.
  db.prepare("UPDATE task_targets SET state = 'done', outcome = 'succeeded', lease_until = 0 WHERE id = ?").run(live);
  assert.deepEqual(leases.reap(3), { requeued: 0, failed: 0, released: 1 });
  const ended = tasks.targetRecord(live!) as unknown as Record<string, unknown>;
  assert.deepEqual([ended.state, ended.outcome, ended.owner], ['done', 'succeeded', null]);
  assert.equal(tasks.log(live!).length, 0);
});

test('handBack returns every target the stopping worker holds to the queue with a handed-back step, keeps a result it wrote, and touches no other worker\'s', async (t) => {
  const { db, tasks, leases } = await database(t, 7);
  const ids = task(tasks, db, [1, 2, 3, 4, 5, 6, 7]);
  leases.registerWorker({ id: 'a', siteId: null, address: '10.0.0.5:2224', version: '1.0.0' });
  const a = leases.claim('a', null, 5, 60_000);
  const b = leases.claim('b', null, 5, 60_000);
  assert.deepEqual([a.length, b.length], [5, 2]);
  assert.ok(leases.updateTargetFenced(a[0]!.targetId, 'a', 1, { state: 'done', outcome: 'succeeded' }), 'one push ended, its release not yet sent');
  assert.ok(leases.updateTargetFenced(a[1]!.targetId, 'a', 1, { state: 'installing', progress: 40 }));

  assert.equal(leases.handBack('a'), 5);
  leases.stopWorker('a');
  const rows = db.prepare('SELECT id, state, owner, progress FROM task_targets ORDER BY id').all() as { id: number; state: string; owner: string | null; progress: number | null }[];
  assert.deepEqual(rows.map((r) => [r.state, r.owner, r.progress]), [
    ['done', null, null], ['queued', null, null], ['queued', null, null], ['queued', null, null], ['queued', null, null], ['queued', 'b', null], ['queued', 'b', null],
  ]);
  assert.match(tasks.log(ids[1]!)[0]!.detail, /^worker a stopped and handed its claim 1 back: the target is queued again$/);
  assert.equal(tasks.log(ids[0]!).length, 0, 'the ended target got no step');
  assert.equal(leases.updateTargetFenced(ids[1]!, 'a', 1, { state: 'done' }), false, 'its tokens are dead');
  assert.equal(leases.handBack('a'), 0);
  assert.deepEqual(leases.liveWorkers(60_000).map((w) => w.id), [], 'a stopped worker is not live');
  assert.deepEqual(leases.claim('c', null, 10, 60_000).map((l) => [l.targetId, l.claim]), [[ids[1], 2], [ids[2], 2], [ids[3], 2], [ids[4], 2]]);
});

test('site filter: a worker of site A claims only site A\'s targets, of site B only B\'s, and of no site (null, the default) only targets in no site', async (t) => {
  const { db, tasks, leases, siteIds } = await database(t, 30, ['Branch A', 'Branch B']);
  const A = siteIds.get('Branch A')!;
  const B = siteIds.get('Branch B')!;
  const inA = task(tasks, db, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], A);
  const inB = task(tasks, db, [11, 12, 13, 14, 15, 16, 17, 18, 19, 20], B);
  const inNone = task(tasks, db, [21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  const claimed = (site: number | null) => leases.claim(`w-${site}`, site, 100, 60_000).map((l) => l.targetId);
  assert.deepEqual(claimed(A), inA);
  assert.deepEqual(claimed(A), []);
  assert.deepEqual(claimed(null), inNone);
  assert.deepEqual(claimed(B), inB);
  assert.deepEqual(claimed(A + B + 100), [], 'a site with no targets');
});

test('workers: register, heartbeat on the database clock, liveWorkers by staleness, stop; a stopped or unknown worker\'s heartbeat says so', async (t) => {
  const { db, leases, siteIds } = await database(t, 0, ['Branch A']);
  const A = siteIds.get('Branch A')!;
  const t0 = leases.databaseNow();
  leases.registerWorker({ id: 'w-a', siteId: A, address: '10.1.0.9:2224', version: '1.2.3' });
  leases.registerWorker({ id: 'w-default', siteId: null, address: null, version: '1.2.3' });
  assert.ok(leases.heartbeat('w-a', 3));
  const t1 = leases.databaseNow();
  const live = leases.liveWorkers(60_000);
  assert.deepEqual(live.map((w) => [w.id, w.siteId, w.address, w.version, w.inFlight]), [['w-a', A, '10.1.0.9:2224', '1.2.3', 3], ['w-default', null, null, '1.2.3', 0]]);
  for (const w of live) assert.ok(w.heartbeatAt >= t0 && w.heartbeatAt <= t1 && w.startedAt >= t0, 'database clock');

  db.prepare("UPDATE workers SET heartbeat_at = heartbeat_at - 10000 WHERE id = 'w-default'").run();
  assert.deepEqual(leases.liveWorkers(5_000).map((w) => w.id), ['w-a'], 'a heartbeat older than staleMs is not live');
  leases.stopWorker('w-a');
  assert.equal(leases.heartbeat('w-a', 0), false);
  assert.equal(leases.heartbeat('nobody', 0), false);
  assert.deepEqual(leases.liveWorkers(60_000).map((w) => w.id), ['w-default']);
  leases.registerWorker({ id: 'w-a', siteId: A, address: null, version: '1.2.4' });
  assert.deepEqual(leases.liveWorkers(60_000).map((w) => [w.id, w.version]), [['w-a', '1.2.4'], ['w-default', '1.2.3']], 'registering again makes it live');
});

test('the lease store refuses SQLite', async () => {
  const { openDatabase } = await import('../../main/store/database.js');
  const lite = openDatabase({ location: ':memory:' });
  try {
    assert.throws(() => new LeaseStore(lite), /needs PostgreSQL/);
  } finally {
    lite.close();
  }
});
