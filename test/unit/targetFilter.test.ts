// Installation History's filter (renderer/history/targetFilter.ts): by outcome group and by a text
// found in the name, error class, code, exit code, advice or message — case aside.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaskTarget } from '../../main/ipc/contract.js';
import { filterTargets } from '../../renderer/history/targetFilter.js';

const target = (id: number, over: Partial<TaskTarget>): TaskTarget => ({
  id, taskId: 1, computerId: null, computerName: `LAB-PC-${String(id).padStart(3, '0')}`, state: 'done', outcome: null, errorClass: null, errorCode: null,
  errorMessage: null, advice: null, exitCode: null, ...over,
} as TaskTarget);

const targets = [
  target(1, { outcome: 'succeeded', exitCode: 0 }),
  target(2, { outcome: 'failed', errorClass: 'logon-failure', errorCode: 'STATUS_LOGON_FAILURE', advice: 'Check the user name and password.' }),
  target(3, { outcome: 'failed', errorClass: 'msi-failed', errorCode: 'MSI 1603', exitCode: 1603, errorMessage: 'Fatal error during installation.' }),
  target(4, { outcome: 'succeeded-reboot-required', exitCode: 3010 }),
  target(5, { state: 'installing', outcome: null }),
  target(6, { outcome: 'cancelled', errorClass: 'cancelled' }),
];
const ids = (list: readonly TaskTarget[]) => list.map((t) => t.id);

test('groups: failed takes cancelled and interrupted too; succeeded takes reboot-required; not finished is what still runs', () => {
  assert.deepEqual(ids(filterTargets(targets, '', 'failed')), [2, 3, 6]);
  assert.deepEqual(ids(filterTargets(targets, '', 'succeeded')), [1, 4]);
  assert.deepEqual(ids(filterTargets(targets, '', 'open')), [5]);
});

test('text matches the name, class, code, exit code, advice and message, case aside, within the group', () => {
  assert.deepEqual(ids(filterTargets(targets, 'LOGON-failure', 'all')), [2]);
  assert.deepEqual(ids(filterTargets(targets, '1603', 'all')), [3]);
  assert.deepEqual(ids(filterTargets(targets, '3010', 'succeeded')), [4]);
  assert.deepEqual(ids(filterTargets(targets, 'password', 'all')), [2]);
  assert.deepEqual(ids(filterTargets(targets, 'fatal error', 'failed')), [3]);
  assert.deepEqual(ids(filterTargets(targets, 'lab-pc-00', 'open')), [5]);
  assert.deepEqual(ids(filterTargets(targets, 'nothing like it', 'all')), []);
});

test('no filter gives the same array back (the grid does not re-render for nothing)', () => {
  assert.equal(filterTargets(targets, '  ', 'all'), targets);
});
