// Slows down password guessing against the Push Install Server's accounts: failed logons are
// counted per account name (without regard to case) and per remote address, and after
// THRESHOLD failures within WINDOW a name or address is locked out for a while — 30 s at first,
// doubling with each further failure, at most 15 minutes (the exponential back-off OWASP's
// Authentication Cheat Sheet and NIST SP 800-63B §5.2.2 "Rate Limiting" describe, rather than a
// permanent lock an attacker could use to shut an administrator out). A success clears the
// account's count, not the address's: one good password from an address does not pardon its
// guesses at other accounts.
//
// An address's count escalates until it has been quiet (no failure, no lock) for WINDOW; then it
// starts again from nothing. IPv6 addresses are counted per /64 (one host usually holds a whole
// /64, RFC 6177), IPv4-mapped IPv6 addresses as their IPv4 address.
//
// Memory is bounded: each scope keeps at most `maxEntries` names or addresses; past that, entries
// quiet for WINDOW go first, then those not locked, oldest first, then the locks ending soonest.
//
// The server's use: `check` before verifying a password (a lockout answers 'logon-throttled'
// without trying the password), then `failure` or `success` with the verdict.
import net from 'node:net';
import { ConsoleError } from '../ipc/errors.js';

export interface ThrottleVerdict {
  /** Whole seconds until a logon is tried again (at least 1). */
  readonly retryAfterSeconds: number;
  /** What is locked: the account name, or the address the logon came from. */
  readonly scope: 'user' | 'address';
}

export interface LogonThrottleOptions {
  /** Milliseconds since the epoch; Date.now by default (tests move a clock of their own). */
  readonly now?: () => number;
  /** Names (and, separately, addresses) remembered at most; default 10 000. */
  readonly maxEntries?: number;
}

export const THROTTLE = {
  /** Failures within WINDOW_MS before the first lockout. */
  threshold: 5,
  windowMs: 15 * 60_000,
  firstLockMs: 30_000,
  maxLockMs: 15 * 60_000,
} as const;

interface Entry {
  /** Times of the failures within the window, before the first lockout. */
  recent: number[];
  /** Lockouts so far: 0 until THRESHOLD failures; each further failure adds one. */
  level: number;
  lockedUntil: number;
  lastFailure: number;
}

/** How long the n-th lockout (1-based) lasts. */
export function lockDurationMs(level: number): number {
  return Math.min(THROTTLE.firstLockMs * 2 ** Math.min(level - 1, 30), THROTTLE.maxLockMs);
}

class Counter {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  lockedFor(key: string, now: number): number {
    const e = this.entries.get(key);
    return e && e.lockedUntil > now ? e.lockedUntil - now : 0;
  }

  failure(key: string, now: number): void {
    let e = this.entries.get(key);
    if (e && quiet(e, now)) e = undefined;
    if (!e) e = { recent: [], level: 0, lockedUntil: 0, lastFailure: 0 };
    if (e.level === 0) {
      e.recent = e.recent.filter((t) => t > now - THROTTLE.windowMs);
      e.recent.push(now);
      if (e.recent.length >= THROTTLE.threshold) {
        e.level = 1;
        e.recent = [];
        e.lockedUntil = now + lockDurationMs(1);
      }
    } else {
      e.level += 1;
      e.lockedUntil = now + lockDurationMs(e.level);
    }
    e.lastFailure = now;
    // Most recently failed last in the map's order, so "oldest first" is the map's order.
    this.entries.delete(key);
    this.entries.set(key, e);
    if (this.entries.size > this.maxEntries) this.evict(now);
  }

  clear(key: string): void {
    this.entries.delete(key);
  }

  /** Down to 90 % of the bound (so a full map is not swept on every failure). */
  private evict(now: number): void {
    const target = Math.floor(this.maxEntries * 0.9);
    for (const [key, e] of this.entries) if (quiet(e, now)) this.entries.delete(key);
    for (const [key, e] of this.entries) {
      if (this.entries.size <= target) return;
      if (e.lockedUntil <= now) this.entries.delete(key);
    }
    if (this.entries.size <= target) return;
    const locked = [...this.entries].sort(([, a], [, b]) => a.lockedUntil - b.lockedUntil);
    for (const [key] of locked.slice(0, this.entries.size - target)) this.entries.delete(key);
  }
}

/** No failure and no lock for a whole window: the entry counts nothing any more. */
function quiet(e: Entry, now: number): boolean {
  return now - Math.max(e.lastFailure, e.lockedUntil) >= THROTTLE.windowMs;
}

/** The key an account name is counted under: its lower case, bounded (a long name is not a valid one anyway). */
export function userKey(name: string): string {
  return name.slice(0, 128).toLowerCase();
}

/** The key an address is counted under: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 by its /64. */
export function addressKey(address: string): string {
  let a = address.trim().toLowerCase();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped && net.isIPv4(mapped[1]!)) return mapped[1]!;
  if (!net.isIPv6(a)) return a.slice(0, 64);
  const groups = expandIPv6(a);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, in hex without leading zeros. */
function expandIPv6(a: string): string[] {
  let text = a;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, null];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const middle = tail === null ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => parseInt(g, 16).toString(16));
}

export class LogonThrottle {
  private readonly now: () => number;
  private readonly users: Counter;
  private readonly addresses: Counter;

  constructor(options: LogonThrottleOptions = {}) {
    this.now = options.now ?? Date.now;
    const max = options.maxEntries ?? 10_000;
    this.users = new Counter(max);
    this.addresses = new Counter(max);
  }

  /** null when a logon for this name from this address may be tried now; else how long to wait (the longer lock when both are locked). */
  check(user: string, address: string): ThrottleVerdict | null {
    const now = this.now();
    const byUser = this.users.lockedFor(userKey(user), now);
    const byAddress = this.addresses.lockedFor(addressKey(address), now);
    if (byUser === 0 && byAddress === 0) return null;
    const scope = byUser >= byAddress ? 'user' : 'address';
    return { retryAfterSeconds: Math.max(1, Math.ceil(Math.max(byUser, byAddress) / 1000)), scope };
  }

  /** A refused logon: counts against the name and the address. */
  failure(user: string, address: string): void {
    const now = this.now();
    this.users.failure(userKey(user), now);
    this.addresses.failure(addressKey(address), now);
  }

  /** A logon that succeeded: the name's count starts again; the address's stays. */
  success(user: string, _address: string): void {
    this.users.clear(userKey(user));
  }

  /** Names and addresses remembered now (the bound's test, the server's status page). */
  size(): { users: number; addresses: number } {
    return { users: this.users.size, addresses: this.addresses.size };
  }
}

/** What a logon refused by the throttle answers (HTTP: 429 with Retry-After: retryAfterSeconds). */
export function throttledError(verdict: ThrottleVerdict): ConsoleError {
  const what = verdict.scope === 'user' ? 'this account' : 'this address';
  const wait = verdict.retryAfterSeconds >= 120 ? `${Math.ceil(verdict.retryAfterSeconds / 60)} minutes` : `${verdict.retryAfterSeconds} seconds`;
  return new ConsoleError('logon-throttled', `Too many failed logons for ${what}: try again in ${wait}.`, undefined, `retry-after-${verdict.retryAfterSeconds}`);
}
