// The package chunk cache shared by downloads and SMB copies (main/server/fileChunks.ts): one disk
// read serves every reader of a chunk, a file replaced on disk is read again, ranges stream exactly,
// and the cache stays within its bound.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FileChangedError, FileChunks } from '../../main/server/fileChunks.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';

const dir = makeTempDir('pic-chunks-');
after(() => removeDir(dir));

async function collect(stream: AsyncGenerator<Buffer>): Promise<{ bytes: Buffer; pieces: number[] }> {
  const parts: Buffer[] = [];
  for await (const piece of stream) parts.push(Buffer.from(piece));
  return { bytes: Buffer.concat(parts), pieces: parts.map((p) => p.length) };
}

describe('FileChunks', () => {
  test('200 readers of one chunk cost one disk read', async () => {
    const file = path.join(dir, 'one.bin');
    const data = crypto.randomBytes(256 * 1024);
    fs.writeFileSync(file, data);
    const chunks = new FileChunks(1024 * 1024);
    const reads = await Promise.all(Array.from({ length: 200 }, () => chunks.read(file, 0, data.length)));
    for (const r of reads) assert.ok(r.equals(data));
    assert.equal(chunks.diskBytes, data.length);
    assert.equal(chunks.servedBytes, 200 * data.length);
  });

  test('a file replaced on disk is read again, never served from the old chunk', async () => {
    const file = path.join(dir, 'replaced.bin');
    fs.writeFileSync(file, Buffer.alloc(4096, 1));
    const chunks = new FileChunks(1024 * 1024);
    assert.equal((await chunks.read(file, 0, 4096))[0], 1);
    fs.writeFileSync(file, Buffer.alloc(4096, 2));
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000)); // a new mtime even on a coarse clock
    assert.equal((await chunks.read(file, 0, 4096))[0], 2);
    assert.equal(chunks.diskBytes, 8192);
  });

  test('stream() yields exactly the bytes of a range, in pieces no larger than asked, across chunk borders', async () => {
    const file = path.join(dir, 'range.bin');
    const data = crypto.randomBytes(300_000);
    fs.writeFileSync(file, data);
    const chunks = new FileChunks(1024 * 1024);
    for (const [start, end] of [[0, data.length - 1], [1, 65_536], [65_535, 200_003], [299_999, 299_999]] as const) {
      const { bytes, pieces } = await collect(chunks.stream(file, start, end, 100_000, 16_384));
      assert.ok(bytes.equals(data.subarray(start, end + 1)), `bytes ${start}-${end}`);
      assert.ok(pieces.every((n) => n > 0 && n <= 16_384), `pieces ${pieces.join(',')}`);
    }
  });

  test('a file that shrank under a download ends it with FileChangedError', async () => {
    const file = path.join(dir, 'shrunk.bin');
    fs.writeFileSync(file, crypto.randomBytes(200_000));
    const chunks = new FileChunks(1024 * 1024);
    const stream = chunks.stream(file, 0, 199_999, 100_000, 50_000);
    assert.equal((await stream.next()).value?.length, 50_000);
    fs.truncateSync(file, 100_000);
    await assert.rejects(collect(stream), FileChangedError);
  });

  test('the cache keeps at most its bound: the least recently used chunk is read again', async () => {
    const file = path.join(dir, 'lru.bin');
    fs.writeFileSync(file, crypto.randomBytes(4 * 65_536));
    const chunks = new FileChunks(2 * 65_536);
    for (let i = 0; i < 4; i++) await chunks.read(file, i * 65_536, 65_536);
    assert.equal(chunks.diskBytes, 4 * 65_536);
    await chunks.read(file, 3 * 65_536, 65_536); // still cached
    assert.equal(chunks.diskBytes, 4 * 65_536);
    await chunks.read(file, 0, 65_536); // evicted
    assert.equal(chunks.diskBytes, 5 * 65_536);
  });
});
