// The package server's limits, on the real server (TLS on loopback, 127.0.74.x only, ephemeral
// ports): the global connection cap, the per-address request rate limit (429 + Retry-After, no
// handler run, no grant consumed), the defaults a legitimate agent never hits, throttled refusal
// logging that never prints a token, and close() leaving no timer behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadOrCreateCertificate, type ConsoleCertificate } from '../../main/server/certificate.js';
import { GrantStore, type Grant } from '../../main/server/grants.js';
import { AGENT_CHANNEL_LIMITS, startPackageServer, type AgentEvent, type PackageServer, type PackageServerOptions } from '../../main/server/packageServer.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { agentHost, startAgentService } from '../support/labAgentFixture.js';

const HOST = '127.0.74.1';
const PASSWORD = 'Limits-S3cret!';
const MSI_BYTES = 64 * 1024 + 3;

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

function request(port: number, o: { path: string; from: string; token?: string; method?: string; body?: string; headers?: Record<string, string>; agent?: https.Agent }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: HOST, port, path: o.path, method: o.method ?? 'GET', rejectUnauthorized: false, localAddress: o.from,
        ...(o.agent ? { agent: o.agent } : { agent: false }),
        headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(o.headers ?? {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(o.body);
  });
}

/** A TLS connection from `from`: 'open' once the handshake is done, 'closed' if the server drops it first. */
function connect(port: number, from: string): Promise<{ outcome: 'open'; socket: tls.TLSSocket } | { outcome: 'closed' }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: HOST, port, localAddress: from, rejectUnauthorized: false } as tls.ConnectionOptions);
    const timer = setTimeout(() => socket.destroy(new Error('handshake timeout')), 5000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve({ outcome: 'open', socket });
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve({ outcome: 'closed' });
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ outcome: 'closed' });
    });
  });
}

/** One HTTP/1.1 request on an already open TLS connection; the status line's code. */
function requestOn(socket: tls.TLSSocket, urlPath: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m && head.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed before an answer: ${head.slice(0, 40)}`)));
    socket.write(`GET ${urlPath} HTTP/1.1\r\nHost: console\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  });
}

describe('package server limits', { timeout: 180_000 }, () => {
  let dir: string;
  let certificate: ConsoleCertificate;
  let msiPath: string;
  let msiSha: string;

  before(async () => {
    dir = makeTempDir('pic-limits-');
    certificate = await loadOrCreateCertificate(dir);
    msiPath = path.join(dir, 'package.msi');
    const data = crypto.randomBytes(MSI_BYTES);
    fs.writeFileSync(msiPath, data);
    msiSha = crypto.createHash('sha256').update(data).digest('hex');
  });
  after(() => removeDir(dir));

  interface Harness { server: PackageServer; grants: GrantStore; logs: string[]; events: AgentEvent[]; issue: (runAs?: 'admin' | 'system', targetId?: number) => Grant }
  const open: PackageServer[] = [];
  after(async () => {
    for (const s of open) await s.close();
  });
  async function start(extra: Partial<PackageServerOptions> = {}): Promise<Harness> {
    const grants = new GrantStore();
    const logs: string[] = [];
    const events: AgentEvent[] = [];
    const server = await startPackageServer({
      certificate, grants, port: 0, host: HOST,
      credentialFor: () => Promise.resolve({ user: 'admin', domain: 'CORP', password: PASSWORD }),
      onEvent: (e) => events.push(e),
      onLog: (_t, detail) => logs.push(detail),
      ...extra,
    });
    open.push(server);
    const issue = (runAs: 'admin' | 'system' = 'admin', targetId = 1) =>
      grants.issue({ targetId, runId: `run-${targetId}`, runAs, parameters: '', ttlMs: 600_000, files: [{ name: 'package.msi', path: msiPath, size: MSI_BYTES, sha256: msiSha, role: 'msi' }] });
    return { server, grants, logs, events, issue };
  }
  async function stop(h: Harness): Promise<void> {
    await h.server.close();
    open.splice(open.indexOf(h.server), 1);
  }

  /** An agent's whole conversation, as agent/src/work.c has it, with no pauses at all. */
  async function agentFlow(h: Harness, from: string, grant: Grant): Promise<number[]> {
    const statuses: number[] = [];
    const go = async (p: string, method = 'GET', body?: unknown, headers?: Record<string, string>) => {
      const r = await request(h.server.port, { path: p, from, token: grant.token, method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(headers ? { headers } : {}) });
      statuses.push(r.status);
      return r;
    };
    const job = await go('/v1/job');
    assert.equal(job.status, 200);
    await go('/v1/progress', 'POST', { stage: 'connected', percent: null });
    await go('/v1/progress', 'POST', { stage: 'downloading', percent: 0 });
    const half = Math.floor(MSI_BYTES / 2);
    const first = await go('/v1/files/package.msi', 'GET', undefined, { range: `bytes=0-${half - 1}` });
    const second = await go('/v1/files/package.msi', 'GET', undefined, { range: `bytes=${half}-` });
    assert.equal(crypto.createHash('sha256').update(Buffer.concat([first.body, second.body])).digest('hex'), msiSha, 'the resumed download hashes to the package');
    await go('/v1/progress', 'POST', { stage: 'downloading', percent: 100 });
    if (grant.runAs === 'admin') assert.equal(JSON.parse((await go('/v1/credential')).body.toString()).password, PASSWORD);
    await go('/v1/progress', 'POST', { stage: 'installing', percent: null });
    await go('/v1/result', 'POST', { exitCode: 0, log: 'MSI (s): Installation success' });
    return statuses;
  }

  test('over the global cap, extra connections are destroyed at once, counted and logged throttled, while the held ones are still served', async () => {
    const h = await start({ maxConnections: 6, maxConnectionsPerAddress: 8 });
    const grant = h.issue('system');
    const held: tls.TLSSocket[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await connect(h.server.port, `127.0.74.${10 + i}`);
      assert.equal(c.outcome, 'open', `held connection ${i} is accepted`);
      if (c.outcome === 'open') held.push(c.socket);
    }
    const t0 = performance.now();
    const extras = await Promise.all(Array.from({ length: 20 }, () => connect(h.server.port, '127.0.74.20')));
    const extraMs = performance.now() - t0;
    assert.deepEqual(extras.map((e) => e.outcome), Array<string>(20).fill('closed'), 'every connection over the cap is closed before its handshake');
    assert.ok(extraMs < 3000, `the extras were closed at once (${extraMs.toFixed(0)} ms for 20)`);
    assert.equal(h.server.refusals().overGlobalCap, 20);
    for (const socket of held) assert.equal(await requestOn(socket, '/v1/job', grant.token), 200, 'a held connection is still served');
    // Logged throttled: 3 lines now, the rest summed up when the window closes (here: on close()).
    const capLines = () => h.logs.filter((l) => l.includes('127.0.74.20'));
    assert.equal(capLines().length, 3, capLines().join('\n'));
    assert.match(capLines()[0]!, /^refused a connection from 127\.0\.74\.20: the server holds 6 connections already$/);
    // A freed slot is taken again: the cap is on connections at once, not in total.
    held.pop()!.destroy();
    let again: Awaited<ReturnType<typeof connect>> = { outcome: 'closed' };
    for (let i = 0; i < 50 && again.outcome !== 'open'; i++) {
      await sleep(20);
      again = await connect(h.server.port, '127.0.74.21');
    }
    assert.equal(again.outcome, 'open', 'a connection is accepted once one of the held ones went');
    if (again.outcome === 'open') {
      assert.equal(await requestOn(again.socket, '/v1/job', grant.token), 200);
      again.socket.destroy();
    }
    for (const socket of held) socket.destroy();
    await stop(h);
    const lines = capLines();
    assert.equal(lines.length, 4, lines.join('\n'));
    assert.match(lines[3]!, /^… and 17 more refused from 127\.0\.74\.20 in the last 10 s \(17 over the connection cap\)$/);
  });

  test('an address over its rate gets 429 with Retry-After, no handler runs and no grant is consumed; another address completes a whole agent flow; after Retry-After the first is served again', async () => {
    const h = await start({ requestsPerSecondPerAddress: 2, requestBurstPerAddress: 10 });
    const grant = h.issue('admin', 30);
    const from = '127.0.74.30';
    for (let i = 0; i < 10; i++) assert.equal((await request(h.server.port, { path: '/v1/job', from, token: grant.token })).status, 200, `request ${i} within the burst`);
    const connectedBefore = h.events.filter((e) => e.kind === 'connected' && e.targetId === 30).length;
    const limited = await request(h.server.port, { path: '/v1/credential', from, token: grant.token });
    assert.equal(limited.status, 429);
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 2, `Retry-After: ${String(limited.headers['retry-after'])}`);
    const result = await request(h.server.port, { path: '/v1/result', from, token: grant.token, method: 'POST', body: JSON.stringify({ exitCode: 0, log: 'x' }) });
    assert.equal(result.status, 429);
    assert.equal((await request(h.server.port, { path: '/v1/job', from, token: grant.token })).status, 429);
    assert.equal(grant.credentialTaken, false, 'the 429 did not take the one-time credential');
    assert.equal(grant.finished, false, 'the 429 did not post the result');
    assert.ok(!h.events.some((e) => e.kind === 'result'), 'no result event');
    assert.equal(h.events.filter((e) => e.kind === 'connected' && e.targetId === 30).length, connectedBefore, 'no job handler ran');
    assert.equal(h.server.refusals().rateLimited, 3);

    // Another address is untouched: a whole agent flow (job, progress, a resumed download, the credential, the result).
    const other = h.issue('admin', 31);
    const statuses = await agentFlow(h, '127.0.74.31', other);
    assert.deepEqual(statuses.filter((s) => s !== 200 && s !== 206), [], `every request of the other address was served: ${statuses.join(',')}`);
    assert.equal(h.server.refusals().rateLimited, 3);

    // After waiting Retry-After, the first address is served again, and its credential is still there.
    await sleep(retryAfter * 1000 + 100);
    const credential = await request(h.server.port, { path: '/v1/credential', from, token: grant.token });
    assert.equal(credential.status, 200);
    assert.equal(JSON.parse(credential.body.toString()).password, PASSWORD);
    assert.ok(!h.logs.some((l) => l.includes(PASSWORD) || l.includes(grant.token) || l.includes(other.token)), 'no secret in the log');
    await stop(h);
  });

  test('a legitimate agent\'s flow passes a rate-limited address untouched while the flooded one next to it gets 429s', async () => {
    const h = await start({ ...AGENT_CHANNEL_LIMITS });
    const flood = h.issue('system', 40);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 4, rejectUnauthorized: false });
    const floodStatuses: number[] = [];
    const flooding = (async () => {
      for (let batch = 0; batch < 10; batch++) {
        const got = await Promise.all(Array.from({ length: 40 }, () => request(h.server.port, { path: '/v1/job', from: '127.0.74.40', token: flood.token, agent }).then((r) => r.status)));
        floodStatuses.push(...got);
      }
    })();
    const statuses = await agentFlow(h, '127.0.74.41', h.issue('admin', 41));
    await flooding;
    agent.destroy();
    const limited = floodStatuses.filter((s) => s === 429).length;
    console.log(`flooded address: 400 requests, ${limited} answered 429; the agent next to it: ${statuses.join(',')}`);
    assert.ok(limited >= 400 - AGENT_CHANNEL_LIMITS.requestBurstPerAddress - 100, `${limited} of 400 were 429`);
    assert.deepEqual(statuses.filter((s) => s !== 200 && s !== 206), [], 'every request of the agent was served');
    await stop(h);
  });

  test('the console\'s defaults (AGENT_CHANNEL_LIMITS) never refuse the busiest legitimate agent: 8 files with 6 attempts each and every progress post, back to back', async () => {
    const h = await start({ ...AGENT_CHANNEL_LIMITS });
    const from = '127.0.74.50';
    const grant = grants8(h);
    const go = (p: string, method = 'GET', body?: unknown, headers?: Record<string, string>) =>
      request(h.server.port, { path: p, from, token: grant.token, method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(headers ? { headers } : {}) }).then((r) => r.status);
    const statuses: number[] = [];
    // agent/src/work.c at its worst, without its pauses: 3 job rounds, progress, 8 files × 6 attempts
    // (Range resumes), a progress post after each, the credential, installing, 3 result attempts.
    for (let i = 0; i < 3; i++) statuses.push(await go('/v1/job'));
    statuses.push(await go('/v1/progress', 'POST', { stage: 'connected', percent: null }));
    statuses.push(await go('/v1/progress', 'POST', { stage: 'downloading', percent: 0 }));
    for (let f = 0; f < 8; f++) {
      for (let attempt = 0; attempt < 6; attempt++) statuses.push(await go(`/v1/files/f${f}.msi`, 'GET', undefined, attempt > 0 ? { range: `bytes=${attempt}-` } : undefined));
      statuses.push(await go('/v1/progress', 'POST', { stage: 'downloading', percent: (f + 1) * 12 }));
    }
    statuses.push(await go('/v1/credential'));
    statuses.push(await go('/v1/progress', 'POST', { stage: 'installing', percent: null }));
    for (let i = 0; i < 3; i++) statuses.push(await go('/v1/progress', 'POST', { stage: 'result-retry', percent: null }));
    statuses.push(await go('/v1/result', 'POST', { exitCode: 0, log: 'ok' }));
    assert.equal(statuses.length, 67);
    assert.deepEqual(statuses.filter((s) => s === 429 || s >= 500), [], `${statuses.length} requests: ${statuses.join(',')}`);
    assert.equal(h.server.refusals().rateLimited, 0);
    await stop(h);

    function grants8(x: Harness): Grant {
      return x.grants.issue({
        targetId: 50, runId: 'run-50', runAs: 'admin', parameters: '', ttlMs: 600_000,
        files: Array.from({ length: 8 }, (_, f) => ({ name: `f${f}.msi`, path: msiPath, size: MSI_BYTES, sha256: msiSha, role: f === 0 ? ('msi' as const) : ('config' as const) })),
      });
    }
  });

  test('the simulated lab agent, unmodified, installs under the console\'s defaults: 20 hosts at once on their own addresses, then 4 runs back to back from one address', async () => {
    const h = await start({ ...AGENT_CHANNEL_LIMITS });
    const run = async (targetId: number, address: string): Promise<number> => {
      const grant = h.issue('admin', targetId);
      const state = agentHost('healthy', {
        consoles: [{ host: HOST, port: h.server.port }], fingerprint: certificate.fingerprint, token: grant.token, runId: grant.runId,
        packageId: 'limits-test', size: MSI_BYTES, sha256: msiSha,
      }, { address, installTimeMs: 10 });
      const { agent } = await startAgentService(state);
      return agent.done;
    };
    const together = await Promise.all(Array.from({ length: 20 }, (_, i) => run(100 + i, `127.0.74.${100 + i}`)));
    assert.deepEqual(together, Array<number>(20).fill(0), 'every agent ended with 0');
    const oneAddress: number[] = [];
    for (let i = 0; i < 4; i++) oneAddress.push(await run(200 + i, '127.0.74.130'));
    assert.deepEqual(oneAddress, [0, 0, 0, 0]);
    assert.equal(h.events.filter((e) => e.kind === 'result' && e.exitCode === 0).length, 24);
    assert.deepEqual(h.server.refusals(), { overGlobalCap: 0, overAddressCap: 0, rateLimited: 0, badToken: 0, linesLogged: 0, linesSuppressed: 0 });
    await stop(h);
  });

  test('a flood of 2 000 bad-token requests logs 3 lines and one summary, and never a token or a query', async () => {
    for (const limits of [{}, AGENT_CHANNEL_LIMITS] as const) {
      const h = await start({ ...limits });
      const live = h.issue('system', 60);
      const agent = new https.Agent({ keepAlive: true, maxSockets: 4, rejectUnauthorized: false });
      const sent: string[] = [];
      const statuses = new Map<number, number>();
      const t0 = performance.now();
      for (let batch = 0; batch < 20; batch++) {
        await Promise.all(
          Array.from({ length: 100 }, async (_, i) => {
            const guess = crypto.randomBytes(32).toString('base64url');
            sent.push(guess);
            // Some carry the live token in the query, the way a careless client might: never logged either.
            const p = i % 10 === 0 ? `/v1/job?token=${live.token}` : '/v1/files/package.msi';
            const r = await request(h.server.port, { path: p, from: '127.0.74.60', token: guess, agent });
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          }),
        );
      }
      const floodMs = performance.now() - t0;
      agent.destroy();
      const during = h.logs.length;
      await stop(h);
      const lines = h.logs;
      const windows = Math.ceil(floodMs / 10_000);
      console.log(`flood (${'maxConnections' in limits ? 'AGENT_CHANNEL_LIMITS' : 'no rate limit'}): 2000 requests in ${floodMs.toFixed(0)} ms ${JSON.stringify(Object.fromEntries(statuses))}; ${during} lines during, ${lines.length} after close; ${JSON.stringify(h.server.refusals())}`);
      assert.equal([...statuses.values()].reduce((a, b) => a + b, 0), 2000);
      assert.ok(lines.length <= 4 * windows, `${lines.length} lines for ${windows} window(s):\n${lines.join('\n')}`);
      if (windows === 1) {
        assert.equal(lines.length, 4);
        assert.match(lines[3]!, /^… and 1997 more refused from 127\.0\.74\.60 in the last 10 s \(/);
      }
      assert.ok(/^refused GET \/v1\/(files\/package\.msi|job\?…) from 127\.0\.74\.60: (token unknown|over 20 requests a second \(burst 100\) \(429, retry after \d+ s\))$/.test(lines[0]!), lines[0]);
      for (const line of lines) {
        assert.ok(!line.includes(live.token), `the live token is not in: ${line}`);
        assert.ok(!line.includes('token='), `no query in: ${line}`);
        assert.ok(!sent.some((g) => line.includes(g)), `no guessed token in: ${line}`);
      }
      const r = h.server.refusals();
      assert.equal(r.badToken + r.rateLimited, 2000);
      assert.equal(lines.filter((l) => !l.startsWith('…')).length + r.linesSuppressed, 2000, 'every refusal was either logged or counted');
    }
  });

  test('a refusal window closes on its own timer with one summary line', async () => {
    const h = await start({ refusalLogWindowMs: 400 });
    for (let i = 0; i < 10; i++) assert.equal((await request(h.server.port, { path: '/v1/job', from: '127.0.74.70' })).status, 401);
    assert.equal(h.logs.length, 3);
    for (let i = 0; i < 40 && h.logs.length < 4; i++) await sleep(50);
    assert.deepEqual(h.logs.slice(3), ['… and 7 more refused from 127.0.74.70 in the last 0.4 s (7 with a bad token)']);
    // A new window opens for the next refusal.
    assert.equal((await request(h.server.port, { path: '/v1/job', from: '127.0.74.70' })).status, 401);
    assert.equal(h.logs.length, 5);
    await stop(h);
  });

  test('close() leaves no timer and no socket behind, with refusal windows, rate buckets and connections open', async () => {
    const baseline = process.getActiveResourcesInfo();
    const count = (list: string[], kind: string) => list.filter((k) => k === kind).length;
    const h = await start({ ...AGENT_CHANNEL_LIMITS, maxConnections: 3 });
    const held: tls.TLSSocket[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await connect(h.server.port, `127.0.74.8${i}`);
      if (c.outcome === 'open') held.push(c.socket);
    }
    assert.equal(held.length, 3);
    for (let i = 0; i < 5; i++) assert.equal((await connect(h.server.port, '127.0.74.89')).outcome, 'closed');
    const during = process.getActiveResourcesInfo();
    assert.ok(count(during, 'Timeout') > count(baseline, 'Timeout'), 'windows and first-request timers are running');
    const closed = Promise.all(held.map((s) => new Promise((resolve) => s.once('close', resolve))));
    await stop(h);
    await closed;
    await sleep(50);
    const left = process.getActiveResourcesInfo();
    assert.ok(count(left, 'Timeout') <= count(baseline, 'Timeout'), `timers left: ${JSON.stringify(left)} (before: ${JSON.stringify(baseline)})`);
    assert.ok(count(left, 'TCPServerWrap') <= count(baseline, 'TCPServerWrap'), 'the listener is gone');
    assert.ok(count(left, 'TCPSocketWrap') + count(left, 'TLSSocketWrap') <= count(baseline, 'TCPSocketWrap') + count(baseline, 'TLSSocketWrap'), `sockets left: ${JSON.stringify(left)}`);
    assert.ok(h.logs.some((l) => /^… and 2 more refused from 127\.0\.74\.89 in the last 10 s \(2 over the connection cap\)$/.test(l)), 'the open window was summed up on close');
  });
});
