// The SMB transport's package copies, shared by every push of the console: at most N copies at
// once (settings.packageCopyConcurrency), so a 500 MB package to 500 computers does not saturate
// the console's uplink, and one read of each chunk from disk for the copies that run together —
// copies started by one gate move at about the same pace, so a chunk read for the first is still
// in the cache when the others reach it.
import fs from 'node:fs/promises';
import { ConsoleError } from '../ipc/errors.js';
import type { CopySource } from '../smb/tree.js';
import { Cancelled } from './remoteHost.js';

/** Chunks kept for the copies in flight: enough for ten copies a few chunks apart, bounded. */
const CACHE_BYTES = 64 * 1024 * 1024;

interface OpenFile {
  handle: Promise<fs.FileHandle>;
  users: number;
}

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
  private diskBytes = 0;
  private servedBytes = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly files = new Map<string, OpenFile>();
  /** `path@offset+length` → the chunk (or its read in progress); Map order = least recently used first. */
  private readonly chunks = new Map<string, Promise<Buffer>>();
  private cachedBytes = 0;

  constructor(private readonly limit: () => number) {}

  stats(): CopyStats {
    return { active: this.activeCount, peak: this.peakCount, started: this.startedCount, diskBytes: this.diskBytes, servedBytes: this.servedBytes };
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
    let open = this.files.get(path);
    if (!open) {
      open = { handle: fs.open(path, 'r'), users: 0 };
      open.handle.catch(() => undefined);
      this.files.set(path, open);
    }
    open.users++;
    const file = open;
    let released = false;
    return {
      size,
      fill: async (target, at, offset, length) => {
        if (signal?.aborted) throw new Cancelled();
        const chunk = await this.chunk(path, file, offset, length);
        chunk.copy(target, at);
        this.servedBytes += length;
      },
      release: () => {
        if (released) return;
        released = true;
        if (--file.users > 0) return;
        this.files.delete(path);
        for (const key of [...this.chunks.keys()]) if (key.startsWith(`${path}@`)) this.drop(key);
        void file.handle.then((h) => h.close()).catch(() => undefined);
      },
    };
  }

  private chunk(path: string, file: OpenFile, offset: number, length: number): Promise<Buffer> {
    const key = `${path}@${offset}+${length}`;
    const hit = this.chunks.get(key);
    if (hit) {
      this.chunks.delete(key); // most recently used goes last
      this.chunks.set(key, hit);
      return hit;
    }
    const read = file.handle.then(async (handle) => {
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      if (bytesRead !== length) throw new ConsoleError('copy-failed', `${path} changed while it was copied.`, 'Do not change the package\'s files during a push; retry.');
      this.diskBytes += length;
      return buffer;
    });
    read.catch(() => this.drop(key));
    this.chunks.set(key, read);
    this.cachedBytes += length;
    while (this.cachedBytes > CACHE_BYTES && this.chunks.size > 1) this.drop(this.chunks.keys().next().value!);
    return read;
  }

  private drop(key: string): void {
    if (!this.chunks.delete(key)) return;
    this.cachedBytes -= Number(key.slice(key.lastIndexOf('+') + 1));
  }
}
