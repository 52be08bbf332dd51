// A package's XML configuration "through an MSI property" (configProperty): the console writes
// PROP="%PUSHINSTALL_DIR%\<config file>" (main/app/packageService.ts), and the simulated lab agent
// expands %PUSHINSTALL_DIR% to its work folder the way the native agent does (agent/README.md, "The
// msiexec parameters"; the native agent under Wine: test/agent/agentConfigProperty.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AGENT_WORK_DIR_PLACEHOLDER, configPropertyParameter, PackageService } from '../../main/app/packageService.js';
import { expandWorkDir, simWorkDir } from '../../main/lab/agent/simAgent.js';
import { labPathKey } from '../../main/lab/hostState.js';
import { openDatabase, type Db } from '../../main/store/database.js';
import { PackagesRepo } from '../../main/store/packagesRepo.js';
import { AGENT_PATH } from '../support/labHost.js';
import { agentHost, jobFor, startAgentService, startConsoleSide, type ConsoleSide } from '../support/labAgentFixture.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { buildMsi } from '../support/wixl.js';

describe('configProperty: the console writes the config file\'s path on the target as %PUSHINSTALL_DIR%\\<name>', () => {
  let dir: string;
  let db: Db;
  let service: PackageService;
  let msi: string;
  let xml: string;
  before(() => {
    dir = makeTempDir('cfgprop-unit-');
    db = openDatabase({ location: path.join(dir, 'data') });
    service = new PackageService(path.join(dir, 'data'), new PackagesRepo(db));
    msi = buildMsi(dir, 'product.msi', { name: 'Product', version: '1.0.0', manufacturer: 'Tests', productCode: '{11111111-2222-3333-4444-555555555555}' });
    xml = path.join(dir, 'settings.xml');
    fs.writeFileSync(xml, '<?xml version="1.0"?>\n<config/>\n');
  });
  after(() => {
    db.close();
    removeDir(dir);
  });

  test('the parameter is PROP="%PUSHINSTALL_DIR%\\<config file name>"', () => {
    assert.equal(AGENT_WORK_DIR_PLACEHOLDER, '%PUSHINSTALL_DIR%');
    assert.equal(configPropertyParameter('CONFIGFILE', 'cfg.xml'), 'CONFIGFILE="%PUSHINSTALL_DIR%\\cfg.xml"');
    assert.equal(configPropertyParameter('Product.Config', 'Endpoint Config.xml'), 'Product.Config="%PUSHINSTALL_DIR%\\Endpoint Config.xml"');
  });

  test('create appends it after the given parameters, with the default or the chosen file name; duplicate keeps it', async () => {
    const a = await service.create({ name: 'A', msiPath: msi, configPath: xml, configProperty: 'CONFIGFILE', parameters: ' REBOOT=ReallySuppress ', runAs: 'system' });
    assert.equal(a.parameters, 'REBOOT=ReallySuppress CONFIGFILE="%PUSHINSTALL_DIR%\\cfg.xml"');
    assert.equal(a.configProperty, 'CONFIGFILE');
    const b = await service.create({ name: 'B', msiPath: msi, configPath: xml, configFileName: 'product.xml', configProperty: 'XMLCONFIG', parameters: '', runAs: 'admin' });
    assert.equal(b.parameters, 'XMLCONFIG="%PUSHINSTALL_DIR%\\product.xml"');
    assert.ok(!/(^|[\s=])"?cfg\.xml"?(\s|$)/.test(a.parameters), 'never the bare file name');
    const copy = service.duplicate({ id: a.id, name: 'A (copy)' });
    assert.equal(copy.parameters, a.parameters, 'the parameters (and the placeholder) are accepted as they are');
    const c = await service.create({ name: 'C', msiPath: msi, configPath: xml, parameters: 'X=1', runAs: 'system' });
    assert.equal(c.parameters, 'X=1', 'no property: the file goes beside the MSI only');
  });
});

describe('the simulated agent expands %PUSHINSTALL_DIR% to its work folder', () => {
  test('every occurrence, ASCII case-insensitive; nothing else', () => {
    const dir = simWorkDir('r-7');
    assert.equal(dir, 'C:\\Windows\\Temp\\PushInstall-r-7');
    assert.deepEqual(expandWorkDir('A="%PUSHINSTALL_DIR%\\cfg.xml" B=%pushinstall_dir% C=%PushInstall_Dir%\\x', dir), {
      parameters: 'A="C:\\Windows\\Temp\\PushInstall-r-7\\cfg.xml" B=C:\\Windows\\Temp\\PushInstall-r-7 C=C:\\Windows\\Temp\\PushInstall-r-7\\x',
      count: 3,
    });
    assert.deepEqual(expandWorkDir('A=%TEMP% B=%PUSHINSTALL_DIR C=PUSHINSTALL_DIR%', dir), { parameters: 'A=%TEMP% B=%PUSHINSTALL_DIR C=PUSHINSTALL_DIR%', count: 0 });
    assert.deepEqual(expandWorkDir('', dir), { parameters: '', count: 0 });
  });

  let side: ConsoleSide;
  let dir: string;
  before(async () => {
    dir = makeTempDir('cfgprop-lab-');
    side = await startConsoleSide(dir, 64 * 1024);
  });
  after(async () => {
    await side?.close();
    removeDir(dir);
  });

  const push = async (targetId: number, parameters: string) => {
    const grant = side.grants.issue({ targetId, runId: `cfg-${targetId}`, files: [side.msi, side.config], parameters, runAs: 'system', ttlMs: 60_000 });
    const state = agentHost('healthy', jobFor(side, grant));
    const lines: string[] = [];
    const { agent, stopped } = await startAgentService(state, { log: (line) => lines.push(line) });
    const code = await agent.done;
    await stopped();
    const result = side.events.find((e) => e.targetId === targetId && e.kind === 'result');
    const agentLog = state.files.get(labPathKey(`${AGENT_PATH}.log`))?.toString('utf8') ?? '';
    return { code, lines, result: result?.kind === 'result' ? result : undefined, agentLog, served: side.events.filter((e) => e.targetId === targetId && e.kind === 'bytes-served') };
  };

  test('lab logs, the msiexec line and the MSI log show the expanded value', async () => {
    const r = await push(501, 'REBOOT=ReallySuppress CONFIGFILE="%PUSHINSTALL_DIR%\\cfg.xml"');
    assert.equal(r.code, 0);
    const full = 'CONFIGFILE="C:\\Windows\\Temp\\PushInstall-cfg-501\\cfg.xml"';
    assert.ok(r.lines.some((l) => l.endsWith(`msiexec parameters with %PUSHINSTALL_DIR% expanded (1 occurrence): REBOOT=ReallySuppress ${full}`)), r.lines.join('\n'));
    assert.ok(r.lines.some((l) => l.includes('msiexec /i "C:\\Windows\\Temp\\PushInstall-cfg-501\\package.msi"') && l.includes(full)), r.lines.join('\n'));
    assert.match(r.agentLog, /PushInstall-cfg-501\\cfg\.xml"/, 'the agent log on ADMIN$ too');
    assert.ok(r.result?.log.includes(`Command Line: REBOOT=ReallySuppress ${full} `), 'the MSI log the console keeps');
    assert.ok(!r.result?.log.includes('%PUSHINSTALL_DIR%'));
  });

  test('parameters longer than 8 KiB once expanded: 16, reported, nothing downloaded', async () => {
    const r = await push(502, `X="${'%PUSHINSTALL_DIR%'.repeat(400)}"`);
    assert.equal(r.code, 16);
    assert.ok(r.lines.some((l) => l.includes('parameters: longer than 8 KiB once %PUSHINSTALL_DIR% is expanded')), r.lines.join('\n'));
    assert.equal(r.result?.exitCode, 16);
    assert.deepEqual(r.served, []);
  });
});
