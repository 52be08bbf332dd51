// Credentials are referenced by id everywhere (DESIGN.md §5): the database holds who and where
// (the `credentials` table: label, user, domain, secret_ref), never the secret. Where the secret
// lives is a SecretBackend behind one vault: the OS keychain (keychainVault.ts: @napi-rs/keyring
// in the browser shell and the CLI), Electron's safeStorage (main/electron/safeStorageVault.ts),
// or process memory only — a credential the admin chose not to remember, a CLI run, the simulated
// lab, or a machine with no keychain to talk to.
import crypto from 'node:crypto';
import type { Db } from '../store/database.js';
import { parseUserName } from '../smb/auth/ntlm.js';

export interface StoredCredential {
  readonly id: number;
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
}

export interface PutOptions {
  /** true (default): keep the secret in the keychain when there is one; false: memory only. */
  readonly remember?: boolean;
}

export interface CredentialVault {
  /** Where a remembered secret goes: 'memory' when no keychain could be reached. */
  readonly storage: SecretStorage;
  /** Why the keychain is not used, for the admin (null when it is). */
  readonly problem: string | null;
  /** Stores a credential; returns its id. */
  put(label: string, user: string, password: string, options?: PutOptions): number;
  get(id: number): StoredCredential | null;
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
}

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
    const remember = options.remember ?? true;
    let ref = `${MEMORY_PREFIX}${crypto.randomUUID()}`;
    if (remember && this.backend) {
      const keyRef = `${this.backend.prefix}${crypto.randomUUID()}`;
      this.backend.set(keyRef, password);
      ref = keyRef;
    } else {
      this.secrets.set(ref, password);
    }
    try {
      return Number(
        this.db
          .prepare('INSERT INTO credentials (label, domain, username, secret_ref, created_at) VALUES (?, ?, ?, ?, ?)')
          .run(label, domain, name, ref, this.now().toISOString()).lastInsertRowid,
      );
    } catch (error) {
      this.forget(ref);
      throw error;
    }
  }

  get(id: number): StoredCredential | null {
    const row = this.row(id);
    if (!row) return null;
    const password = this.secret(row.secret_ref);
    if (password === null) return null;
    return { id: row.id, user: row.username, domain: row.domain ?? '', password };
  }

  list(): CredentialSummary[] {
    const rows = this.db.prepare('SELECT id, label, domain, username, secret_ref FROM credentials ORDER BY id').all() as CredentialRow[];
    return rows.map((r) => ({
      id: r.id,
      label: r.label,
      user: r.username,
      domain: r.domain ?? '',
      available: this.holds(r.secret_ref),
      storage: r.secret_ref.startsWith(MEMORY_PREFIX) ? 'memory' : 'keychain',
    }));
  }

  remove(id: number): void {
    const row = this.row(id);
    if (row) this.forget(row.secret_ref);
    this.db.prepare('DELETE FROM credentials WHERE id = ?').run(id);
  }

  private row(id: number): CredentialRow | undefined {
    return this.db.prepare('SELECT id, label, domain, username, secret_ref FROM credentials WHERE id = ?').get(id) as CredentialRow | undefined;
  }

  private secret(ref: string): string | null {
    if (ref.startsWith(MEMORY_PREFIX)) return this.secrets.get(ref) ?? null;
    if (this.backend && ref.startsWith(this.backend.prefix)) return this.backend.get(ref);
    return null;
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

/** `DOMAIN\user` for SMB, from a stored credential. */
export function qualifiedUser(c: Pick<StoredCredential, 'user' | 'domain'>): string {
  return c.domain ? `${c.domain}\\${c.user}` : c.user;
}
