// The Push Install Server's credential vault (main/serverMode/serverVault.ts) on a real PostgreSQL
// (test/support/postgres.ts), through the server's synchronous store (openPgStore): a secret comes
// back in a new vault over a new connection and the same key file; no column of any table — bytea
// secret_blob included — and no byte of the cluster's files on disk (tables and WAL, after a
// CHECKPOINT) holds the password (UTF-8 or UTF-16LE) or the key-encryption key; a wrong key, an
// altered blob and a blob copied to another row are not decrypted and are reported. The same on
// SQLite, with the key file's own checks: test/unit/serverVault.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Db } from '../../main/store/database.js';
import { openPgStore } from '../../main/store/pg/pgDatabase.js';
import { KEY_FILE_NAME, openServerVault } from '../../main/serverMode/serverVault.js';
import { ntHash } from '../../main/smb/auth/ntlm/client.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import { tempDirFor } from '../support/tempDir.js';

const PASSWORD = 'Sérver-Pässwörd-€-42!';

let server: RunningPostgres;
let databases = 0;

before(async () => {
  server = await startPostgres();
});
after(() => server?.stop());

/** A new, empty database on the server, and its URL. */
function freshDatabase(): Promise<string> {
  return server.createDatabase(`vault_${++databases}`);
}

interface Setup {
  readonly url: string;
  readonly dataDir: string;
  readonly keyFile: string;
  readonly lines: string[];
  store(): Promise<Db>;
  vault(db: Db): ReturnType<typeof openServerVault>;
}

async function setup(t: { after(fn: () => void): void }): Promise<Setup> {
  const url = await freshDatabase();
  const dataDir = path.join(tempDirFor(t, 'pic-server-vault-pg-'), 'data');
  const lines: string[] = [];
  const opened: Db[] = [];
  t.after(() => opened.forEach((db) => db.open && db.close()));
  return {
    url,
    dataDir,
    keyFile: path.join(dataDir, KEY_FILE_NAME),
    lines,
    store: async () => {
      const db = await openPgStore({ url });
      opened.push(db);
      return db;
    },
    vault: (db) => openServerVault(db, { dataDir, kek: 'file', log: (l) => lines.push(l) }),
  };
}

/** Every value of every column of every table in the database, as bytes (bytea as it is, anything else as text). */
async function everyValue(url: string): Promise<{ where: string; bytes: Buffer }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
    const out: { where: string; bytes: Buffer }[] = [];
    for (const { table_name: table } of tables) {
      for (const row of (await client.query(`SELECT * FROM "${table}"`)).rows as Record<string, unknown>[]) {
        for (const [column, value] of Object.entries(row)) {
          if (value === null || value === undefined) continue;
          const text = value instanceof Date ? value.toISOString() : typeof value === 'object' && !Buffer.isBuffer(value) ? JSON.stringify(value) : String(value);
          out.push({ where: `${table}.${column}`, bytes: Buffer.isBuffer(value) ? value : Buffer.from(text, 'utf8') });
        }
      }
    }
    return out;
  } finally {
    await client.end();
  }
}

/** Every file of the PostgreSQL cluster (tables, indexes, WAL), after a CHECKPOINT wrote the shared buffers out. */
async function clusterFiles(): Promise<{ file: string; bytes: Buffer }[]> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
  } finally {
    await client.end();
  }
  const out: { file: string; bytes: Buffer }[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push({ file: full, bytes: fs.readFileSync(full) });
    }
  };
  walk(server.dataDir);
  return out;
}

/** Asserts no needle is in the database; `canary` (a label stored in it) must be found, so the scan is known to see the data. */
async function assertAbsent(s: Setup, canary: string, needles: Record<string, Buffer>): Promise<void> {
  const values = await everyValue(s.url);
  assert.ok(values.some((v) => v.where === 'credentials.secret_blob'), 'secret_blob is among the columns scanned');
  assert.ok(values.some((v) => v.where === 'credentials.label' && v.bytes.includes(Buffer.from(canary))), 'the scan of the columns finds the canary');
  const files = await clusterFiles();
  assert.ok(files.some((f) => /pg_wal/.test(f.file)), 'the WAL is among the files scanned');
  assert.ok(files.some((f) => f.bytes.includes(Buffer.from(canary))), 'the scan of the cluster files finds the canary');
  for (const [name, needle] of Object.entries(needles)) {
    for (const v of values) assert.equal(v.bytes.includes(needle), false, `${name} found in ${v.where}`);
    for (const f of files) assert.equal(f.bytes.includes(needle), false, `${name} found in ${f.file}`);
  }
}

test('PostgreSQL: a secret survives closing and reopening — a new store connection and a new vault over the same key file decrypt it', async (t) => {
  const s = await setup(t);
  const db = await s.store();
  const first = s.vault(db);
  const id = first.put('CORP admin', 'CORP\\admin', PASSWORD);
  const hashOnly = first.put('ops', 'CORP\\ops', PASSWORD, { keep: 'nt-hash' });
  const blob = (await everyValue(s.url)).find((v) => v.where === 'credentials.secret_blob');
  assert.ok(blob && blob.bytes[0] === 1 && blob.bytes.length >= 1 + 12 + 16, 'bytea holds the versioned blob');
  db.close();

  const again = await s.store();
  const second = s.vault(again);
  assert.equal(second.installCredential(id)?.password, PASSWORD);
  assert.ok(second.logon(hashOnly)?.ntHash.equals(ntHash(PASSWORD)));
  assert.deepEqual(second.list().map((c) => [c.id, c.available]), [[id, true], [hashOnly, true]]);
  assert.deepEqual(s.lines.filter((l) => !l.startsWith("Made the server's credential key")), []);
  second.remove(id);
  assert.equal(s.vault(again).held(id), false);
  assert.equal(s.vault(again).held(hashOnly), true);
});

test('PostgreSQL: no column of any table (bytea secret_blob included) and no byte of the cluster files holds the password in UTF-8 or UTF-16LE, or the KEK', async (t) => {
  const s = await setup(t);
  const db = await s.store();
  const vault = s.vault(db);
  const canary = `canary-${crypto.randomBytes(8).toString('hex')}`;
  vault.put(canary, 'CORP\\admin', PASSWORD);
  vault.put('ops', 'CORP\\ops', PASSWORD, { keep: 'nt-hash' });
  const kek = fs.readFileSync(s.keyFile);
  assert.equal(kek.length, 32);
  await assertAbsent(s, canary, {
    'the password (UTF-8)': Buffer.from(PASSWORD, 'utf8'),
    'the password (UTF-16LE)': Buffer.from(PASSWORD, 'utf16le'),
    'the NT hash (hex)': Buffer.from(ntHash(PASSWORD).toString('hex')),
    'the KEK': kek,
    'the KEK (hex)': Buffer.from(kek.toString('hex')),
    'the KEK (base64)': Buffer.from(kek.toString('base64')),
  });
});

test('PostgreSQL: a wrong key, a tampered blob and a blob copied to another row are not decrypted, and each is reported once', async (t) => {
  const s = await setup(t);
  const db = await s.store();
  const vault = s.vault(db);
  const admin = vault.put('domain admin', 'CORP\\admin', PASSWORD);
  const low = vault.put('low', 'CORP\\low', 'low-privilege');
  const victim = vault.put('victim', 'CORP\\victim', PASSWORD);

  // Copied: the admin's blob in the low row.
  db.prepare('UPDATE credentials SET secret_blob = (SELECT secret_blob FROM credentials WHERE id = ?) WHERE id = ?').run(admin, low);
  // Tampered: one bit of the victim's ciphertext.
  const blob = Buffer.from(db.prepare('SELECT secret_blob FROM credentials WHERE id = ?').pluck().get(victim) as Uint8Array);
  blob[14]! ^= 0x80;
  db.prepare('UPDATE credentials SET secret_blob = ? WHERE id = ?').run(blob, victim);
  s.lines.length = 0;
  const reopened = s.vault(db);
  assert.equal(reopened.installCredential(low), null, 'the admin password is not handed out as "low"');
  assert.equal(reopened.held(victim), false);
  assert.equal(reopened.installCredential(admin)?.password, PASSWORD);
  assert.deepEqual(s.lines.map((l) => l.match(/^Credential (\d+) /)?.[1]), [String(low), String(victim)]);
  assert.ok(s.lines.every((l) => /Set that credential again\.$/.test(l)));

  // Wrong key: nothing decrypts, each credential reported, plus the hint about the key.
  fs.writeFileSync(s.keyFile, crypto.randomBytes(32), { mode: 0o600 });
  s.lines.length = 0;
  const wrong = s.vault(db);
  assert.deepEqual(wrong.list().map((c) => c.available), [false, false, false]);
  assert.equal(s.lines.filter((l) => /could not be decrypted with the server's credential key/.test(l)).length, 3);
  assert.match(s.lines.join('\n'), /None of the 3 stored credentials could be decrypted/);
});
