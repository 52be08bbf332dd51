// Credentials: listing, setting and removing them (the vault, the keychain), the wizard's Test,
// and Set Credentials… giving targets a credential again.
import type { CredentialCheck } from '../../ipc/contract.js';
import { ConsoleError } from '../../ipc/errors.js';
import { qualifiedUser } from '../../engine/credentials.js';
import { diagnose } from '../../engine/diagnose.js';
import { activityLog, eachLimited, pushEngine, type DomainHandlers, type HandlerDeps } from './common.js';

export function createCredentialsHandlers(deps: HandlerDeps): DomainHandlers<'credentials'> {
  const info = activityLog(deps);
  return {
    'credentials.list': () => deps.vault.list(),
    'credentials.set': ({ label, user, password, remember, keep }) => {
      let id: number;
      try {
        id = deps.vault.put(label || user, user, password, { remember, keep: keep ?? 'password' });
      } catch (error) {
        // The keychain's own words (never the password: it is not part of the request it echoes).
        const why = error instanceof Error ? error.message : String(error);
        throw new ConsoleError('credentials-storage', `The keychain refused to store the password (${why}).`, 'Unlock the keychain, or set the credentials without "remember".');
      }
      const where = remember && deps.vault.storage === 'keychain' ? 'in the keychain' : 'in memory only, until the console stops';
      info(`Credentials for ${user} set (${where}${keep === 'nt-hash' ? ', NT hash only: installs as SYSTEM' : ''}).`);
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
      const credential = deps.vault.logon(credentialId);
      if (!credential) throw new ConsoleError('credentials-missing', 'These credentials are not available any more.', 'Set them again.');
      const byId = new Map(deps.computers.list().map((c) => [c.id, c]));
      const settings = deps.settings.get();
      return eachLimited(computerIds, 20, async (computerId): Promise<CredentialCheck> => {
        const computer = byId.get(computerId);
        if (!computer) return { computerId, ok: false, logon: null, adminShareWritable: null, scmAccess: null, error: { class: 'not-found', code: null, message: 'The computer is no longer in the list.', advice: 'Refresh the list.' } };
        const report = await diagnose(
          { host: computer.address ?? computer.name, port: computer.port ?? 445 },
          { credentials: { user: qualifiedUser(credential), ntHash: credential.ntHash }, connectTimeoutMs: settings.connectTimeoutSeconds * 1000, encryptWhenSupported: settings.encryptWhenSupported },
        );
        const first = report.errors[0];
        return {
          computerId,
          ok: report.ok,
          logon: report.authentication === 'not-checked' ? null : report.authentication === 'ok',
          adminShareWritable: report.adminShareWritable,
          scmAccess: report.scmAccess,
          error: first ? { class: first.class, code: first.code, message: first.message, advice: first.advice } : null,
        };
      });
    },
    'credentials.rebind': ({ credentialId, targetIds, taskId, computerIds }) =>
      pushEngine(deps).rebindCredential(targetIds ? { targetIds } : taskId !== undefined ? { taskId } : { computerIds: computerIds ?? [] }, credentialId),
  };
}
