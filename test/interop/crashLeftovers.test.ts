// A console killed mid-task leaves nothing behind on its computers — also when the credential was
// not remembered. The lab runs in a process of its own (`pushctl lab`), so it outlives the
// console; the console is the real browser shell, driven through its contract over the
// WebSocket bridge, and killed with SIGKILL while 20 or more agents install. What is on each
// computer is read from outside the console, with impacket (test/support/labImpacket/leftover_check.py).
//
// 1. Credential kept in memory only (the Set Credentials dialog's default): after the restart the
//    in-flight targets are interrupted with their logs, the queued ones wait for credentials;
//    Set Credentials… on the task (the windows' credentials.set + credentials.rebind) cleans every
//    interrupted computer and pushes the waiting ones to success.
// 2. Credential remembered in the keychain (GNOME Keyring on a private bus): the restart alone
//    cleans and finishes, with no action from the admin.
// 3. The crash points around RCreateServiceW: the service name is committed before the call, so
//    a kill right before or right after it leaves a service the next console finds and removes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { connectBridge, type BridgeClient } from '../support/bridgeClient.js';
import { startBrowserShell, tempDir, type RunningShell } from '../support/browserShell.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { startLabProcess, until, type LabDoc, type LabProcess } from '../support/labProcess.js';
import { startSecretService } from '../support/secretService.js';
import { openDatabase } from '../../main/store/database.js';
import type { TaskTarget } from '../../main/ipc/contract.js';

const DEMO_MSI = path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi');
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const CHECK = path.join(REPO_ROOT, 'test', 'support', 'labImpacket', 'leftover_check.py');

interface HostCheck {
  host: string;
  files?: string[];
  services?: Record<string, string>;
  error?: string;
}

/** What is on each computer, seen by impacket: files under ADMIN$\PushInstall and the named services. */
function leftoverCheck(lab: LabDoc, hosts: { host: string; services: string[] }[]): Promise<HostCheck[]> {
  const [domain, user] = lab.account.user.includes('\\') ? lab.account.user.split('\\') : ['LAB', lab.account.user];
  const plan = { user, password: lab.account.password, domain, hosts: hosts.map((h) => ({ ...h, port: lab.port })) };
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [CHECK, JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 3) return reject(new Error(`python3-impacket is missing: ${err}`));
      const rows = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as HostCheck);
      const failed = rows.filter((r) => r.error);
      if (code !== 0 || failed.length) return reject(new Error(`leftover_check failed (${code}): ${JSON.stringify(failed)} ${err}`));
      resolve(rows);
    });
  });
}

/** Services that exist plus files and folders under ADMIN$\PushInstall, over all hosts. */
function countLeftovers(rows: HostCheck[]): { items: number; hosts: number } {
  let items = 0;
  let hosts = 0;
  for (const r of rows) {
    const n = (r.files?.length ?? 0) + Object.values(r.services ?? {}).filter((s) => s !== 'absent').length;
    items += n;
    if (n) hosts += 1;
  }
  return { items, hosts };
}

/** The service names the dead console recorded, read from its database as a restart would. */
function recordedServices(dataDir: string): Map<string, string[]> {
  const db = openDatabase({ location: dataDir });
  try {
    const rows = db.prepare('SELECT address, service_name FROM task_targets WHERE service_name IS NOT NULL').all() as { address: string; service_name: string }[];
    const byHost = new Map<string, string[]>();
    for (const r of rows) byHost.set(r.address, [...(byHost.get(r.address) ?? []), r.service_name]);
    return byHost;
  } finally {
    db.close();
  }
}

const ACTIVE = new Set(['downloading', 'installing']);

interface Console {
  shell: RunningShell;
  client: BridgeClient;
}

async function openConsole(dataDir: string, env: Record<string, string>): Promise<Console> {
  const shell = await startBrowserShell(dataDir, 30_000, { PUSHCONSOLE_LAB: '0', ...env });
  try {
    return { shell, client: await connectBridge(shell.url) };
  } catch (error) {
    await shell.stop();
    throw error;
  }
}

async function killConsole(c: Console): Promise<void> {
  c.client.close();
  const child = c.shell.child;
  if (child.exitCode !== null || child.signalCode !== null) return; // it died by itself (a crash point)
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, 'SIGKILL');
  await exited;
}

/** A test's own folder, a stand-in agent, a lab process and the console it opens; all stopped after. */
interface Bench {
  readonly dataDir: string;
  readonly lab: LabProcess;
  /** Starts the console on the bench's data folder (a second call after kill() is the restart). */
  open(env?: Record<string, string>): Promise<Console>;
  kill(): Promise<void>;
}

async function startBench(
  t: { after(fn: () => Promise<void>): void },
  lab: { hosts: number; first: string; port: number; installMs: number },
  cleanup: () => Promise<void> = async () => undefined,
): Promise<Bench> {
  const dir = tempDir('pic-crash-');
  const dataDir = path.join(dir, 'data');
  const agent = path.join(dir, 'PushInstallAgent.exe');
  fs.writeFileSync(agent, Buffer.alloc(32 * 1024, 0x4d));
  let current: Console | null = null;
  let labProcess: LabProcess | null = null;
  t.after(async () => {
    current?.client.close();
    await current?.shell.stop();
    await labProcess?.stop();
    await cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  labProcess = await startLabProcess(lab.hosts, lab.first, lab.port, lab.installMs);
  return {
    dataDir,
    lab: labProcess,
    open: async (env = {}) => (current = await openConsole(dataDir, { PUSHCONSOLE_AGENT: agent, ...env })),
    kill: async () => {
      if (current) await killConsole(current);
      current = null;
    },
  };
}

/** Package, computers (address:port, as an admin types them), credential and task, through the contract. */
async function pushToLab(c: Console, lab: LabDoc, options: { concurrency: number; remember: boolean }): Promise<{ taskId: number; credentialId: number }> {
  const { api } = c.client;
  await api.invoke('settings.update', { maxConcurrentPushes: options.concurrency });
  const pkg = await api.invoke('packages.create', { name: 'Endpoint agent', msiPath: DEMO_MSI, parameters: '', runAs: 'system' });
  const added = await api.invoke('computers.add', { entries: lab.hosts.map((h) => `${h.address}:${lab.port}`) });
  assert.equal(added.added.length, lab.hosts.length, JSON.stringify(added.invalid));
  assert.ok(added.added.every((h) => h.port === lab.port), 'Add Computers kept each computer\'s port');
  const credential = await api.invoke('credentials.set', { user: lab.account.user, password: lab.account.password, remember: options.remember });
  const { taskId } = await api.invoke('tasks.create', {
    name: 'Crash test',
    packageId: pkg.id,
    scheduledAt: null,
    runAs: 'system',
    targets: added.added.map((h) => ({ computerId: h.id, credentialId: credential.id })),
  });
  return { taskId, credentialId: credential.id };
}

function secondsSince(t0: number): string {
  return ((Date.now() - t0) / 1000).toFixed(1);
}

describe('a console killed with 20+ agents running leaves nothing behind', { concurrency: false }, () => {
  test('credential not remembered: interrupted targets keep their logs, queued ones wait for credentials, Set Credentials… on the task cleans every computer and pushes the rest to success', async (t) => {
    const bench = await startBench(t, { hosts: 60, first: '127.0.180.1', port: 14560, installMs: 8000 });
    const { lab, dataDir } = bench;
    let current = await bench.open();
    const { taskId } = await pushToLab(current, lab, { concurrency: 25, remember: false });
    const api1 = current.client.api;
    const before = await until('20 agents installing', 60_000, async () => {
      const targets = await api1.invoke('tasks.targets', { taskId });
      return targets.filter((x) => ACTIVE.has(x.state)).length >= 20 && targets;
    });
    await bench.kill();
    const running = before.filter((x) => ACTIVE.has(x.state)).length;

    // What the dead console left, seen from outside once its agents have given up on it.
    const recorded = recordedServices(dataDir);
    assert.ok(recorded.size >= 20, `the dead console recorded a service on ${recorded.size} computers`);
    await new Promise((r) => setTimeout(r, 9000));
    const hosts = lab.hosts.map((h) => ({ host: h.address, services: recorded.get(h.address) ?? [] }));
    const left = countLeftovers(await leftoverCheck(lab, hosts));
    assert.ok(left.hosts >= 20, `the crash left something on ${left.hosts} computers`);

    const restarted = Date.now();
    current = await bench.open();
    const { api } = current.client;
    const after = await api.invoke('tasks.targets', { taskId });
    assert.equal(after.length, 60, 'every target is kept');
    const interrupted = after.filter((x) => x.outcome === 'interrupted');
    const waiting = after.filter((x) => x.state === 'waiting-for-credentials');
    assert.ok(interrupted.length >= 20, `${interrupted.length} interrupted`);
    assert.equal(interrupted.length + waiting.length + after.filter((x) => x.outcome === 'succeeded').length, 60, JSON.stringify(after.map((x) => [x.state, x.outcome])));
    assert.ok(waiting.length >= 1, 'the queued targets wait for credentials instead of failing');
    const log = await api.invoke('targets.log', { targetId: interrupted[0]!.id });
    for (const step of ['logon', 'copy', 'service', 'interrupted']) assert.ok(log.some((s) => s.step === step), `the interrupted target's log keeps ${step}: ${log.map((s) => s.step).join(',')}`);
    assert.match(interrupted[0]!.advice ?? '', /Set Credentials… on this computer/);
    const summary = (await api.invoke('tasks.list', {})).find((x) => x.id === taskId)!;
    assert.equal(summary.waiting, waiting.length, 'History can say how many wait');
    const listed = await api.invoke('leftovers.list', {});
    assert.equal(listed.length, interrupted.length, 'every interrupted computer is in the Leftovers window');
    assert.ok(listed.every((l) => !l.credentialAvailable && l.items.some((i) => i.startsWith('service PushInstallAgent'))), JSON.stringify(listed[0]));
    await assert.rejects(api.invoke('targets.removeLeftovers', { targetId: interrupted[0]!.id }), (e: unknown) => (e as { errorClass?: string }).errorClass === 'credentials-missing');

    // Set Credentials… on the task in History: the dialog stores the credential, then rebinds.
    const credential = await api.invoke('credentials.set', { user: lab.account.user, password: lab.account.password, remember: false });
    const rebound = await api.invoke('credentials.rebind', { credentialId: credential.id, taskId });
    assert.equal(rebound.resumed, waiting.length);
    assert.equal(rebound.cleaning, interrupted.length);
    await until('every leftover removed', 90_000, async () => (await api.invoke('leftovers.list', {})).length === 0);
    const cleanSeconds = secondsSince(restarted);
    await until('the task to finish', 120_000, async () => (await api.invoke('tasks.list', {})).find((x) => x.id === taskId)!.status === 'finished');
    const final = await api.invoke('tasks.targets', { taskId });
    const byId = new Map(final.map((x) => [x.id, x] as [number, TaskTarget]));
    assert.deepEqual(waiting.map((w) => byId.get(w.id)!.outcome), waiting.map(() => 'succeeded'), 'every waiting computer was pushed');
    assert.deepEqual(interrupted.map((w) => byId.get(w.id)!.outcome), interrupted.map(() => 'interrupted'), 'the interrupted ones keep their history');

    const clean = countLeftovers(await leftoverCheck(lab, hosts));
    assert.deepEqual(clean, { items: 0, hosts: 0 }, 'nothing is left on any computer');
    t.diagnostic(`memory credential: ${running} agents running at the kill; leftovers ${left.items} items on ${left.hosts} computers → ${clean.items}; restart to clean ${cleanSeconds} s`);
  });

  test('credential remembered in the keychain: the restart alone removes every leftover and finishes the task', async (t) => {
    const keyring = await startSecretService();
    const bench = await startBench(t, { hosts: 40, first: '127.0.181.1', port: 14561, installMs: 8000 }, () => keyring.close());
    const { lab, dataDir } = bench;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(keyring.env)) if (v !== undefined) env[k] = v;
    // After the keyring's environment, which carries the test runner's PUSHCONSOLE_KEYCHAIN=off.
    env.PUSHCONSOLE_KEYCHAIN = 'on';
    let current = await bench.open(env);
    const { taskId } = await pushToLab(current, lab, { concurrency: 20, remember: true });
    assert.equal((await current.client.api.invoke('credentials.list', {}))[0]!.storage, 'keychain', 'the credential is remembered in the keychain');
    const api1 = current.client.api;
    await until('20 agents installing', 60_000, async () => (await api1.invoke('tasks.targets', { taskId })).filter((x) => ACTIVE.has(x.state)).length >= 20);
    await bench.kill();
    const recorded = recordedServices(dataDir);
    assert.ok(recorded.size >= 20, `recorded services on ${recorded.size} computers`);
    const hosts = lab.hosts.map((h) => ({ host: h.address, services: recorded.get(h.address) ?? [] }));

    const restarted = Date.now();
    current = await bench.open(env);
    const { api } = current.client;
    await until('the task to finish', 120_000, async () => (await api.invoke('tasks.list', {})).find((x) => x.id === taskId)!.status === 'finished').catch(async (error: Error) => {
      const states = (await api.invoke('tasks.targets', { taskId })).map((x) => `${x.state}/${x.outcome}/${x.errorClass}`);
      const counts = new Map<string, number>();
      for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
      throw new Error(`${error.message}: ${JSON.stringify([...counts])}; credentials ${JSON.stringify(await api.invoke('credentials.list', {}))}`);
    });
    await until('every leftover removed', 60_000, async () => (await api.invoke('leftovers.list', {})).length === 0);
    const seconds = secondsSince(restarted);
    const final = await api.invoke('tasks.targets', { taskId });
    assert.ok(final.filter((x) => x.outcome === 'interrupted').length >= 20);
    assert.deepEqual(final.filter((x) => x.outcome !== 'interrupted').map((x) => x.outcome), final.filter((x) => x.outcome !== 'interrupted').map(() => 'succeeded'));
    const clean = countLeftovers(await leftoverCheck(lab, hosts));
    assert.deepEqual(clean, { items: 0, hosts: 0 }, 'nothing is left on any computer');
    t.diagnostic(`keychain credential: restart to finished and clean ${seconds} s, leftovers 0`);
  });

  for (const point of ['before-create-service', 'after-create-service'] as const) {
    test(`a kill ${point === 'before-create-service' ? 'right before' : 'right after'} RCreateServiceW: the next console knows the service name and leaves nothing`, async (t) => {
      const bench = await startBench(t, { hosts: 1, first: point === 'before-create-service' ? '127.0.182.1' : '127.0.182.2', port: 14562, installMs: 500 });
      const { lab, dataDir } = bench;
      let current = await bench.open({ PUSHCONSOLE_TEST_CRASH_AT: point });
      const died = new Promise<NodeJS.Signals | null>((resolve) => current.shell.child.once('exit', (_code, signal) => resolve(signal)));
      const { taskId } = await pushToLab(current, lab, { concurrency: 1, remember: false });
      assert.equal(await died, 'SIGKILL', 'the console died at the crash point');
      await bench.kill();

      const recorded = recordedServices(dataDir);
      const names = recorded.get(lab.hosts[0]!.address) ?? [];
      assert.equal(names.length, 1, 'the service name was committed before the call');
      const [seen] = await leftoverCheck(lab, [{ host: lab.hosts[0]!.address, services: names }]);
      assert.ok(seen!.files!.some((f) => f.endsWith('PushInstallAgent.exe')), `the agent is on the computer: ${JSON.stringify(seen)}`);
      assert.equal(seen!.services![names[0]!] === 'absent', point === 'before-create-service', `service ${names[0]}: ${seen!.services![names[0]!]}`);

      current = await bench.open();
      const { api } = current.client;
      const [target] = await api.invoke('tasks.targets', { taskId });
      assert.equal(target!.outcome, 'interrupted');
      const computers = await api.invoke('computers.list', {});
      const credential = await api.invoke('credentials.set', { user: lab.account.user, password: lab.account.password, remember: false });
      // Set Credentials… on the computer in the Computers tab.
      const rebound = await api.invoke('credentials.rebind', { credentialId: credential.id, computerIds: computers.map((c) => c.id) });
      assert.equal(rebound.cleaning, 1);
      await until('the leftovers removed', 30_000, async () => (await api.invoke('leftovers.list', {})).length === 0);
      const [after] = await leftoverCheck(lab, [{ host: lab.hosts[0]!.address, services: names }]);
      assert.deepEqual([after!.files, after!.services], [[], { [names[0]!]: 'absent' }]);
    });
  }
});
