// Quitting the Electron shell waits for what must reach the disk first: the
// safeStorage vault encrypts a new password in the background and writes its ciphertext when
// done, and the services close the database. Electron's 'will-quit' does not wait for promises,
// so the first quit is held (preventDefault), the work runs — bounded, so a stuck keyring cannot
// keep the console from quitting — and then the quit is asked for again and let through.
// Types only from Electron: testable with a fake app (test/unit/orderlyQuit.test.ts).

export interface QuittingApp {
  on(event: 'will-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  quit(): void;
}

export function installOrderlyQuit(app: QuittingApp, work: () => Promise<void>, options: { boundMs?: number; log?: (line: string) => void } = {}): void {
  const boundMs = options.boundMs ?? 10_000;
  let state: 'running' | 'finishing' | 'done' = 'running';
  app.on('will-quit', (event) => {
    if (state === 'done') return;
    event.preventDefault();
    if (state === 'finishing') return;
    state = 'finishing';
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        options.log?.(`Quitting without waiting longer: saving credentials and closing the database took over ${boundMs / 1000} s.`);
        resolve();
      }, boundMs);
    });
    void Promise.race([
      work().catch((error: unknown) => options.log?.(`While quitting: ${error instanceof Error ? error.message : String(error)}`)),
      bound,
    ]).then(() => {
      clearTimeout(timer);
      state = 'done';
      app.quit();
    });
  });
}
