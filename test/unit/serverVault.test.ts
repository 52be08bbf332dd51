// The Push Install Server's credential vault (main/serverMode/serverVault.ts) on SQLite: a secret
// is kept only as AES-256-GCM ciphertext in its row and comes back in a new vault over the same
// database and key; no column of any table, and no byte of the database files, holds the password
// (UTF-8 or UTF-16LE) or the key-encryption key; the key file is made 0600 and one open to group or
// others, or not 32 raw bytes, is refused naming the file; a wrong key, an altered blob and a blob
// copied to another row are not decrypted and are reported once each. The same on a real
// PostgreSQL: test/interop/serverVaultPg.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ntHash } from '../../main/smb/auth/ntlm/client.js';
import { DATABASE_FILE_NAME, openDatabase } from '../../main/store/database.js';
import type { Db } from '../../main/store/database.js';
import {
  KEY_FILE_NAME,
  ServerKeyError,
  openSecret,
  openServerVault,
  sealSecret,
  type KekKeychainItem,
} from '../../main/serverMode/serverVault.js';
import { tempDirFor } from '../support/tempDir.js';

const PASSWORD = 'Sérver-Pässwörd-€-42!';
const POSIX = process.platform !== 'win32';

interface Setup {
  readonly dir: string;
  readonly dataDir: string;
  readonly keyFile: string;
  readonly lines: string[];
  open(): Db;
}

function setup(t: { after(fn: () => void): void }): Setup {
  const dir = tempDirFor(t, 'pic-server-vault-');
  const dataDir = path.join(dir, 'data');
  const lines: string[] = [];
  const opened: Db[] = [];
  t.after(() => opened.forEach((db) => db.open && db.close()));
  return {
    dir,
    dataDir,
    keyFile: path.join(dataDir, KEY_FILE_NAME),
    lines,
    open: () => {
      const db = openDatabase({ location: dataDir });
      opened.push(db);
      return db;
    },
  };
}

function vaultOver(db: Db, s: Setup) {
  return openServerVault(db, { dataDir: s.dataDir, kek: 'file', log: (l) => s.lines.push(l) });
}

/** Every value of every column of every table, as bytes (a BLOB as it is, anything else as UTF-8 text). */
function everyValue(db: Db): { where: string; bytes: Buffer }[] {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  const out: { where: string; bytes: Buffer }[] = [];
  for (const table of tables) {
    for (const row of db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[]) {
      for (const [column, value] of Object.entries(row)) {
        if (value === null || value === undefined) continue;
        const bytes = value instanceof Uint8Array ? Buffer.from(value) : Buffer.from(String(value), 'utf8');
        out.push({ where: `${table}.${column}`, bytes });
      }
    }
  }
  return out;
}

/** The database's files on disk (the database, its WAL and journal when there). */
function databaseFiles(s: Setup): Buffer[] {
  return fs.readdirSync(s.dataDir).filter((f) => f.startsWith(DATABASE_FILE_NAME)).map((f) => fs.readFileSync(path.join(s.dataDir, f)));
}

/** Asserts no needle is in the database; `canary` (a label stored in it) must be found, so the scan is known to see the data. */
function assertAbsent(db: Db, s: Setup, canary: string, needles: Record<string, Buffer>): void {
  const values = everyValue(db);
  assert.ok(values.some((v) => v.where === 'credentials.secret_blob'), 'secret_blob is among the columns scanned');
  assert.ok(values.some((v) => v.where === 'credentials.label' && v.bytes.includes(Buffer.from(canary))), 'the scan of the columns finds the canary');
  assert.ok(databaseFiles(s).some((f) => f.includes(Buffer.from(canary))), 'the scan of the files finds the canary');
  for (const [name, needle] of Object.entries(needles)) {
    for (const v of values) assert.equal(v.bytes.includes(needle), false, `${name} found in ${v.where}`);
    for (const file of databaseFiles(s)) assert.equal(file.includes(needle), false, `${name} found in the database files`);
  }
}

test('a secret survives closing and reopening: a new vault over the same database and key file decrypts it; removing it clears its blob', (t) => {
  const s = setup(t);
  const db = s.open();
  const first = vaultOver(db, s);
  assert.equal(first.problem, null);
  assert.equal(first.storage, 'keychain', 'remembered: still there after a restart');
  const id = first.put('CORP admin', 'CORP\\admin', PASSWORD);
  const hashOnly = first.put('ops', 'CORP\\ops', PASSWORD, { keep: 'nt-hash' });
  const laps = first.putLaps('LAPS', { url: 'ldaps://dc.corp.example', baseDn: 'DC=corp,DC=example', startTls: false, allowUntrusted: false, caPem: null }, 'CN=reader,DC=corp,DC=example', PASSWORD);
  const notRemembered = first.put('once', 'CORP\\once', PASSWORD, { remember: false });
  db.close();

  const again = s.open();
  const second = vaultOver(again, s);
  assert.equal(second.installCredential(id)?.password, PASSWORD);
  assert.ok(second.logon(hashOnly)?.ntHash.equals(ntHash(PASSWORD)));
  assert.equal(second.lapsDirectory(laps)?.password, PASSWORD);
  assert.equal(second.held(notRemembered), false, 'a secret not remembered is gone after the restart');
  assert.deepEqual(second.list().map((c) => [c.id, c.available, c.storage]), [[id, true, 'keychain'], [hashOnly, true, 'keychain'], [laps, true, 'keychain'], [notRemembered, false, 'memory']]);
  assert.deepEqual(s.lines.filter((l) => !l.startsWith("Made the server's credential key")), [], 'nothing to report');

  second.remove(id);
  assert.equal((again.prepare('SELECT COUNT(*) AS n FROM credentials WHERE id = ?').get(id) as { n: number }).n, 0);
  const third = vaultOver(again, s);
  assert.equal(third.held(id), false);
  assert.equal(third.installCredential(hashOnly), null, 'hash-only: no password to install with');
});

test('the database holds no plaintext: no column of any table (secret_blob included) and no byte of its files has the password in UTF-8 or UTF-16LE, nor the kept NT hash', (t) => {
  const s = setup(t);
  const db = s.open();
  const vault = vaultOver(db, s);
  const canary = `canary-${crypto.randomBytes(8).toString('hex')}`;
  vault.put(canary, 'CORP\\admin', PASSWORD);
  vault.put('ops', 'CORP\\ops', PASSWORD, { keep: 'nt-hash' });
  const blobs = db.prepare('SELECT secret_blob FROM credentials').pluck().all() as Uint8Array[];
  assert.equal(blobs.length, 2);
  for (const b of blobs) assert.ok(b instanceof Uint8Array && b.length >= 1 + 12 + 16, 'each row holds its ciphertext');
  const hex = ntHash(PASSWORD).toString('hex');
  const needles = {
    'the password (UTF-8)': Buffer.from(PASSWORD, 'utf8'),
    'the password (UTF-16LE)': Buffer.from(PASSWORD, 'utf16le'),
    'the NT hash (hex)': Buffer.from(hex),
    'the NT hash (bytes)': ntHash(PASSWORD),
  };
  assertAbsent(db, s, canary, needles);
  db.close();
  // Closed: the WAL folded into the database file, which is scanned whole.
  for (const file of databaseFiles(s)) for (const [name, needle] of Object.entries(needles)) assert.equal(file.includes(needle), false, `${name} in the closed database`);
});

test('the KEK never appears in the database: not raw, hex or base64, in any column or in the database files', (t) => {
  const s = setup(t);
  const db = s.open();
  const vault = vaultOver(db, s);
  const canary = `canary-${crypto.randomBytes(8).toString('hex')}`;
  for (let i = 0; i < 5; i += 1) vault.put(`${canary} ${i}`, `CORP\\admin${i}`, `${PASSWORD}${i}`);
  const kek = fs.readFileSync(s.keyFile);
  assert.equal(kek.length, 32);
  const needles = { 'the KEK': kek, 'the KEK (hex)': Buffer.from(kek.toString('hex')), 'the KEK (base64)': Buffer.from(kek.toString('base64')) };
  assertAbsent(db, s, canary, needles);
  db.close();
  for (const file of databaseFiles(s)) for (const [name, needle] of Object.entries(needles)) assert.equal(file.includes(needle), false, `${name} in the closed database`);
});

test('the key file is made on first run with mode 0600, holding 32 raw bytes, and no temp file is left', { skip: !POSIX && 'POSIX modes' }, (t) => {
  const s = setup(t);
  assert.equal(fs.existsSync(s.dataDir), false);
  const db = s.open();
  vaultOver(db, s);
  const st = fs.statSync(s.keyFile);
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(st.size, 32);
  assert.deepEqual(fs.readdirSync(s.dataDir).filter((f) => f.includes('.tmp')), []);
  assert.match(s.lines.join('\n'), new RegExp(`Made the server's credential key ${s.keyFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const before = fs.readFileSync(s.keyFile);
  vaultOver(db, s);
  assert.ok(fs.readFileSync(s.keyFile).equals(before), 'a second start reuses the key');
});

test('a key file open to group or others (0644, 0640, 0604, 0620) is refused with an error naming the file, and the vault is not opened', { skip: !POSIX && 'POSIX modes' }, (t) => {
  const s = setup(t);
  const db = s.open();
  vaultOver(db, s);
  for (const mode of [0o644, 0o640, 0o604, 0o620]) {
    fs.chmodSync(s.keyFile, mode);
    assert.throws(
      () => vaultOver(db, s),
      (e: unknown) => e instanceof ServerKeyError && e.file === s.keyFile && e.message.includes(s.keyFile) && e.message.includes(`mode 0${mode.toString(8)}`) && /chmod 600/.test(e.advice),
    );
  }
  fs.chmodSync(s.keyFile, 0o400);
  assert.equal(vaultOver(db, s).problem, null, 'owner read-only is fine');
});

test('a key file that is not 32 raw bytes is refused naming the file (hex text said so), and never replaced', (t) => {
  const s = setup(t);
  fs.mkdirSync(s.dataDir, { recursive: true });
  const db = s.open();
  for (const [content, hint] of [[crypto.randomBytes(32).toString('hex'), /looks like hex text/], [crypto.randomBytes(31), /holds 31 bytes/], [crypto.randomBytes(32).toString('base64'), /looks like base64 text/]] as const) {
    fs.writeFileSync(s.keyFile, content, { mode: 0o600 });
    fs.chmodSync(s.keyFile, 0o600);
    assert.throws(() => vaultOver(db, s), (e: unknown) => e instanceof ServerKeyError && e.message.includes(s.keyFile) && /exactly 32 raw random bytes/.test(e.message) && hint.test(e.message));
    assert.deepEqual(fs.readFileSync(s.keyFile), Buffer.from(content as string | Buffer), 'left as it was');
  }
});

test('a wrong key is not used to decrypt: every credential is reported once, with advice to set it again, and is listed as not available', (t) => {
  const s = setup(t);
  const db = s.open();
  const vault = vaultOver(db, s);
  const a = vault.put('a', 'CORP\\a', PASSWORD);
  const b = vault.put('b', 'CORP\\b', PASSWORD);
  fs.writeFileSync(s.keyFile, crypto.randomBytes(32));
  s.lines.length = 0;
  const other = vaultOver(db, s);
  assert.equal(other.logon(a), null);
  assert.equal(other.installCredential(b), null);
  assert.deepEqual(other.list().map((c) => c.available), [false, false]);
  other.list();
  other.logon(a);
  const reports = s.lines.filter((l) => /could not be decrypted/.test(l));
  assert.equal(reports.length, 2, 'once per credential, at start only');
  assert.match(reports[0]!, new RegExp(`^Credential ${a} \\("a"\\).*Set that credential again\\.$`));
  assert.match(s.lines.join('\n'), /None of the 2 stored credentials could be decrypted/);
  assert.ok(!s.lines.join('\n').includes(PASSWORD));
  // Set again, it works under the new key.
  const again = other.put('a', 'CORP\\a', PASSWORD);
  assert.equal(vaultOver(db, s).installCredential(again)?.password, PASSWORD);
});

test('a tampered blob (any one byte: version, nonce, ciphertext or tag) is not decrypted and is reported; the others still are', (t) => {
  const s = setup(t);
  const db = s.open();
  const vault = vaultOver(db, s);
  const victim = vault.put('victim', 'CORP\\victim', PASSWORD);
  const bystander = vault.put('bystander', 'CORP\\bystander', PASSWORD);
  const original = Buffer.from(db.prepare('SELECT secret_blob FROM credentials WHERE id = ?').pluck().get(victim) as Uint8Array);
  for (const at of [0, 1, 13, original.length - 17, original.length - 1]) {
    const tampered = Buffer.from(original);
    tampered[at]! ^= 0x01;
    db.prepare('UPDATE credentials SET secret_blob = ? WHERE id = ?').run(tampered, victim);
    s.lines.length = 0;
    const reopened = vaultOver(db, s);
    assert.equal(reopened.held(victim), false, `byte ${at} changed`);
    assert.equal(reopened.installCredential(bystander)?.password, PASSWORD);
    assert.equal(s.lines.length, 1);
    assert.match(s.lines[0]!, new RegExp(`^Credential ${victim} \\("victim"\\).*Set that credential again`));
  }
  db.prepare('UPDATE credentials SET secret_blob = ? WHERE id = ?').run(original.subarray(0, original.length - 1), victim);
  assert.equal(vaultOver(db, s).held(victim), false, 'truncated');
});

test('a blob copied to another row is not decrypted there (its secret_ref is the AAD), and is reported', (t) => {
  const s = setup(t);
  const db = s.open();
  const vault = vaultOver(db, s);
  const admin = vault.put('domain admin', 'CORP\\admin', PASSWORD);
  const low = vault.put('low', 'CORP\\low', 'low-privilege');
  db.prepare('UPDATE credentials SET secret_blob = (SELECT secret_blob FROM credentials WHERE id = ?) WHERE id = ?').run(admin, low);
  s.lines.length = 0;
  const reopened = vaultOver(db, s);
  assert.equal(reopened.installCredential(low), null, 'the admin password is not handed out as "low"');
  assert.equal(reopened.installCredential(admin)?.password, PASSWORD);
  assert.equal(s.lines.length, 1);
  assert.match(s.lines[0]!, new RegExp(`^Credential ${low} \\("low"\\)`));
});

test('the blob layout: version 1 | 12-byte nonce | ciphertext | 16-byte tag, a fresh nonce each time, bound to its secret_ref', () => {
  const key = crypto.createSecretKey(crypto.randomBytes(32));
  const a = sealSecret(key, 'server:a', PASSWORD);
  const b = sealSecret(key, 'server:a', PASSWORD);
  assert.equal(a[0], 1);
  assert.equal(a.length, 1 + 12 + Buffer.byteLength(PASSWORD) + 16);
  assert.ok(!a.subarray(1, 13).equals(b.subarray(1, 13)), 'a new random nonce per encryption');
  assert.equal(openSecret(key, 'server:a', a), PASSWORD);
  assert.throws(() => openSecret(key, 'server:b', a), /authenticate/);
  // The reference: a plain AES-256-GCM decryption of the same layout.
  const raw = key.export();
  const d = crypto.createDecipheriv('aes-256-gcm', raw, a.subarray(1, 13));
  d.setAAD(Buffer.from('server:a'));
  d.setAuthTag(a.subarray(a.length - 16));
  assert.equal(Buffer.concat([d.update(a.subarray(13, a.length - 16)), d.final()]).toString('utf8'), PASSWORD);
});

test('the KEK in the OS keychain: made once as base64, reused by the next start; an unreachable keychain or a malformed item is a clear error', (t) => {
  const s = setup(t);
  const db = s.open();
  let stored: string | null = null;
  const item: KekKeychainItem = { getPassword: () => stored, setPassword: (v) => void (stored = v) };
  const open = (i: KekKeychainItem) => openServerVault(db, { dataDir: s.dataDir, kek: 'keychain', log: (l) => s.lines.push(l), keychainItem: i });
  const id = open(item).put('admin', 'CORP\\admin', PASSWORD);
  assert.equal(Buffer.from(stored!, 'base64').length, 32);
  assert.equal(fs.existsSync(s.keyFile), false, 'no key file when the keychain holds the key');
  const kept = stored;
  assert.equal(open(item).installCredential(id)?.password, PASSWORD);
  assert.equal(stored, kept, 'reused, not replaced');
  assert.equal((db.prepare('SELECT secret_blob FROM credentials').pluck().get() as Uint8Array).length > 0, true);
  assertAbsent(db, s, 'admin', { 'the KEK': Buffer.from(kept!, 'base64'), 'the KEK (base64)': Buffer.from(kept!) });

  const locked: KekKeychainItem = { getPassword: () => { throw new Error('Platform secure storage failure: the Secret Service is not running'); }, setPassword: () => undefined };
  assert.throws(() => open(locked), (e: unknown) => e instanceof ServerKeyError && /OS keychain cannot hold the server's credential key \(Platform secure storage failure/.test(e.message) && /kek: 'file'/.test(e.advice));
  assert.throws(() => open({ getPassword: () => 'not a key', setPassword: () => undefined }), (e: unknown) => e instanceof ServerKeyError && /does not hold a 32-byte key in base64/.test(e.message));
  const prior = process.env.PUSHCONSOLE_KEYCHAIN;
  process.env.PUSHCONSOLE_KEYCHAIN = 'off';
  t.after(() => (prior === undefined ? delete process.env.PUSHCONSOLE_KEYCHAIN : (process.env.PUSHCONSOLE_KEYCHAIN = prior)));
  assert.throws(() => openServerVault(db, { dataDir: s.dataDir, kek: 'keychain', log: () => undefined }), /turned off: PUSHCONSOLE_KEYCHAIN=off/);
});

test('a ciphertext the database refuses leaves no credential row: the row and its blob are written in one transaction', (t) => {
  const s = setup(t);
  const db = s.open();
  const vault = vaultOver(db, s);
  // The database refuses the ciphertext (a trigger): the row inserted in the same transaction is rolled back.
  db.exec('CREATE TRIGGER no_blob BEFORE UPDATE OF secret_blob ON credentials WHEN NEW.secret_blob IS NOT NULL BEGIN SELECT RAISE(ABORT, \'blob refused\'); END');
  assert.throws(() => vault.put('x', 'CORP\\x', PASSWORD), /blob refused/);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM credentials').get() as { n: number }).n, 0, 'the row went with the secret');
  assert.deepEqual(vault.list(), []);
  db.exec('DROP TRIGGER no_blob');
  const id = vault.put('x', 'CORP\\x', PASSWORD);
  assert.equal(vault.installCredential(id)?.password, PASSWORD);
});

test('no new key is made over secrets stored under another: a missing key file (or keychain item) with encrypted credentials in the database is refused, naming the file', (t) => {
  const s = setup(t);
  const db = s.open();
  vaultOver(db, s).put('admin', 'CORP\\admin', PASSWORD);
  const kek = fs.readFileSync(s.keyFile);
  fs.rmSync(s.keyFile);
  assert.throws(() => vaultOver(db, s), (e: unknown) => e instanceof ServerKeyError && e.file === s.keyFile && e.message.includes(s.keyFile) && /holds 1 credential secret/.test(e.message));
  assert.equal(fs.existsSync(s.keyFile), false, 'no key was made');
  assert.throws(
    () => openServerVault(db, { dataDir: s.dataDir, kek: 'keychain', log: () => undefined, keychainItem: { getPassword: () => null, setPassword: () => assert.fail('no key is made') } }),
    (e: unknown) => e instanceof ServerKeyError && /holds 1 credential secret/.test(e.message),
  );
  fs.writeFileSync(s.keyFile, kek, { mode: 0o600 });
  assert.equal(vaultOver(db, s).list()[0]?.available, true, 'the key put back opens them');
});
