// The agent's result codes become what the admin reads (agent/README.md exit codes,
// docs/ARCHITECTURE.md §7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verdictForAgentCode } from '../../main/engine/results.js';

test('0 is succeeded; 100000+3010 and 100000+1641 succeed with a restart required', () => {
  assert.equal(verdictForAgentCode(0).outcome, 'succeeded');
  for (const code of [103010, 101641]) {
    const v = verdictForAgentCode(code);
    assert.equal(v.outcome, 'succeeded-reboot-required');
    assert.equal(v.rebootRequired, true);
  }
});

test('msiexec failures keep their Windows Installer code and meaning', () => {
  const cases: [number, RegExp][] = [[101603, /fatal error/], [101618, /another installation/], [101620, /invalid package/], [101625, /policy/], [101638, /another version/]];
  for (const [code, meaning] of cases) {
    const v = verdictForAgentCode(code);
    assert.equal(v.outcome, 'failed');
    assert.equal(v.errorClass, 'msi-failed');
    assert.equal(v.code, `MSI ${code - 100000}`);
    assert.match(v.message, meaning);
    assert.ok(v.advice.length > 10);
  }
  assert.match(verdictForAgentCode(101234).message, /Windows Installer error 1234/);
});

test('each agent code has its own class; 14 is cancelled; an unknown code is not mistaken for success', () => {
  const classes = new Map([[10, 'agent-job'], [11, 'agent-no-callback'], [12, 'agent-certificate'], [13, 'integrity'], [15, 'agent-token'], [16, 'download'], [17, 'already-done'], [18, 'msi-launch']]);
  for (const [code, errorClass] of classes) assert.equal(verdictForAgentCode(code).errorClass, errorClass);
  assert.equal(verdictForAgentCode(14).outcome, 'cancelled');
  assert.equal(verdictForAgentCode(99).outcome, 'failed');
});

test('1605 (the product is not installed) per action: an uninstall succeeds with "nothing to remove", a repair fails as not-installed, an install stays an msiexec failure', () => {
  const uninstall = verdictForAgentCode(101605, 'uninstall');
  assert.deepEqual([uninstall.outcome, uninstall.errorClass, uninstall.code, uninstall.rebootRequired], ['succeeded', null, 'MSI 1605', false]);
  assert.equal(uninstall.message, 'The product was not installed: nothing to remove.');
  const repair = verdictForAgentCode(101605, 'repair');
  assert.deepEqual([repair.outcome, repair.errorClass, repair.code], ['failed', 'not-installed', 'MSI 1605']);
  assert.match(repair.message, /not installed/);
  assert.match(repair.advice, /^Install it first/);
  const install = verdictForAgentCode(101605, 'install');
  assert.deepEqual([install.outcome, install.errorClass], ['failed', 'msi-failed']);
  assert.deepEqual(verdictForAgentCode(101605), install, 'the action defaults to install');
});

test('every action names what it did, and 3010/1641 are a reboot for each', () => {
  assert.deepEqual(['install', 'uninstall', 'repair'].map((a) => verdictForAgentCode(0, a as 'install').message), ['Installed.', 'Removed.', 'Repaired.']);
  for (const action of ['install', 'uninstall', 'repair'] as const) {
    for (const code of [103010, 101641]) {
      const v = verdictForAgentCode(code, action);
      assert.deepEqual([v.outcome, v.rebootRequired, v.code], ['succeeded-reboot-required', true, `MSI ${code - 100000}`], `${action} ${code}`);
      assert.match(v.message, new RegExp(`^${{ install: 'Installed', uninstall: 'Removed', repair: 'Repaired' }[action]}; msiexec returned ${code - 100000}`));
    }
    assert.equal(verdictForAgentCode(101603, action).errorClass, 'msi-failed', `${action}: other msiexec failures do not depend on the action`);
  }
});

test('over SMB, an integrity failure speaks of the copy on the computer, a read failure of the package beside the agent; the class stays the same', () => {
  const copied = verdictForAgentCode(13, 'install', 'smb');
  assert.equal(copied.errorClass, 'integrity');
  assert.match(copied.message, /copied to the computer does not match its SHA-256; nothing was installed/);
  assert.match(copied.advice, /changed the copy on the computer/);
  assert.notEqual(copied.message, verdictForAgentCode(13, 'install', 'callback').message);
  assert.equal(verdictForAgentCode(16, 'install', 'smb').errorClass, 'download');
  assert.match(verdictForAgentCode(16, 'install', 'smb').message, /copied beside it/);
  assert.equal(verdictForAgentCode(0, 'install', 'smb').outcome, 'succeeded');
});
