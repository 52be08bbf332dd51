// What the package server refused, counted and written to the console's log throttled per address:
// a few lines per window, then one summary line, so a flood from one address cannot flood the
// log. A line names the method, the path without its query and the address: never a token.
import type http from 'node:http';

export type RefusalKind = 'overGlobalCap' | 'overAddressCap' | 'rateLimited' | 'badToken';

/** What was refused since the server started. */
export interface RefusalCounts {
  /** Connections destroyed because the server held maxConnections already. */
  overGlobalCap: number;
  /** Connections destroyed because their address held maxConnectionsPerAddress already. */
  overAddressCap: number;
  /** Requests answered 429. */
  rateLimited: number;
  /** Requests answered 401 (no, unknown, expired or finished token). */
  badToken: number;
  /** Refusal lines logged, summaries included, and refusals only counted. */
  linesLogged: number;
  linesSuppressed: number;
}

/** Counts one refusal and logs its line (or only counts it, over the window's lines). */
export type Refuse = (kind: RefusalKind, address: string, line: string) => void;

const KIND_WORDS: Record<RefusalKind, string> = {
  overGlobalCap: 'over the connection cap',
  overAddressCap: 'over the per-address connection cap',
  rateLimited: 'rate-limited',
  badToken: 'with a bad token',
};

/** Addresses with a window of their own at once; the rest share one (memory stays bounded in a spread flood). */
const MAX_LOG_WINDOWS = 256;
const OTHERS = 'other addresses';

/**
 * Refusal lines for the console's log, at most `lines` per address per window; the rest are counted
 * and summed up in one line when the window closes. Timers are unref'd and go on flush().
 */
export function throttledRefusalLog(log: (targetId: number | null, detail: string) => void, lines: number, windowMs: number, counts: RefusalCounts) {
  interface Window { logged: number; suppressed: Map<RefusalKind, number>; timer: NodeJS.Timeout }
  const windows = new Map<string, Window>();
  const seconds = Math.round(windowMs / 100) / 10;
  const close = (key: string): void => {
    const w = windows.get(key);
    if (!w) return;
    clearTimeout(w.timer);
    windows.delete(key);
    let total = 0;
    for (const n of w.suppressed.values()) total += n;
    if (total === 0) return;
    const kinds = [...w.suppressed].map(([kind, n]) => `${n} ${KIND_WORDS[kind]}`).join(', ');
    counts.linesLogged++;
    log(null, `… and ${total} more refused from ${key} in the last ${seconds} s (${kinds})`);
  };
  return {
    note(kind: RefusalKind, address: string, line: string): void {
      const key = windows.has(address) || windows.size < MAX_LOG_WINDOWS ? address : OTHERS;
      let w = windows.get(key);
      if (!w) {
        const timer = setTimeout(() => close(key), windowMs);
        timer.unref();
        w = { logged: 0, suppressed: new Map(), timer };
        windows.set(key, w);
      }
      if (w.logged < lines) {
        w.logged++;
        counts.linesLogged++;
        log(null, line);
      } else {
        w.suppressed.set(kind, (w.suppressed.get(kind) ?? 0) + 1);
        counts.linesSuppressed++;
      }
    },
    flush(): void {
      for (const key of [...windows.keys()]) close(key);
    },
  };
}

/** `GET /v1/job` for a log line: the path without its query (which could carry anything), printable, short. */
export function describeRequest(req: http.IncomingMessage): string {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const pathOnly = (q >= 0 ? url.slice(0, q) : url).slice(0, 80).replace(/[^\x21-\x7e]/g, '?');
  return `${req.method ?? '?'} ${pathOnly}${q >= 0 ? '?…' : ''}`;
}
