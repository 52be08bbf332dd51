// What one agent may fetch: a grant per target per run, behind a random one-time token. Tokens
// expire, the install credential is handed out once, and everything is refused after the result.
import crypto from 'node:crypto';
import type { PushAction, RestartPolicy } from './agentProtocol.js';

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
  /** install (default), uninstall or repair: sent in the job as `action`. */
  readonly action?: PushAction;
  /** The task's restart policy, for the agent's job. */
  readonly restart?: RestartPolicy;
  readonly ttlMs: number;
}

export interface Grant extends GrantSpec {
  readonly token: string;
  readonly expiresAt: number;
  credentialTaken: boolean;
  finished: boolean;
}

export type GrantRefusal = 'missing' | 'unknown' | 'expired' | 'finished';

function digest(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('base64url');
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export class GrantStore {
  /** Keyed by the token's SHA-256: a lookup's timing says nothing about the token's characters. */
  private readonly byToken = new Map<string, Grant>();

  constructor(private readonly now: () => number = Date.now, private readonly random: (n: number) => Buffer = crypto.randomBytes) {}

  issue(spec: GrantSpec): Grant {
    const grant: Grant = { ...spec, token: this.random(32).toString('base64url'), expiresAt: this.now() + spec.ttlMs, credentialTaken: false, finished: false };
    this.byToken.set(digest(grant.token), grant);
    return grant;
  }

  /** A 256-bit random token: looked up by exact value; guessing one is not feasible. */
  check(token: string | undefined): Grant | GrantRefusal {
    if (!token) return 'missing';
    const grant = this.byToken.get(digest(token));
    // …then compared in constant time, so the timing of a refusal tells nothing either.
    if (!grant || !sameToken(grant.token, token)) return 'unknown';
    if (grant.finished) return 'finished';
    if (this.now() > grant.expiresAt) return 'expired';
    return grant;
  }

  revoke(token: string): void {
    this.byToken.delete(digest(token));
  }

  /** Crash recovery and cancel: every grant of a target goes. */
  revokeTarget(targetId: number): void {
    for (const [key, grant] of this.byToken) if (grant.targetId === targetId) this.byToken.delete(key);
  }
}
