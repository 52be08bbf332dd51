// Sites (migration 11): where a push worker pushes, close to the computers of a branch office. A
// computer belongs to the site of the first rule that matches it, or to the one it was put in by
// hand (site_pinned); none: the default site (site_id NULL), which the server's own worker serves.
//
// The rules, in the order they are tried:
// 1. CIDR ranges (RFC 4632 for IPv4, RFC 4291 §2.3 for IPv6) of the computer's address — its
//    `address`, or its name when that is an IP address; a name without an address matches no
//    range. The most specific range wins (longest prefix), whichever site it belongs to.
// 2. The AD site, when what the console knows of the computer's domain carries one (adSiteOf).
// 3. None: the default site.
// A range or an AD site belongs to one site only (two sites with the same rule would be a tie),
// so the first match is never ambiguous. Written once against the synchronous SQL surface
// (sql.ts): the same code on SQLite and PostgreSQL.
import { ConsoleError } from '../ipc/errors.js';
import type { Db } from './database.js';
import { compareBinary, SQL_CHUNK, sqliteLower } from './computersRepo.js';

export interface Site {
  readonly id: number;
  readonly name: string;
  /** Canonical text: "10.1.0.0/16", "2001:db8::/32". */
  readonly cidrs: string[];
  readonly adSite: string | null;
  /** Computers in the site now (by rule or by hand). */
  readonly computers: number;
  /** Push workers of the site that are live now (LIVE_WORKER_MS). */
  readonly liveWorkers: number;
  readonly createdAt: string;
}

/**
 * A worker is live when it has not stopped and its last heartbeat is at most this old on the
 * database's clock. A worker beats every lease/3 (main/workers/claimWorker.ts); with the default
 * lease of 60 s that is every 20 s, so 60 s is three heartbeats missed, when its leases would have
 * run out too. A fixed figure: the workers table does not record each worker's lease, so a worker
 * started with a --lease-ms above 60 s shows as not live between its heartbeats.
 */
export const LIVE_WORKER_MS = 60_000;

/**
 * How long a worker that never stopped (killed, lost its database) stays in the list, not live,
 * after its last heartbeat; a worker that stopped (stopWorker) leaves the list at once.
 */
export const GONE_WORKER_MS = 24 * 3600_000;

/** At most this many workers are listed (the most recent heartbeats first). */
export const MAX_LISTED_WORKERS = 1_000;

/** A row of the workers table (main/workers/leases.ts writes them) as the Workers window shows it. */
export interface WorkerView {
  readonly id: string;
  /** null: the default site. */
  readonly siteId: number | null;
  readonly siteName: string | null;
  readonly address: string | null;
  readonly version: string;
  /** ISO times, from the database's clock. */
  readonly startedAt: string;
  readonly heartbeatAt: string;
  readonly inFlight: number;
  readonly live: boolean;
}

export interface SiteRules {
  readonly cidrs?: readonly string[];
  readonly adSite?: string | null;
}

/** A site's name, range or AD site the console refuses; the advice says what it takes. */
export class InvalidSiteError extends ConsoleError {
  constructor(message: string, advice: string) {
    super('invalid-site', message, advice);
    this.name = 'InvalidSiteError';
  }
}

export const MAX_SITE_NAME = 64;
export const MAX_SITE_CIDRS = 256;
/** An AD site's name is at most 63 characters (one DNS label: it appears in _sites SRV names). */
export const MAX_AD_SITE = 63;

const CIDR_ADVICE = 'Give ranges as network/prefix: 10.1.0.0/16 (IPv4, prefix 0 to 32) or 2001:db8:1::/48 (IPv6, prefix 0 to 128), with the host bits zero.';

// ---- addresses and ranges ---------------------------------------------------------------------

/** An address as a number of its family. */
export interface ParsedAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
  /** Canonical text. */
  readonly text: string;
}

function parseIPv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    // Decimal only, no leading zeros: "010" is octal to some tools, so it is refused, not guessed.
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

/** RFC 4291 §2.2 text forms: eight groups, "::" once for zeros, an IPv4 tail in the last 32 bits. */
function parseIPv6(text: string): bigint | null {
  let rest = text;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon !== -1 && rest.slice(lastColon + 1).includes('.')) {
    // The last 32 bits written as an IPv4 address: made two groups.
    const tail = parseIPv4(rest.slice(lastColon + 1));
    if (tail === null) return null;
    rest = `${rest.slice(0, lastColon + 1)}${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`;
  }
  const halves = rest.split('::');
  if (halves.length > 2) return null;
  const split = (s: string) => (s === '' ? [] : s.split(':'));
  let groups: string[];
  if (halves.length === 2) {
    const head = split(halves[0]!);
    const back = split(halves[1]!);
    const missing = 8 - head.length - back.length;
    if (missing < 1) return null;
    groups = [...head, ...Array<string>(missing).fill('0'), ...back];
  } else {
    groups = split(rest);
  }
  if (groups.length !== 8) return null;
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return value;
}

/**
 * An IPv4 or IPv6 address (IPv6 in brackets or with a zone is taken without them); an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is its IPv4 address. null: not one.
 */
export function parseAddress(text: string): ParsedAddress | null {
  const t = text.trim().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const v4 = parseIPv4(t);
  if (v4 !== null) return { family: 4, value: v4 };
  if (!t.includes(':')) return null;
  const v6 = parseIPv6(t);
  if (v6 === null) return null;
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

function formatIPv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** RFC 5952's text: lower case, no leading zeros, the longest run of two or more zero groups as "::". */
function formatIPv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

/** A range as network/prefix, or why it is not one (InvalidSiteError). */
export function parseCidr(input: string): Cidr {
  const text = input.trim();
  const slash = text.indexOf('/');
  if (slash === -1) throw new InvalidSiteError(`"${text}" is not a range: it has no /prefix.`, `${CIDR_ADVICE} A single computer is a /32 (IPv4) or /128 (IPv6).`);
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const v4 = parseIPv4(addressText);
  const v6 = v4 === null && addressText.includes(':') && !addressText.includes('%') ? parseIPv6(addressText) : null;
  if (v4 === null && v6 === null) throw new InvalidSiteError(`"${text}" is not a range: ${addressText || 'nothing'} is not an IPv4 or IPv6 address.`, CIDR_ADVICE);
  const family: 4 | 6 = v4 !== null ? 4 : 6;
  const bits = family === 4 ? 32 : 128;
  if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    throw new InvalidSiteError(`"${text}" is not a range: the prefix of an IPv${family} range is 0 to ${bits}.`, CIDR_ADVICE);
  }
  const prefix = Number(prefixText);
  const value = (v4 ?? v6)!;
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  const network = value & ~hostMask;
  const format = family === 4 ? formatIPv4 : formatIPv6;
  if (network !== value) {
    // RFC 4632 §3.1: a prefix names its network with the host bits zero; another address is most
    // likely a typing error (10.1.2.0/16 meant /24?), so it is refused rather than widened.
    throw new InvalidSiteError(`"${text}" has host bits set: the /${prefix} network holding ${format(value)} is ${format(network)}/${prefix}.`, `Give ${format(network)}/${prefix}, or the prefix you meant. ${CIDR_ADVICE}`);
  }
  return { family, network, prefix, text: `${format(network)}/${prefix}` };
}

export function cidrContains(cidr: Cidr, address: ParsedAddress): boolean {
  if (cidr.family !== address.family) return false;
  const bits = cidr.family === 4 ? 32 : 128;
  return address.value >> BigInt(bits - cidr.prefix) === cidr.network >> BigInt(bits - cidr.prefix);
}

// ---- the repository --------------------------------------------------------------------------

interface SiteRow {
  id: number;
  name: string;
  cidrs: string;
  ad_site: string | null;
  created_at: string;
}

/** What the rules see of a computer. */
export interface SiteCandidate {
  readonly id: number;
  readonly name: string;
  readonly address: string | null;
  readonly domain: string | null;
}

export interface SitesRepoOptions {
  readonly now?: () => Date;
  /**
   * The AD site a computer's domain information carries, if any. The console does not learn a
   * computer's AD site yet (Get Info and Diagnostics read the domain, not the site), so by default
   * none does and AD-site rules match nothing until it does.
   */
  readonly adSiteOf?: (computer: SiteCandidate) => string | null;
}

function storedCidrs(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function validName(input: string): string {
  const name = input.trim();
  if (name === '') throw new InvalidSiteError('A site needs a name.', 'Name it after the office or place it stands for, such as "Lyon office".');
  if (name.length > MAX_SITE_NAME) throw new InvalidSiteError(`A site's name is at most ${MAX_SITE_NAME} characters; "${name.slice(0, 20)}…" has ${name.length}.`, 'Give a shorter name.');
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new InvalidSiteError('A site\'s name may not hold control characters (tabs, line breaks).', 'Give a name of printable characters.');
  if (name.toLowerCase() === 'default') throw new InvalidSiteError('"Default" is the name of the site of computers no rule matches.', 'Give the site another name.');
  return name;
}

function validAdSite(input: string | null | undefined): string | null {
  if (input === undefined || input === null) return null;
  const adSite = input.trim();
  if (adSite === '') return null;
  if (adSite.length > MAX_AD_SITE || /[\s./\\\u0000-\u001f\u007f]/.test(adSite)) {
    throw new InvalidSiteError(`"${adSite.slice(0, 80)}" is not an Active Directory site name.`, `Give the site's name as Active Directory Sites and Services shows it (such as Default-First-Site-Name): up to ${MAX_AD_SITE} characters, without spaces, dots or slashes.`);
  }
  return adSite;
}

function validCidrs(input: readonly string[] | undefined): Cidr[] {
  const list = input ?? [];
  if (list.length > MAX_SITE_CIDRS) throw new InvalidSiteError(`A site takes at most ${MAX_SITE_CIDRS} ranges; ${list.length} were given.`, 'Join neighbouring ranges into wider ones (10.1.0.0/16 instead of 256 /24s).');
  const seen = new Map<string, Cidr>();
  for (const text of list) {
    const cidr = parseCidr(text);
    if (!seen.has(cidr.text)) seen.set(cidr.text, cidr);
  }
  return [...seen.values()];
}

function toSite(row: SiteRow, computers: number, liveWorkers: number): Site {
  return { id: row.id, name: row.name, cidrs: storedCidrs(row.cidrs), adSite: row.ad_site, computers, liveWorkers, createdAt: row.created_at };
}

/** The database's clock in ms since the epoch on PostgreSQL, the one heartbeats are written on (main/workers/leases.ts). */
const PG_NOW = 'CAST(floor(extract(epoch FROM statement_timestamp()) * 1000) AS BIGINT)';

export class SitesRepo {
  private readonly now: () => Date;
  private readonly adSiteOf: (computer: SiteCandidate) => string | null;

  constructor(private readonly db: Db, options: SitesRepoOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.adSiteOf = options.adSiteOf ?? (() => null);
  }

  /** Every site by name (SQLite's order of lower(name) on both stores), with how many computers each holds. */
  list(): Site[] {
    const rows = this.db.prepare('SELECT * FROM sites').all() as SiteRow[];
    const counts = new Map<number, number>();
    for (const r of this.db.prepare('SELECT site_id, COUNT(*) AS n FROM computers WHERE site_id IS NOT NULL GROUP BY site_id').all() as { site_id: number; n: number | string }[]) {
      counts.set(Number(r.site_id), Number(r.n));
    }
    const live = this.liveWorkerCounts();
    return rows
      .map((row) => ({ row, key: sqliteLower(row.name) }))
      .sort((x, y) => compareBinary(x.key, y.key) || x.row.id - y.row.id)
      .map(({ row }) => toSite(row, counts.get(row.id) ?? 0, live.get(row.id) ?? 0));
  }

  /**
   * Live workers per site (null: the default site). A plain SELECT of the workers table, which
   * exists on both stores; only the push workers of a PostgreSQL store ever write it, so a
   * console's own SQLite store counts none.
   */
  liveWorkerCounts(): Map<number | null, number> {
    const counts = new Map<number | null, number>();
    const rows = this.db
      .prepare('SELECT site_id, COUNT(*) AS n FROM workers WHERE stopped_at IS NULL AND heartbeat_at >= CAST(? AS BIGINT) GROUP BY site_id')
      .all(this.databaseNow() - LIVE_WORKER_MS) as { site_id: number | string | null; n: number | string }[];
    for (const r of rows) counts.set(r.site_id === null ? null : Number(r.site_id), Number(r.n));
    return counts;
  }

  /**
   * The workers not stopped whose last heartbeat is within GONE_WORKER_MS, most recent heartbeat
   * first, each live or not (LIVE_WORKER_MS). None on a console's own SQLite store.
   */
  workers(): WorkerView[] {
    const now = this.databaseNow();
    const rows = this.db
      .prepare(
        `SELECT w.id, w.site_id, s.name AS site_name, w.address, w.version, w.started_at, w.heartbeat_at, w.in_flight
           FROM workers w LEFT JOIN sites s ON s.id = w.site_id
          WHERE w.stopped_at IS NULL AND w.heartbeat_at >= CAST(? AS BIGINT)
          ORDER BY w.heartbeat_at DESC, w.id LIMIT ${MAX_LISTED_WORKERS}`,
      )
      .all(now - GONE_WORKER_MS) as Record<string, unknown>[];
    return rows.map((r) => {
      const heartbeatAt = Number(r.heartbeat_at);
      return {
        id: String(r.id),
        siteId: r.site_id === null ? null : Number(r.site_id),
        siteName: r.site_name === null || r.site_name === undefined ? null : String(r.site_name),
        address: r.address === null ? null : String(r.address),
        version: String(r.version),
        startedAt: new Date(Number(r.started_at)).toISOString(),
        heartbeatAt: new Date(heartbeatAt).toISOString(),
        inFlight: Number(r.in_flight),
        live: heartbeatAt >= now - LIVE_WORKER_MS,
      };
    });
  }

  /**
   * Now on the clock the heartbeats are on: the database's on PostgreSQL; this process's on SQLite
   * (which has no workers). Not `this.now`, the clock sites are stamped with: reading the workers
   * does not move it.
   */
  private databaseNow(): number {
    if (this.db.dialect === 'postgres') return Number(this.db.prepare(`SELECT ${PG_NOW} AS now`).pluck().get());
    return Date.now();
  }

  get(id: number): Site | null {
    return this.list().find((s) => s.id === id) ?? null;
  }

  /** The site of this name, whatever its case. */
  byName(name: string): Site | null {
    const wanted = name.trim().toLowerCase();
    return this.list().find((s) => s.name.toLowerCase() === wanted) ?? null;
  }

  /** A new site; the computers its rules match move to it (assign). */
  add(name: string, rules: SiteRules = {}): Site {
    const siteName = validName(name);
    const cidrs = validCidrs(rules.cidrs);
    const adSite = validAdSite(rules.adSite);
    const id = this.db.transaction(() => {
      this.refuseTaken(null, siteName, cidrs, adSite);
      const newId = Number(
        this.db.prepare('INSERT INTO sites (name, cidrs, ad_site, created_at) VALUES (?, ?, ?, ?)').run(siteName, JSON.stringify(cidrs.map((c) => c.text)), adSite, this.now().toISOString()).lastInsertRowid,
      );
      this.assign();
      return newId;
    })();
    return this.get(id)!;
  }

  /** Renames a site or changes its rules (what is not given stays); the computers move with the rules. */
  update(id: number, changes: { name?: string } & SiteRules): Site {
    const current = this.get(id);
    if (!current) throw new ConsoleError('not-found', `There is no site ${id}.`, 'Refresh the list of sites: it may have been removed meanwhile.');
    const siteName = changes.name === undefined ? current.name : validName(changes.name);
    const cidrs = changes.cidrs === undefined ? validCidrs(current.cidrs) : validCidrs(changes.cidrs);
    const adSite = changes.adSite === undefined ? current.adSite : validAdSite(changes.adSite);
    this.db.transaction(() => {
      this.refuseTaken(id, siteName, cidrs, adSite);
      this.db.prepare('UPDATE sites SET name = ?, cidrs = ?, ad_site = ? WHERE id = ?').run(siteName, JSON.stringify(cidrs.map((c) => c.text)), adSite, id);
      this.assign();
    })();
    return this.get(id)!;
  }

  /**
   * Removes a site. Its computers fall back to the default site — those put there by hand are no
   * longer pinned — and then go where the remaining rules put them (none: the default site).
   * How many computers it held; null when there was no such site.
   */
  remove(id: number): { computers: number } | null {
    return this.db.transaction(() => {
      const held = Number(this.db.prepare('SELECT COUNT(*) AS n FROM computers WHERE site_id = ?').pluck().get(id));
      this.db.prepare('UPDATE computers SET site_id = NULL, site_pinned = 0 WHERE site_id = ?').run(id);
      const removed = this.db.prepare('DELETE FROM sites WHERE id = ?').run(id).changes;
      if (removed === 0) return null;
      this.assign();
      return { computers: held };
    })();
  }

  /**
   * Puts computers in a site by hand (null: the default site): the rules no longer move them.
   * How many computers were changed.
   */
  setSiteByHand(computerIds: readonly number[], siteId: number | null): number {
    return this.db.transaction(() => {
      if (siteId !== null && this.db.prepare('SELECT id FROM sites WHERE id = ?').pluck().get(siteId) === undefined) {
        throw new ConsoleError('not-found', `There is no site ${siteId}.`, 'Refresh the list of sites: it may have been removed meanwhile.');
      }
      let changed = 0;
      for (const chunk of chunks(computerIds)) {
        changed += this.db.prepare(`UPDATE computers SET site_id = ?, site_pinned = 1 WHERE id IN (${chunk.map(() => '?').join(', ')})`).run(siteId, ...chunk).changes;
      }
      return changed;
    })();
  }

  /** Gives computers put in a site by hand back to the rules. How many computers were changed. */
  releaseToRules(computerIds: readonly number[]): number {
    return this.db.transaction(() => {
      let changed = 0;
      for (const chunk of chunks(computerIds)) {
        changed += this.db.prepare(`UPDATE computers SET site_pinned = 0 WHERE id IN (${chunk.map(() => '?').join(', ')})`).run(...chunk).changes;
      }
      this.assign(computerIds);
      return changed;
    })();
  }

  /**
   * Puts every computer not pinned (or only those of `computerIds`) in the site of the first rule
   * that matches it (header comment), and answers those that moved: id → site (null: default).
   */
  assign(computerIds?: readonly number[]): Map<number, { siteId: number | null; siteName: string | null }> {
    const moved = new Map<number, { siteId: number | null; siteName: string | null }>();
    return this.db.transaction(() => {
      const sites = this.db.prepare('SELECT * FROM sites').all() as SiteRow[];
      const ranges: { cidr: Cidr; site: SiteRow }[] = [];
      const adSites = new Map<string, SiteRow>();
      for (const site of sites) {
        for (const text of storedCidrs(site.cidrs)) {
          try {
            ranges.push({ cidr: parseCidr(text), site });
          } catch {
            // A range stored by hand that does not parse matches nothing.
          }
        }
        if (site.ad_site) adSites.set(site.ad_site.toLowerCase(), site);
      }
      // Most specific first (longest prefix); a tie cannot be between two sites (refuseTaken).
      ranges.sort((a, b) => b.cidr.prefix - a.cidr.prefix);
      const siteOf = (c: SiteCandidate): SiteRow | null => {
        const address = parseAddress(c.address ?? c.name);
        if (address) for (const r of ranges) if (cidrContains(r.cidr, address)) return r.site;
        const adSite = this.adSiteOf(c);
        return adSite ? (adSites.get(adSite.trim().toLowerCase()) ?? null) : null;
      };
      type Row = SiteCandidate & { site_id: number | null };
      const rows: Row[] = [];
      const select = 'SELECT id, name, address, domain, site_id FROM computers WHERE site_pinned = 0';
      if (computerIds === undefined) rows.push(...(this.db.prepare(select).all() as Row[]));
      else for (const chunk of chunks(computerIds)) rows.push(...(this.db.prepare(`${select} AND id IN (${chunk.map(() => '?').join(', ')})`).all(...chunk) as Row[]));
      const bySite = new Map<number | null, number[]>();
      for (const row of rows) {
        const site = siteOf(row);
        const siteId = site?.id ?? null;
        if ((row.site_id === null ? null : Number(row.site_id)) === siteId) continue;
        bySite.set(siteId, [...(bySite.get(siteId) ?? []), row.id]);
        moved.set(row.id, { siteId, siteName: site?.name ?? null });
      }
      for (const [siteId, ids] of bySite) {
        for (const chunk of chunks(ids)) this.db.prepare(`UPDATE computers SET site_id = ? WHERE id IN (${chunk.map(() => '?').join(', ')})`).run(siteId, ...chunk);
      }
      return moved;
    })();
  }

  /** Another site with this name, one of these ranges or this AD site: refused (a tie between two sites has no first). */
  private refuseTaken(self: number | null, name: string, cidrs: readonly Cidr[], adSite: string | null): void {
    const others = (this.db.prepare('SELECT * FROM sites').all() as SiteRow[]).filter((s) => s.id !== self);
    const sameName = others.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (sameName) throw new InvalidSiteError(`There is already a site named "${sameName.name}".`, 'Give the site another name, or change that site instead.');
    for (const other of others) {
      const theirs = new Set(storedCidrs(other.cidrs));
      const shared = cidrs.find((c) => theirs.has(c.text));
      if (shared) throw new InvalidSiteError(`The range ${shared.text} is already a rule of the site "${other.name}".`, 'A range belongs to one site. Remove it from that site first; a narrower range inside it (a longer prefix) may go to this one.');
      if (adSite && other.ad_site && other.ad_site.toLowerCase() === adSite.toLowerCase()) {
        throw new InvalidSiteError(`The AD site ${other.ad_site} is already the rule of the site "${other.name}".`, 'An AD site belongs to one site: remove it from that site first.');
      }
    }
  }
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let from = 0; from < items.length; from += SQL_CHUNK) out.push(items.slice(from, from + SQL_CHUNK));
  return out;
}
