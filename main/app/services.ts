// The main-process services both shells share: database, stores, event bus and the contract's
// handlers. Electron (main/electron) and the browser shell (main/browser) only wire transport.
import { createEventBus, type EventBus } from '../ipc/eventBus.js';
import { createRouter, type IpcRouter, type SenderPolicy, type Handlers } from '../ipc/router.js';
import { openDatabase, schemaVersion, type Db } from '../store/database.js';
import { ComputersRepo } from '../store/computersRepo.js';
import { PackagesRepo } from '../store/packagesRepo.js';
import { TasksRepo } from '../store/tasksRepo.js';
import { createConfSettingsBackend, createSettingsStore, type SettingsBackend, type SettingsStore } from '../store/settings.js';
import { createHandlers } from './handlers.js';
import { PRODUCT_NAME, PRODUCT_VERSION } from './product.js';

export interface ConsoleServices {
  readonly dataDir: string;
  readonly db: Db;
  readonly computers: ComputersRepo;
  readonly packages: PackagesRepo;
  readonly tasks: TasksRepo;
  readonly settings: SettingsStore;
  readonly events: EventBus;
  readonly handlers: Handlers;
  router(policy: SenderPolicy): IpcRouter;
  close(): void;
}

export interface ConsoleServicesOptions {
  readonly dataDir: string;
  readonly shell: 'electron' | 'browser';
  /** electron-store in Electron; defaults to `conf` in the same folder. */
  readonly settingsBackend?: SettingsBackend;
}

export function createConsoleServices(options: ConsoleServicesOptions): ConsoleServices {
  const db = openDatabase({ location: options.dataDir });
  const computers = new ComputersRepo(db);
  const packages = new PackagesRepo(db);
  const tasks = new TasksRepo(db);
  const settings = createSettingsStore(options.settingsBackend ?? createConfSettingsBackend(options.dataDir));
  const events = createEventBus();
  const handlers = createHandlers({
    appInfo: () => ({
      productName: PRODUCT_NAME,
      version: PRODUCT_VERSION,
      shell: options.shell,
      dataDir: options.dataDir,
      databaseSchemaVersion: schemaVersion(db),
    }),
    computers,
    packages,
    tasks,
    settings,
    events,
  });
  return {
    dataDir: options.dataDir,
    db,
    computers,
    packages,
    tasks,
    settings,
    events,
    handlers,
    router: (policy) => createRouter(handlers, policy),
    close: () => db.close(),
  };
}
