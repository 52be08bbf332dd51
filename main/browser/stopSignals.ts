// The signals that stop the browser shell, and why the shell takes them for itself.
//
// conf (the settings store) loads atomically, which loads when-exit; at import, when-exit hooks
// SIGINT, SIGTERM and SIGHUP with a listener that runs its clean-ups and then sends the signal
// again with process.kill(process.pid, signal). On Linux that second signal reaches the shell's own
// listener and does no harm. On Windows, Node carries out process.kill(pid, 'SIGINT' | 'SIGTERM')
// as TerminateProcess: Ctrl+C in the console window (SIGINT) or closing it (SIGHUP, which
// when-exit turns into SIGTERM) ended the shell at once with exit code 1, before the shell's own
// listener had run — the package server and the engine were not closed (pushes under way left
// without their clean-up) and the database was not closed (seen on Windows Node under Wine:
// exit 1 in 20 ms, console.sqlite3-wal left beside the database). So the shell removes the
// listeners already on its stop signals and is their only listener; when-exit's clean-ups still
// run from its 'exit' hook when the shell calls process.exit.
//
// Windows also has Ctrl+Break (SIGBREAK) and the console window's close button (SIGHUP: Windows
// ends the process some seconds later, time enough for the orderly stop); Node emulates SIGTERM
// there but nothing sends it.

/** What the shell listens on: the POSIX pair everywhere, and Windows' console events. */
export function stopSignals(platform: NodeJS.Platform = process.platform): NodeJS.Signals[] {
  return platform === 'win32' ? ['SIGINT', 'SIGTERM', 'SIGBREAK', 'SIGHUP'] : ['SIGINT', 'SIGTERM'];
}

/** The part of `process` this needs (a test passes an EventEmitter). */
export interface SignalTarget {
  listeners(signal: NodeJS.Signals): ((...args: never[]) => unknown)[];
  removeListener(signal: NodeJS.Signals, listener: (...args: never[]) => unknown): unknown;
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/**
 * Makes `stop` the only listener of each signal: the listeners libraries put there are removed
 * (and returned, for the record). `stop` gets the signal's name.
 */
export function takeStopSignals(
  stop: (signal: NodeJS.Signals) => void,
  signals: readonly NodeJS.Signals[] = stopSignals(),
  target: SignalTarget = process as unknown as SignalTarget,
): { signal: NodeJS.Signals; removed: number }[] {
  return signals.map((signal) => {
    const foreign = target.listeners(signal);
    for (const listener of foreign) target.removeListener(signal, listener);
    target.on(signal, stop);
    return { signal, removed: foreign.length };
  });
}
