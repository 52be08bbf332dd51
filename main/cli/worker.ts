// pushctl worker: a push worker (docs/SERVER.md §6) — claims the queued targets of its site from
// the server's PostgreSQL database and pushes them with the console's engine in claim mode
// (main/workers/claimWorker.ts).
//   pushctl worker --db URL [--site NAME] [--concurrency 20] [--callback ADDRESS] [--port 2224] [--data DIR]
//                  [--lease-ms 60000] [--drain-seconds 30]
// It needs the servers' key file (server-credentials.key, docs/SERVER.md §1) in its data folder to
// decrypt the credentials, and serves the packages to its agents from its own package server
// (TCP --port, its own certificate made in the data folder). For now it reads each package from
// the path the database records, so that path must be readable on the worker's computer too.
import { parseArgs } from 'node:util';
import { toIpcError } from '../ipc/errors.js';
import { openPgStore } from '../store/pg/pgDatabase.js';
import { registerSecret, redact } from '../smb/auth/secretRegistry.js';
import { openServerVault } from '../serverMode/serverVault.js';
import { TasksRepo } from '../store/tasksRepo.js';
import { PackagesRepo } from '../store/packagesRepo.js';
import { SitesRepo } from '../store/sitesRepo.js';
import { createConfSettingsBackend, createSettingsStore } from '../store/settings.js';
import { startPushRuntime } from '../engine/runtime.js';
import { createEventBus } from '../ipc/eventBus.js';
import { batchEvents } from '../ipc/eventBatch.js';
import { openEventLog } from '../serverMode/eventLog.js';
import { LeaseStore } from '../workers/leases.js';
import { ClaimWorker, DEFAULT_LEASE_MS } from '../workers/claimWorker.js';
import { PRODUCT_VERSION } from '../app/product.js';
import { takeStopSignals } from '../browser/stopSignals.js';

export const WORKER_USAGE = `  worker --db URL [--site NAME] [--concurrency 20] [--callback ADDRESS] [--port 2224] [--lease-ms 60000] [--drain-seconds 30]
      A push worker: claims the queued targets of the site NAME (default: computers in no site)
      from the server's database and pushes them. Needs the servers' key file
      (server-credentials.key) in its data folder; its package server listens on --port, and
      agents call back to --callback. On SIGTERM or Ctrl+C it stops claiming, lets running pushes
      end for --drain-seconds, then hands the rest back to the queue.
`;

function fail(message: string, code = 2): number {
  process.stderr.write(`pushctl worker: ${redact(message)}\n`);
  return code;
}

function integer(text: string | undefined, name: string, min: number, max: number): number | undefined | Error {
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= min && n <= max ? n : new Error(`${name} must be a whole number from ${min} to ${max}`);
}

export async function runWorker(args: string[], dataDir: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      site: { type: 'string' },
      concurrency: { type: 'string' },
      callback: { type: 'string' },
      port: { type: 'string' },
      'lease-ms': { type: 'string' },
      'drain-seconds': { type: 'string' },
    },
  });
  if (positionals.length > 0) return fail(`unexpected "${positionals.join(' ')}"`);
  const dbUrl = values.db ?? process.env.PUSHSERVER_DB;
  if (!dbUrl) return fail('--db postgres://USER@HOST:PORT/DATABASE is required (or PUSHSERVER_DB)');
  const concurrency = integer(values.concurrency, '--concurrency', 1, 1000) ?? 20;
  const port = integer(values.port, '--port', 0, 65535);
  const leaseMs = integer(values['lease-ms'], '--lease-ms', 300, 3_600_000) ?? DEFAULT_LEASE_MS;
  const drainSeconds = integer(values['drain-seconds'], '--drain-seconds', 0, 3600) ?? 30;
  for (const v of [concurrency, port, leaseMs, drainSeconds]) if (v instanceof Error) return fail(v.message);
  try {
    const password = decodeURIComponent(new URL(dbUrl).password);
    if (password) registerSecret(password);
  } catch {
    // not a URL with a password
  }
  const log = (line: string) => console.log(redact(line));
  let db: Awaited<ReturnType<typeof openPgStore>> | null = null;
  try {
    db = await openPgStore({ url: dbUrl });
    const store = db;
    const site = values.site === undefined ? null : new SitesRepo(store).byName(values.site);
    if (values.site !== undefined && !site) return fail(`there is no site named "${values.site}" (pushctl --server … sites list)`);
    const vault = openServerVault(store, { dataDir, kek: 'file', log });
    const tasks = new TasksRepo(store);
    const packages = new PackagesRepo(store);
    const stored = createSettingsStore(createConfSettingsBackend(dataDir));
    const settings = () => ({ ...stored.get(), maxConcurrentPushes: concurrency as number, ...(values.callback ? { callbackAddress: values.callback } : {}) });
    const leases = new LeaseStore(store);
    // The worker's progress and log lines reach every console through the servers: each batch is a
    // row of the event log, and its NOTIFY makes the servers forward it (serverMode/eventLog.ts).
    const events = createEventBus();
    const eventLog = await openEventLog(store, dbUrl, { log, listen: false });
    const publisher = batchEvents(events, (batch) => {
      try {
        eventLog.append(batch);
      } catch (error) {
        log(`Events not stored (${error instanceof Error ? error.message : String(error)}); consoles re-read the task.`);
      }
    });
    const worker = new ClaimWorker({
      leases, tasks, siteId: site?.id ?? null, siteName: site?.name ?? 'default', concurrency: () => concurrency as number, leaseMs: leaseMs as number,
      address: values.callback ?? null, version: PRODUCT_VERSION, log,
    });
    const runtime = await startPushRuntime({
      dataDir, db: store, tasks, packages, vault, settings, events,
      ...(port !== undefined ? { port: port as number } : {}),
      log,
      // Cancels come from the servers (LeaseStore.requestCancel); a worker only obeys them.
      claim: worker.hooks(() => undefined),
    });
    worker.start(runtime.engine);
    console.log(`PUSHWORKER_ID=${worker.id}`);
    console.log(`Push worker ${worker.id} for the site ${site?.name ?? 'default'}: up to ${concurrency} pushes, package server on TCP ${runtime.server?.port ?? '?'} (certificate SHA-256 ${runtime.certificate.fingerprint}).`);
    return await new Promise<number>((resolve) => {
      let stopping = false;
      takeStopSignals(() => {
        if (stopping) return;
        stopping = true;
        log(`Worker ${worker.id} stopping: no more claims; running pushes have ${drainSeconds} s to end.`);
        void (async () => {
          const back = await worker.stop((drainSeconds as number) * 1000);
          await runtime.close();
          publisher.close();
          await eventLog.close();
          store.close();
          console.log(`Push worker stopped (${back} target(s) handed back to the queue).`);
          resolve(0);
        })().catch((error: unknown) => {
          log(`The worker did not stop cleanly: ${error instanceof Error ? error.message : String(error)}`);
          resolve(1);
        });
      });
    });
  } catch (error) {
    db?.close();
    const e = toIpcError(error);
    return fail(`${e.message}${e.advice ? ` ${e.advice}` : ''} [${e.class}]`, 3);
  }
}
