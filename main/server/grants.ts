// What one agent may fetch: a grant per target per run, behind a random one-time token. Tokens
// expire, the install credential is handed out once, and everything is refused after the result.
import crypto from 'node:crypto';

export interface PackageFile {
  /** The name the agent asks for (`package.msi`, `cfg.xml`): never a filesystem path. */
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly role: 'msi' | 'config';
}

export interface GrantSpec {
  readonly targetId: number;
  readonly runId: string;
  readonly files: readonly PackageFile[];
  readonly parameters: string;
  readonly runAs: 'admin' | 'system';
  readonly ttlMs: number;
}

export interface Grant extends GrantSpec {
  readonly token: string;
  readonly expiresAt: number;
  credentialTaken: boolean;
  finished: boolean;
}

export type GrantRefusal = 'missing' | 'unknown' | 'expired' | 'finished';

export class GrantStore {
  private readonly byToken = new Map<string, Grant>();

  constructor(private readonly now: () => number = Date.now, private readonly random: (n: number) => Buffer = crypto.randomBytes) {}

  issue(spec: GrantSpec): Grant {
    const grant: Grant = { ...spec, token: this.random(32).toString('base64url'), expiresAt: this.now() + spec.ttlMs, credentialTaken: false, finished: false };
    this.byToken.set(grant.token, grant);
    return grant;
  }

  /** A 256-bit random token: looked up by exact value; guessing one is not feasible. */
  check(token: string | undefined): Grant | GrantRefusal {
    if (!token) return 'missing';
    const grant = this.byToken.get(token);
    if (!grant) return 'unknown';
    if (grant.finished) return 'finished';
    if (this.now() > grant.expiresAt) return 'expired';
    return grant;
  }

  revoke(token: string): void {
    this.byToken.delete(token);
  }

  /** Crash recovery and cancel: every grant of a target goes. */
  revokeTarget(targetId: number): void {
    for (const [token, grant] of this.byToken) if (grant.targetId === targetId) this.byToken.delete(token);
  }
}
