// The engine against the simulated lab (issues #6, #7): hosts that speak real SMB2/3, MS-SCMR
// and the agent protocol, each with a profile. Every host must end in the outcome its profile
// dictates, the lab's own busy counter must never exceed the engine's limit, and every host must
// be clean afterwards (no agent file, no folder, no service).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../main/lab/lab.js';
import { EXPECTED_OUTCOME } from '../../main/lab/profiles.js';
import type { LabProfile } from '../../main/lab/hostState.js';
import { startEngineFixture } from '../support/engineFixture.js';

async function pushToLab(t: Parameters<typeof startEngineFixture>[0], lab: Lab, concurrency: number) {
  const fx = await startEngineFixture(t, {
    settings: { maxConcurrentPushes: concurrency },
    timeouts: { connectMs: 1500, agentCallbackMs: 4000, pollMs: 100, serviceStartMs: 5000 },
  });
  const credentialId = fx.runtime.vault.put('lab', `LAB\\${lab.account.user}`, lab.account.password);
  const t0 = Date.now();
  const taskId = fx.runtime.engine.submit({
    name: 'lab push',
    packageId: fx.packageId,
    targets: lab.hosts.map((h) => ({ computerName: h.config.name, address: h.config.address, port: h.config.port, credentialId })),
  });
  await fx.runtime.engine.waitForTask(taskId);
  return { fx, taskId, seconds: (Date.now() - t0) / 1000 };
}

function checkOutcomes(lab: Lab, rows: { computer_name: string; outcome: string | null; error_class: string | null; error_code: string | null; error_message: string | null }[]) {
  const wrong: string[] = [];
  const byProfile = new Map<LabProfile, number>();
  for (const row of rows) {
    const host = lab.host(row.computer_name)!;
    const profile = host.config.profile;
    byProfile.set(profile, (byProfile.get(profile) ?? 0) + 1);
    const expected = EXPECTED_OUTCOME[profile];
    const ok = row.outcome === expected.outcome && row.error_class === expected.errorClass && (!expected.code || row.error_code === expected.code);
    if (!ok) wrong.push(`${row.computer_name} (${profile}): got ${row.outcome}/${row.error_class}/${row.error_code} — ${row.error_message}; expected ${expected.outcome}/${expected.errorClass}/${expected.code ?? ''}`);
  }
  assert.deepEqual(wrong, [], wrong.join('\n'));
  return byProfile;
}

test('every profile of the mixed lab ends in its own outcome, and each host is left clean (30 hosts, 10 at once)', async (t) => {
  const lab = await startLab({ hosts: 30, first: '127.0.21.1', port: 14451, profile: 'mixed', installTimeMs: 300, logonFailureDelayMs: 200, startTimeoutMs: 300, seed: 3 });
  t.after(() => lab.close());
  const { fx, taskId } = await pushToLab(t, lab, 10);
  const rows = fx.tasks.targetRecords(taskId);
  const byProfile = checkOutcomes(lab, rows);
  assert.ok(byProfile.size >= 12, `most profiles are present: ${[...byProfile.keys()].join(', ')}`);
  assert.deepEqual(lab.leftovers(), []);
  assert.ok(lab.peakBusy <= 10, `peak busy ${lab.peakBusy}`);
  const healthy = rows.find((r) => lab.host(r.computer_name)!.config.profile === 'healthy')!;
  assert.match(healthy.msi_log ?? '', /Installation completed successfully|success/i, 'the MSI log came back with the result');
  const steps = fx.tasks.log(healthy.id).map((s) => s.step);
  for (const step of ['probe', 'logon', 'copy', 'job', 'service', 'agent', 'result', 'cleanup', 'done']) assert.ok(steps.includes(step), `${step} in ${steps.join(',')}`);
});

test('200 mixed hosts at concurrency 20: outcomes by profile, never more than 20 hosts busy, nothing left behind', async (t) => {
  const lab = await startLab({ hosts: 200, first: '127.0.22.1', port: 14451, profile: 'mixed', installTimeMs: 500, logonFailureDelayMs: 200, startTimeoutMs: 300, seed: 11 });
  t.after(() => lab.close());
  const { fx, taskId, seconds } = await pushToLab(t, lab, 20);
  checkOutcomes(lab, fx.tasks.targetRecords(taskId));
  assert.ok(lab.peakBusy <= 20, `the lab saw ${lab.peakBusy} hosts busy at once`);
  assert.ok(lab.peakBusy >= 15, `the limit was used (${lab.peakBusy})`);
  assert.ok(fx.runtime.engine.peakConcurrent <= 20);
  assert.deepEqual(lab.leftovers(), []);
  t.diagnostic(`200 hosts in ${seconds.toFixed(1)} s; lab peak busy ${lab.peakBusy}`);
});

test('a credential that keeps only the NT hash installs as SYSTEM over real SMB/SCMR, and an admin install with it is refused before any connection', async (t) => {
  const lab = await startLab({ hosts: 3, first: '127.0.23.1', port: 14452, profile: 'healthy', installTimeMs: 100, startTimeoutMs: 300 });
  t.after(() => lab.close());
  const fx = await startEngineFixture(t, { timeouts: { connectMs: 1500, agentCallbackMs: 4000, pollMs: 100, serviceStartMs: 5000 } });
  const credentialId = fx.runtime.vault.put('lab hash', `LAB\\${lab.account.user}`, lab.account.password, { remember: false, keep: 'nt-hash' });
  assert.equal(fx.runtime.vault.installCredential(credentialId), null);
  const targets = lab.hosts.map((h) => ({ computerName: h.config.name, address: h.config.address, port: h.config.port, credentialId }));

  const asSystem = fx.runtime.engine.submit({ name: 'as SYSTEM', packageId: fx.packageId, options: { runAs: 'system' }, targets });
  await fx.runtime.engine.waitForTask(asSystem);
  const done = fx.tasks.targetRecords(asSystem);
  assert.deepEqual(done.map((r) => [r.outcome, r.error_class]), done.map(() => ['succeeded', null]), JSON.stringify(done.map((r) => r.error_message)));
  const logons = lab.hosts.reduce((n, h) => n + h.counters.logons, 0);
  assert.ok(logons >= 3, `each host accepted an NTLMv2 logon computed from the hash (${logons})`);
  assert.deepEqual(lab.leftovers(), []);

  const asAdmin = fx.runtime.engine.submit({ name: 'as admin', packageId: fx.packageId, options: { runAs: 'admin' }, targets });
  await fx.runtime.engine.waitForTask(asAdmin);
  const refused = fx.tasks.targetRecords(asAdmin);
  assert.deepEqual(refused.map((r) => [r.outcome, r.error_class]), refused.map(() => ['failed', 'credentials-hash-only']));
  assert.match(refused[0]!.advice ?? '', /Install as SYSTEM/);
  assert.equal(lab.hosts.reduce((n, h) => n + h.counters.logons, 0), logons, 'no host was contacted for the refused task');
});

test('Remove Leftovers on a push that is still running does nothing to it: the push ends succeeded and cleans up after itself', async (t) => {
  const lab = await startLab({ hosts: 1, first: '127.0.183.1', port: 14563, profile: 'healthy', installTimeMs: 2500, startTimeoutMs: 300 });
  t.after(() => lab.close());
  const fx = await startEngineFixture(t, { timeouts: { connectMs: 1500, agentCallbackMs: 4000, pollMs: 100, serviceStartMs: 5000 } });
  const credentialId = fx.runtime.vault.put('lab', lab.account.user.includes('\\') ? lab.account.user : `LAB\\${lab.account.user}`, lab.account.password);
  const host = lab.hosts[0]!.config;
  const taskId = fx.runtime.engine.submit({ name: 'running', packageId: fx.packageId, targets: [{ computerName: host.name, address: host.address, port: host.port, credentialId }] });
  const [target] = fx.tasks.targetRecords(taskId);
  const deadline = Date.now() + 10_000;
  while (fx.tasks.targetRecord(target!.id)!.state !== 'installing' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const running = fx.tasks.targetRecord(target!.id)!;
  assert.equal(running.state, 'installing');
  assert.ok(running.leftovers && running.service_name, 'a running push has its service and files on record');
  assert.deepEqual(fx.tasks.targetsWithLeftovers(), [], 'a running push is not listed as leftovers');
  const refused = await fx.runtime.engine.removeLeftovers(target!.id);
  assert.equal(refused.refused, 'not-ended');
  await fx.runtime.engine.waitForTask(taskId);
  const ended = fx.tasks.targetRecord(target!.id)!;
  assert.deepEqual([ended.outcome, ended.error_class, ended.leftovers], ['succeeded', null, null]);
  assert.deepEqual(lab.leftovers(), []);
});
