// The Push Install Server's sign-in and sessions: an account's name and password checked (its
// scrypt hash, users.ts) behind the logon throttle (logonThrottle.ts), then a random session token
// (256 bits) that the console's page carries in its cookie and every bridge message, and a program
// (pushctl, a console's Connect to Server) in Authorization: Bearer. A session ends when signed
// out, after SESSION_IDLE_MS without a call, or when its account is disabled or removed.
import crypto from 'node:crypto';
import type { BridgeAuth, Principal, SignInResult } from '../browser/bridgeServer.js';
import { toIpcError, type ConsoleError } from '../ipc/errors.js';
import { logonFailedError, type Role } from './users.js';
import { throttledError, type ThrottleVerdict } from './logonThrottle.js';

/** A session unused this long ends (a console's open page calls far more often). */
export const SESSION_IDLE_MS = 8 * 3_600_000;

export interface AccountCheck {
  /** The account when the name and password match an enabled account; null otherwise. */
  verify(name: string, password: string): Promise<{ readonly name: string; readonly role: Role } | null>;
  /** The account as it is now (role changed, disabled, removed: null). */
  current(name: string): { readonly name: string; readonly role: Role } | null;
}

export interface ThrottleCheck {
  /** Null when a logon may be tried now; else how long to wait. */
  check(user: string, address: string): ThrottleVerdict | null;
  failed(user: string, address: string): void;
  succeeded(user: string, address: string): void;
}

interface Session {
  readonly principal: Principal;
  lastUsed: number;
}

export interface ServerSessions extends BridgeAuth {
  /** Sessions alive now (the status line, tests). */
  count(): number;
}

/** Each sign-in, refused or not, for the audit trail. */
export type LogonRecorder = (action: 'logon' | 'logon-failed' | 'logon-throttled', user: string, address: string) => void;

export function createSessions(accounts: AccountCheck, throttle: ThrottleCheck, recordLogon: LogonRecorder, now: () => number = Date.now): ServerSessions {
  const sessions = new Map<string, Session>();
  const refusal = (error: ConsoleError, status: 401 | 429): SignInResult => ({ ok: false, status, error: toIpcError(error) });
  return {
    async signIn(user, password, address) {
      const wait = throttle.check(user, address);
      if (wait) {
        recordLogon('logon-throttled', user, address);
        return refusal(throttledError(wait), 429);
      }
      const account = await accounts.verify(user, password);
      if (!account) {
        throttle.failed(user, address);
        recordLogon('logon-failed', user, address);
        return refusal(logonFailedError(), 401);
      }
      throttle.succeeded(user, address);
      recordLogon('logon', account.name, address);
      const token = crypto.randomBytes(32).toString('base64url');
      const principal: Principal = { user: account.name, role: account.role };
      sessions.set(token, { principal, lastUsed: now() });
      return { ok: true, token, principal };
    },
    session(token) {
      const s = sessions.get(token);
      if (!s) return null;
      if (now() - s.lastUsed > SESSION_IDLE_MS) {
        sessions.delete(token);
        return null;
      }
      // The account as it is now: a role taken away or an account disabled applies at once.
      const account = accounts.current(s.principal.user);
      if (!account) {
        sessions.delete(token);
        return null;
      }
      s.lastUsed = now();
      return account.role === s.principal.role ? s.principal : { user: account.name, role: account.role };
    },
    signOut(token) {
      sessions.delete(token);
    },
    count: () => sessions.size,
  };
}
