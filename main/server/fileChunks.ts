// Chunks of package files, read from disk once and handed to every copy and download that needs
// them while they are cached: the package server's downloads and the SMB transport's copies each
// keep one. Two hundred agents pulling the same 1 MiB package at once would otherwise open and read
// the file two hundred times (the reads, their buffers and their collection cost the console more
// CPU than the TLS that carries the bytes). A chunk is keyed by the file's size and modification
// time as well as its place, so a file replaced on disk is read again, never served stale.
import fs from 'node:fs';
import fsp from 'node:fs/promises';

export class FileChangedError extends Error {
  constructor(readonly path: string) {
    super(`${path} changed while it was read`);
    this.name = 'FileChangedError';
  }
}

export class FileChunks {
  /** `path|size|mtime|offset+length` → the chunk (or its read in progress); Map order = least recently used first. */
  private readonly chunks = new Map<string, Promise<Buffer>>();
  private cachedBytes = 0;
  /** Bytes read from disk, and bytes handed out (the difference came from the cache). */
  diskBytes = 0;
  servedBytes = 0;

  /** `maxBytes`: the most kept at once (the chunk being read is kept even when it alone is larger). */
  constructor(private readonly maxBytes: number) {}

  /** The bytes [offset, offset + length) of the file as it is now; a file shorter than that throws FileChangedError. */
  read(path: string, offset: number, length: number): Promise<Buffer> {
    return this.chunk(path, fs.statSync(path), offset, length);
  }

  /**
   * The bytes [start, end] of the file in pieces of `pieceBytes` bytes, read `chunkBytes` bytes (aligned) at
   * a time through the cache: a download's stream, pulled as the socket drains, so a connection
   * holds one piece in flight rather than the file.
   */
  async *stream(path: string, start: number, end: number, chunkBytes: number, pieceBytes: number): AsyncGenerator<Buffer> {
    let at = start;
    while (at <= end) {
      const base = at - (at % chunkBytes);
      const stat = fs.statSync(path);
      if (stat.size <= base) throw new FileChangedError(path);
      const data = await this.chunk(path, stat, base, Math.min(chunkBytes, stat.size - base));
      const stop = Math.min(end + 1, base + data.length);
      if (stop <= at) throw new FileChangedError(path);
      for (; at < stop; at = Math.min(stop, at + pieceBytes)) yield data.subarray(at - base, Math.min(stop, at + pieceBytes) - base);
    }
  }

  /** The chunk of the file in the version `stat` describes: from the cache, or read once. */
  private chunk(path: string, stat: fs.Stats, offset: number, length: number): Promise<Buffer> {
    const key = `${path}|${stat.size}|${stat.mtimeMs}|${offset}+${length}`;
    this.servedBytes += length;
    const hit = this.chunks.get(key);
    if (hit) {
      this.chunks.delete(key); // most recently used goes last
      this.chunks.set(key, hit);
      return hit;
    }
    const read = readRange(path, offset, length).then((buffer) => {
      this.diskBytes += length;
      return buffer;
    });
    read.catch(() => this.drop(key));
    this.chunks.set(key, read);
    this.cachedBytes += length;
    while (this.cachedBytes > this.maxBytes && this.chunks.size > 1) this.drop(this.chunks.keys().next().value!);
    return read;
  }

  /** Drops what is cached of the file (its last user is done with it). */
  forget(path: string): void {
    for (const key of [...this.chunks.keys()]) if (key.startsWith(`${path}|`)) this.drop(key);
  }

  private drop(key: string): void {
    if (!this.chunks.delete(key)) return;
    this.cachedBytes -= Number(key.slice(key.lastIndexOf('+') + 1));
  }
}

async function readRange(path: string, offset: number, length: number): Promise<Buffer> {
  const handle = await fsp.open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    if (bytesRead !== length) throw new FileChangedError(path);
    return buffer;
  } finally {
    await handle.close();
  }
}
