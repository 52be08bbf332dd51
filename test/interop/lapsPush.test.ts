// LAPS end to end against real peers: Debian's slapd (test/support/slapd.ts: AD's computer schema and
// Microsoft's LAPS attributes) holds the computer objects of lab hosts whose local Administrator
// passwords all differ (main/lab/lab.ts localAdministrator), and the lab's agents check the install
// credential as LogonUserW would. Through the console's own services and IPC router, a LAPS
// credential (credentials.setLaps) pushes to five hosts — found by NetBIOS name, by the NetBIOS name
// a host added by address reports, by DNS name; two Windows LAPS JSON passwords (one for a renamed
// account), one legacy, one stale (the directory's password is not the host's, and expired): three
// succeed, each logged on and installed with its own password, the stale one fails logon-failure
// with advice after a warning, and a host with no LAPS attribute fails laps-missing without a single
// connection to it. Test shows per computer the attribute and account; Remove Leftovers reads the
// password again. Then no LAPS password (nor the reader's) is anywhere: the database and its WAL,
// the step logs, the IPC results and events, the CSV and ZIP exports, a crash report written with
// one in its message. A cancel ends a LAPS read that hangs. Last, pushctl diagnose and push --laps --json.
// Addresses 127.0.193.0/24 (.1 slapd and the package server, .2 a directory that never answers,
// .11-.15 the lab), ports 14640-14646 (docs/TESTING.md).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { crashReportDir, writeCrashReport } from '../../main/app/crashReport.js';
import { dateToFileTime } from '../../main/import/lapsReader.js';
import { startLab, type Lab } from '../../main/lab/lab.js';
import { redact } from '../../main/smb/auth/secretRegistry.js';
import { REPO_ROOT, runCaptured } from '../support/childProcess.js';
import { secretForms, secretHits, secretHitsInFolder, type SecretForms } from '../support/secretSearch.js';
import { BASE_DN, READER_DN, READER_PASSWORD, startSlapd, type DirectoryComputerSeed, type RunningSlapd } from '../support/slapd.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { startRecordedConsole } from '../support/recordedConsole.js';

const SLAPD_HOST = '127.0.193.1';
const LAB_FIRST = '127.0.193.11';
const LAB_PORT = 14642;
const PACKAGE_PORT = 14643;
const CLI_PACKAGE_PORT = 14644;
const DEMO_MSI = path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi');
const DAY = 24 * 3600 * 1000;
const future = dateToFileTime(new Date(Date.now() + 30 * DAY));
const past = dateToFileTime(new Date(Date.now() - 3 * DAY));
const updated = BigInt(dateToFileTime(new Date('2026-11-02T08:30:00Z'))).toString(16);
const unique = (tag: string) => `${tag}-${crypto.randomBytes(9).toString('base64url')}#${crypto.randomInt(1e6)}`;

/** Each host's own local Administrator password (and the directory's, which differs for the stale one). */
const PW = {
  win: unique('Win-laps'),
  renamed: unique('Renamed-laps'),
  legacy: unique('Legacy-laps'),
  staleOnHost: unique('Host-rotated'),
  staleInDirectory: unique('Stale-laps'),
  none: unique('No-laps'),
};
const json = (n: string, p: string) => JSON.stringify({ n, t: updated, p });

/** The lab's hosts: LAB-PC-001 … 005 on 127.0.193.11 … 15. */
const HOSTS = {
  win: 'LAB-PC-001', // msLAPS-Password, Administrator; added by NetBIOS name
  renamed: 'LAB-PC-002', // msLAPS-Password for a renamed account; added by address: found by the NetBIOS name it reports
  legacy: 'LAB-PC-003', // ms-Mcs-AdmPwd; added by DNS name
  stale: 'LAB-PC-004', // msLAPS-Password the host no longer has, and expired
  none: 'LAB-PC-005', // a computer object without LAPS attributes
};
const address = (name: string) => `127.0.193.${10 + Number(name.slice(-3))}`;
const dnsName = (name: string) => `${name.toLowerCase()}.lab.example`;

const COMPUTERS: DirectoryComputerSeed[] = [
  { cn: HOSTS.win, ou: 'Workstations', sAMAccountName: `${HOSTS.win}$`, dnsName: dnsName(HOSTS.win), attributes: { 'msLAPS-Password': json('Administrator', PW.win), 'msLAPS-PasswordExpirationTime': future } },
  { cn: HOSTS.renamed, ou: 'Workstations', sAMAccountName: `${HOSTS.renamed}$`, dnsName: dnsName(HOSTS.renamed), attributes: { 'msLAPS-Password': json('LapsAdmin', PW.renamed), 'msLAPS-PasswordExpirationTime': future } },
  { cn: HOSTS.legacy, ou: 'Workstations', sAMAccountName: `${HOSTS.legacy}$`, dnsName: dnsName(HOSTS.legacy), attributes: { 'ms-Mcs-AdmPwd': PW.legacy, 'ms-Mcs-AdmPwdExpirationTime': future } },
  { cn: HOSTS.stale, ou: 'Workstations', sAMAccountName: `${HOSTS.stale}$`, dnsName: dnsName(HOSTS.stale), attributes: { 'msLAPS-Password': json('Administrator', PW.staleInDirectory), 'msLAPS-PasswordExpirationTime': past } },
  { cn: HOSTS.none, ou: 'Workstations', sAMAccountName: `${HOSTS.none}$`, dnsName: dnsName(HOSTS.none) },
];

const LOCAL_ADMIN: Record<string, string | { user: string; password: string }> = {
  [HOSTS.win]: PW.win,
  [HOSTS.renamed]: { user: 'LapsAdmin', password: PW.renamed },
  [HOSTS.legacy]: PW.legacy,
  [HOSTS.stale]: PW.staleOnHost,
  [HOSTS.none]: PW.none,
};

/** Every password the test must never find: each host's, the directory's stale one, the reader's. */
const SECRETS: { name: string; forms: SecretForms }[] = [...Object.entries(PW).map(([name, p]) => ({ name, forms: secretForms(p) })), { name: 'reader', forms: secretForms(READER_PASSWORD) }];

function hitsIn(where: string, data: Buffer | string): string[] {
  return SECRETS.flatMap((s) => secretHits(s.forms, data).map((h) => `${where}: ${s.name} ${h}`));
}
function hitsInFolder(dir: string): string[] {
  return SECRETS.flatMap((s) => secretHitsInFolder(s.forms, dir).map((h) => `${s.name}: ${h}`));
}

const run = (command: string, args: string[], env: NodeJS.ProcessEnv) => runCaptured(command, args, env, 90_000);

describe('LAPS pushes: each computer logs on with its own local Administrator password from the directory', () => {
  let dir = '';
  let slapd: RunningSlapd;
  let lab: Lab;
  let caFile = '';

  before(async () => {
    dir = makeTempDir('pic-laps-push-');
    slapd = await startSlapd(COMPUTERS, SLAPD_HOST, { ldap: 14640, ldaps: 14641 });
    caFile = path.join(dir, 'ca.pem');
    fs.writeFileSync(caFile, slapd.certificatePem);
    lab = await startLab({
      hosts: 5, first: LAB_FIRST, port: LAB_PORT, profile: 'healthy', installTimeMs: 200, logonFailureDelayMs: 100, startTimeoutMs: 300,
      localAdministrator: (name) => LOCAL_ADMIN[name], checkInstallCredential: true,
    });
    for (const host of lab.hosts) host.recordWrites = true;
    const agent = path.join(dir, 'PushInstallAgent.exe');
    fs.writeFileSync(agent, crypto.randomBytes(24 * 1024));
    process.env.PUSHCONSOLE_AGENT = agent;
  });
  after(async () => {
    delete process.env.PUSHCONSOLE_AGENT;
    await lab?.close();
    await slapd?.stop();
    if (dir) removeDir(dir);
  });

  test('through the console: three succeed with their own passwords, the stale one fails logon-failure, no LAPS attribute fails laps-missing without a connection; no password anywhere', async (t) => {
    const dataDir = path.join(dir, 'data');
    const { services, events, results, call, close } = startRecordedConsole(t, dataDir);
    // One push at a time: the others wait in the queue, where a LAPS target is not probed ahead either.
    await call('settings.update', { simulatedLab: false, connectTimeoutSeconds: 2, agentCallbackTimeoutSeconds: 15, callbackAddress: SLAPD_HOST, maxConcurrentPushes: 1 });
    const runtime = await services.startPush({ port: PACKAGE_PORT, host: SLAPD_HOST });
    assert.ok(!(runtime instanceof Error), String(runtime));

    // As the admin adds them: by NetBIOS name, by address, by DNS name (each with its address and the lab's port).
    const entries = [
      { name: HOSTS.win, address: address(HOSTS.win) },
      { name: address(HOSTS.renamed), address: address(HOSTS.renamed) },
      { name: dnsName(HOSTS.legacy), address: address(HOSTS.legacy) },
      { name: HOSTS.stale, address: address(HOSTS.stale) },
      { name: HOSTS.none, address: address(HOSTS.none) },
    ];
    const { added } = services.computers.addMany(entries.map((e) => ({ ...e, port: LAB_PORT, groupName: 'LAPS' })));
    assert.equal(added.length, 5);
    const idOf = (host: string) => added[Object.values(HOSTS).indexOf(host)]!.id;

    const credential = await call<{ id: number; user: string; laps?: { url: string; bindDn: string; ca: boolean } }>('credentials.setLaps', {
      url: slapd.ldapsUrl, baseDn: BASE_DN, startTls: false, allowUntrusted: false, caPem: slapd.certificatePem, bindDn: READER_DN, password: READER_PASSWORD, remember: false,
    });
    assert.deepEqual(credential.laps, { url: slapd.ldapsUrl, baseDn: BASE_DN, startTls: false, allowUntrusted: false, ca: true, bindDn: READER_DN });
    const listed = await call<{ id: number; laps?: unknown; storage: string }[]>('credentials.list', {});
    assert.ok(listed.find((c) => c.id === credential.id)?.laps, 'credentials.list shows it as LAPS');

    // Test: per computer, the attribute and the account found — never the password.
    const checks = await call<{ computerId: number; ok: boolean; logon: boolean | null; error: { class: string } | null; laps?: { attribute: string; account: string; expired: boolean; lookedUp: string } | null }[]>('credentials.test', { credentialId: credential.id, computerIds: added.map((c) => c.id) });
    const check = (host: string) => checks.find((c) => c.computerId === idOf(host))!;
    assert.deepEqual([check(HOSTS.win).ok, check(HOSTS.win).laps?.attribute, check(HOSTS.win).laps?.account], [true, 'msLAPS-Password', 'Administrator']);
    assert.deepEqual([check(HOSTS.renamed).ok, check(HOSTS.renamed).laps?.account], [true, 'LapsAdmin']);
    assert.match(check(HOSTS.renamed).laps!.lookedUp, /NetBIOS name LAB-PC-002 \(as 127\.0\.193\.12 reports it\)/);
    assert.deepEqual([check(HOSTS.legacy).ok, check(HOSTS.legacy).laps?.attribute, check(HOSTS.legacy).laps?.lookedUp], [true, 'ms-Mcs-AdmPwd', `by DNS name ${dnsName(HOSTS.legacy)}`]);
    assert.deepEqual([check(HOSTS.stale).ok, check(HOSTS.stale).logon, check(HOSTS.stale).laps?.expired, check(HOSTS.stale).error?.class], [false, false, true, 'logon-failure']);
    assert.deepEqual([check(HOSTS.none).ok, check(HOSTS.none).error?.class, check(HOSTS.none).laps], [false, 'laps-missing', null]);
    const none = lab.host(HOSTS.none)!;
    assert.equal(none.counters.connections, 0, 'Test made no connection to a computer without a LAPS password');

    // The push, installing as the account: the agent gets the computer's own password over TLS.
    const pkg = await call<{ id: number }>('packages.create', { name: 'LAPS demo', msiPath: DEMO_MSI, parameters: '', runAs: 'admin' });
    const { taskId } = await call<{ taskId: number }>('tasks.create', { name: 'LAPS push', packageId: pkg.id, scheduledAt: null, runAs: 'admin', targets: added.map((c) => ({ computerId: c.id, credentialId: credential.id })) });
    await services.runtime()!.engine.waitForTask(taskId);
    services.runtime()!.engine.flush();
    assert.equal(services.runtime()!.engine.lapsPasswordsHeld, 0, 'every LAPS password was forgotten when its push ended');
    const targets = await call<{ id: number; computerName: string; outcome: string | null; errorClass: string | null; advice: string | null }[]>('tasks.targets', { taskId });
    const target = (host: string) => targets.find((x) => x.id === services.tasks.targetRecords(taskId).find((r) => r.computer_id === idOf(host))!.id)!;
    const logOf = async (host: string) => (await call<{ step: string; detail: string; code: string | null }[]>('targets.log', { targetId: target(host).id })).map((s) => `${s.step}: ${s.detail}${s.code ? ` [${s.code}]` : ''}`).join('\n');
    for (const host of [HOSTS.win, HOSTS.renamed, HOSTS.legacy]) assert.deepEqual([target(host).outcome, target(host).errorClass], ['succeeded', null], `${host}:\n${await logOf(host)}`);
    assert.deepEqual([target(HOSTS.stale).outcome, target(HOSTS.stale).errorClass], ['failed', 'logon-failure']);
    assert.match(target(HOSTS.stale).advice ?? '', /its LAPS password .*not the computer's.*Reset-LapsPassword/);
    assert.deepEqual([target(HOSTS.none).outcome, target(HOSTS.none).errorClass], ['failed', 'laps-missing']);
    assert.match(target(HOSTS.none).advice ?? '', /LAPS/);

    // The step logs: which attribute and account, and as whom it logged on and installed.
    const win = await logOf(HOSTS.win);
    assert.match(win, /laps: LAPS: msLAPS-Password, account \.\\Administrator, updated 2026-11-02 08:30 UTC, expires /);
    assert.match(win, /found by NetBIOS name LAB-PC-001/);
    assert.match(win, /logon: SMB 3\.1\.1 as \.\\Administrator/);
    assert.match(await logOf(HOSTS.renamed), /account \.\\LapsAdmin[\s\S]*as \.\\LapsAdmin/);
    assert.match(await logOf(HOSTS.legacy), /LAPS: ms-Mcs-AdmPwd, account \.\\Administrator[\s\S]*found by DNS name lab-pc-003\.lab\.example/);
    const stale = await logOf(HOSTS.stale);
    assert.match(stale, /warning: the LAPS password of .* expired .* trying it anyway \[LAPS-EXPIRED\]/);
    assert.match(stale, /STATUS_LOGON_FAILURE/);
    assert.doesNotMatch(await logOf(HOSTS.none), /logon:|probe:/, 'laps-missing ends the target before any connection');
    for (const host of [HOSTS.win, HOSTS.renamed, HOSTS.legacy]) {
      const record = services.tasks.targetRecords(taskId).find((r) => r.computer_id === idOf(host))!;
      const account = host === HOSTS.renamed ? 'LapsAdmin' : 'Administrator';
      assert.deepEqual([record.laps_attribute, record.laps_account], [host === HOSTS.legacy ? 'ms-Mcs-AdmPwd' : 'msLAPS-Password', account]);
      assert.match(record.msi_log ?? '', new RegExp(`USERNAME=\\.\\\\${account}`), `${host}: msiexec ran as the computer's own account (the agent's LogonUserW took its password)`);
      const h = lab.host(host)!;
      assert.ok(h.counters.logons >= 2 && h.counters.logonFailures === 0, `${host}: logged on with its own password (Test, push): ${JSON.stringify(h.counters)}`);
    }
    assert.ok(lab.host(HOSTS.stale)!.counters.logonFailures >= 2);
    assert.deepEqual([none.counters.connections, none.counters.logons], [0, 0], 'no connection at all to the computer without LAPS');
    assert.deepEqual(lab.leftovers(), []);

    // Remove Leftovers on a LAPS target reads its password again: a run folder left on LAB-PC-001.
    const winTarget = services.tasks.targetRecords(taskId).find((r) => r.computer_id === idOf(HOSTS.win))!;
    const left = { service: null, files: ['PushInstall\\rLeft\\PushInstallAgent.exe'], directories: ['PushInstall\\rLeft', 'PushInstall'] };
    const h1 = lab.host(HOSTS.win)!;
    h1.directories.add('pushinstall').add('pushinstall\\rleft');
    h1.files.set('pushinstall\\rleft\\pushinstallagent.exe', Buffer.from('left behind'));
    services.tasks.updateTarget(winTarget.id, { leftovers: JSON.stringify(left) });
    const cleaned = await services.runtime()!.engine.removeLeftovers(winTarget.id);
    assert.equal(cleaned.left, null, JSON.stringify(cleaned));
    assert.deepEqual(lab.leftovers(), []);
    assert.match(await logOf(HOSTS.win), /cleanup: LAPS password read again for the cleanup: msLAPS-Password, account \.\\Administrator/);

    // A directory that takes the connection and never answers: Cancel Task ends the read (the push's abort), no logon is tried.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => void sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(14645, '127.0.193.2', resolve));
    try {
      const hanging = await call<{ id: number }>('credentials.setLaps', { url: 'ldaps://127.0.193.2:14645', baseDn: BASE_DN, startTls: false, allowUntrusted: true, bindDn: READER_DN, password: READER_PASSWORD, remember: false });
      const logonsBefore = h1.counters.logons;
      const { taskId: cancelledTask } = await call<{ taskId: number }>('tasks.create', { name: 'LAPS cancel', packageId: pkg.id, scheduledAt: null, runAs: 'admin', targets: [{ computerId: idOf(HOSTS.win), credentialId: hanging.id }] });
      const [waiting] = services.tasks.targetRecords(cancelledTask);
      const deadline = Date.now() + 10_000;
      while (sockets.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(sockets.size, 1, 'the LAPS read is under way');
      const t0 = Date.now();
      await call('tasks.cancel', { taskId: cancelledTask });
      await services.runtime()!.engine.waitForTask(cancelledTask);
      services.runtime()!.engine.flush();
      const ended = services.tasks.targetRecord(waiting!.id)!;
      assert.deepEqual([ended.outcome, ended.error_class], ['cancelled', 'cancelled']);
      assert.ok(Date.now() - t0 < 3000, `cancelled at once (${Date.now() - t0} ms)`);
      assert.equal(h1.counters.logons, logonsBefore, 'no logon was tried');
      assert.equal(services.runtime()!.engine.lapsPasswordsHeld, 0);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }

    // Exports, through the history channels.
    const csv = await call<{ text: string }>('history.exportCsv', { taskId });
    assert.ok(csv.text.includes('laps-missing'));
    const zip = await call<{ base64: string; entries: number }>('history.exportLogs', { taskId });
    const zipFile = path.join(dir, 'logs.zip');
    fs.writeFileSync(zipFile, Buffer.from(zip.base64, 'base64'));
    const unzipped = spawnSync('unzip', ['-p', zipFile], { maxBuffer: 64 * 1024 * 1024 });
    assert.equal(unzipped.status, 0, String(unzipped.stderr));
    assert.match(unzipped.stdout.toString('utf8'), /LAPS: msLAPS-Password, account \.\\Administrator/);
    assert.deepEqual(hitsIn('the logs ZIP (inflated)', unzipped.stdout), []);
    fs.rmSync(zipFile);
    for (const target of targets) await call('targets.msiLog', { targetId: target.id });

    // A crash report written now, its message carrying a LAPS password: redacted on the way out.
    const crashDir = crashReportDir(dataDir);
    writeCrashReport(new Error(`boom while pushing with ${PW.win} and ${PW.legacy}`), 'uncaughtException', { dir: crashDir, shell: 'browser', keep: 10, redact });
    assert.equal(fs.readdirSync(crashDir).length, 1);
    assert.deepEqual(hitsInFolder(crashDir), [], 'the crash-report folder');
    assert.match(fs.readFileSync(path.join(crashDir, fs.readdirSync(crashDir)[0]!), 'utf8'), /boom while pushing with \[redacted\] and \[redacted\]/);

    assert.deepEqual(hitsInFolder(dataDir), [], 'the data folder while running (database, WAL)');
    await close();
    assert.deepEqual(hitsInFolder(dataDir), [], 'the data folder after closing');
    assert.deepEqual(results.flatMap((r) => hitsIn(`IPC result ${r.slice(0, 120)}`, r)), [], 'IPC results (step logs, exports, Test)');
    assert.deepEqual(events.flatMap((e) => hitsIn(`event ${e.slice(0, 120)}`, e)), [], 'IPC events');
    const written = lab.hosts.flatMap((h) => h.writtenFiles().map((f) => ({ where: `${h.config.name} ${f.path}`, data: f.data })));
    assert.ok(written.some((f) => /\.job$/i.test(f.where)), 'job files were captured');
    assert.deepEqual(written.flatMap((f) => hitsIn(f.where, f.data)), [], 'files written to ADMIN$');
  });

  test('pushctl diagnose --laps shows the attribute and account; push --laps --json carries lapsAttribute and lapsAccount, never a password', async () => {
    const cliData = path.join(dir, 'cli-data');
    const env = { ...process.env, PIC_LAPS_READER: READER_PASSWORD, PUSHCONSOLE_KEYCHAIN: 'off' };
    const laps = ['--laps', '--ldap', slapd.ldapUrl, '--ldap-starttls', '--base-dn', BASE_DN, '--ldap-user', READER_DN, '--ldap-password-env', 'PIC_LAPS_READER', '--ldap-ca', caFile];
    const spec = (host: string) => `${address(host)}:${LAB_PORT}`;
    const pushctl = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'main/cli/entry.ts', '--data', cliData, ...args], env);

    const diagnosed = await pushctl(['diagnose', spec(HOSTS.renamed), spec(HOSTS.none), ...laps]);
    assert.equal(diagnosed.status, 1, diagnosed.stderr);
    assert.match(diagnosed.stdout, /LAPS msLAPS-Password, account \.\\LapsAdmin, found by NetBIOS name LAB-PC-002/);
    assert.match(diagnosed.stdout, /authentication ok with NTLMv2; ADMIN\$ writable; Service Control Manager may create services/);
    assert.match(diagnosed.stdout, /✗ laps: laps-missing/);

    const pushed = await pushctl(['push', spec(HOSTS.win), spec(HOSTS.legacy), spec(HOSTS.none), '--msi', DEMO_MSI, ...laps, '--port', String(CLI_PACKAGE_PORT), '--callback', '127.0.0.1', '--json']);
    assert.equal(pushed.status, 1, `one of three fails: exit 1; stderr: ${pushed.stderr}`);
    const report = JSON.parse(pushed.stdout) as { targets: { target: string; outcome: string; errorClass: string | null; lapsAttribute: string | null; lapsAccount: string | null }[] };
    const byTarget = (host: string) => report.targets.find((x) => x.target === spec(host))!;
    assert.deepEqual(Object.values(HOSTS).filter((h) => h !== HOSTS.renamed && h !== HOSTS.stale).map((h) => [byTarget(h).outcome, byTarget(h).errorClass, byTarget(h).lapsAttribute, byTarget(h).lapsAccount]), [
      ['succeeded', null, 'msLAPS-Password', 'Administrator'],
      ['succeeded', null, 'ms-Mcs-AdmPwd', 'Administrator'],
      ['failed', 'laps-missing', null, null],
    ]);
    for (const out of [diagnosed.stdout, diagnosed.stderr, pushed.stdout, pushed.stderr]) assert.deepEqual(hitsIn('pushctl output', out), []);
    assert.deepEqual(hitsInFolder(cliData), [], 'pushctl data folder');
    assert.deepEqual(lab.leftovers(), []);
  });
});
