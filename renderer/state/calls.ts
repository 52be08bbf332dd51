// Calls to main through the typed contract, and how their failures surface: `request` hands the
// error to the caller (a dialog shows it), `invoke` and `attempt` raise the store's global error
// notice. Errors become the store's `{class, code, message, advice}`.
import { ConsoleError } from '../../main/ipc/errors';
import type { ChannelName, IpcError, RequestOf, ResultOf } from '../../main/ipc/contract';
import { api } from '../api';
import { useConsole } from './store';

export function asIpcError(error: unknown): IpcError {
  if (error instanceof ConsoleError) return error.toIpcError();
  return { class: 'internal', code: null, message: String(error), advice: 'Reload the window; if it happens again, report it.' };
}

/** Runs a call; on failure raises the error notice and resolves to undefined. */
export async function attempt<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    useConsole.getState().errorRaised(asIpcError(error));
    return undefined;
  }
}

/** One call whose failure the caller shows itself (inside a dialog): never raises the global notice. */
export async function request<C extends ChannelName>(channel: C, body: RequestOf<C>): Promise<{ ok: true; result: ResultOf<C> } | { ok: false; error: IpcError }> {
  try {
    return { ok: true, result: await api.invoke(channel, body) };
  } catch (error) {
    return { ok: false, error: asIpcError(error) };
  }
}

/** A call whose failure raises the global error notice. */
export function invoke<C extends ChannelName>(channel: C, body: RequestOf<C>): Promise<ResultOf<C> | undefined> {
  return attempt(() => api.invoke(channel, body));
}
