// The implementation of every contract channel, over the stores. Plain Node: the Electron shell,
// the browser bridge and the tests run exactly this map through the router.
import type { AppInfo } from '../ipc/contract.js';
import { ConsoleError } from '../ipc/errors.js';
import type { EventBus } from '../ipc/eventBus.js';
import type { Handlers } from '../ipc/router.js';
import { parseComputerEntry } from '../engine/computerEntry.js';
import type { ComputersRepo } from '../store/computersRepo.js';
import type { PackagesRepo } from '../store/packagesRepo.js';
import type { SettingsStore } from '../store/settings.js';
import type { TasksRepo } from '../store/tasksRepo.js';
import type { CredentialVault } from '../engine/credentials.js';
import { hashOnlyRefusal, qualifiedUser } from '../engine/credentials.js';
import type { PushRuntime } from '../engine/runtime.js';
import { diagnose } from '../engine/diagnose.js';
import type { CredentialCheck } from '../ipc/contract.js';
import { createWindowHandlers, eachLimited } from './windowHandlers.js';
import { leftoverItems, type Leftovers } from '../engine/cleanup.js';

/** Why Remove Leftovers did not try, as the error the admin reads. */
export function leftoversRefusal(why: 'credentials-missing' | 'not-ended', computer: string): ConsoleError {
  return why === 'credentials-missing'
    ? new ConsoleError('credentials-missing', `${computer}: no credentials are held for it now, so what the push left there cannot be removed.`, 'Use Set Credentials… on this computer: what the push left is then removed at once.')
    : new ConsoleError('target-running', `${computer}: its push is still running; Remove Leftovers only cleans after pushes that ended.`, 'Wait for the push to end, or Cancel it: a cancelled push cleans up after itself.');
}

export interface HandlerDeps {
  readonly appInfo: () => AppInfo;
  readonly computers: ComputersRepo;
  readonly packages: PackagesRepo;
  readonly tasks: TasksRepo;
  readonly settings: SettingsStore;
  readonly events: EventBus;
  readonly vault: CredentialVault;
  /** The push runtime (package server + engine) once started; null while starting or when it could not. */
  readonly runtime: () => PushRuntime | null;
  /** Why the runtime is not running, for the error the admin sees. */
  readonly runtimeProblem?: () => string | null;
  readonly now?: () => Date;
  /** Electron's open dialog (absent in the browser shell, which lists folders instead). */
  readonly chooseFile?: (title: string, extensions: readonly string[]) => Promise<string | null>;
  /** Network-scan bounds (tests shorten them). */
  readonly scan?: { timeoutMs?: number; concurrency?: number; progressMs?: number };
}


export function createHandlers(deps: HandlerDeps): Handlers {
  const now = deps.now ?? (() => new Date());
  const info = (message: string) =>
    deps.events.emit('log.line', { at: now().toISOString(), level: 'info', message });

  const engine = () => {
    const runtime = deps.runtime();
    if (!runtime) {
      throw new ConsoleError(
        'package-server',
        `The package server is not running${deps.runtimeProblem?.() ? `: ${deps.runtimeProblem()}` : ''}.`,
        'Free TCP port 2224 (or choose another port in Configuration) and restart the console.',
      );
    }
    return runtime.engine;
  };

  // The channels of the console's windows (packages.list adds each package's options and use).
  const windows = createWindowHandlers({
    dataDir: () => deps.appInfo().dataDir,
    computers: deps.computers,
    packages: deps.packages,
    tasks: deps.tasks,
    settings: deps.settings,
    events: deps.events,
    vault: deps.vault,
    runtime: deps.runtime,
    ...(deps.chooseFile ? { chooseFile: deps.chooseFile } : {}),
    ...(deps.scan ? { scan: deps.scan } : {}),
  });

  return {
    'app.info': () => deps.appInfo(),
    'computers.list': () => deps.computers.list(),
    'computers.add': ({ entries, groupName }) => {
      const invalid: { entry: string; reason: string }[] = [];
      const seen = new Set<string>();
      const valid: { name: string; address: string | null; port: number | null }[] = [];
      const duplicates: string[] = [];
      for (const entry of entries) {
        const parsed = parseComputerEntry(entry);
        if (!parsed.ok) {
          invalid.push({ entry, reason: parsed.reason });
          continue;
        }
        const key = parsed.name.toLowerCase();
        if (seen.has(key)) {
          duplicates.push(parsed.name);
          continue;
        }
        seen.add(key);
        const isAddress = parsed.kind === 'ipv4' || parsed.kind === 'ipv6';
        valid.push({ name: parsed.name, address: isAddress ? parsed.name : null, port: parsed.port });
      }
      if (valid.length === 0 && invalid.length > 0) {
        throw new ConsoleError(
          'invalid-computer',
          `None of the entries is a computer name or address: ${invalid.map((i) => `"${i.entry}" (${i.reason})`).join(', ')}.`,
          'Enter a NetBIOS name (up to 15 characters), a DNS name such as pc01.corp.example, or an IP address, with :port after it when SMB is not on 445 ([IPv6]:port).',
        );
      }
      const stored = deps.computers.addMany(valid.map((v) => ({ ...v, groupName: groupName ?? null })));
      if (stored.added.length > 0) info(`Added ${stored.added.length} computer(s).`);
      return { added: stored.added, duplicates: [...duplicates, ...stored.duplicates], invalid };
    },
    'computers.remove': ({ ids }) => {
      const removed = deps.computers.removeMany(ids);
      info(`Removed ${removed} computer(s).`);
      return { removed };
    },
    'tasks.list': () => deps.tasks.list(),
    'tasks.targets': ({ taskId }) => deps.tasks.targets(taskId, (id) => deps.runtime()?.engine.queuePosition(id) ?? null),
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
    'tasks.create': ({ name, packageId, scheduledAt, runAs, action, targets }) => {
      const byId = new Map(deps.computers.list().map((c) => [c.id, c]));
      const missing = targets.filter((t) => !byId.has(t.computerId));
      if (missing.length) throw new ConsoleError('invalid-computer', `${missing.length} selected computer(s) no longer exist.`, 'Refresh the Computers tab and select again.');
      if (runAs === 'admin') {
        const hashOnly = deps.vault.list().filter((c) => c.keeps === 'nt-hash' && targets.some((t) => t.credentialId === c.id));
        if (hashOnly.length) {
          const refusal = hashOnlyRefusal(hashOnly.map(qualifiedUser));
          throw new ConsoleError(refusal.errorClass, refusal.message, refusal.advice);
        }
      }
      const taskId = engine().submit({
        name,
        packageId,
        scheduledAt,
        options: { runAs, action: action ?? 'install' },
        targets: targets.map((t) => {
          const c = byId.get(t.computerId)!;
          return { computerId: c.id, computerName: c.name, address: c.address, port: c.port, credentialId: t.credentialId };
        }),
      });
      return { taskId };
    },
    'tasks.cancel': ({ taskId }) => {
      engine().cancelTask(taskId);
      return { ok: true };
    },
    'tasks.retryFailed': ({ taskId }) => ({ taskId: engine().retryFailed(taskId) }),
    'tasks.redeploy': ({ taskId }) => ({ taskId: engine().redeploy(taskId) }),
    'targets.cancel': ({ targetId }) => {
      engine().cancelTarget(targetId);
      return { ok: true };
    },
    'targets.removeLeftovers': async ({ targetId }) => {
      const result = await engine().removeLeftovers(targetId);
      if (result.refused) throw leftoversRefusal(result.refused, deps.tasks.targetRecord(targetId)?.computer_name ?? `target ${targetId}`);
      return { remaining: result.left ? JSON.stringify(result.left) : null };
    },
    'credentials.rebind': ({ credentialId, targetIds, taskId, computerIds }) =>
      engine().rebindCredential(targetIds ? { targetIds } : taskId !== undefined ? { taskId } : { computerIds: computerIds ?? [] }, credentialId),
    'leftovers.list': () => {
      const names = new Map(deps.tasks.list().map((t) => [t.id, t.name]));
      return deps.tasks.targetsWithLeftovers().map((t) => ({
        targetId: t.id,
        taskId: t.task_id,
        taskName: names.get(t.task_id) ?? `Task ${t.task_id}`,
        computerId: t.computer_id,
        computerName: t.computer_name,
        items: leftoverItems(JSON.parse(t.leftovers!) as Leftovers),
        since: t.finished_at,
        credentialAvailable: t.credential_id !== null && deps.vault.logon(t.credential_id) !== null,
      }));
    },
    'targets.msiLog': ({ targetId }) => ({ log: deps.tasks.targetRecord(targetId)?.msi_log ?? null }),
    'targets.log': ({ targetId }) => deps.tasks.log(targetId),
    'settings.get': () => deps.settings.get(),
    'settings.update': (changes) => {
      const next = deps.settings.update(changes);
      info(`Settings saved (${Object.keys(changes).join(', ') || 'no changes'}).`);
      return next;
    },
    ...windows,
  };
}
