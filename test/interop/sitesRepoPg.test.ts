// Sites on a real PostgreSQL (test/support/postgres.ts, a database per scenario made with
// createDatabase) and on SQLite in memory: the same SitesRepo code (main/store/sitesRepo.ts, over
// main/store/sql.ts) gives the same sites, the same computers' sites, the same refusals and the same
// targets' sites on both. Each scenario records what it observed; the last suite compares them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../main/store/database.js';
import type { SqlDb } from '../../main/store/sql.js';
import { ComputersRepo } from '../../main/store/computersRepo.js';
import { PackagesRepo } from '../../main/store/packagesRepo.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';
import { SitesRepo, type SiteCandidate } from '../../main/store/sitesRepo.js';
import { toIpcError } from '../../main/ipc/errors.js';
import { openPgStore } from '../../main/store/pg/pgDatabase.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';

type Backend = 'sqlite' | 'postgres';
const transcripts: Record<Backend, Map<string, Record<string, unknown>>> = { sqlite: new Map(), postgres: new Map() };

function clock(): () => Date {
  let t = Date.UTC(2024, 0, 1, 8, 0, 0);
  return () => new Date((t += 1000));
}

interface Ctx {
  readonly db: SqlDb;
  readonly computers: ComputersRepo;
  readonly sites: SitesRepo;
  readonly tasks: TasksRepo;
  readonly packages: PackagesRepo;
  same(label: string, value: unknown): void;
}

/** What a call threw, as the console would show it. */
function refusal(fn: () => unknown): unknown {
  try {
    fn();
    return 'not refused';
  } catch (error) {
    const e = toIpcError(error);
    return { class: e.class, message: e.message };
  }
}

const adSites = new Map([['pc-paris', 'Paris-Site']]);

const scenarios: Record<string, (c: Ctx) => void> = {
  'ranges by longest prefix over IPv4 and IPv6, AD site after them, the default site otherwise': ({ computers, sites, same }) => {
    computers.addMany([
      { name: 'pc-a', address: '10.1.2.3' }, { name: 'pc-b', address: '10.1.9.9' }, { name: '10.2.0.5' }, { name: 'pc-c' },
      { name: 'v6-a', address: '2001:db8:1:2::10' }, { name: 'v6-b', address: '2001:db8:9::1' }, { name: 'pc-paris' },
    ]);
    sites.add('Region', { cidrs: ['10.0.0.0/8', '2001:db8::/32'] });
    sites.add('Lyon office', { cidrs: ['10.1.2.0/24', '2001:db8:1:2::/64'] });
    sites.add('Paris', { adSite: 'paris-site' });
    const placed = Object.fromEntries(computers.list().map((c) => [c.name, c.siteName]));
    assert.deepEqual(placed, { '10.2.0.5': 'Region', 'pc-a': 'Lyon office', 'pc-b': 'Region', 'pc-c': null, 'pc-paris': 'Paris', 'v6-a': 'Lyon office', 'v6-b': 'Region' });
    same('placed', placed);
    same('sites', sites.list().map((s) => ({ ...s, id: 0 })));
  },
  'pinned computers keep their site; removing a site falls back to the default site or the other rules': ({ computers, sites, same }) => {
    const { added } = computers.addMany([{ name: 'pc-1', address: '10.1.0.1' }, { name: 'pc-2', address: '10.2.0.1' }, { name: 'pc-3', address: '10.3.0.1' }]);
    const a = sites.add('A', { cidrs: ['10.1.0.0/16'] });
    const wide = sites.add('Wide', { cidrs: ['10.0.0.0/8'] });
    assert.equal(sites.setSiteByHand([added[2]!.id], a.id), 1);
    sites.update(wide.id, { cidrs: ['10.0.0.0/9'] });
    same('pinned kept', computers.list().map((c) => [c.name, c.siteName, c.sitePinned]));
    assert.deepEqual(sites.remove(a.id), { computers: 2 });
    const after = computers.list().map((c) => [c.name, c.siteName, c.sitePinned]);
    assert.deepEqual(after, [['pc-1', 'Wide', false], ['pc-2', 'Wide', false], ['pc-3', 'Wide', false]]);
    same('after remove', after);
    sites.remove(wide.id);
    assert.ok(computers.list().every((c) => c.siteId === null), 'no site left: the default site');
    same('counts', sites.list().length);
  },
  'names unique whatever their case, one site per range, and validation refuse alike': ({ sites, same }) => {
    sites.add('Lyon', { cidrs: ['10.1.0.0/16'], adSite: 'Lyon-Site' });
    const refused = {
      sameName: refusal(() => sites.add('LYON')),
      sameRange: refusal(() => sites.add('Other', { cidrs: ['10.1.0.0/16'] })),
      sameAdSite: refusal(() => sites.add('Other', { adSite: 'lyon-site' })),
      hostBits: refusal(() => sites.add('Other', { cidrs: ['10.1.2.3/16'] })),
      ipv6Prefix: refusal(() => sites.add('Other', { cidrs: ['2001:db8::/129'] })),
    };
    for (const r of Object.values(refused)) assert.equal((r as { class: string }).class, 'invalid-site');
    same('refused', refused);
    same('renamed', sites.update(sites.byName('lyon')!.id, { name: 'LYON' }).name);
  },
  'a new task\'s targets record their computer\'s site': ({ db, computers, sites, tasks, packages, same }) => {
    const site = sites.add('Branch', { cidrs: ['10.5.0.0/16'] });
    const { added } = computers.addMany([{ name: 'pc-1', address: '10.5.0.1' }, { name: 'pc-2', address: '10.6.0.1' }]);
    sites.assign(added.map((c) => c.id));
    const packageId = packages.add({ name: 'App', msiFileName: 'app.msi', msiPath: '/store/app.msi', msiSize: 1, msiSha256: 'ab'.repeat(32) }).id;
    const { targetIds } = tasks.create({ name: 'T', packageId, scheduledAt: null, targets: [...added.map((c) => ({ computerId: c.id, computerName: c.name })), { computerId: null, computerName: 'gone' }] });
    const siteIds = targetIds.map((id) => db.prepare('SELECT site_id FROM task_targets WHERE id = ?').pluck().get(id));
    assert.deepEqual(siteIds.map((x) => (x === null ? null : Number(x))), [site.id, null, null]);
    same('targets', siteIds.map((x) => (x === null ? null : 'Branch')));
  },
};

function run(backend: Backend, open: () => SqlDb | Promise<SqlDb>): void {
  for (const [name, scenario] of Object.entries(scenarios)) {
    test(name, async (t) => {
      const db = await open();
      t.after(() => db.close());
      assert.equal(db.dialect, backend);
      const seen: Record<string, unknown> = {};
      transcripts[backend].set(name, seen);
      const now = clock();
      scenario({
        db,
        computers: new ComputersRepo(db, now),
        sites: new SitesRepo(db, { now, adSiteOf: (c: SiteCandidate) => adSites.get(c.name) ?? null }),
        tasks: new TasksRepo(db, now),
        packages: new PackagesRepo(db, now),
        same: (label, value) => void (seen[label] = structuredClone(value)),
      });
    });
  }
}

describe('SQLite (in memory)', () => run('sqlite', () => openDatabase({ location: ':memory:' })));

describe('PostgreSQL (a real server)', () => {
  let server: RunningPostgres | undefined;
  let n = 0;
  before(async () => {
    server = await startPostgres({ host: '127.0.0.1' });
  });
  after(() => server?.stop());
  run('postgres', async () => openPgStore({ url: await server!.createDatabase(`sites_${++n}`), reconnectMs: 2_000, statementTimeoutMs: 20_000 }));
});

describe('SQLite and PostgreSQL observe the same', () => {
  for (const name of Object.keys(scenarios)) {
    test(name, () => {
      const lite = transcripts.sqlite.get(name);
      const pgSeen = transcripts.postgres.get(name);
      assert.ok(lite && pgSeen, 'both stores ran the scenario');
      assert.ok(Object.keys(lite).length > 0);
      assert.deepEqual(pgSeen, lite);
    });
  }
});
