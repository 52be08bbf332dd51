// The agent's downloads: every file the job lists, hashed while it streams (paced on a slow link,
// the bytes themselves discarded), resumed with HTTP Range when the connection breaks, and checked
// against the job file (the MSI) or the listing (the rest) for size and SHA-256.
import crypto from 'node:crypto';
import type { AgentJob } from '../../server/jobFile.js';
import { AgentExit, AgentStop, refusedStop, sleep } from './agentExit.js';
import type { AgentRun } from './agentRun.js';
import { CertificatePinError, ConsoleStatusError, type ConsoleClient } from './consoleClient.js';
import type { JobListing } from './jobListing.js';

type ListedFile = JobListing['files'][number];
/** Posts a progress stage; `once` posts are not retried after a 429/503. */
export type Progress = (stage: string, percent: number | null, once?: boolean) => Promise<void>;

const isNetworkError = (e: unknown) => e instanceof Error && !(e instanceof CertificatePinError) && !(e instanceof ConsoleStatusError) && !(e instanceof AgentStop);

/** The agent posts a moving download percentage at most this often (agent/src/download.c). */
export const PROGRESS_INTERVAL_MS = 1000;

/** Downloads and checks every file, posting the percentage as the agent does; returns the MSI's entry. */
export async function downloadAll(run: AgentRun, client: ConsoleClient, job: AgentJob, listing: JobListing, progress: Progress): Promise<ListedFile> {
  const msi = listing.files.find((f) => f.role === 'msi');
  if (!msi) throw new AgentStop(AgentExit.DOWNLOAD, 'the console\'s job lists no MSI');
  const total = listing.files.reduce((n, f) => n + f.size, 0);
  let before = 0;
  // As the agent does (agent/src/download.c post_percent): 0 % at the start, then at most one post
  // a second while the percentage moves, and 100 % at the end — a download of a second or less
  // costs the console two posts, not one per tenth.
  let reported = 0;
  let reportedAt = Date.now();
  await progress('downloading', 0);
  for (const file of listing.files) {
    let received: { size: number; sha256: string };
    try {
      received = await download(run, client, file.name, (bytes) => {
        const percent = total > 0 ? Math.floor(((before + bytes) * 100) / total) : 100;
        if (percent === reported || percent === 100 || Date.now() - reportedAt < PROGRESS_INTERVAL_MS) return;
        reported = percent;
        reportedAt = Date.now();
        void progress('downloading', percent, true);
      });
    } catch (error) {
      refusedStop(error, `download of ${file.name}`, run.signal);
    }
    before += file.size;
    const expected = file === msi ? { size: job.size, sha256: job.sha256 } : { size: file.size, sha256: file.sha256.toLowerCase() };
    if (received.size !== expected.size || received.sha256 !== expected.sha256) {
      throw new AgentStop(AgentExit.INTEGRITY, `${file.name}: ${received.size} bytes, SHA-256 ${received.sha256}; expected ${expected.size} bytes, ${expected.sha256}. Nothing installed.`);
    }
    run.log(`downloaded ${file.name}: ${received.size} bytes, SHA-256 verified`);
  }
  await progress('downloading', 100);
  return msi;
}

async function download(run: AgentRun, client: ConsoleClient, name: string, onBytes: (bytes: number) => void): Promise<{ size: number; sha256: string }> {
  const { state, options, signal } = run;
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
      run.log(`download of ${name} interrupted after ${size} bytes (${(error as Error).message}); resuming`);
    }
  }
}
