// The console's own process on Windows: the built pushctl (dist/cli/pushctl.js) runs on Windows
// Node under Wine and pushes to simulated lab hosts served from this (Linux) process on
// 127.0.190.x — `diagnose` and `push` with one healthy host (succeeded) and one whose msiexec
// fails (msi-1603 → failed, msi-failed). With no --data and no PUSHCONSOLE_DATA_DIR its data
// folder is %APPDATA%\Push Install Console, where the database holds the task and the step logs;
// nothing it prints names a Linux path (docs/TESTING.md §4).
//
// Addresses and ports (shared machine): 127.0.190.0/24, TCP 14600-14619 only —
// 14600 the lab's SMB port, 14601 and 14602 the package server of each push.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { JsonTarget } from '../../main/cli/push.js';
import { startLab, type Lab } from '../../main/lab/lab.js';
import { EXPECTED_OUTCOME } from '../../main/lab/profiles.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { CLI_BUNDLE, ensurePushctlBundle, linuxPathsIn } from '../support/pushctlBundle.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { createWineNode, type WineNode, type WineNodeRun } from '../support/wineNode.js';

const LAB_PORT = 14600;
const HEALTHY = '127.0.190.1';
const FAILING = '127.0.190.2';
const FAILING_PROFILE = 'msi-1603';
const PASSWORD_ENV = 'PIC_LAB_PASSWORD';
const DEMO_MSI = path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi');

let node: WineNode;
let lab: Lab;
let work: string;
/** pushctl's argv head on Windows Node: the bundle seen through Z:. */
let pushctl: string[];
/** What every pushctl run gets: the password variable, no keychain, a fake agent on C:. */
let env: Record<string, string>;
let msiWin: string;
/** %APPDATA%\Push Install Console, on Linux (in the prefix). */
let dataUnix: string;
let dataWin: string;

before(async () => {
  work = makeTempDir('pic-wincon-');
  const buildMs = ensurePushctlBundle();
  const built = Date.now();
  node = await createWineNode();
  const booted = Date.now();
  lab = await startLab({
    hosts: 2,
    first: HEALTHY,
    port: LAB_PORT,
    profile: { default: 'healthy', hosts: { 'LAB-PC-002': FAILING_PROFILE } },
    installTimeMs: 200,
    logonFailureDelayMs: 100,
    startTimeoutMs: 300,
  });
  // The package and the agent on the Windows side, as an admin would have them.
  const packages = path.join(node.wine.driveC, 'packages');
  fs.mkdirSync(packages);
  fs.copyFileSync(DEMO_MSI, path.join(packages, 'PushInstallDemo.msi'));
  fs.writeFileSync(path.join(packages, 'PushInstallAgent.exe'), crypto.randomBytes(32 * 1024));
  msiWin = node.paths.toWindows(path.join(packages, 'PushInstallDemo.msi'));
  env = { [PASSWORD_ENV]: lab.account.password, PUSHCONSOLE_KEYCHAIN: 'off', PUSHCONSOLE_AGENT: node.paths.toWindows(path.join(packages, 'PushInstallAgent.exe')) };
  pushctl = [node.paths.toWindows(CLI_BUNDLE)];
  dataWin = `${node.appData.windows}\\Push Install Console`;
  dataUnix = node.paths.toUnix(dataWin);
  console.log(`# build ${buildMs === null ? 'skipped (dist/cli is newer than its sources)' : `${buildMs} ms`}, Wine prefix with Windows Node ${booted - built} ms, lab ${Date.now() - booted} ms`);
});

after(async () => {
  await lab?.close();
  await node?.close();
  if (work) removeDir(work);
});

/** Linux paths (of this machine, the repository, the prefix) that must never show on Windows. */
const linuxPaths = (text: string): string[] => linuxPathsIn(text, [node.wine.prefix]);

/** Nothing on stderr (no warning, no keychain notice, no crash) and no Linux path anywhere. */
function assertCleanOutput(r: WineNodeRun, what: string): void {
  assert.deepEqual(linuxPaths(r.stdout), [], `${what}: stdout names Linux paths`);
  assert.equal(r.stderr, '', `${what}: stderr`);
}

const user = () => `LAB\\${lab.account.user}`;
const target = (address: string) => `${address}:${LAB_PORT}`;

test('pushctl diagnose on Windows Node: both lab hosts reachable, logon, ADMIN$ and the SCM checked', async (t) => {
  const r = await node.run([...pushctl, 'diagnose', target(HEALTHY), target(FAILING), '--user', user(), '--password-env', PASSWORD_ENV, '--json'], { env, timeoutMs: 60_000 });
  t.diagnostic(`pushctl diagnose: ${r.ms} ms`);
  assert.equal(r.status, 0, `exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  const reports = JSON.parse(r.stdout) as { target: string; ok: boolean; reachable: boolean; serverName: string | null; signingRequired: boolean | null; authentication: string; adminShareWritable: boolean | null; scmAccess: boolean | null; errors: unknown[] }[];
  assert.deepEqual(reports.map((x) => x.serverName), ['LAB-PC-001', 'LAB-PC-002']);
  for (const report of reports) {
    assert.deepEqual(report.errors, [], report.target);
    assert.equal(report.ok, true);
    assert.equal(report.signingRequired, true);
    assert.equal(report.adminShareWritable, true);
    assert.equal(report.scmAccess, true);
  }
  assertCleanOutput(r, 'diagnose');
  assert.deepEqual(lab.leftovers(), [], "diagnose's write probe is deleted");
});


test('pushctl push on Windows Node: the healthy host succeeds, the msi-1603 host fails with msi-failed; data in %APPDATA%\\Push Install Console', async (t) => {
  const r = await node.run([...pushctl, 'push', target(HEALTHY), target(FAILING), '--msi', msiWin, '--user', user(), '--password-env', PASSWORD_ENV, '--port', '14601', '--json'], { env, timeoutMs: 90_000 });
  t.diagnostic(`pushctl push --json: ${r.ms} ms`);
  assert.equal(r.status, 1, `one of two failed: exit 1, not ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  const report = JSON.parse(r.stdout) as { taskId: number; targets: JsonTarget[] };
  const byTarget = new Map(report.targets.map((x) => [x.target, x]));
  const healthy = byTarget.get(target(HEALTHY));
  const failing = byTarget.get(target(FAILING));
  assert.equal(healthy?.outcome, 'succeeded', JSON.stringify(healthy, null, 2));
  assert.equal(healthy.errorClass, null);
  const expected = EXPECTED_OUTCOME[FAILING_PROFILE];
  assert.equal(failing?.outcome, expected.outcome, JSON.stringify(failing, null, 2));
  assert.equal(failing.errorClass, expected.errorClass);
  assert.equal(failing.code, expected.code);
  for (const x of report.targets) assert.ok(x.steps.length >= 5, `${x.target}: a step log (${x.steps.length} steps)`);
  assertCleanOutput(r, 'push --json');
  assert.deepEqual(lab.leftovers(), [], 'cleanup removed the agent, its job file and its service');

  // The data folder: %APPDATA%\Push Install Console, with the database, its settings and certificate.
  assert.ok(fs.existsSync(dataUnix), `${dataWin} was created`);
  const files = fs.readdirSync(dataUnix);
  t.diagnostic(`${dataWin}: ${files.join(', ')}`);
  assert.ok(files.includes('console.sqlite3'), `the database is in ${dataWin}: ${files.join(', ')}`);
  assert.equal(fs.readdirSync(node.appData.unix).filter((f) => /push-install-console/i.test(f)).length, 0, 'no second, Linux-style data folder');

  // The database, read by Windows Node's node:sqlite: the task, both targets and their step logs.
  const read = await node.run([
    '-e',
    `const { DatabaseSync } = require('node:sqlite');
     const db = new DatabaseSync(process.argv[1], { readOnly: true });
     const targets = db.prepare('SELECT t.computer_name AS name, t.outcome, t.error_class AS errorClass, (SELECT COUNT(*) FROM step_logs s WHERE s.target_id = t.id) AS steps FROM task_targets t WHERE t.task_id = ? ORDER BY t.id').all(${report.taskId});
     const details = db.prepare('SELECT detail FROM step_logs').all().map((s) => s.detail);
     const packages = db.prepare('SELECT msi_path AS msiPath FROM packages').all();
     console.log(JSON.stringify({ targets, details, packages }));`,
    `${dataWin}\\console.sqlite3`,
  ]);
  assert.equal(read.status, 0, read.stderr);
  const stored = JSON.parse(read.stdout) as { targets: { name: string; outcome: string; errorClass: string | null; steps: number }[]; details: string[]; packages: { msiPath: string }[] };
  assert.deepEqual(
    stored.targets.map((x) => ({ name: x.name, outcome: x.outcome, errorClass: x.errorClass })),
    [
      { name: target(HEALTHY), outcome: 'succeeded', errorClass: null },
      { name: target(FAILING), outcome: expected.outcome, errorClass: expected.errorClass },
    ],
  );
  assert.ok(stored.targets.every((x) => x.steps >= 5), JSON.stringify(stored.targets));
  assert.deepEqual(stored.packages, [{ msiPath: msiWin }], 'the package is kept by its Windows path');
  assert.deepEqual(linuxPaths(stored.details.join('\n')), [], 'the step logs name no Linux path');
});

test('pushctl push without --json on Windows Node: progress and the summary, exit 1, no Linux path', async (t) => {
  const r = await node.run([...pushctl, 'push', target(HEALTHY), target(FAILING), '--msi', msiWin, '--user', user(), '--password-env', PASSWORD_ENV, '--port', '14602'], { env, timeoutMs: 90_000 });
  t.diagnostic(`pushctl push: ${r.ms} ms`);
  assert.equal(r.status, 1, `exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.match(r.stdout, /Package server on port 14602/);
  assert.match(r.stdout, new RegExp(`✓ ${target(HEALTHY).replace(/\./g, '\\.')}: succeeded`));
  assert.match(r.stdout, new RegExp(`✗ ${target(FAILING).replace(/\./g, '\\.')}: failed \\(msi-failed MSI 1603\\)`));
  assertCleanOutput(r, 'push');
  assert.deepEqual(lab.leftovers(), []);
});
