// Push workers (docs/SERVER.md §6) on a real PostgreSQL: `pushctl server --workers` and
// `pushctl worker` processes claim the targets of their sites from the database and push them to a
// lab in its own process. (a) Two sites and the default site: every target succeeds, each pushed
// by a worker of its own site, and no computer is ever claimed twice at once. (b) A worker killed
// with SIGKILL mid-push: once its 3 s leases run out the server's reaper queues its targets again
// and the site's other worker pushes them. (c) A worker stopped (SIGSTOP) past its leases and
// continued: its late writes change nothing (fencing), the new owner's results stand. (d) Cancel
// Task on the server while a worker pushes: the queued targets end at once, the worker stops its
// pushes at its next heartbeat and they end cancelled.
// Addresses: servers 127.0.9.1–.4, workers' callbacks 127.0.9.11–; labs 127.0.12.1–.64 (14800),
// .101–.124 (14801), .151–.174 (14802), .201–.212 (14803) (docs/TESTING.md §6).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { startLabProcess, until, type LabProcess } from '../support/labProcess.js';
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js';
import { startWorkerProcess, type WorkerProcess } from '../support/workerProcess.js';
import { signal } from '../support/processes.js';
import { connect, signIn, type ServerConnection } from '../../main/serverMode/serverClient.js';
import { openPgStore } from '../../main/store/pg/pgDatabase.js';
import type { PgSyncDatabase } from '../../main/store/pg/pgSync.js';
import { UsersRepo } from '../../main/serverMode/users.js';
import { KEY_FILE_NAME } from '../../main/serverMode/serverVault.js';

const DEMO_MSI = path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi');
const ADMIN = { name: 'admin1', password: 'admin-password-1' };

let postgres: RunningPostgres;
let root: string;
let agent: string;
const labs: LabProcess[] = [];
const processes: { stop(): Promise<void> }[] = [];
const connections: ServerConnection[] = [];
const stores: PgSyncDatabase[] = [];

before(async () => {
  postgres = await startPostgres({ host: '127.0.0.1' });
  root = makeTempDir('pic-workers-');
  agent = path.join(root, 'PushInstallAgent.exe');
  fs.writeFileSync(agent, Buffer.alloc(32 * 1024, 0x4d));
});

after(async () => {
  for (const c of connections) c.close();
  for (const p of processes.reverse()) await p.stop();
  for (const s of stores) s.close();
  for (const lab of labs) await lab.stop();
  await postgres?.stop();
  if (root) removeDir(root);
});

interface Setup {
  readonly dbUrl: string;
  readonly db: PgSyncDatabase;
  readonly server: ServerProcess;
  readonly api: ServerConnection['api'];
  /** A worker of the site, its data folder holding the servers' key file. */
  worker(name: string, site: string, callback: string, concurrency: number, leaseMs?: number): Promise<WorkerProcess>;
}

async function setUp(name: string, serverHost: string, leaseMs: number): Promise<Setup> {
  const dbUrl = await postgres.createDatabase(name);
  const db = await openPgStore({ url: dbUrl });
  stores.push(db);
  await new UsersRepo(db).add(ADMIN.name, 'administrator', ADMIN.password);
  const serverDir = path.join(root, `${name}-server`);
  const server = await startServerProcess(dbUrl, serverDir, serverHost, agent, { args: ['--workers', '--lease-ms', String(leaseMs)] });
  processes.push(server);
  await until('the server to run the pushes', 30_000, async () => /This server runs the pushes now/.test(server.output()));
  const session = await signIn({ url: server.url, fingerprint: server.fingerprint }, ADMIN.name, ADMIN.password);
  const connection = await connect(session);
  connections.push(connection);
  return {
    dbUrl, db, server, api: connection.api,
    async worker(workerName, site, callback, concurrency, workerLease = leaseMs) {
      const dir = path.join(root, `${name}-${workerName}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(path.join(serverDir, KEY_FILE_NAME), path.join(dir, KEY_FILE_NAME));
      const w = await startWorkerProcess(dbUrl, dir, agent, ['--site', site, '--callback', callback, '--concurrency', String(concurrency), '--lease-ms', String(workerLease)]);
      processes.push(w);
      return w;
    },
  };
}

/** The computers, the credential, the package and one task over all the lab's hosts. */
async function taskOver(api: Setup['api'], lab: LabProcess, name: string): Promise<{ taskId: number }> {
  const pkg = await api.invoke('packages.create', { name: 'Endpoint agent', msiPath: DEMO_MSI, parameters: '', runAs: 'system' });
  const added = await api.invoke('computers.add', { entries: lab.hosts.map((h) => `${h.address}:${lab.port}`) });
  const credential = await api.invoke('credentials.set', { user: lab.account.user, password: lab.account.password, remember: true });
  return api.invoke('tasks.create', {
    name, packageId: pkg.id, scheduledAt: null, runAs: 'system',
    targets: added.added.map((h) => ({ computerId: h.id, credentialId: credential.id })),
  });
}

interface Row { id: number; state: string; outcome: string | null; owner: string | null; claim: number; computer_id: number; address: string | null; run_id: string | null; finished_at: string | null; error_class: string | null }
const rows = (db: PgSyncDatabase, taskId: number): Row[] =>
  (db.prepare('SELECT id, state, outcome, owner, claim, computer_id, address, run_id, finished_at, error_class FROM task_targets WHERE task_id = ? ORDER BY id').all(taskId) as Row[]).map((r) => ({ ...r, id: Number(r.id), claim: Number(r.claim), computer_id: Number(r.computer_id) }));
const steps = (db: PgSyncDatabase, targetId: number): { step: string; detail: string }[] =>
  db.prepare('SELECT step, detail FROM step_logs WHERE target_id = ? ORDER BY id').all(targetId) as { step: string; detail: string }[];

/** Polls every 100 ms: a computer with two claimed targets at once is recorded. */
function watchClaims(db: PgSyncDatabase): { stop(): string[] } {
  const doubles: string[] = [];
  const timer = setInterval(() => {
    const found = db.prepare('SELECT computer_id, count(*) AS n FROM task_targets WHERE owner IS NOT NULL GROUP BY computer_id HAVING count(*) > 1').all() as unknown[];
    if (found.length > 0) doubles.push(JSON.stringify(found));
  }, 100);
  return { stop: () => (clearInterval(timer), doubles) };
}

async function allDone(db: PgSyncDatabase, taskId: number, timeoutMs: number, outputs: () => string): Promise<Row[]> {
  let last: unknown = null;
  return until('every target to end', timeoutMs, async () => {
    const all = rows(db, taskId);
    last = all.filter((r) => r.state !== 'done' || r.owner !== null).map((r) => [r.id, r.state, r.owner, r.claim]);
    return all.every((r) => r.state === 'done' && r.owner === null) && all;
  }).catch((error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(last)}\n${outputs()}`);
  });
}

test('two sites and the default site: every target succeeds, pushed by a worker of its own site, never two claims of one computer at once; the task ends finished', async () => {
  const lab = await startLabProcess(64, '127.0.12.1', 14800, 1500);
  labs.push(lab);
  const s = await setUp('sites', '127.0.9.1', 20_000);
  await s.api.invoke('settings.update', { maxConcurrentPushes: 4, callbackAddress: '127.0.9.1' });
  const a = await s.api.invoke('sites.add', { name: 'Site A', cidrs: ['127.0.12.0/27'] });
  const b = await s.api.invoke('sites.add', { name: 'Site B', cidrs: ['127.0.12.32/27'] });
  const workerA = await s.worker('a', 'Site A', '127.0.9.11', 8);
  const workerB = await s.worker('b', 'Site B', '127.0.9.12', 8);
  const watch = watchClaims(s.db);
  // The console connected to the server hears the workers' progress live (their event batches, forwarded).
  const heard = new Map<number, Set<string>>();
  s.api.on('task.progress', (p) => heard.set(p.targetId, (heard.get(p.targetId) ?? new Set()).add(p.state)));
  const { taskId } = await taskOver(s.api, lab, 'Two sites');
  const outputs = () => `server:\n${s.server.output()}\nA:\n${workerA.output()}\nB:\n${workerB.output()}`;
  const done = await allDone(s.db, taskId, 180_000, outputs);
  assert.deepEqual(watch.stop(), [], 'no computer had two claimed targets at once');
  assert.ok(done.every((r) => r.outcome === 'succeeded'), JSON.stringify(done.filter((r) => r.outcome !== 'succeeded')));
  assert.equal(done.length, 64);

  const siteOf = (address: string) => {
    const last = Number(address.split('.')[3]);
    return last <= 31 ? { name: 'Site A', worker: workerA.id } : last <= 63 ? { name: 'Site B', worker: workerB.id } : { name: 'default', worker: null };
  };
  const bySite = new Map<string, number>();
  for (const r of done) {
    const claims = steps(s.db, r.id).filter((x) => x.step === 'claimed');
    const want = siteOf(r.address ?? '');
    assert.equal(claims.length, 1, `target ${r.id} claimed once`);
    assert.match(claims[0]!.detail, new RegExp(`\\(site ${want.name}\\)`), `target ${r.id} (${r.address}) pushed by a worker of ${want.name}: ${claims[0]!.detail}`);
    if (want.worker) assert.ok(claims[0]!.detail.includes(want.worker), claims[0]!.detail);
    bySite.set(want.name, (bySite.get(want.name) ?? 0) + 1);
  }
  assert.deepEqual(Object.fromEntries(bySite), { 'Site A': 31, 'Site B': 32, default: 1 });
  await until('the console to hear every target end', 10_000, async () => done.every((r) => heard.get(r.id)?.has('done')));
  assert.ok(done.every((r) => heard.get(r.id)!.size >= 3), 'each target\'s states came live, not only its end');
  assert.ok(a.id !== b.id);
  await until('the task to end finished', 10_000, async () => (s.db.prepare('SELECT status FROM tasks WHERE id = ?').pluck().get(taskId) as string) === 'finished');
});

test('a worker killed with SIGKILL mid-push: its leases run out, the reaper queues its targets again and the site\'s other worker pushes them', async () => {
  const lab = await startLabProcess(24, '127.0.12.101', 14801, 5000);
  labs.push(lab);
  const s = await setUp('killed', '127.0.9.2', 3000);
  await s.api.invoke('settings.update', { maxConcurrentPushes: 4, callbackAddress: '127.0.9.2' });
  await s.api.invoke('sites.add', { name: 'Site A', cidrs: ['127.0.12.96/27'] });
  const first = await s.worker('a1', 'Site A', '127.0.9.21', 4);
  const { taskId } = await taskOver(s.api, lab, 'Killed worker');
  const held = await until('the first worker to be installing', 60_000, async () => {
    const mine = s.db.prepare("SELECT id, claim FROM task_targets WHERE owner = ? AND state = 'installing'").all(first.id) as { id: unknown; claim: unknown }[];
    return mine.length >= 2 && mine.map((m) => Number(m.id));
  });
  signal(first.child.pid!, 'SIGKILL');
  const second = await s.worker('a2', 'Site A', '127.0.9.22', 6);
  const done = await allDone(s.db, taskId, 180_000, () => `server:\n${s.server.output()}\nA1:\n${first.output()}\nA2:\n${second.output()}`);
  assert.ok(done.every((r) => r.outcome === 'succeeded'), JSON.stringify(done.filter((r) => r.outcome !== 'succeeded')));
  for (const id of held) {
    const log = steps(s.db, id);
    const expired = log.findIndex((x) => x.step === 'lease-expired' && x.detail.includes(first.id));
    assert.ok(expired >= 0, `target ${id}: the first worker's lease ran out (${JSON.stringify(log.map((x) => x.step))})`);
    const after = log.slice(expired + 1);
    assert.ok(after.some((x) => x.step === 'claimed' && x.detail.includes(second.id)), `target ${id} claimed again by the second worker`);
    assert.equal(after.at(-1)?.step, 'done');
  }
  assert.match(s.server.output(), /Reaper: \d+ expired lease\(s\) back in the queue/);
});

test('a worker stopped past its leases (SIGSTOP) and continued: its late writes change nothing, the new owner\'s results stand', async () => {
  const lab = await startLabProcess(24, '127.0.12.151', 14802, 4000);
  labs.push(lab);
  const s = await setUp('paused', '127.0.9.3', 3000);
  await s.api.invoke('settings.update', { maxConcurrentPushes: 4, callbackAddress: '127.0.9.3' });
  await s.api.invoke('sites.add', { name: 'Site A', cidrs: ['127.0.12.144/28', '127.0.12.160/27'] });
  const first = await s.worker('a1', 'Site A', '127.0.9.31', 4);
  const { taskId } = await taskOver(s.api, lab, 'Paused worker');
  const held = await until('the first worker to be installing', 60_000, async () => {
    const mine = s.db.prepare("SELECT id FROM task_targets WHERE owner = ? AND state = 'installing'").all(first.id) as { id: unknown }[];
    return mine.length >= 2 && mine.map((m) => Number(m.id));
  });
  signal(first.child.pid!, 'SIGSTOP');
  const second = await s.worker('a2', 'Site A', '127.0.9.32', 6);
  const outputs = () => `server:\n${s.server.output()}\nA1:\n${first.output()}\nA2:\n${second.output()}`;
  const done = await allDone(s.db, taskId, 180_000, outputs);
  const logs = new Map(done.map((r) => [r.id, steps(s.db, r.id)]));
  for (const id of held) {
    const log = logs.get(id)!;
    assert.ok(log.some((x) => x.step === 'claimed' && x.detail.includes(second.id)), `target ${id} was pushed again by the second worker: ${JSON.stringify(log.map((x) => x.step))}`);
  }
  signal(first.child.pid!, 'SIGCONT');
  await until('the first worker to find its leases lost', 30_000, async () => /lease of target \d+ lost/.test(first.output()));
  // Its pushes go on until they stop; give its late writes time to try.
  await new Promise((r) => setTimeout(r, 4000));
  assert.deepEqual(rows(s.db, taskId), done, 'the rows are as the new owners left them');
  for (const r of done) assert.deepEqual(steps(s.db, r.id), logs.get(r.id), `target ${r.id}: no step added by the late worker`);
  assert.ok(done.every((r) => r.outcome === 'succeeded'), JSON.stringify(done.filter((r) => r.outcome !== 'succeeded')));
  assert.match(first.output(), /lease of target \d+ lost/);
});

test('Cancel Task while a worker pushes: queued targets end at once, the worker stops its pushes at its next heartbeat, the task stays cancelled', async () => {
  const lab = await startLabProcess(12, '127.0.12.201', 14803, 8000);
  labs.push(lab);
  const s = await setUp('cancel', '127.0.9.4', 3000);
  await s.api.invoke('settings.update', { maxConcurrentPushes: 4, callbackAddress: '127.0.9.4' });
  await s.api.invoke('sites.add', { name: 'Site A', cidrs: ['127.0.12.192/27'] });
  const worker = await s.worker('a', 'Site A', '127.0.9.41', 4);
  const { taskId } = await taskOver(s.api, lab, 'Cancelled');
  const held = await until('the worker to be installing', 60_000, async () => {
    const mine = s.db.prepare("SELECT id FROM task_targets WHERE owner = ? AND state = 'installing'").all(worker.id) as { id: unknown }[];
    return mine.length >= 2 && mine.map((m) => Number(m.id));
  });
  await s.api.invoke('tasks.cancel', { taskId });
  const done = await allDone(s.db, taskId, 60_000, () => `server:\n${s.server.output()}\nworker:\n${worker.output()}`);
  assert.ok(done.every((r) => r.outcome === 'cancelled'), JSON.stringify(done.map((r) => [r.id, r.outcome, r.error_class])));
  for (const id of held) assert.ok(steps(s.db, id).some((x) => x.step === 'cancel-requested'), `target ${id}: its worker was asked to stop`);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(s.db.prepare('SELECT status FROM tasks WHERE id = ?').pluck().get(taskId), 'cancelled');
});
