// PostgreSQL stopped and started again while a Push Install Server (`pushctl server`, its own
// process) pushes to lab hosts: the server's writes wait for the database (store/pg/pgSync.ts)
// instead of failing, so every target ends as its computer says and no step is lost — each
// succeeded target has the same steps as one the restart did not touch; a console that drops off
// during the outage and reconnects with the last event batch it saw catches up completely; the
// server takes its engine lock and its event LISTEN again. Server 127.0.2.3, lab 127.0.2.121–
// (docs/TESTING.md §6).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { startLabProcess, until, type LabProcess } from '../support/labProcess.js';
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js';
import { connect, signIn, type ServerConnection } from '../../main/serverMode/serverClient.js';
import { openPgStore } from '../../main/store/pg/pgDatabase.js';
import { UsersRepo } from '../../main/serverMode/users.js';

const DEMO_MSI = path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi');
const ADMIN = { name: 'admin1', password: 'admin-password-123' };
const ACTIVE = new Set(['downloading', 'installing']);

let postgres: RunningPostgres;
let root: string;
let lab: LabProcess;
let server: ServerProcess | null = null;
const connections: ServerConnection[] = [];

before(async () => {
  postgres = await startPostgres({ host: '127.0.0.1' });
  root = makeTempDir('pic-pgrestart-');
  lab = await startLabProcess(10, '127.0.2.121', 14231, 5000);
});

after(async () => {
  for (const c of connections) c.close();
  await server?.stop();
  await lab?.stop();
  await postgres?.stop();
  if (root) removeDir(root);
});

async function as(s: ServerProcess, afterEventId?: number): Promise<ServerConnection> {
  const session = await signIn({ url: s.url, fingerprint: s.fingerprint }, ADMIN.name, ADMIN.password);
  const connection = await connect(session, afterEventId !== undefined ? { afterEventId } : {});
  connections.push(connection);
  return connection;
}

test('PostgreSQL restarted mid-task: every target ends succeeded with all its steps, and a console that reconnects catches up on what it missed', async () => {
  const dbUrl = await postgres.createDatabase('restart');
  const store = await openPgStore({ url: dbUrl });
  await new UsersRepo(store).add(ADMIN.name, 'administrator', ADMIN.password);
  store.close();

  const agent = path.join(root, 'PushInstallAgent.exe');
  fs.writeFileSync(agent, Buffer.alloc(32 * 1024, 0x4d));
  server = await startServerProcess(dbUrl, path.join(root, 'data'), '127.0.2.3', agent);
  const s = server;
  await until('the server to run the pushes', 30_000, async () => /This server runs the pushes/.test(s.output()));

  const { api } = await as(s);
  const watcher = await as(s);
  const heard: string[] = [];
  watcher.api.on('task.progress', () => heard.push('progress'));
  await api.invoke('settings.update', { maxConcurrentPushes: 5, callbackAddress: '127.0.2.3' });
  const pkg = await api.invoke('packages.create', { name: 'Endpoint agent', msiPath: DEMO_MSI, parameters: '', runAs: 'system' });
  const added = await api.invoke('computers.add', { entries: lab.hosts.map((h) => `${h.address}:${lab.port}`) });
  const credential = await api.invoke('credentials.set', { user: lab.account.user, password: lab.account.password, remember: true });
  const { taskId } = await api.invoke('tasks.create', {
    name: 'Through a restart', packageId: pkg.id, scheduledAt: null, runAs: 'system',
    targets: added.added.map((h) => ({ computerId: h.id, credentialId: credential.id })),
  });
  await until('5 agents installing', 60_000, async () => (await api.invoke('tasks.targets', { taskId })).filter((x) => ACTIVE.has(x.state)).length >= 5);

  // The watcher leaves; the database goes away for 3 s while agents install, then comes back.
  const lastSeen = watcher.lastEventId();
  watcher.close();
  await watcher.closed;
  await postgres.halt();
  await new Promise((r) => setTimeout(r, 3_000));
  postgres.spawnAgain();
  await postgres.ready();

  const targets = await until('every target to end', 120_000, async () => {
    const all = await api.invoke('tasks.targets', { taskId });
    return all.every((x) => x.state === 'done') && all;
  });
  assert.deepEqual(targets.map((x) => x.outcome), targets.map(() => 'succeeded'), JSON.stringify(targets.map((x) => [x.id, x.outcome, x.errorClass, x.errorMessage])));
  const logs = await Promise.all(targets.map((x) => api.invoke('targets.log', { targetId: x.id })));
  // The same steps, in whatever order the agent's reports and the service's answers interleaved:
  // the targets in flight through the restart logged all that the last ones (started after it) did.
  const steps = logs.map((log) => log.map((e) => e.step).sort().join(','));
  assert.equal(new Set(steps).size, 1, `every target logged the same steps:\n${steps.join('\n')}`);
  assert.ok(logs.every((log) => log.length >= 15), 'each target has its whole log');

  const back = await as(s, lastSeen);
  const caughtUp = await back.caughtUp!;
  assert.ok(caughtUp.complete, 'nothing the console missed was lost');
  assert.ok(caughtUp.lastId > lastSeen, `batches after ${lastSeen} were sent (to ${caughtUp.lastId})`);
  assert.doesNotMatch(s.output(), /ENGINE LOCK LOST/);
  assert.ok(heard.length > 0);
});
