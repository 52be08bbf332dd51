// pushctl through a Push Install Server (main/cli/remote.ts): a real PostgreSQL
// (test/support/postgres.ts), the server started in this process, pushctl run as a child process
// as a user would. The certificate is pinned before the sign-in (a wrong or missing fingerprint:
// no logon reaches the server's audit trail), a wrong password is logon-failed, a viewer reads
// tasks but may not push (forbidden), and an operator's push reaches simulated lab hosts
// (main/lab) and exits as a local push does. Addresses 127.0.3.0/24 only: the server on
// 127.0.3.1, the lab hosts from 127.0.3.11 (docs/TESTING.md §6).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import { writeRendererFixture } from '../support/http.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { REPO_ROOT, runCaptured, type CapturedRun } from '../support/childProcess.js';
import { startPushServer, type PushServer } from '../../main/serverMode/server.js';
import { connect, signIn, type ServerConnection } from '../../main/serverMode/serverClient.js';
import { UsersRepo } from '../../main/serverMode/users.js';
import { AuditRepo } from '../../main/serverMode/audit.js';
import { startLab, type Lab } from '../../main/lab/lab.js';
import type { JsonTarget } from '../../main/cli/push.js';
import { takeRemoteOptions } from '../../main/cli/remote.js';
import type { TaskSummary, TaskTarget } from '../../main/ipc/contract.js';

const HOST = '127.0.3.1';
const LAB_FIRST = '127.0.3.11';
const LAB_PORT = 14531;
const DEMO_MSI = path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi');
const PASSWORDS = { admin: 'admin-password-31', op: 'operator-password-32', view: 'viewer-password-33' };

let postgres: RunningPostgres;
let root: string;
let server: PushServer;
let lab: Lab;
const connections: ServerConnection[] = [];

async function as(user: keyof typeof PASSWORDS): Promise<ServerConnection> {
  const connection = await connect(await signIn({ url: server.url, fingerprint: server.certificate.fingerprint }, user, PASSWORDS[user]));
  connections.push(connection);
  return connection;
}

/** pushctl as a child process (asynchronously: the server and the lab answer from this process). */
function pushctl(args: readonly string[], env: Record<string, string> = {}): Promise<CapturedRun> {
  return runCaptured(process.execPath, ['--import', 'tsx', 'main/cli/entry.ts', '--data', path.join(root, 'cli-data'), ...args], { ...process.env, PUSHCONSOLE_KEYCHAIN: 'off', ...env });
}

/** The global options for an account, pinned to the server's certificate unless told otherwise. */
function server_(user: string, fingerprint: string | null = server.certificate.fingerprint): string[] {
  return ['--server', server.url, '--user', user, '--password-env', 'PIC_SERVER_PASSWORD', ...(fingerprint ? ['--fingerprint', fingerprint] : [])];
}

function envFor(user: keyof typeof PASSWORDS): Record<string, string> {
  return { PIC_SERVER_PASSWORD: PASSWORDS[user] };
}

/** Sign-ins the server audited (logon, logon-failed, …). */
function logonRows(): number {
  return new AuditRepo(server.db).list({ limit: 10_000, offset: 0 }).rows.filter((r) => r.action.startsWith('logon')).length;
}

before(async () => {
  postgres = await startPostgres({ host: '127.0.0.1' });
  root = makeTempDir('pic-pushctl-server-');
  const dbUrlOfTest = await postgres.createDatabase('pushctl_server');
  const agent = path.join(root, 'PushInstallAgent.exe');
  fs.writeFileSync(agent, crypto.randomBytes(32 * 1024));
  process.env.PUSHCONSOLE_AGENT = agent;
  const dataDir = path.join(root, 'server');
  server = await startPushServer({
    dbUrl: dbUrlOfTest, host: HOST, port: 0, dataDir, rendererDir: writeRendererFixture(dataDir), packagePort: 0, packageHost: HOST, log: () => undefined,
  });
  const users = new UsersRepo(server.db);
  await users.add('admin', 'administrator', PASSWORDS.admin);
  await users.add('op', 'operator', PASSWORDS.op);
  await users.add('view', 'viewer', PASSWORDS.view);
  // The agents of the lab call back to the package server where it listens.
  await (await as('admin')).api.invoke('settings.update', { simulatedLab: false, connectTimeoutSeconds: 2, agentCallbackTimeoutSeconds: 10, callbackAddress: HOST });
  lab = await startLab({
    hosts: 4, first: LAB_FIRST, port: LAB_PORT, installTimeMs: 200, logonFailureDelayMs: 100, startTimeoutMs: 300,
    profile: { default: 'healthy', hosts: { 'LAB-PC-003': 'msi-1603' } },
  });
});

after(async () => {
  for (const c of connections) c.close();
  await lab?.close();
  await server?.close();
  await postgres?.stop();
  delete process.env.PUSHCONSOLE_AGENT;
  if (root) removeDir(root);
});

const target = (i: number) => `${lab.hosts[i]!.config.address}:${lab.hosts[i]!.config.port}`;

describe('pushctl --server', () => {
  test('a wrong fingerprint is refused before the sign-in: exit 3, server-certificate-changed, no logon row on the server', async () => {
    const before = logonRows();
    const wrong = crypto.randomBytes(32).toString('hex');
    const run = await pushctl([...server_('view', wrong), 'tasks', 'list'], envFor('view'));
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stderr, /^pushctl: .*\[server-certificate-changed\]\n$/s);
    assert.ok(run.stderr.includes(server.certificate.fingerprint), 'the certificate seen is named');
    assert.equal(run.stdout, '');
    assert.equal(logonRows(), before, 'the server heard no sign-in');
    assert.ok(!run.stderr.includes(PASSWORDS.view));
  });

  test('without --fingerprint the first connection prints the server\'s fingerprint and stops (exit 3) without signing in', async () => {
    const before = logonRows();
    const run = await pushctl([...server_('view', null), 'tasks', 'list'], envFor('view'));
    assert.equal(run.status, 3, run.stderr);
    assert.ok(run.stderr.includes(`--fingerprint ${server.certificate.fingerprint}`), run.stderr);
    assert.match(run.stderr, /\[server-certificate-changed\]\n$/);
    assert.equal(logonRows(), before);
  });

  test('a wrong password is logon-failed (exit 3), audited as such, and never printed', async () => {
    const run = await pushctl([...server_('view'), 'tasks', 'list'], { PIC_SERVER_PASSWORD: 'not-the-password-99' });
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stderr, /^pushctl: .*\[logon-failed\]\n$/s);
    assert.ok(!run.stderr.includes('not-the-password-99') && !run.stdout.includes('not-the-password-99'));
    assert.equal(new AuditRepo(server.db).list({ action: 'logon-failed', user: 'view', limit: 10, offset: 0 }).total, 1);
  });

  test('a viewer\'s push is refused: exit 3, class forbidden on stderr, nothing created on the server', async () => {
    const tasksBefore = (await (await as('op')).api.invoke('tasks.list', {})).length;
    const run = await pushctl([...server_('view'), 'push', target(0), '--msi', DEMO_MSI, '--user', `LAB\\${lab.account.user}`, '--password-env', 'PIC_LAB_PASSWORD'], { ...envFor('view'), PIC_LAB_PASSWORD: lab.account.password });
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stderr, /^pushctl: A viewer may not call .*\[forbidden\]\n$/s);
    const op = await as('op');
    assert.equal((await op.api.invoke('tasks.list', {})).length, tasksBefore);
    assert.ok(!(await op.api.invoke('computers.list', {})).some((c) => c.name === lab.hosts[0]!.config.address), 'no computer added');
    assert.ok(!run.stderr.includes(lab.account.password));
  });

  test('an operator pushes a package the server knows to two lab hosts (exit 0); a viewer reads the task with tasks list and show', async (t) => {
    const op = await as('op');
    const pkg = await op.api.invoke('packages.create', { name: 'Demo via server', msiPath: DEMO_MSI, parameters: 'REBOOT=ReallySuppress', runAs: 'admin' });
    const run = await pushctl(
      [...server_('op'), 'push', target(0), target(1), '--package', 'Demo via server', '--user', `LAB\\${lab.account.user}`, '--password-env', 'PIC_LAB_PASSWORD'],
      { ...envFor('op'), PIC_LAB_PASSWORD: lab.account.password },
    );
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    t.diagnostic(`pushctl --server … push:\n${run.stdout}`);
    for (const i of [0, 1]) assert.match(run.stdout, new RegExp(`^✓ ${lab.hosts[i]!.config.address.replace(/\./g, '\\.')}: succeeded`, 'm'));
    assert.match(run.stdout, /installing/, 'progress lines from the server\'s events');
    assert.ok(!run.stdout.includes(lab.account.password) && !run.stderr.includes(lab.account.password));
    assert.deepEqual(lab.leftovers(), []);
    const credentials = await op.api.invoke('credentials.list', {});
    assert.ok(!credentials.some((c) => c.label.startsWith('pushctl ')), 'the run\'s own credential is removed after it');

    const list = await pushctl([...server_('view'), 'tasks', 'list', '--json'], envFor('view'));
    assert.equal(list.status, 0, list.stderr);
    const task = (JSON.parse(list.stdout) as TaskSummary[]).find((t) => t.packageName === pkg.name);
    assert.ok(task, list.stdout);
    assert.equal(task.status, 'finished');
    assert.deepEqual([task.targets, task.succeeded, task.failed], [2, 2, 0]);
    const listText = await pushctl([...server_('view'), 'tasks', 'list'], envFor('view'));
    assert.equal(listText.status, 0, listText.stderr);
    assert.match(listText.stdout, new RegExp(`^#${task.id} +finished .*2 succeeded, 0 failed`, 'm'));

    const show = await pushctl([...server_('view'), 'tasks', 'show', String(task.id), '--json'], envFor('view'));
    assert.equal(show.status, 0, show.stderr);
    const shown = JSON.parse(show.stdout) as { task: TaskSummary; targets: TaskTarget[] };
    assert.equal(shown.task.id, task.id);
    assert.deepEqual(shown.targets.map((t) => [t.state, t.outcome, t.errorClass]), [['done', 'succeeded', null], ['done', 'succeeded', null]]);
    const showText = await pushctl([...server_('view'), 'tasks', 'show', String(task.id)], envFor('view'));
    assert.equal(showText.status, 0, showText.stderr);
    t.diagnostic(`pushctl --server … tasks show ${task.id}:\n${showText.stdout}`);
    assert.equal(showText.stdout.split('\n').filter((l) => /^ {2}✓ 127\.0\.3\.1[12] +succeeded/.test(l)).length, 2, showText.stdout);
    const missing = await pushctl([...server_('view'), 'tasks', 'show', '999999'], envFor('view'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /\[not-found\]/);
  });

  test('push --json with --msi on the server\'s disk: one host whose msiexec fails, exit 1, each target\'s outcome, class and steps', async () => {
    const run = await pushctl(
      [...server_('op'), 'push', target(2), target(3), '--msi', DEMO_MSI, '--user', `LAB\\${lab.account.user}`, '--password-env', 'PIC_LAB_PASSWORD', '--json'],
      { ...envFor('op'), PIC_LAB_PASSWORD: lab.account.password },
    );
    assert.equal(run.status, 1, `${run.stdout}\n${run.stderr}`);
    const report = JSON.parse(run.stdout) as { taskId: number; targets: JsonTarget[] };
    const by = new Map(report.targets.map((t) => [t.target, t]));
    assert.equal(by.get(lab.hosts[2]!.config.address)?.errorClass, 'msi-failed', run.stdout.slice(0, 2000));
    assert.equal(by.get(lab.hosts[3]!.config.address)?.outcome, 'succeeded');
    assert.ok(report.targets.every((t) => t.steps.length > 0 && t.transport !== null));
    const pkgs = await (await as('view')).api.invoke('packages.list', {});
    assert.ok(pkgs.some((p) => p.name === path.basename(DEMO_MSI)), 'the package was made from the path on the server');
  });

  test('diagnose through the server reports as locally: the same report for a lab host, exit 0', async () => {
    const env = { ...envFor('op'), PIC_LAB_PASSWORD: lab.account.password };
    const account = ['--user', `LAB\\${lab.account.user}`, '--password-env', 'PIC_LAB_PASSWORD', '--json'];
    const local = await pushctl(['diagnose', target(0), ...account], env);
    const remote = await pushctl([...server_('op'), 'diagnose', target(0), ...account], env);
    assert.equal(local.status, 0, local.stderr);
    assert.equal(remote.status, 0, remote.stderr);
    assert.deepEqual(JSON.parse(remote.stdout), JSON.parse(local.stdout));
    const text = await pushctl([...server_('op'), 'diagnose', target(0)], env);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^127\.0\.3\.11:14531 {2}reachable {2}SMB /);
  });

  test('tasks list and show over the local data folder', async () => {
    const empty = await pushctl(['tasks', 'list']);
    assert.equal(empty.status, 0, empty.stderr);
    assert.equal(empty.stdout, 'No tasks.\n');
    const missing = await pushctl(['tasks', 'show', '1']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /\[not-found\]/);
  });

  test('the global options are taken before the command only; the same names after it are the command\'s (the SMB account)', () => {
    const fp = 'AB:'.repeat(31) + 'AB';
    const taken = takeRemoteOptions(['--data', 'D', '--server=https://pis.example:8443/', '--user', 'op', '--password-env', 'V', '--fingerprint', fp, 'push', 'h', '--user', 'LAB\\x', '--password-env', 'W']);
    assert.deepEqual(taken.options, { url: 'https://pis.example:8443', user: 'op', passwordEnv: 'V', fingerprint: 'ab'.repeat(32) });
    assert.deepEqual(taken.rest, ['--data', 'D', 'push', 'h', '--user', 'LAB\\x', '--password-env', 'W']);
    assert.deepEqual(takeRemoteOptions(['push', 'h', '--user', 'u']), { options: null, rest: ['push', 'h', '--user', 'u'] });
    assert.match(takeRemoteOptions(['--user', 'u', 'tasks', 'list']).error ?? '', /must come with --server/);
    assert.match(takeRemoteOptions(['--server', 'http://h:1', '--user', 'u', '--password-env', 'V', 'tasks']).error ?? '', /https:/);
    assert.match(takeRemoteOptions(['--server', 'https://h:1', '--user', 'u', 'tasks']).error ?? '', /--password-env/);
    assert.match(takeRemoteOptions(['--server', 'https://h:1', '--user', 'u', '--password-env', 'V', '--fingerprint', 'abc', 'tasks']).error ?? '', /64 hex/);
  });
});
