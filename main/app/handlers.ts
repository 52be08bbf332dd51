// The implementation of every contract channel, over the stores. Plain Node: the Electron shell,
// the browser bridge and the tests run exactly this map through the router.
import type { AppInfo } from '../ipc/contract.js';
import { ConsoleError } from '../ipc/errors.js';
import type { EventBus } from '../ipc/eventBus.js';
import type { Handlers } from '../ipc/router.js';
import { parseComputerEntry } from '../engine/computerEntry.js';
import type { ComputersRepo } from '../store/computersRepo.js';
import type { PackagesRepo } from '../store/packagesRepo.js';
import type { SettingsStore } from '../store/settings.js';
import type { TasksRepo } from '../store/tasksRepo.js';

export interface HandlerDeps {
  readonly appInfo: () => AppInfo;
  readonly computers: ComputersRepo;
  readonly packages: PackagesRepo;
  readonly tasks: TasksRepo;
  readonly settings: SettingsStore;
  readonly events: EventBus;
  readonly now?: () => Date;
}

export function createHandlers(deps: HandlerDeps): Handlers {
  const now = deps.now ?? (() => new Date());
  const info = (message: string) =>
    deps.events.emit('log.line', { at: now().toISOString(), level: 'info', message });

  return {
    'app.info': () => deps.appInfo(),
    'computers.list': () => deps.computers.list(),
    'computers.add': ({ entries, groupName }) => {
      const invalid: { entry: string; reason: string }[] = [];
      const seen = new Set<string>();
      const valid: { name: string; address: string | null }[] = [];
      const duplicates: string[] = [];
      for (const entry of entries) {
        const parsed = parseComputerEntry(entry);
        if (!parsed.ok) {
          invalid.push({ entry, reason: parsed.reason });
          continue;
        }
        const key = parsed.name.toLowerCase();
        if (seen.has(key)) {
          duplicates.push(parsed.name);
          continue;
        }
        seen.add(key);
        const isAddress = parsed.kind === 'ipv4' || parsed.kind === 'ipv6';
        valid.push({ name: parsed.name, address: isAddress ? parsed.name : null });
      }
      if (valid.length === 0 && invalid.length > 0) {
        throw new ConsoleError(
          'invalid-computer',
          `None of the entries is a computer name or address: ${invalid.map((i) => `"${i.entry}" (${i.reason})`).join(', ')}.`,
          'Enter a NetBIOS name (up to 15 characters), a DNS name such as pc01.corp.example, or an IP address.',
        );
      }
      const stored = deps.computers.addMany(valid.map((v) => ({ ...v, groupName: groupName ?? null })));
      if (stored.added.length > 0) info(`Added ${stored.added.length} computer(s).`);
      return { added: stored.added, duplicates: [...duplicates, ...stored.duplicates], invalid };
    },
    'computers.remove': ({ ids }) => {
      const removed = deps.computers.removeMany(ids);
      info(`Removed ${removed} computer(s).`);
      return { removed };
    },
    'packages.list': () => deps.packages.list(),
    'tasks.list': () => deps.tasks.list(),
    'tasks.targets': ({ taskId }) => deps.tasks.targets(taskId),
    'targets.log': ({ targetId }) => deps.tasks.log(targetId),
    'settings.get': () => deps.settings.get(),
    'settings.update': (changes) => {
      const next = deps.settings.update(changes);
      info(`Settings saved (${Object.keys(changes).join(', ') || 'no changes'}).`);
      return next;
    },
  };
}
