// The Computers tab's channels: the list, adding (typed, pasted, from a file), groups, Get Info,
// Diagnostics and Remove Leftovers on whole computers; and each computer's "last result".
import fs from 'node:fs';
import path from 'node:path';
import type { DiagnosticsResult, HostInfoResult } from '../../ipc/contract.js';
import { ConsoleError, toIpcError } from '../../ipc/errors.js';
import { parseComputerEntry } from '../../engine/computerEntry.js';
import { diagnose, type DiagnoseReport } from '../../engine/diagnose.js';
import { MAX_IMPORT_LINES, previewComputerListInChunks } from '../../import/computerList.js';
import { getHostInfo } from '../../smb/hostInfo.js';
import { activityLog, eachLimited, type DomainHandlers, type HandlerDeps } from './common.js';
import { computerLogon, type ComputerLogon } from './credentials.js';
import { DatabaseClosedError } from '../../store/sql.js';

/** Text/CSV imports are read whole; 8 MB holds 50 000 lines of up to ~160 characters (CSV rows with several columns). */
export const MAX_IMPORT_FILE_BYTES = 8 * 1024 * 1024;
/** Entries parsed by computers.add between two yields to the event loop. */
const PARSE_CHUNK = 5_000;

/**
 * Keeps each computer's "last result" up to date: when a target ends, its outcome (and error
 * class) is written to the computer once the engine's batched journal has committed it.
 */
function trackLastResults(deps: HandlerDeps): void {
  const finished = new Set<number>();
  let timer: NodeJS.Timeout | null = null;
  const apply = () => {
    timer = null;
    try {
      applyFinished();
    } catch (error) {
      // The console closed (database shut) between the event and this timer: nothing to keep.
      if (!(error instanceof DatabaseClosedError)) throw error;
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

export function createComputersHandlers(deps: HandlerDeps): DomainHandlers<'computers'> {
  trackLastResults(deps);
  const info = activityLog(deps);
  const existingNames = () => deps.computers.lowerCaseNames();
  return {
    'computers.list': ({ ids }) => (ids ? deps.computers.byIds(ids) : deps.computers.list()),
    'computers.add': ({ entries, groupName }) => addComputers(deps, info, entries, groupName ?? null),
    'computers.remove': ({ ids }) => {
      const removed = deps.computers.removeMany(ids);
      info(`Removed ${removed} computer(s).`);
      return { removed };
    },
    // 50 000 lines parse in slices with yields between them (computerList.ts): main stays responsive.
    'computers.preview': ({ text }) => previewComputerListInChunks(text, existingNames()),
    'computers.previewFile': async ({ path: file }) => ({ ...(await previewComputerListInChunks(readImportFile(file), existingNames())), fileName: path.basename(file) }),
    'computers.setGroup': ({ ids, groupName }) => ({ changed: deps.computers.setGroup(ids, groupName) }),
    'computers.getInfo': ({ ids }) => getInfo(deps, ids),
    'computers.diagnose': ({ ids, credentialId }) => diagnoseComputers(deps, ids, credentialId),
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
  };
}

const notFound = { class: 'not-found', code: null, message: 'The computer is no longer in the list.', advice: 'Refresh the list.' };

/** Each id with its computer, or null when it is no longer in the list. */
function computersById(deps: HandlerDeps, ids: readonly number[]) {
  const byId = new Map(deps.computers.list().map((c) => [c.id, c]));
  return ids.map((id) => ({ id, computer: byId.get(id) ?? null }));
}

/**
 * Adds the typed or pasted entries: invalid ones and duplicates are returned, none valid at all is
 * an error. Up to 50 000 entries: parsed and written in chunks with yields between them.
 */
async function addComputers(deps: HandlerDeps, info: (message: string) => void, entries: readonly string[], groupName: string | null) {
  const invalid: { entry: string; reason: string }[] = [];
  const seen = new Set<string>();
  const valid: { name: string; address: string | null; port: number | null }[] = [];
  const duplicates: string[] = [];
  for (const [index, entry] of entries.entries()) {
    if (index > 0 && index % PARSE_CHUNK === 0) await new Promise<void>((resolve) => setImmediate(resolve));
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
      `None of the entries is a computer name or address: ${invalid.slice(0, 20).map((i) => `"${i.entry}" (${i.reason})`).join(', ')}${invalid.length > 20 ? ` and ${invalid.length - 20} more` : ''}.`,
      'Enter a NetBIOS name (up to 15 characters), a DNS name such as pc01.corp.example, or an IP address, with :port after it when SMB is not on 445 ([IPv6]:port).',
    );
  }
  const stored = await deps.computers.addInChunks(valid.map((v) => ({ ...v, groupName })));
  if (stored.added.length > 0) info(`Added ${stored.added.length} computer(s).`);
  // The sites' rules place the new computers (main/store/sitesRepo.ts).
  const placed = stored.added.length > 0 ? deps.sites.assign(stored.added.map((c) => c.id)) : new Map<number, { siteId: number | null; siteName: string | null }>();
  const added = stored.added.map((c) => ({ ...c, ...placed.get(c.id) }));
  return { added, duplicates: [...duplicates, ...stored.duplicates], invalid };
}

/** A text/CSV file to import, read whole: it must be a file of at most MAX_IMPORT_FILE_BYTES. */
function readImportFile(file: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw new ConsoleError('file', `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, 'Choose the file again.');
  }
  if (!stat.isFile()) throw new ConsoleError('file', `${file} is not a file.`, 'Choose a .txt or .csv file.');
  if (stat.size > MAX_IMPORT_FILE_BYTES) throw new ConsoleError('import-too-large', `The file is ${stat.size} bytes; at most 8 MB (${MAX_IMPORT_LINES} lines) is imported at once.`, `Split the file into parts of up to ${MAX_IMPORT_LINES} lines.`);
  return fs.readFileSync(file, 'utf8');
}

/** Get Info: each computer's names, OS, dialect, signing and cipher (credential-free), kept on the computer too. */
async function getInfo(deps: HandlerDeps, ids: readonly number[]): Promise<HostInfoResult[]> {
  const timeoutMs = deps.settings.get().connectTimeoutSeconds * 1000;
  return eachLimited(computersById(deps, ids), 32, async ({ id, computer }): Promise<HostInfoResult> => {
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
}

/** Diagnostics: the pre-flight checks on each computer with the chosen credentials. */
async function diagnoseComputers(deps: HandlerDeps, ids: readonly number[], credentialId: number): Promise<DiagnosticsResult[]> {
  const logonFor = computerLogon(deps, credentialId);
  const settings = deps.settings.get();
  return eachLimited(computersById(deps, ids), 16, async ({ id, computer }): Promise<DiagnosticsResult> => {
    if (!computer) return { computerId: id, ok: false, checks: [], errors: [{ ...notFound, step: 'lookup' }] };
    let logon: ComputerLogon;
    try {
      logon = await logonFor(computer);
    } catch (error) {
      // A LAPS credential whose read failed for this computer: nothing else is checked.
      const e = toIpcError(error);
      return { computerId: id, ok: false, checks: [{ check: 'LAPS password', ok: false, detail: `${e.class}: ${e.message}` }], errors: [{ ...e, step: 'laps' }] };
    }
    const r = await diagnose(
      { host: computer.address ?? computer.name, logonName: computer.name, port: computer.port ?? 445 },
      { credentials: logon.credentials, connectTimeoutMs: settings.connectTimeoutSeconds * 1000, encryptWhenSupported: settings.encryptWhenSupported, auth: settings.authentication },
    );
    if (r.osVersion || r.domain) deps.computers.updateInfo(id, { domain: r.dnsName?.split('.').slice(1).join('.') || r.domain, os: r.osVersion ? `Windows ${r.osVersion}` : null });
    const laps = logon.laps ? [{ check: 'LAPS password', ok: true, detail: `${logon.laps.attribute}, account .\\${logon.laps.account}${logon.laps.expired ? ' (expired: it may be stale)' : ''}, found ${logon.laps.lookedUp}` }] : [];
    return { computerId: id, ok: r.ok, checks: [...laps, ...diagnosticChecks(r, logon.user)], errors: r.errors };
  });
}

/** The Diagnostics window's rows for one report; `user` is who logged on. */
function diagnosticChecks(r: DiagnoseReport, user: string): DiagnosticsResult['checks'] {
  return [
    { check: 'Reachable on TCP 445', ok: r.reachable, detail: r.reachable ? r.target : r.errors[0]?.message ?? 'no answer' },
    { check: 'SMB dialect', ok: r.dialect === null ? null : r.dialect !== '2.0.2', detail: r.dialect ?? '—' },
    { check: 'Signing', ok: r.signingRequired === null ? null : true, detail: r.signingRequired === null ? '—' : r.signingRequired ? 'required by the computer' : 'supported' },
    { check: 'Encryption', ok: r.sessionEncrypted === null ? null : true, detail: r.cipher ? `${r.cipher}${r.sessionEncrypted ? ', in use' : ''}` : 'not offered (SMB 2.x or disabled)' },
    { check: 'Names', ok: r.serverName === null ? null : true, detail: [r.serverName, r.domain, r.dnsName].filter(Boolean).join(' · ') || '—' },
    { check: 'Operating system', ok: r.osVersion === null ? null : true, detail: r.osVersion ? `Windows ${r.osVersion}` : '—' },
    { check: 'Logon', ok: r.authentication === 'not-checked' ? null : r.authentication === 'ok', detail: r.authentication === 'ok' ? `as ${user} with ${r.authMechanism === 'kerberos' ? 'Kerberos' : 'NTLMv2'}${r.kerberosFallback ? ` (Kerberos not used: ${r.kerberosFallback})` : ''}` : r.authentication },
    { check: 'ADMIN$ writable', ok: r.adminShareWritable, detail: r.adminShareWritable === null ? 'not checked' : r.adminShareWritable ? 'a probe file was written and deleted' : 'refused' },
    { check: 'Service Control Manager', ok: r.scmAccess, detail: r.scmAccess === null ? 'not checked' : r.scmAccess ? 'may create services' : 'refused' },
    { check: 'Agent callback (TCP 2224)', ok: null, detail: 'known only once an agent runs there' },
  ];
}
