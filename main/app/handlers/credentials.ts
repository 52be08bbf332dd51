// Credentials: listing, setting and removing them (the vault, the keychain), LAPS credentials, the
// wizard's Test, and Set Credentials… giving targets a credential again.
import type { Computer, CredentialCheck, LapsFound } from '../../ipc/contract.js';
import { ConsoleError, toIpcError } from '../../ipc/errors.js';
import { qualifiedUser } from '../../engine/credentials.js';
import { diagnose } from '../../engine/diagnose.js';
import { lapsLogon, lapsLogonFailureAdvice } from '../../engine/lapsLogon.js';
import type { SmbCredentials } from '../../smb/session.js';
import { KerberosLogon } from '../../smb/auth/kerberos/logon.js';
import { kerberosSettings } from '../../engine/kerberosLogons.js';
import { activityLog, eachLimited, pushEngine, type DomainHandlers, type HandlerDeps } from './common.js';

/** The keychain's refusal as the admin reads it (its own words; never the password, which is not part of what it echoes). */
function storageRefusal(error: unknown): ConsoleError {
  if (error instanceof ConsoleError) return error;
  const why = error instanceof Error ? error.message : String(error);
  return new ConsoleError('credentials-storage', `The keychain refused to store the password (${why}).`, 'Unlock the keychain, or set the credentials without "remember".');
}

export function createCredentialsHandlers(deps: HandlerDeps): DomainHandlers<'credentials'> {
  const info = activityLog(deps);
  const where = (remember: boolean) => (remember && deps.vault.storage === 'keychain' ? 'in the keychain' : 'in memory only, until the console stops');
  return {
    'credentials.list': () => deps.vault.list(),
    'credentials.set': ({ label, user, password, remember, keep }) => {
      let id: number;
      try {
        id = deps.vault.put(label || user, user, password, { remember, keep: keep ?? 'password' });
      } catch (error) {
        throw storageRefusal(error);
      }
      info(`Credentials for ${user} set (${where(remember)}${keep === 'nt-hash' ? ', NT hash only: installs as SYSTEM' : ''}).`);
      return deps.vault.list().find((c) => c.id === id)!;
    },
    'credentials.setLaps': ({ label, url, baseDn, startTls, allowUntrusted, caPem, bindDn, password, remember }) => {
      let id: number;
      try {
        id = deps.vault.putLaps(label || `LAPS (${url})`, { url, baseDn, startTls, allowUntrusted, caPem: caPem ?? null }, bindDn, password, { remember });
      } catch (error) {
        throw storageRefusal(error);
      }
      info(`LAPS credentials set: each computer's own Administrator password is read from ${url} as ${bindDn} when its push starts (the reader's password ${where(remember)}).`);
      return deps.vault.list().find((c) => c.id === id)!;
    },
    'credentials.remove': ({ id }) => {
      const existed = deps.vault.list().some((c) => c.id === id);
      try {
        deps.vault.remove(id);
      } catch (error) {
        // The credential stays listed, so the admin can try again once the keychain is unlocked.
        const why = error instanceof Error ? error.message : String(error);
        throw new ConsoleError('credentials-storage', `The keychain refused to delete the password (${why}); the credentials are still stored.`, 'Unlock the keychain (log in to the desktop session), then remove the credentials again.');
      }
      return { removed: existed };
    },
    'credentials.test': async ({ credentialId, computerIds }) => {
      const logonFor = computerLogon(deps, credentialId);
      const byId = new Map(deps.computers.list().map((c) => [c.id, c]));
      const settings = deps.settings.get();
      return eachLimited(computerIds, 20, async (computerId): Promise<CredentialCheck> => {
        const computer = byId.get(computerId);
        if (!computer) return { computerId, ok: false, logon: null, adminShareWritable: null, scmAccess: null, error: { class: 'not-found', code: null, message: 'The computer is no longer in the list.', advice: 'Refresh the list.' } };
        let logon: ComputerLogon;
        try {
          logon = await logonFor(computer);
        } catch (error) {
          // A LAPS read that failed: no logon was tried on the computer.
          return { computerId, ok: false, logon: null, adminShareWritable: null, scmAccess: null, error: toIpcError(error), laps: null };
        }
        const report = await diagnose(
          { host: computer.address ?? computer.name, logonName: computer.name, port: computer.port ?? 445 },
          { credentials: logon.credentials, connectTimeoutMs: settings.connectTimeoutSeconds * 1000, encryptWhenSupported: settings.encryptWhenSupported, auth: settings.authentication },
        );
        const first = report.errors[0];
        return {
          computerId,
          ok: report.ok,
          logon: report.authentication === 'not-checked' ? null : report.authentication === 'ok',
          authMechanism: report.authMechanism,
          adminShareWritable: report.adminShareWritable,
          scmAccess: report.scmAccess,
          error: first ? { class: first.class, code: first.code, message: first.message, advice: logon.laps && first.class === 'logon-failure' ? lapsLogonFailureAdvice(logon.laps) : first.advice } : null,
          ...(logon.laps ? { laps: logon.laps } : {}),
        };
      });
    },
    'credentials.rebind': ({ credentialId, targetIds, taskId, computerIds }) =>
      pushEngine(deps).rebindCredential(targetIds ? { targetIds } : taskId !== undefined ? { taskId } : { computerIds: computerIds ?? [] }, credentialId),
  };
}

/** How the console logs on to one computer with a credential, and (LAPS) what the read found. */
export interface ComputerLogon {
  readonly credentials: SmbCredentials;
  /** Who logs on, for the windows (DOMAIN\user, or .\<LAPS account>). */
  readonly user: string;
  readonly laps: LapsFound | null;
}

/**
 * The logon per computer for a credential (Test, Diagnostics): its NT hash, or — a LAPS credential
 * — that computer's own LAPS password read now (the attribute and account returned, never the
 * password). Throws credentials-missing at once when the credential is gone; the returned
 * function throws the LAPS read's ConsoleError for a computer whose password cannot be read.
 */
export function computerLogon(deps: Pick<HandlerDeps, 'vault' | 'settings'>, credentialId: number): (computer: Pick<Computer, 'name' | 'address' | 'port'>) => Promise<ComputerLogon> {
  const missing = () => new ConsoleError('credentials-missing', 'These credentials are not available any more.', 'Set them again.');
  const laps = deps.vault.lapsDirectory(credentialId);
  if (laps) {
    const connectTimeoutMs = deps.settings.get().connectTimeoutSeconds * 1000;
    return async (computer) => {
      const read = await lapsLogon(laps, { name: computer.name, address: computer.address, port: computer.port ?? 445 }, { connectTimeoutMs });
      const { secret } = read;
      return {
        credentials: read.credentials,
        user: read.credentials.user,
        laps: { attribute: secret.attribute, account: secret.account, expired: secret.expired, expiresAt: secret.expiresAt?.toISOString() ?? null, updatedAt: secret.updatedAt?.toISOString() ?? null, lookedUp: read.lookedUp },
      };
    };
  }
  const credential = deps.vault.logon(credentialId);
  if (!credential) throw missing();
  const user = qualifiedUser(credential);
  // One Kerberos identity for this Test or Diagnostics run: one AS exchange for all its computers.
  const settings = deps.settings.get();
  const kerberos = settings.authentication !== 'ntlm-only' ? new KerberosLogon(user, () => deps.vault.installCredential(credentialId)?.password ?? null, kerberosSettings(settings)) : undefined;
  return () => Promise.resolve({ credentials: { user, ntHash: credential.ntHash, ...(kerberos ? { kerberos } : {}) }, user, laps: null });
}
