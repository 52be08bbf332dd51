// Uninstall and Repair tasks (the action): what the IPC contract accepts, how the simulated lab's
// msiexec answers each action per profile, and what the engine must then report (expectedOutcome).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channels } from '../../main/ipc/contract.js';
import { expectedOutcome, EXPECTED_OUTCOME } from '../../main/lab/profiles.js';
import { LAB_PROFILES } from '../../main/lab/hostState.js';
import { msiexecCodeFor } from '../../main/lab/agent/msiLog.js';
import { verdictForAgentCode } from '../../main/engine/results.js';
import { actionOf } from '../../main/store/tasksRepo.js';

const create = channels['tasks.create'].request;
const base = { name: 'T', packageId: 1, scheduledAt: null, runAs: 'system', targets: [{ computerId: 1, credentialId: 1 }] };

test('tasks.create accepts install, uninstall, repair and no action; it rejects an unknown action and any other spelling', () => {
  for (const action of ['install', 'uninstall', 'repair']) assert.equal(create.parse({ ...base, action }).action, action);
  assert.equal(create.parse(base).action, undefined, 'absent: the handler makes it install');
  for (const action of ['reinstall', 'Uninstall', 'remove', '', null, 1]) {
    const r = create.safeParse({ ...base, action });
    assert.equal(r.success, false, `action ${JSON.stringify(action)} is refused`);
    assert.deepEqual(r.error!.issues.map((i) => i.path.join('.')), ['action']);
  }
  assert.equal(create.safeParse({ ...base, mode: 'uninstall' }).success, false, 'strict: no other key');
});

test('a stored task\'s action: from its options, install when absent or unreadable', () => {
  assert.equal(actionOf('{"runAs":"admin","action":"uninstall"}'), 'uninstall');
  assert.equal(actionOf('{"action":"repair"}'), 'repair');
  assert.equal(actionOf('{"runAs":"admin"}'), 'install');
  assert.equal(actionOf('{"action":"format-c"}'), 'install');
  assert.equal(actionOf('not json'), 'install');
});

test('the lab\'s msiexec per action: 1605 where the product is not there, 1618 first, 1638 only for /i', () => {
  assert.deepEqual(['install', 'uninstall', 'repair'].map((a) => msiexecCodeFor('healthy', a as 'install')), [0, 0, 0]);
  assert.deepEqual(['install', 'uninstall', 'repair'].map((a) => msiexecCodeFor('not-installed', a as 'install')), [0, 1605, 1605]);
  assert.deepEqual(['install', 'uninstall', 'repair'].map((a) => msiexecCodeFor('already-installed', a as 'install')), [1638, 0, 0]);
  assert.deepEqual(['install', 'uninstall', 'repair'].map((a) => msiexecCodeFor('reboot-required', a as 'install')), [3010, 3010, 3010]);
  assert.deepEqual(['install', 'uninstall', 'repair'].map((a) => msiexecCodeFor('msi-1618', a as 'install', false)), [1618, 1618, 1618]);
  assert.equal(msiexecCodeFor('healthy', 'uninstall', false), 1605, 'a healthy host whose product was removed');
  assert.equal(msiexecCodeFor('msi-1603', 'repair', true), 1603);
});

test('expectedOutcome is what results.ts makes of the lab\'s msiexec code, for every msiexec profile and action; install is EXPECTED_OUTCOME', () => {
  for (const profile of LAB_PROFILES) assert.deepEqual(expectedOutcome(profile, 'install'), EXPECTED_OUTCOME[profile]);
  const msiexecProfiles = ['healthy', 'slow-link', 'reboot-required', 'msi-1603', 'msi-1618', 'already-installed', 'not-installed'] as const;
  for (const profile of msiexecProfiles) {
    for (const action of ['install', 'uninstall', 'repair'] as const) {
      const code = msiexecCodeFor(profile, action);
      const v = verdictForAgentCode(code === 0 ? 0 : 100000 + code, action);
      const e = expectedOutcome(profile, action);
      assert.equal(v.outcome, e.outcome, `${profile} ${action}`);
      assert.equal(v.errorClass, e.errorClass, `${profile} ${action}`);
      if (e.code) assert.equal(v.code, e.code, `${profile} ${action}`);
    }
  }
  assert.deepEqual(expectedOutcome('not-installed', 'uninstall'), { outcome: 'succeeded', errorClass: null, code: 'MSI 1605' });
  assert.deepEqual(expectedOutcome('not-installed', 'repair'), { outcome: 'failed', errorClass: 'not-installed', code: 'MSI 1605' });
  assert.deepEqual(expectedOutcome('wrong-credentials', 'repair'), EXPECTED_OUTCOME['wrong-credentials'], 'failures before msiexec do not depend on the action');
});
