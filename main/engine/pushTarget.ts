// One push to one computer (DESIGN.md §2): probe TCP 445, negotiate, log on, copy the agent and
// its job file to ADMIN$\PushInstall\<run>\, create and start the agent's service, wait for the
// agent's report through the package server, then — always — stop and delete the service and the
// files. Every step goes to the target's step log; every failure ends as a verdict with a class,
// a raw code and advice. What cleanup could not remove is reported as leftovers.
import { ConsoleError } from '../ipc/errors.js';
import type { TargetState } from '../ipc/contract.js';
import { SmbConnection } from '../smb/connection.js';
import { dialectName } from '../smb/hostInfo.js';
import { SmbStatusError } from '../smb/errors.js';
import { Status } from '../smb/ntstatus.js';
import { SmbSession, type SmbCredentials } from '../smb/session.js';
import { SmbTree, type SmbPipe } from '../smb/tree.js';
import { ScmrClient, ServiceState, type Handle, type ServiceStatus } from '../rpc/scmr.js';
import { createService, startAndWait, stopAndDelete, uniqueServiceName } from '../rpc/serviceLifecycle.js';
import type { GrantStore, PackageFile } from '../server/grants.js';
import { encodeJobFile } from '../server/jobFile.js';
import type { PushAction } from '../server/agentProtocol.js';
import type { AgentEvent } from '../server/packageServer.js';
import type { AgentHub } from './agentHub.js';
import { verdictForAgentCode, type PushVerdict } from './results.js';
import { probeIsFresh, probeSmbPort, type ProbeOutcome } from './probeAhead.js';
import { crashPoint } from './crashPoint.js';

export const REMOTE_ROOT = 'PushInstall';
export const AGENT_FILE = 'PushInstallAgent.exe';
/** Files the agent may leave beside itself; cleanup removes them by name. */
const AGENT_SIDE_FILES = ['.job', '.log', '.done'];

export interface Leftovers {
  service: string | null;
  files: string[];
  directories: string[];
}

export interface PushTimeouts {
  readonly connectMs: number;
  readonly agentCallbackMs: number;
  readonly installMs: number;
  readonly pollMs: number;
  readonly serviceStartMs: number;
  readonly serviceStopMs: number;
}

export interface PushTargetSpec {
  readonly targetId: number;
  readonly host: string;
  readonly port: number;
  readonly credentials: SmbCredentials;
  readonly runId: string;
  readonly agentPath: string;
  readonly packageId: string;
  readonly files: readonly PackageFile[];
  readonly parameters: string;
  readonly runAs: 'admin' | 'system';
  /** What msiexec does with the package (the job's `action`); default install. */
  readonly action?: PushAction;
  /** host names/addresses the agent calls back to; empty = the console's address on the SMB connection. */
  readonly callbackHosts: readonly string[];
  readonly callbackPort: number;
  readonly fingerprint: string;
  readonly timeouts: PushTimeouts;
  readonly encryptWhenSupported: boolean;
  /** The TCP probe the engine ran while the target waited in the queue (probeAhead.ts). */
  readonly probedAhead?: Promise<ProbeOutcome> | null;
}

export interface PushTargetHooks {
  state(state: TargetState, progress: number | null): void;
  step(step: string, detail: string, code?: string | null): void;
  /** Called whenever what is on the target changes, so a crash leaves a true record. */
  remote(leftovers: Leftovers, serviceName: string | null): void;
}

export interface PushTargetDeps {
  readonly grants: GrantStore;
  readonly hub: AgentHub;
  readonly signal: AbortSignal;
  readonly random?: (n: number) => Buffer;
}

export interface PushTargetResult extends PushVerdict {
  readonly exitCode: number | null;
  readonly msiLog: string | null;
  readonly leftovers: Leftovers | null;
}

class Cancelled extends ConsoleError {
  constructor() {
    super('cancelled', 'The push was cancelled.', 'Retry when ready.');
  }
}

function verdictOf(error: unknown): PushVerdict {
  if (error instanceof Cancelled) return { outcome: 'cancelled', errorClass: 'cancelled', code: null, message: error.message, advice: error.advice, rebootRequired: false };
  if (error instanceof ConsoleError) return { outcome: 'failed', errorClass: error.errorClass, code: error.code, message: error.message, advice: error.advice, rebootRequired: false };
  const message = error instanceof Error ? error.message : String(error);
  return { outcome: 'failed', errorClass: 'internal', code: null, message, advice: 'This is a bug in the console; export the task\'s logs and report it.', rebootRequired: false };
}

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

function plainAddress(address: string | null): string | null {
  if (!address) return null;
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

const isStatus = (error: unknown, ...statuses: number[]) => error instanceof SmbStatusError && statuses.includes(error.status);

/** The remote paths of one run, relative to ADMIN$. */
export function remotePaths(runId: string): { dir: string; exe: string; sideFiles: string[] } {
  const dir = `${REMOTE_ROOT}\\${runId}`;
  const exe = `${dir}\\${AGENT_FILE}`;
  return { dir, exe, sideFiles: AGENT_SIDE_FILES.map((suffix) => exe + suffix) };
}

/** Everything the push may have created on the target, for a cleanup after a crash. */
export function everythingOf(runId: string, serviceName: string | null): Leftovers {
  const paths = remotePaths(runId);
  return { service: serviceName, files: [paths.exe, ...paths.sideFiles], directories: [paths.dir] };
}

interface Remote {
  connection: SmbConnection;
  session: SmbSession;
  admin: SmbTree | null;
  ipc: SmbTree | null;
  pipe: SmbPipe | null;
  scmr: ScmrClient | null;
  scm: Handle | null;
}

async function connect(spec: PushTargetSpec): Promise<Remote> {
  const connection = await SmbConnection.connect({ host: spec.host, port: spec.port, connectTimeoutMs: spec.timeouts.connectMs });
  try {
    const session = await SmbSession.setup(connection, spec.credentials, { targetHost: spec.host, encryptWhenSupported: spec.encryptWhenSupported });
    return { connection, session, admin: null, ipc: null, pipe: null, scmr: null, scm: null };
  } catch (error) {
    connection.close();
    throw error;
  }
}

async function openScm(remote: Remote, host: string): Promise<{ scmr: ScmrClient; scm: Handle }> {
  if (remote.scmr && remote.scm) return { scmr: remote.scmr, scm: remote.scm };
  remote.ipc ??= await SmbTree.connect(remote.session, host, 'IPC$');
  remote.pipe = await remote.ipc.openPipe('svcctl');
  remote.scmr = await ScmrClient.bind(remote.pipe);
  remote.scm = await remote.scmr.openSCManager();
  return { scmr: remote.scmr, scm: remote.scm };
}

function closeRemote(remote: Remote | null): void {
  if (!remote) return;
  void remote.session.logoff().catch(() => undefined).finally(() => remote.connection.close());
}

export async function pushTarget(spec: PushTargetSpec, hooks: PushTargetHooks, deps: PushTargetDeps): Promise<PushTargetResult> {
  const { signal } = deps;
  const paths = remotePaths(spec.runId);
  const created: Leftovers = { service: null, files: [], directories: [] };
  const record = () => hooks.remote(created, created.service);
  let remote: Remote | null = null;
  let service: Handle | null = null;
  let token: string | null = null;
  let verdict: PushVerdict | null = null;
  let exitCode: number | null = null;
  let msiLog: string | null = null;
  const checkCancel = () => {
    if (signal.aborted) throw new Cancelled();
  };

  try {
    // 1. Probe: a bare TCP connect, classified at once (refused, unresolved) or at the bound (silent).
    hooks.state('probing', null);
    const ahead = spec.probedAhead ? await spec.probedAhead : null;
    if (ahead && probeIsFresh(ahead)) {
      if (!ahead.ok) throw ahead.error;
      hooks.step('probe', `TCP ${spec.port} answered in ${ahead.ms} ms (probed while queued)`);
    } else {
      const t0 = Date.now();
      await probeSmbPort(spec.host, spec.port, spec.timeouts.connectMs);
      hooks.step('probe', `TCP ${spec.port} answered in ${Date.now() - t0} ms`);
    }
    checkCancel();

    // 2–3. Negotiate and log on.
    hooks.state('connecting', null);
    hooks.state('authenticating', null);
    remote = await connect(spec);
    const { connection, session } = remote;
    hooks.step('logon', `SMB ${dialectName(connection.dialect)} as ${spec.credentials.user}; signing ${connection.serverRequiresSigning ? 'required' : 'enabled'} (${connection.signingAlgorithm})${session.encrypted ? ', session encrypted' : ''}`);
    checkCancel();

    // 4. Copy the agent and its job file.
    hooks.state('copying', 0);
    const admin = (remote.admin = await SmbTree.connect(session, spec.host, 'ADMIN$'));
    // Each remote change is recorded (write-ahead, committed) before it is made.
    created.directories.push(paths.dir);
    record();
    await admin.mkdir(REMOTE_ROOT);
    await admin.mkdir(paths.dir);
    created.files.push(paths.exe, ...paths.sideFiles);
    record();
    let lastPercent = -1;
    const bytes = await admin.writeFile(paths.exe, { path: spec.agentPath }, (done, total) => {
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      if (percent !== lastPercent) {
        lastPercent = percent;
        hooks.state('copying', percent);
      }
    });
    hooks.step('copy', `agent copied to ADMIN$\\${paths.exe} (${bytes} bytes)`);
    checkCancel();

    const grant = deps.grants.issue({
      targetId: spec.targetId,
      runId: spec.runId,
      files: spec.files,
      parameters: spec.parameters,
      runAs: spec.runAs,
      action: spec.action ?? 'install',
      ttlMs: spec.timeouts.agentCallbackMs + spec.timeouts.installMs + 60_000,
    });
    token = grant.token;
    const callbackHosts = spec.callbackHosts.length > 0 ? spec.callbackHosts : [plainAddress(connection.localAddress) ?? '127.0.0.1'];
    const msi = spec.files.find((f) => f.role === 'msi');
    if (!msi) throw new ConsoleError('package', 'The package has no .msi file.', 'Recreate the package from its .msi.');
    await admin.writeFile(
      `${paths.exe}.job`,
      encodeJobFile({
        consoles: callbackHosts.map((host) => ({ host, port: spec.callbackPort })),
        fingerprint: spec.fingerprint,
        token: grant.token,
        runId: spec.runId,
        packageId: spec.packageId,
        size: msi.size,
        sha256: msi.sha256,
      }),
    );
    hooks.step('job', `job file written; the agent calls back to ${callbackHosts.map((h) => `${h}:${spec.callbackPort}`).join(', ')}`);
    checkCancel();

    // 5. Create and start the service.
    hooks.state('starting', null);
    const { scmr, scm } = await openScm(remote, spec.host);
    const name = uniqueServiceName(spec.runId, deps.random);
    const installed = await createService(
      scmr, scm, { name, displayName: 'Push Install Agent', binaryPath: `%SystemRoot%\\${paths.exe}` },
      {
        beforeCreate: (tried) => {
          created.service = tried;
          record();
          crashPoint('before-create-service');
        },
      },
    );
    crashPoint('after-create-service');
    service = installed.service;
    if (installed.skippedNames.length) hooks.step('service', `names taken (marked for delete): ${installed.skippedNames.join(', ')}`);
    hooks.step('service', `service ${installed.name} created (LocalSystem, demand start)`);

    // Subscribe before starting: a quick agent may call back before StartService returns.
    const report = waitForAgent(spec, hooks, deps, scmr, service, () => startAndWait(scmr, service!, installed.name, { startTimeoutMs: spec.timeouts.serviceStartMs, pollIntervalMs: spec.timeouts.pollMs }));
    const outcome = await report;
    // The agent deletes its work folder after reporting, then stops by itself: give it that
    // time before cleanup sends STOP (a STOP would cut its own cleanup short).
    await waitForStop(scmr, service, Math.min(15_000, spec.timeouts.serviceStopMs), spec.timeouts.pollMs, signal);
    exitCode = outcome.exitCode;
    msiLog = outcome.log;
    verdict = verdictForAgentCode(outcome.exitCode, spec.action ?? 'install');
    hooks.step('result', `${verdict.message}${verdict.advice ? ` ${verdict.advice}` : ''}`, verdict.code);
  } catch (error) {
    verdict = verdictOf(error);
    hooks.step('error', `${verdict.message} ${verdict.advice}`.trim(), verdict.code);
  } finally {
    if (token) deps.grants.revoke(token);
  }

  // 6. Cleanup, always.
  let leftovers: Leftovers | null = null;
  if (created.service || created.files.length || created.directories.length) {
    hooks.state('cleaning-up', null);
    leftovers = await cleanup(spec, hooks, remote, service, created);
  }
  closeRemote(remote);
  const finalVerdict: PushVerdict =
    verdict.outcome === 'succeeded' || verdict.outcome === 'succeeded-reboot-required'
      ? leftovers
        ? { ...verdict, code: verdict.code, message: `${verdict.message} Cleanup left ${describeLeftovers(leftovers)} on the computer.`, advice: 'Use "Remove leftovers" on this computer later.' }
        : verdict
      : verdict;
  return { ...finalVerdict, exitCode, msiLog, leftovers };
}

/** The leftovers in words, as the step log and the Leftovers window say them. */
export function describeLeftovers(l: Leftovers): string {
  return leftoverItems(l).join(', ');
}

/** Each thing left, one string each: `service X`, `ADMIN$\\PushInstall\\r…\\PushInstallAgent.exe`, `ADMIN$\\PushInstall\\r…\\`. */
export function leftoverItems(l: Leftovers): string[] {
  return [l.service ? `service ${l.service}` : null, ...l.files.map((f) => `ADMIN$\\${f}`), ...l.directories.map((d) => `ADMIN$\\${d}\\`)].filter((x): x is string => x !== null);
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

interface AgentOutcome {
  exitCode: number;
  log: string | null;
}

/**
 * Starts the service and waits for the agent: its callback within agentCallbackMs, its result
 * within installMs after that. The service's own status is polled too: an agent that ends
 * without reaching the console (unreachable, bad certificate) reports through its exit code.
 */
async function waitForAgent(
  spec: PushTargetSpec,
  hooks: PushTargetHooks,
  deps: PushTargetDeps,
  scmr: ScmrClient,
  service: Handle,
  start: () => Promise<ServiceStatus>,
): Promise<AgentOutcome> {
  let connected = false;
  let result: AgentOutcome | null = null;
  const wake = new AbortController();
  const unsubscribe = deps.hub.subscribe(spec.targetId, (event: AgentEvent) => {
    if (event.kind === 'connected') {
      connected = true;
      hooks.step('agent', `agent connected from ${event.address}`);
      hooks.state('downloading', 0);
    } else if (event.kind === 'progress') {
      connected = true;
      if (event.stage === 'downloading') hooks.state('downloading', event.percent);
      else if (event.stage === 'installing') hooks.state('installing', null);
    } else if (event.kind === 'bytes-served') {
      hooks.step('download', `served ${event.file} (${event.bytes} bytes)`);
    } else if (event.kind === 'result') {
      result = { exitCode: event.exitCode, log: event.log };
      wake.abort();
    }
  });
  const onCancel = () => wake.abort();
  deps.signal.addEventListener('abort', onCancel, { once: true });
  try {
    const started = await start();
    hooks.step('service', started.currentState === ServiceState.RUNNING ? 'service running' : `service stopped at once (exit ${started.win32ExitCode}/${started.serviceSpecificExitCode})`);
    if (!result && !connected) hooks.state('waiting-for-agent', null);
    const startedAt = Date.now();
    let connectedAt: number | null = null;
    let stoppedStatus: ServiceStatus | null = started.currentState === ServiceState.STOPPED ? started : null;
    let stoppedSeenAt: number | null = stoppedStatus ? Date.now() : null;
    for (;;) {
      if (result) return result;
      if (deps.signal.aborted) throw new Cancelled();
      if (connected && connectedAt === null) connectedAt = Date.now();
      const now = Date.now();
      if (stoppedStatus && stoppedSeenAt !== null && now - stoppedSeenAt > 2000) {
        // The agent ended without a result over 2224: its exit code says why.
        const code = stoppedStatus.win32ExitCode === 1066 ? stoppedStatus.serviceSpecificExitCode : stoppedStatus.win32ExitCode === 0 ? 0 : -1;
        if (code === -1) throw new ConsoleError('service-start', `The agent's service stopped with Win32 error ${stoppedStatus.win32ExitCode}.`, 'Check the computer\'s event log (Service Control Manager).', `WIN32 ${stoppedStatus.win32ExitCode}`);
        if (code === 0) throw new ConsoleError('agent-no-callback', 'The agent stopped without reporting to the console.', 'Allow TCP 2224 to the console through the firewalls, then retry.');
        return { exitCode: code, log: null };
      }
      if (!connected && now - startedAt > spec.timeouts.agentCallbackMs) {
        throw new ConsoleError('agent-no-callback', `The agent did not call back within ${Math.round(spec.timeouts.agentCallbackMs / 1000)} s.`, 'A firewall probably blocks TCP 2224 between the computer and the console: allow it, or set the callback address in Configuration.', 'TIMEOUT');
      }
      if (connectedAt !== null && now - connectedAt > spec.timeouts.installMs) {
        throw new ConsoleError('timeout', `The installation did not finish within ${Math.round(spec.timeouts.installMs / 60000)} min.`, 'Raise the install timeout in Configuration, or check the computer for a stuck msiexec.', 'TIMEOUT');
      }
      await sleep(spec.timeouts.pollMs, wake.signal);
      if (result) return result;
      if (deps.signal.aborted) throw new Cancelled();
      if (!stoppedStatus) {
        const status = await scmr.queryServiceStatus(service);
        if (status.currentState === ServiceState.STOPPED) {
          stoppedStatus = status;
          stoppedSeenAt = Date.now();
        }
      }
    }
  } finally {
    unsubscribe();
    deps.signal.removeEventListener('abort', onCancel);
  }
}

/** Stops and deletes the service, reads the agent's log, deletes the files and folders; reconnects once if the connection died. */
async function cleanup(spec: PushTargetSpec, hooks: PushTargetHooks, existing: Remote | null, service: Handle | null, created: Leftovers): Promise<Leftovers | null> {
  const left: Leftovers = { service: created.service, files: [...created.files], directories: [...created.directories] };
  let remote = existing;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      if (!remote || remote.connection.isClosed) {
        closeRemote(remote);
        remote = null;
        remote = await connect(spec);
        service = null;
        hooks.step('cleanup', 'reconnected to clean up');
      }
      if (left.service) {
        const { scmr, scm } = await openScm(remote, spec.host);
        const handle = service ?? (await scmr.openService(scm, left.service));
        if (handle) await stopAndDelete(scmr, handle, left.service, { stopTimeoutMs: spec.timeouts.serviceStopMs, pollIntervalMs: spec.timeouts.pollMs });
        hooks.step('cleanup', handle ? `service ${left.service} stopped and deleted` : `service ${left.service} was not there`);
        left.service = null;
        service = null;
        hooks.remote(left, null);
      }
      if (left.files.length || left.directories.length) {
        remote.admin ??= await SmbTree.connect(remote.session, spec.host, 'ADMIN$');
        const admin = remote.admin;
        const agentLog = left.files.find((f) => f.endsWith('.exe.log'));
        if (agentLog) {
          try {
            const text = (await admin.readFile(agentLog)).toString('utf8');
            hooks.step('agent-log', text.length > 8192 ? `…${text.slice(-8192)}` : text);
          } catch {
            // no agent log: the agent never ran or wrote to the console instead
          }
        }
        for (const file of [...left.files]) {
          try {
            await admin.delete(file);
          } catch (error) {
            if (!isStatus(error, Status.OBJECT_NAME_NOT_FOUND, Status.OBJECT_PATH_NOT_FOUND)) throw error;
          }
          left.files.splice(left.files.indexOf(file), 1);
        }
        for (const dir of [...left.directories]) {
          try {
            await admin.delete(dir, { directory: true });
          } catch (error) {
            if (!isStatus(error, Status.OBJECT_NAME_NOT_FOUND, Status.OBJECT_PATH_NOT_FOUND)) throw error;
          }
          left.directories.splice(left.directories.indexOf(dir), 1);
        }
        // The shared PushInstall folder goes too once no other run uses it.
        await admin.delete(REMOTE_ROOT, { directory: true }).catch(() => undefined);
        hooks.step('cleanup', 'agent files and folder deleted');
        hooks.remote(left, null);
      }
      closeRemote(remote);
      return null;
    } catch (error) {
      const v = verdictOf(error);
      hooks.step('cleanup', `attempt ${attempt + 1}: ${v.message}`, v.code);
      if (remote) remote.connection.close();
      remote = null;
      service = null;
    }
  }
  hooks.step('cleanup', `left on the computer: ${describeLeftovers(left)}; use "Remove leftovers" later`, 'LEFTOVERS');
  return left;
}

/** "Remove leftovers" and crash recovery: cleans what a push may have left, without a push. */
export async function removeLeftovers(spec: Pick<PushTargetSpec, 'host' | 'port' | 'credentials' | 'timeouts' | 'encryptWhenSupported'>, leftovers: Leftovers, hooks: Pick<PushTargetHooks, 'step' | 'remote'>): Promise<Leftovers | null> {
  const full = spec as PushTargetSpec;
  return cleanup(full, { ...hooks, state: () => undefined }, null, null, leftovers);
}

