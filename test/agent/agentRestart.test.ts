// Restarts after an install, carried out by the REAL agent under Wine (agent/README.md, "Restarts"):
// the console's job carries `restart: {policy, graceSeconds, forceAfterSeconds, message}`; after a
// REAL msiexec 3010 (a wixl MSI with ScheduleReboot) the agent schedules the restart, reports it in
// its result (POST /v1/result, or <exe>.result with the SMB transport) and keeps running as the
// service until Windows restarts — or until a stop cancels the restart (AbortSystemShutdownW, exit 19).
// Wine stubs InitiateShutdownW (120), WTSEnumerateSessionsW (no session) and WTSSendMessageW, so the
// agent runs with its test hook (--test-shutdown-log): each shutdown, session and message call is
// written to a file with its arguments, --test-sessions / --test-ask-answer / --test-shutdown-fail
// say what they return. One case runs without the hook and shows what Wine's own calls do.
// The callback cases talk to a scripted console (agentHarness.ts) whose job is exactly what the test
// writes: the package server's job does not carry `restart` yet. Addresses: 127.0.200.0/24 only.
// Needs wine, wine64, wixl and mingw-w64, and the built agent (bash agent/build.sh).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { createWinePrefix, requireTools } from '../support/wine.js';
import {
  AGENT_EXE, SERVICE_RUNNING, SERVICE_STOPPED, buildProductMsi, deleteService, placeAgent, placeLocalPackage, placeTransportAgent, serviceState,
  startAgentService, startScriptedConsole, waitForServiceState, type PlacedAgent, type TransportAgent,
} from './agentHarness.js';
import { MsiBuilder, type BuiltMsi } from './msiFixtures.js';

const CONSOLE_HOST = '127.0.200.1';
const FLAGS = '0x5'; // SHUTDOWN_RESTART | SHUTDOWN_FORCE_OTHERS
const REASON = '0x80040002'; // SHTDN_REASON_MAJOR_APPLICATION | SHTDN_REASON_MINOR_INSTALLATION | SHTDN_REASON_FLAG_PLANNED
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RestartMember {
  state: string;
  policy?: string;
  at?: string;
  asked?: boolean;
  win32?: number;
}
interface ResultBody {
  exitCode: number;
  log: string;
  restart?: RestartMember;
}

/** How the hook writes a text: quoted, with \ " CR LF escaped. */
const quoted = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r/g, '\\r').replace(/\n/g, '\\n')}"`;

test('restarts after install: the policy carried out by the real agent under Wine', { timeout: 600_000 }, async (t) => {
  requireTools(['wine', 'wineserver', 'wineboot', 'wixl', 'x86_64-w64-mingw32-gcc']);
  assert.ok(fs.existsSync(AGENT_EXE), `${AGENT_EXE} is missing: run bash agent/build.sh`);
  const t0 = Date.now();
  const wine = await createWinePrefix();
  t.after(() => wine.close());
  const work = makeTempDir('pic-restart-');
  t.after(() => removeDir(work));
  t.diagnostic(`Wine prefix ready in ${Date.now() - t0} ms`);
  const msis = new MsiBuilder(path.join(work, 'msi'), 64 * 1024);
  const con = await startScriptedConsole(t, work, CONSOLE_HOST);
  fs.mkdirSync(wine.unixPath('C:\\restart-hooks'), { recursive: true });

  let n = 0;
  const newRun = (kind: string) => `${kind}-${++n}-${crypto.randomBytes(3).toString('hex')}`;
  /** A product that needs nothing beside it and ends with msiexec 0 (test/fixtures/msi/good.wxs wants cfg.xml). */
  const plainMsi = (): BuiltMsi => {
    const variant = `plain${++n}${crypto.randomBytes(2).toString('hex')}`;
    const file = buildProductMsi(work, variant, { hello: 'installed\r\n', property: 'MARKER', registryName: 'Marker' });
    const data = fs.readFileSync(file);
    return { kind: 'good', variant, file, size: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex') };
  };
  const installed = (msi: BuiltMsi) => fs.existsSync(path.join(wine.driveC, 'Program Files', `PushInstallTest-${msi.variant}`, 'hello.txt'));
  const workFolder = (run: string) => wine.unixPath(`C:\\windows\\Temp\\PushInstall-${run}`);

  /** A run's hook file: its Windows path (for the command line) and its lines so far. */
  const hookFile = (run: string) => {
    const win = `C:\\restart-hooks\\${run}.log`;
    const unix = wine.unixPath(win);
    return { win, exists: () => fs.existsSync(unix), lines: () => (fs.existsSync(unix) ? fs.readFileSync(unix, 'utf8').split('\n').filter(Boolean) : []) };
  };

  interface Push {
    run: string;
    agent: PlacedAgent;
    name: string;
    hook: ReturnType<typeof hookFile>;
    /** The result as the agent reported it (posted, or <exe>.result). */
    result(): ResultBody | undefined;
    /** Requests the console saw (callback only). */
    requests(): string[];
    startedAt: number;
  }

  /** A callback push: the scripted console's job is the install of msi (none: no files) with `job` merged in. */
  const pushCallback = async (o: { msi?: BuiltMsi; job: Record<string, unknown>; hookArgs?: string | null }): Promise<Push> => {
    const run = newRun('cb');
    const files = o.msi ? [{ name: 'product.msi', size: o.msi.size, sha256: o.msi.sha256, role: 'msi' }] : [];
    const token = con.add({ job: { runId: run, parameters: '', runAs: 'system', action: 'install', files, ...o.job }, files: o.msi ? { 'product.msi': o.msi.file } : {} });
    // The job file names an MSI; with the action restart it is not compared with anything.
    const jobMsi = o.msi ?? { size: 4242, sha256: crypto.randomBytes(32).toString('hex') };
    const agent = placeAgent(wine, { run, console: { host: con.host, port: con.port }, fingerprint: con.cert.fingerprint, token, packageId: 'restart', msi: jobMsi });
    const hook = hookFile(run);
    const startedAt = Date.now();
    const name = await startAgentService(wine, agent, o.hookArgs === null ? '' : ` --test-shutdown-log ${hook.win}${o.hookArgs ?? ''}`);
    return { run, agent, name, hook, result: () => con.result(token) as ResultBody | undefined, requests: () => con.requests(token), startedAt };
  };

  /** An SMB push: the package (msi, or none) and its manifest beside the agent, `manifest` merged into the manifest. */
  const pushSmb = async (o: { msi?: BuiltMsi; manifest: Record<string, unknown>; hookArgs?: string }): Promise<Push & { agent: TransportAgent }> => {
    const run = newRun('smb');
    const jobMsi = o.msi ?? { size: 4242, sha256: crypto.randomBytes(32).toString('hex') };
    const agent = placeTransportAgent(wine, { run, transport: 'smb', packageId: 'restart', msi: jobMsi });
    placeLocalPackage(agent, { files: o.msi ? [{ name: 'product.msi', path: o.msi.file, role: 'msi' }] : [], editManifest: (m) => ({ ...m, ...o.manifest }) });
    const hook = hookFile(run);
    const startedAt = Date.now();
    const name = await startAgentService(wine, agent, ` --test-shutdown-log ${hook.win}${o.hookArgs ?? ''}`);
    return { run, agent, name, hook, result: () => agent.result() as ResultBody | undefined, requests: () => [], startedAt };
  };

  const waitFor = async (what: string, p: Push, ok: () => boolean, timeoutMs = 90_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      assert.ok(Date.now() < deadline, `${what}: not within ${timeoutMs} ms\n${p.agent.log()}`);
      await sleep(150);
    }
  };
  const resultOf = async (p: Push): Promise<ResultBody> => {
    await waitFor('the result', p, () => p.result() !== undefined);
    return p.result()!;
  };
  /** The result is reported, the run cleaned up, .done written, and the service still RUNNING, waiting. */
  const assertWaiting = async (p: Push, doneResult: number) => {
    await waitFor('the wait for the restart', p, () => p.agent.log().includes('waiting for the restart: the service keeps running'));
    await sleep(1500);
    const s = await serviceState(wine, p.name);
    assert.equal(s.state, SERVICE_RUNNING, `${s.raw}\n${p.agent.log()}`);
    assert.equal(fs.readFileSync(path.join(p.agent.dirUnix, 'PushInstallAgent.exe.done'), 'utf8'), `run=${p.run}\r\nresult=${doneResult}\r\n`);
    assert.equal(fs.existsSync(path.join(p.agent.dirUnix, 'PushInstallAgent.exe.job')), false, 'the job file is deleted before the wait');
    assert.equal(fs.existsSync(path.join(p.agent.dirUnix, 'PushInstallAgent.exe.pkg')), false, 'the manifest is deleted before the wait');
    assert.equal(fs.existsSync(workFolder(p.run)), false, 'the work folder is deleted before the wait');
  };
  /** sc stop while the restart is pending: AbortSystemShutdownW, exit 19 (1066/19). */
  const cancelByStop = async (p: Push) => {
    const before = p.hook.lines().length;
    const at = Date.now();
    assert.equal((await wine.run('sc', ['stop', p.name], { timeoutMs: 30_000 })).status, 0);
    const stopped = await waitForServiceState(wine, p.name, SERVICE_STOPPED, 15_000, p.agent.log());
    const ms = Date.now() - at;
    await deleteService(wine, p.name);
    assert.equal(stopped.win32ExitCode, 1066, stopped.raw);
    assert.equal(stopped.serviceExitCode, 19, `${stopped.raw}\n${p.agent.log()}`);
    assert.deepEqual(p.hook.lines().slice(before), ['AbortSystemShutdownW machine=NULL']);
    assert.match(p.agent.log(), /control 1: stopping[\s\S]*pending restart cancelled \(AbortSystemShutdownW\)[\s\S]*service stopping with result 19/);
    assert.ok(ms < 5_000, `STOPPED ${ms} ms after sc stop`);
    return ms;
  };
  /** The service ended by itself: STOPPED with result, deleted. */
  const stoppedWith = async (p: Push, result: number) => {
    const s = await waitForServiceState(wine, p.name, SERVICE_STOPPED, 90_000, p.agent.log());
    await deleteService(wine, p.name);
    assert.equal(s.serviceExitCode, result, `${s.raw}\n${p.agent.log()}`);
  };
  /** `at` lies grace seconds after the scheduling, which was between the start and the result (1 s slack: whole seconds). */
  const assertAt = (at: string | undefined, p: Push, resultSeenAt: number, grace: number) => {
    assert.match(at ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const ms = Date.parse(at!);
    assert.ok(ms >= p.startedAt + grace * 1000 - 1500 && ms <= resultSeenAt + grace * 1000 + 1500, `at ${at}: not start + ${grace} s (${new Date(p.startedAt).toISOString()} .. ${new Date(resultSeenAt).toISOString()})`);
  };
  /** The HH:MM the question names for the deadline (local time: Wine's and Node's are the host's). */
  const localHhMm = (at: string) => {
    const d = new Date(at);
    return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  };

  await t.test('now after a 3010 (callback): InitiateShutdownW with the grace, flags, reason and message; scheduled with at = now + grace, reported before the wait; RUNNING until sc stop aborts it: exit 19', async () => {
    const msi = msis.build('reboot');
    const message = 'Sicherheitsupdate installiert – Neustart in 5 Minuten. "Bitte speichern."';
    const p = await pushCallback({ msi, job: { restart: { policy: 'now', graceSeconds: 300, forceAfterSeconds: 3600, message } }, hookArgs: ' --test-sessions user' });
    const result = await resultOf(p);
    const seenAt = Date.now();
    assert.equal(result.exitCode, 103010, p.agent.log());
    assert.equal(result.restart?.state, 'scheduled', JSON.stringify(result.restart));
    assert.equal(result.restart?.policy, 'now');
    assert.equal(result.restart?.asked, false);
    assert.equal(result.restart?.win32, undefined);
    assertAt(result.restart?.at, p, seenAt, 300);
    assert.deepEqual(Object.keys(result.restart!).sort(), ['asked', 'at', 'policy', 'state']);
    assert.deepEqual(p.hook.lines(), [`InitiateShutdownW grace=300 flags=${FLAGS} reason=${REASON} message=${quoted(message)}`]);
    assert.match(result.log, /msiexec exited with 3010 \(installed; a reboot is required\)/);
    assert.match(result.log, /restart scheduled with InitiateShutdownW \(now\): in 300 s at the latest/, 'the result carries the scheduling in its log');
    assert.ok(installed(msi));
    await assertWaiting(p, 103010);
    assert.deepEqual(p.requests().filter((r) => r.startsWith('POST /v1/result')), ['POST /v1/result'], 'one result, before the wait');
    const ms = await cancelByStop(p);
    t.diagnostic(`now: scheduled, RUNNING, sc stop -> AbortSystemShutdownW and STOPPED 1066/19 in ${ms} ms`);
  });

  await t.test('ask over the SMB manifest, answered no then yes: the deadline first, the question, asked again after graceSeconds, then abort + restart in 30 s', async () => {
    const msi = msis.build('reboot');
    const message = 'Security software was updated and needs a restart.';
    const p = await pushSmb({ msi, manifest: { restart: { policy: 'ask', graceSeconds: 2, forceAfterSeconds: 7200, message } }, hookArgs: ' --test-sessions user --test-ask-answer no,yes' });
    const result = await resultOf(p);
    const seenAt = Date.now();
    assert.equal(result.exitCode, 103010, p.agent.log());
    assert.deepEqual({ ...result.restart, at: undefined }, { state: 'scheduled', policy: 'ask', asked: true, at: undefined });
    assertAt(result.restart?.at, p, seenAt, 7200);
    await waitFor('the yes', p, () => p.hook.lines().length >= 7);
    const question = `${message}\n\nRestart now? (No: you are asked again in 2 seconds; the computer restarts at ${localHhMm(result.restart!.at!)} at the latest)`;
    const asked = (answer: string) => `WTSSendMessageW session=1 style=0x24 timeout=2 wait=1 title="Restart required" message=${quoted(question)} -> ${answer}`;
    assert.deepEqual(p.hook.lines(), [
      `InitiateShutdownW grace=7200 flags=${FLAGS} reason=${REASON} message=${quoted(message)}`,
      'WTSEnumerateSessionsW -> user',
      asked('IDNO'),
      'WTSEnumerateSessionsW -> user',
      asked('IDYES'),
      'AbortSystemShutdownW machine=NULL',
      `InitiateShutdownW grace=30 flags=${FLAGS} reason=${REASON} message=${quoted(message)}`,
    ]);
    const log = p.agent.log();
    const times = [...log.matchAll(/^(\S+) \[\d+\] asking the user of session 1/gm)].map((m) => Date.parse(m[1]!));
    assert.equal(times.length, 2, log);
    assert.ok(times[1]! - times[0]! >= 2000, `asked again after ${times[1]! - times[0]!} ms`);
    assert.match(log, /the user answered no: asking again in 2 s[\s\S]*the user answered yes: restarting in 30 s[\s\S]*restart in 30 s \(InitiateShutdownW\)/);
    assert.ok(log.indexOf('result written to <exe>.result') < log.indexOf('asking the user'), 'reported before the question');
    await assertWaiting(p, 103010);
    await cancelByStop(p);
  });

  await t.test('when-idle with a user logged on (callback): asked as with ask; yes -> abort + restart in 30 s', async () => {
    const msi = msis.build('reboot');
    const p = await pushCallback({ msi, job: { restart: { policy: 'when-idle', graceSeconds: 600, forceAfterSeconds: 86400, message: 'Restart needed.' } }, hookArgs: ' --test-sessions user --test-ask-answer yes' });
    const result = await resultOf(p);
    const seenAt = Date.now();
    assert.equal(result.exitCode, 103010);
    assert.equal(result.restart?.state, 'scheduled');
    assert.equal(result.restart?.policy, 'when-idle');
    assert.equal(result.restart?.asked, true);
    assertAt(result.restart?.at, p, seenAt, 86400);
    await waitFor('the yes', p, () => p.hook.lines().length >= 6);
    const lines = p.hook.lines();
    assert.equal(lines[0], 'WTSEnumerateSessionsW -> user', 'when-idle looks for users first');
    assert.equal(lines[1], `InitiateShutdownW grace=86400 flags=${FLAGS} reason=${REASON} message="Restart needed."`);
    assert.equal(lines[2], 'WTSEnumerateSessionsW -> user');
    assert.match(lines[3]!, /^WTSSendMessageW session=1 style=0x24 timeout=600 wait=1 title="Restart required" message="Restart needed\.\\n\\nRestart now\? \(No: you are asked again in 10 minutes; the computer restarts at \d\d:\d\d( on \d{4}-\d\d-\d\d)? at the latest\)" -> IDYES$/);
    assert.deepEqual(lines.slice(4), ['AbortSystemShutdownW machine=NULL', `InitiateShutdownW grace=30 flags=${FLAGS} reason=${REASON} message="Restart needed."`]);
    assert.match(p.agent.log(), /when-idle: a user is logged on: asking, as with ask/);
    await assertWaiting(p, 103010);
    await cancelByStop(p);
  });

  await t.test('when-idle with nobody logged on (SMB): as now, with the grace', async () => {
    const msi = msis.build('reboot');
    const p = await pushSmb({ msi, manifest: { restart: { policy: 'when-idle', graceSeconds: 120, forceAfterSeconds: 3600, message: 'Maintenance restart.' } }, hookArgs: ' --test-sessions none' });
    const result = await resultOf(p);
    const seenAt = Date.now();
    assert.equal(result.exitCode, 103010);
    assert.deepEqual({ ...result.restart, at: undefined }, { state: 'scheduled', policy: 'when-idle', asked: false, at: undefined });
    assertAt(result.restart?.at, p, seenAt, 120);
    await assertWaiting(p, 103010);
    assert.deepEqual(p.hook.lines(), ['WTSEnumerateSessionsW -> none', `InitiateShutdownW grace=120 flags=${FLAGS} reason=${REASON} message="Maintenance restart."`]);
    assert.match(p.agent.log(), /when-idle: nobody is logged on: restarting, as with now/);
    await cancelByStop(p);
  });

  await t.test('policy none after a 3010: nothing scheduled (not-needed), the service stops with 103010', async () => {
    const msi = msis.build('reboot');
    const p = await pushCallback({ msi, job: { restart: { policy: 'none' } }, hookArgs: ' --test-sessions user' });
    await stoppedWith(p, 103010);
    const result = p.result();
    assert.equal(result?.exitCode, 103010);
    assert.deepEqual(result?.restart, { state: 'not-needed', policy: 'none' });
    assert.equal(p.hook.exists(), false, 'no shutdown, session or message call');
    assert.match(p.agent.log(), /a restart is required, but the restart policy is none: not restarting/);
    assert.doesNotMatch(p.agent.log(), /waiting for the restart/);
    assert.ok(installed(msi));
  });

  await t.test('a job with no restart member (an older console) after a 3010: policy none, not-needed; a 0 with policy now: not-needed', async () => {
    const reboot = msis.build('reboot');
    const p = await pushCallback({ msi: reboot, job: {} });
    await stoppedWith(p, 103010);
    assert.deepEqual(p.result()?.restart, { state: 'not-needed', policy: 'none' });
    const q = await pushCallback({ msi: plainMsi(), job: { restart: { policy: 'now', graceSeconds: 60 } } });
    await stoppedWith(q, 0);
    assert.deepEqual(q.result()?.restart, { state: 'not-needed', policy: 'now' });
    assert.equal(p.hook.exists() || q.hook.exists(), false);
  });

  await t.test('InitiateShutdownW refused (1115, a shutdown already in progress): refused with win32 1115, the install result 103010 stands, no wait', async () => {
    const msi = msis.build('reboot');
    const p = await pushCallback({ msi, job: { restart: { policy: 'now', graceSeconds: 60, message: 'x' } }, hookArgs: ' --test-shutdown-fail 1115' });
    await stoppedWith(p, 103010);
    const result = p.result();
    assert.equal(result?.exitCode, 103010);
    assert.deepEqual(result?.restart, { state: 'refused', policy: 'now', win32: 1115 });
    assert.deepEqual(p.hook.lines(), [`InitiateShutdownW grace=60 flags=${FLAGS} reason=${REASON} message="x" -> 1115`]);
    assert.match(p.agent.log(), /InitiateShutdownW \(now, in 60 s\) failed: Win32 error 1115 \(a shutdown is already in progress\): no restart scheduled; the result stands/);
    assert.doesNotMatch(p.agent.log(), /waiting for the restart/);
    assert.ok(installed(msi));
  });

  await t.test('action restart with no files (callback): nothing downloaded, no msiexec, scheduled, result 0; sc stop -> 19', async () => {
    const p = await pushCallback({ job: { action: 'restart', files: [], restart: { policy: 'now', graceSeconds: 90, forceAfterSeconds: 600, message: 'Restart requested by your administrator.' } } });
    const result = await resultOf(p);
    const seenAt = Date.now();
    assert.equal(result.exitCode, 0, p.agent.log());
    assert.equal(result.restart?.state, 'scheduled');
    assertAt(result.restart?.at, p, seenAt, 90);
    assert.deepEqual(p.requests(), ['GET /v1/job', 'POST /v1/progress', 'POST /v1/result'], 'no file requested');
    const log = p.agent.log();
    assert.match(log, /action: restart \(no package, no msiexec\)/);
    assert.match(log, /action restart: nothing to download or install/);
    assert.doesNotMatch(log, /work folder|starting as|msiexec running|msiexec exited/);
    assert.deepEqual(p.hook.lines(), [`InitiateShutdownW grace=90 flags=${FLAGS} reason=${REASON} message="Restart requested by your administrator."`]);
    await assertWaiting(p, 0);
    await cancelByStop(p);
  });

  await t.test('a restart member the agent does not understand: 16 before any download (callback), and in the manifest (SMB, --console)', async () => {
    const msi = plainMsi();
    const p = await pushCallback({ msi, job: { restart: { policy: 'later', graceSeconds: 60 } } });
    await stoppedWith(p, 16);
    const result = p.result();
    assert.equal(result?.exitCode, 16);
    assert.equal(result?.restart, undefined, 'a job not understood has no restart member');
    assert.match(result?.log ?? '', /the console's job is not understood: restart: policy must be "none", "when-idle", "ask" or "now"/);
    assert.deepEqual(p.requests(), ['GET /v1/job', 'POST /v1/result'], 'nothing downloaded');
    assert.equal(installed(msi), false);

    const cases: [string, unknown, RegExp][] = [
      ['graceSeconds over a day', { policy: 'now', graceSeconds: 86401 }, /restart: graceSeconds must be a whole number of seconds from 0 to 86400/],
      ['graceSeconds negative', { policy: 'now', graceSeconds: -1 }, /restart: graceSeconds must be/],
      ['graceSeconds a string', { policy: 'now', graceSeconds: '60' }, /restart: graceSeconds must be/],
      ['forceAfterSeconds under a minute', { policy: 'ask', forceAfterSeconds: 59 }, /restart: forceAfterSeconds must be a whole number of seconds from 60 to 604800/],
      ['forceAfterSeconds over a week', { policy: 'ask', forceAfterSeconds: 604801 }, /restart: forceAfterSeconds must be/],
      ['a control character in the message', { policy: 'now', message: 'line\u0007bell' }, /restart: message: control characters/],
      ['a newline in the message', { policy: 'now', message: 'two\nlines' }, /restart: message: control characters/],
      ['a message of 513 characters', { policy: 'now', message: 'é'.repeat(513) }, /restart: message: longer than 512 characters/],
      ['a string instead of an object', 'now', /restart: expected an object/],
      ['the action restart with policy none', { policy: 'none' }, /restart: the action "restart" needs a policy other than "none"/],
    ];
    for (const [label, restart, why] of cases) {
      const run = newRun('bad');
      const agent = placeTransportAgent(wine, { run, transport: 'smb', packageId: 'restart', msi });
      const action = label.startsWith('the action restart') ? { action: 'restart', files: [] } : {};
      placeLocalPackage(agent, { files: [{ name: 'product.msi', path: msi.file, role: 'msi' }], editManifest: (m) => ({ ...m, ...action, restart }) });
      const r = await wine.run(agent.exeWin, ['--console', '--log', `${agent.dirWin}\\PushInstallAgent.exe.log`], { timeoutMs: 30_000 });
      assert.equal(r.status, 16, `${label}: exit ${r.status}\n${agent.log()}`);
      assert.match(agent.log(), new RegExp(`the package manifest is not understood: ${why.source}`), label);
      assert.equal(agent.result()?.exitCode, 16, label);
      assert.equal((agent.result() as ResultBody | undefined)?.restart, undefined, label);
      assert.doesNotMatch(agent.log(), /verified in the package folder|starting as/, label);
    }
    // The 512-character message is accepted (the bound, not past it): an SMB job with policy none installs.
    const q = await pushSmb({ msi: plainMsi(), manifest: { restart: { policy: 'ask', graceSeconds: 0, forceAfterSeconds: 604800, message: 'é'.repeat(512) } } });
    await stoppedWith(q, 0);
    assert.deepEqual(q.result()?.restart, { state: 'not-needed', policy: 'ask' });
  });

  await t.test('without the hook, Wine\'s own calls: when-idle -> WTSEnumerateSessionsW sees no session -> InitiateShutdownW answers 120 (a stub): refused 120, the service stops with 103010', async () => {
    const msi = msis.build('reboot');
    const p = await pushCallback({ msi, job: { restart: { policy: 'when-idle', graceSeconds: 60, forceAfterSeconds: 3600 } }, hookArgs: null });
    await stoppedWith(p, 103010);
    assert.deepEqual(p.result()?.restart, { state: 'refused', policy: 'when-idle', win32: 120 });
    const log = p.agent.log();
    assert.doesNotMatch(log, /could not enable SeShutdownPrivilege/, 'AdjustTokenPrivileges enables it under Wine');
    assert.match(log, /when-idle: nobody is logged on: restarting, as with now/);
    assert.match(log, /InitiateShutdownW \(nobody logged on, in 60 s\) failed: Win32 error 120: no restart scheduled; the result stands/);
    assert.equal(p.hook.exists(), false);
    t.diagnostic('Wine 8: WTSEnumerateSessionsW lists no session; InitiateShutdownW returns 120 (ERROR_CALL_NOT_IMPLEMENTED)');
  });

  await t.test('msiexec answers 1641 (it started a restart itself): left to it, nothing scheduled, the service stops with 101641', async () => {
    // Wine's msiexec never answers 1641 (ForceReboot gives 1604): a stand-in msiexec.exe in System32
    // that records its command line and exits 1641, loaded as native for this case only.
    const system32 = wine.unixPath('C:\\windows\\system32');
    const real = fs.readFileSync(path.join(system32, 'msiexec.exe'));
    const src = path.join(work, 'msiexec1641.c');
    fs.writeFileSync(src, '#include <windows.h>\n#include <stdio.h>\nint main(void) { FILE *f = fopen("C:\\\\msiexec1641.txt", "a"); if (f) { fprintf(f, "%s\\n", GetCommandLineA()); fclose(f); } return 1641; }\n');
    const cc = spawnSync('x86_64-w64-mingw32-gcc', ['-O1', '-o', path.join(system32, 'msiexec.exe'), src], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const override = (add: boolean) => wine.run('reg', add ? ['add', 'HKCU\\Software\\Wine\\DllOverrides', '/v', 'msiexec.exe', '/d', 'native', '/f'] : ['delete', 'HKCU\\Software\\Wine\\DllOverrides', '/v', 'msiexec.exe', '/f'], { timeoutMs: 30_000 });
    assert.equal((await override(true)).status, 0);
    try {
      const msi = msis.build('reboot');
      const p = await pushCallback({ msi, job: { restart: { policy: 'now', graceSeconds: 60 } }, hookArgs: ' --test-sessions user' });
      await stoppedWith(p, 101641);
      assert.equal(p.result()?.exitCode, 101641);
      assert.deepEqual(p.result()?.restart, { state: 'left-to-msiexec', policy: 'now' });
      assert.equal(p.hook.exists(), false, 'nothing scheduled');
      assert.match(p.agent.log(), /msiexec exited with 1641 \(installed; a restart was started\)[\s\S]*msiexec started a restart itself \(1641\): left to it/);
      assert.match(fs.readFileSync(wine.unixPath('C:\\msiexec1641.txt'), 'utf8'), /\/i "[^"]+product\.msi" \/qn \/norestart/);
    } finally {
      await override(false);
      fs.writeFileSync(path.join(system32, 'msiexec.exe'), real);
    }
  });

  t.diagnostic(`whole file: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
