// The whole push with Kerberos, end to end: the engine (and pushctl) logs on to a real Active
// Directory domain controller — Samba's AD DC on 127.0.204.20 (test/support/sambaAdDc.ts), SMB with
// signing required — with a ticket for cifs/dc1.push.test from its KDC, copies the native agent to
// the DC's ADMIN$, and opens \pipe\svcctl there, which the DC (svcctlSocket) hands to the impacket
// SCM peer. The peer's "service process" is the real PushInstallAgent.exe run under Wine from the
// DC's ADMIN$ folder; with the SMB transport it installs the wixl-built MSI copied beside it and
// leaves its result there. Then the service is stopped and deleted and every file removed, as in
// test/agent/engineWineChain.test.ts — there against smbd with NTLM, here against the DC with Kerberos.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startSambaAdDc, type SambaAdDc } from '../support/sambaAdDc.js';
import { startScmrPeerOnSocket, type ScmrPeerProcess } from '../support/scmrPeer.js';
import { startEngineFixture } from '../support/engineFixture.js';
import { createWinePrefix, type WinePrefix } from '../support/wine.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { HELLO_TEXT, MsiBuilder, type BuiltMsi } from './msiFixtures.js';
import type { Settings } from '../../main/ipc/contract.js';
import type { JsonTarget } from '../../main/cli/push.js';

const ADDRESS = '127.0.204.20';
const USER = 'PUSH\\pushadmin';
const PASSWORD = 'Push-Pa55word!';
const EXE = path.join(REPO_ROOT, 'agent', 'dist', 'PushInstallAgent.exe');
const KERBEROS: Partial<Settings> = { authentication: 'kerberos-only', kdcAddresses: ADDRESS, kerberosRealms: 'PUSH=PUSH.TEST' };

/** sh single-quoting. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

let dc: SambaAdDc;
let peer: ScmrPeerProcess;
let wine: WinePrefix;
let work: string;
let msis: MsiBuilder;
let agentOut: string;
/** The test MSI's CopyConfig action copies the cfg.xml found beside it (msiFixtures). */
let cfg: string;

before(async () => {
  assert.ok(fs.existsSync(EXE), `${EXE} is missing: bash agent/build.sh builds it (npm test does)`);
  work = makeTempDir('pic-kerberos-push-');
  msis = new MsiBuilder(path.join(work, 'msi'));
  agentOut = path.join(work, 'agent-output.txt');
  cfg = path.join(work, 'cfg.xml');
  fs.writeFileSync(cfg, '<?xml version="1.0"?>\n<config product="kerberos-push"/>\n');
  dc = await startSambaAdDc({ address: ADDRESS, svcctlSocket: true });
  peer = await startScmrPeerOnSocket({ socketPath: dc.svcctlSocketPath!, domainName: dc.domain, moreLogs: () => dc.logs().slice(-20_000) });
  wine = await createWinePrefix();
  // StartService runs %SystemRoot%\PushInstall\<run>\PushInstallAgent.exe from the DC's ADMIN$
  // folder under Wine; the agent finds its job file and its package beside itself.
  const share = dc.shareDir('ADMIN$');
  const env = ['WINEPREFIX', 'WINEDEBUG', 'WINEDLLOVERRIDES'].map((k) => `export ${k}=${q(wine.env[k] ?? '')};`).join(' ');
  const script = `${env} export DISPLAY=; rel=$(printf '%s' "$PIC_BINARY_PATH" | sed -e 's/^%SystemRoot%\\\\//' -e 's/\\\\/\\//g'); exec wine ${q(share)}"/$rel" --console >>${q(agentOut)} 2>&1`;
  peer.setConfig({ startCommand: ['sh', '-c', script] });
});

after(async () => {
  // Each stopped by PID even when the one before fails.
  await peer?.stop().catch(() => undefined);
  await wine?.close().catch(() => undefined);
  await dc?.stop();
  if (work) removeDir(work);
});

const ops = () => peer.calls().map((c) => c.op);
const adminShare = () => fs.readdirSync(dc.shareDir('ADMIN$'), { recursive: true }).map(String);
const agentOutput = () => (fs.existsSync(agentOut) ? fs.readFileSync(agentOut, 'utf8') : '');

/** The product the agent installed with Wine's msiexec. */
function assertInstalled(msi: BuiltMsi): void {
  const installed = path.join(wine.driveC, 'Program Files', `PushInstallTest-${msi.variant}`, 'hello.txt');
  assert.equal(fs.readFileSync(installed, 'utf8'), HELLO_TEXT, `${msi.variant} installed`);
}

/** The service created, started, stopped and deleted on the peer since `from` calls; nothing left on the SCM or ADMIN$. */
function assertCleanChain(from: number): void {
  const since = ops().slice(from);
  for (const op of ['ROpenSCManagerW', 'RCreateServiceW', 'RStartServiceW', 'RDeleteService']) assert.ok(since.includes(op), `${op} in the peer's journal: ${since.join(', ')}`);
  assert.deepEqual(peer.services().map((s) => s.name), [], 'no service left on the SCM');
  assert.deepEqual(adminShare(), [], 'nothing left in the DC\'s ADMIN$ folder');
}

async function kerberosEngine(t: TestContext, msi: BuiltMsi) {
  return startEngineFixture(t, {
    msiPath: msi.file,
    configPath: cfg,
    parameters: 'REBOOT=ReallySuppress',
    agentPath: EXE,
    timeouts: { agentCallbackMs: 90_000, installMs: 180_000, pollMs: 250, serviceStopMs: 20_000 },
    packageServer: 'when-needed',
    settings: KERBEROS,
  });
}

test('kerberos-only push to dc1.push.test (connected at its address, ticket for cifs/dc1.push.test): the agent under Wine installs the MSI over the SMB transport, auth_mechanism kerberos, the service created and deleted, ADMIN$ empty', { timeout: 300_000 }, async (t) => {
  const msi = msis.build('good');
  const fx = await kerberosEngine(t, msi);
  const credentialId = fx.runtime.vault.put('domain admin', USER, PASSWORD);
  const from = ops().length;
  const t0 = Date.now();
  const taskId = fx.runtime.engine.submit({
    name: 'kerberos',
    packageId: fx.packageId,
    options: { runAs: 'system', transport: 'smb' },
    targets: [{ computerName: dc.dcHostName, address: ADDRESS, port: null, credentialId }],
  });
  await fx.runtime.engine.waitForTask(taskId);
  const [row] = fx.tasks.targetRecords(taskId);
  const log = fx.tasks.log(row!.id);
  const why = `${row!.error_class}: ${row!.error_message}\n${log.map((s) => `${s.step}: ${s.detail}`).join('\n')}\n--- agent ---\n${agentOutput()}\n--- MSI log ---\n${(row!.msi_log ?? '').slice(0, 8000)}\n${peer.logs().slice(-6000)}`;
  assert.equal(row!.outcome, 'succeeded', why);
  assert.equal(row!.exit_code, 0, why);
  assert.equal(row!.transport, 'smb');
  assert.equal(row!.auth_mechanism, 'kerberos', why);
  t.diagnostic(`one Kerberos push through DC + peer + Wine agent: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const logon = log.filter((s) => s.step === 'logon').map((s) => s.detail);
  assert.ok(logon.some((d) => /as PUSH\\pushadmin with Kerberos; signing required/.test(d)), `a Kerberos logon step: ${logon.join(' | ')}`);
  assert.ok(!logon.some((d) => /NTLM/.test(d)), 'no NTLM fallback');
  assert.match(dc.logs(), /TGS-REQ pushadmin@PUSH\.TEST .*for cifs\/dc1\.push\.test@PUSH\.TEST/i, 'the DC issued the ticket for the computer\'s name, not its address');
  assertInstalled(msi);
  assertCleanChain(from);
});

test('pushctl push dc1.push.test --auth kerberos-only --kdc --realm --transport smb --json (the name resolved by PUSHCONSOLE_HOSTS): succeeded with authMechanism kerberos, installed by the agent under Wine, nothing left', { timeout: 300_000 }, async (t) => {
  const msi = msis.build('good');
  const data = path.join(work, 'pushctl-data');
  const from = ops().length;
  const args = ['--import', 'tsx', 'main/cli/entry.ts', '--data', data, 'push', dc.dcHostName, '--msi', msi.file, '--config', cfg, '--params', 'REBOOT=ReallySuppress',
    '--user', USER, '--password-env', 'PIC_KRB_PASSWORD', '--auth', 'kerberos-only', '--kdc', ADDRESS, '--realm', 'PUSH=PUSH.TEST', '--transport', 'smb', '--json'];
  const t0 = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, PIC_KRB_PASSWORD: PASSWORD, PUSHCONSOLE_HOSTS: `${dc.dcHostName}=${ADDRESS}`, PUSHCONSOLE_AGENT: EXE, PUSHCONSOLE_KEYCHAIN: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const why = `exit ${code}\n${stdout}\n${stderr}\n--- agent ---\n${agentOutput().slice(-4000)}`;
  const doc = JSON.parse(stdout) as { targets: (JsonTarget & { steps: { step: string; detail: string }[] })[] };
  const [target] = doc.targets;
  assert.equal(target!.outcome, 'succeeded', why);
  assert.equal(code, 0, why);
  assert.equal(target!.authMechanism, 'kerberos');
  assert.equal(target!.transport, 'smb');
  assert.ok(target!.steps.some((s) => s.step === 'logon' && /with Kerberos/.test(s.detail)), why);
  assert.ok(!stdout.includes(PASSWORD) && !stderr.includes(PASSWORD), 'the password is in no output');
  t.diagnostic(`pushctl push with Kerberos through the chain: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assertInstalled(msi);
  assertCleanChain(from);
});

test('kerberos-only push to the DC named by its address only: kerberos-no-spn with the DNS-name advice, before any file is copied or SCM call made', { timeout: 60_000 }, async (t) => {
  const fx = await kerberosEngine(t, msis.build('good'));
  const credentialId = fx.runtime.vault.put('domain admin', USER, PASSWORD);
  const from = ops().length;
  const taskId = fx.runtime.engine.submit({
    name: 'by address',
    packageId: fx.packageId,
    options: { runAs: 'system', transport: 'smb' },
    targets: [{ computerName: ADDRESS, address: ADDRESS, port: null, credentialId }],
  });
  await fx.runtime.engine.waitForTask(taskId);
  const [row] = fx.tasks.targetRecords(taskId);
  const steps = fx.tasks.log(row!.id);
  const why = `${row!.error_class}: ${row!.error_message}\n${steps.map((s) => `${s.step}: ${s.detail}`).join('\n')}`;
  assert.equal(row!.outcome, 'failed', why);
  assert.equal(row!.error_class, 'kerberos-no-spn', why);
  assert.match(row!.advice ?? '', /DNS name/);
  assert.equal(row!.auth_mechanism, null, 'no logon succeeded');
  assert.ok(!steps.some((s) => s.step === 'copy' || s.step === 'service'), `nothing copied, no service: ${why}`);
  assert.deepEqual(ops().slice(from), [], 'no SCM call');
  assert.deepEqual(adminShare(), []);
});
