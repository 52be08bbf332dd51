// The Electron shell's vault (main/electron/safeStorageBackend.ts) over a stand-in with Electron's
// safeStorage interface — the real one exists only inside Electron, which cannot be downloaded
// here. A remembered password is stored only as ciphertext in its row and comes back after a
// restart; a basic_text backend on Linux (a fixed key) is refused with the reason and secrets stay
// in memory; a ciphertext the OS key no longer opens is said so; removing a credential clears it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { SafeStorageVault, type SafeStorageApi } from '../../main/electron/safeStorageBackend.js';
import { openDatabase } from '../../main/store/database.js';

/** AES-256-GCM under a key of its own, as the OS would keep it; `backend` as Electron reports it. */
function standIn(key = crypto.randomBytes(32), backend = 'gnome_libsecret'): SafeStorageApi & { calls: number } {
  const api = {
    calls: 0,
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => backend as ReturnType<SafeStorageApi['getSelectedStorageBackend']>,
    encryptStringAsync: async (text: string) => {
      api.calls += 1;
      const iv = crypto.randomBytes(12);
      const c = crypto.createCipheriv('aes-256-gcm', key, iv);
      return Buffer.concat([iv, c.update(text, 'utf8'), c.final(), c.getAuthTag()]);
    },
    decryptStringAsync: async (blob: Buffer) => {
      const d = crypto.createDecipheriv('aes-256-gcm', key, blob.subarray(0, 12));
      d.setAuthTag(blob.subarray(blob.length - 16));
      return { result: Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]).toString('utf8'), shouldReEncrypt: false };
    },
  };
  return api;
}

test('a remembered password is kept only as ciphertext in its row and comes back after a restart; removing it clears the row', async (t) => {
  const db = openDatabase({ location: ':memory:' });
  t.after(() => db.close());
  const key = crypto.randomBytes(32);
  const lines: string[] = [];
  const first = new SafeStorageVault(db, (l) => lines.push(l), standIn(key), 'win32');
  await first.ready;
  assert.equal(first.problem, null);
  const id = first.put('CORP admin', 'CORP\\admin', 'S3cret-pass', { remember: true });
  await first.flush();
  const row = db.prepare('SELECT secret_blob FROM credentials WHERE id = ?').get(id) as { secret_blob: Buffer };
  assert.ok(Buffer.isBuffer(row.secret_blob) && row.secret_blob.length > 16);
  assert.equal(row.secret_blob.includes(Buffer.from('S3cret-pass')), false, 'no password in clear in the database');

  const second = new SafeStorageVault(db, (l) => lines.push(l), standIn(key), 'win32');
  await second.ready;
  assert.equal(second.installCredential(id)?.password, 'S3cret-pass', 'decrypted at start');
  second.remove(id);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM credentials').get() as { n: number }).n, 0);
  assert.deepEqual(lines, []);
});

test('Linux with the basic_text backend is refused with its reason: secrets stay in memory and are gone after a restart', async (t) => {
  const db = openDatabase({ location: ':memory:' });
  t.after(() => db.close());
  const lines: string[] = [];
  const safe = standIn(undefined, 'basic_text');
  const vault = new SafeStorageVault(db, (l) => lines.push(l), safe, 'linux');
  await vault.ready;
  assert.match(vault.problem ?? '', /basic_text/);
  assert.equal(vault.storage, 'memory');
  const id = vault.put('x', 'admin', 'pw', { remember: true });
  assert.equal(safe.calls, 0, 'nothing was handed to the fixed-key backend');
  assert.ok(vault.logon(id));
  const after = new SafeStorageVault(db, () => undefined, safe, 'linux');
  assert.equal(after.logon(id), null);
  assert.equal(lines.length, 1);
});

test('a ciphertext the OS key no longer opens is said so, and that credential must be set again', async (t) => {
  const db = openDatabase({ location: ':memory:' });
  t.after(() => db.close());
  const first = new SafeStorageVault(db, () => undefined, standIn(), 'darwin');
  const id = first.put('x', 'admin', 'pw', { remember: true });
  await first.flush();
  const lines: string[] = [];
  const other = new SafeStorageVault(db, (l) => lines.push(l), standIn(), 'darwin');
  await other.ready;
  assert.equal(other.logon(id), null);
  assert.match(lines.join('\n'), /could not be decrypted/);
});
