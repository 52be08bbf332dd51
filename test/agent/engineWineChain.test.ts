// The whole push through real pieces (issues #5, #6): the engine copies the native agent and its
// job file to Samba's ADMIN$ (SMB 3.1.1, signing and encryption required), the impacket SCM peer
// creates and starts the service, and its "service process" is the real PushInstallAgent.exe run
// under Wine from that share. The agent calls back to the console's package server, downloads a
// wixl-built MSI with its cfg.xml, installs it with Wine's msiexec as SYSTEM and reports; the
// engine then stops and deletes the service and removes every file it (and the agent) left.
// (Install as the admin account needs Windows: Wine's LogonUserW is a stub, see agent/README.md.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startScmrPeer } from '../support/scmrPeer.js';
import { startEngineFixture } from '../support/engineFixture.js';
import { createWinePrefix } from '../support/wine.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { HELLO_TEXT, MsiBuilder } from './msiFixtures.js';

const EXE = path.join(REPO_ROOT, 'agent', 'dist', 'PushInstallAgent.exe');

/** sh single-quoting. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

test('engine → Samba ADMIN$ → impacket SCM → the real agent under Wine → package server → msiexec: installed, reported, nothing left', { timeout: 300_000 }, async (t) => {
  assert.ok(fs.existsSync(EXE), `${EXE} is missing: bash agent/build.sh builds it (npm test does)`);
  const wine = await createWinePrefix();
  t.after(() => wine.close());
  const work = makeTempDir('pic-chain-');
  t.after(() => removeDir(work));
  const msi = new MsiBuilder(path.join(work, 'msi')).build('good');
  const cfg = path.join(work, 'cfg.xml');
  fs.writeFileSync(cfg, '<?xml version="1.0"?>\n<config product="chain-test"/>\n');

  const peer = await startScmrPeer({ address: '127.0.0.89' });
  t.after(() => peer.stop());
  const share = peer.samba.shareDir('ADMIN$');
  const agentOut = path.join(work, 'agent-output.txt');
  // The SCM peer runs this for StartService: %SystemRoot%\PushInstall\<run>\PushInstallAgent.exe
  // is the same file on the share's folder; the agent finds its job file beside itself.
  const env = ['WINEPREFIX', 'WINEDEBUG', 'WINEDLLOVERRIDES'].map((k) => `export ${k}=${q(wine.env[k] ?? '')};`).join(' ');
  const script = `${env} export DISPLAY=; rel=$(printf '%s' "$PIC_BINARY_PATH" | sed -e 's/^%SystemRoot%\\\\//' -e 's/\\\\/\\//g'); exec wine "${share}/$rel" --console >>${q(agentOut)} 2>&1`;
  peer.setConfig({ startCommand: ['sh', '-c', script] });

  const fx = await startEngineFixture(t, {
    msiPath: msi.file,
    configPath: cfg,
    parameters: 'MARKER=from-the-engine REBOOT=ReallySuppress',
    agentPath: EXE,
    timeouts: { agentCallbackMs: 90_000, installMs: 180_000, pollMs: 250, serviceStopMs: 20_000 },
  });
  const credentialId = fx.runtime.vault.put('peer', peer.users[0]!.name, peer.users[0]!.password);
  const t0 = Date.now();
  const taskId = fx.runtime.engine.submit({
    name: 'chain',
    packageId: fx.packageId,
    options: { runAs: 'system' },
    targets: [{ computerName: 'WINEPC', address: peer.address, port: peer.port, credentialId }],
  });
  await fx.runtime.engine.waitForTask(taskId);
  const [row] = fx.tasks.targetRecords(taskId);
  const log = fx.tasks.log(row!.id);
  const output = fs.existsSync(agentOut) ? fs.readFileSync(agentOut, 'utf8') : '';
  const why = `${row!.error_class}: ${row!.error_message}\n${log.map((s) => `${s.step}: ${s.detail}`).join('\n')}\n--- agent ---\n${output}`;
  assert.equal(row!.outcome, 'succeeded', why);
  assert.equal(row!.exit_code, 0);
  t.diagnostic(`one push through the real chain: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // Installed by Wine's msiexec, with the console's parameters.
  const installed = path.join(wine.driveC, 'Program Files', `PushInstallTest-${msi.variant}`, 'hello.txt');
  assert.equal(fs.readFileSync(installed, 'utf8'), HELLO_TEXT);
  const reg = await wine.run('reg', ['query', `HKLM\\Software\\PushInstallTest\\${msi.variant}`, '/v', 'Marker'], { timeoutMs: 30_000 });
  assert.match(reg.stdout, /Marker\s+REG_SZ\s+from-the-engine/);
  // The MSI verbose log came back with the result, and the agent's own log into the step log.
  assert.ok((row!.msi_log ?? '').length > 1000, 'the MSI log is kept');
  for (const step of ['copy', 'service', 'agent', 'download', 'result', 'cleanup', 'done']) assert.ok(log.some((s) => s.step === step), `step ${step}`);

  // Nothing left: no service on the SCM, no file or folder on ADMIN$, no work folder in the prefix.
  assert.deepEqual(peer.services().map((s) => s.name), []);
  assert.deepEqual(fs.readdirSync(share, { recursive: true }), []);
  const temp = path.join(wine.driveC, 'windows', 'temp');
  assert.deepEqual(fs.existsSync(temp) ? fs.readdirSync(temp).filter((f) => f.startsWith('PushInstall-')) : [], []);
});
