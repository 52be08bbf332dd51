// The Push Install Server's audit trail (table audit_log, migration 9): one row for each change a
// server account made — when, who, from which address, what (the action: the channel's name, or
// one of the server's own such as 'logon', 'logon-failed', 'users.add'), the ids it acted on, and
// a detail in JSON that never holds a secret. The same code runs on SQLite and PostgreSQL.
//
// auditEntryFor decides, for each channel of the contract, whether a call is recorded and how:
// reads are not; every channel that changes something is, with the ids of what it changed. It is
// a table over ChannelName, so a new channel does not compile until it is decided here.
//
// toCsv writes RFC 4180 CSV (CRLF line ends, fields with a comma, quote or line break quoted,
// quotes doubled) and neutralises spreadsheet formulas as OWASP's "CSV Injection" page advises:
// a cell that starts with =, +, -, @, a tab or a carriage return gets a leading apostrophe, so a
// spreadsheet shows it as text instead of running it.
import { channels, type AuditFilter, type ChannelName, type ParsedRequestOf, type ResultOf } from '../ipc/contract.js';
import type { Handlers } from '../ipc/router.js';
import type { SqlDb } from '../store/sql.js';

/** What a channel's call records (the server adds when, who and from where). */
export interface AuditEntry {
  readonly action: string;
  readonly ids: readonly number[];
  readonly detail: Record<string, unknown> | null;
}

export interface NewAuditRow {
  /** Default: now. */
  readonly at?: Date;
  readonly user: string;
  /** The remote address the call came from; null for the server itself. */
  readonly address?: string | null;
  readonly action: string;
  /** Default: none. */
  readonly ids?: readonly number[];
  /** Kept as JSON; never a secret. */
  readonly detail?: Record<string, unknown> | null;
}

export interface AuditRow {
  readonly id: number;
  /** ISO 8601, UTC. */
  readonly at: string;
  readonly user: string;
  readonly address: string | null;
  readonly action: string;
  readonly ids: number[];
  /** The detail's JSON text, or null. */
  readonly detail: string | null;
}

export interface AuditQuery {
  /** At or after this moment. */
  readonly from?: Date;
  /** Before this moment. */
  readonly to?: Date;
  /** The account's name, whatever its case. */
  readonly user?: string;
  /** Exactly this action. */
  readonly action?: string;
  /** Found in the user, address, action, ids or detail, whatever its case. */
  readonly text?: string;
  /** 1 to MAX_AUDIT_PAGE rows. */
  readonly limit: number;
  readonly offset?: number;
}

export const MAX_AUDIT_PAGE = 1000;

interface Row {
  id: number;
  at: string;
  user_name: string;
  address: string | null;
  action: string;
  ids: string;
  detail: string | null;
}

function toRow(r: Row): AuditRow {
  let ids: number[] = [];
  try {
    const parsed: unknown = JSON.parse(r.ids);
    if (Array.isArray(parsed)) ids = parsed.filter((x): x is number => typeof x === 'number');
  } catch {
    // A damaged ids column shows as none.
  }
  return { id: r.id, at: r.at, user: r.user_name, address: r.address, action: r.action, ids, detail: r.detail };
}

/** LIKE's pattern for "contains", with its wildcards escaped ('!' is the escape character). */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

export class AuditRepo {
  constructor(private readonly db: SqlDb, private readonly now: () => Date = () => new Date()) {}

  /** Adds a row; its id. */
  record(entry: NewAuditRow): number {
    const ids = JSON.stringify((entry.ids ?? []).filter((x) => Number.isFinite(x)));
    const detail = entry.detail == null ? null : JSON.stringify(entry.detail);
    const at = (entry.at ?? this.now()).toISOString();
    return this.db
      .prepare('INSERT INTO audit_log (at, user_name, address, action, ids, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(at, entry.user, entry.address ?? null, entry.action, ids, detail).lastInsertRowid;
  }

  /** One page of the rows that match, newest first, and how many match in all. */
  list(query: AuditQuery): { rows: AuditRow[]; total: number } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.from) {
      where.push('at >= ?');
      params.push(query.from.toISOString());
    }
    if (query.to) {
      where.push('at < ?');
      params.push(query.to.toISOString());
    }
    if (query.user) {
      where.push('lower(user_name) = lower(?)');
      params.push(query.user);
    }
    if (query.action) {
      where.push('action = ?');
      params.push(query.action);
    }
    if (query.text) {
      const columns = ['user_name', 'action', 'ids', "COALESCE(address, '')", "COALESCE(detail, '')"];
      where.push(`(${columns.map((c) => `lower(${c}) LIKE ? ESCAPE '!'`).join(' OR ')})`);
      for (let i = 0; i < columns.length; i++) params.push(containsPattern(query.text));
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const limit = Math.max(1, Math.min(MAX_AUDIT_PAGE, Math.floor(query.limit)));
    const offset = Math.max(0, Math.floor(query.offset ?? 0));
    const total = Number(this.db.prepare(`SELECT count(*) AS n FROM audit_log ${clause}`).pluck().get(...params));
    const rows = this.db.prepare(`SELECT * FROM audit_log ${clause} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`).all(...params, limit, offset) as Row[];
    return { rows: rows.map(toRow), total };
  }
}

// ---- CSV -----------------------------------------------------------------------------------

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field: a formula made text, then quoted when it must be. */
export function csvField(value: string): string {
  const cell = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

export const AUDIT_CSV_COLUMNS = ['at', 'user', 'address', 'action', 'ids', 'detail'] as const;

/** The rows as RFC 4180 CSV with a header line, each line ended by CRLF. */
export function toCsv(rows: readonly AuditRow[]): string {
  const lines = [AUDIT_CSV_COLUMNS.join(',')];
  for (const r of rows) lines.push([r.at, r.user, r.address ?? '', r.action, r.ids.join(' '), r.detail ?? ''].map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

// ---- the contract's audit.list and audit.exportCsv, as a server answers them ---------------------

/** The most rows one export holds; more are cut (the answer says so) — narrow the filters. */
export const MAX_AUDIT_EXPORT = 100_000;

function auditQuery(filter: AuditFilter): Omit<AuditQuery, 'limit' | 'offset'> {
  return {
    ...(filter.from ? { from: new Date(filter.from) } : {}),
    ...(filter.to ? { to: new Date(filter.to) } : {}),
    ...(filter.user ? { user: filter.user } : {}),
    ...(filter.action ? { action: filter.action } : {}),
    ...(filter.text ? { text: filter.text } : {}),
  };
}

/** The audit channels' handlers over the trail (the server's router answers them; a console's refuse). */
export function auditHandlers(repo: AuditRepo, now: () => Date = () => new Date()): Pick<Handlers, 'audit.list' | 'audit.exportCsv'> {
  return {
    'audit.list': ({ limit, offset, ...filter }) => repo.list({ ...auditQuery(filter), limit, offset: offset ?? 0 }),
    'audit.exportCsv': (filter) => {
      const rows: AuditRow[] = [];
      let total = 0;
      // Page by page, newest first: the same order the window shows.
      for (let offset = 0; offset < MAX_AUDIT_EXPORT; offset += MAX_AUDIT_PAGE) {
        const page = repo.list({ ...auditQuery(filter), limit: Math.min(MAX_AUDIT_PAGE, MAX_AUDIT_EXPORT - offset), offset });
        total = page.total;
        rows.push(...page.rows);
        if (page.rows.length === 0 || rows.length >= page.total) break;
      }
      const stamp = now().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      return { fileName: `audit-trail-${stamp}.csv`, text: toCsv(rows), rows: rows.length, truncated: total > rows.length };
    },
  };
}

// ---- what each channel records ---------------------------------------------------------------

type Auditor<C extends ChannelName> = ((request: ParsedRequestOf<C>, result: ResultOf<C>) => AuditEntry) | null;

const entry = (action: string, ids: readonly number[], detail: Record<string, unknown> | null = null): AuditEntry => ({ action, ids, detail });

/** null: a read (or a step before a change, such as a preview), not recorded. */
const auditors: { [C in ChannelName]: Auditor<C> } = {
  'app.info': null,
  'app.networkAddresses': null,
  'files.list': null,
  'files.chooseNative': null,
  'scan.start': null,
  'scan.cancel': null,
  'directory.search': null,

  'computers.list': null,
  'computers.preview': null,
  'computers.previewFile': null,
  'computers.getInfo': null,
  'computers.diagnose': null,
  'computers.add': (req, res) =>
    entry('computers.add', res.added.map((c) => c.id), { added: res.added.length, duplicates: res.duplicates.length, invalid: res.invalid.length, groupName: req.groupName ?? null }),
  'computers.remove': (req, res) => entry('computers.remove', req.ids, { removed: res.removed }),
  'computers.setGroup': (req, res) => entry('computers.setGroup', req.ids, { groupName: req.groupName, changed: res.changed }),
  'computers.removeLeftovers': (req, res) =>
    entry('computers.removeLeftovers', req.ids, { targets: res.targets, cleaned: res.cleaned, remaining: res.remaining, noCredentials: res.noCredentials }),

  'credentials.list': null,
  'credentials.test': null,
  // Never the password or its hash: who and what it is labelled.
  'credentials.set': (_req, res) => entry('credentials.set', [res.id], { label: res.label, user: res.user, domain: res.domain }),
  'credentials.setLaps': (_req, res) =>
    entry('credentials.setLaps', [res.id], { label: res.label, user: res.user, domain: res.domain, url: res.laps?.url ?? null, baseDn: res.laps?.baseDn ?? null }),
  'credentials.remove': (req, res) => entry('credentials.remove', [req.id], { removed: res.removed }),
  'credentials.rebind': (req, res) => {
    const [scope, ids] = req.targetIds ? (['targets', req.targetIds] as const) : req.taskId !== undefined ? (['task', [req.taskId]] as const) : (['computers', req.computerIds ?? []] as const);
    return entry('credentials.rebind', ids, { credentialId: req.credentialId, scope, rebound: res.rebound, resumed: res.resumed, cleaning: res.cleaning });
  },

  'packages.list': null,
  'packages.inspect': null,
  // Not the msiexec parameters: PROPERTY=value pairs may carry a password for the product.
  'packages.create': (_req, res) =>
    entry('packages.create', [res.id], { name: res.name, msiFileName: res.msiFileName, msiSha256: res.msiSha256, productName: res.productName, productVersion: res.productVersion, runAs: res.runAs ?? null }),
  'packages.duplicate': (req, res) =>
    entry('packages.duplicate', [res.id], { duplicateOf: req.id, name: res.name, parametersChanged: req.parameters !== undefined, runAs: res.runAs ?? null }),
  'packages.remove': (req, res) => entry('packages.remove', [req.id], { removed: res.removed }),

  'tasks.list': null,
  'tasks.targets': null,
  'tasks.targetsById': null,
  'tasks.create': (req, res) =>
    entry('tasks.create', [res.taskId], {
      name: req.name,
      packageId: req.packageId,
      action: req.action ?? 'install',
      transport: req.transport ?? 'auto',
      runAs: req.runAs,
      reboot: req.reboot?.policy ?? 'none',
      scheduledAt: req.scheduledAt,
      targets: req.targets.length,
      credentialIds: [...new Set(req.targets.map((t) => t.credentialId))].sort((a, b) => a - b),
    }),
  'tasks.restartComputers': (req, res) =>
    entry('tasks.restartComputers', [req.taskId], { newTaskId: res.taskId, targets: req.targetIds?.length ?? 'all', policy: req.reboot.policy }),
  'tasks.cancel': (req, res) => entry('tasks.cancel', [req.taskId], { ok: res.ok }),
  'tasks.retryFailed': (req, res) => entry('tasks.retryFailed', [req.taskId], { newTaskId: res.taskId }),
  'tasks.redeploy': (req, res) => entry('tasks.redeploy', [req.taskId], { newTaskId: res.taskId }),

  'targets.log': null,
  'targets.msiLog': null,
  'leftovers.list': null,
  'targets.cancel': (req, res) => entry('targets.cancel', [req.targetId], { ok: res.ok }),
  'targets.cancelRestart': (req, res) => entry('targets.cancelRestart', [req.targetId], { ok: res.ok }),
  'targets.removeLeftovers': (req, res) => entry('targets.removeLeftovers', [req.targetId], { remaining: res.remaining }),

  'history.exportCsv': null,
  'history.exportLogs': null,

  // A console's own connection (a server refuses these) and reading the trail: nothing changes.
  'server.connect': null,
  'server.disconnect': null,
  'server.status': null,
  'audit.list': null,
  'audit.exportCsv': null,

  'settings.get': null,
  // Which settings changed, not their values.
  'settings.update': (req) => entry('settings.update', [], { keys: Object.keys(req).sort() }),

  'sites.list': null,
  'workers.list': null,
  'sites.add': (_req, res) => entry('sites.add', [res.id], { name: res.name, cidrs: res.cidrs, adSite: res.adSite, computers: res.computers }),
  'sites.update': (req, res) =>
    entry('sites.update', [req.id], { name: res.name, cidrs: res.cidrs, adSite: res.adSite, computers: res.computers, changed: Object.keys(req).filter((k) => k !== 'id').sort() }),
  'sites.remove': (req, res) => entry('sites.remove', [req.id], { removed: res.removed, computers: res.computers }),
  'computers.setSite': (req, res) => entry('computers.setSite', req.ids, { site: req.site, changed: res.changed }),
};

/**
 * The row a call of this channel records, or null for a read. `request` is the payload as the
 * console sent it and `result` what the handler answered: both are read through the channel's
 * schemas again (a call that succeeded passed them), so the ids come out typed; should either
 * not parse, the change is still recorded, with no ids.
 */
export function auditEntryFor(channel: ChannelName, request: unknown, result: unknown): AuditEntry | null {
  const auditor = auditors[channel] as Auditor<ChannelName> | undefined;
  if (!auditor) return null;
  const spec = channels[channel];
  const req = spec.request.safeParse(request);
  const res = spec.result.safeParse(result);
  if (!req.success || !res.success) return entry(channel, [], { unreadable: !req.success ? 'request' : 'result' });
  return (auditor as (request: unknown, result: unknown) => AuditEntry)(req.data, res.data);
}

/** Whether calls of this channel are recorded (a server may log the attempt before the call). */
export function isAudited(channel: ChannelName): boolean {
  return auditors[channel] !== null;
}
