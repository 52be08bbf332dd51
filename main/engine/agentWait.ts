// The push's wait for its agent (docs/ARCHITECTURE.md §3 steps 8–10): the service is started, the
// agent's callback is awaited within agentCallbackMs and its result within installMs after that,
// while the service's status is polled too — an agent that ends without reaching the console
// (unreachable, bad certificate) reports through its exit code. Then the agent is given the time
// to delete its work folder and stop by itself before cleanup sends STOP.
import { ConsoleError } from '../ipc/errors.js';
import { ServiceState, type Handle, type ScmrClient, type ServiceStatus } from '../rpc/scmr.js';
import { startAndWait } from '../rpc/serviceLifecycle.js';
import type { AgentEvent } from '../server/packageServer.js';
import type { AgentHub } from './agentHub.js';
import type { PushTargetDeps, PushTargetHooks, PushTimeouts } from './pushTarget.js';
import { Cancelled } from './remoteHost.js';

export interface AgentOutcome {
  exitCode: number;
  log: string | null;
}

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

/** Starts the service, waits for the agent's result, then lets the agent stop by itself. */
export async function runAgent(
  spec: { readonly targetId: number; readonly timeouts: PushTimeouts },
  hooks: PushTargetHooks,
  deps: PushTargetDeps,
  scmr: ScmrClient,
  service: Handle,
  name: string,
): Promise<AgentOutcome> {
  // Subscribed before starting: a quick agent may call back before StartService returns.
  const watch = new AgentWatch(deps.hub, spec.targetId, hooks, deps.signal);
  let outcome: AgentOutcome;
  try {
    const started = await startAndWait(scmr, service, name, { startTimeoutMs: spec.timeouts.serviceStartMs, pollIntervalMs: spec.timeouts.pollMs });
    hooks.step('service', started.currentState === ServiceState.RUNNING ? 'service running' : `service stopped at once (exit ${started.win32ExitCode}/${started.serviceSpecificExitCode})`);
    if (!watch.result && !watch.connected) hooks.state('waiting-for-agent', null);
    outcome = await waitForResult(spec.timeouts, watch, scmr, service, started, deps.signal);
  } finally {
    watch.close();
  }
  // The agent deletes its work folder after reporting, then stops by itself: give it that
  // time before cleanup sends STOP (a STOP would cut its own cleanup short).
  await waitForStop(scmr, service, Math.min(15_000, spec.timeouts.serviceStopMs), spec.timeouts.pollMs, deps.signal);
  return outcome;
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
        this.result = { exitCode: event.exitCode, log: event.log };
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

/** Polls until the agent reports, its service stops, a bound passes or the push is cancelled. */
async function waitForResult(timeouts: PushTimeouts, watch: AgentWatch, scmr: ScmrClient, service: Handle, started: ServiceStatus, signal: AbortSignal): Promise<AgentOutcome> {
  const startedAt = Date.now();
  let connectedAt: number | null = null;
  let stopped = started.currentState === ServiceState.STOPPED ? { status: started, seenAt: Date.now() } : null;
  for (;;) {
    if (watch.result) return watch.result;
    if (signal.aborted) throw new Cancelled();
    if (watch.connected && connectedAt === null) connectedAt = Date.now();
    const now = Date.now();
    if (stopped && now - stopped.seenAt > STOPPED_GRACE_MS) return stoppedWithoutReport(stopped.status);
    if (!watch.connected && now - startedAt > timeouts.agentCallbackMs) {
      throw new ConsoleError('agent-no-callback', `The agent did not call back within ${Math.round(timeouts.agentCallbackMs / 1000)} s.`, 'A firewall probably blocks TCP 2224 between the computer and the console: allow it, or set the callback address in Configuration.', 'TIMEOUT');
    }
    if (connectedAt !== null && now - connectedAt > timeouts.installMs) {
      throw new ConsoleError('timeout', `The installation did not finish within ${Math.round(timeouts.installMs / 60000)} min.`, 'Raise the install timeout in Configuration, or check the computer for a stuck msiexec.', 'TIMEOUT');
    }
    await sleep(timeouts.pollMs, watch.wake.signal);
    if (watch.result) return watch.result;
    if (signal.aborted) throw new Cancelled();
    if (!stopped) {
      const status = await scmr.queryServiceStatus(service);
      if (status.currentState === ServiceState.STOPPED) stopped = { status, seenAt: Date.now() };
    }
  }
}

/** The agent ended without a result over 2224: its exit code (service-specific, Win32 1066) says why. */
function stoppedWithoutReport(status: ServiceStatus): AgentOutcome {
  const code = status.win32ExitCode === 1066 ? status.serviceSpecificExitCode : status.win32ExitCode === 0 ? 0 : -1;
  if (code > 0) return { exitCode: code, log: null };
  if (code === -1) throw new ConsoleError('service-start', `The agent's service stopped with Win32 error ${status.win32ExitCode}.`, 'Check the computer\'s event log (Service Control Manager).', `WIN32 ${status.win32ExitCode}`);
  throw new ConsoleError('agent-no-callback', 'The agent stopped without reporting to the console.', 'Allow TCP 2224 to the console through the firewalls, then retry.');
}

/** Polls until the service is STOPPED or the bound passes (then cleanup stops it). */
async function waitForStop(scmr: ScmrClient, service: Handle, boundMs: number, pollMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline && !signal.aborted) {
    const status = await scmr.queryServiceStatus(service);
    if (status.currentState === ServiceState.STOPPED) return;
    await sleep(Math.min(pollMs, 250), signal);
  }
}
