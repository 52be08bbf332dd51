// What every domain's handlers share: the one dependency set createHandlers receives, the shape
// a domain's handler map has, and the helpers more than one domain uses. Plain Node.
import type { AppInfo, ChannelDomains } from '../../ipc/contract.js';
import { ConsoleError } from '../../ipc/errors.js';
import type { EventBus } from '../../ipc/eventBus.js';
import type { Handlers } from '../../ipc/router.js';
import type { ComputersRepo } from '../../store/computersRepo.js';
import type { PackagesRepo } from '../../store/packagesRepo.js';
import type { SettingsStore } from '../../store/settings.js';
import type { TasksRepo } from '../../store/tasksRepo.js';
import type { SitesRepo } from '../../store/sitesRepo.js';
import type { CredentialVault } from '../../engine/credentials.js';
import type { PushRuntime } from '../../engine/runtime.js';
import type { TargetIdPage } from '../targetPages.js';

/** The stores, the settings, the event bus and the vault: what the handlers and the services are built on. */
export interface ConsoleStores {
  readonly computers: ComputersRepo;
  readonly packages: PackagesRepo;
  readonly tasks: TasksRepo;
  readonly sites: SitesRepo;
  readonly settings: SettingsStore;
  readonly events: EventBus;
  readonly vault: CredentialVault;
}

export interface HandlerDeps extends ConsoleStores {
  readonly appInfo: () => AppInfo;
  /** The push runtime (package server + engine) once started; null while starting or when it could not. */
  readonly runtime: () => PushRuntime | null;
  /** Why the runtime is not running, for the error the admin sees. */
  readonly runtimeProblem?: () => string | null;
  /** Why this process does not push at all (a Push Install Server on standby): refused with this error. */
  readonly pushRefusal?: () => ConsoleError | null;
  readonly now?: () => Date;
  /** Electron's open dialog (absent in the browser shell, which lists folders instead). */
  readonly chooseFile?: (title: string, extensions: readonly string[]) => Promise<string | null>;
  /** A page of a task's target ids (tasks.targets with offset/limit); without it a page is cut from the whole list. */
  readonly targetIdPage?: TargetIdPage;
  /** Network-scan bounds (tests shorten them). */
  readonly scan?: { timeoutMs?: number; concurrency?: number; progressMs?: number };
}

/** One domain's handlers: exactly the channels main/ipc/contract/ declares in that domain. */
export type DomainHandlers<D extends keyof ChannelDomains> = Pick<Handlers, ChannelDomains[D]>;

/** A line for the activity log, stamped with the deps' clock. */
export function activityLog(deps: HandlerDeps): (message: string) => void {
  const now = deps.now ?? (() => new Date());
  return (message) => deps.events.emit('log.line', { at: now().toISOString(), level: 'info', message });
}

/** The push engine, or the error that says why it is not running. */
export function pushEngine(deps: HandlerDeps): PushRuntime['engine'] {
  const runtime = deps.runtime();
  const refusal = runtime ? null : deps.pushRefusal?.();
  if (refusal) throw refusal;
  if (!runtime) {
    throw new ConsoleError(
      'package-server',
      `The package server is not running${deps.runtimeProblem?.() ? `: ${deps.runtimeProblem()}` : ''}.`,
      'Free TCP port 2224 (or choose another port in Configuration) and restart the console.',
    );
  }
  return runtime.engine;
}

/** Runs `work` over `items`, at most `limit` at a time; results in the items' order. */
export async function eachLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
