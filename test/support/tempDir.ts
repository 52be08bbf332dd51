// Temporary folders under os.tmpdir() that are removed even when the test fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function makeTempDir(prefix = 'pic-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
}

/** A folder that the given test removes in its `after` phase (runs on failure too). */
export function tempDirFor(t: { after(fn: () => void): void }, prefix?: string): string {
  const dir = makeTempDir(prefix);
  t.after(() => removeDir(dir));
  return dir;
}
