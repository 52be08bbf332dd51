// The simulated agent a lab host runs when its svcctl server starts the agent's service: it does
// what the native agent does (agent/README.md) — reads and validates its job file next to the
// exe, calls the console back over HTTPS from the host's own address with the certificate pinned,
// fetches its job (and the install credential when it installs as the administrator), downloads
// every file hashing as it streams (throttled on a slow link, bytes discarded), checks size and
// SHA-256, "runs msiexec" for the host's install time, reports the exit code with an MSI verbose
// log, deletes its job file and stops with the result as the service's exit code — and behaves
// per the host's profile. After a 3010 (or for the action `restart`) it applies the console's
// restart policy (agentRestart.ts): a scheduled restart keeps it running until the host goes down,
// a STOP before then cancels the restart (19). Nothing runs for a host until its service starts: no idle timers.
// A 429 or 503 from the console is waited out and the request sent again, within the native
// agent's bounds (AGENT_BUSY_RETRY in main/server/agentProtocol.ts).
// This file holds the run's start, its first steps and its end; the call back (agentCallback),
// the transfer (agentTransfer) and the downloads (agentDownload) are beside it.
import { JobFileError, parseJobFile, type AgentJob } from '../../server/jobFile.js';
import { labPathKey, type LabHostState, type LabService } from '../hostState.js';
import { reportServiceStopped } from '../rpc/serviceStatus.js';
import { callBack } from './agentCallback.js';
import { AgentExit, AgentStop, sleep, untilStopped } from './agentExit.js';
import { createRun, type AgentRun, type SimAgentOptions } from './agentRun.js';
import { installLocal, manifestPresent, waitForPackage } from './agentLocal.js';
import { untilRestart } from './agentRestart.js';

// The agent's public face: its exit codes, its work folder and the run's options.
export { AgentExit } from './agentExit.js';
export { expandWorkDir, simWorkDir } from './jobListing.js';
export type { SimAgentOptions } from './agentRun.js';

export interface SimAgentHandle {
  /** SERVICE_CONTROL_STOP: abort whatever is in flight; `done` then resolves 14 unless the work had ended (19 while a restart it scheduled is pending). */
  stop(): void;
  /** The agent's exit code, once it has stopped. */
  readonly done: Promise<number>;
}

export function runSimulatedAgent(state: LabHostState, service: LabService, options: SimAgentOptions = {}): SimAgentHandle {
  const controller = new AbortController();
  const run = createRun(state, service, options, controller.signal);
  state.agentsRunning++;
  state.counters.agentRuns++;
  state.changed();
  service.stop = () => controller.abort();
  // The host going down (hostPower.ts): the agent ends; the host has already set the service as after the boot.
  service.shutdown = () => {
    run.shutdown = true;
    controller.abort();
  };
  run.log(`service ${service.name} running (${service.binaryPath})`);

  let jobRead = false;
  const finished = work(run, () => (jobRead = true))
    .catch((error: unknown) => exitCodeOf(run, error))
    .then((code) => {
      if (jobRead) {
        run.removeAgentFile('.job'); // it held a one-time token
        run.removeAgentFile('.pkg');
      }
      run.log(`stopped with exit code ${code}`);
      run.writeAgentFile('.log', `${run.lines.join('\r\n')}\r\n`);
      state.agentsRunning--;
      if (run.shutdown) state.changed();
      else reportServiceStopped(state, service, code);
      return code;
    });

  return { stop: () => controller.abort(), done: finished };
}

/** The work, then — when the agent scheduled a restart — the wait for it. */
async function work(run: AgentRun, jobRead: () => void): Promise<number> {
  const code = await deliver(run, jobRead);
  return run.restart ? untilRestart(run, code, run.restart) : code;
}

async function deliver(run: AgentRun, jobRead: () => void): Promise<number> {
  const { state, exe, signal } = run;
  // 1. The job file next to the exe (`<exe>.job`), by the native agent's rules.
  const jobData = exe ? state.files.get(labPathKey(`${exe}.job`)) : undefined;
  if (!jobData) throw new AgentStop(AgentExit.BAD_JOB, `no job file at ${exe ?? run.service.binaryPath}.job`);
  jobRead();
  let job: AgentJob;
  try {
    job = parseJobFile(jobData);
  } catch (error) {
    if (error instanceof JobFileError) throw new AgentStop(AgentExit.BAD_JOB, `bad job file: ${error.message}`);
    throw error;
  }
  const transport = job.transport ?? 'callback';
  run.log(`job valid: run ${job.runId}, package ${job.packageId} (${job.size} bytes), transport ${transport}, ${job.consoles.length} console address(es)`);
  // 2. A second start of a run that already finished here installs nothing (the .done marker).
  const done = exe ? state.files.get(labPathKey(`${exe}.done`))?.toString('utf8') : undefined;
  if (done && new RegExp(`^run=${job.runId}$`, 'm').test(done)) throw new AgentStop(AgentExit.ALREADY_RAN, `run ${job.runId} already finished on this computer`);
  // 3. The package beside the exe (smb; auto when the console already copied it), or the call back.
  if (transport === 'smb' || (transport === 'auto' && manifestPresent(run))) return installLocal(run, job);
  if (state.config.profile === 'agent-no-callback') {
    run.log(`connecting to ${job.consoles.map((c) => `${c.host}:${c.port}`).join(', ')}…`);
    // A firewall drops the callback: the agent hangs on its connects (until the SCM stops it), or with auto gives up after its rounds.
    if (transport !== 'auto') return untilStopped(signal);
    const retry = run.options.retry ?? { rounds: 2, backoffMs: 200 };
    await sleep(retry.rounds * (run.options.connectTimeoutMs ?? 2000), signal);
    return waitForPackage(run, job);
  }
  try {
    return await callBack(run, job);
  } catch (error) {
    if (transport === 'auto' && error instanceof AgentStop && error.code === AgentExit.UNREACHABLE && !signal.aborted) return waitForPackage(run, job);
    throw error;
  }
}

/** How the run ended as the agent's exit code: stopped by the SCM (14), the AgentStop's code, or 1. */
function exitCodeOf(run: AgentRun, error: unknown): number {
  if (run.signal.aborted && !(error instanceof AgentStop && error.code !== AgentExit.STOPPED)) {
    run.log(run.shutdown ? 'the computer is shutting down (SERVICE_CONTROL_SHUTDOWN) before the work finished' : 'stopped by the Service Control Manager before the work finished');
    return AgentExit.STOPPED;
  }
  if (error instanceof AgentStop) {
    run.log(error.message);
    return error.code;
  }
  run.log(`internal failure: ${error instanceof Error ? error.message : String(error)}`);
  return AgentExit.INTERNAL;
}
