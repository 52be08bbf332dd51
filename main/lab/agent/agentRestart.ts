// The console's restart policy as the simulated agent applies it, like the native agent
// (agent/src/restart.c, agent/README.md "Restarts"): only after msiexec's 3010 (result 103010) and
// for the action `restart` (no msiexec, result 0); 1641 (msiexec started a restart itself) is left
// alone. What it did goes into the result (`restart`, a RestartReport); once the result is out the
// restart is scheduled on the host (InitiateShutdownW, hostPower.ts) and the agent keeps running —
// service RUNNING — until the host goes down (SERVICE_CONTROL_SHUTDOWN: it ends with its result) or
// a STOP comes first: it cancels the restart (AbortSystemShutdownW) and ends with 19.
//
// The policies (agentProtocol.ts RestartPolicy), with the host's userLoggedOn and restartAnswer:
// - now: restart in graceSeconds;
// - when-idle: nobody logged on → as now; a user logged on → as ask;
// - ask: the restart is scheduled at the deadline, forceAfterSeconds away (`at`, asked: true), and the
//   user is asked at once: yes → the restart moves to 30 s away; no, or no answer → asked again every
//   graceSeconds (the lab's user always answers the same) until the deadline restarts the computer.
// Windows refuses a restart when one is already pending (1115) or as LabHostConfig.shutdownError says:
// then `refused` with that Win32 error, and the agent ends at once.
// Seconds last LabHostConfig.restartSecondMs on the host (default 1000; the lab's tests shrink them).
import type { RestartReport } from '../../server/agentProtocol.js';
import { ShutdownCode } from '../hostPower.js';
import { AgentExit, AgentStop, sleep, untilStopped } from './agentExit.js';
import type { AgentRun } from './agentRun.js';
import type { JobListing } from './jobListing.js';

/** ask, answered yes: the restart comes this many seconds later (RESTART_YES_GRACE_S). */
export const RESTART_YES_GRACE_SECONDS = 30;
/** msiexec's 3010 and 1641 as the agent's results. */
const RESULT_3010 = AgentExit.MSI_BASE + 3010;
const RESULT_1641 = AgentExit.MSI_BASE + 1641;

/** What the agent does about a restart: the report, and when scheduled, how far away and whether the user is asked. */
export interface RestartPlan {
  readonly report: RestartReport;
  /** Scheduled: the restart's delay from now, in the host's milliseconds. */
  readonly inMs?: number;
  /** Asked: how often the native agent asks again after a no (graceSeconds, 60 when that is 0). */
  readonly askEverySeconds?: number;
}

/** One second of the restart policy on this host. */
const secondMs = (run: AgentRun) => run.state.config.restartSecondMs ?? 1000;

/** `at` as the native agent writes it: UTC to the second (rounded up: never before the restart). */
const isoSeconds = (ms: number) => new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The plan for the run's result (restart_begin): `needed` for the action restart, which runs no
 * msiexec; else only 103010 needs a restart. The job must have been understood (its policy read).
 */
export function planRestart(run: AgentRun, listing: JobListing, result: number, needed = false): RestartPlan {
  const { policy, graceSeconds, forceAfterSeconds } = listing.restart;
  const { config, power } = run.state;
  if (result === RESULT_1641) return { report: { state: 'left-to-msiexec', policy } };
  if (!(needed || result === RESULT_3010) || policy === 'none') return { report: { state: 'not-needed', policy } };
  const asked = policy === 'ask' || (policy === 'when-idle' && config.userLoggedOn === true);
  const win32 = config.shutdownError ?? (power.pendingRestart || power.state !== 'up' ? ShutdownCode.SHUTDOWN_IN_PROGRESS : 0);
  if (win32 !== 0) return { report: { state: 'refused', policy, win32 } };
  const inMs = (asked ? forceAfterSeconds : graceSeconds) * secondMs(run);
  const report: RestartReport = { state: 'scheduled', policy, at: isoSeconds(run.now().getTime() + inMs), asked };
  return asked ? { report, inMs, askEverySeconds: graceSeconds > 0 ? graceSeconds : 60 } : { report, inMs };
}

/** Words for the agent's log and its result line. */
export function describeRestart(report: RestartReport): string {
  const policy = report.policy ?? 'none';
  switch (report.state) {
    case 'scheduled':
      return `restart scheduled (policy ${policy}${report.asked ? ', the user is asked' : ''}), by ${report.at ?? '?'} at the latest`;
    case 'refused':
      return `restart refused by Windows (policy ${policy}; InitiateShutdownW: Win32 error ${report.win32 ?? '?'})`;
    case 'left-to-msiexec':
      return 'msiexec started a restart itself (1641): left to it';
    default:
      return `no restart (policy ${policy})`;
  }
}

/** Once the result is out: InitiateShutdownW; the agent then waits for the host to go down (untilRestart). */
export function armRestart(run: AgentRun, plan: RestartPlan): void {
  if (plan.report.state !== 'scheduled' || plan.inMs === undefined) return;
  const code = run.state.power.schedule(plan.inMs);
  if (code !== ShutdownCode.SUCCESS) {
    // Another restart was scheduled since the plan: it stands, and this agent waits for it as well.
    run.log(`InitiateShutdownW failed: Win32 error ${code} (a shutdown is already in progress)`);
  } else {
    run.log(`restart scheduled with InitiateShutdownW (${plan.report.asked ? 'the deadline; the user is asked before' : plan.report.policy}): in ${Math.round(plan.inMs / secondMs(run))} s at the latest`);
  }
  run.restart = plan;
}

/**
 * After a scheduled restart (restart_wait): the user asked when the policy says, then running until
 * the host goes down (→ `result`) or a STOP comes first (the restart cancelled → 19).
 */
export async function untilRestart(run: AgentRun, result: number, plan: RestartPlan): Promise<number> {
  const { state } = run;
  try {
    run.log('waiting for the restart: the service keeps running until Windows stops it (a stop cancels the restart)');
    if (plan.report.asked) {
      const answer = state.config.restartAnswer ?? 'yes';
      run.log('asking the logged-on user to restart now');
      await sleep(0, run.signal);
      if (answer === 'yes') {
        run.log(`the user answered yes: restarting in ${RESTART_YES_GRACE_SECONDS} s`);
        state.power.advance(RESTART_YES_GRACE_SECONDS * secondMs(run));
      } else {
        run.log(`${answer === 'no' ? 'the user answered no' : 'no answer'}: asking again every ${plan.askEverySeconds ?? 60} s until the deadline, ${plan.report.at ?? '?'}`);
      }
    }
    return await untilStopped(run.signal);
  } catch (error) {
    if (run.shutdown) {
      run.log(`Windows is shutting down: the agent ends (result ${result})`);
      return result;
    }
    if (!run.signal.aborted) throw error;
    const cancelled = state.power.cancel();
    if (cancelled !== ShutdownCode.SUCCESS) {
      run.log(`the pending restart could not be cancelled: AbortSystemShutdownW failed with Win32 error ${cancelled}`);
      return result;
    }
    throw new AgentStop(AgentExit.RESTART_CANCELLED, 'pending restart cancelled (AbortSystemShutdownW)');
  }
}
