// What keeps a step of the New Installation Task wizard from continuing, in words: computers
// without (usable) credentials, no package, an account that keeps only the NT hash installing as
// the administrator, a start time in the past, a name too long.
import { installsAs, type Computer, type Credential, type Package, type RebootPolicy, type TaskAction, type Transport } from '../../main/ipc/contract';
import type { LogonRow } from './LogonStep';
import type { ActionWords } from './taskWords';

/** What the wizard collects before Finish. */
export interface TaskDraft {
  readonly kind: 'push';
  readonly action: TaskAction;
  readonly rows: LogonRow[];
  readonly packageId: number | null;
  readonly runAs: 'admin' | 'system';
  /** How agents get the package: auto (default), callback (TCP 2224) or smb (ADMIN$, as SYSTEM). */
  readonly transport: Transport;
  /** After an install that needs a restart. */
  readonly reboot: RebootPolicy;
  readonly name: string;
  readonly when: 'now' | 'at';
  /** The start, as <input type="datetime-local"> writes it. */
  readonly at: string;
}

export interface DraftContext {
  readonly draft: TaskDraft;
  readonly pkg: Package | null;
  readonly packages: readonly Package[];
  readonly credentials: readonly Credential[];
  readonly computers: readonly Computer[];
  readonly words: ActionWords;
  readonly defaultName: string;
}

/** Step 1 Logon, 2 Package, 3 Schedule; null when the step may continue. */
export function draftProblem(step: number, c: DraftContext): string | null {
  const { rows, runAs, when, at, name } = c.draft;
  if (step === 1) {
    if (rows.length === 0) return 'The task has no computers. Use Add Clients Special… to add some.';
    const names = new Map(c.computers.map((x) => [x.id, x.name]));
    const without = rows.filter((r) => r.credentialId === null);
    if (without.length) {
      const list = without.slice(0, 5).map((r) => names.get(r.computerId) ?? `#${r.computerId}`).join(', ');
      return `${without.length} computer(s) have no credentials (${list}${without.length > 5 ? ', …' : ''}). Highlight them and use Set Credentials…, or Set for All….`;
    }
    const available = new Set(c.credentials.filter((x) => x.available).map((x) => x.id));
    const stale = rows.filter((r) => r.credentialId !== null && !available.has(r.credentialId));
    if (stale.length) return `The password of ${stale.length} computer(s)' credentials was not kept. Set their credentials again.`;
  }
  if (step === 2 && !c.pkg) return c.packages.length ? `Choose the package to ${c.words.summary}.` : 'There is no package yet: Create Package… from an .msi.';
  if (step === 2 && installsAs(runAs, c.draft.transport) === 'admin') {
    const hashOnly = new Set(c.credentials.filter((x) => x.keeps === 'nt-hash').map((x) => x.id));
    const n = rows.filter((r) => r.credentialId !== null && hashOnly.has(r.credentialId)).length;
    if (n) return `${n} computer(s) use credentials that keep only the NT hash: they can install as SYSTEM, not as the administrator account. Choose "SYSTEM", or set their credentials again with "Keep only the NT hash" cleared.`;
  }
  if (step === 3) {
    if (when === 'at') {
      const t = Date.parse(at);
      if (!Number.isFinite(t)) return 'Enter the date and time to start.';
      if (t < Date.now() - 60_000) return 'That time has passed. Choose a time in the future, or Now.';
    }
    if ((name.trim() || c.defaultName).length > 128) return 'The task name is longer than 128 characters.';
    const r = c.draft.reboot;
    if (r.policy !== 'none' && (r.graceMinutes > 1440 || r.forceAfterMinutes < 1 || r.forceAfterMinutes > 10_080)) return 'The restart\'s minutes: notice or interval 0–1440, force after 1–10080.';
  }
  return null;
}
