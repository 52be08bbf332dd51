// The README's test command (npm test): set-up, typecheck, lint, build (the app and the native
// agent), then every test — fast unit tests first, then interop against real peers, the agent
// under Wine, and the end-to-end test in Debian's Chromium — and one summary line.
//   npm test                    everything
//   npm test -- test/unit/x.test.ts   only the named test files (after typecheck, lint, build)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { continueUnderSupportedNode, NODE_VERSION } from './supportedNode.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'test-output');
const started = Date.now();

function step(title, command, args, options = {}) {
  console.log(`\n== ${title}`);
  const t0 = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.log(`== ${title}: FAILED after ${seconds} s`);
    console.log(`\nTests: 0 passed, 1 failed (${title} failed before the tests ran)`);
    process.exit(1);
  }
  console.log(`== ${title}: ok (${seconds} s)`);
}

function testFiles(folder) {
  const dir = path.join(root, 'test', folder);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => path.join('test', folder, f));
}

// Set-up runs on the Node that started us; the rest on the supported one (scripts/supportedNode.mjs),
// which set-up has installed where the system's is older.
if (!process.env.PUSHCONSOLE_SETUP_DONE) step('set-up (Debian and npm packages)', 'bash', ['scripts/setup.sh']);
await continueUnderSupportedNode(fileURLToPath(import.meta.url), { PUSHCONSOLE_SETUP_DONE: '1' });
console.log(`\n== Node ${process.versions.node} (${process.execPath}; the project's is ${NODE_VERSION})`);
step('typecheck (main, preload, tests)', 'npx', ['tsc', '-p', 'tsconfig.json']);
step('typecheck (renderer)', 'npx', ['tsc', '-p', 'renderer/tsconfig.json']);
step('lint', 'npx', ['eslint', '.', '--max-warnings=0']);
step('build', process.execPath, ['scripts/build.mjs']);
step('build the agent (mingw-w64)', 'bash', ['agent/build.sh']);

const requested = process.argv.slice(2);
// Fast unit and vector tests first, then interop against real peers, the agent under Wine, the
// console on Windows Node under Wine, then the browser.
const files = requested.length > 0 ? requested : [...testFiles('unit'), ...testFiles('interop'), ...testFiles('agent'), ...testFiles('windows'), ...testFiles('e2e')];
if (files.length === 0) {
  console.log('\nTests: 0 passed, 1 failed (no test files found)');
  process.exit(1);
}

fs.mkdirSync(outDir, { recursive: true });
const tapFile = path.join(outDir, 'results.tap');
console.log(`\n== tests (${files.length} files)`);
const run = spawnSync(
  process.execPath,
  [
    '--import', 'tsx',
    '--test',
    // A safety net: a test that hangs fails after 10 minutes instead of eating CI's 90.
    '--test-timeout=600000',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  // PUSHCONSOLE_KEYCHAIN=off: consoles the tests start never write to the developer's own keychain
  // (test/interop/keychainVault.test.ts runs a private one).
  { cwd: root, stdio: 'inherit', env: { ...process.env, PUSHCONSOLE_TEST_OUTPUT: outDir, PUSHCONSOLE_KEYCHAIN: 'off' } },
);

const tap = fs.existsSync(tapFile) ? fs.readFileSync(tapFile, 'utf8') : '';
const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
const passed = count('pass');
const failed = count('fail') + count('cancelled') + (run.status !== 0 && count('fail') === 0 ? 1 : 0);
const skipped = count('skipped') + count('todo');
const minutes = ((Date.now() - started) / 60000).toFixed(1);
console.log(`\nTest output (screenshots, TAP): ${path.relative(root, outDir)}/  ·  whole run ${minutes} min`);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(run.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
