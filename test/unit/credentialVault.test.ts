// Holding the NT hash instead of the password where possible (docs/ARCHITECTURE.md §6): what
// the vault hands to its backend (the keychain, safeStorage) and to its callers. The SMB logon gets
// the NT hash, never the password; a hash-only credential never gives the password to anything, not
// even the backend; the password leaves the vault only through installCredential (the agent's TLS
// hand-off).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackedVault, MemoryVault, type SecretBackend } from '../../main/engine/credentials.js';
import { ntHash } from '../../main/smb/auth/ntlm/client.js';
import { openDatabase } from '../../main/store/database.js';

class RecordingBackend implements SecretBackend {
  readonly prefix = 'keychain:';
  readonly items = new Map<string, string>();
  readonly written: string[] = [];
  set(ref: string, secret: string): void {
    this.items.set(ref, secret);
    this.written.push(secret);
  }
  get(ref: string): string | null {
    return this.items.get(ref) ?? null;
  }
  has(ref: string): boolean {
    return this.items.has(ref);
  }
  delete(ref: string): void {
    this.items.delete(ref);
  }
}

const PASSWORD = 'Pässwörd-€-9!';
const HASH = ntHash(PASSWORD);

test('a hash-only credential: the keychain receives the NT hash in hex and never the password; SMB gets the hash; no install password exists', () => {
  const db = openDatabase({ location: ':memory:' });
  const backend = new RecordingBackend();
  const vault = new BackedVault(db, backend);
  const id = vault.put('ops', 'CORP\\ops', PASSWORD, { remember: true, keep: 'nt-hash' });
  assert.deepEqual(backend.written, [HASH.toString('hex')]);
  const logon = vault.logon(id)!;
  assert.ok(logon.ntHash.equals(HASH));
  assert.equal(logon.keeps, 'nt-hash');
  assert.equal(logon.user, 'ops');
  assert.equal(logon.domain, 'CORP');
  assert.equal(vault.installCredential(id), null, 'a hash-only credential cannot install as the account');
  assert.deepEqual(vault.list().map((c) => [c.keeps, c.storage, c.available]), [['nt-hash', 'keychain', true]]);
  assert.deepEqual(vault.scrubForms(id), [HASH.toString('hex'), HASH.toString('hex').toUpperCase()]);
  assert.ok(!JSON.stringify(db.prepare('SELECT * FROM credentials').all()).includes(PASSWORD));
  db.close();
});

test('a password credential: SMB still gets only the NT hash; the password comes out only for the install hand-off', () => {
  const db = openDatabase({ location: ':memory:' });
  const vault = new MemoryVault(db);
  const id = vault.put('admin', 'admin@corp.example', PASSWORD, { remember: false });
  const logon = vault.logon(id)!;
  assert.ok(logon.ntHash.equals(HASH));
  assert.equal(logon.keeps, 'password');
  assert.ok(!('password' in logon), 'the logon material has no password field');
  assert.deepEqual(vault.installCredential(id), { user: 'admin', domain: 'corp.example', password: PASSWORD });
  assert.deepEqual(vault.scrubForms(id), [PASSWORD, HASH.toString('hex'), HASH.toString('hex').toUpperCase()]);
  assert.equal(vault.list()[0]!.keeps, 'password');
  db.close();
});

test('a hash-only secret that was tampered with in the keychain is refused, not used as a wrong hash', () => {
  const db = openDatabase({ location: ':memory:' });
  const backend = new RecordingBackend();
  const vault = new BackedVault(db, backend);
  const id = vault.put('ops', 'ops', PASSWORD, { keep: 'nt-hash' });
  const [ref] = [...backend.items.keys()];
  backend.items.set(ref!, 'not-a-hash');
  assert.equal(vault.logon(id), null);
  db.close();
});

test('credentials stored before migration 4 (no secret_kind) read back as passwords', () => {
  const db = openDatabase({ location: ':memory:' });
  const backend = new RecordingBackend();
  backend.items.set('keychain:legacy', PASSWORD);
  // A row as migration 3 wrote it: secret_kind is left to its default.
  const id = Number(
    db.prepare('INSERT INTO credentials (label, domain, username, secret_ref, created_at) VALUES (?, ?, ?, ?, ?)')
      .run('old', 'CORP', 'old', 'keychain:legacy', new Date().toISOString()).lastInsertRowid,
  );
  const vault = new BackedVault(db, backend);
  assert.equal(vault.list()[0]!.keeps, 'password');
  assert.ok(vault.logon(id)!.ntHash.equals(HASH));
  assert.equal(vault.installCredential(id)!.password, PASSWORD);
  assert.throws(() => db.prepare("UPDATE credentials SET secret_kind = 'plaintext' WHERE id = ?").run(id), /CHECK constraint/);
  db.close();
});

test('a LAPS credential: the directory in its row (never a password), the reading account\'s password kept as any secret, no logon of its own', () => {
  const db = openDatabase({ location: ':memory:' });
  const backend = new RecordingBackend();
  const vault = new BackedVault(db, backend);
  const connection = { url: 'ldaps://dc01.corp.example', baseDn: 'DC=corp,DC=example', startTls: false, allowUntrusted: false, caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' };
  const id = vault.putLaps('LAPS corp', connection, 'CN=reader,OU=Service Accounts,DC=corp,DC=example', PASSWORD, { remember: true });
  assert.deepEqual(backend.written, [PASSWORD], 'the reader\'s password goes to the keychain as any remembered one');
  const [listed] = vault.list();
  assert.deepEqual(listed, {
    id, label: 'LAPS corp', user: 'CN=reader,OU=Service Accounts,DC=corp,DC=example', domain: '', available: true, storage: 'keychain', keeps: 'password',
    laps: { url: 'ldaps://dc01.corp.example', baseDn: 'DC=corp,DC=example', startTls: false, allowUntrusted: false, ca: true, bindDn: 'CN=reader,OU=Service Accounts,DC=corp,DC=example' },
  });
  assert.equal(vault.logon(id), null, 'no SMB logon of its own: each computer\'s LAPS password is read at push time');
  assert.equal(vault.installCredential(id), null);
  assert.equal(vault.held(id), true);
  const dir = vault.lapsDirectory(id)!;
  assert.deepEqual({ ...dir }, { url: connection.url, baseDn: connection.baseDn, bindDn: 'CN=reader,OU=Service Accounts,DC=corp,DC=example', password: PASSWORD, startTls: false, allowUntrusted: false, ca: connection.caPem });
  const row = JSON.stringify(db.prepare('SELECT * FROM credentials').all());
  assert.ok(!row.includes(PASSWORD) && row.includes('"kind":"laps"'), row);
  // Not remembered: memory only, gone for a new vault over the same database (a restart).
  const once = vault.putLaps('LAPS once', { ...connection, url: 'ldap://dc02.corp.example:389', startTls: true, caPem: null }, 'reader@corp.example', 'other-pw', { remember: false });
  assert.equal(vault.list().find((c) => c.id === once)!.storage, 'memory');
  const restarted = new BackedVault(db, backend);
  assert.equal(restarted.held(once), false);
  assert.equal(restarted.lapsDirectory(once), null);
  assert.equal(restarted.lapsDirectory(id)!.password, PASSWORD);
  // An account credential is not a LAPS one.
  assert.equal(vault.lapsDirectory(vault.put('x', 'CORP\\x', 'pw')), null);
  vault.remove(id);
  assert.ok(![...backend.items.values()].includes(PASSWORD), 'removing it removes its keychain item');
  db.close();
});

test('a LAPS directory that would send passwords in clear, or is not LDAP, is refused', () => {
  const db = openDatabase({ location: ':memory:' });
  const vault = new MemoryVault(db);
  const base = { url: 'ldaps://dc01', baseDn: 'DC=corp', startTls: false, allowUntrusted: false, caPem: null };
  for (const bad of [{ url: 'ldap://dc01' }, { url: 'https://dc01' }, { url: 'ldaps://dc01', startTls: true }, { baseDn: ' ' }, { caPem: 'not a certificate' }]) {
    assert.throws(() => vault.putLaps('bad', { ...base, ...bad }, 'reader', 'pw'), (e: Error & { errorClass?: string }) => e.errorClass === 'invalid-request', JSON.stringify(bad));
  }
  assert.throws(() => vault.putLaps('bad', base, ' ', 'pw'), /reads the passwords/);
  assert.deepEqual(vault.list(), []);
  db.close();
});
