// The LAPS passwords of the pushes under way: each target's own, read from the directory when its
// turn starts (lapsLogon.ts) and held here, in memory only, for that target's push — the SMB
// logon takes its NT hash, the package server hands it to the agent when the package installs as
// the account — then forgotten when the turn ends, however it ends (finished, cancelled, retried
// later, or a crash of the turn). Never in the database, a step log, an event or an export: it is
// registered (secretRegistry.ts, scoped to its target) so redaction and export scrubbing know it.
import type { LapsSecret } from '../import/lapsReader.js';
import { registerScopedSecret } from '../smb/auth/secretRegistry.js';
import type { InstallCredential } from './credentials.js';

/** The registry scope of a target's LAPS passwords (history exports scrub a target's logs of them). */
export function lapsScope(targetId: number): string {
  return `laps-target:${targetId}`;
}

export class TargetLapsSecrets {
  private readonly held = new Map<number, LapsSecret>();

  /** Holds the target's LAPS password while `work` runs; it is forgotten when `work` settles, resolved or thrown. */
  async during<T>(targetId: number, secret: LapsSecret, work: () => Promise<T>): Promise<T> {
    registerScopedSecret(lapsScope(targetId), secret.password);
    this.held.set(targetId, secret);
    try {
      return await work();
    } finally {
      if (this.held.get(targetId) === secret) this.held.delete(targetId);
    }
  }

  /** The agent's install credential for a target whose push holds a LAPS password: its local account, `.` as the domain (LogonUserW: the local account database). */
  installCredential(targetId: number): InstallCredential | null {
    const secret = this.held.get(targetId);
    return secret ? { user: secret.account, domain: '.', password: secret.password } : null;
  }

  has(targetId: number): boolean {
    return this.held.has(targetId);
  }

  /** How many targets hold a LAPS password now (tests: 0 once every push ended). */
  get size(): number {
    return this.held.size;
  }
}
