// A package whose XML configuration goes "through an MSI property" (main/app/packageService.ts,
// configProperty), pushed to the REAL agent under Wine with a REAL wixl-built MSI: the console
// writes `CONFIGFILE="%PUSHINSTALL_DIR%\cfg.xml"`, the agent expands %PUSHINSTALL_DIR% to its work
// folder (agent/README.md, "The msiexec parameters"), and the MSI
//   - records [CONFIGFILE] in the registry, so the test sees the value the product got: the full
//     Windows path of cfg.xml in C:\windows\Temp\PushInstall-<run>, not a bare name (custom actions
//     run in the Windows Installer service, whose current folder is System32);
//   - copies the file named by [CONFIGFILE] in a deferred custom action (Return="check": a missing
//     file fails the install), so the file was there, at that path, while msiexec ran.
// And parameters that grow past the agent's 8 KiB once expanded are refused (16, nothing downloaded).
// Needs wine, wine64, wixl and the built agent (npm run build:agent); fails loudly without them.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PackageService } from '../../main/app/packageService.js';
import type { PackageFile } from '../../main/server/grants.js';
import { openDatabase } from '../../main/store/database.js';
import { PackagesRepo } from '../../main/store/packagesRepo.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { createWinePrefix, requireTools } from '../support/wine.js';
import { AGENT_EXE, buildConfigPropertyMsi, placeAgent, runServiceToStop, startTestConsole } from './agentHarness.js';
import { sha256File } from './msiFixtures.js';

const HELLO = 'installed with its configuration\r\n';


test('config through an MSI property: the agent expands %PUSHINSTALL_DIR% to its work folder under Wine', { timeout: 300_000 }, async (t) => {
  requireTools(['wine', 'wineserver', 'wineboot', 'wixl']);
  assert.ok(fs.existsSync(AGENT_EXE), `${AGENT_EXE} is missing: run npm run build:agent`);

  const wine = await createWinePrefix();
  t.after(() => wine.close());
  const work = makeTempDir('pic-cfgprop-');
  t.after(() => removeDir(work));

  // The console's side: a package created by the real PackageService (its parameters are what a push
  // sends), the real package server with one-time grants.
  const db = openDatabase({ location: path.join(work, 'data') });
  t.after(() => db.close());
  const repo = new PackagesRepo(db);
  const packages = new PackageService(path.join(work, 'data'), repo);
  const { cert, grants, server, serverLog, result: resultOf } = await startTestConsole(t, work);

  let nextTarget = 1;
  /** One push the way the console does it: agent + job file in C:\windows\PushInstall\<run>, a
   * service, STOPPED; returns the service's result, the agent's log and what the server saw. */
  const push = async (files: PackageFile[], parameters: string) => {
    const targetId = nextTarget++;
    const run = `cfgprop-${targetId}-${crypto.randomBytes(3).toString('hex')}`;
    const grant = grants.issue({ targetId, runId: run, files, parameters, runAs: 'system', ttlMs: 600_000 });
    const msi = files.find((f) => f.role === 'msi')!;
    const agent = placeAgent(wine, { run, console: { host: '127.0.0.1', port: server.port }, fingerprint: cert.fingerprint, token: grant.token, packageId: 'cfgprop', msi });
    const { win32ExitCode, serviceExitCode } = await runServiceToStop(wine, agent);
    const log = agent.log();
    const result = resultOf(targetId);
    const served = serverLog.filter((l) => l.target === targetId && l.detail.startsWith('serving ')).map((l) => l.detail);
    return { run, win32ExitCode, serviceExitCode, log, result, served, workUnix: wine.unixPath(`C:\\windows\\Temp\\PushInstall-${run}`) };
  };
  const filesOf = (id: number): PackageFile[] => {
    const source = repo.source(id)!;
    return [
      { name: source.msiFileName, path: source.msiPath, size: source.msiSize, sha256: source.msiSha256, role: 'msi' },
      { name: source.configFileName!, path: source.configPath!, size: fs.statSync(source.configPath!).size, sha256: sha256File(source.configPath!), role: 'config' },
    ];
  };

  const cfgXml = path.join(work, 'endpoint-config.xml');
  fs.writeFileSync(cfgXml, `<?xml version="1.0"?>\n<config product="cfgprop" marker="${crypto.randomBytes(8).toString('hex')}"/>\n`);

  await t.test('CONFIGFILE gets C:\\windows\\Temp\\PushInstall-<run>\\cfg.xml, and the MSI reads the file there', async () => {
    const variant = `cfgprop${crypto.randomBytes(3).toString('hex')}`;
    const msiFile = buildConfigPropertyMsi(work, variant, HELLO);
    const pkg = await packages.create({ name: 'Config via property', msiPath: msiFile, configPath: cfgXml, configProperty: 'CONFIGFILE', parameters: 'REBOOT=ReallySuppress', runAs: 'system' });
    assert.equal(pkg.parameters, 'REBOOT=ReallySuppress CONFIGFILE="%PUSHINSTALL_DIR%\\cfg.xml"', 'the console sends the placeholder, not a bare name');

    const r = await push(filesOf(pkg.id), pkg.parameters);
    assert.equal(r.win32ExitCode, 0, `exit ${r.win32ExitCode}/${r.serviceExitCode}\n${r.log}`);
    assert.equal(r.result?.exitCode, 0);

    // The value the product received: the full path of cfg.xml in the agent's work folder.
    const reg = await wine.run('reg', ['query', `HKLM\\Software\\PushInstallTest\\${variant}`, '/v', 'ConfigFile'], { timeoutMs: 30_000 });
    const value = /ConfigFile\s+REG_SZ\s+(.+?)\s*$/m.exec(reg.stdout)?.[1];
    assert.ok(value, `no ConfigFile value:\n${reg.stdout}${reg.stderr}`);
    assert.match(value, /^[A-Z]:\\windows\\Temp\\PushInstall-[^\\]+\\cfg\.xml$/i);
    assert.equal(value.toLowerCase(), `c:\\windows\\temp\\pushinstall-${r.run}\\cfg.xml`);

    // The deferred custom action (Return="check") opened that path while msiexec ran: the copy is byte-equal.
    const installDir = path.join(wine.driveC, 'Program Files', `PushInstallTest-${variant}`);
    assert.equal(fs.readFileSync(path.join(installDir, 'hello.txt'), 'utf8'), HELLO);
    assert.equal(fs.readFileSync(path.join(installDir, 'cfg-seen.xml'), 'utf8'), fs.readFileSync(cfgXml, 'utf8'));

    // The agent's log: cfg.xml verified in the work folder, then the expanded parameters, then msiexec with them.
    const verified = r.log.search(/cfg\.xml: \d+ bytes, SHA-256 [0-9a-f]{64} verified/);
    const expanded = r.log.indexOf(`msiexec parameters with %PUSHINSTALL_DIR% expanded (1 occurrence): REBOOT=ReallySuppress CONFIGFILE="C:\\windows\\Temp\\PushInstall-${r.run}\\cfg.xml"`);
    const started = r.log.search(new RegExp(`starting as SYSTEM: .*/l\\*v "[^"]+" REBOOT=ReallySuppress CONFIGFILE="C:\\\\windows\\\\Temp\\\\PushInstall-${r.run}\\\\cfg\\.xml"`));
    assert.ok(r.log.includes(`work folder C:\\windows\\Temp\\PushInstall-${r.run} created`), r.log);
    assert.ok(expanded >= 0 && started > expanded, `expanded parameters logged before msiexec starts:\n${r.log}`);
    assert.ok(verified >= 0 && verified < started, `cfg.xml verified before msiexec starts:\n${r.log}`);
    assert.match(r.result?.log ?? '', /CONFIGFILE="C:\\windows\\Temp\\PushInstall-[^"\\]+\\cfg\.xml"/, 'the expanded value is in the log the console keeps');
    assert.equal(fs.existsSync(r.workUnix), false, 'the work folder is deleted afterwards');
  });

  await t.test('a configuration file name with a space, and the placeholder in any case, still reach the MSI as a full path', async () => {
    const variant = `cfgprop${crypto.randomBytes(3).toString('hex')}`;
    const msiFile = buildConfigPropertyMsi(work, variant, HELLO);
    const pkg = await packages.create({ name: 'Config with a space', msiPath: msiFile, configPath: cfgXml, configFileName: 'Endpoint Config.xml', configProperty: 'CONFIGFILE', parameters: 'NOTE=%pushinstall_dir%', runAs: 'system' });
    assert.equal(pkg.parameters, 'NOTE=%pushinstall_dir% CONFIGFILE="%PUSHINSTALL_DIR%\\Endpoint Config.xml"');
    const r = await push(filesOf(pkg.id), pkg.parameters);
    assert.equal(r.win32ExitCode, 0, `exit ${r.win32ExitCode}/${r.serviceExitCode}\n${r.log}`);
    const reg = await wine.run('reg', ['query', `HKLM\\Software\\PushInstallTest\\${variant}`, '/v', 'ConfigFile'], { timeoutMs: 30_000 });
    const value = /ConfigFile\s+REG_SZ\s+(.+?)\s*$/m.exec(reg.stdout)?.[1];
    assert.equal(value?.toLowerCase(), `c:\\windows\\temp\\pushinstall-${r.run}\\endpoint config.xml`, reg.stdout);
    assert.equal(fs.readFileSync(path.join(wine.driveC, 'Program Files', `PushInstallTest-${variant}`, 'cfg-seen.xml'), 'utf8'), fs.readFileSync(cfgXml, 'utf8'));
    assert.ok(r.log.includes(`expanded (2 occurrences): NOTE=C:\\windows\\Temp\\PushInstall-${r.run} CONFIGFILE="C:\\windows\\Temp\\PushInstall-${r.run}\\Endpoint Config.xml"`), r.log);
  });

  await t.test('parameters longer than 8 KiB once expanded: 16, reported, nothing downloaded or installed', async () => {
    const variant = `cfgprop${crypto.randomBytes(3).toString('hex')}`;
    const msiFile = buildConfigPropertyMsi(work, variant, HELLO);
    const pkg = await packages.create({ name: 'Too long', msiPath: msiFile, configPath: cfgXml, configProperty: 'CONFIGFILE', parameters: '', runAs: 'system' });
    // 6 800 characters as sent (under the agent's 8 KiB); 400 × the ~40-character work folder expanded.
    const parameters = `${pkg.parameters} X="${'%PUSHINSTALL_DIR%'.repeat(400)}"`;
    assert.ok(parameters.length < 8192);
    const r = await push(filesOf(pkg.id), parameters);
    assert.equal(r.win32ExitCode, 1066);
    assert.equal(r.serviceExitCode, 16, r.log);
    assert.match(r.log, /the console's job is not understood: parameters: longer than 8 KiB once %PUSHINSTALL_DIR% is expanded to the work folder/);
    assert.doesNotMatch(r.log, /starting as|expanded \(/);
    assert.deepEqual(r.served, [], 'no file was requested');
    assert.equal(r.result?.exitCode, 16, 'the refusal is posted to the console');
    assert.equal(fs.existsSync(r.workUnix), false);
    assert.equal(fs.existsSync(path.join(wine.driveC, 'Program Files', `PushInstallTest-${variant}`)), false);
  });
});
