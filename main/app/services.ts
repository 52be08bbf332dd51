// The main-process services both shells share: database, stores, event bus and the contract's
// handlers. Electron (main/electron) and the browser shell (main/browser) only wire transport.
//
// Two event buses: the engine's (the stores, handlers and engine emit and listen there) and the
// windows' (`events`, what the shells forward to every window). While the console works on its own
// store the engine's events reach the windows; while it is connected to a Push Install Server
// (serverLink.ts) the server's do instead, and the engine goes on unseen.
import { createEventBus, type EventBus } from '../ipc/eventBus.js';
import { createRouter, type IpcRouter, type SenderPolicy, type Handlers } from '../ipc/router.js';
import { openDatabase, type Db } from '../store/database.js';
import { ComputersRepo } from '../store/computersRepo.js';
import { PackagesRepo } from '../store/packagesRepo.js';
import { TasksRepo } from '../store/tasksRepo.js';
import { SitesRepo } from '../store/sitesRepo.js';
import { createConfSettingsBackend, createSettingsStore, type SettingsBackend } from '../store/settings.js';
import { createHandlers } from './handlers.js';
import { targetIdPage } from './targetPages.js';
import { PRODUCT_NAME, PRODUCT_VERSION } from './product.js';
import { BackedVault, type CredentialVault } from '../engine/credentials.js';
import { openKeychainVault } from '../engine/keychainVault.js';
import { startPushRuntime, type PushRuntime } from '../engine/runtime.js';
import type { ClaimHooks } from '../engine/engineTypes.js';
import { startRetention } from './retention.js';
import type { Lab } from '../lab/lab.js';
import { LAB_GROUP, startLabDemo } from './labDemo.js';
import { PackageService } from './packageService.js';
import type { ConsoleStores } from './handlers/common.js';
import type { ConsoleError } from '../ipc/errors.js';
import { createServerLink, type ServerLink, type ServerLinkOptions } from './serverLink.js';

export interface ConsoleServices extends Stores {
  readonly dataDir: string;
  /** What the windows listen to: this console's engine while local, the server's events while connected. */
  readonly events: EventBus;
  /** The engine's own bus (the stores and handlers emit there), whatever the windows show. */
  readonly engineEvents: EventBus;
  /** The connection to a Push Install Server (File → Connect to Server…). */
  readonly serverLink: ServerLink;
  readonly handlers: Handlers;
  router(policy: SenderPolicy): IpcRouter;
  /**
   * Starts the package server and the engine (crash recovery, scheduled tasks). A failure (port
   * 2224 taken) is returned, not thrown: the console still opens and says why pushing is off.
   */
  startPush(options?: { port?: number; host?: string; claim?: ClaimHooks }): Promise<PushRuntime | Error>;
  runtime(): PushRuntime | null;
  /** The simulated lab when the `simulatedLab` setting has it running. */
  lab(): Lab | null;
  /** Refuse what needs the engine with this error until the push runtime starts (a server on standby); null lifts it. */
  refusePushing(error: ConsoleError | null): void;
  close(): Promise<void>;
}

export interface ConsoleServicesOptions {
  readonly dataDir: string;
  readonly shell: 'electron' | 'browser';
  /** electron-store in Electron; defaults to `conf` in the same folder. */
  readonly settingsBackend?: SettingsBackend;
  /** The shell's own open-file dialog (Electron's); the browser shell has none. */
  readonly chooseFile?: (title: string, extensions: readonly string[]) => Promise<string | null>;
  /** Where secrets are kept; default the OS keychain (@napi-rs/keyring), memory when unreachable. Electron passes its safeStorage vault. */
  readonly createVault?: (db: Db) => CredentialVault;
  /** An open store (the server's PostgreSQL); default the SQLite file in the data folder. */
  readonly db?: Db;
  /** How the console reaches Push Install Servers (tests: a local address, a quicker reconnect). */
  readonly serverLink?: Pick<ServerLinkOptions, 'client' | 'localAddress' | 'reconnectDelayMs'>;
}

export function createConsoleServices(options: ConsoleServicesOptions): ConsoleServices {
  const db = options.db ?? openDatabase({ location: options.dataDir });
  const computers = new ComputersRepo(db);
  const packages = new PackagesRepo(db);
  const tasks = new TasksRepo(db);
  const sites = new SitesRepo(db);
  const settings = createSettingsStore(options.settingsBackend ?? createConfSettingsBackend(options.dataDir));
  const events = createEventBus();
  const vault = openVault(options, db, events);
  const stores: Stores = { db, computers, packages, tasks, sites, settings, events, vault };
  const push: PushState = { runtime: null, problem: 'it is starting', stopRetention: null, refusal: null };
  const labs = labSwitch(options, stores);
  const localHandlers = consoleHandlers(options, stores, push, labs);
  let link: ServerLink | null = null;
  const windowEvents = windowBus(events, () => link?.isLocal() ?? true);
  link = createServerLink({
    dataDir: options.dataDir,
    shell: options.shell,
    local: localHandlers,
    windows: windowEvents,
    log: (message, level) => windowEvents.emit('log.line', { at: new Date().toISOString(), level, message }),
    ...options.serverLink,
  });
  const serverLink = link;
  const handlers = link.handlers;
  return {
    dataDir: options.dataDir,
    db,
    computers,
    packages,
    tasks,
    sites,
    settings,
    events: windowEvents,
    engineEvents: events,
    serverLink,
    handlers,
    vault,
    router: (policy) => createRouter(handlers, policy),
    runtime: () => push.runtime,
    lab: () => labs.current(),
    refusePushing: (error) => void (push.refusal = error),
    startPush: (o = {}) => startPush(options, stores, push, labs, o),
    close: () => serverLink.close().then(() => closeServices(db, push, labs)),
  };
}

/**
 * The windows' bus: what is emitted on it (the server's events, the menu's commands, the
 * connection's status) and, while `local()` holds, the engine's events — passed on as they are
 * (already checked where they were emitted).
 */
function windowBus(engine: EventBus, local: () => boolean): EventBus {
  const own = createEventBus();
  return {
    emit: (event, payload) => own.emit(event, payload),
    subscribe(listener) {
      const offOwn = own.subscribe(listener);
      const offEngine = engine.subscribe((event, payload) => {
        if (local()) listener(event, payload);
      });
      return () => {
        offOwn();
        offEngine();
      };
    },
  };
}

/** The database and what is built on it (handlers/common.ts ConsoleStores). */
interface Stores extends ConsoleStores {
  readonly db: Db;
}

/** The push runtime once started, why it is not running (null when it is), and retention's stop. */
interface PushState {
  runtime: PushRuntime | null;
  problem: string | null;
  /** Set by refusePushing. */
  refusal: ConsoleError | null;
  stopRetention: (() => void) | null;
}

/** The simulated lab, started or stopped to match the setting (one change at a time). */
interface LabSwitch {
  apply(): Promise<void>;
  current(): Lab | null;
  /** The lab, now no longer the services' (for close). */
  take(): Lab | null;
}

/** A line in the activity log. */
const activityLog =
  (events: EventBus) =>
  (line: string, level: 'info' | 'error' = 'info') =>
    events.emit('log.line', { at: new Date().toISOString(), level, message: line });

/** The vault the options name, or the OS keychain; a keychain problem is said once at start-up. */
function openVault(options: ConsoleServicesOptions, db: Db, events: EventBus): CredentialVault {
  // PUSHCONSOLE_KEYCHAIN=off: memory only, on purpose (the test runner: never the developer's keychain).
  const keychainOff = process.env.PUSHCONSOLE_KEYCHAIN === 'off';
  const vault = options.createVault
    ? options.createVault(db)
    : keychainOff
      ? new BackedVault(db, null, 'The OS keychain is turned off (PUSHCONSOLE_KEYCHAIN=off): credentials are kept in memory only.')
      : openKeychainVault(db);
  if (vault.problem && !keychainOff) {
    // Said on the terminal (nothing listens to the event bus yet) and in the activity log.
    console.warn(vault.problem);
    events.emit('log.line', { at: new Date().toISOString(), level: 'warning', message: vault.problem });
  }
  return vault;
}

function labSwitch(options: ConsoleServicesOptions, { computers, packages, settings, events, vault }: Stores): LabSwitch {
  const log = activityLog(events);
  let lab: Lab | null = null;
  let labChange: Promise<void> = Promise.resolve();
  return {
    apply: () =>
      (labChange = labChange.then(async () => {
        const wanted = settings.get().simulatedLab && process.env.PUSHCONSOLE_LAB !== '0';
        if (wanted && !lab) {
          try {
            lab = await startLabDemo({ computers, packages: new PackageService(options.dataDir, packages), vault, log });
          } catch (error) {
            log(`The simulated lab could not start: ${error instanceof Error ? error.message : String(error)}.`, 'error');
          }
        } else if (!wanted && lab) {
          const closing = lab;
          lab = null;
          await closing.close();
          log('Simulated lab stopped (turned off in Configuration).');
        }
      })),
    current: () => lab,
    take: () => {
      const current = lab;
      lab = null;
      return current;
    },
  };
}

/** The contract's handlers over the stores; turning the simulated lab on or off in the settings applies it. */
function consoleHandlers(options: ConsoleServicesOptions, stores: Stores, push: PushState, labs: LabSwitch): Handlers {
  const { db, vault, computers, packages, tasks, sites, settings, events } = stores;
  const baseHandlers = createHandlers({
    vault,
    runtime: () => push.runtime,
    runtimeProblem: () => push.problem,
    pushRefusal: () => push.refusal,
    appInfo: () => {
      const lab = labs.current();
      return {
        productName: PRODUCT_NAME,
        version: PRODUCT_VERSION,
        shell: options.shell,
        dataDir: options.dataDir,
        databaseSchemaVersion: db.schemaVersion(),
        lab: lab ? { hosts: lab.hosts.length, group: LAB_GROUP, user: `LAB\\${lab.account.user}`, password: lab.account.password, port: lab.port } : null,
        credentialStorage: { storage: vault.storage, problem: vault.problem },
        server: null,
      };
    },
    computers,
    packages,
    tasks,
    sites,
    settings,
    events,
    targetIdPage: targetIdPage(db),
    ...(options.chooseFile ? { chooseFile: options.chooseFile } : {}),
  });
  return {
    ...baseHandlers,
    'settings.update': async (changes) => {
      const next = await baseHandlers['settings.update'](changes);
      if ('simulatedLab' in changes) await labs.apply();
      return next;
    },
  };
}

/** ConsoleServices.startPush: the package server and engine, retention, then the lab if the setting has it. */
async function startPush(
  options: ConsoleServicesOptions,
  { db, tasks, packages, events, vault, settings }: Stores,
  push: PushState,
  labs: LabSwitch,
  o: { port?: number; host?: string; claim?: ClaimHooks },
): Promise<PushRuntime | Error> {
  const log = activityLog(events);
  try {
    const envPort = process.env.PUSHCONSOLE_PACKAGE_PORT;
    const runtime = await startPushRuntime({
      dataDir: options.dataDir, db, tasks, packages, events, vault,
      settings: () => settings.get(),
      ...(o.port !== undefined ? { port: o.port } : envPort !== undefined ? { port: Number(envPort) } : {}),
      ...(o.host ? { host: o.host } : {}),
      ...(o.claim ? { claim: o.claim } : {}),
      log: (line) => log(line),
    });
    push.runtime = runtime;
    push.problem = null;
    runtime.engine.start();
    push.stopRetention ??= startRetention({ tasks, settings: () => settings.get(), log: (line) => log(line) });
    await labs.apply();
    // As it is now: null when the console closed while the lab started.
    return push.runtime;
  } catch (error) {
    push.problem = error instanceof Error ? error.message : String(error);
    log(`The package server could not start: ${push.problem}. Pushing is off until it can.`, 'error');
    return error instanceof Error ? error : new Error(push.problem);
  }
}

/** ConsoleServices.close: stops retention, closes the runtime and the lab, then the database. */
function closeServices(db: Db, push: PushState, labs: LabSwitch): Promise<void> {
  push.stopRetention?.();
  push.stopRetention = null;
  const current = push.runtime;
  const currentLab = labs.take();
  push.runtime = null;
  if (!current && !currentLab) {
    db.close();
    return Promise.resolve();
  }
  const closeDb = () => void db.close();
  return Promise.all([current?.close(), currentLab?.close()]).then(closeDb, closeDb);
}
