// The simulated lab restarts like Windows: the restart policy in the console's job (`restart`, read
// by the native agent's rules), the agent's report of it in its result, the restart it schedules
// (the host drops every SMB connection, refuses connections for restartDownMs, its agents end, its
// services STOPPED as after a boot, its files kept, then it answers again), a STOP before the restart
// (cancelled, exit 19), 1641 left to msiexec, the action `restart` with no files, the user asked
// (ask, when-idle with a user), Windows refusing, and a never-back host that never answers again.
// The agents run with the SMB transport (manifest and package on the in-memory ADMIN$) — and once
// with the callback, against the real package server — started through the host's svcctl server by
// our ScmrClient; the network side is the lab's real SMB server on 127.0.201.x:14700, reached with
// the console's own SMB client and raw TCP connects.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { LAB_ADMIN, startLab, type Lab } from '../../main/lab/lab.js';
import { LabHostState, labPathKey, type LabHostConfig, type LabProfile } from '../../main/lab/hostState.js';
import { startLabSmbHost, type LabSmbHost } from '../../main/lab/smb/server.js';
import { AgentStop } from '../../main/lab/agent/agentExit.js';
import { parseListing, parseRestartPolicy } from '../../main/lab/agent/jobListing.js';
import { encodeJobFile } from '../../main/server/jobFile.js';
import type { RestartReport } from '../../main/server/agentProtocol.js';
import { ServiceControl, ServiceState } from '../../main/rpc/scmr.js';
import { SmbConnection } from '../../main/smb/connection.js';
import { SmbSession } from '../../main/smb/session.js';
import { AGENT_PATH, labHostConfig, putAdminFile } from '../support/labHost.js';
import { jobFor, startAgentService, startConsoleSide, type StartedAgent } from '../support/labAgentFixture.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';

const PORT = 14700;
/** One second of a restart policy lasts 10 ms on these hosts: 60 s (the least forceAfterSeconds) is 600 ms. */
const SECOND_MS = 10;
const RESULT = labPathKey(`${AGENT_PATH}.result`);
const LOG = labPathKey(`${AGENT_PATH}.log`);
const MSI = Buffer.from('simulated package bytes\r\n'.repeat(40));
const MSI_SHA = crypto.createHash('sha256').update(MSI).digest('hex');

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

let nextHost = 1;

/** A lab host on 127.0.201.n:14700 with its SMB server, the agent, an SMB job file and (unless null) the manifest. */
async function restartHost(profile: LabProfile, manifest: Record<string, unknown> | null, overrides: Partial<LabHostConfig> = {}): Promise<{ state: LabHostState; smb: LabSmbHost }> {
  const config = labHostConfig(nextHost++, '127.0.201', { port: PORT, profile, installTimeMs: 20, restartDownMs: 400, restartSecondMs: SECOND_MS, ...overrides });
  const state = new LabHostState(config);
  const smb = await startLabSmbHost(state, { pipes: () => null, logonFailureDelayMs: 0 });
  closers.push(() => smb.close());
  placeAgent(state, manifest);
  return { state, smb };
}

/** The agent, its SMB job file, and the manifest with the package beside it. */
function placeAgent(state: LabHostState, manifest: Record<string, unknown> | null): void {
  putAdminFile(state, AGENT_PATH, Buffer.from('MZ simulated agent'));
  putAdminFile(state, `${AGENT_PATH}.job`, encodeJobFile({ transport: 'smb', consoles: [], fingerprint: '', token: '', runId: 'r-1', packageId: 'restart-test', size: MSI.length, sha256: MSI_SHA }));
  if (!manifest) return;
  putAdminFile(state, 'PushInstall\\r-1\\package\\package.msi', MSI);
  putAdminFile(state, `${AGENT_PATH}.pkg`, Buffer.from(JSON.stringify(manifest)));
}

/** The manifest (the GET /v1/job answer's shape) for an install of the package, with `extra` members. */
const manifestWith = (extra: Record<string, unknown>) => ({
  runId: 'r-1',
  parameters: '',
  runAs: 'system',
  files: [{ name: 'package.msi', size: MSI.length, sha256: MSI_SHA, role: 'msi' }],
  ...extra,
});

async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The agent's <exe>.result once it is written. */
async function resultOf(state: LabHostState): Promise<{ exitCode: number; log: string; restart?: RestartReport }> {
  const data = await until('the result file', () => state.files.get(RESULT));
  return JSON.parse(data.toString('utf8')) as { exitCode: number; log: string; restart?: RestartReport };
}

/** A TCP connect to the host: 'connected', 'refused', or 'hung' (no answer within ms). */
function connect(address: string, ms = 300): Promise<'connected' | 'refused' | 'hung'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port: PORT });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('hung');
    }, ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'hung');
    });
  });
}

/** An authenticated SMB session on the host, with the console's own client. */
async function logon(address: string, account: { user: string; password: string; domain?: string }) {
  const connection = await SmbConnection.connect({ host: address, port: PORT, connectTimeoutMs: 2000, requestTimeoutMs: 5000 });
  const user = account.domain ? `${account.domain}\\${account.user}` : account.user;
  const session = await SmbSession.setup(connection, { user, password: account.password }, { targetHost: address });
  return { connection, session };
}

const stateOf = async (agent: StartedAgent) => (await agent.scmr.queryServiceStatus(agent.service)).currentState;

/** `at` as the native agent writes it (ISO UTC to the second; the console's reading adds .000), about `expectedMs`. */
function assertAt(at: string | undefined, expectedMs: number, slackMs = 1500): void {
  assert.ok(at && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.000)?Z$/.test(at), `at is ISO UTC to the second: ${at}`);
  assert.ok(Math.abs(Date.parse(at) - expectedMs) <= slackMs, `at ${at} is about ${new Date(expectedMs).toISOString()}`);
}

describe('the restart policy in the job (parseListing, the native agent\'s rules)', () => {
  const base = { runId: 'r-1', parameters: '', runAs: 'system', files: [{ name: 'p.msi', size: 1, sha256: 'a'.repeat(64), role: 'msi' }] };
  const why = (value: unknown) => {
    try {
      parseListing(value);
    } catch (error) {
      assert.ok(error instanceof AgentStop);
      assert.equal(error.code, 16);
      return error.message;
    }
    return assert.fail('accepted');
  };

  test('absent or null is none; members absent or null take the defaults (300 s, 28 800 s, no message); others are ignored', () => {
    const none = { policy: 'none', graceSeconds: 300, forceAfterSeconds: 28_800, message: '' };
    assert.deepEqual(parseListing(base).restart, none);
    assert.deepEqual(parseListing({ ...base, restart: null }).restart, none);
    assert.deepEqual(parseRestartPolicy({ policy: null, graceSeconds: null, forceAfterSeconds: null, message: null, extra: 1 }), none);
    assert.deepEqual(parseListing({ ...base, restart: { policy: 'ask', graceSeconds: 0, forceAfterSeconds: 60, message: 'Reboot for the ESET update — Grüße' } }).restart, {
      policy: 'ask', graceSeconds: 0, forceAfterSeconds: 60, message: 'Reboot for the ESET update — Grüße',
    });
    assert.deepEqual(parseRestartPolicy({ policy: 'now', graceSeconds: 86_400, forceAfterSeconds: 604_800, message: 'é'.repeat(512) }).graceSeconds, 86_400);
    for (const policy of ['none', 'when-idle', 'ask', 'now']) assert.equal(parseRestartPolicy({ policy }).policy, policy);
  });

  test('the action restart: files absent, null or empty; it needs a policy other than none', () => {
    const noFiles = { runId: base.runId, parameters: base.parameters, runAs: base.runAs };
    for (const files of [undefined, null, []]) {
      const listing = parseListing({ ...noFiles, ...(files !== undefined ? { files } : {}), action: 'restart', restart: { policy: 'now' } });
      assert.deepEqual([listing.action, listing.files], ['restart', []]);
    }
    assert.equal(parseListing({ ...base, action: 'restart', restart: { policy: 'now' } }).files.length, 1, 'files given are read');
    assert.match(why({ ...noFiles, action: 'restart' }), /restart: the action "restart" needs a policy other than "none"$/);
    assert.match(why({ ...noFiles, action: 'install' }), /job answer is malformed/, 'an install still needs its files');
    assert.match(why({ ...base, action: 'reboot' }), /action must be "install", "uninstall" or "repair", or "restart"$/);
  });

  test('anything else is not understood (16), with the reason', () => {
    const cases: [unknown, RegExp][] = [
      ['now', /restart: expected an object \{policy, graceSeconds, forceAfterSeconds, message\} or null$/],
      [['now'], /restart: expected an object/],
      [{ policy: 'later' }, /restart: policy must be "none", "when-idle", "ask" or "now"$/],
      [{ policy: 1 }, /restart: policy must be/],
      [{ policy: 'now', graceSeconds: -1 }, /restart: graceSeconds must be a whole number of seconds from 0 to 86400$/],
      [{ policy: 'now', graceSeconds: 86_401 }, /graceSeconds must be/],
      [{ policy: 'now', graceSeconds: 1.5 }, /graceSeconds must be/],
      [{ policy: 'now', graceSeconds: '30' }, /graceSeconds must be/],
      [{ policy: 'ask', forceAfterSeconds: 59 }, /restart: forceAfterSeconds must be a whole number of seconds from 60 to 604800$/],
      [{ policy: 'ask', forceAfterSeconds: 604_801 }, /forceAfterSeconds must be/],
      [{ policy: 'now', message: 5 }, /restart: message: not a string, or longer than 512 characters$/],
      [{ policy: 'now', message: 'line one\nline two' }, /restart: message: control characters$/],
      [{ policy: 'now', message: 'a\u2028b' }, /control characters/],
      [{ policy: 'now', message: 'x'.repeat(513) }, /restart: message: longer than 512 characters$/],
    ];
    for (const [restart, reason] of cases) {
      const message = why({ ...base, restart });
      assert.match(message, /^the console's job is not understood: restart: /, JSON.stringify(restart));
      assert.match(message, reason, JSON.stringify(restart));
    }
  });
});

describe('a lab host restarts as the agent scheduled it', () => {
  test('now after a 3010: scheduled (at = now + grace), the service RUNNING until the host goes down; it drops every connection, refuses connects for restartDownMs, its agent ends (103010), the service STOPPED as after a boot and still there, the files kept; then it answers again; lab.restarts counts it', async () => {
    const lab: Lab = await startLab({ hosts: 2, first: '127.0.201.20', port: PORT, profile: 'reboot-required', installTimeMs: 20, restartDownMs: 500, restartSecondMs: SECOND_MS, logonFailureDelayMs: 0, userLoggedOn: (name) => name.endsWith('002'), restartAnswer: 'no' });
    closers.push(() => lab.close());
    const state = lab.hosts[0]!;
    assert.deepEqual(lab.hosts.map((h) => [h.config.restartDownMs, h.config.restartSecondMs, h.config.userLoggedOn ?? false, h.config.restartAnswer]), [[500, SECOND_MS, false, 'no'], [500, SECOND_MS, true, 'no']]);
    placeAgent(state, manifestWith({ restart: { policy: 'now', graceSeconds: 50, forceAfterSeconds: 600, message: 'Restarting for the update' } }));
    const { connection } = await logon(state.config.address, LAB_ADMIN);
    assert.equal(state.sessions, 1);

    const started = Date.now();
    const agent = await startAgentService(state);
    const result = await resultOf(state);
    assert.equal(result.exitCode, 103010);
    assert.match(result.restart?.at ?? '', /:\d\dZ$/, 'to the second, as the native agent writes it');
    assert.deepEqual(Object.keys(result.restart ?? {}), ['state', 'policy', 'at', 'asked']);
    assert.deepEqual({ ...result.restart, at: undefined }, { state: 'scheduled', policy: 'now', at: undefined, asked: false });
    assertAt(result.restart?.at, started + 50 * SECOND_MS);
    assert.ok(state.power.pendingRestart, 'a restart is pending on the host');
    assert.equal(await stateOf(agent), ServiceState.RUNNING, 'the agent keeps running after its result');
    assert.equal(state.agentsRunning, 1);

    // The restart: every connection dropped, nothing listening.
    await until('the restart', () => state.counters.restarts === 1);
    const down = Date.now();
    assert.equal(await agent.agent.done, 103010, 'the agent ends with its result');
    assert.equal(state.sessions, 0, 'the sessions are gone');
    await until('the client to see its connection gone', () => connection.isClosed, 2000);
    assert.equal(await connect(state.config.address), 'refused');
    assert.equal(await connect(lab.hosts[1]!.config.address), 'connected', 'the other host did not restart');
    const status = await agent.scmr.queryServiceStatus(agent.service);
    assert.deepEqual([status.currentState, status.win32ExitCode, status.serviceSpecificExitCode], [ServiceState.STOPPED, 1077, 0], 'STOPPED, never started since the boot');
    assert.equal(state.services.size, 1, 'the demand-start service stays registered');
    assert.equal(state.agentsRunning, 0);
    // The agent removed its .job and .pkg as it ended, as always; the restart removed nothing.
    for (const file of [AGENT_PATH, `${AGENT_PATH}.result`, `${AGENT_PATH}.done`, `${AGENT_PATH}.log`, 'PushInstall\\r-1\\package\\package.msi']) assert.ok(state.files.has(labPathKey(file)), `${file} stays`);
    const log = state.files.get(LOG)?.toString('utf8') ?? '';
    assert.match(log, /restart scheduled with InitiateShutdownW \(now\): in 50 s at the latest/);
    assert.match(log, /Windows is shutting down: the agent ends \(result 103010\)/);

    // Back after restartDownMs: it listens and logs on as before.
    let refusals = 0;
    while ((await connect(state.config.address)) !== 'connected') {
      refusals++;
      await new Promise((r) => setTimeout(r, 20));
    }
    const back = Date.now() - down;
    assert.ok(refusals > 0 && back >= 450 && back < 3000, `refused ${refusals} times, back after ${back} ms`);
    assert.equal(state.power.state, 'up');
    const again = await logon(state.config.address, LAB_ADMIN);
    assert.equal(state.sessions, 1);
    again.connection.close();
    assert.equal(lab.restarts, 1);
    assert.deepEqual(lab.hosts.map((h) => h.counters.restarts), [1, 0]);
  });

  test('a STOP while the restart is pending cancels it (AbortSystemShutdownW): exit 19 on the service, and no restart', async () => {
    const { state } = await restartHost('reboot-required', manifestWith({ restart: { policy: 'now', graceSeconds: 80 } }));
    const agent = await startAgentService(state);
    assert.equal((await resultOf(state)).restart?.state, 'scheduled');
    assert.equal(await stateOf(agent), ServiceState.RUNNING);
    const stop = await agent.scmr.controlService(agent.service, ServiceControl.STOP);
    assert.equal(stop.code, 0);
    assert.equal(await agent.agent.done, 19);
    const status = await agent.stopped();
    assert.deepEqual([status.win32ExitCode, status.serviceSpecificExitCode], [1066, 19]);
    assert.equal(state.power.pendingRestart, null);
    assert.match(state.files.get(LOG)?.toString('utf8') ?? '', /pending restart cancelled \(AbortSystemShutdownW\)/);
    await new Promise((r) => setTimeout(r, 80 * SECOND_MS + 200));
    assert.equal(state.counters.restarts, 0);
    assert.equal(await connect(state.config.address), 'connected');
  });

  test('1641 is left to msiexec and no policy leaves a 3010 alone: the agent ends at once, nothing restarts', async () => {
    const left = await restartHost('reboot-required', manifestWith({ restart: { policy: 'now', graceSeconds: 0 } }), { msiexecExitCode: 1641 });
    const agent = await startAgentService(left.state);
    assert.equal(await agent.agent.done, 101641);
    assert.deepEqual((await resultOf(left.state)).restart, { state: 'left-to-msiexec', policy: 'now' });
    const none = await restartHost('reboot-required', manifestWith({}));
    const plain = await startAgentService(none.state);
    assert.equal(await plain.agent.done, 103010);
    assert.deepEqual((await resultOf(none.state)).restart, { state: 'not-needed', policy: 'none' });
    const healthy = await restartHost('healthy', manifestWith({ restart: { policy: 'now', graceSeconds: 0 } }));
    assert.equal(await (await startAgentService(healthy.state)).agent.done, 0);
    assert.deepEqual((await resultOf(healthy.state)).restart, { state: 'not-needed', policy: 'now' }, 'a 0 needs no restart');
    await new Promise((r) => setTimeout(r, 100));
    for (const h of [left, none, healthy]) {
      assert.equal(h.state.counters.restarts, 0);
      assert.equal(h.state.power.pendingRestart, null);
    }
  });

  test('the action restart with no files: nothing verified, no msiexec, 0; the restart scheduled and done', async () => {
    const { state } = await restartHost('msi-1603', null);
    putAdminFile(state, `${AGENT_PATH}.pkg`, Buffer.from(JSON.stringify({ runId: 'r-1', parameters: '', runAs: 'system', action: 'restart', files: [], restart: { policy: 'now', graceSeconds: 5 } })));
    const agent = await startAgentService(state);
    const result = await resultOf(state);
    assert.equal(result.exitCode, 0);
    assert.equal(result.restart?.state, 'scheduled');
    assert.equal(await agent.agent.done, 0);
    assert.equal(state.counters.restarts, 1);
    const log = state.files.get(LOG)?.toString('utf8') ?? '';
    assert.match(log, /action restart: nothing to download, no msiexec/);
    assert.doesNotMatch(log, /msiexec \/i|msiexec exited/);
    assert.match(state.files.get(labPathKey(`${AGENT_PATH}.done`))?.toString('utf8') ?? '', /^run=r-1\r\nexit=0/);
  });

  test('ask: scheduled at the deadline (now + forceAfter, asked); yes → the restart 30 s later; no → at the deadline. when-idle with a user logged on asks too', async () => {
    const policy = { policy: 'ask', graceSeconds: 10, forceAfterSeconds: 120 };
    const yes = await restartHost('reboot-required', manifestWith({ restart: policy }));
    const no = await restartHost('reboot-required', manifestWith({ restart: policy }), { restartAnswer: 'no' });
    const idle = await restartHost('reboot-required', manifestWith({ restart: { ...policy, policy: 'when-idle' } }), { userLoggedOn: true, restartAnswer: 'timeout' });
    const nobody = await restartHost('reboot-required', manifestWith({ restart: { ...policy, policy: 'when-idle' } }));
    const started = Date.now();
    const agents = await Promise.all([yes, no, idle, nobody].map((h) => startAgentService(h.state)));
    const reports = await Promise.all([yes, no, idle, nobody].map(async (h) => (await resultOf(h.state)).restart));
    for (const r of reports.slice(0, 3)) {
      assert.equal(r?.asked, true);
      assertAt(r?.at, started + 120 * SECOND_MS);
    }
    assert.equal(reports[3]?.asked, false, 'when-idle with nobody logged on: as now');
    assertAt(reports[3]?.at, started + 10 * SECOND_MS);
    const ends = await Promise.all(agents.map(async (a) => (await a.agent.done, Date.now() - started)));
    assert.ok(ends[0]! < 100 * SECOND_MS, `yes: restarted after ${ends[0]} ms (30 s = ${30 * SECOND_MS} ms)`);
    assert.ok(ends[1]! >= 115 * SECOND_MS && ends[2]! >= 115 * SECOND_MS, `no and no answer: at the deadline (${ends[1]}, ${ends[2]} ms)`);
    assert.ok(ends[3]! < 100 * SECOND_MS, `nobody logged on: after the grace (${ends[3]} ms)`);
    assert.match(no.state.files.get(LOG)?.toString('utf8') ?? '', /the user answered no: asking again every 10 s until the deadline/);
    assert.match(yes.state.files.get(LOG)?.toString('utf8') ?? '', /the user answered yes: restarting in 30 s/);
    for (const h of [yes, no, idle, nobody]) assert.equal(h.state.counters.restarts, 1);
  });

  test('Windows refuses: a restart already pending (1115) or InitiateShutdownW failing: refused with the Win32 error; the agent ends at once', async () => {
    const failing = await restartHost('reboot-required', manifestWith({ restart: { policy: 'now', graceSeconds: 0 } }), { shutdownError: 1314 });
    assert.equal(await (await startAgentService(failing.state)).agent.done, 103010);
    assert.deepEqual((await resultOf(failing.state)).restart, { state: 'refused', policy: 'now', win32: 1314 });
    const pending = await restartHost('reboot-required', manifestWith({ restart: { policy: 'now', graceSeconds: 60 } }));
    assert.equal(pending.state.power.schedule(60 * SECOND_MS), 0, 'another restart is pending');
    assert.equal(await (await startAgentService(pending.state)).agent.done, 103010);
    assert.deepEqual((await resultOf(pending.state)).restart, { state: 'refused', policy: 'now', win32: 1115 });
    assert.equal(failing.state.counters.restarts, 0);
    await until('the other restart', () => pending.state.counters.restarts === 1, 3000);
  });

  test('the callback: the policy in the real package server\'s job answer, the restart member in the POSTed result as the console reads it; the action restart downloads nothing', async () => {
    const dir = makeTempDir('lab-restart-');
    const side = await startConsoleSide(dir, 64 * 1024);
    closers.push(async () => {
      await side.close();
      removeDir(dir);
    });
    const restart = { policy: 'now', graceSeconds: 20, forceAfterSeconds: 600, message: 'Restarting for the update' } as const;
    const install = side.grants.issue({ targetId: 1, runId: 'r-1', files: [side.msi], parameters: '', runAs: 'system', action: 'install', restart, ttlMs: 60_000 });
    const only = side.grants.issue({ targetId: 2, runId: 'r-1', files: [], parameters: '', runAs: 'system', action: 'restart', restart, ttlMs: 60_000 });
    const hosts = [await restartHost('reboot-required', null), await restartHost('msi-1603', null)];
    putAdminFile(hosts[0]!.state, `${AGENT_PATH}.job`, encodeJobFile(jobFor(side, install)));
    putAdminFile(hosts[1]!.state, `${AGENT_PATH}.job`, encodeJobFile(jobFor(side, only)));
    const started = Date.now();
    const agents = await Promise.all(hosts.map((h) => startAgentService(h.state)));
    const results = await until('both results', () => {
      const found = [1, 2].map((id) => side.events.find((e) => e.kind === 'result' && e.targetId === id));
      return found.every(Boolean) && (found as Extract<(typeof side.events)[number], { kind: 'result' }>[]);
    });
    assert.deepEqual(results.map((r) => r.exitCode), [103010, 0]);
    for (const r of results) {
      assert.deepEqual({ ...r.restart, at: undefined }, { state: 'scheduled', policy: 'now', at: undefined, asked: false });
      assertAt(r.restart?.at, started + 20 * SECOND_MS);
    }
    assert.equal(await stateOf(agents[0]!), ServiceState.RUNNING);
    assert.deepEqual(await Promise.all(agents.map((a) => a.agent.done)), [103010, 0]);
    assert.deepEqual(hosts.map((h) => h.state.counters.restarts), [1, 1]);
    assert.deepEqual(side.events.filter((e) => e.kind === 'bytes-served').map((e) => e.targetId), [1], 'the restart task downloads nothing');
  });

  test('never-back: installs with 3010 like reboot-required and, once restarted, never answers again', async () => {
    const { state } = await restartHost('never-back', manifestWith({ restart: { policy: 'now', graceSeconds: 0 } }), { restartDownMs: 100 });
    const agent = await startAgentService(state);
    assert.equal(await agent.agent.done, 103010);
    assert.equal(state.counters.restarts, 1);
    assert.equal(state.power.state, 'gone');
    // Refused while it goes down, then unanswered once its silent listener holds the address.
    let outcome = await connect(state.config.address);
    for (let i = 0; i < 40 && outcome !== 'hung'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      outcome = await connect(state.config.address);
    }
    assert.equal(outcome, 'hung', 'connects go unanswered');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await connect(state.config.address), 'hung', 'still, long after restartDownMs');
    assert.equal(state.power.state, 'gone');
  });
});
