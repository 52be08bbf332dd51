// The agent's result codes become what the admin reads (agent/README.md exit codes, DESIGN.md §3).
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
