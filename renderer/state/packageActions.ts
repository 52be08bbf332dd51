// The package library as the Packages tab shows it, reloaded from main.
import { api } from '../api';
import { attempt } from './calls';
import { useConsole } from './store';

export async function reloadPackages(): Promise<void> {
  const packages = await attempt(() => api.invoke('packages.list', {}));
  if (packages) useConsole.getState().packagesLoaded(packages);
}
