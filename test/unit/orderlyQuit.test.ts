// The Electron shell's quit waits, bounded, for the vault's ciphertext writes and the database
// close: installOrderlyQuit on a fake app (Electron cannot run here).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { installOrderlyQuit } from '../../main/electron/orderlyQuit.js';

class FakeApp extends EventEmitter {
  quits = 0;
  exited = false;
  /** Like Electron: quit() fires will-quit; the process ends unless a listener prevents it. */
  quit(): void {
    this.quits++;
    let prevented = false;
    this.emit('will-quit', { preventDefault: () => (prevented = true) });
    if (!prevented) this.exited = true;
  }
}

test('the first quit is held until the work is done, then the app quits for real', async () => {
  const app = new FakeApp();
  let release!: () => void;
  const written: string[] = [];
  installOrderlyQuit(app, async () => {
    await new Promise<void>((r) => (release = r));
    written.push('ciphertext', 'database closed');
  });
  app.quit();
  assert.equal(app.exited, false, 'held while the vault writes');
  app.quit();
  assert.equal(app.exited, false, 'a second quit meanwhile is held too, and the work is not run twice');
  release();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(written, ['ciphertext', 'database closed']);
  assert.equal(app.exited, true);
});

test('a failing or stuck flush cannot keep the console from quitting: it is logged and bounded', async () => {
  const failing = new FakeApp();
  const lines: string[] = [];
  installOrderlyQuit(failing, () => Promise.reject(new Error('keyring gone')), { log: (l) => lines.push(l) });
  failing.quit();
  await new Promise((r) => setImmediate(r));
  assert.equal(failing.exited, true);
  assert.match(lines.join('\n'), /While quitting: keyring gone/);

  const stuck = new FakeApp();
  installOrderlyQuit(stuck, () => new Promise<void>(() => undefined), { boundMs: 50, log: (l) => lines.push(l) });
  const t0 = Date.now();
  stuck.quit();
  while (!stuck.exited && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 10));
  assert.equal(stuck.exited, true);
  assert.match(lines.at(-1)!, /without waiting longer/);
});
