// workers.list and sites.list's live workers (main/store/sitesRepo.ts, through the sites' handlers
// and the contract's schemas) on a real PostgreSQL (test/support/postgres.ts), the workers' rows
// made by the lease store as the workers make them (main/workers/leases.ts); and on a console's own
// SQLite store, which has no workers.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { channels, type ResultOf } from '../../main/ipc/contract.js';
import { createSitesHandlers } from '../../main/app/handlers/sites.js';
import type { HandlerDeps } from '../../main/app/handlers/common.js';
import { openDatabase } from '../../main/store/database.js';
import { openPgStore } from '../../main/store/pg/pgDatabase.js';
import { GONE_WORKER_MS, LIVE_WORKER_MS, SitesRepo } from '../../main/store/sitesRepo.js';
import type { SqlDb } from '../../main/store/sql.js';
import { LeaseStore } from '../../main/workers/leases.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';

let server: RunningPostgres;
before(async () => {
  server = await startPostgres();
});
after(() => server?.stop());

/** The two channels as a console calls them: the handler's answer read through the contract's result schema. */
function channelsOn(db: SqlDb) {
  const handlers = createSitesHandlers({ sites: new SitesRepo(db) } as unknown as HandlerDeps);
  return {
    workers: async (): Promise<ResultOf<'workers.list'>> => channels['workers.list'].result.parse(await handlers['workers.list']({})),
    sites: async (): Promise<ResultOf<'sites.list'>> => channels['sites.list'].result.parse(await handlers['sites.list']({})),
  };
}

async function pgStore(t: TestContext, name: string): Promise<SqlDb> {
  const db = await openPgStore({ url: await server.createDatabase(name), reconnectMs: 5_000 });
  t.after(() => db.close());
  return db;
}

test('PostgreSQL: workers.list reports a worker with a fresh heartbeat live and a stale one not live, drops a stopped one, and sites.list counts the live workers per site', async (t) => {
  const db = await pgStore(t, 'workers_list');
  const sites = new SitesRepo(db);
  const lyon = sites.add('Lyon office', { cidrs: ['10.1.0.0/16'] });
  const oslo = sites.add('Oslo office', { cidrs: ['10.2.0.0/16'] });
  const empty = sites.add('Empty office', { cidrs: ['10.3.0.0/16'] });
  const leases = new LeaseStore(db);
  const t0 = leases.databaseNow();
  leases.registerWorker({ id: 'lyon-1', siteId: lyon.id, address: '10.1.0.9:2224', version: '1.2.3' });
  leases.registerWorker({ id: 'lyon-2', siteId: lyon.id, address: null, version: '1.2.3' });
  leases.registerWorker({ id: 'oslo-stale', siteId: oslo.id, address: '10.2.0.9:2224', version: '1.2.2' });
  leases.registerWorker({ id: 'default-1', siteId: null, address: null, version: '1.2.3' });
  leases.registerWorker({ id: 'lyon-stopped', siteId: lyon.id, address: null, version: '1.2.3' });
  leases.registerWorker({ id: 'long-gone', siteId: oslo.id, address: null, version: '1.0.0' });
  assert.ok(leases.heartbeat('lyon-1', 4));
  leases.stopWorker('lyon-stopped');
  // A worker that stopped beating (killed, cut off): its heartbeat is older than LIVE_WORKER_MS.
  db.prepare("UPDATE workers SET heartbeat_at = heartbeat_at - CAST(? AS BIGINT) WHERE id = 'oslo-stale'").run(LIVE_WORKER_MS + 5_000);
  db.prepare("UPDATE workers SET heartbeat_at = heartbeat_at - CAST(? AS BIGINT) WHERE id = 'long-gone'").run(GONE_WORKER_MS + 5_000);
  const t1 = leases.databaseNow();

  const api = channelsOn(db);
  const workers = await api.workers();
  assert.deepEqual(
    workers.map((w) => [w.id, w.siteId, w.siteName, w.address, w.version, w.inFlight, w.live]).sort(),
    [
      ['default-1', null, null, null, '1.2.3', 0, true],
      ['lyon-1', lyon.id, 'Lyon office', '10.1.0.9:2224', '1.2.3', 4, true],
      ['lyon-2', lyon.id, 'Lyon office', null, '1.2.3', 0, true],
      ['oslo-stale', oslo.id, 'Oslo office', '10.2.0.9:2224', '1.2.2', 0, false],
    ],
    'the stopped worker and the one lost for more than a day are not listed',
  );
  assert.equal(workers.at(-1)!.id, 'oslo-stale', 'the most recent heartbeat first');
  for (const w of workers.filter((x) => x.live)) {
    const at = Date.parse(w.heartbeatAt);
    assert.ok(at >= t0 && at <= t1 && Date.parse(w.startedAt) >= t0, `${w.id}: the database's clock`);
  }

  const bySite = new Map((await api.sites()).map((s) => [s.name, s.liveWorkers]));
  assert.deepEqual([...bySite], [['Empty office', 0], ['Lyon office', 2], ['Oslo office', 0]]);
  assert.equal(workers.filter((w) => w.live && w.siteId === null).length, 1, 'the default site\'s live workers');
  assert.equal(sites.get(empty.id)!.liveWorkers, 0);

  // A heartbeat makes the stale worker live again; stopping one takes it out of the count.
  assert.ok(leases.heartbeat('oslo-stale', 1));
  leases.stopWorker('lyon-2');
  assert.deepEqual((await api.sites()).map((s) => [s.name, s.liveWorkers]), [['Empty office', 0], ['Lyon office', 1], ['Oslo office', 1]]);
  assert.deepEqual((await api.workers()).filter((w) => w.live).map((w) => w.id).sort(), ['default-1', 'lyon-1', 'oslo-stale']);

  // A site removed: its workers stay, in no site (the column's ON DELETE SET NULL), like the default site's.
  sites.remove(oslo.id);
  const later = await api.workers();
  assert.deepEqual(later.find((w) => w.id === 'oslo-stale')?.siteId, null);
});

test('SQLite (a console\'s own store): workers.list answers [] and every site counts 0 live workers', async () => {
  const db = openDatabase({ location: ':memory:' });
  try {
    new SitesRepo(db).add('Lyon office', { cidrs: ['10.1.0.0/16'] });
    const api = channelsOn(db);
    assert.deepEqual(await api.workers(), []);
    assert.deepEqual((await api.sites()).map((s) => [s.name, s.liveWorkers]), [['Lyon office', 0]]);
  } finally {
    db.close();
  }
});
