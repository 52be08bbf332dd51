// The main-process services both shells share: database, stores, event bus and the contract's
// handlers. Electron (main/electron) and the browser shell (main/browser) only wire transport.
import { createEventBus, type EventBus } from '../ipc/eventBus.js';
import { createRouter, type IpcRouter, type SenderPolicy, type Handlers } from '../ipc/router.js';
import { openDatabase, type Db } from '../store/database.js';
import { ComputersRepo } from '../store/computersRepo.js';
import { PackagesRepo } from '../store/packagesRepo.js';
import { TasksRepo } from '../store/tasksRepo.js';
import { createConfSettingsBackend, createSettingsStore, type SettingsBackend } from '../store/settings.js';
import { createHandlers } from './handlers.js';
import { targetIdPage } from './targetPages.js';
import { PRODUCT_NAME, PRODUCT_VERSION } from './product.js';
import { BackedVault, type CredentialVault } from '../engine/credentials.js';
import { openKeychainVault } from '../engine/keychainVault.js';
import { startPushRuntime, type PushRuntime } from '../engine/runtime.js';
import { startRetention } from './retention.js';
import type { Lab } from '../lab/lab.js';
import { LAB_GROUP, startLabDemo } from './labDemo.js';
import { PackageService } from './packageService.js';
import type { ConsoleStores } from './handlers/common.js';

export interface ConsoleServices extends Stores {
  readonly dataDir: string;
  readonly handlers: Handlers;
  router(policy: SenderPolicy): IpcRouter;
  /**
   * Starts the package server and the engine (crash recovery, scheduled tasks). A failure (port
   * 2224 taken) is returned, not thrown: the console still opens and says why pushing is off.
   */
  startPush(options?: { port?: number; host?: string }): Promise<PushRuntime | Error>;
  runtime(): PushRuntime | null;
  /** The simulated lab when the `simulatedLab` setting has it running. */
  lab(): Lab | null;
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
}

export function createConsoleServices(options: ConsoleServicesOptions): ConsoleServices {
  const db = options.db ?? openDatabase({ location: options.dataDir });
  const computers = new ComputersRepo(db);
  const packages = new PackagesRepo(db);
  const tasks = new TasksRepo(db);
  const settings = createSettingsStore(options.settingsBackend ?? createConfSettingsBackend(options.dataDir));
  const events = createEventBus();
  const vault = openVault(options, db, events);
  const stores: Stores = { db, computers, packages, tasks, settings, events, vault };
  const push: PushState = { runtime: null, problem: 'it is starting', stopRetention: null };
  const labs = labSwitch(options, stores);
  const handlers = consoleHandlers(options, stores, push, labs);
  return {
    dataDir: options.dataDir,
    db,
    computers,
    packages,
    tasks,
    settings,
    events,
    handlers,
    vault,
    router: (policy) => createRouter(handlers, policy),
    runtime: () => push.runtime,
    lab: () => labs.current(),
    startPush: (o = {}) => startPush(options, stores, push, labs, o),
    close: () => closeServices(db, push, labs),
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
  const { db, vault, computers, packages, tasks, settings, events } = stores;
  const baseHandlers = createHandlers({
    vault,
    runtime: () => push.runtime,
    runtimeProblem: () => push.problem,
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
      };
    },
    computers,
    packages,
    tasks,
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
  o: { port?: number; host?: string },
): Promise<PushRuntime | Error> {
  const log = activityLog(events);
  try {
    const envPort = process.env.PUSHCONSOLE_PACKAGE_PORT;
    const runtime = await startPushRuntime({
      dataDir: options.dataDir, db, tasks, packages, events, vault,
      settings: () => settings.get(),
      ...(o.port !== undefined ? { port: o.port } : envPort !== undefined ? { port: Number(envPort) } : {}),
      ...(o.host ? { host: o.host } : {}),
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
