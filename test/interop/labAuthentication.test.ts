// The Authentication policy end to end on the simulated lab, which speaks NTLM only (it has no
// KDC): a host whose policy blocks NTLM (profile ntlm-blocked: STATUS_NTLM_BLOCKED after the
// AUTHENTICATE, MS-APDS 3.1.5) fails with the ntlm-blocked class and its advice while its
// neighbours log on with NTLMv2 (recorded as the target's logon mechanism); with kerberos-only, a
// computer listed by address fails as kerberos-no-spn before any logon is sent. Kerberos itself is
// proven against a real AD DC (kerberosAdDc.test.ts). Lab hosts on 127.0.205.x (docs/TESTING.md §6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../main/lab/lab.js';
import type { Settings } from '../../main/ipc/contract.js';
import { pushToLab, startEngineFixture } from '../support/engineFixture.js';

async function push(t: Parameters<typeof startEngineFixture>[0], lab: Lab, settings: Partial<Settings>) {
  const fx = await startEngineFixture(t, { settings: { maxConcurrentPushes: 4, ...settings }, timeouts: { connectMs: 1500, agentCallbackMs: 4000, pollMs: 100, serviceStartMs: 5000 } });
  return { fx, rows: (await pushToLab(fx, lab, 'auth policy')).rows };
}

test('a host that blocks NTLM fails as ntlm-blocked (STATUS_NTLM_BLOCKED, advice: push by DNS name for Kerberos); the others log on with NTLMv2 and say so', async (t) => {
  const lab = await startLab({ hosts: 4, first: '127.0.205.1', port: 14461, profile: { default: 'healthy', hosts: { 'LAB-PC-002': 'ntlm-blocked', 'LAB-PC-004': 'ntlm-blocked' } }, installTimeMs: 200, logonFailureDelayMs: 50 });
  t.after(() => lab.close());
  const { fx, rows } = await push(t, lab, {});
  const byName = new Map(rows.map((r) => [r.computer_name, r]));
  for (const name of ['LAB-PC-002', 'LAB-PC-004']) {
    const r = byName.get(name)!;
    assert.deepEqual([r.outcome, r.error_class, r.error_code], ['failed', 'ntlm-blocked', 'STATUS_NTLM_BLOCKED'], `${name}: ${r.error_message}`);
    assert.match(r.advice ?? '', /DNS name/);
    assert.equal(r.auth_mechanism, null, 'no logon succeeded');
  }
  for (const name of ['LAB-PC-001', 'LAB-PC-003']) {
    const r = byName.get(name)!;
    assert.equal(r.outcome, 'succeeded', `${name}: ${r.error_message}`);
    assert.equal(r.auth_mechanism, 'ntlm');
    assert.ok(fx.tasks.log(r.id).some((s) => s.step === 'logon' && /with NTLMv2/.test(s.detail)), 'the step log names the mechanism');
  }
  assert.deepEqual(lab.leftovers(), []);
});

test('kerberos-only to computers listed by address: kerberos-no-spn before any SESSION_SETUP, nothing copied', async (t) => {
  const lab = await startLab({ hosts: 2, first: '127.0.205.11', port: 14461, profile: 'healthy', installTimeMs: 200 });
  t.after(() => lab.close());
  // The lab's names are NetBIOS names; listing the computers by address leaves Kerberos no SPN.
  const fx = await startEngineFixture(t, { settings: { authentication: 'kerberos-only' }, timeouts: { connectMs: 1500, agentCallbackMs: 4000, pollMs: 100, serviceStartMs: 5000 } });
  const credentialId = fx.runtime.vault.put('lab', `LAB\\${lab.account.user}`, lab.account.password);
  const taskId = fx.runtime.engine.submit({ name: 'kerberos only', packageId: fx.packageId, targets: lab.hosts.map((h) => ({ computerName: h.config.address, address: h.config.address, port: h.config.port, credentialId })) });
  await fx.runtime.engine.waitForTask(taskId);
  for (const r of fx.tasks.targetRecords(taskId)) {
    assert.deepEqual([r.outcome, r.error_class], ['failed', 'kerberos-no-spn'], r.error_message ?? '');
    assert.match(r.advice ?? '', /DNS name/);
  }
  assert.equal(lab.hosts.reduce((n, h) => n + h.counters.logons + h.counters.logonFailures, 0), 0, 'no logon was attempted');
  assert.deepEqual(lab.leftovers(), []);
});
