// The agent's downloads: every file the job lists, hashed while it streams (paced on a slow link,
// the bytes themselves discarded), resumed with HTTP Range when the connection breaks, and checked
// against the job file (the MSI) or the listing (the rest) for size and SHA-256. Hundreds of
// simulated agents in one process pull the same package: bytes equal to a copy whose SHA-256 the
// lab computed once have that SHA-256, so a download is compared with the copy (memcmp) and hashed
// only from the first byte that differs — the verdict is the same, at a fraction of the CPU.
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
      received = await download(run, client, file.name, file === msi ? job.sha256 : file.sha256.toLowerCase(), (bytes) => {
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

/** Files up to this size are kept once verified, the most recent few. */
const KNOWN_MAX_BYTES = 16 * 1024 * 1024;
const KNOWN_MAX_FILES = 4;
/** Copies of downloaded files by their SHA-256, which the lab computed over these very bytes. */
const known = new Map<string, Buffer>();

/** SHA-256 of a download, over a known copy where the bytes match it (exported for its test). */
export class DownloadHash {
  private hash: crypto.Hash | null = null;
  private size = 0;
  /** The bytes, kept while no known copy exists, to become one. */
  private kept: Buffer[] | null;

  constructor(private readonly copy: { sha256: string; bytes: Buffer } | null = null) {
    this.kept = copy ? null : [];
  }

  /** The known copy for `sha256`, if the lab has one. */
  static for(sha256: string): DownloadHash {
    const bytes = known.get(sha256);
    return new DownloadHash(bytes ? { sha256, bytes } : null);
  }

  update(chunk: Buffer): void {
    const { copy } = this;
    if (!this.hash && copy && copy.bytes.length >= this.size + chunk.length && copy.bytes.subarray(this.size, this.size + chunk.length).equals(chunk)) {
      this.size += chunk.length;
      return;
    }
    if (!this.hash) {
      this.hash = crypto.createHash('sha256');
      if (copy && this.size > 0) this.hash.update(copy.bytes.subarray(0, this.size));
    }
    this.hash.update(chunk);
    this.size += chunk.length;
    if (this.kept && this.size <= KNOWN_MAX_BYTES) this.kept.push(chunk);
    else this.kept = null;
  }

  digest(): string {
    if (!this.hash && this.copy && this.size === this.copy.bytes.length) return this.copy.sha256;
    const sha256 = (this.hash ?? crypto.createHash('sha256').update(this.copy?.bytes.subarray(0, this.size) ?? Buffer.alloc(0))).digest('hex');
    if (this.kept) {
      known.set(sha256, Buffer.concat(this.kept));
      while (known.size > KNOWN_MAX_FILES) known.delete(known.keys().next().value!);
    }
    return sha256;
  }
}

async function download(run: AgentRun, client: ConsoleClient, name: string, expectedSha256: string, onBytes: (bytes: number) => void): Promise<{ size: number; sha256: string }> {
  const { state, options, signal } = run;
  const hash = DownloadHash.for(expectedSha256);
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
      return { size, sha256: hash.digest() };
    } catch (error) {
      if (signal.aborted || error instanceof AgentStop || attempt >= 2 || !isNetworkError(error)) throw error;
      run.log(`download of ${name} interrupted after ${size} bytes (${(error as Error).message}); resuming`);
    }
  }
}
