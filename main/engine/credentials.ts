// Credentials are referenced by id everywhere (DESIGN.md §5): the database holds who and where
// (the `credentials` table), never the secret. This vault keeps secrets in process memory only
// (a CLI run, the simulated lab, a session that chose not to remember); issue #9 adds the OS
// keychain behind the same interface.
import crypto from 'node:crypto';
import type { Db } from '../store/database.js';
import { parseUserName } from '../smb/auth/ntlm.js';

export interface StoredCredential {
  readonly id: number;
  readonly user: string;
  readonly domain: string;
  readonly password: string;
}

export interface CredentialVault {
  /** Stores a credential; returns its id. */
  put(label: string, user: string, password: string): number;
  get(id: number): StoredCredential | null;
  remove(id: number): void;
  /** Every stored credential, without secrets; `available` says whether its secret is held. */
  list(): { id: number; label: string; user: string; domain: string; available: boolean }[];
}

export class MemoryVault implements CredentialVault {
  private readonly secrets = new Map<string, string>();

  constructor(private readonly db: Db, private readonly now: () => Date = () => new Date()) {}

  put(label: string, user: string, password: string): number {
    const { user: name, domain } = parseUserName(user);
    const ref = `memory:${crypto.randomUUID()}`;
    this.secrets.set(ref, password);
    return Number(
      this.db
        .prepare('INSERT INTO credentials (label, domain, username, secret_ref, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(label, domain, name, ref, this.now().toISOString()).lastInsertRowid,
    );
  }

  get(id: number): StoredCredential | null {
    const row = this.db.prepare('SELECT id, domain, username, secret_ref FROM credentials WHERE id = ?').get(id) as
      | { id: number; domain: string | null; username: string; secret_ref: string }
      | undefined;
    if (!row) return null;
    const password = this.secrets.get(row.secret_ref);
    if (password === undefined) return null;
    return { id: row.id, user: row.username, domain: row.domain ?? '', password };
  }

  list(): { id: number; label: string; user: string; domain: string; available: boolean }[] {
    const rows = this.db.prepare('SELECT id, label, domain, username, secret_ref FROM credentials ORDER BY id').all() as { id: number; label: string; domain: string | null; username: string; secret_ref: string }[];
    return rows.map((r) => ({ id: r.id, label: r.label, user: r.username, domain: r.domain ?? '', available: this.secrets.has(r.secret_ref) }));
  }

  remove(id: number): void {
    const row = this.db.prepare('SELECT secret_ref FROM credentials WHERE id = ?').get(id) as { secret_ref: string } | undefined;
    if (row) this.secrets.delete(row.secret_ref);
    this.db.prepare('DELETE FROM credentials WHERE id = ?').run(id);
  }
}

/** `DOMAIN\user` for SMB, from a stored credential. */
export function qualifiedUser(c: Pick<StoredCredential, 'user' | 'domain'>): string {
  return c.domain ? `${c.domain}\\${c.user}` : c.user;
}
