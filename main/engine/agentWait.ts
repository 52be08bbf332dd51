// The push's wait for its agent (docs/ARCHITECTURE.md §3 steps 8–10): the service is started, the
// agent's callback is awaited within agentCallbackMs and its result within installMs after that,
// while the service's status is polled too — an agent that ends without reaching the console
// (unreachable, bad certificate) reports through its exit code. Then the agent is given the time
// to delete its work folder and stop by itself before cleanup sends STOP.
import { ConsoleError } from '../ipc/errors.js';
import { ServiceState, type Handle, type ScmrClient, type ServiceStatus } from '../rpc/scmr.js';
import { startAndWait } from '../rpc/serviceLifecycle.js';
import type { RestartReport } from '../server/agentProtocol.js';
import type { AgentEvent } from '../server/packageServer.js';
import type { AgentHub } from './agentHub.js';
import type { AgentFiles } from './smbTransport.js';
import type { PushTargetDeps, PushTargetHooks, PushTimeouts } from './pushTarget.js';
import { Cancelled } from './remoteHost.js';

export interface AgentOutcome {
  exitCode: number;
  log: string | null;
  /** What the agent did about a restart (its result's `restart`); null from an agent that said nothing. */
  restart?: RestartReport | null;
}

/** How the push's agent got its package and gave its result. */
export type CarriedBy = 'callback' | 'smb';

/** A stopped service is read this long after it was first seen, so a result already on its way over 2224 wins. */
const STOPPED_GRACE_MS = 2000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** The SMB side of a push's wait (smbTransport.ts): the agent's files, and — for auto — handing the package over when the callback fails. */
export interface SmbChannel {
  readonly transport: 'smb' | 'auto';
  /** auto: switch when no agent has called back this long after the service runs. */
  readonly fallbackMs: number;
  read(): Promise<AgentFiles>;
  /** auto: copies the package and writes the manifest the agent waits for. */
  deliver(): Promise<void>;
  /** auto: the job file again, for the smb transport, before an agent that had ended is started again. */
  rewriteJob(): Promise<void>;
}

/** Starts the service, waits for the agent's result (over 2224, or its files with the SMB transport), then lets the agent stop by itself. */
export async function runAgent(
  spec: { readonly targetId: number; readonly timeouts: PushTimeouts },
  hooks: PushTargetHooks,
  deps: PushTargetDeps,
  scmr: ScmrClient,
  service: Handle,
  name: string,
  smb: SmbChannel | null = null,
): Promise<AgentOutcome & { transport: CarriedBy; stopped: boolean }> {
  // Subscribed before starting: a quick agent may call back before StartService returns.
  const watch = new AgentWatch(deps.hub, spec.targetId, hooks, deps.signal);
  let outcome: AgentOutcome;
  let transport: CarriedBy = smb?.transport === 'smb' ? 'smb' : 'callback';
  try {
    const wait = new ServiceWait(scmr, service, name, spec.timeouts, deps.signal);
    const started = await wait.start(hooks);
    if (smb?.transport === 'smb') {
      hooks.state('waiting-for-agent', null);
      outcome = await waitForFiles(spec.timeouts, watch, smb, wait, hooks, deps.signal);
    } else {
      if (!watch.result && !watch.connected) hooks.state('waiting-for-agent', null);
      const called = await waitForResult(spec.timeouts, watch, wait, started, deps.signal, smb);
      if ('switch' in called) {
        transport = 'smb';
        outcome = await switchToSmb(called.switch, spec.timeouts, watch, smb!, wait, hooks, deps.signal);
      } else {
        outcome = called;
      }
    }
  } finally {
    watch.close();
  }
  // A scheduled restart: the agent keeps running until Windows goes down (restartFollower.ts).
  if (outcome.restart?.state === 'scheduled') return { ...outcome, transport, stopped: false };
  // The agent deletes its work folder after reporting, then stops by itself: give it that
  // time before cleanup sends STOP (a STOP would cut its own cleanup short).
  const stopped = await waitForStop(scmr, service, Math.min(15_000, spec.timeouts.serviceStopMs), spec.timeouts.pollMs, deps.signal);
  return { ...outcome, transport, stopped };
}

/** The agent's service: started (again, after an auto switch if it had ended), its status polled, STOPPED remembered. */
class ServiceWait {
  stopped: { status: ServiceStatus; seenAt: number } | null = null;

  constructor(
    private readonly scmr: ScmrClient,
    private readonly service: Handle,
    private readonly name: string,
    private readonly timeouts: PushTimeouts,
    private readonly signal: AbortSignal,
  ) {}

  async start(hooks: PushTargetHooks): Promise<ServiceStatus> {
    this.stopped = null;
    const started = await startAndWait(this.scmr, this.service, this.name, { startTimeoutMs: this.timeouts.serviceStartMs, pollIntervalMs: this.timeouts.pollMs });
    hooks.step('service', started.currentState === ServiceState.RUNNING ? 'service running' : `service stopped at once (exit ${started.win32ExitCode}/${started.serviceSpecificExitCode})`);
    if (started.currentState === ServiceState.STOPPED) this.stopped = { status: started, seenAt: Date.now() };
    return started;
  }

  /** Polls the status unless STOPPED was already seen. */
  async poll(): Promise<void> {
    if (this.stopped || this.signal.aborted) return;
    const status = await this.scmr.queryServiceStatus(this.service);
    if (status.currentState === ServiceState.STOPPED) this.stopped = { status, seenAt: Date.now() };
  }

  /** STOPPED for longer than the grace in which a result on its way still wins. */
  stoppedLong(now = Date.now()): ServiceStatus | null {
    return this.stopped && now - this.stopped.seenAt > STOPPED_GRACE_MS ? this.stopped.status : null;
  }
}

/** What the agent has told the console so far, through the package server's hub; `wake` ends a poll pause early. */
class AgentWatch {
  connected = false;
  result: AgentOutcome | null = null;
  readonly wake = new AbortController();
  private readonly unsubscribe: () => void;
  private readonly onCancel = () => this.wake.abort();

  constructor(hub: AgentHub, targetId: number, hooks: PushTargetHooks, private readonly signal: AbortSignal) {
    this.unsubscribe = hub.subscribe(targetId, (event: AgentEvent) => {
      if (event.kind === 'connected') {
        this.connected = true;
        hooks.step('agent', `agent connected from ${event.address}`);
        hooks.state('downloading', 0);
      } else if (event.kind === 'progress') {
        this.connected = true;
        if (event.stage === 'downloading') hooks.state('downloading', event.percent);
        else if (event.stage === 'installing') hooks.state('installing', null);
      } else if (event.kind === 'bytes-served') {
        hooks.step('download', `served ${event.file} (${event.bytes} bytes)`);
      } else if (event.kind === 'result') {
        this.result = { exitCode: event.exitCode, log: event.log, restart: event.restart };
        this.wake.abort();
      }
    });
    signal.addEventListener('abort', this.onCancel, { once: true });
  }

  close(): void {
    this.unsubscribe();
    this.signal.removeEventListener('abort', this.onCancel);
  }
}

/** The agent's exit code for "no console answered" (agent/src/exitcodes.h). */
const AGENT_UNREACHABLE = 11;

/** Polls until the agent reports over 2224, its service stops, a bound passes or the push is cancelled; with auto, until it is time to switch to SMB. */
async function waitForResult(timeouts: PushTimeouts, watch: AgentWatch, wait: ServiceWait, started: ServiceStatus, signal: AbortSignal, auto: SmbChannel | null): Promise<AgentOutcome | { switch: string }> {
  const startedAt = Date.now();
  let connectedAt: number | null = null;
  const stoppedCode = (status: ServiceStatus) => (status.win32ExitCode === 1066 ? status.serviceSpecificExitCode : null);
  if (auto && started.currentState === ServiceState.STOPPED && stoppedCode(started) === AGENT_UNREACHABLE) return { switch: 'the agent ended at once without reaching the console (exit 11)' };
  for (;;) {
    if (watch.result) return watch.result;
    if (signal.aborted) throw new Cancelled();
    if (watch.connected && connectedAt === null) connectedAt = Date.now();
    const now = Date.now();
    const stopped = wait.stoppedLong(now);
    if (stopped) {
      if (auto && !watch.connected && stoppedCode(stopped) === AGENT_UNREACHABLE) return { switch: 'the agent could not reach the console and ended (exit 11)' };
      return stoppedWithoutReport(stopped);
    }
    if (auto && !watch.connected) {
      if (now - startedAt > auto.fallbackMs) return { switch: `no callback from the agent within ${Math.round(auto.fallbackMs / 1000)} s of its start` };
      if ((await auto.read()).stage === 'waiting-for-package') return { switch: 'the agent could not reach the console on any callback address and waits for its package' };
    }
    if (!watch.connected && now - startedAt > timeouts.agentCallbackMs) {
      throw new ConsoleError('agent-no-callback', `The agent did not call back within ${Math.round(timeouts.agentCallbackMs / 1000)} s.`, 'A firewall probably blocks TCP 2224 between the computer and the console: allow it, set the callback address in Configuration, or push with the SMB transport (or auto).', 'TIMEOUT');
    }
    if (connectedAt !== null && now - connectedAt > timeouts.installMs) {
      throw new ConsoleError('timeout', `The installation did not finish within ${bound(timeouts.installMs)}.`, 'Raise the install timeout in Configuration, or check the computer for a stuck msiexec.', 'TIMEOUT');
    }
    await sleep(timeouts.pollMs, watch.wake.signal);
    if (watch.result) return watch.result;
    if (signal.aborted) throw new Cancelled();
    await wait.poll();
  }
}

/** auto: the callback failed; the package goes over SMB, and the agent — still waiting, or started again — installs from it. */
async function switchToSmb(why: string, timeouts: PushTimeouts, watch: AgentWatch, smb: SmbChannel, wait: ServiceWait, hooks: PushTargetHooks, signal: AbortSignal): Promise<AgentOutcome> {
  hooks.step('transport', `${why}: switching this computer to the SMB transport (the package is copied to ADMIN$ and installed as SYSTEM from there)`);
  await smb.deliver();
  if (signal.aborted) throw new Cancelled();
  await wait.poll();
  if (wait.stopped) {
    hooks.step('transport', 'the agent had ended before its package arrived: starting its service again with an SMB job file');
    await smb.rewriteJob();
    await wait.start(hooks);
  }
  hooks.state('waiting-for-agent', null);
  return waitForFiles(timeouts, watch, smb, wait, hooks, signal);
}

/** A bound in words: minutes from two minutes on, else seconds. */
const bound = (ms: number) => (ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);

/** The longest pause between two reads of the agent's files. */
const FILE_POLL_MAX_MS = 5000;

/** SMB transport: polls <exe>.progress and <exe>.result (backing off while nothing changes) until the result, the service's end or the install bound. */
async function waitForFiles(timeouts: PushTimeouts, watch: AgentWatch, smb: SmbChannel, wait: ServiceWait, hooks: PushTargetHooks, signal: AbortSignal): Promise<AgentOutcome> {
  const since = Date.now();
  let stage: string | null = null;
  let pause = timeouts.pollMs;
  for (;;) {
    if (signal.aborted) throw new Cancelled();
    if (watch.result) return watch.result; // a late callback still counts
    const files = await smb.read();
    if (files.result) return { exitCode: files.result.exitCode, log: files.result.log, restart: files.result.restart };
    if (files.stage !== stage) {
      stage = files.stage;
      pause = timeouts.pollMs;
      if (stage === 'verifying') hooks.step('agent', 'the agent found its package and checks its SHA-256');
      else if (stage === 'installing') {
        // The agent writes 'installing' only after every file's size and SHA-256 matched the manifest.
        hooks.step('agent', 'the agent verified its package (size and SHA-256 of every file) and runs msiexec');
        hooks.state('installing', null);
      }
    }
    const stopped = wait.stoppedLong();
    if (stopped) return stoppedWithoutReport(stopped, 'smb');
    if (Date.now() - since > timeouts.installMs) {
      throw new ConsoleError('result-missing', `The agent wrote no result within ${bound(timeouts.installMs)}.`, 'Check the computer for a stuck msiexec and the agent\'s log; raise the install timeout in Configuration if the package is slow.', 'TIMEOUT');
    }
    await sleep(pause, watch.wake.signal);
    pause = Math.min(FILE_POLL_MAX_MS, Math.round(pause * 1.5));
    await wait.poll();
  }
}

/** The agent ended without a result (over 2224, or in its result file): its exit code (service-specific, Win32 1066) says why. */
function stoppedWithoutReport(status: ServiceStatus, transport: CarriedBy = 'callback'): AgentOutcome {
  const code = status.win32ExitCode === 1066 ? status.serviceSpecificExitCode : status.win32ExitCode === 0 ? 0 : -1;
  if (code > 0) return { exitCode: code, log: null };
  if (code === -1) throw new ConsoleError('service-start', `The agent's service stopped with Win32 error ${status.win32ExitCode}.`, 'Check the computer\'s event log (Service Control Manager).', `WIN32 ${status.win32ExitCode}`);
  if (transport === 'smb') throw new ConsoleError('result-missing', 'The agent stopped without writing its result file.', 'Check the agent\'s log in the step log; retry the push.');
  throw new ConsoleError('agent-no-callback', 'The agent stopped without reporting to the console.', 'Allow TCP 2224 to the console through the firewalls, or push with the SMB transport (or auto), then retry.');
}

/** Polls until the service is STOPPED (true) or the bound passes (false: cleanup stops it). */
async function waitForStop(scmr: ScmrClient, service: Handle, boundMs: number, pollMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline && !signal.aborted) {
    const status = await scmr.queryServiceStatus(service);
    if (status.currentState === ServiceState.STOPPED) return true;
    await sleep(Math.min(pollMs, 250), signal);
  }
  return false;
}
