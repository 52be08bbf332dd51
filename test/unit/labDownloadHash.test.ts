// The lab agent's download check: the SHA-256 it reports over a copy it verified before (compared
// with memcmp) is the SHA-256 of the bytes received, whatever they are — equal, differing in the
// middle, shorter or longer than the copy — so a corrupted download still fails its check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { DownloadHash } from '../../main/lab/agent/agentDownload.js';

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

function digestOf(bytes: Buffer, hash: DownloadHash, chunk = 16 * 1024): string {
  for (let at = 0; at < bytes.length; at += chunk) hash.update(bytes.subarray(at, at + chunk));
  return hash.digest();
}

test('a download hashed over a known copy reports the SHA-256 of the bytes received, equal to the copy or not', () => {
  const package1 = crypto.randomBytes(300_000);
  const first = digestOf(package1, DownloadHash.for(sha(package1)));
  assert.equal(first, sha(package1), 'the first download is hashed and becomes the known copy');
  const flipped = Buffer.from(package1);
  flipped[150_000] = flipped[150_000]! ^ 1;
  const cases: [string, Buffer][] = [
    ['the same bytes', package1],
    ['one bit flipped in the middle', flipped],
    ['cut short', package1.subarray(0, 200_000)],
    ['with bytes added', Buffer.concat([package1, Buffer.from('tail')])],
    ['empty', Buffer.alloc(0)],
  ];
  for (const [what, bytes] of cases) {
    assert.equal(digestOf(bytes, DownloadHash.for(sha(package1)), 7000), sha(bytes), what);
  }
});
