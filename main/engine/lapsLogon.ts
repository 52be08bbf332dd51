// A LAPS credential's logon on one computer (docs/PROTOCOLS.md §10.1): which computer object holds
// its password — by the name it was added under (a DNS name by dNSHostName, a NetBIOS name by cn or
// sAMAccountName NAME$), or, for a computer added by address, by the NetBIOS name it reports
// without credentials (Get Info) — the read itself (cancelled with the push), and the logon it
// gives: `.\<account>` with the password's NT hash. The push, the wizard's Test, Diagnostics and
// Remove Leftovers all log on this way; none of them writes the password anywhere.
import { ConsoleError } from '../ipc/errors.js';
import { readLapsPassword, type LapsDirectory, type LapsSecret, type LapsTarget } from '../import/lapsReader.js';
import { ntHash } from '../smb/auth/ntlm/keys.js';
import { getHostInfo } from '../smb/hostInfo.js';
import type { SmbCredentials } from '../smb/session.js';
import { parseComputerEntry } from './computerEntry.js';

/** The computer as the console knows it: the name it was added under, where it is reached. */
export interface LapsComputer {
  readonly name: string;
  readonly address: string | null;
  readonly port: number;
}

export interface LapsLogon {
  readonly secret: LapsSecret;
  /** `.\<account>` and the NT hash: a local account of that computer. */
  readonly credentials: SmbCredentials & { readonly user: string; readonly ntHash: Buffer };
  /** How the computer object was found, for the step log. */
  readonly lookedUp: string;
}

/** How the directory is searched for the computer: its DNS or NetBIOS name, or (added by address) the NetBIOS name it reports. */
export async function lapsTargetOf(computer: LapsComputer, o: { readonly connectTimeoutMs: number; readonly signal?: AbortSignal | undefined }): Promise<{ target: LapsTarget; lookedUp: string }> {
  const entry = parseComputerEntry(computer.name);
  if (entry.ok && entry.kind === 'dns') return { target: { dnsName: entry.name }, lookedUp: `by DNS name ${entry.name}` };
  if (entry.ok && entry.kind === 'netbios') return { target: { netbiosName: entry.name }, lookedUp: `by NetBIOS name ${entry.name}` };
  // Added by address: the name the computer gives in its NTLM CHALLENGE, before any logon.
  const host = computer.address ?? (entry.ok ? entry.name : computer.name);
  const info = await abortable(getHostInfo({ host, port: computer.port, connectTimeoutMs: o.connectTimeoutMs }), o.signal);
  if (!info.netbiosName) {
    throw new ConsoleError('laps-not-found', `${host} did not say its computer name, so its LAPS password cannot be looked up.`, 'Add the computer by its DNS name (as in Active Directory) instead of its address.');
  }
  return { target: { netbiosName: info.netbiosName }, lookedUp: `by NetBIOS name ${info.netbiosName} (as ${host} reports it)` };
}

/** The computer's own LAPS password and the logon it gives. Throws a ConsoleError (laps-*, directory-*, a connection class, cancelled). */
export async function lapsLogon(directory: LapsDirectory, computer: LapsComputer, o: { readonly connectTimeoutMs: number; readonly signal?: AbortSignal | undefined }): Promise<LapsLogon> {
  const { target, lookedUp } = await lapsTargetOf(computer, o);
  const secret = await readLapsPassword(directory, target, { signal: o.signal });
  return { secret, lookedUp, credentials: { user: `.\\${secret.account}`, ntHash: ntHash(secret.password) } };
}

/** The step-log line: which attribute, which account, when it was set and expires — never the password. */
export function describeLaps(secret: LapsSecret): string {
  const when = (d: Date | null) => (d ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : null);
  const updated = when(secret.updatedAt);
  const expires = when(secret.expiresAt);
  return `LAPS: ${secret.attribute}, account .\\${secret.account}${updated ? `, updated ${updated}` : ''}${expires ? `, ${secret.expired ? 'expired' : 'expires'} ${expires}` : ''}`;
}

/** The warning an expired LAPS password gets in the step log: the push still tries it. */
export function expiredWarning(secret: LapsSecret): string {
  return `warning: the LAPS password of ${secret.dn} expired${secret.expiresAt ? ` at ${secret.expiresAt.toISOString()}` : ''} — LAPS should have changed it on the computer, so it may be stale; trying it anyway`;
}

/** The advice a logon refused with a LAPS password gets: the directory's copy is not the computer's. */
export function lapsLogonFailureAdvice(secret: Pick<LapsSecret, 'account' | 'attribute' | 'expired'>): string {
  return (
    `The computer refused its LAPS password for .\\${secret.account} (${secret.attribute}${secret.expired ? ', expired' : ''}): the directory's copy is not the computer's — ` +
    'LAPS on the computer may have failed to write its new password to Active Directory, or the account was renamed or disabled. Check the LAPS event log there ' +
    '(Microsoft-Windows-LAPS/Operational), run Invoke-LapsPolicyProcessing or Reset-LapsPassword (legacy LAPS: gpupdate), then retry.'
  );
}

/** A promise that a signal may end first (with `cancelled`). */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  const cancelled = () => new ConsoleError('cancelled', 'Reading the LAPS password was cancelled.', 'Retry when ready.');
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(error as Error)),
    );
  });
}
