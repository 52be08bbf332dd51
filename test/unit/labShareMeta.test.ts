// The lab's ADMIN$ keeps metadata (ids, times) for what the console opened or queried; the
// simulated agent writes and deletes its progress and result files on the host's state directly.
// A long task used to leave one entry per push behind (heap growth in the 20 000-push bench):
// entries of files that are gone are swept once they outnumber the live ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabHostState, labPathKey } from '../../main/lab/hostState.js';
import { AdminShare } from '../../main/lab/smb/adminShare.js';
import { labHostConfig } from '../support/labHost.js';

test('metadata of files the agent deleted does not accumulate: 5 000 pushes\' result files queried and deleted leave the share tracking about the live files only', () => {
  const state = new LabHostState(labHostConfig(1, '127.0.207', { port: 14500, profile: 'healthy' }));
  const share = new AdminShare(state, 64 * 1024 * 1024);
  const live = labPathKey('PushInstall\\keep.txt');
  state.files.set(live, Buffer.from('kept'));
  const kept = share.info(live).id;
  for (let i = 0; i < 5000; i++) {
    const key = labPathKey(`PushInstall\\r${i}\\PushInstallAgent.exe.result`);
    state.files.set(key, Buffer.from('{}'));
    assert.equal(share.info(key).endOfFile, 2n);
    state.files.delete(key);
  }
  assert.ok(share.trackedNodes <= 70, `tracked ${share.trackedNodes}`);
  assert.equal(share.info(live).id, kept, 'a live file keeps its id across sweeps');
});
