// The simulated lab agent waits out the package server's 429 (and a 503) and sends the
// same request again, within the native agent's bounds (AGENT_BUSY_RETRY in
// main/server/agentProtocol.ts, CONSOLE_BUSY_* in agent/src/console.h). Against the REAL package
// server with a tight per-address rate limit, and against a console that refuses everything.
// Loopback only: 127.0.75.10 (the package server), 127.0.75.11 (the refusing console),
// 127.0.75.20-29 (the lab hosts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import path from 'node:path';
import { labPathKey } from '../../main/lab/hostState.js';
import { AGENT_BUSY_RETRY, retryAfterSeconds } from '../../main/server/agentProtocol.js';
import { loadOrCreateCertificate, type ConsoleCertificate } from '../../main/server/certificate.js';
import { GrantStore, type Grant } from '../../main/server/grants.js';
import type { AgentJob } from '../../main/server/jobFile.js';
import { startPackageServer, type AgentEvent, type PackageServer } from '../../main/server/packageServer.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { AGENT_PATH } from '../support/labHost.js';
import { agentHost, startAgentService } from '../support/labAgentFixture.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';

const SERVER_HOST = '127.0.75.10';
const REFUSER_HOST = '127.0.75.11';
const LOG = labPathKey(`${AGENT_PATH}.log`);
const MSI_BYTES = 64 * 1024 + 3;

describe('simulated agent: 429/503 back-off', { timeout: 120_000 }, () => {
  let dir: string;
  let certificate: ConsoleCertificate;
  let msiPath: string;
  let msiSha: string;
  const closers: (() => Promise<void>)[] = [];

  before(async () => {
    dir = makeTempDir('pic-sim-backoff-');
    certificate = await loadOrCreateCertificate(path.join(dir, 'console'));
    msiPath = path.join(dir, 'package.msi');
    const data = crypto.randomBytes(MSI_BYTES);
    fs.writeFileSync(msiPath, data);
    msiSha = crypto.createHash('sha256').update(data).digest('hex');
  });
  after(async () => {
    for (const close of closers.splice(0)) await close();
    removeDir(dir);
  });

  const job = (grant: Pick<Grant, 'token' | 'runId'>, host: string, port: number): AgentJob => ({
    consoles: [{ host, port }], fingerprint: certificate.fingerprint, token: grant.token, runId: grant.runId,
    packageId: 'backoff-test', size: MSI_BYTES, sha256: msiSha,
  });
  const agentLog = (state: { files: Map<string, Buffer> }) => state.files.get(LOG)?.toString('utf8') ?? '';

  /** A console that answers every request with `status` (and Retry-After when given), noting when each came. */
  async function startRefuser(status: number, retryAfter: string | null): Promise<{ port: number; times: number[]; paths: string[] }> {
    const times: number[] = [];
    const paths: string[] = [];
    const server = https.createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
      times.push(performance.now());
      paths.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(status, { ...(retryAfter !== null ? { 'retry-after': retryAfter } : {}), 'content-type': 'text/plain', 'content-length': 4 });
      res.end(`${status}\n`);
    });
    const sockets = new Set<net.Socket>();
    server.on('connection', (s: net.Socket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, REFUSER_HOST, resolve));
    closers.push(() => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }));
    return { port: (server.address() as net.AddressInfo).port, times, paths };
  }

  test('Retry-After: delta-seconds clamped to 1..60; missing or anything else → 5 s; the native agent has the same numbers', () => {
    const cases: [string | string[] | undefined, number][] = [
      ['1', 1], ['0', 1], [' 7 ', 7], ['60', 60], ['61', 60], ['99999999999999999999', 60],
      [undefined, 5], ['', 5], ['-1', 5], ['1.5', 5], ['Wed, 21 Oct 2015 07:28:00 GMT', 5], [['3', '4'], 3],
    ];
    for (const [header, seconds] of cases) assert.equal(retryAfterSeconds(header), seconds, `Retry-After ${JSON.stringify(header)}`);
    const h = fs.readFileSync(path.join(REPO_ROOT, 'agent', 'src', 'console.h'), 'utf8');
    const define = (name: string) => Number(new RegExp(`#define ${name} (\\d+)`).exec(h)?.[1]);
    assert.deepEqual(
      [define('CONSOLE_BUSY_RETRIES'), define('CONSOLE_BUSY_BUDGET_S'), define('CONSOLE_BUSY_DEFAULT_S'), define('CONSOLE_BUSY_MIN_S'), define('CONSOLE_BUSY_MAX_S')],
      [AGENT_BUSY_RETRY.retriesPerRequest, AGENT_BUSY_RETRY.budgetSeconds, AGENT_BUSY_RETRY.defaultSeconds, AGENT_BUSY_RETRY.minSeconds, AGENT_BUSY_RETRY.maxSeconds],
    );
  });

  test('the real package server at 2 requests a second (burst 2), bucket drained before the start: the agent backs off on its first GET /v1/job and more, honours Retry-After, and installs', async () => {
    const grants = new GrantStore();
    const events: (AgentEvent & { at: number })[] = [];
    const lines: { at: number; detail: string }[] = [];
    const server: PackageServer = await startPackageServer({
      certificate, grants, port: 0, host: SERVER_HOST,
      credentialFor: () => Promise.resolve({ user: 'Administrator', domain: 'LAB', password: 'never-logged' }),
      onEvent: (e) => events.push({ ...e, at: performance.now() }),
      onLog: (_t, detail) => lines.push({ at: performance.now(), detail }),
      requestsPerSecondPerAddress: 2,
      requestBurstPerAddress: 2,
      refusalLogLinesPerWindow: 1000,
    });
    closers.push(() => server.close());
    const hostAddress = '127.0.75.20';
    const grant = grants.issue({ targetId: 1, runId: 'r-backoff', runAs: 'admin', parameters: '', ttlMs: 600_000, files: [{ name: 'package.msi', path: msiPath, size: MSI_BYTES, sha256: msiSha, role: 'msi' }] });
    const state = agentHost('healthy', job(grant, SERVER_HOST, server.port), { address: hostAddress, installTimeMs: 10 });
    // Empty the host's bucket (2 requests without a token: 401, but the limiter counted them).
    for (let i = 0; i < 2; i++) {
      const status = await new Promise<number>((resolve, reject) => {
        https.get({ host: SERVER_HOST, port: server.port, path: '/v1/drain', localAddress: hostAddress, rejectUnauthorized: false, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      assert.equal(status, 401);
    }
    const t0 = performance.now();
    const { agent, stopped } = await startAgentService(state);
    assert.equal(await agent.done, 0, agentLog(state));
    const totalMs = performance.now() - t0;
    assert.equal((await stopped()).win32ExitCode, 0);

    const result = events.find((e) => e.kind === 'result');
    assert.ok(result && result.kind === 'result' && result.exitCode === 0, 'result 0 reported');
    const log = agentLog(state);
    const backoffs = log.split('\r\n').filter((l) => /backing off 1 s \(Retry-After\), retry \d of 5/.test(l));
    assert.match(log, new RegExp(`${SERVER_HOST.replaceAll('.', '\\.')}:${server.port}: GET /v1/job answered HTTP 429 \\(rate limited\\): backing off 1 s \\(Retry-After\\), retry 1 of 5`));
    assert.doesNotMatch(log, /kept refusing/);
    const refused = server.refusals().rateLimited;
    const quieted = log.split('\r\n').filter((l) => /progress 'downloading' \d+% refused \(HTTP 429\): no progress posts for 1 s/.test(l));
    assert.equal(backoffs.length + quieted.length, refused, 'one back-off (or quieted progress) line per 429');
    // The first 429 (GET /v1/job) and the job served after it: at least Retry-After apart.
    const firstRefusal = lines.find((l) => l.detail.startsWith(`refused GET /v1/job from ${hostAddress}: over 2 requests a second`));
    const connected = events.find((e) => e.kind === 'connected');
    assert.ok(firstRefusal && connected, lines.map((l) => l.detail).join('\n'));
    const waitedMs = connected.at - firstRefusal.at;
    assert.ok(waitedMs >= 1000, `the job was asked again ${waitedMs.toFixed(0)} ms after its 429`);
    assert.ok(totalMs >= 1000 * backoffs.length / 2, `${totalMs.toFixed(0)} ms for ${backoffs.length} back-offs`);
    console.log(`sim agent at 2 req/s: ${refused} answers 429, ${backoffs.length} back-offs and ${quieted.length} quieted progress posts logged, first job re-asked after ${waitedMs.toFixed(0)} ms, installed (0) in ${totalMs.toFixed(0)} ms`);
  });

  test('a console that always answers 429 (Retry-After: 1): 1 + 5 tries of GET /v1/job, each ≥ 1 s apart, then exit 16 "the console kept refusing: rate limited"', async () => {
    const refuser = await startRefuser(429, '1');
    const state = agentHost('healthy', job({ token: 'T'.repeat(43), runId: 'r-always-429' }, REFUSER_HOST, refuser.port), { address: '127.0.75.21' });
    const t0 = performance.now();
    const { agent, stopped } = await startAgentService(state);
    assert.equal(await agent.done, 16, agentLog(state));
    const ms = performance.now() - t0;
    assert.deepEqual([(await stopped()).win32ExitCode, (await stopped()).serviceSpecificExitCode], [1066, 16]);
    assert.deepEqual(refuser.paths, Array<string>(6).fill('GET /v1/job'));
    const gaps = refuser.times.slice(1).map((t, i) => t - refuser.times[i]!);
    assert.ok(gaps.every((g) => g >= 990), `gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
    assert.ok(ms >= 5000 && ms < 10_000, `${ms.toFixed(0)} ms`);
    const log = agentLog(state);
    assert.equal((log.match(/GET \/v1\/job answered HTTP 429 \(rate limited\): backing off 1 s/g) ?? []).length, 5);
    assert.match(log, /the console kept refusing: rate limited \(HTTP 429 to GET \/v1\/job; 5 retries, 5 of 300 s of back-off used in this run, 1 s more asked\)/);
    assert.match(log, /:\d+: \/v1\/job: HTTP 429/);
    assert.match(log, /stopped with exit code 16/);
    console.log(`always 429: exit 16 after ${refuser.paths.length} tries in ${ms.toFixed(0)} ms (gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms)`);
  });

  test('the run\'s budget: with a 2 s budget the third 429 ends it; a 503 without Retry-After asks 5 s (over a 4 s budget: no wait); Retry-After 600 is clamped to 60', async () => {
    const refuser = await startRefuser(429, '1');
    const state = agentHost('healthy', job({ token: 'T'.repeat(43), runId: 'r-budget' }, REFUSER_HOST, refuser.port), { address: '127.0.75.22' });
    const { agent } = await startAgentService(state, { busyRetry: { budgetSeconds: 2 } });
    assert.equal(await agent.done, 16);
    assert.equal(refuser.paths.length, 3);
    assert.match(agentLog(state), /kept refusing: rate limited \(HTTP 429 to GET \/v1\/job; 2 retries, 2 of 2 s of back-off used in this run, 1 s more asked\)/);

    const unavailable = await startRefuser(503, null);
    const s503 = agentHost('healthy', job({ token: 'T'.repeat(43), runId: 'r-503' }, REFUSER_HOST, unavailable.port), { address: '127.0.75.23' });
    const t0 = performance.now();
    assert.equal(await (await startAgentService(s503, { busyRetry: { budgetSeconds: 4 } })).agent.done, 16);
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(unavailable.paths.length, 1);
    assert.match(agentLog(s503), /kept refusing: unavailable \(HTTP 503 to GET \/v1\/job; 0 retries, 0 of 4 s of back-off used in this run, 5 s more asked\)/);

    const long = await startRefuser(429, '600');
    const sLong = agentHost('healthy', job({ token: 'T'.repeat(43), runId: 'r-600' }, REFUSER_HOST, long.port), { address: '127.0.75.24' });
    assert.equal(await (await startAgentService(sLong, { busyRetry: { budgetSeconds: 59 } })).agent.done, 16);
    assert.match(agentLog(sLong), /kept refusing: rate limited \(HTTP 429 to GET \/v1\/job; 0 retries, 0 of 59 s of back-off used in this run, 60 s more asked\)/);
  });

  test('STOP during a back-off: 14 at once', async () => {
    const refuser = await startRefuser(429, '60');
    const state = agentHost('healthy', job({ token: 'T'.repeat(43), runId: 'r-stop' }, REFUSER_HOST, refuser.port), { address: '127.0.75.25' });
    const { agent } = await startAgentService(state);
    for (let i = 0; i < 100 && !/backing off 60 s/.test(state.files.get(LOG)?.toString('utf8') ?? '') && refuser.paths.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    agent.stop();
    assert.equal(await agent.done, 14);
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(refuser.paths.length, 1);
    assert.match(agentLog(state), /backing off 60 s \(Retry-After\), retry 1 of 5/);
  });
});
