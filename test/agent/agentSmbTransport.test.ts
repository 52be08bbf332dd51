// The agent's SMB transport under Wine (agent/README.md "Transports"): no callback port. The job
// file says transport=smb or transport=auto; the console copies the package into
// C:\windows\PushInstall\<run>\package\ and writes the manifest <exe>.pkg (the body GET /v1/job
// answers); the REAL agent, run as a real service, verifies every file's SHA-256 where it lies,
// installs a REAL wixl-built MSI from there with Wine's msiexec, and writes <exe>.progress and
// <exe>.result (each written whole, then renamed). With auto it tries the console first and, when
// none answers, waits for the manifest. First, the agent's job file parser (agent/src/jobfile.c,
// built with mingw-w64 and run under Wine) is held against the console's parseJobFile
// (main/server/jobFile.ts) case by case: the same verdicts, the same wording.
// Needs wine, wine64, wixl and mingw-w64, and the built agent (bash agent/build.sh); fails loudly
// without them. Addresses: loopback only, 127.0.196.0/24.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { encodeJobFile, JobFileError, parseJobFile, type AgentJob } from '../../main/server/jobFile.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { prng } from '../support/prng.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { createWinePrefix, requireTools, type WinePrefix } from '../support/wine.js';
import { AGENT_EXE, buildConfigPropertyMsi, placeLocalPackage, placeTransportAgent, runServiceToStop, type LocalPackageFile, type TransportAgent } from './agentHarness.js';

const HELLO = 'installed from the package beside the agent\r\n';
const SILENT_HOST = '127.0.196.1';
/** What only the callback transport logs: requests to the console, WinHTTP, the pin count. */
const CONSOLE_TRAFFIC = /GET \/v1|POST \/v1|WinHTTP|requests sent to the console|posting result|job: console \d/;

// ---- the job file parser: the agent's against the console's --------------------------------------

/** The verdict in the driver's form (agent/test/jobfile_driver.c). */
function consoleVerdict(data: Buffer): string {
  try {
    const j = parseJobFile(data);
    const consoles = j.consoles.map((c) => `${c.host}:${c.port}`).join(',');
    return `OK transport=${j.transport ?? 'callback'} wait=${j.waitSeconds ?? 0} consoles=${consoles} fingerprint=${j.fingerprint} token=${j.token} run=${j.runId} package=${j.packageId} size=${j.size} sha256=${j.sha256}`;
  } catch (error) {
    if (!(error instanceof JobFileError)) throw error;
    return `ERR ${Buffer.from(error.message, 'utf8').toString('hex')}`;
  }
}

/** Job files around every rule, the transports' above all, then seeded random mutations of them. */
function jobCorpus(): Buffer[] {
  const callback: AgentJob = {
    consoles: [{ host: '127.0.196.7', port: 2224 }, { host: 'fe80::1', port: 1 }, { host: 'console.corp.example', port: 65535 }],
    fingerprint: 'ab'.repeat(32), token: 'q7Vh0c4Yk2dJm9tXr1LwBz8sN5pE3aUf', runId: 'r-20261207-0001', packageId: 'pkg.1', size: 123456789, sha256: '9b'.repeat(32),
  };
  const smb: AgentJob = { ...callback, transport: 'smb', consoles: [], fingerprint: '', token: '' };
  const bases = [
    encodeJobFile(callback).toString('utf8'),
    encodeJobFile(smb).toString('utf8'),
    encodeJobFile({ ...callback, transport: 'auto' }).toString('utf8'),
    encodeJobFile({ ...callback, transport: 'auto', waitSeconds: 120 }).toString('utf8'),
    encodeJobFile(callback).toString('utf8').replace('version=1', 'version=1\r\ntransport=callback'),
  ];
  const inserts = [
    ...['callback', 'smb', 'auto', 'SMB', 'ftp', '', ' auto\t', 'auto ', 'smb2'].map((v) => `transport=${v}`),
    ...['0', '1', '600', '86400', '86401', '99999', '100000', '010', '+5', '5s', '', ' 7 '].map((v) => `wait=${v}`),
    'console=127.0.196.8:1', 'console=[::1]:2224', `fingerprint=${'cd'.repeat(32)}`, `fingerprint=${Array(32).fill('EF').join(':')}`, 'fingerprint=xyz',
    `token=${'t'.repeat(16)}`, 'token=short', 'version=1', 'version=2', `${'ключ'.repeat(30)}=1`, `a${'😀'.repeat(25)}=1`, `${'😀'.repeat(25)}=1`, '=1', 'just words', '# a comment ünïcödé',
  ];
  const out: string[] = [...bases];
  for (const base of bases) {
    const lines = base.split('\r\n').filter(Boolean);
    for (let i = 0; i < lines.length; i++) {
      out.push([...lines.slice(0, i), ...lines.slice(i + 1)].join('\r\n'));
      out.push([...lines.slice(0, i + 1), lines[i]!, ...lines.slice(i + 1)].join('\r\n'));
    }
    for (const line of inserts) out.push(`${base}${line}\r\n`, base.replace('version=1\r\n', `version=1\r\n${line}\n`));
  }
  const corpus = out.map((s) => Buffer.from(s, 'utf8'));
  corpus.push(Buffer.alloc(0), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${bases[1]}#${'x'.repeat(16384)}`), Buffer.from(`${bases[1]}#${'x'.repeat(1030)}\n`));
  corpus.push(Buffer.concat([Buffer.from(bases[1]!), Buffer.from([0xc0, 0x80])]), Buffer.concat([Buffer.from(bases[1]!), Buffer.from([0xff, 0x00, 0x41])]));
  // Seeded mutations: deleted, inserted and replaced bytes, from what the format is made of.
  const next = prng(0x5b1e);
  const alphabet = [...Buffer.from('=:\n\r \t#[]0a9.-_', 'utf8'), 0x00, 0xff, 0xc3, 0xa9, 0x7f];
  for (let n = 0; n < 3000; n++) {
    const b = [...corpus[next() % bases.length]!];
    for (let ops = 1 + (next() % 3); ops > 0; ops--) {
      const at = next() % (b.length + 1);
      const byte = alphabet[next() % alphabet.length]!;
      const op = next() % 3;
      if (op === 0) b.splice(at, 1);
      else if (op === 1) b.splice(at, 0, byte);
      else b[at] = byte;
    }
    corpus.push(Buffer.from(b));
  }
  return corpus;
}

// ---- MSIs, the run of one case ---------------------------------------------------------------------


const fileInfo = (file: string) => {
  const data = fs.readFileSync(file);
  return { size: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex') };
};

/** A callback the agent cannot reach: a port on SILENT_HOST with nothing listening (bound, then closed), any fingerprint and token. */
async function unreachableCallback() {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, SILENT_HOST, resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return { console: { host: SILENT_HOST, port }, fingerprint: crypto.randomBytes(32).toString('hex'), token: crypto.randomBytes(24).toString('base64url') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function registryValue(wine: WinePrefix, variant: string, name: string): Promise<string | undefined> {
  const reg = await wine.run('reg', ['query', `HKLM\\Software\\PushInstallTest\\${variant}`, '/v', name], { timeoutMs: 30_000 });
  return new RegExp(`${name}\\s+REG_SZ\\s+(.+?)\\s*$`, 'm').exec(reg.stdout)?.[1];
}

test('the agent without a callback port under Wine: transport=smb and transport=auto, real service, real MSIs', { timeout: 600_000 }, async (t) => {
  requireTools(['wine', 'wineserver', 'wineboot', 'wixl', 'x86_64-w64-mingw32-gcc']);
  assert.ok(fs.existsSync(AGENT_EXE), `${AGENT_EXE} is missing: run bash agent/build.sh`);
  const t0 = Date.now();
  const wine = await createWinePrefix();
  t.after(() => wine.close());
  const work = makeTempDir('pic-smb-');
  t.after(() => removeDir(work));
  t.diagnostic(`Wine prefix ready in ${Date.now() - t0} ms`);

  const cfgXml = path.join(work, 'cfg.xml');
  fs.writeFileSync(cfgXml, `<?xml version="1.0"?>\n<config product="smb" marker="${crypto.randomBytes(8).toString('hex')}"/>\n`);
  let n = 0;
  /** A new product (its own variant) with cfg.xml, as the console would push it. */
  const newPackage = () => {
    const variant = `smb${++n}${crypto.randomBytes(3).toString('hex')}`;
    const msi = buildConfigPropertyMsi(work, variant, HELLO);
    const files: LocalPackageFile[] = [{ name: 'product.msi', path: msi, role: 'msi' }, { name: 'cfg.xml', path: cfgXml, role: 'config' }];
    return { variant, msi, files, run: `smb-${n}-${crypto.randomBytes(3).toString('hex')}`, installDir: path.join(wine.driveC, 'Program Files', `PushInstallTest-${variant}`) };
  };
  const workFolder = (run: string) => wine.unixPath(`C:\\windows\\Temp\\PushInstall-${run}`);
  const parameters = 'CONFIGFILE="%PUSHINSTALL_DIR%\\cfg.xml"';
  /** What every finished run leaves: no work folder, no job file, no manifest, no half-written report. */
  const assertCleanedUp = (agent: TransportAgent) => {
    assert.equal(fs.existsSync(workFolder(agent.run)), false, 'the work folder is deleted');
    assert.equal(fs.existsSync(agent.beside('.job')), false, 'the job file is deleted');
    assert.equal(fs.existsSync(agent.beside('.pkg')), false, 'the manifest is deleted');
    assert.deepEqual(fs.readdirSync(agent.dirUnix).filter((f) => f.endsWith('.tmp')), [], 'no .tmp left');
  };

  await t.test('the agent\'s job file parser gives the console\'s parseJobFile verdict, with its wording, for every case', async () => {
    const dirWin = 'C:\\jobfile-check';
    const dirUnix = wine.unixPath(dirWin);
    fs.mkdirSync(dirUnix, { recursive: true });
    const cc = spawnSync('x86_64-w64-mingw32-gcc', ['-std=c11', '-O1', '-Wall', '-Wextra', '-Werror', '-o', path.join(dirUnix, 'driver.exe'),
      path.join(REPO_ROOT, 'agent', 'test', 'jobfile_driver.c'), path.join(REPO_ROOT, 'agent', 'src', 'jobfile.c'), path.join(REPO_ROOT, 'agent', 'src', 'jobfile_values.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const corpus = jobCorpus();
    fs.writeFileSync(path.join(dirUnix, 'cases.bin'), Buffer.concat(corpus.flatMap((c) => {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(c.length);
      return [len, c];
    })));
    const r = await wine.run(`${dirWin}\\driver.exe`, [`${dirWin}\\cases.bin`], { timeoutMs: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const agent = r.stdout.split(/\r?\n/).filter(Boolean);
    assert.equal(agent.length, corpus.length);
    const verdicts = { ok: 0, refused: 0 };
    for (const [i, data] of corpus.entries()) {
      const expected = consoleVerdict(data);
      const show = (v: string) => (v.startsWith('ERR ') ? `ERR ${Buffer.from(v.slice(4), 'hex').toString('utf8')}` : v);
      assert.equal(show(agent[i]!), show(expected), `case ${i}: ${JSON.stringify(data.toString('utf8').slice(0, 400))}`);
      verdicts[expected.startsWith('OK') ? 'ok' : 'refused']++;
    }
    assert.ok(verdicts.ok >= 20 && verdicts.refused >= 100, JSON.stringify(verdicts));
    t.diagnostic(`job file parser: ${corpus.length} cases, ${verdicts.ok} accepted and ${verdicts.refused} refused alike`);
  });

  await t.test('smb: installs from the package beside the agent, %PUSHINSTALL_DIR% is the package folder, <exe>.result holds 0 and the MSI log, no console contacted', async () => {
    const p = newPackage();
    const agent = placeTransportAgent(wine, { run: p.run, transport: 'smb', packageId: 'smb', msi: fileInfo(p.msi) });
    placeLocalPackage(agent, { files: p.files, parameters });
    const r = await runServiceToStop(wine, agent);
    const log = agent.log();
    assert.equal(r.win32ExitCode, 0, `exit ${r.win32ExitCode}/${r.serviceExitCode}\n${log}`);

    // The product got the package folder's full path; its custom action read cfg.xml there.
    const value = await registryValue(wine, p.variant, 'ConfigFile');
    assert.equal(value?.toLowerCase(), `c:\\windows\\pushinstall\\${p.run}\\package\\cfg.xml`, log);
    assert.equal(fs.readFileSync(path.join(p.installDir, 'hello.txt'), 'utf8'), HELLO);
    assert.equal(fs.readFileSync(path.join(p.installDir, 'cfg-seen.xml'), 'utf8'), fs.readFileSync(cfgXml, 'utf8'));
    // msiexec ran on the verified local copy.
    assert.match(log, /product\.msi: \d+ bytes, SHA-256 [0-9a-f]{64} verified in the package folder/);
    assert.match(log, /cfg\.xml: \d+ bytes, SHA-256 [0-9a-f]{64} verified in the package folder/);
    assert.ok(log.includes(`starting as SYSTEM: `) && log.includes(`/i "${agent.packageDirWin}\\product.msi"`), log);
    assert.ok(log.includes(`expanded (1 occurrence): CONFIGFILE="${agent.packageDirWin}\\cfg.xml"`), log);

    // The reports, written whole: progress went verifying -> installing; the result is the run's.
    assert.deepEqual(agent.progress(), { stage: 'installing', percent: null });
    const verifying = log.indexOf("progress 'verifying' written");
    assert.ok(verifying >= 0 && verifying < log.indexOf("progress 'installing' written"), log);
    const result = agent.result();
    assert.equal(result?.exitCode, 0);
    assert.match(result?.log ?? '', /== PushInstallAgent log ==/);
    assert.match(result?.log ?? '', /== MSI log \(/);
    assert.match(result?.log ?? '', /msiexec exited with 0/);
    assert.match(fs.readFileSync(agent.beside('.done'), 'utf8'), new RegExp(`^run=${p.run}\\r\\nresult=0\\r\\n$`));

    // No callback: no request, no WinHTTP, no console named.
    assert.doesNotMatch(log, CONSOLE_TRAFFIC);
    assert.match(log, /transport=smb/);
    assertCleanedUp(agent);
    // The package files stay for the console, which deletes them by name.
    assert.deepEqual(fs.readdirSync(agent.packageDirUnix).sort(), ['cfg.xml', 'product.msi']);
  });

  await t.test('smb: a package file whose SHA-256 differs from the manifest -> 13, reported, nothing installed', async () => {
    const p = newPackage();
    const agent = placeTransportAgent(wine, { run: p.run, transport: 'smb', packageId: 'smb', msi: fileInfo(p.msi) });
    placeLocalPackage(agent, { files: p.files, parameters });
    // The copy on the target changed after the manifest was written: same size, one byte different.
    const copy = path.join(agent.packageDirUnix, 'product.msi');
    const bytes = fs.readFileSync(copy);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100]! + 1) & 0xff;
    fs.writeFileSync(copy, bytes);
    const r = await runServiceToStop(wine, agent);
    const log = agent.log();
    assert.equal(r.win32ExitCode, 1066, log);
    assert.equal(r.serviceExitCode, 13, log);
    const { sha256 } = fileInfo(p.msi);
    const got = crypto.createHash('sha256').update(bytes).digest('hex');
    assert.ok(log.includes(`product.msi: ${agent.packageDirWin}\\product.msi has ${bytes.length} bytes with SHA-256 ${got}; the manifest says ${bytes.length} bytes with ${sha256}: nothing installed`), log);
    assert.equal(agent.result()?.exitCode, 13);
    assert.deepEqual(agent.progress(), { stage: 'verifying', percent: null });
    assert.doesNotMatch(log, /starting as/);
    assert.equal(fs.existsSync(p.installDir), false, 'not installed');
    assert.equal(await registryValue(wine, p.variant, 'ConfigFile'), undefined);
    assertCleanedUp(agent);
  });

  await t.test('smb: a manifest asking to install as the administrator -> 16 with the reason; a package file missing -> 16', async () => {
    const admin = newPackage();
    const a = placeTransportAgent(wine, { run: admin.run, transport: 'smb', packageId: 'smb', msi: fileInfo(admin.msi) });
    placeLocalPackage(a, { files: admin.files, parameters, runAs: 'admin' });
    const ra = await runServiceToStop(wine, a);
    assert.equal(ra.serviceExitCode, 16, a.log());
    assert.ok(a.log().includes('the package manifest asks to install as the administrator: that needs the callback transport (the password never travels in a file)'), a.log());
    assert.equal(a.result()?.exitCode, 16);
    assert.match(a.result()?.log ?? '', /needs the callback transport/);
    assert.doesNotMatch(a.log(), /verified in the package folder|starting as/);
    assertCleanedUp(a);

    const missing = newPackage();
    const m = placeTransportAgent(wine, { run: missing.run, transport: 'smb', packageId: 'smb', msi: fileInfo(missing.msi) });
    placeLocalPackage(m, { files: missing.files, parameters, skipCopy: ['cfg.xml'] });
    const rm = await runServiceToStop(wine, m);
    assert.equal(rm.serviceExitCode, 16, m.log());
    assert.ok(m.log().includes(`cfg.xml: cannot open ${m.packageDirWin}\\cfg.xml: Win32 error 2`), m.log());
    assert.equal(m.result()?.exitCode, 16);
    assert.equal(fs.existsSync(missing.installDir), false);
    assertCleanedUp(m);
  });

  await t.test('smb: a job file that names a console -> 10 (bad job), nothing read or written', async () => {
    const p = newPackage();
    const agent = placeTransportAgent(wine, {
      run: p.run, transport: 'smb', packageId: 'smb', msi: fileInfo(p.msi),
      editJob: (text) => text.replace('transport=smb\r\n', `transport=smb\r\nconsole=${SILENT_HOST}:2224\r\n`),
    });
    placeLocalPackage(agent, { files: p.files, parameters });
    const r = await runServiceToStop(wine, agent);
    assert.equal(r.serviceExitCode, 10, agent.log());
    assert.match(agent.log(), /bad job file: console: not allowed with transport=smb/);
    assert.equal(agent.result(), undefined);
    assert.equal(agent.progress(), undefined);
    assert.equal(fs.existsSync(agent.beside('.job')), false, 'an invalid job file is deleted');
    assert.equal(fs.existsSync(p.installDir), false);
  });

  await t.test('auto: no console answers, the agent says waiting-for-package, waits out a half-written manifest, and installs the package that arrives over SMB', async () => {
    const p = newPackage();
    const agent = placeTransportAgent(wine, {
      run: p.run, transport: 'auto', packageId: 'smb', msi: fileInfo(p.msi),
      callback: await unreachableCallback(),
    });
    const stopped = runServiceToStop(wine, agent, 120_000);
    const deadline = Date.now() + 60_000;
    while (agent.progress()?.stage !== 'waiting-for-package') {
      assert.ok(Date.now() < deadline, `no waiting-for-package after 60 s:\n${agent.log()}`);
      await sleep(200);
    }
    // The console's manifest half written (it writes the manifest in place): the agent keeps waiting.
    fs.writeFileSync(agent.beside('.pkg'), `{"runId":"${p.run}","parameters":"CONF`);
    while (!agent.log().includes('a package manifest is there but is not complete yet (it does not parse): waiting for it')) {
      assert.ok(Date.now() < deadline, `the half-written manifest was not noticed:\n${agent.log()}`);
      await sleep(200);
    }
    await sleep(1500);
    assert.equal(agent.result(), undefined, 'still waiting');
    const waitingAfter = Date.now();
    placeLocalPackage(agent, { files: p.files, parameters });
    const r = await stopped;
    const log = agent.log();
    assert.equal(r.win32ExitCode, 0, `exit ${r.win32ExitCode}/${r.serviceExitCode}\n${log}`);
    t.diagnostic(`auto: installed ${((Date.now() - waitingAfter) / 1000).toFixed(1)} s after the package was placed`);
    assert.match(log, /transport=auto/);
    assert.ok(log.includes(`no console answered: waiting up to 600 s for the package over SMB (<exe>.pkg)`), log);
    assert.match(log, /the package manifest arrived/);
    assert.equal(agent.result()?.exitCode, 0);
    assert.equal((await registryValue(wine, p.variant, 'ConfigFile'))?.toLowerCase(), `c:\\windows\\pushinstall\\${p.run}\\package\\cfg.xml`);
    assert.equal(fs.readFileSync(path.join(p.installDir, 'hello.txt'), 'utf8'), HELLO);
    const order = ["progress 'waiting-for-package' written", "progress 'verifying' written", "progress 'installing' written"].map((s) => log.indexOf(s));
    assert.ok(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!)), log);
    assertCleanedUp(agent);
  });

  await t.test('auto: the manifest is already there at start (the console restarted the agent): the smb way at once, no console contacted', async () => {
    const p = newPackage();
    const agent = placeTransportAgent(wine, {
      run: p.run, transport: 'auto', packageId: 'smb', msi: fileInfo(p.msi),
      callback: await unreachableCallback(),
    });
    placeLocalPackage(agent, { files: p.files, parameters });
    const r = await runServiceToStop(wine, agent);
    const log = agent.log();
    assert.equal(r.win32ExitCode, 0, `exit ${r.win32ExitCode}/${r.serviceExitCode}\n${log}`);
    assert.match(log, /the package manifest is already here: going the smb way/);
    assert.doesNotMatch(log, /GET \/v1|WinHTTP|requests sent to the console|no console answered/);
    assert.equal(agent.result()?.exitCode, 0);
    assert.equal(fs.readFileSync(path.join(p.installDir, 'hello.txt'), 'utf8'), HELLO);
    assertCleanedUp(agent);
  });

  await t.test('auto: a stop while waiting for the package -> 14 at once', async () => {
    const p = newPackage();
    const agent = placeTransportAgent(wine, {
      run: p.run, transport: 'auto', packageId: 'smb', msi: fileInfo(p.msi),
      callback: await unreachableCallback(),
    });
    const stopped = runServiceToStop(wine, agent, 120_000);
    const deadline = Date.now() + 60_000;
    while (agent.progress()?.stage !== 'waiting-for-package') {
      assert.ok(Date.now() < deadline, `no waiting-for-package after 60 s:\n${agent.log()}`);
      await sleep(200);
    }
    const stopAt = Date.now();
    assert.equal((await wine.run('sc', ['stop', `PushInstallAgent_${p.run}`], { timeoutMs: 30_000 })).status, 0);
    const r = await stopped;
    const log = agent.log();
    assert.equal(r.win32ExitCode, 1066, log);
    assert.equal(r.serviceExitCode, 14, log);
    assert.ok(Date.now() - stopAt < 5_000, `stopped ${Date.now() - stopAt} ms after sc stop`);
    assert.match(log, /stop requested: ending the work/);
    assert.equal(agent.result(), undefined);
    assertCleanedUp(agent);
  });

  await t.test('auto: nothing arrives within wait=3 -> 11, no result file', async () => {
    const p = newPackage();
    const agent = placeTransportAgent(wine, {
      run: p.run, transport: 'auto', waitSeconds: 3, packageId: 'smb', msi: fileInfo(p.msi),
      callback: await unreachableCallback(),
    });
    const r = await runServiceToStop(wine, agent);
    const log = agent.log();
    assert.equal(r.win32ExitCode, 1066, log);
    assert.equal(r.serviceExitCode, 11, log);
    assert.ok(log.includes('no console answered: waiting up to 3 s for the package over SMB (<exe>.pkg)'), log);
    assert.ok(log.includes('no console answered and no package arrived over SMB within 3 s'), log);
    assert.deepEqual(agent.progress(), { stage: 'waiting-for-package', percent: null });
    assert.equal(agent.result(), undefined, 'no manifest was read: nobody to tell but the service status');
    assert.equal(fs.existsSync(agent.beside('.done')), false);
    assertCleanedUp(agent);
  });

  await t.test('auto: a manifest still not understood when wait=3 ends -> 16 with its reason, reported in <exe>.result', async () => {
    const p = newPackage();
    const agent = placeTransportAgent(wine, {
      run: p.run, transport: 'auto', waitSeconds: 3, packageId: 'smb', msi: fileInfo(p.msi),
      callback: await unreachableCallback(),
    });
    const stopped = runServiceToStop(wine, agent, 120_000);
    const deadline = Date.now() + 60_000;
    while (agent.progress()?.stage !== 'waiting-for-package') {
      assert.ok(Date.now() < deadline, `no waiting-for-package after 60 s:\n${agent.log()}`);
      await sleep(200);
    }
    placeLocalPackage(agent, { files: p.files, parameters, editManifest: (m) => ({ ...m, runId: 'another-run' }) });
    const r = await stopped;
    const log = agent.log();
    assert.equal(r.serviceExitCode, 16, log);
    assert.match(log, /the package manifest is not understood: runId is missing or differs from the job file's run/);
    assert.equal(agent.result()?.exitCode, 16);
    assert.equal(fs.existsSync(p.installDir), false);
    assertCleanedUp(agent);
  });

  t.diagnostic(`whole file: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
