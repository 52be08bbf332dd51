// Credentials are referenced by id everywhere (docs/ARCHITECTURE.md §6): the database holds who and where
// (the `credentials` table: label, user, domain, secret_ref), never the secret. Where the secret
// lives is a SecretBackend behind one vault: the OS keychain (keychainVault.ts: @napi-rs/keyring
// in the browser shell and the CLI), Electron's safeStorage (main/electron/safeStorageVault.ts),
// the Push Install Server's AES-256-GCM ciphertext in the row (main/serverMode/serverVault.ts),
// or process memory only — a credential the admin chose not to remember, a CLI run, the simulated
// lab, or a machine with no keychain to talk to.
//
// What a credential keeps (hold the NT hash instead of the password wherever that is enough):
// - 'password': the password, because the agent needs it to run msiexec under this account
//   (install as admin). The SMB logon still gets only its NT hash (`logon`); the password itself
//   leaves the vault only for the TLS hand-off to the agent (`installCredential`).
// - 'nt-hash': only MD4(UTF-16LE(password)); the password is dropped at once. Enough for the SMB
//   logon, ADMIN$ and the SCM — packages installed as SYSTEM — and never enough to log on
//   interactively or to install as the account.
//
// A credential's kind: 'account' (all of the above), or 'laps' — no logon of its own but a
// directory connection (directory_json: URL, base DN, StartTLS, trust, the CA) and the account
// that reads each computer's own local Administrator password from it at push time (username: a
// DN or user@domain; its password is the secret, kept as any other). That password is read per
// target and held only for that target's push (lapsSecrets.ts), never here.
import crypto from 'node:crypto';
import type { Db } from '../store/database.js';
import { ConsoleError } from '../ipc/errors.js';
import type { LapsDirectory } from '../import/lapsReader.js';
import { registerSecret } from '../smb/auth/secretRegistry.js';
import { ntHash, parseUserName } from '../smb/auth/ntlm/client.js';
import { checkLapsConnection, lapsSummary, type LapsConnection, type LapsSummary } from './lapsConnection.js';
export { checkLapsConnection, type LapsConnection, type LapsSummary } from './lapsConnection.js';

/** What the vault keeps of a credential's secret. */
export type SecretKind = 'password' | 'nt-hash';

/** The SMB/NTLM logon material of a credential: the NT hash, never the password. */
export interface LogonCredential {
  readonly id: number;
  readonly user: string;
  readonly domain: string;
  readonly keeps: SecretKind;
  readonly ntHash: Buffer;
}

/** The install-as-user credential, for the agent's TLS hand-off only. */
export interface InstallCredential {
  readonly user: string;
  readonly domain: string;
  readonly password: string;
}

/** Where a credential's secret is kept: the OS keychain (survives a restart) or memory (does not). */
export type SecretStorage = 'keychain' | 'memory';

export interface CredentialSummary {
  id: number;
  label: string;
  user: string;
  domain: string;
  /** Whether the secret is held right now (a memory-only one is gone after a restart). */
  available: boolean;
  storage: SecretStorage;
  keeps: SecretKind;
  /** Present for a LAPS credential: each computer's own Administrator password is read from this directory. */
  laps?: LapsSummary;
}

export interface PutOptions {
  /** true (default): keep the secret in the keychain when there is one; false: memory only. */
  readonly remember?: boolean;
  /** 'password' (default): installs as this account are possible; 'nt-hash': SYSTEM installs only. */
  readonly keep?: SecretKind;
}

export interface CredentialVault {
  /** Where a remembered secret goes: 'memory' when no keychain could be reached. */
  readonly storage: SecretStorage;
  /** Why the keychain is not used, for the admin (null when it is). */
  readonly problem: string | null;
  /** Stores a credential; returns its id. */
  put(label: string, user: string, password: string, options?: PutOptions): number;
  /** Stores a LAPS credential: the directory and the account (bindDn) that reads LAPS passwords, its password kept as any secret. */
  putLaps(label: string, connection: LapsConnection, bindDn: string, password: string, options?: Pick<PutOptions, 'remember'>): number;
  /** The SMB logon material (the NT hash), or null when the secret is gone — or for a LAPS credential, which has none of its own. */
  logon(id: number): LogonCredential | null;
  /** A LAPS credential's directory with the reading account's password, or null (gone, or not a LAPS credential). */
  lapsDirectory(id: number): LapsDirectory | null;
  /** Whether the credential exists and its secret is held now (either kind). */
  held(id: number): boolean;
  /** The credential's kind, without touching its secret; null when there is no such credential. */
  kindOf(id: number): 'account' | 'laps' | null;
  /** The password for the agent's TLS hand-off; null when gone or when only the NT hash is kept. */
  installCredential(id: number): InstallCredential | null;
  /** Every form of the secret an export must scrub (password and NT hash hex); [] when gone. */
  scrubForms(id: number): string[];
  /** Forgets the credential, and its secret wherever it is kept. */
  remove(id: number): void;
  /** Every stored credential, without secrets. */
  list(): CredentialSummary[];
}

/** A place secrets persist in, addressed by a credential's secret_ref. */
export interface SecretBackend {
  /** The secret_ref prefix of the secrets it holds (`keychain:` …). */
  readonly prefix: string;
  set(ref: string, secret: string): void;
  get(ref: string): string | null;
  has(ref: string): boolean;
  delete(ref: string): void;
}

interface CredentialRow {
  id: number;
  label: string;
  domain: string | null;
  username: string;
  secret_ref: string;
  secret_kind: SecretKind;
  kind: 'account' | 'laps';
  directory_json: string | null;
}

const ROW_COLUMNS = 'id, label, domain, username, secret_ref, secret_kind, kind, directory_json';
const HASH_HEX = /^[0-9a-f]{32}$/;

const MEMORY_PREFIX = 'memory:';

/**
 * The vault: rows in the database, secrets in the backend (remembered) or in this process's
 * memory (not remembered, or no backend). Without a backend it is the memory-only vault.
 */
export class BackedVault implements CredentialVault {
  private readonly secrets = new Map<string, string>();

  constructor(
    protected readonly db: Db,
    private readonly backend: SecretBackend | null,
    readonly problem: string | null = null,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get storage(): SecretStorage {
    return this.backend ? 'keychain' : 'memory';
  }

  put(label: string, user: string, password: string, options: PutOptions = {}): number {
    const { user: name, domain } = parseUserName(user);
    const keep = options.keep ?? 'password';
    registerSecret(password);
    const secret = keep === 'nt-hash' ? ntHash(password).toString('hex') : password;
    return this.insert(secret, options.remember ?? true, (ref) =>
      this.db
        .prepare('INSERT INTO credentials (label, domain, username, secret_ref, secret_kind, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(label, domain, name, ref, keep, this.now().toISOString()).lastInsertRowid,
    );
  }

  putLaps(label: string, connection: LapsConnection, bindDn: string, password: string, options: Pick<PutOptions, 'remember'> = {}): number {
    const checked = checkLapsConnection(connection);
    if (!bindDn.trim()) throw new ConsoleError('invalid-request', 'A LAPS credential needs the account that reads the passwords.', 'Give its DN or user@domain.');
    registerSecret(password);
    return this.insert(password, options.remember ?? true, (ref) =>
      this.db
        .prepare("INSERT INTO credentials (label, domain, username, secret_ref, secret_kind, kind, directory_json, created_at) VALUES (?, NULL, ?, ?, 'password', 'laps', ?, ?)")
        .run(label, bindDn.trim(), ref, JSON.stringify(checked), this.now().toISOString()).lastInsertRowid,
    );
  }

  /**
   * The row and the secret together, in one transaction: the row first, then the secret where it is
   * kept (the backend when remembered and there is one, else memory) before the row commits — so a
   * backend that keeps its ciphertext in the row itself (credentials.secret_blob) finds the row, and
   * a failure of either leaves neither: no row, no secret.
   */
  private insert(secret: string, remember: boolean, insertRow: (ref: string) => number | bigint): number {
    const backend = remember ? this.backend : null;
    const ref = `${backend ? backend.prefix : MEMORY_PREFIX}${crypto.randomUUID()}`;
    try {
      return this.db.transaction(() => {
        const id = Number(insertRow(ref));
        if (backend) backend.set(ref, secret);
        else this.secrets.set(ref, secret);
        return id;
      })();
    } catch (error) {
      try {
        this.forget(ref);
      } catch {
        // The first failure is the one to report; a secret that was never stored has nothing to forget.
      }
      throw error;
    }
  }

  lapsDirectory(id: number): LapsDirectory | null {
    const row = this.row(id);
    if (!row || row.kind !== 'laps' || !row.directory_json) return null;
    const password = this.secret(row.secret_ref);
    if (password === null) return null;
    const c = JSON.parse(row.directory_json) as LapsConnection;
    return { url: c.url, baseDn: c.baseDn, bindDn: row.username, password, startTls: c.startTls, allowUntrusted: c.allowUntrusted, ...(c.caPem ? { ca: c.caPem } : {}) };
  }

  held(id: number): boolean {
    const row = this.row(id);
    return row !== undefined && this.holds(row.secret_ref);
  }

  kindOf(id: number): 'account' | 'laps' | null {
    return this.row(id)?.kind ?? null;
  }

  logon(id: number): LogonCredential | null {
    const row = this.row(id);
    if (row?.kind === 'laps') return null;
    const secret = row ? this.secret(row.secret_ref) : null;
    if (!row || secret === null) return null;
    const hash = row.secret_kind === 'nt-hash' ? (HASH_HEX.test(secret) ? Buffer.from(secret, 'hex') : null) : ntHash(secret);
    if (!hash) return null;
    return { id: row.id, user: row.username, domain: row.domain ?? '', keeps: row.secret_kind, ntHash: hash };
  }

  installCredential(id: number): InstallCredential | null {
    const row = this.row(id);
    if (!row || row.secret_kind !== 'password' || row.kind === 'laps') return null;
    const password = this.secret(row.secret_ref);
    return password === null ? null : { user: row.username, domain: row.domain ?? '', password };
  }

  scrubForms(id: number): string[] {
    const row = this.row(id);
    const secret = row ? this.secret(row.secret_ref) : null;
    if (!row || secret === null) return [];
    const hex = row.secret_kind === 'nt-hash' ? secret : ntHash(secret).toString('hex');
    return [...(row.secret_kind === 'password' ? [secret] : []), hex, hex.toUpperCase()];
  }

  list(): CredentialSummary[] {
    const rows = this.db.prepare(`SELECT ${ROW_COLUMNS} FROM credentials ORDER BY id`).all() as CredentialRow[];
    return rows.map((r) => ({
      id: r.id,
      label: r.label,
      user: r.username,
      domain: r.domain ?? '',
      available: this.holds(r.secret_ref),
      storage: r.secret_ref.startsWith(MEMORY_PREFIX) ? 'memory' : 'keychain',
      keeps: r.secret_kind,
      ...(r.kind === 'laps' && r.directory_json ? { laps: lapsSummary(r.directory_json, r.username) } : {}),
    }));
  }

  /** Throws (and keeps the credential) when its secret sits in a keychain that cannot be reached now. */
  remove(id: number): void {
    const row = this.row(id);
    if (row) {
      const reachable = row.secret_ref.startsWith(MEMORY_PREFIX) || (this.backend !== null && row.secret_ref.startsWith(this.backend.prefix));
      // Forgetting the row alone would leave the password in the keychain for good.
      if (!reachable) throw new Error(`the keychain that holds this password cannot be reached now${this.problem ? ` — ${this.problem}` : ''}`);
      this.forget(row.secret_ref);
    }
    this.db.prepare('DELETE FROM credentials WHERE id = ?').run(id);
  }

  private row(id: number): CredentialRow | undefined {
    return this.db.prepare(`SELECT ${ROW_COLUMNS} FROM credentials WHERE id = ?`).get(id) as CredentialRow | undefined;
  }

  /** A secret as held; every one read is registered, so crash reports and logs redact it. */
  private secret(ref: string): string | null {
    let secret: string | null = null;
    if (ref.startsWith(MEMORY_PREFIX)) secret = this.secrets.get(ref) ?? null;
    else if (this.backend && ref.startsWith(this.backend.prefix)) secret = this.backend.get(ref);
    if (secret !== null) {
      registerSecret(secret);
      if (HASH_HEX.test(secret)) registerSecret(secret.toUpperCase());
    }
    return secret;
  }

  private holds(ref: string): boolean {
    if (ref.startsWith(MEMORY_PREFIX)) return this.secrets.has(ref);
    if (this.backend && ref.startsWith(this.backend.prefix)) return this.backend.has(ref);
    return false;
  }

  private forget(ref: string): void {
    if (ref.startsWith(MEMORY_PREFIX)) this.secrets.delete(ref);
    else if (this.backend && ref.startsWith(this.backend.prefix)) this.backend.delete(ref);
  }
}

/** Secrets in process memory only: a CLI run, the simulated lab, tests. */
export class MemoryVault extends BackedVault {
  constructor(db: Db, now: () => Date = () => new Date()) {
    super(db, null, null, now);
  }
}

/** Why a hash-only credential cannot install as its account (tasks.create and the engine say the same). */
export function hashOnlyRefusal(users: readonly string[]): { errorClass: 'credentials-hash-only'; message: string; advice: string } {
  return {
    errorClass: 'credentials-hash-only',
    message: `${users.join(', ')}: only the NT hash is kept — enough to copy and start the agent, not to install as the account, which needs its password.`,
    advice: 'Install as SYSTEM (Package step), or set these credentials again with "Keep only the NT hash" cleared, then retry.',
  };
}

/** `DOMAIN\user` for SMB, from a stored credential. */
export function qualifiedUser(c: { readonly user: string; readonly domain: string }): string {
  return c.domain ? `${c.domain}\\${c.user}` : c.user;
}
