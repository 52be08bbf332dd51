// pushctl sites: the sites computers belong to (main/store/sitesRepo.ts), through a Push Install
// Server (the contract's sites.*, wired in remote.ts) or over the data folder's own database.
//   pushctl [--server … ] sites add NAME --cidr 10.1.0.0/16 [--cidr …] [--ad-site NAME] [--json]
//   pushctl [--server … ] sites list [--json]
//   pushctl [--server … ] sites remove NAME [--json]
// The ranges are checked here first (a bad one is a command line refused, exit 2), then by the
// store again. A refusal of the store (a name or range another site has) exits 1 with its class;
// the server's refusals (its certificate, the sign-in, the account's role) exit 3 (remote.ts).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PushConsoleApi, Site } from '../ipc/contract.js';
import { toIpcError } from '../ipc/errors.js';
import { redact } from '../smb/auth/secretRegistry.js';
import { DATABASE_FILE_NAME, openDatabase } from '../store/database.js';
import { parseCidr, SitesRepo } from '../store/sitesRepo.js';

export const SITES_USAGE = `  sites add NAME --cidr NETWORK/PREFIX [--cidr …] [--ad-site AD-SITE] [--json]
  sites list [--json]
  sites remove NAME [--json]
      The sites computers belong to, for push workers close to them: a computer goes to the site
      of its most specific range (longest prefix; IPv4 10.1.0.0/16 or IPv6 2001:db8:1::/48), else
      of its AD site, else the default site. Adding a site places the computers its rules match;
      removing one sends its computers back to the default site (or the other sites' rules).
      Over the data folder's database, or a Push Install Server's with --server (viewer: list;
      administrator: add and remove).
`;

export type SitesArgs =
  | { readonly verb: 'add'; readonly name: string; readonly cidrs: readonly string[]; readonly adSite: string | null; readonly json: boolean }
  | { readonly verb: 'list'; readonly json: boolean }
  | { readonly verb: 'remove'; readonly name: string; readonly json: boolean };

const SHAPE = 'sites add NAME --cidr NETWORK/PREFIX [--cidr …] [--ad-site AD-SITE] | sites list | sites remove NAME  [--json]';

export function parseSitesArgs(args: string[]): SitesArgs | string {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { cidr: { type: 'string', multiple: true }, 'ad-site': { type: 'string' }, json: { type: 'boolean', default: false } } });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const { values, positionals } = parsed;
  const [verb, name, ...extra] = positionals;
  const json = values.json;
  const rulesGiven = (values.cidr?.length ?? 0) > 0 || values['ad-site'] !== undefined;
  if (verb === 'list' && name === undefined && !rulesGiven) return { verb, json };
  if (verb === 'remove' && name !== undefined && extra.length === 0 && !rulesGiven) return { verb, name, json };
  if (verb === 'add' && name !== undefined && extra.length === 0) {
    const cidrs: string[] = [];
    for (const text of values.cidr ?? []) {
      try {
        cidrs.push(parseCidr(text).text);
      } catch (error) {
        const e = toIpcError(error);
        return `${e.message} ${e.advice}`;
      }
    }
    const adSite = values['ad-site']?.trim() || null;
    if (cidrs.length === 0 && adSite === null) return 'a site needs a rule: --cidr NETWORK/PREFIX (one or more) or --ad-site AD-SITE';
    return { verb, name, cidrs, adSite, json };
  }
  return SHAPE;
}

/** Where sites are kept: a server's contract or the data folder's database. */
export interface SiteSource {
  list(): Promise<Site[]>;
  add(name: string, cidrs: readonly string[], adSite: string | null): Promise<Site>;
  remove(id: number): Promise<{ removed: boolean; computers: number }>;
}

export function remoteSites(api: PushConsoleApi): SiteSource {
  return {
    list: () => api.invoke('sites.list', {}),
    add: (name, cidrs, adSite) => api.invoke('sites.add', { name, cidrs: [...cidrs], ...(adSite ? { adSite } : {}) }),
    remove: (id) => api.invoke('sites.remove', { id }),
  };
}

/** The refusals that are the server's, not the command's: remote.ts exits 3 with them. */
const SERVER_REFUSALS = new Set(['forbidden', 'logon-failed', 'logon-throttled', 'server-unreachable', 'server-certificate-changed', 'bridge-closed']);

export async function runSites(a: SitesArgs, source: SiteSource): Promise<number> {
  const out = process.stdout;
  try {
    if (a.verb === 'list') {
      const sites = await source.list();
      if (a.json) out.write(JSON.stringify(sites, null, 2) + '\n');
      else out.write(sites.length ? sites.map(siteLine).join('\n') + '\n' : 'No sites: every computer is in the default site.\n');
      return 0;
    }
    if (a.verb === 'add') {
      const site = await source.add(a.name, a.cidrs, a.adSite);
      if (a.json) out.write(JSON.stringify(site, null, 2) + '\n');
      else out.write(`Added the site "${site.name}" (id ${site.id}): ${site.computers} computer(s) in it.\n${siteLine(site)}\n`);
      return 0;
    }
    const wanted = a.name.trim().toLowerCase();
    const site = (await source.list()).find((s) => s.name.toLowerCase() === wanted || String(s.id) === wanted);
    if (!site) {
      process.stderr.write(`pushctl: there is no site "${a.name}" (pushctl sites list shows them) [not-found]\n`);
      return 1;
    }
    const removed = await source.remove(site.id);
    if (a.json) out.write(JSON.stringify({ site: site.name, id: site.id, ...removed }, null, 2) + '\n');
    else out.write(`Removed the site "${site.name}": its ${removed.computers} computer(s) went back to the default site (or to another site's rule).\n`);
    return 0;
  } catch (error) {
    const e = toIpcError(error);
    if (SERVER_REFUSALS.has(e.class)) throw error;
    process.stderr.write(redact(`pushctl: ${e.message}${e.advice ? ` ${e.advice}` : ''} [${e.class}]`) + '\n');
    return 1;
  }
}

/** One site: name, id, its rules and how many computers it holds. */
function siteLine(s: Site): string {
  const rules = [...s.cidrs, ...(s.adSite ? [`AD site ${s.adSite}`] : [])];
  return `${s.name.padEnd(24)} #${String(s.id).padEnd(4)} ${String(s.computers).padStart(6)} computer(s)  ${rules.join(', ') || '(no rules)'}`;
}

/** `pushctl sites …` over the data folder's database (list and remove read only what is there: no database, no sites). */
export async function runLocalSites(args: string[], dataDir: string): Promise<number> {
  const parsed = parseSitesArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`pushctl sites: ${parsed}\n`);
    return 2;
  }
  if (parsed.verb !== 'add' && !fs.existsSync(path.join(dataDir, DATABASE_FILE_NAME))) {
    return runSites(parsed, { list: async () => [], add: () => Promise.reject(new Error('unreachable')), remove: async () => ({ removed: false, computers: 0 }) });
  }
  const db = openDatabase({ location: dataDir });
  try {
    const sites = new SitesRepo(db);
    return await runSites(parsed, {
      list: async () => sites.list(),
      add: async (name, cidrs, adSite) => sites.add(name, { cidrs, adSite }),
      remove: async (id) => {
        const r = sites.remove(id);
        return { removed: r !== null, computers: r?.computers ?? 0 };
      },
    });
  } catch (error) {
    const e = toIpcError(error);
    process.stderr.write(`pushctl: ${e.message}${e.advice ? ` ${e.advice}` : ''} [${e.class}]\n`);
    return 3;
  } finally {
    db.close();
  }
}
