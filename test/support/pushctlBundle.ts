// The built pushctl (dist/cli/pushctl.js) for the tests that run it as a user would — on Windows
// Node under Wine, and on Linux Node beside it (test/windows/consoleOnWindows*.test.ts) — and the
// check that output meant for Windows names no Linux path (docs/TESTING.md §4).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './childProcess.js';

export const CLI_BUNDLE = path.join(REPO_ROOT, 'dist', 'cli', 'pushctl.js');

/** dist/cli/pushctl.js exists and is newer than main/, package.json, package-lock.json and the build script. */
export function pushctlBundleIsFresh(): boolean {
  if (!fs.existsSync(CLI_BUNDLE)) return false;
  const built = fs.statSync(CLI_BUNDLE).mtimeMs;
  const sources = [path.join(REPO_ROOT, 'package.json'), path.join(REPO_ROOT, 'package-lock.json'), path.join(REPO_ROOT, 'scripts', 'build.mjs')];
  for (const entry of fs.readdirSync(path.join(REPO_ROOT, 'main'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) sources.push(path.join(entry.parentPath, entry.name));
  }
  return sources.every((file) => fs.statSync(file).mtimeMs <= built);
}

/**
 * The main-process bundles, as `npm run build` makes them (about a second) — unless the CLI bundle
 * is newer than every source it is built from (npm test has just built it): the build empties
 * dist/ first, under any other test of this tree that is reading it at the time.
 * Returns how long the build took, or null when it was skipped.
 */
export function ensurePushctlBundle(): number | null {
  const t0 = Date.now();
  if (pushctlBundleIsFresh()) return null;
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(build.status, 0, `node scripts/build.mjs: ${build.stdout}${build.stderr}`);
  assert.ok(fs.existsSync(CLI_BUNDLE), `${CLI_BUNDLE} was built`);
  return Date.now() - t0;
}

/** Linux paths (of this machine, the repository, a Wine prefix, …) in text meant for Windows. */
export function linuxPathsIn(text: string, alsoForbidden: readonly string[] = []): string[] {
  const hits = new Set<string>();
  for (const m of text.matchAll(/(?<![\w.\\-])\/(?:tmp|work|root|home|usr|etc|var|proc|dev|run)\/[^\s"'`]*/g)) hits.add(m[0]);
  for (const p of [REPO_ROOT, os.tmpdir() + '/', ...alsoForbidden]) if (text.includes(p)) hits.add(p);
  return [...hits];
}
