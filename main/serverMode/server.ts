// The Push Install Server: the console's engine, package server and contract run headless over a
// shared PostgreSQL store, with consoles (browsers, pushctl, a console's Connect to Server)
// calling it over TLS as server accounts (docs/SERVER.md).
//
// - The store: PostgreSQL through the repositories' synchronous surface (store/pg/pgSync.ts),
//   migrated on open under an advisory lock.
// - Credentials: encrypted at rest under the server's key-encryption key (serverVault.ts); the
//   contract never returns a secret, so none reaches a console.
// - The API: the browser shell's bridge (browser/bridgeServer.ts) over HTTPS/WSS with the
//   server's own certificate (made on first run in the data folder, the same one the agents pin),
//   a sign-in page and sessions (sessions.ts), each call checked against the caller's role and
//   each change audited (serverRouter.ts).
// - The engine: one server process of those sharing a database runs the pushes and schedules —
//   the one holding ENGINE_LOCK_KEY (a session advisory lock). The others serve the API and wait;
//   when the holder dies its connection ends, PostgreSQL releases the lock, and the next to take
//   it starts the engine, whose crash recovery marks the dead server's in-flight targets
//   interrupted with their logs, as a local console does after a crash.
import pg from 'pg';
import { createConsoleServices, type ConsoleServices } from '../app/services.js';
import { loadOrCreateCertificate, type ConsoleCertificate } from '../server/certificate.js';
import { startBridgeServer, type BridgeServer } from '../browser/bridgeServer.js';
import { createRouter } from '../ipc/router.js';
import { ConsoleError } from '../ipc/errors.js';
import { openPgStore } from '../store/pg/pgDatabase.js';
import type { PgSyncDatabase } from '../store/pg/pgSync.js';
import { openServerVault } from './serverVault.js';
import { UsersRepo } from './users.js';
import { LogonThrottle } from './logonThrottle.js';
import { AuditRepo } from './audit.js';
import { createSessions, type ServerSessions } from './sessions.js';
import { serverRouter } from './serverRouter.js';
import { openEventLog, type EventLog } from './eventLog.js';
import { LeaseStore } from '../workers/leases.js';
import { ClaimWorker, DEFAULT_LEASE_MS } from '../workers/claimWorker.js';
import { PRODUCT_VERSION } from '../app/product.js';

/** pg_advisory_lock key of the server that runs the engine: "PushEngn" as ASCII. */
export const ENGINE_LOCK_KEY = 0x50757368456e676en;
/** How often a waiting server tries to take the engine lock. */
export const ENGINE_LOCK_POLL_MS = 1_000;

export interface PushServerOptions {
  readonly dbUrl: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly rendererDir: string;
  /** The package server's port for agents; default the setting (2224). */
  readonly packagePort?: number;
  readonly packageHost?: string;
  /** Where the key-encryption key comes from; default a key file in the data folder. */
  readonly kek?: 'file' | 'keychain';
  readonly log?: (line: string) => void;
  /** How long a lost database connection is retried before a statement fails (ms). */
  readonly reconnectMs?: number;
  /**
   * Push workers (docs/SERVER.md §6): tasks only queue their targets in the database and workers
   * claim them; this server runs a worker of the default site unless `ownWorker` is false, and the
   * reaper while it holds the engine lock. Absent: the engine pushes every task itself.
   */
  readonly workers?: { readonly ownWorker: boolean; readonly leaseMs?: number; readonly reapEveryMs?: number };
}

/** Claims a target gets before the reaper ends it failed (lease-expired) instead of queueing it again. */
export const MAX_CLAIMS = 3;

export interface PushServer {
  readonly url: string;
  readonly port: number;
  readonly certificate: ConsoleCertificate;
  readonly services: ConsoleServices;
  readonly sessions: ServerSessions;
  readonly db: PgSyncDatabase;
  readonly eventLog: EventLog;
  /** Whether this process runs the engine now (holds the engine lock). */
  engineActive(): boolean;
  close(): Promise<void>;
}

export async function startPushServer(options: PushServerOptions): Promise<PushServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const db = await openPgStore({ url: options.dbUrl, ...(options.reconnectMs !== undefined ? { reconnectMs: options.reconnectMs } : {}) });
  let services: ConsoleServices | null = null;
  let bridge: BridgeServer | null = null;
  let engineLock: EngineLock | null = null;
  let eventLog: EventLog | null = null;
  let ownWorker: ClaimWorker | null = null;
  let reaper: NodeJS.Timeout | null = null;
  try {
    const certificate = await loadOrCreateCertificate(options.dataDir);
    services = createConsoleServices({
      dataDir: options.dataDir,
      shell: 'browser',
      db,
      createVault: (store) => openServerVault(store, { dataDir: options.dataDir, kek: options.kek ?? 'file', log }),
    });
    const users = new UsersRepo(db);
    const audit = new AuditRepo(db);
    const throttle = new LogonThrottle();
    const sessions = createSessions(
      {
        verify: (name, password) => users.verify(name, password),
        current: (name) => {
          const user = users.find(name);
          return user && !user.disabled ? { name: user.name, role: user.role } : null;
        },
      },
      {
        check: (user, address) => throttle.check(user, address),
        failed: (user, address) => throttle.failure(user, address),
        succeeded: (user, address) => throttle.success(user, address),
      },
      (action, user, address) => {
        try {
          audit.record({ user: user.slice(0, 64), address, action, ids: [] });
        } catch (error) {
          log(`AUDIT ROW NOT WRITTEN for ${action} of ${user.slice(0, 64)} from ${address}: ${error instanceof Error ? error.message : String(error)}`);
        }
      },
    );
    const active = services;
    eventLog = await openEventLog(db, options.dbUrl, { log });
    bridge = await startBridgeServer({
      eventLog,
      router: (origin, caller) => serverRouter(createRouter(active.handlers, () => true), caller, audit, log, {
          fingerprint: certificate.fingerprint,
          changed: (lists) => active.events.emit('data.changed', { lists }),
        }),
      events: services.events,
      rendererDir: options.rendererDir,
      host: options.host,
      port: options.port,
      tls: { key: certificate.key, cert: certificate.cert },
      auth: sessions,
      network: true,
    });
    // Until this server holds the engine lock, what needs the engine is refused with where to go instead.
    active.refusePushing(
      new ConsoleError(
        'server-standby',
        'This Push Install Server is on standby: another server sharing the database runs the pushes.',
        'Connect to the server that runs the pushes to start, cancel or retry a task; this one takes over if that one stops.',
      ),
    );
    engineLock = await holdEngineLock(options.dbUrl, log, async () => {
      active.refusePushing(null);
      // With workers: the engine in claim mode, fed by this server's own worker (the default
      // site), if any. Without its own worker its journal holds no lease, so it writes no target.
      const leases = options.workers ? new LeaseStore(db) : null;
      const worker = leases && options.workers
        ? new ClaimWorker({ leases, tasks: active.tasks, siteId: null, siteName: 'default', concurrency: () => active.settings.get().maxConcurrentPushes, leaseMs: options.workers.leaseMs ?? DEFAULT_LEASE_MS, version: PRODUCT_VERSION, log })
        : null;
      const runtime = await active.startPush({
        ...(options.packagePort !== undefined ? { port: options.packagePort } : {}),
        ...(options.packageHost ? { host: options.packageHost } : {}),
        ...(worker && leases ? { claim: worker.hooks((scope) => void leases.requestCancel(scope)) } : {}),
      });
      if (runtime instanceof Error) throw runtime;
      if (leases && options.workers) {
        if (worker && options.workers.ownWorker) {
          worker.start(runtime.engine);
          ownWorker = worker;
        }
        // The reaper: any server may run it; the one holding the engine lock does, so one runs.
        const leaseMs = options.workers.leaseMs ?? DEFAULT_LEASE_MS;
        reaper = setInterval(() => {
          try {
            const r = leases.reap(MAX_CLAIMS);
            if (r.requeued + r.failed + r.released > 0) log(`Reaper: ${r.requeued} expired lease(s) back in the queue, ${r.failed} failed after ${MAX_CLAIMS} claims, ${r.released} released.`);
          } catch (error) {
            log(`The reaper failed: ${error instanceof Error ? error.message : String(error)}`);
          }
        }, options.workers.reapEveryMs ?? Math.min(5_000, Math.max(500, Math.floor(leaseMs / 3))));
      }
      log(`This server runs the pushes now (package server on TCP ${runtime.server?.port ?? 'when needed'}${options.workers ? `; workers claim the targets${options.workers.ownWorker ? ', this server\'s own for the default site' : ''}` : ''}).`);
    });
    const lock = engineLock;
    const openBridge = bridge;
    const events = eventLog;
    return {
      url: openBridge.url,
      port: openBridge.port,
      certificate,
      services: active,
      sessions,
      db,
      eventLog: events,
      engineActive: () => lock.held(),
      async close() {
        if (reaper) clearInterval(reaper);
        // Its pushes get a moment to end; the rest go back to the queue for the next worker.
        await ownWorker?.stop(5_000);
        await lock.release();
        await openBridge.close();
        await events.close();
        await active.close();
      },
    };
  } catch (error) {
    await engineLock?.release();
    await bridge?.close();
    await eventLog?.close();
    if (services) await services.close();
    else db.close();
    throw error;
  }
}

interface EngineLock {
  held(): boolean;
  release(): Promise<void>;
}

/**
 * Tries for the engine lock at once and then every ENGINE_LOCK_POLL_MS on its own connection;
 * `onAcquired` runs once, when this process gets it. A lost lock connection (PostgreSQL restarted)
 * is opened again and the lock taken again: the engine keeps running meanwhile, as the
 * database's own writes wait for it (pgSync.ts).
 */
async function holdEngineLock(url: string, log: (line: string) => void, onAcquired: () => Promise<void>): Promise<EngineLock> {
  let client: pg.Client | null = null;
  let held = false;
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let waitingSaid = false;
  const attempt = async (): Promise<void> => {
    if (stopped) return;
    try {
      if (!client) {
        const c = new pg.Client({ connectionString: url, application_name: 'push-install-server engine lock' });
        c.on('error', () => {
          if (client !== c) return;
          client = null;
          held = false;
          // Taken again as soon as the database is back (a PostgreSQL restart ends every session's locks).
          if (!stopped) timer = setTimeout(() => void attempt(), ENGINE_LOCK_POLL_MS);
        });
        await c.connect();
        client = c;
      }
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [ENGINE_LOCK_KEY.toString()]);
      held = rows[0]?.ok === true;
      if (held && !started) {
        started = true;
        await onAcquired();
      } else if (!held && started) {
        log('ENGINE LOCK LOST: another Push Install Server took the engine lock while this one was cut off from the database; stop one of them.');
      } else if (!held && !started && !waitingSaid) {
        waitingSaid = true;
        log('Another Push Install Server runs the pushes; this one serves consoles and takes over if that one stops.');
      }
    } catch (error) {
      held = false;
      if (client) void client.end().catch(() => undefined);
      client = null;
      if (started === false && error instanceof Error && !/connect|terminat|ECONN/i.test(error.message)) log(`The engine could not start: ${error.message}`);
    }
    if (!stopped && !held) timer = setTimeout(() => void attempt(), ENGINE_LOCK_POLL_MS);
  };
  await attempt();
  return {
    held: () => held,
    async release() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      held = false;
      if (c) await c.end().catch(() => undefined);
    },
  };
}
