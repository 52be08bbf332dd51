// The leak test: whole pushes against the simulated lab with a unique password — one host
// that succeeds, one whose msiexec fails (1603), one that refuses the logon — through the console's
// own services and IPC router, then `pushctl push --json` against lab hosts; afterwards the
// password, its base64 and its NT hash (bytes, hex in both cases) must appear nowhere: not in the
// database (nor its WAL), the data folder, step logs, MSI logs, the CSV and ZIP exports, any IPC
// result or event, nor the CLI's stdout/stderr — nor any file the pushes wrote to the hosts'
// ADMIN$ (the agent, its job file, the agent's log and marker, diagnose's probe), recorded by the
// lab (LabHostState.recordWrites) because cleanup deletes them all.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { LabWrittenFile } from '../../main/lab/hostState.js';
import { startLab } from '../../main/lab/lab.js';
import { parseJobFile } from '../../main/server/jobFile.js';
import { REPO_ROOT, runCaptured } from '../support/childProcess.js';
import { secretForms, secretHits, secretHitsInFolder } from '../support/secretSearch.js';
import { tempDirFor } from '../support/tempDir.js';
import { startRecordedConsole } from '../support/recordedConsole.js';

const DEMO_MSI = path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi');
const DEMO_CFG = path.join(REPO_ROOT, 'assets', 'demo', 'demo.cfg.xml');

const run = runCaptured;

test('no trace of the password or its NT hash after a successful and two failing pushes, their exports, IPC and pushctl --json', async (t) => {
  const dir = tempDirFor(t, 'pic-leak-');
  const password = `Leak-${crypto.randomBytes(9).toString('base64url')}#${crypto.randomInt(1e9)}`;
  const secret = secretForms(password);
  const lab = await startLab({
    hosts: 5, first: '127.0.41.1', port: 14471, password, installTimeMs: 200, logonFailureDelayMs: 100, startTimeoutMs: 300,
    profile: { default: 'healthy', hosts: { 'LAB-PC-002': 'msi-1603', 'LAB-PC-003': 'wrong-credentials', 'LAB-PC-005': 'wrong-credentials' } },
  });
  t.after(() => lab.close());
  // Every file written to ADMIN$ is kept (cleanup deletes them all before we could look).
  for (const host of lab.hosts) host.recordWrites = true;
  const agent = path.join(dir, 'PushInstallAgent.exe');
  fs.writeFileSync(agent, crypto.randomBytes(32 * 1024));
  process.env.PUSHCONSOLE_AGENT = agent;
  t.after(() => void delete process.env.PUSHCONSOLE_AGENT);

  // ---- the console: services, router, every event recorded ----
  const dataDir = path.join(dir, 'data');
  const { services, events, results, call, close } = startRecordedConsole(t, dataDir);
  await call('settings.update', { simulatedLab: false, connectTimeoutSeconds: 2, agentCallbackTimeoutSeconds: 10 });
  const runtime = await services.startPush({ port: 0, host: '127.0.0.1' });
  assert.ok(!(runtime instanceof Error), String(runtime));

  const hosts = lab.hosts.slice(0, 3);
  const { added } = services.computers.addMany(hosts.map((h) => ({ name: h.config.name, address: h.config.address, port: h.config.port, groupName: 'Leak' })));
  const credential = (await call('credentials.set', { label: 'Leak test', user: `LAB\\${lab.account.user}`, password, remember: true })) as { id: number };
  const pkg = (await call('packages.create', { name: 'Leak demo', msiPath: DEMO_MSI, configPath: DEMO_CFG, parameters: 'REBOOT=ReallySuppress', runAs: 'admin' })) as { id: number };
  await call('credentials.test', { credentialId: credential.id, computerIds: added.map((c) => c.id) });
  await call('computers.diagnose', { ids: added.map((c) => c.id), credentialId: credential.id });
  for (const runAs of ['admin', 'system'] as const) {
    const { taskId } = (await call('tasks.create', { name: `Leak ${runAs}`, packageId: pkg.id, scheduledAt: null, runAs, targets: added.map((c) => ({ computerId: c.id, credentialId: credential.id })) })) as { taskId: number };
    await services.runtime()!.engine.waitForTask(taskId);
    services.runtime()!.engine.flush();
    const targets = (await call('tasks.targets', { taskId })) as { id: number; computerName: string; outcome: string | null; errorClass: string | null }[];
    const outcome = (name: string) => targets.find((x) => x.computerName === name);
    assert.equal(outcome('LAB-PC-001')?.outcome, 'succeeded', JSON.stringify(targets));
    assert.equal(outcome('LAB-PC-002')?.errorClass, 'msi-failed');
    assert.equal(outcome('LAB-PC-003')?.errorClass, 'logon-failure');
    for (const target of targets) {
      await call('targets.log', { targetId: target.id });
      await call('targets.msiLog', { targetId: target.id });
    }
    const csv = (await call('history.exportCsv', { taskId })) as { text: string };
    assert.ok(csv.text.includes('LAB-PC-002'));
    const zip = (await call('history.exportLogs', { taskId })) as { base64: string; entries: number };
    assert.ok(zip.entries >= 3);
    const zipFile = path.join(dir, `logs-${taskId}.zip`);
    fs.writeFileSync(zipFile, Buffer.from(zip.base64, 'base64'));
    const unzipped = spawnSync('unzip', ['-p', zipFile], { maxBuffer: 64 * 1024 * 1024 });
    assert.equal(unzipped.status, 0, String(unzipped.stderr));
    assert.ok(unzipped.stdout.length > 100);
    assert.deepEqual(secretHits(secret, unzipped.stdout), [], 'the logs ZIP (inflated)');
    fs.rmSync(zipFile);
  }
  for (const channel of ['credentials.list', 'tasks.list', 'computers.list', 'packages.list', 'app.info', 'settings.get']) await call(channel, {});
  assert.deepEqual(lab.leftovers(), []);

  // While the console runs (the WAL not yet folded into the database) and after it closed.
  assert.deepEqual(secretHitsInFolder(secret, dataDir), [], 'data folder while running');
  await close();
  assert.deepEqual(secretHitsInFolder(secret, dataDir), [], 'data folder after closing');
  assert.deepEqual(results.flatMap((r) => secretHits(secret, r).map((h) => `${h} in ${r.slice(0, 200)}`)), [], 'IPC results');
  assert.deepEqual(events.flatMap((e) => secretHits(secret, e).map((h) => `${h} in ${e.slice(0, 200)}`)), [], 'IPC events');
  assert.ok(events.some((e) => e.includes('task.progress')) && events.some((e) => e.includes('log.line')), 'events were recorded');

  // ---- pushctl push --json: a host that succeeds, one that refuses the logon ----
  const cliData = path.join(dir, 'cli-data');
  for (const json of [true, false]) {
    const targets = [lab.hosts[3]!, lab.hosts[4]!].map((h) => `${h.config.address}:${h.config.port}`);
    // Asynchronously: the lab answers from this very process.
    const cli = await run(
      process.execPath,
      ['--import', 'tsx', 'main/cli/entry.ts', '--data', cliData, 'push', ...targets, '--msi', DEMO_MSI, '--config', DEMO_CFG, '--user', `LAB\\${lab.account.user}`, '--password-env', 'PIC_LEAK_PASSWORD', '--port', '0', '--callback', '127.0.0.1', ...(json ? ['--json'] : [])],
      { ...process.env, PIC_LEAK_PASSWORD: password, PUSHCONSOLE_AGENT: agent },
    );
    assert.equal(cli.status, 1, `one of two failed: exit 1 (${cli.signal}); stderr: ${cli.stderr}`);
    if (json) {
      const report = JSON.parse(cli.stdout) as { targets: { outcome: string; errorClass: string | null; steps: unknown[] }[] };
      assert.deepEqual(report.targets.map((x) => x.outcome).sort(), ["failed", "succeeded"], cli.stdout.slice(0, 4000));
      assert.ok(report.targets.every((x) => x.steps.length > 0));
    }
    assert.deepEqual(secretHits(secret, cli.stdout), [], `pushctl stdout${json ? ' (--json)' : ''}`);
    assert.deepEqual(secretHits(secret, cli.stderr), [], 'pushctl stderr');
  }
  assert.deepEqual(secretHitsInFolder(secret, cliData), [], 'pushctl data folder');
  assert.deepEqual(lab.leftovers(), []);

  // ---- what the pushes left on the targets' ADMIN$ (all deleted by cleanup, recorded by the lab) ----
  const written = new Map<string, LabWrittenFile[]>(lab.hosts.map((h) => [h.config.name, h.writtenFiles()]));
  const jobs = (name: string) => (written.get(name) ?? []).filter((f) => /\\PushInstallAgent\.exe\.job$/i.test(f.path));
  const agents = (name: string) => (written.get(name) ?? []).filter((f) => /\\PushInstallAgent\.exe$/i.test(f.path));
  // The console pushed twice (admin, system) to LAB-PC-001 and -002, pushctl twice to -004; -003
  // and -005 refuse the logon, so nothing may be written there.
  for (const name of ['LAB-PC-001', 'LAB-PC-002', 'LAB-PC-004']) {
    assert.ok(jobs(name).length >= 2, `${name}: a job file per push captured (${jobs(name).length}): ${(written.get(name) ?? []).map((f) => f.path).join(', ')}`);
    assert.ok(agents(name).length >= 2, `${name}: the agent per push captured (${agents(name).length})`);
    assert.ok(agents(name).every((f) => f.data.equals(fs.readFileSync(agent))), `${name}: the agent captured whole`);
  }
  for (const name of ['LAB-PC-003', 'LAB-PC-005']) assert.deepEqual(written.get(name), [], `${name} refused the logon: nothing written`);
  const all = [...written.entries()].flatMap(([host, files]) => files.map((f) => ({ host, ...f })));
  assert.ok(all.every((f) => !f.present), 'cleanup removed every file');
  for (const { host, path: file, data } of all.filter((f) => /\.job$/i.test(f.path))) {
    const job = parseJobFile(data);
    assert.ok(job.token.length >= 16 && job.consoles.length >= 1, `${host} ${file}: a job`);
    const keys = data.toString('utf8').split(/\r?\n/).filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.slice(0, l.indexOf('=')).trim());
    assert.deepEqual(keys.filter((k) => /pass|pwd|secret|hash|cred|user/i.test(k)), [], `${host} ${file}: no password-like key (${keys.join(', ')})`);
  }
  assert.deepEqual(all.flatMap((f) => secretHits(secret, f.data).map((h) => `${f.host} ${f.path}: ${h}`)), [], 'files written to ADMIN$');
  const jobCount = all.filter((f) => /\.job$/i.test(f.path)).length;
  t.diagnostic(`ADMIN$: ${all.length} files captured (${jobCount} job files) on ${[...written.values()].filter((f) => f.length).length} hosts, searched for ${secret.forms.length} forms of the password: ${[...new Set(all.map((f) => f.path.replace(/^.*\\/, '').replace(/^.*?(\.[^.]+)$/, '*$1')))].join(' ')}`);
});
