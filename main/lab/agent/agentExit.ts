// The simulated agent's exit codes (agent/src/exitcodes.h), the AgentStop that carries one out of
// a run, how a refused request becomes one, and the run's waits that SERVICE_CONTROL_STOP cuts short.
import { ConsoleStatusError } from './consoleClient.js';

/** agent/src/exitcodes.h */
export const AgentExit = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  BAD_JOB: 10,
  UNREACHABLE: 11,
  FINGERPRINT: 12,
  INTEGRITY: 13,
  STOPPED: 14,
  TOKEN_REFUSED: 15,
  DOWNLOAD: 16,
  ALREADY_RAN: 17,
  MSIEXEC_LAUNCH: 18,
  /** A STOP came while a restart the agent scheduled was pending: the restart is cancelled (AbortSystemShutdownW). */
  RESTART_CANCELLED: 19,
  /** msiexec's non-zero code N is reported as MSI_BASE + N (msiLog.ts agentCodeFor). */
  MSI_BASE: 100000,
} as const;

/** Ends the run with `code` as the agent's exit code; the message goes to the agent's log. */
export class AgentStop extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** A request after the token was accepted failed: stopped (14), token refused (15), or else 16. */
export function refusedStop(error: unknown, what: string, signal: AbortSignal): never {
  if (signal.aborted) throw new AgentStop(AgentExit.STOPPED, `stopped during ${what}`);
  if (error instanceof ConsoleStatusError && (error.status === 401 || error.status === 403)) throw new AgentStop(AgentExit.TOKEN_REFUSED, `${what}: token refused (HTTP ${error.status})`);
  if (error instanceof AgentStop) throw error;
  throw new AgentStop(AgentExit.DOWNLOAD, `${what}: ${(error as Error).message}`);
}

/** Resolves after `ms`, or rejects with AgentStop(14) when the signal fires. One timer, only while waiting. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AgentStop(AgentExit.STOPPED, 'stopped'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AgentStop(AgentExit.STOPPED, 'stopped'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Waits for STOP and nothing else: no timer (agent-no-callback hosts may idle for long). */
export const untilStopped = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    const stop = () => reject(new AgentStop(AgentExit.STOPPED, 'stopped by the Service Control Manager'));
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
