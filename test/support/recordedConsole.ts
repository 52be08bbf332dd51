// The console's services in the test's process, with secrets in memory, and every IPC result and
// event recorded as text: the tests that look for a secret where it must not be read these.
import { createConsoleServices, type ConsoleServices } from '../../main/app/services.js';
import { MemoryVault } from '../../main/engine/credentials.js';

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
