// The Packages tab's channels: list (with each package's options and use), inspect, create,
// duplicate and delete, through the package service over the data folder's packages.
import { PackageService } from '../packageService.js';
import type { DomainHandlers, HandlerDeps } from './common.js';

export function createPackagesHandlers(deps: HandlerDeps): DomainHandlers<'packages'> {
  let service: PackageService | null = null;
  const packages = () => (service ??= new PackageService(deps.appInfo().dataDir, deps.packages));
  return {
    'packages.list': () => packages().list(),
    'packages.inspect': ({ msiPath, configPath }) => packages().inspect(msiPath, configPath),
    'packages.create': (request) => packages().create(request),
    'packages.duplicate': (request) => packages().duplicate(request),
    'packages.remove': ({ id }) => ({ removed: packages().remove(id) }),
  };
}
