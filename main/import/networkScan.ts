// Network scan (docs/ARCHITECTURE.md §11): which addresses of a range answer on TCP 445. Bounded:
// at most 4096 addresses, `concurrency` probes at once, each given up after `timeoutMs`; progress
// is reported in batches (not per address) and an AbortSignal stops it between probes.
import net from 'node:net';
import { ConsoleError } from '../ipc/errors.js';
import { expandRange } from './computerList.js';

export interface ScanOptions {
  readonly port: number;
  readonly timeoutMs: number;
  readonly concurrency: number;
  /** Batches of progress: every `progressMs` and at the end. */
  readonly progressMs: number;
  readonly signal?: AbortSignal;
}

export interface ScanProgress {
  readonly done: number;
  readonly total: number;
  /** Addresses that answered since the last report. */
  readonly found: string[];
}

export function scanAddresses(range: string): string[] {
  const trimmed = range.trim();
  if (net.isIPv4(trimmed)) return [trimmed];
  const expanded = expandRange(trimmed);
  if (expanded === null) {
    throw new ConsoleError('invalid-range', `"${trimmed.slice(0, 60)}" is not an IPv4 range or CIDR block.`, 'Enter a range such as 10.0.0.1-10.0.0.254 (or 10.0.0.1-254) or a block such as 10.0.0.0/24.');
  }
  if (!expanded.ok) throw new ConsoleError('invalid-range', `The range cannot be scanned: ${expanded.reason}.`, 'Scan at most 4096 addresses at once (a /20).');
  return expanded.addresses;
}

/** Resolves true when a TCP connection to address:port opens within the timeout. */
export function probe(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const done = (open: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(open);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Probes every address (until cancelled); resolves with those that answered, in range order, and how many were probed. */
export async function scanRange(addresses: readonly string[], o: ScanOptions, report: (p: ScanProgress) => void): Promise<{ found: string[]; probed: number }> {
  const open: boolean[] = new Array<boolean>(addresses.length).fill(false);
  let next = 0;
  let done = 0;
  let found: string[] = [];
  const flush = () => {
    report({ done, total: addresses.length, found });
    found = [];
  };
  const timer = setInterval(flush, o.progressMs);
  const worker = async () => {
    while (next < addresses.length && !o.signal?.aborted) {
      const index = next++;
      const address = addresses[index]!;
      if (await probe(address, o.port, o.timeoutMs)) {
        open[index] = true;
        found.push(address);
      }
      done += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.concurrency, addresses.length) }, worker));
  } finally {
    clearInterval(timer);
    flush();
  }
  return { found: addresses.filter((_, i) => open[i]), probed: done };
}
