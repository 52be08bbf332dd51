// The console's services in the test's process, with secrets in memory, and every IPC result and
// event recorded as text: the tests that look for a secret where it must not be read these.
import { createConsoleServices, type ConsoleServices } from '../../main/app/services.js';
import { MemoryVault } from '../../main/engine/credentials.js';
import { eventNames, type PushConsoleApi } from '../../main/ipc/contract.js';
import { toIpcError } from '../../main/ipc/errors.js';

export interface RecordedConsole {
  readonly services: ConsoleServices;
  /** Every event the console emitted, as JSON. */
  readonly events: string[];
  /** Every IPC envelope `call` received, as JSON. */
  readonly results: string[];
  /** Dispatches a channel as the window would; throws on an error envelope. */
  call<R = unknown>(channel: string, request: unknown): Promise<R>;
  /** Closes the services (also done after the test if not done before). */
  close(): Promise<void>;
}

export function startRecordedConsole(t: { after(fn: () => Promise<void>): void }, dataDir: string): RecordedConsole {
  const services = createConsoleServices({ dataDir, shell: 'browser', createVault: (db) => new MemoryVault(db) });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await services.close();
  };
  t.after(close);
  const events: string[] = [];
  services.events.subscribe((event, payload) => events.push(JSON.stringify({ event, payload })));
  const results: string[] = [];
  const router = services.router(() => true);
  const call = async <R>(channel: string, request: unknown): Promise<R> => {
    const envelope = await router.dispatch(channel, request, { shell: 'browser', url: 'test' });
    results.push(JSON.stringify(envelope));
    if (!envelope.ok) throw new Error(`${channel}: ${envelope.error.message}`);
    return envelope.result as R;
  };
  return { services, events, results, call, close };
}

export interface RecordedApi {
  /** The api, each call's result (or error) recorded as it reaches the caller. */
  readonly api: PushConsoleApi;
  /** Every result and error `api.invoke` gave, as JSON. */
  readonly results: string[];
  /** Every event the api delivered (a listener on each event of the contract), as JSON. */
  readonly events: string[];
  /** Stops listening. */
  stop(): void;
}

/** Records everything a console received through `api` (a server connection's, say): results, errors and events. */
export function recordApi(api: PushConsoleApi): RecordedApi {
  const results: string[] = [];
  const events: string[] = [];
  const unsubscribe = eventNames.map((event) => api.on(event, (payload) => events.push(JSON.stringify({ event, payload }))));
  const recorded: PushConsoleApi = {
    invoke: (async (channel: Parameters<PushConsoleApi['invoke']>[0], request: never) => {
      try {
        const result: unknown = await api.invoke(channel, request);
        results.push(JSON.stringify({ channel, result }));
        return result;
      } catch (error) {
        results.push(JSON.stringify({ channel, error: toIpcError(error) }));
        throw error;
      }
    }) as PushConsoleApi['invoke'],
    on: api.on,
  };
  return { api: recorded, results, events, stop: () => unsubscribe.forEach((off) => off()) };
}
