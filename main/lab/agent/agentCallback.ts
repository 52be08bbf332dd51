// The agent's call back to the console: one pinned HTTPS client per console address in the job
// file, tried in rounds with a stoppable pause between them; the first that hands out the job
// gets the transfer, and a failure after it accepted the token is reported to it too.
import type { AgentJob } from '../../server/jobFile.js';
import { AgentExit, AgentStop, sleep } from './agentExit.js';
import type { AgentRun } from './agentRun.js';
import { transfer } from './agentTransfer.js';
import { planRestart } from './agentRestart.js';
import { CertificatePinError, ConsoleClient, ConsoleStatusError } from './consoleClient.js';
import { parseListing, type JobListing } from './jobListing.js';

/** Failures after the token was accepted, reported over 2224 as well as on the service. */
const REPORTED_FAILURES = new Set<number>([AgentExit.INTEGRITY, AgentExit.DOWNLOAD, AgentExit.MSIEXEC_LAUNCH]);

export async function callBack(run: AgentRun, job: AgentJob): Promise<number> {
  const { options } = run;
  const clients = job.consoles.map(
    (c) =>
      new ConsoleClient({
        host: c.host,
        port: c.port,
        fingerprint: job.fingerprint,
        localAddress: run.state.config.address,
        token: job.token,
        connectTimeoutMs: options.connectTimeoutMs ?? 2000,
        idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
        tls: options.tls,
        signal: run.signal,
        busy: run.busy,
      }),
  );
  try {
    const found = await findConsole(run, clients);
    try {
      return await transfer(run, job, found.client, found.listing);
    } catch (error) {
      // A failure after the console accepted the token is reported to it too (integrity, say), not only on the service.
      if (error instanceof AgentStop && !run.signal.aborted && REPORTED_FAILURES.has(error.code)) {
        run.log(error.message);
        const restart = planRestart(run, found.listing, error.code).report; // not needed: nothing was installed
        await found.client.postJson('/v1/result', { exitCode: error.code, log: `${run.lines.join('\r\n')}\r\n`, restart }).catch(() => undefined);
        throw new AgentStop(error.code, 'result reported to the console');
      }
      throw error;
    }
  } finally {
    for (const client of clients) client.close();
  }
}

/** 4. The first request carries the token; the pin is checked before it is sent. */
async function findConsole(run: AgentRun, clients: ConsoleClient[]): Promise<{ client: ConsoleClient; listing: JobListing }> {
  const retry = run.options.retry ?? { rounds: 2, backoffMs: 200 };
  let found: { client: ConsoleClient; listing: JobListing } | null = null;
  for (let round = 0; round < retry.rounds && !found; round++) {
    if (round > 0) await sleep(retry.backoffMs * 2 ** (round - 1), run.signal);
    for (const client of clients) {
      try {
        found = { client, listing: parseListing(await client.getJson('/v1/job')) };
        break;
      } catch (error) {
        if (run.signal.aborted) throw new AgentStop(AgentExit.STOPPED, 'stopped while connecting');
        if (error instanceof CertificatePinError) throw new AgentStop(AgentExit.FINGERPRINT, `${client.address}: ${error.message}`);
        if (error instanceof ConsoleStatusError && (error.status === 401 || error.status === 403)) throw new AgentStop(AgentExit.TOKEN_REFUSED, `${client.address} refused the token (HTTP ${error.status})`);
        if (error instanceof ConsoleStatusError || error instanceof AgentStop) throw new AgentStop(AgentExit.DOWNLOAD, `${client.address}: ${error.message}`);
        run.log(`${client.address}: ${(error as Error).message}`);
      }
    }
  }
  if (!found) throw new AgentStop(AgentExit.UNREACHABLE, `no console answered after ${retry.rounds} rounds`);
  return found;
}
