// The Push Install Server's credential vault: every remembered secret is kept encrypted in its own
// credentials row (secret_blob), on SQLite or PostgreSQL alike, and never leaves the server — the
// consoles see labels, users and domains (CredentialVault.list), not secrets.
//
// The cipher is AES-256-GCM (NIST SP 800-38D) under one 32-byte key-encryption key (KEK) that is
// never written to the database. A blob is
//
//   version (1 byte, 0x01) | nonce (12 random bytes) | ciphertext | tag (16 bytes)
//
// with the row's secret_ref as additional authenticated data, so a blob copied into another row,
// or altered in any byte, fails authentication instead of decrypting. The nonce is 96 random bits
// per encryption (SP 800-38D §8.2.2, the RBG-based construction); each secret is encrypted once
// when it is set, far below that construction's limit of 2^32 encryptions under one key.
//
// Where the KEK comes from:
// - 'file': `<dataDir>/server-credentials.key`, exactly 32 raw random bytes — binary, not hex or
//   base64 text (a text-encoded key is refused, with a hint when it looks like one). Made on first
//   run: written to a temp file created with O_EXCL and mode 0600, flushed, then moved into place
//   without replacing anything (a hard link to the final name, then the temp name removed — a
//   rename that fails when the file exists, so two servers starting at once on one folder end up
//   with the one key that got there first; rename itself where the file system has no hard
//   links). On POSIX systems a key file that group or others may access in any way (any bit of
//   0o077) is refused with an error that names it — one readable by others protects nothing, one
//   writable by others lets them swap the key.
// - 'keychain': the OS keychain through @napi-rs/keyring, as keychainVault.ts uses it (service
//   "Push Install Server", account "credential-kek", the key as base64 text); made on first run.
//   A keychain that cannot be reached is an error, not a fallback to memory: a server that
//   silently forgot every credential at its next restart would be worse than one that does not
//   start. PUSHCONSOLE_KEYCHAIN=off (the test runner) refuses it likewise.
//
// Several server processes sharing one database need the same KEK (copy the key file); a new key
// is made only while the database holds no secret encrypted under another (else the server is
// refused with what to do), so a server started without the key cannot start a second one. A blob
// the KEK does not open — another key, an altered blob, a blob moved between rows — is reported
// once in the log when the vault opens, with advice to set that credential again; the vault still
// opens, and that credential is listed as not available.
//
// The storage label is the vault interface's: 'keychain' — "remembered: still there after a
// restart" — for a secret kept here, 'memory' for one the admin chose not to remember; `problem`
// is null (a vault that cannot keep secrets is not opened at all).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BackedVault, type SecretBackend } from '../engine/credentials.js';
import type { Db } from '../store/database.js';

export const SERVER_SECRET_PREFIX = 'server:';
export const KEY_FILE_NAME = 'server-credentials.key';
export const KEK_KEYCHAIN_SERVICE = 'Push Install Server';
export const KEK_KEYCHAIN_ACCOUNT = 'credential-kek';

const BLOB_VERSION = 0x01;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The one keychain item the KEK is kept in (an @napi-rs/keyring Entry has this shape). */
export interface KekKeychainItem {
  getPassword(): string | null | undefined;
  setPassword(value: string): void;
}

export interface ServerVaultOptions {
  /** The server's data folder: where 'file' keeps server-credentials.key. */
  readonly dataDir: string;
  /** Where the key-encryption key is kept. */
  readonly kek: 'file' | 'keychain';
  /** The server's log: a new key made, credentials that could not be decrypted. */
  readonly log: (line: string) => void;
  /** Tests: a stand-in for the keychain item, so the real keychain is never touched. */
  readonly keychainItem?: KekKeychainItem;
}

/** The KEK cannot be had: the server must not start with this vault. Names the file or the keychain. */
export class ServerKeyError extends Error {
  constructor(message: string, readonly advice: string, readonly file: string | null = null) {
    super(message);
    this.name = 'ServerKeyError';
  }
}

/** The server's credential vault over `db`: stored secrets decrypted into memory now, new ones encrypted into their rows. */
export function openServerVault(db: Db, options: ServerVaultOptions): BackedVault {
  const stored = () => Number(db.prepare('SELECT COUNT(*) AS n FROM credentials WHERE secret_ref LIKE ? AND secret_blob IS NOT NULL').pluck().get(`${SERVER_SECRET_PREFIX}%`));
  const { key, source } = options.kek === 'file' ? fileKek(options.dataDir, options.log, stored) : keychainKek(options, stored);
  const backend = new ServerSecretBackend(db, key, source, options.log);
  backend.load();
  return new BackedVault(db, backend, null);
}

// --- the blob (AES-256-GCM, NIST SP 800-38D) ---

/** Encrypts `secret` for the row whose secret_ref is `ref`. */
export function sealSecret(key: crypto.KeyObject, ref: string, secret: string): Buffer {
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(ref, 'utf8'));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.of(BLOB_VERSION), nonce, body, cipher.getAuthTag()]);
}

/** The secret in `blob`, stored for `ref`; throws when the key, the blob or the row is not the one it was sealed with. */
export function openSecret(key: crypto.KeyObject, ref: string, blob: Uint8Array): string {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (b.length < 1 + NONCE_BYTES + TAG_BYTES) throw new Error(`the stored blob is too short (${b.length} bytes)`);
  if (b[0] !== BLOB_VERSION) throw new Error(`the stored blob has an unknown format version (${b[0]})`);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, b.subarray(1, 1 + NONCE_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(ref, 'utf8'));
  decipher.setAuthTag(b.subarray(b.length - TAG_BYTES));
  return Buffer.concat([decipher.update(b.subarray(1 + NONCE_BYTES, b.length - TAG_BYTES)), decipher.final()]).toString('utf8');
}

// --- the backend ---

interface BlobRow {
  id: number;
  label: string;
  secret_ref: string;
  secret_blob: Uint8Array | null;
}

class ServerSecretBackend implements SecretBackend {
  readonly prefix = SERVER_SECRET_PREFIX;
  private readonly plain = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly key: crypto.KeyObject,
    private readonly source: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Every stored secret decrypted into memory; one log line for each that cannot be. */
  load(): void {
    const rows = this.db.prepare('SELECT id, label, secret_ref, secret_blob FROM credentials WHERE secret_ref LIKE ? ORDER BY id').all(`${SERVER_SECRET_PREFIX}%`) as BlobRow[];
    let failed = 0;
    for (const row of rows) {
      if (row.secret_blob === null) {
        this.log(`Credential ${row.id} ("${row.label}") has no stored secret on this server: set that credential again.`);
        failed += 1;
        continue;
      }
      try {
        this.plain.set(row.secret_ref, openSecret(this.key, row.secret_ref, row.secret_blob));
      } catch {
        failed += 1;
        this.log(
          `Credential ${row.id} ("${row.label}"): its stored secret could not be decrypted with the server's credential key (${this.source}) — ` +
            'the key is not the one it was stored under, or the stored data was altered or copied from another credential. Set that credential again.',
        );
      }
    }
    if (failed > 0 && failed === rows.length && rows.length > 1) {
      this.log(`None of the ${rows.length} stored credentials could be decrypted: is ${this.source} the key this database's credentials were stored under? Every server sharing the database needs the same key.`);
    }
  }

  /** Called by the vault inside the transaction that inserted the row: the row exists, the blob goes into it. */
  set(ref: string, secret: string): void {
    const { changes } = this.db.prepare('UPDATE credentials SET secret_blob = ? WHERE secret_ref = ?').run(sealSecret(this.key, ref, secret), ref);
    if (changes !== 1) throw new Error(`no credential row has the secret reference ${ref} to keep its secret in`);
    this.plain.set(ref, secret);
  }

  get(ref: string): string | null {
    return this.plain.get(ref) ?? this.fromStore(ref);
  }

  has(ref: string): boolean {
    return this.plain.has(ref) || this.fromStore(ref) !== null;
  }

  /**
   * A secret another server sharing the database stored after this one loaded (servers in one
   * database share the key): read and decrypted from its row at first use.
   */
  private fromStore(ref: string): string | null {
    if (!ref.startsWith(SERVER_SECRET_PREFIX)) return null;
    const row = this.db.prepare('SELECT secret_blob FROM credentials WHERE secret_ref = ?').get(ref) as { secret_blob: Uint8Array | null } | undefined;
    if (!row?.secret_blob) return null;
    try {
      const secret = openSecret(this.key, ref, row.secret_blob);
      this.plain.set(ref, secret);
      return secret;
    } catch {
      return null;
    }
  }

  delete(ref: string): void {
    this.db.prepare('UPDATE credentials SET secret_blob = NULL WHERE secret_ref = ?').run(ref);
    this.plain.delete(ref);
  }
}

// --- the KEK: a file ---

const HEX_KEY = /^[0-9a-f]{64}\s*$/i;
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?\s*$/;

function keyFileError(file: string, what: string, advice: string): ServerKeyError {
  return new ServerKeyError(`The server's credential key file ${file} ${what}`, advice, file);
}

/** The key file's 32 bytes, refused when others may reach it or it is not 32 raw bytes. */
export function readKeyFile(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw keyFileError(file, 'is not a regular file.', `Remove it; the server makes a new key file when there is none (only when no credentials were stored under the old one).`);
    // POSIX modes only: on Windows the mode bits do not describe who may read the file (its ACL does).
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw keyFileError(
        file,
        `is open to group or others (mode ${mode}); it must be readable by the server's own account only.`,
        `Run: chmod 600 '${file}' — and, since others could read it, consider setting every stored credential again under a new key.`,
      );
    }
    if (st.size !== KEY_BYTES) {
      const head = st.size <= 128 ? fs.readFileSync(fd).toString('latin1') : '';
      const text = HEX_KEY.test(head) ? ' It looks like hex text;' : BASE64_KEY.test(head) ? ' It looks like base64 text;' : '';
      throw keyFileError(
        file,
        `holds ${st.size} bytes; it must hold exactly ${KEY_BYTES} raw random bytes (binary, not hex or base64 text).${text}`,
        `Restore the key file these credentials were stored under${text ? ', decoded to its 32 bytes' : ''}.`,
      );
    }
    const key = Buffer.alloc(KEY_BYTES);
    if (fs.readSync(fd, key, 0, KEY_BYTES, 0) !== KEY_BYTES) throw keyFileError(file, 'could not be read whole.', 'Check the disk and the file.');
    return key;
  } finally {
    fs.closeSync(fd);
  }
}

/** A new key file: O_EXCL temp file (0600), flushed, then put in place without replacing one that is there. */
function createKeyFile(file: string): 'created' | 'exists' {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    const key = crypto.randomBytes(KEY_BYTES);
    try {
      fs.writeSync(fd, key, 0, KEY_BYTES, 0);
      key.fill(0);
      if (process.platform !== 'win32') fs.fchmodSync(fd, 0o600);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.linkSync(tmp, file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return 'exists';
      // A file system without hard links: rename, which replaces — checked just before.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
      if (fs.existsSync(file)) return 'exists';
      fs.renameSync(tmp, file);
    }
    syncDir(path.dirname(file));
    return 'created';
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Not every file system lets a folder be flushed; the file itself was.
  }
}

/** A new key is made only for a database holding no secrets under another: a second server without the first one's key must not start a key of its own. */
function refuseNewKey(storedUnderAnother: number, where: string, file: string | null): void {
  if (storedUnderAnother === 0) return;
  throw new ServerKeyError(
    `There is no server credential key (${where}), but the database holds ${storedUnderAnother} credential secret(s) encrypted under one: a new key would open none of them.`,
    `Put the key these credentials were stored under in place (every server sharing the database needs the same key). To give those secrets up instead, clear them (UPDATE credentials SET secret_blob = NULL WHERE secret_ref LIKE '${SERVER_SECRET_PREFIX}%') and set each credential again.`,
    file,
  );
}

function fileKek(dataDir: string, log: (line: string) => void, stored: () => number): { key: crypto.KeyObject; source: string } {
  const file = path.join(dataDir, KEY_FILE_NAME);
  if (!fs.existsSync(file)) {
    refuseNewKey(stored(), `no file ${file}`, file);
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (createKeyFile(file) === 'created') {
      log(
        `Made the server's credential key ${file}. Back it up apart from the database: without it the stored credentials cannot be decrypted. ` +
          'Every server sharing this database needs the same file.',
      );
    }
  }
  const raw = readKeyFile(file);
  try {
    return { key: crypto.createSecretKey(raw), source: `the key file ${file}` };
  } finally {
    raw.fill(0);
  }
}

// --- the KEK: the OS keychain ---

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
}

function keychainError(why: string): ServerKeyError {
  return new ServerKeyError(
    `The OS keychain cannot hold the server's credential key (${why}).`,
    `Start the server where the keychain can be reached (on Linux, a Secret Service such as GNOME Keyring), or use the key file (kek: 'file', ${KEY_FILE_NAME} in the data folder).`,
  );
}

/** The keychain item of @napi-rs/keyring, loaded at first use as keychainVault.ts does (a missing native binding is an error here, not at import). */
function realKeychainItem(): KekKeychainItem {
  if (process.env.PUSHCONSOLE_KEYCHAIN === 'off') throw keychainError('it is turned off: PUSHCONSOLE_KEYCHAIN=off');
  try {
    const keyring = createRequire(import.meta.url)('@napi-rs/keyring') as typeof import('@napi-rs/keyring');
    return new keyring.Entry(KEK_KEYCHAIN_SERVICE, KEK_KEYCHAIN_ACCOUNT, { linux: { store: 'secret-service' } });
  } catch (error) {
    throw keychainError(reason(error));
  }
}

function keychainKek(options: ServerVaultOptions, stored: () => number): { key: crypto.KeyObject; source: string } {
  const source = `the OS keychain item "${KEK_KEYCHAIN_SERVICE}" / "${KEK_KEYCHAIN_ACCOUNT}"`;
  const item = options.keychainItem ?? realKeychainItem();
  let text: string | null | undefined;
  try {
    text = item.getPassword();
  } catch (error) {
    // @napi-rs/keyring throws "No matching entry" for an item not there yet; anything else is the keychain failing.
    if (!/no matching entry|not found/i.test(reason(error))) throw keychainError(reason(error));
    text = null;
  }
  if (text === null || text === undefined) {
    refuseNewKey(stored(), `nothing in ${source}`, null);
    try {
      item.setPassword(crypto.randomBytes(KEY_BYTES).toString('base64'));
      text = item.getPassword();
    } catch (error) {
      throw keychainError(reason(error));
    }
    if (!text) throw keychainError('it did not give back the key just stored');
    options.log(`Made the server's credential key in ${source}. Every server sharing this database needs the same key.`);
  }
  const raw = Buffer.from(text, 'base64');
  if (raw.length !== KEY_BYTES || raw.toString('base64') !== text.trim()) {
    throw new ServerKeyError(
      `${source[0]!.toUpperCase()}${source.slice(1)} does not hold a ${KEY_BYTES}-byte key in base64 (it has ${text.length} characters).`,
      'Restore the key these credentials were stored under, or delete the item so the server makes a new one (stored credentials must then be set again).',
    );
  }
  try {
    return { key: crypto.createSecretKey(raw), source };
  } finally {
    raw.fill(0);
  }
}
