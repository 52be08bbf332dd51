// The credential vault against a real Secret Service (gnome-keyring in a private
// D-Bus session, unlocked for the test): store, read, delete, read again from a new process; the
// database keeps only the reference; `remember: false` never reaches the keychain; with no
// Secret Service reachable the vault falls back to memory and says so. (Never the kernel keyring.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../support/childProcess.js';
import { startSecretService, type SecretService } from '../support/secretService.js';
import { tempDirFor } from '../support/tempDir.js';

interface ChildResult {
  storage?: string;
  problem?: string | null;
  id?: number;
  password?: string | null;
  credential?: { id: number; user: string; domain: string; password: string } | null;
  list?: { id: number; label: string; user: string; domain: string; available: boolean; storage: string }[];
  refs?: { id: number; secret_ref: string }[];
  error?: string;
}

function child(env: NodeJS.ProcessEnv, dataDir: string, ...args: string[]): { out: ChildResult; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/keychainChild.ts', dataDir, ...args], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `keychainChild ${args.join(' ')} failed (${r.status} ${r.signal}):\n${r.stderr}`);
  return { out: JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult, stderr: r.stderr };
}

function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (fs.readFileSync(file).includes(Buffer.from(needle, 'utf8'))) hits.push(file);
  }
  return hits;
}

describe('keychain vault (gnome-keyring Secret Service)', () => {
  let service: SecretService;
  before(async () => {
    service = await startSecretService();
  });
  after(async () => {
    await service?.close();
  });

  test('store, read from a new process, delete, read again from a new process', (t) => {
    const data = tempDirFor(t, 'pic-keychain-data-');
    const password = `Kc-${crypto.randomBytes(12).toString('hex')}!`;
    const env = { ...service.env, PIC_KEYCHAIN_PASSWORD: password };

    const put = child(env, data, 'put', 'Domain admin', 'CORP\\pushadmin', 'true').out;
    assert.equal(put.storage, 'keychain', `problem: ${put.problem}`);
    assert.equal(put.problem, null);
    const id = put.id!;
    const ref = put.refs!.find((r) => r.id === id)!.secret_ref;
    assert.match(ref, /^keychain:[0-9a-f-]{36}$/);
    assert.deepEqual(put.list!.find((c) => c.id === id), { id, label: 'Domain admin', user: 'pushadmin', domain: 'CORP', available: true, storage: 'keychain', keeps: 'password' });
    // The database (and its WAL) and the whole data folder hold the reference, never the secret.
    assert.deepEqual(filesContaining(data, password), []);
    // …while the keyring's own file holds it (encrypted: the plain text is not there either).
    assert.deepEqual(filesContaining(service.home, password), []);

    // A new process reads it back, through the vault and straight from the keychain by ref.
    const read = child(env, data, 'get', String(id)).out;
    assert.deepEqual(read.credential, { user: 'pushadmin', domain: 'CORP', password });
    assert.equal(read.list!.find((c) => c.id === id)!.available, true);
    assert.equal(child(env, data, 'raw-get', ref).out.password, password);

    // Deleting the credential removes the keychain item.
    const removed = child(env, data, 'remove', String(id)).out;
    assert.equal(removed.list!.some((c) => c.id === id), false);
    assert.equal(child(env, data, 'raw-get', ref).out.password, null);
    assert.equal(child(env, data, 'get', String(id)).out.credential, null);
  });

  test('remember: false keeps the secret in memory only: a new process does not have it', (t) => {
    const data = tempDirFor(t, 'pic-keychain-data-');
    const password = `Mem-${crypto.randomBytes(12).toString('hex')}`;
    const env = { ...service.env, PIC_KEYCHAIN_PASSWORD: password };
    const put = child(env, data, 'put', 'Once', 'localadmin', 'false').out;
    const id = put.id!;
    assert.equal(put.list!.find((c) => c.id === id)!.storage, 'memory');
    assert.match(put.refs!.find((r) => r.id === id)!.secret_ref, /^memory:/);
    const later = child(env, data, 'get', String(id)).out;
    assert.equal(later.credential, null);
    assert.deepEqual(later.list!.find((c) => c.id === id), { id, label: 'Once', user: 'localadmin', domain: '', available: false, storage: 'memory', keeps: 'password' });
    assert.deepEqual(filesContaining(data, password), []);
  });

  test('a credential whose keychain item was deleted outside the console can still be removed', (t) => {
    const data = tempDirFor(t, 'pic-keychain-data-');
    const env = { ...service.env, PIC_KEYCHAIN_PASSWORD: `Gone-${crypto.randomBytes(8).toString('hex')}` };
    const put = child(env, data, 'put', 'Gone', 'CORP\\gone', 'true').out;
    const ref = put.refs!.find((r) => r.id === put.id)!.secret_ref;
    child(env, data, 'raw-delete', ref);
    const removed = child(env, data, 'remove', String(put.id)).out;
    assert.equal(removed.error, undefined);
    assert.equal(removed.list!.some((c) => c.id === put.id), false);
  });

  test('a locked keychain: removing a remembered credential is refused with the reason, and the credential and its keychain item stay', async (t) => {
    const data = tempDirFor(t, 'pic-keychain-data-');
    const password = `Locked-${crypto.randomBytes(8).toString('hex')}`;
    const env = { ...service.env, PIC_KEYCHAIN_PASSWORD: password };
    const put = child(env, data, 'put', 'Locked', 'CORP\\locked', 'true').out;
    const ref = put.refs!.find((r) => r.id === put.id)!.secret_ref;
    try {
      service.lock();
      const refused = child(env, data, 'remove', String(put.id)).out;
      assert.match(refused.error ?? '', /keychain that holds this password cannot be reached now/);
      assert.match(refused.error ?? '', /unlock prompt was dismissed|locked|cannot be used/i);
      assert.deepEqual(refused.list!.filter((c) => c.id === put.id).map((c) => [c.available, c.storage]), [[false, 'keychain']]);
    } finally {
      await service.unlock();
    }
    assert.equal(child(env, data, 'raw-get', ref).out.password, password, 'the keychain item is still there');
    assert.equal(child(env, data, 'remove', String(put.id)).out.error, undefined, 'unlocked, the removal goes through');
    assert.equal(child(env, data, 'raw-get', ref).out.password, null);
  });

  test('no Secret Service reachable: the vault falls back to memory and says why', (t) => {
    const data = tempDirFor(t, 'pic-keychain-data-');
    const env: NodeJS.ProcessEnv = { ...service.env, PIC_KEYCHAIN_PASSWORD: 'fallback-secret' };
    // No bus address, and no $XDG_RUNTIME_DIR/bus for libdbus to find by itself.
    delete env.DBUS_SESSION_BUS_ADDRESS;
    env.XDG_RUNTIME_DIR = tempDirFor(t, 'pic-keychain-run-');
    const { out, stderr } = child(env, data, 'put', 'Fallback', 'admin', 'true');
    assert.equal(out.storage, 'memory');
    assert.match(out.problem ?? '', /OS keychain cannot be used .*kept in memory only/);
    assert.match(stderr, /OS keychain cannot be used/);
    assert.equal(out.list!.find((c) => c.id === out.id)!.storage, 'memory');
    assert.equal(out.list!.find((c) => c.id === out.id)!.available, true);
  });
});
