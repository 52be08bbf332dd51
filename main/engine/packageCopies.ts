// The SMB transport's package copies, shared by every push of the console: at most N copies at
// once (settings.packageCopyConcurrency), so a 500 MB package to 500 computers does not saturate
// the console's uplink, and one read of each chunk from disk for the copies that run together —
// copies started by one gate move at about the same pace, so a chunk read for the first is still
// in the cache when the others reach it.
import { ConsoleError } from '../ipc/errors.js';
import { FileChangedError, FileChunks } from '../server/fileChunks.js';
import type { CopySource } from '../smb/tree.js';
import { Cancelled } from './remoteHost.js';

/** Chunks kept for the copies in flight: enough for ten copies a few chunks apart, bounded. */
const CACHE_BYTES = 64 * 1024 * 1024;

export interface CopyStats {
  /** Copies running now, the most ever at once, and copies started. */
  readonly active: number;
  readonly peak: number;
  readonly started: number;
  /** Bytes read from disk, and bytes handed to copies (the difference was served from the cache). */
  readonly diskBytes: number;
  readonly servedBytes: number;
}

export class PackageCopies {
  private activeCount = 0;
  private peakCount = 0;
  private startedCount = 0;
  private readonly waiting: (() => void)[] = [];
  /** Copies in flight per file: its chunks are dropped when the last one ends. */
  private readonly users = new Map<string, number>();
  private readonly chunks = new FileChunks(CACHE_BYTES);

  constructor(private readonly limit: () => number) {}

  stats(): CopyStats {
    return { active: this.activeCount, peak: this.peakCount, started: this.startedCount, diskBytes: this.chunks.diskBytes, servedBytes: this.chunks.servedBytes };
  }

  /** Runs `copy` once a slot is free (FIFO); a cancel while waiting throws Cancelled. `waitingFor` is told when it has to wait. */
  async run<T>(signal: AbortSignal, copy: () => Promise<T>, waitingFor?: (ahead: number) => void): Promise<T> {
    if (this.activeCount >= Math.max(1, this.limit())) {
      waitingFor?.(this.waiting.length + 1);
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.waiting.indexOf(go);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new Cancelled());
        };
        this.waiting.push(go);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
    this.activeCount++;
    this.startedCount++;
    this.peakCount = Math.max(this.peakCount, this.activeCount);
    try {
      return await copy();
    } finally {
      this.activeCount--;
      if (this.activeCount < Math.max(1, this.limit())) this.waiting.shift()?.();
    }
  }

  /** A copy source for one local file: its chunks come from the shared cache, read once while copies need them; a cancel stops it at the next chunk. `release` when the copy ends. */
  source(path: string, size: number, signal?: AbortSignal): CopySource & { release(): void } {
    this.users.set(path, (this.users.get(path) ?? 0) + 1);
    let released = false;
    return {
      size,
      fill: async (target, at, offset, length) => {
        if (signal?.aborted) throw new Cancelled();
        let chunk: Buffer;
        try {
          chunk = await this.chunks.read(path, offset, length);
        } catch (error) {
          if (error instanceof FileChangedError) throw new ConsoleError('copy-failed', `${path} changed while it was copied.`, 'Do not change the package\'s files during a push; retry.');
          throw error;
        }
        chunk.copy(target, at);
      },
      release: () => {
        if (released) return;
        released = true;
        const left = (this.users.get(path) ?? 1) - 1;
        if (left > 0) return void this.users.set(path, left);
        this.users.delete(path);
        this.chunks.forget(path);
      },
    };
  }
}
