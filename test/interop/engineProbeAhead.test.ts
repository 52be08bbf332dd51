// Probing ahead of the push slots (main/engine/probeAhead.ts) against the simulated lab: offline
// hosts whose SYNs go unanswered must not hold the few push slots for a connect bound each. With
// 4 slots, 40 silent hosts and a 1 s bound, pushes that probed in their slot would reach the
// healthy hosts queued behind them after about 10 s (40 / 4 × 1 s); probed while queued, every
// silent host is known offline after about one bound and the healthy ones start then.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startLab } from '../../main/lab/lab.js';
import { EXPECTED_OUTCOME } from '../../main/lab/profiles.js';
import { startEngineFixture } from '../support/engineFixture.js';

const SILENT = 40;
const HEALTHY = 4;
const SLOTS = 4;
const BOUND_MS = 1000;

test(`${SILENT} silent hosts ahead of ${HEALTHY} healthy ones cost about one connect bound, not ${SILENT / SLOTS}: the healthy pushes start before ${3 * BOUND_MS} ms`, async (t) => {
  const names = Array.from({ length: SILENT + HEALTHY }, (_, i) => `LAB-PC-${String(i + 1).padStart(3, '0')}`);
  const lab = await startLab({
    hosts: SILENT + HEALTHY, first: '127.0.24.1', port: 14453, installTimeMs: 100, startTimeoutMs: 300,
    profile: { default: 'offline-silent', hosts: Object.fromEntries(names.slice(SILENT).map((n) => [n, 'healthy'])) },
  });
  t.after(() => lab.close());
  const fx = await startEngineFixture(t, {
    settings: { maxConcurrentPushes: SLOTS },
    timeouts: { connectMs: BOUND_MS, agentCallbackMs: 4000, pollMs: 100, serviceStartMs: 5000 },
  });
  const credentialId = fx.runtime.vault.put('lab', `LAB\\${lab.account.user}`, lab.account.password, { remember: false });
  const t0 = Date.now();
  const taskId = fx.runtime.engine.submit({
    name: 'silent first',
    packageId: fx.packageId,
    options: { retryCount: 0 },
    targets: lab.hosts.map((h) => ({ computerName: h.config.name, address: h.config.address, port: h.config.port, credentialId })),
  });
  await fx.runtime.engine.waitForTask(taskId);
  const seconds = (Date.now() - t0) / 1000;

  const rows = fx.tasks.targetRecords(taskId);
  const wrong = rows.filter((r) => {
    const want = EXPECTED_OUTCOME[lab.host(r.computer_name)!.config.profile];
    return r.outcome !== want.outcome || r.error_class !== want.errorClass;
  });
  assert.deepEqual(wrong.map((r) => `${r.computer_name}: ${r.outcome}/${r.error_class} ${r.error_message}`), []);

  const healthyStarts = rows
    .filter((r) => lab.host(r.computer_name)!.config.profile === 'healthy')
    .map((r) => Date.parse(fx.tasks.log(r.id).find((s) => s.step === 'start')!.at) - t0);
  t.diagnostic(`healthy pushes started after ${healthyStarts.join(', ')} ms; whole task ${seconds.toFixed(1)} s; ${fx.runtime.engine.probes.peakActive} probes at once at most`);
  assert.ok(Math.max(...healthyStarts) < 3 * BOUND_MS, `the healthy hosts waited ${Math.max(...healthyStarts)} ms behind the silent ones`);
  assert.ok(fx.runtime.engine.probes.peakActive >= SILENT, 'the silent hosts were probed together');
  assert.ok(fx.runtime.engine.peakConcurrent <= SLOTS);
  const silentLog = fx.tasks.log(rows[0]!.id).map((s) => s.detail).join('\n');
  assert.match(silentLog, /did not answer within 1\.0 s/);
  assert.equal(fx.runtime.engine.probes.held, 0, 'no probe is held after the task');
  assert.deepEqual(lab.leftovers(), []);
});
