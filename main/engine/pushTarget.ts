// One push to one computer (docs/ARCHITECTURE.md §3): probe TCP 445, negotiate, log on, copy the
// agent and its job file to ADMIN$\PushInstall\<run>\, create and start the agent's service, wait
// for the agent's report through the package server, then — always — stop and delete the service
// and the files. Every step goes to the target's step log; every failure ends as a verdict with a
// class, a raw code and advice. What cleanup could not remove is reported as leftovers.
import { ConsoleError } from '../ipc/errors.js';
import type { TargetState } from '../ipc/contract.js';
import { dialectName } from '../smb/hostInfo.js';
import type { AuthMechanism, AuthPolicy, SmbCredentials } from '../smb/session.js';
import { SmbTree } from '../smb/tree.js';
import type { Handle, ScmrClient } from '../rpc/scmr.js';
import { createService, uniqueServiceName } from '../rpc/serviceLifecycle.js';
import type { GrantStore, PackageFile } from '../server/grants.js';
import { encodeJobFile } from '../server/jobFile.js';
import type { AgentTransport, PushAction, RestartPolicy, RestartReport } from '../server/agentProtocol.js';
import type { AgentHub } from './agentHub.js';
import { verdictForAgentCode, withRestart, type PushVerdict } from './results.js';
import { probeIsFresh, probeSmbPort, type ProbeOutcome } from './probeAhead.js';
import { crashPoint } from './crashPoint.js';
import { cleanup, describeLeftovers, makeRunFolder, remotePaths, type CleanupHooks, type Leftovers } from './cleanup.js';
import { runAgent, type CarriedBy, type SmbChannel } from './agentWait.js';
import type { PackageCopies } from './packageCopies.js';
import { copyPackage, readAgentFiles, writeManifest } from './smbTransport.js';
import { Cancelled, closeRemote, connect, openScm, verdictOf, type Remote } from './remoteHost.js';

export interface PushTimeouts {
  readonly connectMs: number;
  readonly agentCallbackMs: number;
  readonly installMs: number;
  readonly pollMs: number;
  readonly serviceStartMs: number;
  readonly serviceStopMs: number;
  /** One SMB request's answer (an interim STATUS_PENDING gives a service call serviceCallMs). */
  readonly requestMs: number;
  /** auto transport: switch to SMB when no agent has called back this long after its service runs. */
  readonly autoFallbackMs: number;
}

export interface PushTargetSpec {
  readonly targetId: number;
  readonly host: string;
  /** The computer's name as listed (Kerberos' `cifs/<name>`; an address logs on with NTLM). */
  readonly logonName?: string;
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
  /** How the agent gets the package and gives its result (smbTransport.ts); default callback. */
  readonly transport?: AgentTransport;
  /** The task's restart policy for the agent (after a 3010, or the action restart); absent = none. */
  readonly restart?: RestartPolicy;
  /** host names/addresses the agent calls back to; empty = the console's address on the SMB connection. */
  readonly callbackHosts: readonly string[];
  readonly callbackPort: number;
  readonly fingerprint: string;
  readonly timeouts: PushTimeouts;
  readonly encryptWhenSupported: boolean;
  /** Which logon mechanisms may be used (Configuration → Authentication); default negotiate. */
  readonly auth?: AuthPolicy;
  /** The TCP probe the engine ran while the target waited in the queue (probeAhead.ts). */
  readonly probedAhead?: Promise<ProbeOutcome> | null;
}

export interface PushTargetHooks extends CleanupHooks {
  state(state: TargetState, progress: number | null): void;
  /** remote, resolved once the record is on disk (the engine commits it with other pushes' records); default remote. */
  recordAhead?(leftovers: Leftovers, serviceName: string | null): Promise<void>;
}

export interface PushTargetDeps {
  readonly grants: GrantStore;
  readonly hub: AgentHub;
  readonly signal: AbortSignal;
  readonly random?: (n: number) => Buffer;
  /** The SMB transport's copy gate and shared reads (one per console). */
  readonly copies: PackageCopies;
}

export interface PushTargetResult extends PushVerdict {
  readonly exitCode: number | null;
  readonly msiLog: string | null;
  readonly leftovers: Leftovers | null;
  /** Which transport carried the package and the result; null when the push ended before its agent ran. */
  readonly transport: CarriedBy | null;
  /** Which mechanism logged on (kerberos, ntlm); null when the push ended before its logon. */
  readonly authMechanism: AuthMechanism | null;
  /** What the agent did about a restart; null when it said nothing. */
  readonly restart: RestartReport | null;
  /**
   * A scheduled restart: the agent still runs (until Windows goes down), so nothing was cleaned up;
   * the session with its service open is handed to the restart follower (restartFollower.ts).
   */
  readonly pendingRestart: { readonly remote: Remote; readonly service: Handle; readonly serviceName: string } | null;
}

function plainAddress(address: string | null): string | null {
  if (!address) return null;
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** What a push has made on the computer so far, and the handles it holds; cleanup starts from it. */
interface RunState {
  readonly created: Leftovers;
  remote: Remote | null;
  service: Handle | null;
  token: string | null;
}

export async function pushTarget(spec: PushTargetSpec, hooks: PushTargetHooks, deps: PushTargetDeps): Promise<PushTargetResult> {
  const run: RunState = { created: { service: null, files: [], directories: [] }, remote: null, service: null, token: null };
  // Write-ahead: the engine commits this record before the remote change it announces is made,
  // awaited, in one commit with the records other pushes ask for at the same moment (the journal's
  // group commit); `record` (unawaited, committed at once) is for hooks without recordAhead.
  const record = () => hooks.remote(run.created, run.created.service);
  const recordAhead = (): Promise<void> => (hooks.recordAhead ? hooks.recordAhead(run.created, run.created.service) : Promise.resolve(record()));
  const checkCancel = () => {
    if (deps.signal.aborted) throw new Cancelled();
  };
  let verdict: PushVerdict;
  let exitCode: number | null = null;
  let msiLog: string | null = null;
  let transport: CarriedBy | null = null;
  let restart: RestartReport | null = null;
  let agentStopped = false;
  try {
    await probe(spec, hooks);
    checkCancel();
    run.remote = await logOn(spec, hooks);
    checkCancel();
    // The SCM is opened (IPC$, \\pipe\\svcctl, bind, OpenSCManagerW: nothing changes on the
    // computer) while the agent is copied; its service is created only once the copy succeeded.
    const remote = run.remote;
    const [copied] = await settleBoth(
      (async () => {
        const tree = await copyAgent(spec, hooks, run, recordAhead);
        checkCancel();
        const smb = smbChannel(spec, hooks, deps, run, tree, recordAhead);
        if (spec.transport === 'smb') await smb!.deliver();
        checkCancel();
        run.token = await writeJob(spec, hooks, deps, remote, tree);
        return { tree, smb };
      })(),
      openScm(remote, spec.host),
    );
    checkCancel();
    const { smb } = copied;
    const { scmr, name } = await createAgentService(spec, hooks, deps, run, recordAhead);
    const outcome = await runAgent(spec, hooks, deps, scmr, run.service!, name, smb);
    exitCode = outcome.exitCode;
    msiLog = outcome.log;
    transport = outcome.transport;
    restart = outcome.restart ?? null;
    agentStopped = outcome.stopped;
    verdict = withRestart(verdictForAgentCode(outcome.exitCode, spec.action ?? 'install', outcome.transport), restart);
    hooks.step('result', `${verdict.message}${verdict.advice ? ` ${verdict.advice}` : ''}`, verdict.code);
  } catch (error) {
    verdict = verdictOf(error);
    hooks.step('error', `${verdict.message} ${verdict.advice}`.trim(), verdict.code);
  } finally {
    if (run.token) deps.grants.revoke(run.token);
  }

  // A restart the agent scheduled: it still runs; cleanup comes once the computer is back (restartFollower.ts).
  if (restart?.state === 'scheduled' && run.remote && run.service && run.created.service) {
    hooks.step('cleanup', 'the agent waits for the restart: its service and files are removed once the computer is back');
    return { ...verdict, exitCode, msiLog, leftovers: run.created, transport, authMechanism: run.remote.session.mechanism, restart, pendingRestart: { remote: run.remote, service: run.service, serviceName: run.created.service } };
  }
  // Cleanup, always.
  let leftovers: Leftovers | null = null;
  const { created } = run;
  if (created.service || created.files.length || created.directories.length) {
    hooks.state('cleaning-up', null);
    leftovers = await cleanup(spec, hooks, run.remote, run.service, created, agentStopped);
  }
  closeRemote(run.remote);
  const succeeded = verdict.outcome === 'succeeded' || verdict.outcome === 'succeeded-reboot-required';
  const finalVerdict: PushVerdict =
    succeeded && leftovers
      ? { ...verdict, message: `${verdict.message} Cleanup left ${describeLeftovers(leftovers)} on the computer.`, advice: 'Use "Remove leftovers" on this computer later.' }
      : verdict;
  return { ...finalVerdict, exitCode, msiLog, leftovers, transport, authMechanism: run.remote?.session.mechanism ?? null, restart, pendingRestart: null };
}

/** Both results once both have settled (so cleanup starts from everything either made); the first failure otherwise. */
async function settleBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

/** The SMB side of the push (smb and auto): the package handed over through ADMIN$, the agent's files read back. */
function smbChannel(spec: PushTargetSpec, hooks: PushTargetHooks, deps: PushTargetDeps, run: RunState, admin: SmbTree, record: () => Promise<void>): SmbChannel | null {
  const transport = spec.transport ?? 'callback';
  if (transport === 'callback') return null;
  return {
    transport,
    fallbackMs: spec.timeouts.autoFallbackMs,
    read: () => readAgentFiles(admin, spec.runId),
    deliver: async () => {
      // A cancel ends the copies in flight at once (a slow link may hold megabytes of WRITEs): the
      // connection is reset, so the computer drops its side too, and cleanup reconnects to remove what was copied.
      const onCancel = () => run.remote?.connection.abort();
      deps.signal.addEventListener('abort', onCancel, { once: true });
      try {
        if (spec.action !== 'restart') await copyPackage(spec, hooks, admin, run.created, record, deps.copies, deps.signal);
        await writeManifest(spec, admin, run.created, record);
      } catch (error) {
        throw deps.signal.aborted ? new Cancelled() : error;
      } finally {
        deps.signal.removeEventListener('abort', onCancel);
      }
    },
    // The agent deletes its job file when it ends: the one started again needs one, now for the smb transport.
    rewriteJob: () => writeSmbJob(spec, admin),
  };
}

/** A bare TCP connect to the SMB port, classified at once (refused, unresolved) or at the bound (silent); a fresh probe from the queue counts. */
async function probe(spec: PushTargetSpec, hooks: PushTargetHooks): Promise<void> {
  hooks.state('probing', null);
  const ahead = spec.probedAhead ? await spec.probedAhead : null;
  if (ahead && probeIsFresh(ahead)) {
    if (!ahead.ok) throw ahead.error;
    hooks.step('probe', `TCP ${spec.port} answered in ${ahead.ms} ms (probed while queued)`);
    return;
  }
  const t0 = Date.now();
  await probeSmbPort(spec.host, spec.port, spec.timeouts.connectMs);
  hooks.step('probe', `TCP ${spec.port} answered in ${Date.now() - t0} ms`);
}

/** Negotiate and log on: Kerberos or NTLMv2 as the task's authentication policy allows (session.ts). */
async function logOn(spec: PushTargetSpec, hooks: PushTargetHooks): Promise<Remote> {
  hooks.state('connecting', null);
  hooks.state('authenticating', null);
  const remote = await connect(spec);
  const { connection, session } = remote;
  if (session.fallback) hooks.step('logon', `Kerberos not used, NTLM instead: ${session.fallback}`);
  hooks.step('logon', `SMB ${dialectName(connection.dialect)} as ${spec.credentials.user} with ${session.mechanism === 'kerberos' ? 'Kerberos' : 'NTLMv2'}; signing ${connection.serverRequiresSigning ? 'required' : 'enabled'} (${connection.signingAlgorithm})${session.encrypted ? ', session encrypted' : ''}`);
  return remote;
}

/** ADMIN$\PushInstall\<run>\ and the agent in it; each change recorded before it is made. */
async function copyAgent(spec: PushTargetSpec, hooks: PushTargetHooks, run: RunState, record: () => Promise<void>): Promise<SmbTree> {
  const paths = remotePaths(spec.runId);
  hooks.state('copying', 0);
  const remote = run.remote!;
  const admin = (remote.admin = await SmbTree.connect(remote.session, spec.host, 'ADMIN$'));
  // One record names the folder and every file the run may put in it, before the folder is made:
  // a cleanup finds what is not there yet gone, and a push waits for one commit instead of two.
  run.created.directories.push(paths.dir);
  run.created.files.push(paths.exe, ...paths.sideFiles);
  await record();
  await makeRunFolder(admin, paths.dir);
  let lastPercent = -1;
  const bytes = await admin.writeFile(paths.exe, { path: spec.agentPath }, (done, total) => {
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (percent !== lastPercent) {
      lastPercent = percent;
      hooks.state('copying', percent);
    }
  });
  hooks.step('copy', `agent copied to ADMIN$\\${paths.exe} (${bytes} bytes)`);
  return admin;
}

/** The job file beside the agent; for callback and auto also the one-time grant (returns its token), for smb none. */
async function writeJob(spec: PushTargetSpec, hooks: PushTargetHooks, deps: PushTargetDeps, remote: Remote, admin: SmbTree): Promise<string | null> {
  const msi = spec.files.find((f) => f.role === 'msi');
  if (!msi) throw new ConsoleError('package', 'The package has no .msi file.', 'Recreate the package from its .msi.');
  const jobPath = `${remotePaths(spec.runId).exe}.job`;
  const transport = spec.transport ?? 'callback';
  const what = { runId: spec.runId, packageId: spec.packageId, size: msi.size, sha256: msi.sha256 };
  if (transport === 'smb') {
    await writeSmbJob(spec, admin);
    hooks.step('job', 'job file written; the agent installs from the package beside it (SMB transport, no callback)');
    return null;
  }
  const grant = deps.grants.issue({
    targetId: spec.targetId,
    runId: spec.runId,
    files: spec.files,
    parameters: spec.parameters,
    runAs: spec.runAs,
    action: spec.action ?? 'install',
    ...(spec.restart ? { restart: spec.restart } : {}),
    ttlMs: spec.timeouts.agentCallbackMs + spec.timeouts.installMs + 60_000,
  });
  const callbackHosts = spec.callbackHosts.length > 0 ? spec.callbackHosts : [plainAddress(remote.connection.localAddress) ?? '127.0.0.1'];
  // auto: once no console answers, the agent waits for its package over SMB as long as the console would wait for its callback.
  const auto = transport === 'auto' ? { transport, waitSeconds: Math.max(1, Math.ceil(spec.timeouts.agentCallbackMs / 1000)) } : {};
  try {
    await admin.writeFile(jobPath, encodeJobFile({ ...auto, consoles: callbackHosts.map((host) => ({ host, port: spec.callbackPort })), fingerprint: spec.fingerprint, token: grant.token, ...what }));
  } catch (error) {
    deps.grants.revoke(grant.token);
    throw error;
  }
  hooks.step('job', `job file written; the agent calls back to ${callbackHosts.map((h) => `${h}:${spec.callbackPort}`).join(', ')}${transport === 'auto' ? ` (auto: over SMB if it cannot within ${Math.round(spec.timeouts.autoFallbackMs / 1000)} s)` : ''}`);
  return grant.token;
}

/** The smb transport's job file: the run and the MSI it must find beside it; no console, token or fingerprint. */
async function writeSmbJob(spec: PushTargetSpec, admin: SmbTree): Promise<void> {
  const msi = spec.files.find((f) => f.role === 'msi')!;
  const job = { transport: 'smb' as const, consoles: [], fingerprint: '', token: '', runId: spec.runId, packageId: spec.packageId, size: msi.size, sha256: msi.sha256 };
  await admin.writeFile(`${remotePaths(spec.runId).exe}.job`, encodeJobFile(job));
}

/** The agent's service (LocalSystem, demand start); its name is recorded before each RCreateServiceW. */
async function createAgentService(spec: PushTargetSpec, hooks: PushTargetHooks, deps: PushTargetDeps, run: RunState, record: () => Promise<void>): Promise<{ scmr: ScmrClient; name: string }> {
  hooks.state('starting', null);
  const { scmr, scm } = await openScm(run.remote!, spec.host);
  const installed = await createService(
    scmr, scm, { name: uniqueServiceName(spec.runId, deps.random), displayName: 'Push Install Agent', binaryPath: `%SystemRoot%\\${remotePaths(spec.runId).exe}` },
    {
      beforeCreate: async (tried) => {
        run.created.service = tried;
        await record();
        crashPoint('before-create-service');
      },
    },
  );
  crashPoint('after-create-service');
  run.service = installed.service;
  if (installed.skippedNames.length) hooks.step('service', `names taken (marked for delete): ${installed.skippedNames.join(', ')}`);
  hooks.step('service', `service ${installed.name} created (LocalSystem, demand start)`);
  return { scmr, name: installed.name };
}
