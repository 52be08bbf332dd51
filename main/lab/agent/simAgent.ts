// The simulated agent a lab host runs when its svcctl server starts the agent's service: it does
// what the native agent does (agent/README.md) — reads and validates its job file next to the
// exe, calls the console back over HTTPS from the host's own address with the certificate pinned,
// fetches its job (and the install credential when it installs as the administrator), downloads
// every file hashing as it streams (throttled on a slow link, bytes discarded), checks size and
// SHA-256, "runs msiexec" for the host's install time, reports the exit code with an MSI verbose
// log, deletes its job file and stops with the result as the service's exit code — and behaves
// per the host's profile. Nothing runs for a host until its service starts: no idle timers.
// A 429 or 503 from the console is waited out and the request sent again, within the native
// agent's bounds (AGENT_BUSY_RETRY in main/server/agentProtocol.ts).
import crypto from 'node:crypto';
import { AGENT_BUSY_RETRY, MSIEXEC_SWITCH, PUSH_ACTIONS, retryAfterSeconds, type PushAction } from '../../server/agentProtocol.js';
import { JobFileError, parseJobFile, type AgentJob } from '../../server/jobFile.js';
import { adminSharePathOf, labPathKey, type LabHostState, type LabService } from '../hostState.js';
import { reportServiceStopped } from '../rpc/scm.js';
import { CertificatePinError, ConsoleClient, ConsoleStatusError, readSmall, type BusyBackoff, type ConsoleClientOptions } from './consoleClient.js';
import { agentCodeFor, msiVerboseLog, msiexecCodeFor } from './msiLog.js';

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
  /** msiexec's non-zero code N is reported as MSI_BASE + N (msiLog.ts agentCodeFor). */
  MSI_BASE: 100000,
} as const;

/** The native agent's work folder for a run (agent/src/files.c, workdir_create): where the MSI and
 * cfg.xml are downloaded, and what `%PUSHINSTALL_DIR%` in the parameters stands for. */
export const simWorkDir = (runId: string): string => `C:\\Windows\\Temp\\PushInstall-${runId}`;

/** Every `%PUSHINSTALL_DIR%` (ASCII case-insensitive) in the msiexec parameters → the work folder,
 * as the native agent does before it builds msiexec's command line (agent/README.md, "The msiexec
 * parameters"); the console writes `PROP="%PUSHINSTALL_DIR%\\cfg.xml"` (main/app/packageService.ts). */
export function expandWorkDir(parameters: string, workDir: string): { parameters: string; count: number } {
  let count = 0;
  const expanded = parameters.replace(/%pushinstall_dir%/gi, () => {
    count++;
    return workDir;
  });
  return { parameters: expanded, count };
}

/** The native agent's bound on the parameters, before and after the expansion (work.c MAX_PARAMETERS). */
const MAX_PARAMETERS = 8192;

/** Failures after the token was accepted, reported over 2224 as well as on the service. */
const REPORTED_FAILURES = new Set<number>([AgentExit.INTEGRITY, AgentExit.DOWNLOAD, AgentExit.MSIEXEC_LAUNCH]);

export interface SimAgentOptions {
  /** Extra TLS options for the callback (ciphers, versions…); the pin and the source address are the agent's. */
  readonly tls?: ConsoleClientOptions['tls'];
  /** Lines of the agent's log, as they are written (the lab's own log). */
  readonly log?: (line: string) => void;
  /** Rounds over every console address and the stoppable pause between them. The real agent: 3 rounds, 1 s then 2 s; the lab: 2 rounds, 200 ms. */
  readonly retry?: { readonly rounds: number; readonly backoffMs: number };
  readonly connectTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  /** slow-link without LabHostConfig.bandwidthBytesPerSec. */
  readonly defaultSlowLinkBytesPerSec?: number;
  /** The 429/503 back-off bounds; default AGENT_BUSY_RETRY's (5 retries per request, 300 s per run). */
  readonly busyRetry?: { readonly retriesPerRequest?: number; readonly budgetSeconds?: number };
  readonly now?: () => Date;
}

export interface SimAgentHandle {
  /** SERVICE_CONTROL_STOP: abort whatever is in flight; `done` then resolves 14 unless the work had ended. */
  stop(): void;
  /** The agent's exit code, once it has stopped. */
  readonly done: Promise<number>;
}

class AgentStop extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

interface JobListing {
  runId: string;
  parameters: string;
  runAs: 'admin' | 'system';
  action: PushAction;
  files: { name: string; size: number; sha256: string; role: string }[];
}

function parseListing(value: unknown): JobListing {
  const v = value as Partial<JobListing> | null;
  const files = Array.isArray(v?.files) ? v.files : null;
  if (
    !v || typeof v.runId !== 'string' || typeof v.parameters !== 'string' || (v.runAs !== 'admin' && v.runAs !== 'system') || !files ||
    !files.every((f) => f && typeof f.name === 'string' && Number.isSafeInteger(f.size) && f.size >= 0 && typeof f.sha256 === 'string' && typeof f.role === 'string')
  ) {
    throw new AgentStop(AgentExit.DOWNLOAD, 'the console\'s job answer is malformed');
  }
  // action: absent or null = install (a console from before the action); anything else → 16, as the native agent.
  const action = (v as { action?: unknown }).action ?? 'install';
  if (!(PUSH_ACTIONS as readonly unknown[]).includes(action)) throw new AgentStop(AgentExit.DOWNLOAD, 'the console\'s job is not understood: action must be "install", "uninstall" or "repair"');
  return { runId: v.runId, parameters: v.parameters, runAs: v.runAs, action: action as PushAction, files };
}

/** Resolves after `ms`, or rejects with AgentStop(14) when the signal fires. One timer, only while waiting. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
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
const untilStopped = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    const stop = () => reject(new AgentStop(AgentExit.STOPPED, 'stopped by the Service Control Manager'));
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });

const isNetworkError = (e: unknown) => e instanceof Error && !(e instanceof CertificatePinError) && !(e instanceof ConsoleStatusError) && !(e instanceof AgentStop);

export function runSimulatedAgent(state: LabHostState, service: LabService, options: SimAgentOptions = {}): SimAgentHandle {
  const controller = new AbortController();
  const signal = controller.signal;
  const now = options.now ?? (() => new Date());
  const exe = adminSharePathOf(service.binaryPath);
  const lines: string[] = [];
  const log = (line: string) => {
    const stamped = `${now().toISOString()} ${line}`;
    lines.push(stamped);
    options.log?.(`${state.config.name}: ${line}`);
  };
  const writeAgentFile = (suffix: string, text: string) => {
    if (!exe) return;
    const key = labPathKey(`${exe}${suffix}`);
    state.files.set(key, Buffer.from(text, 'utf8'));
    state.names.set(key, `${state.names.get(exe) ?? exe}${suffix}`);
  };
  const removeAgentFile = (suffix: string) => {
    if (!exe) return;
    const key = labPathKey(`${exe}${suffix}`);
    state.files.delete(key);
    state.names.delete(key);
  };

  state.agentsRunning++;
  state.counters.agentRuns++;
  state.changed();
  service.stop = () => controller.abort();
  log(`service ${service.name} running (${service.binaryPath})`);

  // HTTP 429/503: waited out and sent again by each client (ConsoleClient.send), within one budget per run.
  const busy: BusyBackoff = { ...AGENT_BUSY_RETRY, ...options.busyRetry, spentMs: 0, wait: (ms) => sleep(ms, signal), log };

  let jobRead = false;
  const work = async (): Promise<number> => {
    // 1. The job file next to the exe (`<exe>.job`), by the native agent's rules.
    const jobData = exe ? state.files.get(labPathKey(`${exe}.job`)) : undefined;
    if (!jobData) throw new AgentStop(AgentExit.BAD_JOB, `no job file at ${exe ?? service.binaryPath}.job`);
    jobRead = true;
    let job: AgentJob;
    try {
      job = parseJobFile(jobData);
    } catch (error) {
      if (error instanceof JobFileError) throw new AgentStop(AgentExit.BAD_JOB, `bad job file: ${error.message}`);
      throw error;
    }
    log(`job valid: run ${job.runId}, package ${job.packageId} (${job.size} bytes), ${job.consoles.length} console address(es)`);
    // 2. A second start of a run that already finished here installs nothing (the .done marker).
    const done = exe ? state.files.get(labPathKey(`${exe}.done`))?.toString('utf8') : undefined;
    if (done && new RegExp(`^run=${job.runId}$`, 'm').test(done)) throw new AgentStop(AgentExit.ALREADY_RAN, `run ${job.runId} already finished on this computer`);
    // 3. A firewall drops the callback: the agent waits on its connect until the SCM stops it.
    if (state.config.profile === 'agent-no-callback') {
      log(`connecting to ${job.consoles.map((c) => `${c.host}:${c.port}`).join(', ')}…`);
      return untilStopped(signal);
    }
    return callBack(job);
  };

  const callBack = async (job: AgentJob): Promise<number> => {
    const retry = options.retry ?? { rounds: 2, backoffMs: 200 };
    const clients = job.consoles.map(
      (c) =>
        new ConsoleClient({
          host: c.host,
          port: c.port,
          fingerprint: job.fingerprint,
          localAddress: state.config.address,
          token: job.token,
          connectTimeoutMs: options.connectTimeoutMs ?? 2000,
          idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
          tls: options.tls,
          signal,
          busy,
        }),
    );
    try {
      // 4. The first request carries the token; the pin is checked before it is sent.
      let found: { client: ConsoleClient; listing: JobListing } | null = null;
      for (let round = 0; round < retry.rounds && !found; round++) {
        if (round > 0) await sleep(retry.backoffMs * 2 ** (round - 1), signal);
        for (const client of clients) {
          try {
            found = { client, listing: parseListing(await client.getJson('/v1/job')) };
            break;
          } catch (error) {
            if (signal.aborted) throw new AgentStop(AgentExit.STOPPED, 'stopped while connecting');
            if (error instanceof CertificatePinError) throw new AgentStop(AgentExit.FINGERPRINT, `${client.address}: ${error.message}`);
            if (error instanceof ConsoleStatusError && (error.status === 401 || error.status === 403)) throw new AgentStop(AgentExit.TOKEN_REFUSED, `${client.address} refused the token (HTTP ${error.status})`);
            if (error instanceof ConsoleStatusError || error instanceof AgentStop) throw new AgentStop(AgentExit.DOWNLOAD, `${client.address}: ${error.message}`);
            log(`${client.address}: ${(error as Error).message}`);
          }
        }
      }
      if (!found) throw new AgentStop(AgentExit.UNREACHABLE, `no console answered after ${retry.rounds} rounds`);
      try {
        return await transfer(job, found.client, found.listing);
      } catch (error) {
        // A failure after the console accepted the token is reported to it too (integrity, say), not only on the service.
        if (error instanceof AgentStop && !signal.aborted && REPORTED_FAILURES.has(error.code)) {
          log(error.message);
          await found.client.postJson('/v1/result', { exitCode: error.code, log: `${lines.join('\r\n')}\r\n` }).catch(() => undefined);
          throw new AgentStop(error.code, 'result reported to the console');
        }
        throw error;
      }
    } finally {
      for (const client of clients) client.close();
    }
  };

  const transfer = async (job: AgentJob, client: ConsoleClient, listing: JobListing): Promise<number> => {
    log(`connected to ${client.address} from ${state.config.address}; certificate pinned`);
    let progressChain: Promise<void> = Promise.resolve();
    // Stage posts wait out a 429/503 like every request; the download's percent posts (once) do not:
    // after a 429/503 they stay quiet for its Retry-After (the next one supersedes a lost one).
    let quietUntil = 0;
    const post = async (stage: string, percent: number | null, once: boolean): Promise<void> => {
      if (!once) return client.postJson('/v1/progress', { stage, percent });
      if (Date.now() < quietUntil) return;
      const res = await client.request('POST', '/v1/progress', { body: Buffer.from(JSON.stringify({ stage, percent })) });
      const status = res.statusCode ?? 0;
      if (!busy.statuses.includes(status)) {
        await readSmall(res, '/v1/progress');
        return;
      }
      res.resume();
      const seconds = retryAfterSeconds(res.headers['retry-after']);
      quietUntil = Date.now() + seconds * 1000;
      log(`progress '${stage}' ${percent ?? ''}% refused (HTTP ${status}): no progress posts for ${seconds} s (Retry-After); the download goes on`);
    };
    const progress = (stage: string, percent: number | null, once = false) => {
      progressChain = progressChain.then(() => post(stage, percent, once).catch(() => undefined));
    };
    const refused = (error: unknown, what: string): never => {
      if (signal.aborted) throw new AgentStop(AgentExit.STOPPED, `stopped during ${what}`);
      if (error instanceof ConsoleStatusError && (error.status === 401 || error.status === 403)) throw new AgentStop(AgentExit.TOKEN_REFUSED, `${what}: token refused (HTTP ${error.status})`);
      if (error instanceof AgentStop) throw error;
      throw new AgentStop(AgentExit.DOWNLOAD, `${what}: ${(error as Error).message}`);
    };
    progress('connected', null);

    // 5. The install credential, fetched over the pinned channel, used, forgotten.
    let runAsUser = 'SYSTEM';
    if (listing.runAs === 'admin') {
      try {
        const credential = (await client.getJson('/v1/credential')) as { user?: unknown; domain?: unknown };
        if (typeof credential?.user !== 'string') throw new Error('no user in the credential');
        runAsUser = typeof credential.domain === 'string' && credential.domain ? `${credential.domain}\\${credential.user}` : credential.user;
      } catch (error) {
        if (error instanceof ConsoleStatusError && error.status !== 401 && error.status !== 403) throw new AgentStop(AgentExit.MSIEXEC_LAUNCH, `no install credential: ${error.message}`);
        refused(error, 'credential');
      }
    }

    // The work folder the files go to; %PUSHINSTALL_DIR% in the parameters becomes it (before any
    // download, as the native agent: parameters too long once expanded → 16, nothing downloaded).
    const workDir = simWorkDir(job.runId);
    const expanded = expandWorkDir(listing.parameters, workDir);
    if (expanded.count > 0) {
      if (expanded.parameters.length >= MAX_PARAMETERS || Buffer.byteLength(expanded.parameters) >= MAX_PARAMETERS) {
        throw new AgentStop(AgentExit.DOWNLOAD, 'the console\'s job is not understood: parameters: longer than 8 KiB once %PUSHINSTALL_DIR% is expanded to the work folder');
      }
      log(`msiexec parameters with %PUSHINSTALL_DIR% expanded (${expanded.count} occurrence${expanded.count === 1 ? '' : 's'}): ${expanded.parameters}`);
    }
    const parameters = expanded.parameters;

    // 6. Every file, hashed while it streams; the MSI must match the job file, the rest the listing.
    const msi = listing.files.find((f) => f.role === 'msi');
    if (!msi) throw new AgentStop(AgentExit.DOWNLOAD, 'the console\'s job lists no MSI');
    const total = listing.files.reduce((n, f) => n + f.size, 0);
    let before = 0;
    let reported = -1;
    progress('downloading', 0);
    for (const file of listing.files) {
      let received: { size: number; sha256: string };
      try {
        received = await download(client, file.name, (bytes) => {
          const percent = total > 0 ? Math.floor(((before + bytes) * 100) / total / 10) * 10 : 100;
          if (percent > reported) {
            reported = percent;
            progress('downloading', percent, percent < 100);
          }
        });
      } catch (error) {
        refused(error, `download of ${file.name}`);
        throw error;
      }
      before += file.size;
      const expected = file === msi ? { size: job.size, sha256: job.sha256 } : { size: file.size, sha256: file.sha256.toLowerCase() };
      if (received.size !== expected.size || received.sha256 !== expected.sha256) {
        throw new AgentStop(AgentExit.INTEGRITY, `${file.name}: ${received.size} bytes, SHA-256 ${received.sha256}; expected ${expected.size} bytes, ${expected.sha256}. Nothing installed.`);
      }
      log(`downloaded ${file.name}: ${received.size} bytes, SHA-256 verified`);
    }

    // 7. msiexec /i|/x|/fvomus <msi> /qn /norestart /l*v <log> <parameters>, for the host's install time.
    progress('installing', null);
    const startedAt = now();
    const action = listing.action;
    log(`msiexec ${MSIEXEC_SWITCH[action]} "${workDir}\\${msi.name}" /qn /norestart /l*v "${workDir}\\PushInstall-msi.log" ${parameters} (as ${runAsUser})`.trimEnd());
    await sleep(state.config.installTimeMs, signal);
    const msiexecCode = msiexecCodeFor(state.config.profile, action, state.productInstalled(job.packageId));
    const agentCode = agentCodeFor(msiexecCode);
    // What the host holds afterwards: an install or repair that succeeded leaves the product, an uninstall removes it.
    if (msiexecCode === 0 || msiexecCode === 3010 || msiexecCode === 1641) state.products.set(job.packageId, action !== 'uninstall');
    writeAgentFile('.done', `run=${job.runId}\r\nexit=${agentCode}\r\n`);
    log(`msiexec exited with ${msiexecCode}${msiexecCode === 1605 ? ' (the product is not installed)' : ''} [${action}]`);
    const msiLog = msiVerboseLog({
      computerName: state.config.name,
      productName: job.packageId,
      msiPath: `${workDir}\\${msi.name}`,
      parameters,
      code: msiexecCode,
      startedAt,
      durationMs: Math.max(state.config.installTimeMs, 1),
      runAsUser,
      action,
    });

    // 8. The result and the log; a few tries, then the result stands anyway (it is on the service).
    await progressChain;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await client.postJson('/v1/result', { exitCode: agentCode, log: msiLog });
        log(`result ${agentCode} reported with ${msiLog.length} characters of MSI log`);
        break;
      } catch (error) {
        if (signal.aborted) break;
        log(`reporting the result failed: ${(error as Error).message}`);
        if (error instanceof ConsoleStatusError) break;
      }
    }
    return agentCode;
  };

  const download = async (client: ConsoleClient, name: string, onBytes: (bytes: number) => void): Promise<{ size: number; sha256: string }> => {
    const hash = crypto.createHash('sha256');
    const rate = state.config.profile === 'slow-link' ? (state.config.bandwidthBytesPerSec ?? options.defaultSlowLinkBytesPerSec ?? 256 * 1024) : state.config.bandwidthBytesPerSec;
    const started = Date.now();
    let size = 0;
    // An interrupted download resumes where it stopped (HTTP Range), twice at most.
    for (let attempt = 0; ; attempt++) {
      const res = await client.send('GET', `/v1/files/${encodeURIComponent(name)}`, size > 0 ? { headers: { range: `bytes=${size}-` } } : {});
      const status = res.statusCode ?? 0;
      if (status !== 200 && status !== 206) {
        res.resume();
        throw new ConsoleStatusError(status, `GET /v1/files/${name}`);
      }
      if (size > 0 && status !== 206) throw new ConsoleStatusError(status, `GET /v1/files/${name} ignored the range`);
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) {
          hash.update(chunk);
          size += chunk.length;
          onBytes(size);
          if (rate) {
            const ahead = (size * 1000) / rate - (Date.now() - started);
            if (ahead > 1) await sleep(ahead, signal);
          }
        }
        return { size, sha256: hash.digest('hex') };
      } catch (error) {
        if (signal.aborted || error instanceof AgentStop || attempt >= 2 || !isNetworkError(error)) throw error;
        log(`download of ${name} interrupted after ${size} bytes (${(error as Error).message}); resuming`);
      }
    }
  };

  const finished = work()
    .catch((error: unknown) => {
      if (signal.aborted && !(error instanceof AgentStop && error.code !== AgentExit.STOPPED)) {
        log('stopped by the Service Control Manager before the work finished');
        return AgentExit.STOPPED;
      }
      if (error instanceof AgentStop) {
        log(error.message);
        return error.code;
      }
      log(`internal failure: ${error instanceof Error ? error.message : String(error)}`);
      return AgentExit.INTERNAL;
    })
    .then((code) => {
      if (jobRead) removeAgentFile('.job'); // it held a one-time token
      log(`stopped with exit code ${code}`);
      writeAgentFile('.log', `${lines.join('\r\n')}\r\n`);
      state.agentsRunning--;
      reportServiceStopped(state, service, code);
      return code;
    });

  return { stop: () => controller.abort(), done: finished };
}
