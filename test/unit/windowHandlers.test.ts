// The channels of the console's windows through the real router and services:
// packages from wixl-built MSIs (metadata, invalid XML with line and column, duplicate, delete
// refused while a task uses it), the file chooser (names and sizes only), computer previews, and
// the history exports — a ZIP that unzip and Python's zipfile accept, and no password anywhere.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createConsoleServices, type ConsoleServices } from '../../main/app/services.js';
import { REDACTED } from '../../main/app/historyExport.js';
import { crc32, writeZip } from '../../main/app/zipWriter.js';
import type { ChannelName, IpcError, RequestOf, ResultOf } from '../../main/ipc/contract.js';
import type { IpcRouter } from '../../main/ipc/router.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { buildMsi } from '../support/wixl.js';

const PASSWORD = 'Pa55-word_that-must-never-leak!';

describe('window channels', () => {
  let dir: string;
  let services: ConsoleServices;
  let router: IpcRouter;
  let msi: string;

  async function call<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResultOf<C>> {
    const envelope = await router.dispatch(channel, request, { shell: 'browser', url: 'test' });
    if (!envelope.ok) throw Object.assign(new Error(envelope.error.message), { ipc: envelope.error });
    return envelope.result as ResultOf<C>;
  }
  async function refused(channel: ChannelName, request: unknown): Promise<IpcError> {
    const envelope = await router.dispatch(channel, request, { shell: 'browser', url: 'test' });
    assert.equal(envelope.ok, false, `${channel} should have failed`);
    return (envelope as { ok: false; error: IpcError }).error;
  }

  before(() => {
    dir = makeTempDir('pic-windows-');
    services = createConsoleServices({ dataDir: path.join(dir, 'data'), shell: 'browser' });
    router = services.router(() => true);
    msi = buildMsi(dir, 'endpoint-agent.msi', { name: 'Endpoint Agent', version: '11.0.2044', manufacturer: 'Example Security', productCode: '{6F1C3A52-0000-4C1D-9A3E-1234567890AB}' });
    fs.writeFileSync(path.join(dir, 'good.xml'), '<?xml version="1.0"?>\n<config>\n  <server port="2222"/>\n</config>\n');
    fs.writeFileSync(path.join(dir, 'bad.xml'), '<config>\n  <server port="2222">\n</config>\n');
  });
  after(async () => {
    await services.close();
    removeDir(dir);
  });

  test('packages.inspect reads the MSI\'s product and reports an invalid XML with its line and column', async () => {
    const good = await call('packages.inspect', { msiPath: msi, configPath: path.join(dir, 'good.xml') });
    assert.equal(good.msi.productName, 'Endpoint Agent');
    assert.equal(good.msi.productCode, '{6F1C3A52-0000-4C1D-9A3E-1234567890AB}');
    assert.equal(good.config?.problem, null);
    const bad = await call('packages.inspect', { msiPath: msi, configPath: path.join(dir, 'bad.xml') });
    assert.deepEqual({ line: bad.config?.problem?.line, message: bad.config?.problem?.message }, { line: 3, message: 'Unexpected close tag' });
    const notMsi = await refused('packages.inspect', { msiPath: path.join(dir, 'good.xml') });
    assert.equal(notMsi.class, 'msi-format');
  });

  test('packages.create copies the files with their SHA-256, applies the XML by name and property, and refuses an invalid XML', async () => {
    const pkg = await call('packages.create', {
      name: 'Endpoint Agent 11', msiPath: msi, configPath: path.join(dir, 'good.xml'), configProperty: 'CONFIGFILE',
      parameters: 'REBOOT=ReallySuppress', runAs: 'system',
    });
    assert.equal(pkg.manufacturer, 'Example Security');
    assert.equal(pkg.configFileName, 'cfg.xml');
    // The agent expands %PUSHINSTALL_DIR% to its work folder: the property carries cfg.xml's full path.
    assert.equal(pkg.parameters, 'REBOOT=ReallySuppress CONFIGFILE="%PUSHINSTALL_DIR%\\cfg.xml"');
    assert.equal(pkg.runAs, 'system');
    const source = services.packages.source(pkg.id)!;
    assert.ok(source.msiPath.startsWith(path.join(dir, 'data', 'packages')));
    assert.equal(fs.readFileSync(source.configPath!, 'utf8'), fs.readFileSync(path.join(dir, 'good.xml'), 'utf8'));
    const sha = execFileSync('sha256sum', [msi], { encoding: 'utf8' }).split(' ')[0];
    assert.equal(pkg.msiSha256, sha);

    const error = await refused('packages.create', { name: 'Broken', msiPath: msi, configPath: path.join(dir, 'bad.xml'), parameters: '', runAs: 'admin' });
    assert.equal(error.class, 'config-xml');
    assert.match(error.message, /line 3, column \d+/);
    const sw = await refused('packages.create', { name: 'Switch', msiPath: msi, parameters: '/qb', runAs: 'admin' });
    assert.equal(sw.class, 'invalid-parameters');
  });

  test('a package used by a task cannot be deleted; its duplicate shares the files and can be', async () => {
    const [pkg] = (await call('packages.list', {})).filter((p) => p.name === 'Endpoint Agent 11');
    services.tasks.create({ name: 'uses it', packageId: pkg!.id, scheduledAt: null, targets: [{ computerId: null, computerName: 'PC01' }] });
    const inUse = await refused('packages.remove', { id: pkg!.id });
    assert.equal(inUse.class, 'package-in-use');
    const copy = await call('packages.duplicate', { id: pkg!.id, name: 'Endpoint Agent 11 (admin)', runAs: 'admin', parameters: 'REBOOT=Force' });
    assert.equal(copy.msiSha256, pkg!.msiSha256);
    assert.equal(copy.runAs, 'admin');
    assert.equal((await call('packages.list', {})).find((p) => p.id === pkg!.id)?.usedByTasks, 1);
    assert.deepEqual(await call('packages.remove', { id: copy.id }), { removed: true });
    assert.ok(fs.existsSync(services.packages.source(pkg!.id)!.msiPath), 'shared files stay for the original');
  });

  test('files.list returns names, kinds and sizes filtered by extension, never contents', async () => {
    const listing = await call('files.list', { path: dir, extensions: ['msi'] });
    assert.equal(listing.path, dir);
    const file = listing.entries.find((e) => e.name === 'endpoint-agent.msi');
    assert.deepEqual(file, { name: 'endpoint-agent.msi', kind: 'file', size: fs.statSync(msi).size });
    assert.ok(listing.entries.some((e) => e.kind === 'folder' && e.name === 'data'));
    assert.ok(!listing.entries.some((e) => e.name.endsWith('.xml')), 'filtered');
    assert.ok(!JSON.stringify(listing).includes('<config>'));
    assert.equal((await refused('files.list', { path: path.join(dir, 'nope') })).class, 'file');
    assert.equal((await call('files.chooseNative', { title: 'x', extensions: ['msi'] })).supported, false);
  });

  test('files.chooseNative uses the shell\'s own dialog when it has one (Electron), with the asked title and extensions', async () => {
    const asked: unknown[] = [];
    const electronLike = createConsoleServices({
      dataDir: path.join(dir, 'data-native'),
      shell: 'electron',
      chooseFile: (title, extensions) => {
        asked.push([title, extensions]);
        return Promise.resolve('/home/admin/agent.msi');
      },
    });
    try {
      const envelope = await electronLike.router(() => true).dispatch('files.chooseNative', { title: 'Installer package (.msi)', extensions: ['msi'] }, { shell: 'electron', url: 'file:///x' });
      assert.deepEqual(envelope, { ok: true, result: { supported: true, path: '/home/admin/agent.msi' } });
      assert.deepEqual(asked, [['Installer package (.msi)', ['msi']]]);
    } finally {
      await electronLike.close();
    }
  });

  test('computers.preview marks names already listed as existing duplicates', async () => {
    await call('computers.add', { entries: ['PC01'] });
    const p = await call('computers.preview', { text: 'pc01\n127.0.77.1-127.0.77.3' });
    assert.deepEqual(p.duplicates, [{ line: 1, entry: 'PC01', existing: true }]);
    assert.equal(p.entries.length, 3);
    fs.writeFileSync(path.join(dir, 'hosts.csv'), 'Name,Owner\nws-1,a\nws-2,b\n');
    assert.deepEqual((await call('computers.previewFile', { path: path.join(dir, 'hosts.csv') })).entries.map((e) => e.name), ['WS-1', 'WS-2']);
  });

  test('exports: the CSV and the logs ZIP hold every target\'s results and logs, pass unzip -t and zipfile, and no password', async () => {
    const credentialId = services.vault.put('admin', 'CORP\\admin', PASSWORD);
    const [pkg] = await call('packages.list', {});
    const { taskId, targetIds } = services.tasks.create({
      name: 'Deploy "agent", phase 1', packageId: pkg!.id, scheduledAt: null,
      targets: [{ computerId: null, computerName: 'WS-01', credentialId }, { computerId: null, computerName: 'WS-02', credentialId }],
    });
    const [a, b] = targetIds as [number, number];
    services.tasks.updateTarget(a, { state: 'done', outcome: 'succeeded', exit_code: 0, started_at: '2026-01-01T10:00:00.000Z', finished_at: '2026-01-01T10:01:30.000Z', msi_log: `MSI (s) Property(S): PASSWORD=${PASSWORD}\r\nProduct: Endpoint Agent -- Installation completed successfully.` });
    services.tasks.updateTarget(b, { state: 'done', outcome: 'failed', error_class: 'access-denied', error_code: 'STATUS_ACCESS_DENIED', error_message: '=cmd|calc', advice: 'Use a domain account.' });
    services.tasks.appendStep(a, 'copying', 'copied the agent (100 %)');
    // A remote message that echoed the secret back: the export must scrub it.
    services.tasks.appendStep(b, 'authenticating', `server said: bad password ${PASSWORD}`, 'STATUS_LOGON_FAILURE');

    const some = await call('tasks.targetsById', { taskId, targetIds: [b, 999_999] });
    assert.deepEqual(some.map((t) => [t.id, t.errorClass]), [[b, 'access-denied']], 'only the asked targets of this task');

    const csv = await call('history.exportCsv', { taskId });
    assert.match(csv.fileName, /^task-\d+-Deploy_agent_phase_1-results\.csv$/);
    const lines = csv.text.trim().split('\r\n');
    assert.equal(lines.length, 3);
    assert.match(lines[1]!, /^WS-01,,done,succeeded,.*,90,/);
    assert.match(lines[2]!, /access-denied,STATUS_ACCESS_DENIED,'=cmd\|calc/, 'formula cells are defused');
    assert.ok(!csv.text.includes(PASSWORD));

    const zip = await call('history.exportLogs', { taskId });
    const file = path.join(dir, zip.fileName);
    fs.writeFileSync(file, Buffer.from(zip.base64, 'base64'));
    assert.equal(fs.statSync(file).size, zip.bytes);
    const test = execFileSync('unzip', ['-t', file], { encoding: 'utf8' });
    assert.match(test, /No errors detected/);
    const py = execFileSync('python3', ['-c', `
import sys, zipfile, json
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps({n: z.read(n).decode('utf-8') for n in z.namelist()}))`, file], { encoding: 'utf8' });
    const contents = JSON.parse(py) as Record<string, string>;
    assert.deepEqual(Object.keys(contents).sort(), ['README.txt', `WS-01-${a}/msi.log`, `WS-01-${a}/steps.log`, `WS-02-${b}/steps.log`, 'results.csv']);
    assert.match(contents[`WS-02-${b}/steps.log`]!, /authenticating\tserver said: bad password \*{8}\t\[STATUS_LOGON_FAILURE\]/);
    assert.match(contents[`WS-01-${a}/msi.log`]!, new RegExp(`PASSWORD=${REDACTED.replace(/\*/g, '\\*')}`));
    for (const [name, text] of Object.entries(contents)) assert.ok(!text.includes(PASSWORD), `${name} holds the password`);
    assert.ok(!fs.readFileSync(file).includes(Buffer.from(PASSWORD)), 'nor do the raw ZIP bytes');
  });

  test('the ZIP writer: CRC-32 check value, UTF-8 names, and unsafe names refused', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    const zip = writeZip([{ name: 'Ünïcode/ä.txt', data: Buffer.from('x'.repeat(10_000)) }, { name: 'empty.txt', data: Buffer.alloc(0) }]);
    const file = path.join(dir, 'names.zip');
    fs.writeFileSync(file, zip);
    const names = execFileSync('python3', ['-c', 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print("|".join(z.namelist()))', file], { encoding: 'utf8' }).trim();
    assert.equal(names, 'Ünïcode/ä.txt|empty.txt');
    for (const bad of ['../x', '/abs', 'a\\b', 'a//b']) assert.throws(() => writeZip([{ name: bad, data: Buffer.alloc(1) }]));
  });
});
