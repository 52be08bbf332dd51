// The simulated agent's SMB transport (agent/README.md "Transports"), as the native agent does it:
// the package the console copied into its run folder's package\ on the host's ADMIN$, named by the
// manifest <exe>.pkg (the GET /v1/job answer's JSON); every file's size and SHA-256 checked (13),
// "msiexec" from there as SYSTEM, and progress and result written as <exe>.progress and
// <exe>.result (the in-memory share makes each write whole, as the agent's write-then-rename does);
// the result says what the agent does about a restart (agentRestart.ts), scheduled once it is written.
// The action `restart` verifies and runs nothing.
// With the auto transport the agent comes here when no console answered, after waiting for the manifest.
import crypto from 'node:crypto';
import type { AgentJob } from '../../server/jobFile.js';
import { labPathKey } from '../hostState.js';
import { AgentExit, AgentStop, sleep } from './agentExit.js';
import type { AgentRun } from './agentRun.js';
import { restartAction, runMsiexec } from './agentTransfer.js';
import { armRestart, describeRestart, planRestart, type RestartPlan } from './agentRestart.js';
import { msiexecParameters, parseListing, type JobListing } from './jobListing.js';

/** How often the waiting agent looks for its manifest (the native agent: every second). */
const MANIFEST_POLL_MS = 250;

/** The package folder beside the exe, as the host sees it (`%PUSHINSTALL_DIR%` with this transport). */
export const packageFolder = (runId: string): string => `C:\\Windows\\PushInstall\\${runId}\\package`;

function progress(run: AgentRun, stage: string): void {
  run.writeAgentFile('.progress', JSON.stringify({ stage, percent: null }));
}

/** The manifest, or null when it is not there (or not whole yet); a whole one the agent does not understand → 16. */
function readManifest(run: AgentRun): JobListing | null {
  const data = run.state.files.get(labPathKey(`${run.exe}.pkg`));
  if (!data) return null;
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return null; // still being written: a prefix of a JSON object is never one
  }
  return parseListing(value);
}

/** auto, no console answered: waits for the manifest up to the job's wait, writing waiting-for-package first. */
export async function waitForPackage(run: AgentRun, job: AgentJob): Promise<number> {
  const seconds = job.waitSeconds ?? 600;
  run.log(`no console answered: waiting up to ${seconds} s for the package over SMB (${run.exe}.pkg)`);
  progress(run, 'waiting-for-package');
  const deadline = Date.now() + seconds * 1000;
  while (!readManifest(run)) {
    if (Date.now() >= deadline) throw new AgentStop(AgentExit.UNREACHABLE, `no console answered and no package arrived over SMB within ${seconds} s`);
    await sleep(MANIFEST_POLL_MS, run.signal);
  }
  return installLocal(run, job);
}

/** Whether the manifest is already beside the exe (auto: the console copied the package before a restart). */
export const manifestPresent = (run: AgentRun): boolean => readManifest(run) !== null;

/** The package beside the exe, verified and installed; the result (and a failure after the manifest was read) goes to <exe>.result. */
export async function installLocal(run: AgentRun, job: AgentJob): Promise<number> {
  let code: number;
  let log: string;
  let restart: RestartPlan | null = null;
  const understood: { listing: JobListing | null } = { listing: null };
  try {
    ({ code, log, restart } = await verifyAndInstall(run, job, (listing) => (understood.listing = listing)));
  } catch (error) {
    if (!(error instanceof AgentStop) || error.code === AgentExit.STOPPED) throw error;
    run.log(error.message);
    code = error.code;
    log = `${run.lines.join('\r\n')}\r\n`;
    // A manifest understood: its policy is in the result too (not needed: nothing was installed).
    if (understood.listing) restart = planRestart(run, understood.listing, code);
  }
  run.writeAgentFile('.result', JSON.stringify({ exitCode: code, log, ...(restart ? { restart: restart.report } : {}) }));
  run.log(`result ${code} written to ${run.exe}.result${restart ? `; ${describeRestart(restart.report)}` : ''}`);
  if (restart) armRestart(run, restart);
  return code;
}

async function verifyAndInstall(run: AgentRun, job: AgentJob, understood: (listing: JobListing) => void): Promise<{ code: number; log: string; restart: RestartPlan }> {
  const listing = readManifest(run);
  if (!listing) throw new AgentStop(AgentExit.DOWNLOAD, `no package beside the agent (${run.exe}.pkg missing)`);
  understood(listing);
  if (listing.runId !== job.runId) throw new AgentStop(AgentExit.DOWNLOAD, `the package manifest names run ${listing.runId}, not ${job.runId}`);
  if (listing.action === 'restart') {
    const done = restartAction(run, job);
    return { code: done.agentCode, log: done.msiLog, restart: planRestart(run, listing, done.agentCode, true) };
  }
  if (listing.runAs === 'admin') throw new AgentStop(AgentExit.DOWNLOAD, 'the package manifest asks to install as the administrator: that needs the callback transport (the password never travels in a file)');
  progress(run, 'verifying');
  const folder = packageFolder(job.runId);
  const msi = verifyFiles(run, job, listing);
  const parameters = msiexecParameters(listing, folder, run.log);
  progress(run, 'installing');
  const { agentCode, msiLog } = await runMsiexec(run, job, listing, { workDir: folder, msiName: msi, parameters, runAsUser: 'SYSTEM' });
  return { code: agentCode, log: msiLog, restart: planRestart(run, listing, agentCode) };
}

/** Every listed file in package\, its size and SHA-256 as listed; the MSI as the job file names it. Returns the MSI's name. */
function verifyFiles(run: AgentRun, job: AgentJob, listing: JobListing): string {
  const dir = run.exe!.replace(/\\[^\\]*$/, '');
  let msi: string | null = null;
  for (const f of listing.files) {
    const data = run.state.files.get(labPathKey(`${dir}\\package\\${f.name}`));
    if (!data) throw new AgentStop(AgentExit.DOWNLOAD, `package\\${f.name} is missing beside the agent`);
    const sha256 = crypto.createHash('sha256').update(data).digest('hex');
    if (data.length !== f.size || sha256 !== f.sha256.toLowerCase()) {
      throw new AgentStop(AgentExit.INTEGRITY, `package\\${f.name}: ${data.length} bytes, SHA-256 ${sha256}; the manifest says ${f.size} bytes, ${f.sha256}`);
    }
    if (f.role === 'msi') {
      if (f.size !== job.size || f.sha256.toLowerCase() !== job.sha256) throw new AgentStop(AgentExit.INTEGRITY, `package\\${f.name} is not the package the job file names`);
      msi = f.name;
    }
  }
  if (!msi) throw new AgentStop(AgentExit.DOWNLOAD, 'the package manifest lists no msi');
  run.log(`${listing.files.length} package file(s) verified beside the agent (SHA-256)`);
  return msi;
}
