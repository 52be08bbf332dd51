// The whole push through real pieces (issues #5, #6): the engine copies the native agent and its
// job file to Samba's ADMIN$ (SMB 3.1.1, signing and encryption required), the impacket SCM peer
// creates and starts the service, and its "service process" is the real PushInstallAgent.exe run
// under Wine from that share. The agent calls back to the console's package server, downloads a
// wixl-built MSI with its cfg.xml, installs it with Wine's msiexec as SYSTEM and reports; the
// engine then stops and deletes the service and removes every file it (and the agent) left.
// (Install as the admin account needs Windows: Wine's LogonUserW is a stub, see agent/README.md.)
// The same chain with the SMB transport: the package copied beside the agent, its result read
// back from its files, with no package server at all.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startScmrPeer } from '../support/scmrPeer.js';
import { startEngineFixture } from '../support/engineFixture.js';
import type { Settings } from '../../main/ipc/contract.js';
import { createWinePrefix } from '../support/wine.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { HELLO_TEXT, MsiBuilder } from './msiFixtures.js';

const EXE = path.join(REPO_ROOT, 'agent', 'dist', 'PushInstallAgent.exe');

/** sh single-quoting. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** One push of a wixl MSI with a property through the real chain, by the given transport; what the test checks after it. */
async function chain(t: TestContext, transport: 'callback' | 'smb' | 'auto', address: string, settings: Partial<Settings> = {}) {
  assert.ok(fs.existsSync(EXE), `${EXE} is missing: bash agent/build.sh builds it (npm test does)`);
  const wine = await createWinePrefix();
  t.after(() => wine.close());
  const work = makeTempDir('pic-chain-');
  t.after(() => removeDir(work));
  const msi = new MsiBuilder(path.join(work, 'msi')).build('good');
  const cfg = path.join(work, 'cfg.xml');
  fs.writeFileSync(cfg, '<?xml version="1.0"?>\n<config product="chain-test"/>\n');

  const peer = await startScmrPeer({ address });
  t.after(() => peer.stop());
  const share = peer.samba.shareDir('ADMIN$');
  const agentOut = path.join(work, 'agent-output.txt');
  // The SCM peer runs this for StartService: %SystemRoot%\PushInstall\<run>\PushInstallAgent.exe
  // is the same file on the share's folder; the agent finds its job file (and with smb its package) beside itself.
  const env = ['WINEPREFIX', 'WINEDEBUG', 'WINEDLLOVERRIDES'].map((k) => `export ${k}=${q(wine.env[k] ?? '')};`).join(' ');
  const script = `${env} export DISPLAY=; rel=$(printf '%s' "$PIC_BINARY_PATH" | sed -e 's/^%SystemRoot%\\\\//' -e 's/\\\\/\\//g'); exec wine "${share}/$rel" --console >>${q(agentOut)} 2>&1`;
  peer.setConfig({ startCommand: ['sh', '-c', script] });

  const fx = await startEngineFixture(t, {
    msiPath: msi.file,
    configPath: cfg,
    parameters: 'MARKER=from-the-engine REBOOT=ReallySuppress',
    agentPath: EXE,
    timeouts: { agentCallbackMs: 90_000, installMs: 180_000, pollMs: 250, serviceStopMs: 20_000 },
    // smb: the package server is not even started.
    packageServer: transport === 'smb' ? 'when-needed' : 'at-start',
    settings,
  });
  const credentialId = fx.runtime.vault.put('peer', peer.users[0]!.name, peer.users[0]!.password);
  const t0 = Date.now();
  const taskId = fx.runtime.engine.submit({
    name: 'chain',
    packageId: fx.packageId,
    options: { runAs: 'system', transport },
    targets: [{ computerName: 'WINEPC', address: peer.address, port: peer.port, credentialId }],
  });
  await fx.runtime.engine.waitForTask(taskId);
  const [row] = fx.tasks.targetRecords(taskId);
  const log = fx.tasks.log(row!.id);
  const output = fs.existsSync(agentOut) ? fs.readFileSync(agentOut, 'utf8') : '';
  const why = `${row!.error_class}: ${row!.error_message}\n${log.map((s) => `${s.step}: ${s.detail}`).join('\n')}\n--- agent ---\n${output}`;
  assert.equal(row!.outcome, 'succeeded', why);
  assert.equal(row!.exit_code, 0);
  assert.equal(row!.transport, transport === 'auto' ? 'smb' : transport);
  t.diagnostic(`one push through the real chain (${transport}): ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // Installed by Wine's msiexec, with the console's parameters.
  const installed = path.join(wine.driveC, 'Program Files', `PushInstallTest-${msi.variant}`, 'hello.txt');
  assert.equal(fs.readFileSync(installed, 'utf8'), HELLO_TEXT);
  const reg = await wine.run('reg', ['query', `HKLM\\Software\\PushInstallTest\\${msi.variant}`, '/v', 'Marker'], { timeoutMs: 30_000 });
  assert.match(reg.stdout, /Marker\s+REG_SZ\s+from-the-engine/);
  // The MSI verbose log came back with the result.
  assert.ok((row!.msi_log ?? '').length > 1000, 'the MSI log is kept');

  // Nothing left: no service on the SCM, no file or folder on ADMIN$, no work folder in the prefix.
  assert.deepEqual(peer.services().map((s) => s.name), []);
  assert.deepEqual(fs.readdirSync(share, { recursive: true }), []);
  const temp = path.join(wine.driveC, 'windows', 'temp');
  assert.deepEqual(fs.existsSync(temp) ? fs.readdirSync(temp).filter((f) => f.startsWith('PushInstall-')) : [], []);
  return { fx, log, output };
}

test('engine → Samba ADMIN$ → impacket SCM → the real agent under Wine → package server → msiexec: installed, reported, nothing left', { timeout: 300_000 }, async (t) => {
  const { log } = await chain(t, 'callback', '127.0.0.89');
  for (const step of ['copy', 'service', 'agent', 'download', 'result', 'cleanup', 'done']) assert.ok(log.some((s) => s.step === step), `step ${step}`);
});

test('--transport smb through the same chain: the package copied to Samba\'s ADMIN$, verified and installed by the real agent from there, its result read from its files, nothing left — and no package server started', { timeout: 300_000 }, async (t) => {
  const { fx, log, output } = await chain(t, 'smb', '127.0.0.89');
  assert.equal(fx.runtime.server, null, 'no package server: no TCP port opened on the console');
  assert.ok(log.some((s) => s.step === 'copy' && /package copied to ADMIN\$\\PushInstall\\.*\\package\\ \(2 files/.test(s.detail)), 'the MSI and cfg.xml were copied');
  // --console: the agent's log is its stderr (agentOut), not <exe>.log.
  assert.match(output, /SHA-256 [0-9a-f]{64} verified in the package folder/, 'the agent verified the copy (its own log)');
  assert.ok(!log.some((s) => s.step === 'download' || s.step === 'package-server'), 'nothing went over the callback');
  assert.doesNotMatch(output + log.map((s) => s.detail).join('\n'), /GET \/v1\/job|POST \/v1\/result/, 'the agent made no request to a console');
});

test('auto through the same chain with the callback refused: the real agent gives up on the console, says it waits, and installs the package the console then copies — one service start', { timeout: 300_000 }, async (t) => {
  // The agent is told to call back to an address nothing listens on (the firewall that blocks 2224).
  const { log, output } = await chain(t, 'auto', '127.0.0.89', { callbackAddress: '127.0.196.9' });
  assert.match(log.find((s) => s.step === 'transport')?.detail ?? '', /could not reach the console on any callback address and waits for its package/);
  assert.equal(log.filter((s) => s.step === 'service' && /service running|stopped at once/.test(s.detail)).length, 1, 'the agent was started once: it waited for its package');
  assert.match(output, /the package manifest arrived: going on as with transport=smb/, 'the waiting agent went on with the package');
  assert.match(output, /SHA-256 [0-9a-f]{64} verified in the package folder/, 'and verified it');
});
