// Uninstall and Repair tasks: the engine against the simulated lab (real SMB2/3, MS-SCMR and the
// agent protocol, each host with a profile). The job carries the task's action; the simulated agent
// answers as msiexec /x or /fvomus would on that host (1605 where the product is not there), and
// every host must end in expectedOutcome(profile, action) and be left clean. Addresses 127.0.61.x–127.0.62.x.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../main/lab/lab.js';
import { expectedOutcome, MIXED_PROPORTIONS } from '../../main/lab/profiles.js';
import type { LabProfile } from '../../main/lab/hostState.js';
import type { PushAction } from '../../main/server/agentProtocol.js';
import { startEngineFixture, type EngineFixture } from '../support/engineFixture.js';

const TIMEOUTS = { connectMs: 1500, agentCallbackMs: 4000, pollMs: 100, serviceStartMs: 5000 };

async function runTask(fx: EngineFixture, lab: Lab, action: PushAction, hosts = lab.hosts) {
  const credentialId = fx.runtime.vault.put('lab', `LAB\\${lab.account.user}`, lab.account.password);
  const taskId = fx.runtime.engine.submit({
    name: `lab ${action}`,
    packageId: fx.packageId,
    options: { runAs: 'admin', action },
    targets: hosts.map((h) => ({ computerName: h.config.name, address: h.config.address, port: h.config.port, credentialId })),
  });
  await fx.runtime.engine.waitForTask(taskId);
  return fx.tasks.targetRecords(taskId);
}

function checkOutcomes(lab: Lab, action: PushAction, rows: { computer_name: string; outcome: string | null; error_class: string | null; error_code: string | null; error_message: string | null }[]) {
  const wrong: string[] = [];
  const byProfile = new Map<LabProfile, number>();
  for (const row of rows) {
    const profile = lab.host(row.computer_name)!.config.profile;
    byProfile.set(profile, (byProfile.get(profile) ?? 0) + 1);
    const e = expectedOutcome(profile, action);
    if (row.outcome !== e.outcome || row.error_class !== e.errorClass || (e.code && row.error_code !== e.code)) {
      wrong.push(`${row.computer_name} (${profile}): got ${row.outcome}/${row.error_class}/${row.error_code} — ${row.error_message}; expected ${e.outcome}/${e.errorClass}/${e.code ?? ''}`);
    }
  }
  assert.deepEqual(wrong, [], wrong.join('\n'));
  return byProfile;
}

/** The mixed lab plus hosts without the product. */
const MIX = { mix: { ...MIXED_PROPORTIONS, 'not-installed': 12 } };

test('an uninstall task over mixed profiles ends per expectedOutcome (1605 → succeeded "nothing to remove"), a second uninstall finds nothing to remove, and hosts are left clean (30 hosts)', async (t) => {
  const lab = await startLab({ hosts: 30, first: '127.0.61.1', port: 14461, profile: MIX, installTimeMs: 200, logonFailureDelayMs: 200, startTimeoutMs: 300, seed: 5 });
  t.after(() => lab.close());
  const fx = await startEngineFixture(t, { settings: { maxConcurrentPushes: 10 }, timeouts: TIMEOUTS });
  const rows = await runTask(fx, lab, 'uninstall');
  const byProfile = checkOutcomes(lab, 'uninstall', rows);
  t.diagnostic(`uninstall: ${[...byProfile].map(([p, n]) => `${p} ${n}`).join(', ')}`);
  assert.ok((byProfile.get('not-installed') ?? 0) >= 2 && (byProfile.get('healthy') ?? 0) >= 10, [...byProfile].join(' '));
  assert.ok(byProfile.size >= 10, `most profiles are present: ${[...byProfile.keys()].join(', ')}`);
  assert.deepEqual(lab.leftovers(), []);

  const absent = rows.find((r) => lab.host(r.computer_name)!.config.profile === 'not-installed')!;
  assert.equal(absent.error_message, 'The product was not installed: nothing to remove.');
  assert.equal(absent.exit_code, 101605);
  assert.match(absent.msi_log ?? '', /This action is only valid for products that are currently installed/);
  const healthy = rows.find((r) => lab.host(r.computer_name)!.config.profile === 'healthy')!;
  assert.equal(healthy.error_message, 'Removed.');
  assert.match(healthy.msi_log ?? '', /REMOVE=ALL[\s\S]*Removal completed successfully/);
  const steps = fx.tasks.log(healthy.id);
  assert.match(steps.find((s) => s.step === 'start')!.detail, /^uninstall \(msiexec \/x\): push to 127\.0\.61\./);
  assert.deepEqual(steps.filter((s) => s.step === 'result').map((s) => [s.detail, s.code]), [['Removed.', '0']]);

  // The hosts whose product was removed: a second uninstall is msiexec 1605, which an uninstall counts as done.
  const removed = lab.hosts.filter((h) => h.config.profile === 'healthy').slice(0, 5);
  const again = await runTask(fx, lab, 'uninstall', removed);
  assert.deepEqual(again.map((r) => [r.outcome, r.error_code, r.error_message]), removed.map(() => ['succeeded', 'MSI 1605', 'The product was not installed: nothing to remove.']));
  assert.deepEqual(lab.leftovers(), []);
});

test('a repair task over mixed profiles ends per expectedOutcome (1605 → failed not-installed, "Install it first"); after an install the same hosts repair (20 hosts)', async (t) => {
  const lab = await startLab({ hosts: 20, first: '127.0.62.1', port: 14461, profile: MIX, installTimeMs: 200, logonFailureDelayMs: 200, startTimeoutMs: 300, seed: 9 });
  t.after(() => lab.close());
  const fx = await startEngineFixture(t, { settings: { maxConcurrentPushes: 10 }, timeouts: TIMEOUTS });
  const rows = await runTask(fx, lab, 'repair');
  const byProfile = checkOutcomes(lab, 'repair', rows);
  t.diagnostic(`repair: ${[...byProfile].map(([p, n]) => `${p} ${n}`).join(', ')}`);
  assert.ok((byProfile.get('not-installed') ?? 0) >= 1, [...byProfile].join(' '));
  assert.deepEqual(lab.leftovers(), []);
  const absent = rows.filter((r) => lab.host(r.computer_name)!.config.profile === 'not-installed');
  for (const r of absent) {
    assert.deepEqual([r.outcome, r.error_class, r.error_code], ['failed', 'not-installed', 'MSI 1605']);
    assert.match(r.advice ?? '', /^Install it first/);
  }
  const healthy = rows.find((r) => lab.host(r.computer_name)!.config.profile === 'healthy')!;
  assert.equal(healthy.error_message, 'Repaired.');
  assert.match(healthy.msi_log ?? '', /REINSTALL=ALL REINSTALLMODE=vomus/);

  // Install the product where it was missing, then repair again: now it repairs.
  const hosts = lab.hosts.filter((h) => h.config.profile === 'not-installed');
  const installed = await runTask(fx, lab, 'install', hosts);
  assert.deepEqual(installed.map((r) => r.outcome), hosts.map(() => 'succeeded'));
  const repaired = await runTask(fx, lab, 'repair', hosts);
  assert.deepEqual(repaired.map((r) => [r.outcome, r.error_message]), hosts.map(() => ['succeeded', 'Repaired.']));
  assert.deepEqual(lab.leftovers(), []);
});
