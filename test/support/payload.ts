// A large incompressible file for copy and download tests and benchmarks: a random block
// repeated to the size asked, written once; returns its SHA-256.
import crypto from 'node:crypto';
import fs from 'node:fs';

export function writeRandomFile(file: string, bytes: number, blockBytes = 4 * 1024 * 1024): string {
  const block = crypto.randomBytes(blockBytes);
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'w');
  try {
    for (let n = 0; n < bytes; n += block.length) {
      const piece = block.subarray(0, Math.min(block.length, bytes - n));
      fs.writeSync(fd, piece);
      hash.update(piece);
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}
