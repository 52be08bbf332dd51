// The console's own process on Windows against a real SMB server: the built pushctl
// (dist/cli/pushctl.js) runs on Windows Node under Wine against Samba's smbd
// (test/support/samba.ts) and the impacket SCM peer behind a second smbd (test/support/scmrPeer.ts),
// and the same commands run on Linux Node against the same peers in the same test — each run must
// end as the other does. `diagnose`: reachable, SMB 3.1.1, signing, logon, ADMIN$ writable, the SCM
// (the JSON reports compared whole); `push` as engineScmrPeer's (an agent service that exits 12,
// and a refused port): outcome, error class and code per target compared, the SCM peer's service
// table and ADMIN$ empty after each. Nothing the Windows run prints names a Linux path.
//
// Addresses and ports (shared machine): 127.0.195.0/24, TCP 14660-14679 only —
// 127.0.195.1:14660 smbd, 127.0.195.2:14661 the SCM peer's smbd, 127.0.195.9:14679 refused
// (nothing listens), 14662 / 14663 the package server of the Windows / Linux push.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/childProcess.js';
import { CLI_BUNDLE, ensurePushctlBundle, linuxPathsIn } from '../support/pushctlBundle.js';
import { startSamba, type SambaServer } from '../support/samba.js';
import { startScmrPeer, type ScmrPeer } from '../support/scmrPeer.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { createWineNode, type WineNode, type WineNodeRun } from '../support/wineNode.js';
import type { JsonTarget } from '../../main/cli/push.js';
import type { DiagnoseReport } from '../../main/engine/diagnose.js';

const SAMBA_ADDRESS = '127.0.195.1';
const SAMBA_PORT = 14660;
const PEER_ADDRESS = '127.0.195.2';
const PEER_PORT = 14661;
const REFUSED = '127.0.195.9:14679';
const WINDOWS_PACKAGE_PORT = 14662;
const LINUX_PACKAGE_PORT = 14663;
const PASSWORD_ENV = 'PIC_SAMBA_PASSWORD';
const DEMO_MSI = path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi');
/** The "agent" the SCM peer runs: exits 12 (the agent's certificate code) after 0.2 s, as engineScmrPeer's pushctl case. */
const AGENT_EXITS_12 = ['sh', '-c', 'sleep 0.2; exit 12'];

let node: WineNode | undefined;
let samba: SambaServer | undefined;
let peer: ScmrPeer | undefined;
let work = '';
/** Linux pushctl runs still going (killed by PID in after(), even when a test failed). */
const linuxRuns = new Set<ChildProcess>();

/** What both sides need, set in before(). */
let ctx: {
  node: WineNode;
  samba: SambaServer;
  peer: ScmrPeer;
  user: string;
  password: string;
  /** pushctl's argv head on Windows Node: the bundle seen through Z:. */
  pushctlWin: string[];
  winEnv: Record<string, string>;
  msiWin: string;
  linuxData: string;
  linuxEnv: NodeJS.ProcessEnv;
  msiLinux: string;
};

before(async () => {
  const t0 = Date.now();
  work = makeTempDir('pic-winsmb-');
  const buildMs = ensurePushctlBundle();
  const built = Date.now();
  // The Wine prefix (~10 s) and the two smbd boot side by side. Each is kept as soon as it is up,
  // so after() stops whatever started even when another failed; the first failure fails the file.
  const timings: Record<string, number> = {};
  const timed = <T>(what: string, start: () => Promise<T>, keep: (value: T) => void) =>
    start().then((value) => {
      keep(value);
      timings[what] = Date.now() - built;
    });
  const started = await Promise.allSettled([
    timed('Wine prefix with Windows Node', () => createWineNode(), (v) => (node = v)),
    timed('smbd', () => startSamba({ address: SAMBA_ADDRESS, port: SAMBA_PORT, maxProtocol: 'SMB3_11', signing: 'mandatory' }), (v) => (samba = v)),
    timed('SCM peer', () => startScmrPeer({ address: PEER_ADDRESS, samba: { port: PEER_PORT }, config: { startCommand: AGENT_EXITS_12 } }), (v) => (peer = v)),
  ]);
  const failed = started.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed.length > 0) throw new Error(`could not start the peers:\n${failed.map((f) => String((f.reason as Error)?.stack ?? f.reason)).join('\n')}`);
  assert.ok(node && samba && peer);
  const user = samba.users[0]!;
  assert.deepEqual(peer.users[0], user, 'one account on both servers');

  // The package and the agent on the Windows side, as an admin would have them; the same on Linux.
  const packages = path.join(node.wine.driveC, 'packages');
  fs.mkdirSync(packages);
  fs.copyFileSync(DEMO_MSI, path.join(packages, 'PushInstallDemo.msi'));
  const agentBytes = crypto.randomBytes(32 * 1024);
  fs.writeFileSync(path.join(packages, 'PushInstallAgent.exe'), agentBytes);
  const linuxPackages = path.join(work, 'packages');
  fs.mkdirSync(linuxPackages);
  fs.copyFileSync(DEMO_MSI, path.join(linuxPackages, 'PushInstallDemo.msi'));
  fs.writeFileSync(path.join(linuxPackages, 'PushInstallAgent.exe'), agentBytes);

  const common = { [PASSWORD_ENV]: user.password, PUSHCONSOLE_KEYCHAIN: 'off' };
  const linuxEnv: NodeJS.ProcessEnv = { ...process.env, ...common, PUSHCONSOLE_AGENT: path.join(linuxPackages, 'PushInstallAgent.exe') };
  delete linuxEnv.PUSHCONSOLE_DATA_DIR;
  delete linuxEnv.NODE_TEST_CONTEXT;
  ctx = {
    node,
    samba,
    peer,
    user: user.name,
    password: user.password,
    pushctlWin: [node.paths.toWindows(CLI_BUNDLE)],
    winEnv: { ...common, PUSHCONSOLE_AGENT: node.paths.toWindows(path.join(packages, 'PushInstallAgent.exe')) },
    msiWin: node.paths.toWindows(path.join(packages, 'PushInstallDemo.msi')),
    linuxData: path.join(work, 'linux-data'),
    linuxEnv,
    msiLinux: path.join(linuxPackages, 'PushInstallDemo.msi'),
  };
  console.log(
    `# build ${buildMs === null ? 'skipped (dist/cli is newer than its sources)' : `${buildMs} ms`}; ready after ${Date.now() - t0} ms (${Object.entries(timings)
      .map(([k, v]) => `${k} ${v} ms`)
      .join(', ')})`,
  );
});

after(async () => {
  for (const child of linuxRuns) killPid(child.pid);
  // Each stopped even when another throws; the first error is reported.
  const stops = await Promise.allSettled([node?.close(), peer?.stop(), samba?.stop()]);
  if (work) removeDir(work);
  const failed = stops.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
});

function killPid(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

interface LinuxRun {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The same bundle on this (Linux) Node, to its end; killed by PID after timeoutMs. */
function runLinux(args: readonly string[], timeoutMs = 60_000): Promise<LinuxRun> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [CLI_BUNDLE, '--data', ctx.linuxData, ...args], { cwd: REPO_ROOT, env: ctx.linuxEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  linuxRuns.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killPid(child.pid);
      reject(new Error(`Linux pushctl ${args.join(' ')}: still running after ${timeoutMs} ms (killed)\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      linuxRuns.delete(child);
      reject(e);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      linuxRuns.delete(child);
      resolve({ status, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

const show = (r: { status: number | null; stdout: string; stderr: string }) => `exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

/** Nothing on stderr (no warning, no keychain notice, no crash) and no Linux path on stdout. */
function assertCleanOutput(r: WineNodeRun, what: string): void {
  assert.deepEqual(linuxPathsIn(r.stdout, [ctx.node.wine.prefix]), [], `${what}: stdout names Linux paths`);
  assert.equal(r.stderr, '', `${what}: stderr`);
}

/** Files left on a server's ADMIN$ (the diagnose probe, the agent, the package, the job). */
function adminShareFiles(server: SambaServer): string[] {
  return fs.readdirSync(server.shareDir('ADMIN$'), { recursive: true }).map(String);
}

/** The peer shows no service (it removes a deleted one once its last handle closes) and ADMIN$ is empty. */
async function assertPeerClean(what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (ctx.peer.services().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(ctx.peer.services().map((s) => s.name), [], `${what}: no service left on the peer`);
  assert.deepEqual(adminShareFiles(ctx.peer.samba), [], `${what}: nothing left on the peer's ADMIN$`);
}


test('pushctl diagnose on Windows Node against smbd and the SCM peer: the same report as on Linux Node (SMB 3.1.1, signing, logon, ADMIN$ writable)', async (t) => {
  const targets = [`${SAMBA_ADDRESS}:${SAMBA_PORT}`, `${PEER_ADDRESS}:${PEER_PORT}`];
  const args = ['diagnose', ...targets, '--user', ctx.user, '--password-env', PASSWORD_ENV, '--json'];
  const win = await ctx.node.run([...ctx.pushctlWin, ...args], { env: ctx.winEnv, timeoutMs: 60_000 });
  const linux = await runLinux(args);
  t.diagnostic(`pushctl diagnose: Windows ${win.ms} ms, Linux ${linux.ms} ms`);
  assert.equal(linux.stderr, '', `Linux run: ${show(linux)}`);
  const winReports = JSON.parse(win.stdout) as DiagnoseReport[];
  const linuxReports = JSON.parse(linux.stdout) as DiagnoseReport[];
  t.diagnostic(`Windows: ${JSON.stringify(winReports.map(summary))}`);
  t.diagnostic(`Linux:   ${JSON.stringify(linuxReports.map(summary))}`);

  // The report has no time in it (no duration, no timestamp): Windows and Linux must agree on all of it.
  assert.deepEqual(winReports, linuxReports, `the Windows report is the Linux one\nWindows ${show(win)}\nLinux ${show(linux)}`);
  assert.equal(win.status, linux.status, 'the same exit code');

  // And what the servers are: SMB 3.1.1 with signing required, the account logs on, ADMIN$ writable.
  const [plain, scm] = winReports;
  for (const r of [plain!, scm!]) {
    assert.equal(r.reachable, true, r.target);
    assert.equal(r.dialect, '3.1.1', r.target);
    assert.equal(r.signingRequired, true, r.target);
    assert.equal(r.authentication, 'ok', r.target);
    assert.equal(r.adminShareWritable, true, r.target);
  }
  // Plain smbd serves \pipe\svcctl itself (samba-dcerpcd) and refuses SC_MANAGER_CREATE_SERVICE to
  // a non-root account: its one failed check, on both sides, is the SCM (exit 1).
  assert.deepEqual(plain!.errors.map((e) => e.step), ['scm-access'], JSON.stringify(plain!.errors));
  assert.equal(plain!.serverName, 'PICSMB1');
  assert.equal(scm!.serverName, 'PICSMB2');
  assert.equal(scm!.sessionEncrypted, true, 'the SCM peer requires encryption');
  assert.equal(scm!.scmAccess, true, "the SCM peer's OpenSCManager grants SC_MANAGER_CREATE_SERVICE");
  assert.deepEqual(scm!.errors, []);
  assert.equal(scm!.ok, true);
  assertCleanOutput(win, 'diagnose');
  assert.deepEqual(adminShareFiles(ctx.samba), [], "diagnose's write probe is deleted (smbd)");
  assert.deepEqual(adminShareFiles(ctx.peer.samba), [], "diagnose's write probe is deleted (SCM peer)");
});

function summary(r: DiagnoseReport): string {
  return `${r.target} ${r.reachable ? 'reachable' : 'unreachable'} SMB ${r.dialect} signing ${r.signingRequired} cipher ${r.cipher} encrypted ${r.sessionEncrypted} auth ${r.authentication} ADMIN$ ${r.adminShareWritable} SCM ${r.scmAccess}${r.errors.map((e) => ` ✗ ${e.step}:${e.class}${e.code ? `[${e.code}]` : ''}`).join('')}`;
}


/** What a target's end is, without its times or its step details (the run id, the paths). */
const end = (x: JsonTarget) => ({ target: x.target, outcome: x.outcome, errorClass: x.errorClass, code: x.code, exitCode: x.exitCode, rebootRequired: x.rebootRequired, leftovers: x.leftovers });

/** A target's step log without what differs from run to run: the run id, the service name, the package port, times. */
function comparableSteps(x: JsonTarget): string[] {
  return x.steps
    .filter((s) => s.step !== 'probe' && s.step !== 'service')
    .map((s) =>
      `${s.step} | ${s.detail} | ${s.code ?? ''}`
        .replace(/PushInstallAgent-r[0-9a-f]+-[0-9a-f]+/g, '<service>')
        .replace(/\br\d+-\d+-\d+-[0-9a-f]+\b/g, '<run>')
        .replace(new RegExp(`:(${WINDOWS_PACKAGE_PORT}|${LINUX_PACKAGE_PORT})\\b`, 'g'), ':<package port>')
        .replace(/\b\d+(\.\d+)? (ms|s)\b/g, '<time>'),
    );
}

test('pushctl push on Windows Node to the SCM peer and a refused port: each target ends as on Linux Node (agent exit 12 → agent-certificate; port-blocked), cleaned up', async (t) => {
  const targets = [`${PEER_ADDRESS}:${PEER_PORT}`, REFUSED];
  const args = (msi: string, port: number) => ['push', ...targets, '--msi', msi, '--user', ctx.user, '--password-env', PASSWORD_ENV, '--port', String(port), '--json'];
  ctx.peer.setConfig({ startCommand: AGENT_EXITS_12 });

  const callsBefore = ctx.peer.calls().length;
  const win = await ctx.node.run([...ctx.pushctlWin, ...args(ctx.msiWin, WINDOWS_PACKAGE_PORT)], { env: ctx.winEnv, timeoutMs: 90_000 });
  const winOps = new Set(ctx.peer.calls().slice(callsBefore).map((c) => c.op));
  await assertPeerClean('after the Windows push');

  const callsBetween = ctx.peer.calls().length;
  const linux = await runLinux(args(ctx.msiLinux, LINUX_PACKAGE_PORT), 90_000);
  const linuxOps = new Set(ctx.peer.calls().slice(callsBetween).map((c) => c.op));
  await assertPeerClean('after the Linux push');
  t.diagnostic(`pushctl push --json: Windows ${win.ms} ms, Linux ${linux.ms} ms`);

  assert.equal(win.status, 1, `Windows: one target failed → exit 1\n${show(win)}`);
  assert.equal(linux.status, 1, `Linux: one target failed → exit 1\n${show(linux)}`);
  assert.equal(linux.stderr, '', `Linux run: ${show(linux)}`);
  const winTargets = (JSON.parse(win.stdout) as { targets: JsonTarget[] }).targets;
  const linuxTargets = (JSON.parse(linux.stdout) as { targets: JsonTarget[] }).targets;
  t.diagnostic(`Windows: ${JSON.stringify(winTargets.map(end))}`);
  t.diagnostic(`Linux:   ${JSON.stringify(linuxTargets.map(end))}`);
  assert.deepEqual(winTargets.map(end), linuxTargets.map(end), 'each target ends on Windows as on Linux');

  const [reached, refused] = winTargets;
  assert.equal(reached!.outcome, 'failed');
  assert.equal(reached!.errorClass, 'agent-certificate', JSON.stringify(reached, null, 2));
  assert.equal(reached!.code, 'AGENT 12');
  assert.equal(refused!.outcome, 'failed');
  assert.equal(refused!.errorClass, 'port-blocked', JSON.stringify(refused, null, 2));

  // The same step log — up to the run id, the service name, the package server's port and times —
  // and the peer saw the same SCM calls from both. (Not compared line by line: the probe's and the
  // service's lines, whose wording and number follow timing, not the platform.)
  for (const [i, w] of winTargets.entries()) {
    const l = linuxTargets[i]!;
    assert.deepEqual([...new Set(w.steps.map((s) => s.step))].sort(), [...new Set(l.steps.map((s) => s.step))].sort(), `${w.target}: the same kinds of step`);
    assert.deepEqual(comparableSteps(w), comparableSteps(l), `${w.target}: the same step log`);
  }
  for (const step of ['probe', 'logon', 'copy', 'job', 'service', 'cleanup']) assert.ok(reached!.steps.some((s) => s.step === step), `step ${step} logged on Windows`);
  assert.deepEqual([...winOps].sort(), [...linuxOps].sort(), 'the same SCM calls');
  for (const op of ['ROpenSCManagerW', 'RCreateServiceW', 'RStartServiceW', 'RDeleteService']) assert.ok(winOps.has(op), `${op} from Windows: ${[...winOps].join(', ')}`);

  assertCleanOutput(win, 'push --json');
  assert.ok(!win.stdout.includes(ctx.password), 'the password is not in the output');
});
