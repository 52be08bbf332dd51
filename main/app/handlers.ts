// The implementation of every contract channel, over the stores. Plain Node: the Electron shell,
// the browser bridge and the tests run exactly this map through the router. Each domain's
// handlers live in main/app/handlers/, beside its schemas in main/ipc/contract/; this index joins
// them, and the `Handlers` type makes every channel have exactly one handler (each domain module
// returns exactly its domain's channels, and no channel is in two domains).
import type { Handlers } from '../ipc/router.js';
import type { HandlerDeps } from './handlers/common.js';
import { createAppHandlers } from './handlers/app.js';
import { createComputersHandlers } from './handlers/computers.js';
import { createCredentialsHandlers } from './handlers/credentials.js';
import { createPackagesHandlers } from './handlers/packages.js';
import { createTasksHandlers } from './handlers/tasks.js';
import { createTargetsHandlers } from './handlers/targets.js';
import { createHistoryHandlers } from './handlers/history.js';
import { createSettingsHandlers } from './handlers/settings.js';
import { createAuditHandlers, createServerHandlers } from './handlers/server.js';
import { createSitesHandlers } from './handlers/sites.js';

export type { HandlerDeps } from './handlers/common.js';
export { leftoversRefusal } from './handlers/targets.js';

export function createHandlers(deps: HandlerDeps): Handlers {
  return {
    ...createAppHandlers(deps),
    ...createComputersHandlers(deps),
    ...createCredentialsHandlers(deps),
    ...createPackagesHandlers(deps),
    ...createTasksHandlers(deps),
    ...createTargetsHandlers(deps),
    ...createHistoryHandlers(deps),
    ...createSettingsHandlers(deps),
    ...createServerHandlers(),
    ...createAuditHandlers(),
    ...createSitesHandlers(deps),
  };
}
