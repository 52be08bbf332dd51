// Credentials: the list reloaded from main, and Set Credentials… (rebind) on targets, a task or
// computers, with the sentence the notices show for what it did.
import type { ResultOf } from '../../main/ipc/contract';
import { api } from '../api';
import { attempt, request } from './calls';
import { reloadSelectedTask, reloadTasks } from './historyActions';
import { useConsole } from './store';

/** Which targets Set Credentials… gives a credential to: exactly one scope (see credentials.rebind). */
export type RebindScope = { readonly targetIds: number[] } | { readonly taskId: number } | { readonly computerIds: number[] };

/**
 * Set Credentials… on targets, a task or computers: main gives them the credential, queues the
 * waiting ones again and cleans what ended pushes left. History's lists are fresh afterwards.
 */
export async function rebindCredentials(credentialId: number, scope: RebindScope) {
  const r = await request('credentials.rebind', { credentialId, ...scope });
  if (r.ok) {
    await reloadTasks();
    await reloadSelectedTask();
  }
  return r;
}

/** What Set Credentials… did, as the notice says it. */
export function rebindSummary(r: ResultOf<'credentials.rebind'>, what = 'computer(s)'): string {
  if (r.rebound === 0) return 'Nothing to do: none of them waits for credentials or has something left to clean.';
  return `Credentials set for ${r.rebound} ${what}: ${r.resumed} resumed, ${r.cleaning} being cleaned.`;
}

export async function reloadCredentials(): Promise<void> {
  const credentials = await attempt(() => api.invoke('credentials.list', {}));
  if (credentials) useConsole.getState().credentialsLoaded(credentials);
}
