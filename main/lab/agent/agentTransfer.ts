// The agent's work once a console accepted its token: progress posts, the install credential,
// the downloads, "msiexec" for the host's install time (its exit code per the host's profile, the
// product state updated, the .done marker written) and the result reported with an MSI verbose log
// and what the agent does about a restart (agentRestart.ts); the action `restart` skips all but that.
import { MSIEXEC_SWITCH, retryAfterSeconds, type RestartReport } from '../../server/agentProtocol.js';
import type { AgentJob } from '../../server/jobFile.js';
import { AgentExit, AgentStop, refusedStop, sleep } from './agentExit.js';
import { downloadAll, type Progress } from './agentDownload.js';
import type { AgentRun } from './agentRun.js';
import { armRestart, describeRestart, planRestart } from './agentRestart.js';
import { ConsoleStatusError, readSmall, type ConsoleClient } from './consoleClient.js';
import { msiexecParameters, simWorkDir, type JobListing } from './jobListing.js';
import { agentCodeFor, msiVerboseLog, msiexecCodeFor } from './msiLog.js';
import { candidateAccounts } from '../smb/sessionSetup.js';

/** What msiexec is run with. */
export interface MsiexecRun {
  readonly workDir: string;
  readonly msiName: string;
  readonly parameters: string;
  readonly runAsUser: string;
}

export async function transfer(run: AgentRun, job: AgentJob, client: ConsoleClient, listing: JobListing): Promise<number> {
  run.log(`connected to ${client.address} from ${run.state.config.address}; certificate pinned`);
  const poster = new ProgressPoster(run, client);
  const progress = (stage: string, percent: number | null, once = false) => poster.post(stage, percent, once);
  await progress('connected', null);
  const { agentCode, msiLog, msiexecCode } = listing.action === 'restart' ? restartAction(run, job) : await install(run, job, client, listing, progress);
  // 8. The result and the log, and the restart: decided now, scheduled once the result is out (a
  // few tries, then the result stands anyway: it is on the service).
  const restart = planRestart(run, listing, agentCode, listing.action === 'restart');
  await poster.settled();
  await reportResult(run, client, agentCode, msiLog, restart.report, msiexecCode !== null);
  armRestart(run, restart);
  return agentCode;
}

async function install(run: AgentRun, job: AgentJob, client: ConsoleClient, listing: JobListing, progress: Progress): Promise<MsiexecDone> {
  // 5. The install credential, fetched over the pinned channel, used, forgotten.
  const runAsUser = await installAccount(run, client, listing);
  // The work folder the files go to; %PUSHINSTALL_DIR% in the parameters becomes it.
  const workDir = simWorkDir(job.runId);
  const parameters = msiexecParameters(listing, workDir, run.log);
  // 6. Every file, hashed while it streams; the MSI must match the job file, the rest the listing.
  const msi = await downloadAll(run, client, job, listing, progress);
  // 7. msiexec /i|/x|/fvomus <msi> /qn /norestart /l*v <log> <parameters>, for the host's install time.
  await progress('installing', null);
  return runMsiexec(run, job, listing, { workDir, msiName: msi.name, parameters, runAsUser });
}

/** What msiexec ended with: its code (null for the action restart, which runs none), the agent's code and the log reported. */
export interface MsiexecDone {
  readonly agentCode: number;
  readonly msiLog: string;
  readonly msiexecCode: number | null;
}

/** The action restart: nothing downloaded, no msiexec, 0; the .done marker as after an install; the agent's log is the log reported. */
export function restartAction(run: AgentRun, job: AgentJob): MsiexecDone {
  run.log('action restart: nothing to download, no msiexec; the restart policy applies');
  run.writeAgentFile('.done', `run=${job.runId}\r\nexit=0\r\n`);
  return { agentCode: 0, msiLog: `${run.lines.join('\r\n')}\r\n`, msiexecCode: null };
}

/**
 * Progress posts, one after another. Stage posts wait out a 429/503 like every request; the
 * download's percent posts (once) do not: after a 429/503 they stay quiet for its Retry-After
 * (the next one supersedes a lost one).
 */
class ProgressPoster {
  private chain: Promise<void> = Promise.resolve();
  private quietUntil = 0;

  constructor(private readonly run: AgentRun, private readonly client: ConsoleClient) {}

  /**
   * Queues a post after the earlier ones; resolves when it is answered or given up. The agent posts
   * from its one thread and waits for the answer (report.c), so the flow awaits its posts — on one
   * keep-alive connection — except the percentages posted while a download is open, which go out
   * beside it.
   */
  post(stage: string, percent: number | null, once: boolean): Promise<void> {
    this.chain = this.chain.then(() => this.send(stage, percent, once).catch(() => undefined));
    return this.chain;
  }

  /** Every post so far has been answered or given up. */
  settled(): Promise<void> {
    return this.chain;
  }

  private async send(stage: string, percent: number | null, once: boolean): Promise<void> {
    const client = this.client;
    if (!once) return client.postJson('/v1/progress', { stage, percent });
    if (Date.now() < this.quietUntil) return;
    const res = await client.request('POST', '/v1/progress', { body: Buffer.from(JSON.stringify({ stage, percent })) });
    const status = res.statusCode ?? 0;
    if (!this.run.busy.statuses.includes(status)) {
      await readSmall(res, '/v1/progress');
      return;
    }
    res.resume();
    const seconds = retryAfterSeconds(res.headers['retry-after']);
    this.quietUntil = Date.now() + seconds * 1000;
    this.run.log(`progress '${stage}' ${percent ?? ''}% refused (HTTP ${status}): no progress posts for ${seconds} s (Retry-After); the download goes on`);
  }
}

/** Who msiexec runs as: SYSTEM, or the console's install credential when the job says admin (no credential → 18). */
async function installAccount(run: AgentRun, client: ConsoleClient, listing: JobListing): Promise<string> {
  if (listing.runAs !== 'admin') return 'SYSTEM';
  let credential: { user?: unknown; domain?: unknown; password?: unknown };
  try {
    credential = (await client.getJson('/v1/credential')) as typeof credential;
    if (typeof credential?.user !== 'string') throw new Error('no user in the credential');
  } catch (error) {
    if (error instanceof ConsoleStatusError && error.status !== 401 && error.status !== 403) throw new AgentStop(AgentExit.MSIEXEC_LAUNCH, `no install credential: ${error.message}`);
    return refusedStop(error, 'credential', run.signal);
  }
  const user = credential.user as string;
  const domain = typeof credential.domain === 'string' ? credential.domain : '';
  // LogonUserW(batch) as the real agent does: a host that checks refuses a password none of its accounts has (1326).
  if (run.state.config.checkInstallCredential && !candidateAccounts(run.state.config, user, domain).some((a) => a.password === credential.password)) {
    throw new AgentStop(AgentExit.MSIEXEC_LAUNCH, `LogonUserW(${domain ? `${domain}\\` : ''}${user}, batch) failed: Win32 error 1326`);
  }
  return domain ? `${domain}\\${user}` : user;
}

/** "Runs" msiexec: waits the host's install time; its exit code comes from the profile and whether the product is there. */
export async function runMsiexec(run: AgentRun, job: AgentJob, listing: JobListing, m: MsiexecRun): Promise<MsiexecDone> {
  const { state } = run;
  const startedAt = run.now();
  const action = listing.action;
  run.log(`msiexec ${MSIEXEC_SWITCH[action] ?? '/i'} "${m.workDir}\\${m.msiName}" /qn /norestart /l*v "${m.workDir}\\PushInstall-msi.log" ${m.parameters} (as ${m.runAsUser})`.trimEnd());
  await sleep(state.config.installTimeMs, run.signal);
  const msiexecCode = state.config.msiexecExitCode ?? msiexecCodeFor(state.config.profile, action, state.productInstalled(job.packageId));
  const agentCode = agentCodeFor(msiexecCode);
  // What the host holds afterwards: an install or repair that succeeded leaves the product, an uninstall removes it.
  if (msiexecCode === 0 || msiexecCode === 3010 || msiexecCode === 1641) state.products.set(job.packageId, action !== 'uninstall');
  run.writeAgentFile('.done', `run=${job.runId}\r\nexit=${agentCode}\r\n`);
  run.log(`msiexec exited with ${msiexecCode}${msiexecCode === 1605 ? ' (the product is not installed)' : ''} [${action}]`);
  const msiLog = msiVerboseLog({
    computerName: state.config.name,
    productName: job.packageId,
    msiPath: `${m.workDir}\\${m.msiName}`,
    parameters: m.parameters,
    code: msiexecCode,
    startedAt,
    durationMs: Math.max(state.config.installTimeMs, 1),
    runAsUser: m.runAsUser,
    action,
  });
  return { agentCode, msiLog, msiexecCode };
}

async function reportResult(run: AgentRun, client: ConsoleClient, agentCode: number, msiLog: string, restart: RestartReport, msiexecRan: boolean): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await client.postJson('/v1/result', { exitCode: agentCode, log: msiLog, restart });
      run.log(`result ${agentCode} reported with ${msiLog.length} characters of ${msiexecRan ? 'MSI' : 'agent'} log; ${describeRestart(restart)}`);
      break;
    } catch (error) {
      if (run.signal.aborted) break;
      run.log(`reporting the result failed: ${(error as Error).message}`);
      if (error instanceof ConsoleStatusError) break;
    }
  }
}
