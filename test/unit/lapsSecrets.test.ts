// The per-target LAPS password map (main/engine/lapsSecrets.ts): a target's password is held while
// its push runs — the agent's install credential comes from it — and forgotten when the push ends,
// is cancelled (the push's abort makes it settle) or throws (a crashed turn); a retry holds the next
// read's password, and one target's end never drops another's. Each password is registered, scoped
// to its target, so redaction and the history exports know it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LapsSecret } from '../../main/import/lapsReader.js';
import { lapsScope, TargetLapsSecrets } from '../../main/engine/lapsSecrets.js';
import { redactSecrets, scopedSecretForms } from '../../main/smb/auth/secretRegistry.js';

const secret = (password: string, account = 'Administrator'): LapsSecret => ({ account, password, attribute: 'msLAPS-Password', expiresAt: null, expired: false, updatedAt: null, dn: 'CN=PC,DC=corp' });

test('held during the push, for the agent\'s hand-off as a local account; forgotten once the push resolves', async () => {
  const map = new TargetLapsSecrets();
  const s = secret('Unit-laps-pw-1', 'LapsAdmin');
  const result = await map.during(11, s, async () => {
    assert.equal(map.size, 1);
    assert.deepEqual(map.installCredential(11), { user: 'LapsAdmin', domain: '.', password: 'Unit-laps-pw-1' });
    assert.equal(map.installCredential(12), null, 'another target gets nothing of it');
    return 'done';
  });
  assert.equal(result, 'done');
  assert.equal(map.size, 0);
  assert.equal(map.installCredential(11), null);
  assert.equal(redactSecrets('x Unit-laps-pw-1 y'), 'x [redacted] y', 'registered for redaction');
  assert.ok(scopedSecretForms(lapsScope(11)).includes('Unit-laps-pw-1'), 'scoped to its target for the exports');
  assert.deepEqual(scopedSecretForms(lapsScope(12)), []);
});

test('forgotten when the push throws (a crashed turn) and when it is cancelled', async () => {
  const map = new TargetLapsSecrets();
  await assert.rejects(map.during(21, secret('Unit-laps-pw-2'), () => Promise.reject(new Error('turn crashed'))), /turn crashed/);
  assert.equal(map.size, 0);
  assert.equal(map.has(21), false);

  const controller = new AbortController();
  const cancelled = map.during(22, secret('Unit-laps-pw-3'), () => new Promise<string>((resolve) => controller.signal.addEventListener('abort', () => resolve('cancelled'))));
  assert.equal(map.has(22), true, 'held while the push waits');
  controller.abort();
  assert.equal(await cancelled, 'cancelled');
  assert.equal(map.size, 0);
});

test('two targets at once: one ending leaves the other held; a retry holds its own new read, then nothing', async () => {
  const map = new TargetLapsSecrets();
  let finishA!: () => void;
  const a = map.during(31, secret('Unit-laps-pw-4'), () => new Promise<void>((resolve) => (finishA = resolve)));
  const b = map.during(32, secret('Unit-laps-pw-5'), () => Promise.resolve());
  await b;
  assert.deepEqual([map.has(31), map.has(32)], [true, false]);
  finishA();
  await a;
  assert.equal(map.size, 0);
  // Offline, queued again, read again: the second attempt holds the new password only while it runs.
  await map.during(31, secret('Unit-laps-pw-6'), async () => assert.equal(map.installCredential(31)!.password, 'Unit-laps-pw-6'));
  assert.equal(map.size, 0);
  assert.deepEqual(new Set(scopedSecretForms(lapsScope(31)).filter((f) => f.startsWith('Unit-laps-pw'))), new Set(['Unit-laps-pw-4', 'Unit-laps-pw-6']));
});
