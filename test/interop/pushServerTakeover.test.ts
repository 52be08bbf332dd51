// Two Push Install Server processes (`pushctl server`) on one real PostgreSQL: the first runs the
// pushes (it holds the engine lock), the second waits. The first is killed with SIGKILL while its
// agents install; the second takes the engine over, marks the dead server's in-flight targets
// interrupted with their logs (as a local console does after a crash) and pushes the targets still
// queued; a console connected to the second server saw the first server's events live (NOTIFY)
// and, reconnecting with the last batch it saw, gets the ones it missed. The lab in its own
// process. Addresses 127.0.2.1–.2 (servers), lab 127.0.2.101– (docs/TESTING.md §6).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { startLabProcess, until, type LabProcess } from '../support/labProcess.js';
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js';
import { signal } from '../support/processes.js';
import { connect, signIn, type ServerConnection } from '../../main/serverMode/serverClient.js';
import { openPgStore } from '../../main/store/pg/pgDatabase.js';
import { UsersRepo } from '../../main/serverMode/users.js';
import { KEY_FILE_NAME } from '../../main/serverMode/serverVault.js';
import { ConsoleError } from '../../main/ipc/errors.js';

const DEMO_MSI = path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi');
const OPERATOR = { name: 'operator1', password: 'operator-password-1' };
const ACTIVE = new Set(['downloading', 'installing']);

let postgres: RunningPostgres;
let root: string;
let lab: LabProcess;
const servers: ServerProcess[] = [];
const connections: ServerConnection[] = [];

async function as(server: ServerProcess, afterEventId?: number): Promise<ServerConnection> {
  const session = await signIn({ url: server.url, fingerprint: server.fingerprint }, OPERATOR.name, OPERATOR.password);
  const connection = await connect(session, afterEventId !== undefined ? { afterEventId } : {});
  connections.push(connection);
  return connection;
}

before(async () => {
  postgres = await startPostgres({ host: '127.0.0.1' });
  root = makeTempDir('pic-takeover-');
  lab = await startLabProcess(12, '127.0.2.101', 14230, 6000);
});

after(async () => {
  for (const c of connections) c.close();
  for (const s of servers) await s.stop();
  await lab?.stop();
  await postgres?.stop();
  if (root) removeDir(root);
});

test('a server killed mid-task: the other server takes the engine over, marks its in-flight targets interrupted with their logs and pushes the rest; its console caught the events live and catches up after reconnecting', async () => {
  const dbUrl = await postgres.createDatabase('takeover');
  const store = await openPgStore({ url: dbUrl });
  await new UsersRepo(store).add(OPERATOR.name, 'administrator', OPERATOR.password);
  store.close();

  const agent = path.join(root, 'PushInstallAgent.exe');
  fs.writeFileSync(agent, Buffer.alloc(32 * 1024, 0x4d));
  const first = await startServerProcess(dbUrl, path.join(root, 'first'), '127.0.2.1', agent);
  servers.push(first);
  await until('the first server to run the pushes', 30_000, async () => /This server runs the pushes/.test(first.output()));
  // Servers sharing a database share the key that encrypts its credentials (docs/SERVER.md).
  fs.mkdirSync(path.join(root, 'second'), { recursive: true });
  fs.copyFileSync(path.join(root, 'first', KEY_FILE_NAME), path.join(root, 'second', KEY_FILE_NAME));
  const second = await startServerProcess(dbUrl, path.join(root, 'second'), '127.0.2.2', agent);
  servers.push(second);
  assert.match(second.output(), /Another server runs the pushes/);

  const watcher = await as(second);
  await assert.rejects(
    watcher.api.invoke('tasks.cancel', { taskId: 1 }),
    (e: unknown) => e instanceof ConsoleError && e.errorClass === 'server-standby',
    'the server on standby sends the admin to the one that pushes',
  );
  const seen: string[] = [];
  watcher.api.on('log.line', (line) => seen.push(line.message));

  const { api } = await as(first);
  await api.invoke('settings.update', { maxConcurrentPushes: 6, callbackAddress: '127.0.2.1' });
  const pkg = await api.invoke('packages.create', { name: 'Endpoint agent', msiPath: DEMO_MSI, parameters: '', runAs: 'system' });
  const added = await api.invoke('computers.add', { entries: lab.hosts.map((h) => `${h.address}:${lab.port}`) });
  const credential = await api.invoke('credentials.set', { user: lab.account.user, password: lab.account.password, remember: true });
  const { taskId } = await api.invoke('tasks.create', {
    name: 'Takeover', packageId: pkg.id, scheduledAt: null, runAs: 'system',
    targets: added.added.map((h) => ({ computerId: h.id, credentialId: credential.id })),
  });
  const before = await until('6 agents installing on the first server', 60_000, async () => {
    const targets = await api.invoke('tasks.targets', { taskId });
    return targets.filter((x) => ACTIVE.has(x.state)).length >= 6 && targets;
  });
  assert.ok(seen.length > 0, 'the console on the second server heard the first server\'s events live');

  // The watcher drops off before the kill and reconnects afterwards with the last batch it saw.
  const lastSeen = watcher.lastEventId();
  assert.ok(lastSeen > 0, 'the batches are numbered');
  watcher.close();
  await watcher.closed;

  signal(first.child.pid!, 'SIGKILL');
  await until('the second server to take the pushes over', 30_000, async () => /This server runs the pushes now/.test(second.output()));

  const back = await as(second, lastSeen);
  const missed: string[] = [];
  back.api.on('log.line', (line) => missed.push(line.message));
  const caughtUp = await back.caughtUp!;
  assert.ok(caughtUp.complete && caughtUp.lastId > lastSeen, `caught up to ${caughtUp.lastId} from ${lastSeen}`);
  let last: unknown = null;
  const targets = await until('every target to end on the second server', 90_000, async () => {
    const all = await back.api.invoke('tasks.targets', { taskId });
    last = all.map((x) => [x.id, x.state, x.outcome, x.errorClass]);
    return all.every((x) => x.state === 'done') && all;
  }).catch((error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(last)}\nsecond server:\n${second.output()}`);
  });
  const interrupted = targets.filter((x) => x.outcome === 'interrupted');
  const inFlight = before.filter((x) => ACTIVE.has(x.state)).map((x) => x.id);
  assert.deepEqual(interrupted.map((x) => x.id).sort(), [...inFlight].sort(), 'exactly the targets in flight at the kill are interrupted');
  for (const x of interrupted) {
    const log = await back.api.invoke('targets.log', { targetId: x.id });
    assert.ok(log.some((e) => e.step === 'interrupted'), `target ${x.id} says it was interrupted`);
    assert.ok(log.length >= 3, `target ${x.id} kept the first server's steps (${log.length})`);
  }
  const rest = targets.filter((x) => !inFlight.includes(x.id));
  assert.ok(rest.length >= 1 && rest.every((x) => x.outcome === 'succeeded'), JSON.stringify(rest.map((x) => [x.id, x.state, x.outcome, x.errorClass])));
  assert.ok(missed.some((m) => /Recovered from an unexpected stop/.test(m)), 'the catch-up and live events carry the takeover\'s recovery line');
});
