// The simulated agent against the REAL package server (main/server/packageServer.ts on 127.0.0.1,
// its own certificate, one-time grants, a 2 MB package and a cfg.xml), started through the lab
// host's svcctl server by our ScmrClient: the healthy install reported with its MSI log, each
// msiexec profile's code, the slow link's pace, and the agent's failures — wrong certificate (12,
// no token sent), unknown token (15), unreachable console (11), a firewall and a STOP (14), a bad
// job file (10), a package that does not match (13), a second start of the same run (17).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labPathKey } from '../../main/lab/hostState.js';
import { encodeJobFile } from '../../main/server/jobFile.js';
import { ServiceControl } from '../../main/rpc/scmr.js';
import { AGENT_PATH, putAdminFile } from '../support/labHost.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { agentHost, closedPort, issueGrant, jobFor, startAgentService, startConsoleSide, type ConsoleSide } from '../support/labAgentFixture.js';

const JOB = labPathKey(`${AGENT_PATH}.job`);
const LOG = labPathKey(`${AGENT_PATH}.log`);
const DONE = labPathKey(`${AGENT_PATH}.done`);

let side: ConsoleSide;
let impostor: ConsoleSide;
let dirs: string[] = [];

before(async () => {
  dirs = [makeTempDir('lab-agent-'), makeTempDir('lab-agent-impostor-')];
  side = await startConsoleSide(dirs[0]!);
  impostor = await startConsoleSide(dirs[1]!, 1024);
});

after(async () => {
  await side?.close();
  await impostor?.close();
  for (const dir of dirs) removeDir(dir);
});

const eventsFor = (s: ConsoleSide, targetId: number) => s.events.filter((e) => e.targetId === targetId);

describe('simulated agent against the real package server', () => {
  test('healthy: job, credential, both files verified, progress, result 0 with an MSI log; service STOPPED 0; job file gone', async () => {
    const grant = issueGrant(side, 1);
    const state = agentHost('healthy', jobFor(side, grant));
    const { agent, stopped } = await startAgentService(state);
    assert.equal(state.agentsRunning, 1);
    assert.equal(await agent.done, 0);
    const status = await stopped();
    assert.deepEqual([status.win32ExitCode, status.serviceSpecificExitCode], [0, 0]);

    const events = eventsFor(side, 1);
    const connected = events.find((e) => e.kind === 'connected');
    assert.ok(connected && connected.kind === 'connected');
    assert.equal(connected.address, state.config.address, 'the agent calls from the host\'s own address');
    const stages = events.filter((e) => e.kind === 'progress').map((e) => (e.kind === 'progress' ? `${e.stage}${e.percent ?? ''}` : ''));
    assert.equal(stages[0], 'connected');
    assert.ok(stages.includes('downloading0') && stages.includes('downloading100'), stages.join(' '));
    assert.equal(stages[stages.length - 1], 'installing');
    assert.deepEqual(events.filter((e) => e.kind === 'bytes-served').map((e) => e.kind === 'bytes-served' && [e.file, e.bytes]), [['package.msi', side.msi.size], ['cfg.xml', side.config.size]]);
    const result = events.find((e) => e.kind === 'result');
    assert.ok(result && result.kind === 'result');
    assert.equal(result.exitCode, 0);
    assert.match(result.log, /^=== Verbose logging started: /);
    assert.match(result.log, /MSI \(s\) \([0-9A-F]{2}:[0-9A-F]{2}\) \[[0-9:]+\]: Product: eset-endpoint-11\.1 -- Installation completed successfully\./);
    assert.match(result.log, /MainEngineThread is returning 0/);
    assert.match(result.log, /USERNAME=LAB\\Administrator/);
    assert.ok(result.log.length > 2000 && result.log.length < 20_000, `${result.log.length} characters`);
    assert.ok(side.logs.some((l) => l.targetId === 1 && /handed the install credential/.test(l.detail)));
    assert.equal(grant.finished, true);

    assert.equal(state.files.has(JOB), false, 'the job file (and its token) is gone');
    const agentLog = state.files.get(LOG)?.toString('utf8') ?? '';
    assert.match(agentLog, /certificate pinned/);
    assert.match(agentLog, /stopped with exit code 0/);
    assert.ok(!agentLog.includes(grant.token), 'the agent log never holds the token');
    assert.ok(!agentLog.includes('not-in-any-log'), 'nor the password');
    assert.equal(state.agentsRunning, 0);
    assert.equal(state.counters.agentRuns, 1);
  });

  for (const [profile, msiexec] of [['msi-1603', 1603], ['msi-1618', 1618], ['reboot-required', 3010], ['already-installed', 1638]] as const) {
    test(`${profile}: msiexec ${msiexec} → result ${100000 + msiexec} reported and on the service (1066)`, async () => {
      const targetId = 100 + msiexec;
      const grant = issueGrant(side, targetId, { runAs: 'system' });
      const state = agentHost(profile, jobFor(side, grant));
      const { agent, stopped } = await startAgentService(state);
      assert.equal(await agent.done, 100000 + msiexec);
      const status = await stopped();
      assert.deepEqual([status.win32ExitCode, status.serviceSpecificExitCode], [1066, 100000 + msiexec]);
      const result = eventsFor(side, targetId).find((e) => e.kind === 'result');
      assert.ok(result && result.kind === 'result');
      assert.equal(result.exitCode, 100000 + msiexec);
      assert.match(result.log, new RegExp(`MainEngineThread is returning ${msiexec}`));
      if (msiexec === 1603) assert.match(result.log, /Product: eset-endpoint-11\.1 -- Installation failed\.[\s\S]*status: 1603/);
      if (msiexec === 3010) assert.match(result.log, /Installation completed successfully\.[\s\S]*requires a system restart/);
      assert.ok(!side.logs.some((l) => l.targetId === targetId && /credential/.test(l.detail)), 'a SYSTEM install fetches no credential');
      assert.equal(state.files.has(JOB), false);
    });
  }

  test('slow-link at 1 MiB/s: the 2 MiB package takes about 2 s, a healthy host far less', async () => {
    const fastGrant = issueGrant(side, 201, { files: [side.msi] });
    const fastHost = agentHost('healthy', jobFor(side, fastGrant), { installTimeMs: 0 });
    let t0 = Date.now();
    assert.equal(await (await startAgentService(fastHost)).agent.done, 0);
    const fastMs = Date.now() - t0;
    const grant = issueGrant(side, 202, { files: [side.msi] });
    const state = agentHost('slow-link', jobFor(side, grant), { installTimeMs: 0, bandwidthBytesPerSec: 1024 * 1024 });
    t0 = Date.now();
    const { agent } = await startAgentService(state);
    assert.equal(await agent.done, 0);
    const slowMs = Date.now() - t0;
    assert.ok(slowMs >= 1900 && slowMs < 3500, `slow link took ${slowMs} ms`);
    assert.ok(fastMs < 1000, `healthy took ${fastMs} ms`);
  });

  test('wrong fingerprint: exit 12 at the first console, the second (the real one) never contacted, no token sent to either', async () => {
    const grant = issueGrant(side, 301);
    const logsBefore = side.logs.length;
    const impostorLogsBefore = impostor.logs.length;
    const job = jobFor(side, grant, { consoles: [{ host: '127.0.0.1', port: impostor.server.port }, { host: '127.0.0.1', port: side.server.port }] });
    const state = agentHost('healthy', job);
    const { agent, stopped } = await startAgentService(state);
    assert.equal(await agent.done, 12);
    const status = await stopped();
    assert.deepEqual([status.win32ExitCode, status.serviceSpecificExitCode], [1066, 12]);
    assert.equal(impostor.logs.length, impostorLogsBefore, 'the impostor saw no HTTP request at all');
    assert.equal(side.logs.length, logsBefore, 'the console was not tried after a certificate mismatch');
    assert.equal(eventsFor(side, 301).length, 0);
    assert.equal(grant.finished, false);
    assert.match(state.files.get(LOG)?.toString('utf8') ?? '', /certificate SHA-256 is [0-9a-f]{64}, not the job file's fingerprint/);
    assert.equal(state.files.has(JOB), false);
  });

  test('unknown token: 401 → exit 15, nothing served', async () => {
    const state = agentHost('healthy', jobFor(side, { token: 'A'.repeat(43), runId: 'r-401' }));
    const { agent, stopped } = await startAgentService(state);
    assert.equal(await agent.done, 15);
    assert.deepEqual([(await stopped()).win32ExitCode, (await stopped()).serviceSpecificExitCode], [1066, 15]);
    assert.ok(side.logs.some((l) => l.targetId === null && /refused GET \/v1\/job .*token unknown/.test(l.detail)));
    assert.equal(state.files.has(JOB), false);
  });

  test('unreachable console: bounded rounds over every address, then exit 11', async () => {
    const grant = issueGrant(side, 401);
    const job = jobFor(side, grant, { consoles: [{ host: '127.0.0.1', port: await closedPort() }, { host: '127.0.0.1', port: await closedPort() }] });
    const state = agentHost('healthy', job);
    const t0 = Date.now();
    const { agent } = await startAgentService(state, { retry: { rounds: 3, backoffMs: 50 } });
    assert.equal(await agent.done, 11);
    const ms = Date.now() - t0;
    assert.ok(ms >= 150 && ms < 2000, `gave up after ${ms} ms (3 rounds, 50 + 100 ms pauses)`);
    const agentLog = state.files.get(LOG)?.toString('utf8') ?? '';
    assert.equal(agentLog.match(/ECONNREFUSED/g)?.length, 6, agentLog);
    assert.match(agentLog, /no console answered after 3 rounds/);
  });

  test('agent-no-callback: the service runs without contacting the console until STOP, then STOPPED 1066/14', async () => {
    const grant = issueGrant(side, 501);
    const logsBefore = side.logs.length;
    const state = agentHost('agent-no-callback', jobFor(side, grant));
    const { agent, scmr, service, stopped } = await startAgentService(state);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await scmr.queryServiceStatus(service)).currentState, 4, 'still RUNNING');
    assert.equal(state.agentsRunning, 1);
    const stop = await scmr.controlService(service, ServiceControl.STOP);
    assert.equal(stop.code, 0);
    assert.equal(await agent.done, 14);
    const status = await stopped();
    assert.deepEqual([status.win32ExitCode, status.serviceSpecificExitCode], [1066, 14]);
    assert.equal(side.logs.length, logsBefore, 'the console never heard of it');
    assert.equal(state.agentsRunning, 0);
    assert.equal(state.files.has(JOB), false);
  });

  test('STOP during the install: exit 14, no result reported', async () => {
    const grant = issueGrant(side, 502, { files: [side.msi] });
    const state = agentHost('healthy', jobFor(side, grant), { installTimeMs: 60_000 });
    const { agent, scmr, service } = await startAgentService(state);
    for (let i = 0; i < 500 && !eventsFor(side, 502).some((e) => e.kind === 'progress' && e.stage === 'installing'); i++) await new Promise((r) => setTimeout(r, 10));
    const t0 = Date.now();
    await scmr.controlService(service, ServiceControl.STOP);
    assert.equal(await agent.done, 14);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(eventsFor(side, 502).some((e) => e.kind === 'result'), false);
  });

  test('bad or missing job file: exit 10 before any network traffic', async () => {
    const logsBefore = side.logs.length;
    const missing = agentHost('healthy', null);
    assert.equal(await (await startAgentService(missing)).agent.done, 10);
    const grant = issueGrant(side, 601);
    const text = encodeJobFile(jobFor(side, grant)).toString('utf8').replace(/^fingerprint=.*$/m, 'fingerprint=12:34');
    const bad = agentHost('healthy', Buffer.from(text));
    assert.equal(await (await startAgentService(bad)).agent.done, 10);
    assert.match(bad.files.get(LOG)?.toString('utf8') ?? '', /bad job file: line \d+: fingerprint: expected the SHA-256 as 64 hex digits/);
    assert.equal(side.logs.length, logsBefore);
  });

  test('a package that does not match the job file: exit 13, reported as such, nothing installed', async () => {
    const grant = issueGrant(side, 701, { files: [side.msi] });
    const state = agentHost('healthy', jobFor(side, grant, { sha256: 'ab'.repeat(32) }));
    const { agent, stopped } = await startAgentService(state);
    assert.equal(await agent.done, 13);
    assert.deepEqual([(await stopped()).win32ExitCode, (await stopped()).serviceSpecificExitCode], [1066, 13]);
    const events = eventsFor(side, 701);
    assert.ok(!events.some((e) => e.kind === 'progress' && e.stage === 'installing'), 'msiexec never ran');
    const result = events.find((e) => e.kind === 'result');
    assert.ok(result && result.kind === 'result' && result.exitCode === 13);
    assert.match(result.log, /Nothing installed/);
    assert.equal(state.files.has(DONE), false);
  });

  test('a second start of the same run: exit 17, nothing fetched, nothing installed twice', async () => {
    const grant = issueGrant(side, 801, { files: [side.msi] });
    const state = agentHost('healthy', jobFor(side, grant));
    assert.equal(await (await startAgentService(state)).agent.done, 0);
    assert.match(state.files.get(DONE)?.toString('utf8') ?? '', /^run=r-801\r?$/m);
    const logsBefore = side.logs.length;
    const again = issueGrant(side, 802, { files: [side.msi], runId: 'r-801' });
    putAdminFile(state, `${AGENT_PATH}.job`, encodeJobFile(jobFor(side, again)));
    state.services.clear();
    assert.equal(await (await startAgentService(state)).agent.done, 17);
    assert.equal(side.logs.length, logsBefore);
    assert.equal(state.files.has(JOB), false);
    assert.equal(state.counters.agentRuns, 2);
  });
});
