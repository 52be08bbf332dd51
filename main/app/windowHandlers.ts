// The channels of the console's windows: file chooser, packages, computer imports,
// Get Info, Diagnostics, network scans, Active Directory and the history's exports. Spread into
// the contract's handler map by handlers.ts; plain Node like the rest of it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import type { DiagnosticsResult, HostInfoResult } from '../ipc/contract.js';
import { ConsoleError, toIpcError } from '../ipc/errors.js';
import type { EventBus } from '../ipc/eventBus.js';
import type { Handlers } from '../ipc/router.js';
import { diagnose } from '../engine/diagnose.js';
import { qualifiedUser, type CredentialVault } from '../engine/credentials.js';
import type { PushRuntime } from '../engine/runtime.js';
import { previewComputerList } from '../import/computerList.js';
import { searchDirectoryComputers } from '../import/directoryImport.js';
import { scanAddresses, scanRange } from '../import/networkScan.js';
import { getHostInfo } from '../smb/hostInfo.js';
import type { ComputersRepo } from '../store/computersRepo.js';
import type { PackagesRepo } from '../store/packagesRepo.js';
import type { SettingsStore } from '../store/settings.js';
import type { TasksRepo } from '../store/tasksRepo.js';
import { listFolder } from './fileChooser.js';
import { exportCsv, exportLogsZip } from './historyExport.js';
import { PackageService } from './packageService.js';
import { registerSecret } from '../smb/auth/secretRegistry.js';

type WindowChannel =
  | 'files.list' | 'files.chooseNative' | 'packages.list' | 'packages.inspect' | 'packages.create' | 'packages.duplicate' | 'packages.remove'
  | 'computers.preview' | 'computers.previewFile' | 'computers.setGroup' | 'computers.getInfo' | 'computers.diagnose' | 'computers.removeLeftovers'
  | 'scan.start' | 'scan.cancel' | 'directory.search' | 'history.exportCsv' | 'history.exportLogs' | 'tasks.targetsById'
  | 'app.networkAddresses';

export interface WindowHandlerDeps {
  readonly dataDir: () => string;
  readonly computers: ComputersRepo;
  readonly packages: PackagesRepo;
  readonly tasks: TasksRepo;
  readonly settings: SettingsStore;
  readonly events: EventBus;
  readonly vault: CredentialVault;
  readonly runtime: () => PushRuntime | null;
  /** Electron's open dialog; absent in the browser shell. */
  readonly chooseFile?: (title: string, extensions: readonly string[]) => Promise<string | null>;
  /** Network scan bounds (tests shorten them). */
  readonly scan?: { timeoutMs?: number; concurrency?: number; progressMs?: number };
}

/** Text/CSV imports are read whole; 4 MB is far beyond 10 000 lines of names. */
export const MAX_IMPORT_FILE_BYTES = 4 * 1024 * 1024;

export async function eachLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Keeps each computer's "last result" up to date: when a target ends, its outcome (and error
 * class) is written to the computer once the engine's batched journal has committed it.
 */
function trackLastResults(deps: WindowHandlerDeps): void {
  const finished = new Set<number>();
  let timer: NodeJS.Timeout | null = null;
  const apply = () => {
    timer = null;
    try {
      applyFinished();
    } catch (error) {
      // The console closed (database shut) between the event and this timer: nothing to keep.
      if (!(error instanceof TypeError && /not open/.test(error.message))) throw error;
    }
  };
  const applyFinished = () => {
    for (const targetId of finished) {
      const t = deps.tasks.targetRecord(targetId);
      if (!t || t.computer_id === null || t.state !== 'done') continue;
      const when = (t.finished_at ?? new Date().toISOString()).slice(0, 16).replace('T', ' ');
      deps.computers.setLastResult(t.computer_id, `${t.outcome ?? 'done'}${t.error_class && t.error_class !== t.outcome ? ` (${t.error_class})` : ''} · ${when}`);
    }
    finished.clear();
  };
  deps.events.subscribe((event, payload) => {
    if (event !== 'task.progress') return;
    const p = payload as { targetId: number; outcome: string | null };
    if (p.outcome === null) return;
    finished.add(p.targetId);
    timer ??= setTimeout(apply, 250);
  });
}

export function createWindowHandlers(deps: WindowHandlerDeps): Pick<Handlers, WindowChannel> {
  trackLastResults(deps);
  let service: PackageService | null = null;
  const packages = () => (service ??= new PackageService(deps.dataDir(), deps.packages));
  const scans = new Map<string, AbortController>();
  const existingNames = () => new Set(deps.computers.list().map((c) => c.name.toLowerCase()));
  const computerById = (ids: readonly number[]) => {
    const byId = new Map(deps.computers.list().map((c) => [c.id, c]));
    return ids.map((id) => ({ id, computer: byId.get(id) ?? null }));
  };
  const notFound = { class: 'not-found', code: null, message: 'The computer is no longer in the list.', advice: 'Refresh the list.' };
  const places = () => {
    const list = [{ label: 'Home', path: os.homedir() }, { label: 'Data folder', path: deps.dataDir() }];
    for (const p of ['/tmp', 'C:\\']) if (fs.existsSync(p)) list.push({ label: p, path: p });
    return list;
  };

  return {
    'app.networkAddresses': () =>
      Object.entries(os.networkInterfaces())
        .flatMap(([name, list]) => (list ?? []).map((a) => ({ interface: name, address: a.address, family: a.family === 'IPv6' ? ('IPv6' as const) : ('IPv4' as const), internal: a.internal })))
        // What agents can reach first: external IPv4, external IPv6 (not link-local), then loopback.
        .filter((a) => !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:')))
        .sort((a, b) => Number(a.internal) - Number(b.internal) || (a.family === b.family ? 0 : a.family === 'IPv4' ? -1 : 1)),
    'files.list': ({ path: folder, extensions }) => listFolder(folder, extensions, places()),
    'files.chooseNative': async ({ title, extensions }) => {
      if (!deps.chooseFile) return { supported: false, path: null };
      return { supported: true, path: await deps.chooseFile(title, extensions) };
    },
    'packages.list': () => packages().list(),
    'packages.inspect': ({ msiPath, configPath }) => packages().inspect(msiPath, configPath),
    'packages.create': (request) => packages().create(request),
    'packages.duplicate': (request) => packages().duplicate(request),
    'packages.remove': ({ id }) => ({ removed: packages().remove(id) }),

    'computers.preview': ({ text }) => previewComputerList(text, existingNames()),
    'computers.previewFile': ({ path: file }) => {
      let stat: fs.Stats;
      try {
        stat = fs.statSync(file);
      } catch (error) {
        throw new ConsoleError('file', `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, 'Choose the file again.');
      }
      if (!stat.isFile()) throw new ConsoleError('file', `${file} is not a file.`, 'Choose a .txt or .csv file.');
      if (stat.size > MAX_IMPORT_FILE_BYTES) throw new ConsoleError('import-too-large', `The file is ${stat.size} bytes; at most 4 MB (10 000 lines) is imported at once.`, 'Split the file into parts of up to 10 000 lines.');
      return { ...previewComputerList(fs.readFileSync(file, 'utf8'), existingNames()), fileName: path.basename(file) };
    },
    'computers.setGroup': ({ ids, groupName }) => ({ changed: deps.computers.setGroup(ids, groupName) }),
    'computers.getInfo': async ({ ids }) => {
      const timeoutMs = deps.settings.get().connectTimeoutSeconds * 1000;
      return eachLimited(computerById(ids), 32, async ({ id, computer }): Promise<HostInfoResult> => {
        const empty = { computerId: id, serverName: null, domain: null, dnsName: null, osVersion: null, dialect: null, signingRequired: null, cipher: null };
        if (!computer) return { ...empty, ok: false, error: notFound };
        try {
          const info = await getHostInfo({ host: computer.address ?? computer.name, port: computer.port ?? 445, connectTimeoutMs: timeoutMs });
          const domain = info.dnsDomain ?? info.netbiosDomain;
          const osText = info.osVersion ? `Windows ${info.osVersion}` : null;
          deps.computers.updateInfo(id, { domain, os: osText });
          return {
            computerId: id, ok: true, serverName: info.netbiosName, domain, dnsName: info.dnsName, osVersion: info.osVersion,
            dialect: info.dialect, signingRequired: info.signingRequired, cipher: info.cipher, error: null,
          };
        } catch (error) {
          return { ...empty, ok: false, error: toIpcError(error) };
        }
      });
    },
    'computers.diagnose': async ({ ids, credentialId }) => {
      const credential = deps.vault.logon(credentialId);
      if (!credential) throw new ConsoleError('credentials-missing', 'These credentials are not available any more.', 'Set them again.');
      const settings = deps.settings.get();
      return eachLimited(computerById(ids), 16, async ({ id, computer }): Promise<DiagnosticsResult> => {
        if (!computer) return { computerId: id, ok: false, checks: [], errors: [{ ...notFound, step: 'lookup' }] };
        const r = await diagnose(
          { host: computer.address ?? computer.name, port: computer.port ?? 445 },
          { credentials: { user: qualifiedUser(credential), ntHash: credential.ntHash }, connectTimeoutMs: settings.connectTimeoutSeconds * 1000, encryptWhenSupported: settings.encryptWhenSupported },
        );
        const checks: DiagnosticsResult['checks'] = [
          { check: 'Reachable on TCP 445', ok: r.reachable, detail: r.reachable ? r.target : r.errors[0]?.message ?? 'no answer' },
          { check: 'SMB dialect', ok: r.dialect === null ? null : r.dialect !== '2.0.2', detail: r.dialect ?? '—' },
          { check: 'Signing', ok: r.signingRequired === null ? null : true, detail: r.signingRequired === null ? '—' : r.signingRequired ? 'required by the computer' : 'supported' },
          { check: 'Encryption', ok: r.sessionEncrypted === null ? null : true, detail: r.cipher ? `${r.cipher}${r.sessionEncrypted ? ', in use' : ''}` : 'not offered (SMB 2.x or disabled)' },
          { check: 'Names', ok: r.serverName === null ? null : true, detail: [r.serverName, r.domain, r.dnsName].filter(Boolean).join(' · ') || '—' },
          { check: 'Operating system', ok: r.osVersion === null ? null : true, detail: r.osVersion ? `Windows ${r.osVersion}` : '—' },
          { check: 'Logon', ok: r.authentication === 'not-checked' ? null : r.authentication === 'ok', detail: r.authentication === 'ok' ? `as ${qualifiedUser(credential)}` : r.authentication },
          { check: 'ADMIN$ writable', ok: r.adminShareWritable, detail: r.adminShareWritable === null ? 'not checked' : r.adminShareWritable ? 'a probe file was written and deleted' : 'refused' },
          { check: 'Service Control Manager', ok: r.scmAccess, detail: r.scmAccess === null ? 'not checked' : r.scmAccess ? 'may create services' : 'refused' },
          { check: 'Agent callback (TCP 2224)', ok: null, detail: 'known only once an agent runs there' },
        ];
        if (r.osVersion || r.domain) deps.computers.updateInfo(id, { domain: r.dnsName?.split('.').slice(1).join('.') || r.domain, os: r.osVersion ? `Windows ${r.osVersion}` : null });
        return { computerId: id, ok: r.ok, checks, errors: r.errors };
      });
    },
    'computers.removeLeftovers': async ({ ids }) => {
      const runtime = deps.runtime();
      if (!runtime) throw new ConsoleError('package-server', 'The push engine is not running.', 'Restart the console.');
      const wanted = new Set(ids);
      const targets = deps.tasks.targetsWithLeftovers().filter((t) => t.computer_id !== null && wanted.has(t.computer_id));
      const results = await eachLimited(targets, 8, async (t) => runtime.engine.removeLeftovers(t.id).catch(() => null));
      const cleaned = results.filter((r) => r !== null && r.left === null).length;
      const noCredentials = results.filter((r) => r?.refused === 'credentials-missing').length;
      return { targets: targets.length, cleaned, remaining: targets.length - cleaned, noCredentials };
    },

    'scan.start': ({ range, port }) => {
      const addresses = scanAddresses(range);
      const scanId = `scan-${crypto.randomBytes(6).toString('hex')}`;
      const controller = new AbortController();
      scans.set(scanId, controller);
      const total = addresses.length;
      void scanRange(
        addresses,
        { port: port ?? 445, timeoutMs: deps.scan?.timeoutMs ?? 1500, concurrency: deps.scan?.concurrency ?? 64, progressMs: deps.scan?.progressMs ?? 200, signal: controller.signal },
        (p) => deps.events.emit('scan.progress', { scanId, done: p.done, total, found: p.found, finished: false, cancelled: false }),
      )
        .then(({ found, probed }) => {
          const cancelled = probed < total;
          deps.events.emit('scan.progress', { scanId, done: probed, total, found: [], finished: true, cancelled });
          deps.events.emit('log.line', { at: new Date().toISOString(), level: 'info', message: `Network scan of ${range}: ${found.length} of ${probed} probed address(es) answer on TCP ${port ?? 445}${cancelled ? ` (cancelled after ${probed} of ${total})` : ''}.` });
        })
        .finally(() => scans.delete(scanId));
      return { scanId, total };
    },
    'scan.cancel': ({ scanId }) => {
      const controller = scans.get(scanId);
      controller?.abort();
      return { ok: controller !== undefined };
    },

    'directory.search': (q) => {
      // The bind password is a secret too: no error, log or crash report may echo it.
      registerSecret(q.password);
      return searchDirectoryComputers(q);
    },

    'tasks.targetsById': ({ taskId, targetIds }) => deps.tasks.targetsByIds(taskId, targetIds, (id) => deps.runtime()?.engine.queuePosition(id) ?? null),
    'history.exportCsv': ({ taskId }) => exportCsv(exportDeps(deps), taskId),
    'history.exportLogs': ({ taskId, targetIds }) => {
      const zip = exportLogsZip(exportDeps(deps), taskId, targetIds);
      return { fileName: zip.fileName, base64: zip.data.toString('base64'), bytes: zip.data.length, entries: zip.entries };
    },
  };
}

function exportDeps(deps: WindowHandlerDeps) {
  return {
    tasks: deps.tasks,
    secretsOf: (ids: readonly number[]) => [...new Set(ids)].flatMap((id) => deps.vault.scrubForms(id)),
  };
}
