// PushInstallAgent.exe under Wine backs off when the console's package server answers
// 429 (its per-address rate limit) and retries the same request after Retry-After, within its
// bounds (5 retries per request, 300 s of back-off per run: agent/src/console.h CONSOLE_BUSY_*).
//
// 1. The REAL package server with its own limiter at 1 request a second, burst 1. The agent reaches
//    it through a TCP forwarder whose upstream connections all leave from 127.0.75.2 (one bucket)
//    and which, before forwarding the agent's first connection, spends that bucket's one token.
//    So the agent's first GET /v1/job is answered 429 (Retry-After: 1), and so is every request
//    that follows another within the second — the first package download among them (right after
//    the "downloading 0" progress post). The install must still succeed.
// 2. A console (same certificate) that answers every request 429 with Retry-After: 1: the agent
//    ends with 16 after 1 + 5 tries, and with a 2 s budget (--test-busy-budget-s) after 3.
// Loopback only: 127.0.75.1 (servers), 127.0.75.2 (the forwarder's source address).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { loadOrCreateCertificate } from '../../main/server/certificate.js';
import { GrantStore, type PackageFile } from '../../main/server/grants.js';
import { startPackageServer, type AgentEvent } from '../../main/server/packageServer.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { createWinePrefix, requireTools, type WineRun } from '../support/wine.js';
import { HELLO_TEXT, MsiBuilder, sha256File } from './msiFixtures.js';
import { pairSockets } from '../support/tcpPair.js';
import { placeAgent } from './agentHarness.js';

const EXE = path.join(REPO_ROOT, 'agent', 'dist', 'PushInstallAgent.exe');
const HOST = '127.0.75.1';
const SOURCE = '127.0.75.2';
const STOPPED = 1;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Forwards TCP to the server, every upstream connection from SOURCE; before the first one, `beforeFirst` runs. */
async function startForwarder(targetPort: number, beforeFirst: () => Promise<void>): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let first = true;
  const server = net.createServer((client) => {
    client.pause();
    sockets.add(client);
    const go = () => {
      const upstream = net.connect({ host: HOST, port: targetPort, localAddress: SOURCE });
      pairSockets(client, upstream, sockets);
      client.pipe(upstream);
      upstream.pipe(client);
    };
    if (first) {
      first = false;
      beforeFirst().then(go, () => client.destroy());
    } else {
      go();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

test('PushInstallAgent.exe under Wine backs off on HTTP 429 (Retry-After) and installs; a console that keeps refusing ends it with 16 within the bounds', { timeout: 420_000 }, async (t) => {
  requireTools(['wine', 'wineserver', 'wineboot', 'wixl']);
  assert.ok(fs.existsSync(EXE), `${EXE} is missing: run bash agent/build.sh`);
  const t0 = Date.now();
  const wine = await createWinePrefix();
  t.after(() => wine.close());
  const work = makeTempDir('pic-agent-429-');
  t.after(() => removeDir(work));
  const msis = new MsiBuilder(path.join(work, 'msi'));
  const cert = await loadOrCreateCertificate(path.join(work, 'console'));
  t.diagnostic(`Wine prefix ready in ${Date.now() - t0} ms`);

  let nextRun = 1;
  /** The agent in C:\windows\PushInstall\<run>\ with its job file naming one console. */
  const prepare = (consolePort: number, msi: PackageFile, tokenFor: (run: string) => string) => {
    const run = `rl-${nextRun++}-${crypto.randomBytes(3).toString('hex')}`;
    return placeAgent(wine, { run, console: { host: HOST, port: consolePort }, fingerprint: cert.fingerprint, token: tokenFor(run), packageId: 'rate-limit-test', msi });
  };
  const sc = async (args: readonly string[]): Promise<WineRun> => wine.run('sc', args, { timeoutMs: 30_000 });

  await t.test('the real package server at 1 request a second: the first GET /v1/job and the first download are answered 429; the agent waits Retry-After each time and installs (0)', async () => {
    const grants = new GrantStore();
    const events: (AgentEvent & { at: number })[] = [];
    const lines: { at: number; target: number | null; detail: string }[] = [];
    const server = await startPackageServer({
      certificate: cert, grants, port: 0, host: HOST,
      credentialFor: () => Promise.resolve(null),
      onEvent: (e) => events.push({ ...e, at: performance.now() }),
      onLog: (target, detail) => lines.push({ at: performance.now(), target, detail }),
      requestsPerSecondPerAddress: 1,
      requestBurstPerAddress: 1,
      refusalLogLinesPerWindow: 1000,
    });
    t.after(() => server.close());
    // Spends SOURCE's one token: a request without a token (401), counted by the limiter first.
    const drain = () =>
      new Promise<void>((resolve, reject) => {
        https.get({ host: HOST, port: server.port, path: '/v1/drain', localAddress: SOURCE, rejectUnauthorized: false, agent: false }, (res) => {
          res.resume();
          if (res.statusCode === 401) resolve();
          else reject(new Error(`drain: HTTP ${res.statusCode}`));
        }).on('error', reject);
      });
    const forwarder = await startForwarder(server.port, drain);
    t.after(() => forwarder.close());

    const built = msis.build('good');
    const msi: PackageFile = { name: 'package.msi', path: built.file, size: built.size, sha256: built.sha256, role: 'msi' };
    // The good package's custom action copies cfg.xml from beside it: it comes along.
    const cfgXml = path.join(work, 'cfg.xml');
    fs.writeFileSync(cfgXml, '<?xml version="1.0"?>\n<config product="test" marker="after-429"/>\n');
    const cfg: PackageFile = { name: 'cfg.xml', path: cfgXml, size: fs.statSync(cfgXml).size, sha256: sha256File(cfgXml), role: 'config' };
    const c = prepare(forwarder.port, msi, (run) => grants.issue({ targetId: 1, runId: run, files: [msi, cfg], parameters: 'MARKER=after-429', runAs: 'system', ttlMs: 600_000 }).token);

    const name = `PushInstallAgent_${c.run}`;
    const t1 = performance.now();
    assert.equal((await sc(['create', name, 'binPath=', c.exeWin])).status, 0);
    assert.equal((await sc(['start', name])).status, 0);
    const deadline = Date.now() + 120_000;
    let out = '';
    for (;;) {
      out = (await sc(['query', name])).stdout;
      if (new RegExp(`STATE\\s*:\\s*${STOPPED}\\b`).test(out)) break;
      assert.ok(Date.now() < deadline, `not STOPPED after 120 s:\n${out}`);
      await sleep(250);
    }
    const totalMs = performance.now() - t1;
    await sc(['delete', name]);
    const log = c.log();
    assert.match(out, /WIN32_EXIT_CODE\s*:\s*0\b/, `${out}\n${log}`);

    // Installed, and the result reached the console.
    assert.equal(fs.readFileSync(path.join(wine.driveC, 'Program Files', `PushInstallTest-${built.variant}`, 'hello.txt'), 'utf8'), HELLO_TEXT);
    const result = events.find((e) => e.kind === 'result');
    assert.ok(result && result.kind === 'result', `no result posted:\n${log}`);
    assert.equal(result.exitCode, 0);

    // The agent's log shows the back-offs, the first job and the first download among them.
    const where = `console ${HOST.replaceAll('.', '\\.')}:${forwarder.port}`;
    assert.match(log, new RegExp(`${where}: GET /v1/job answered HTTP 429 \\(rate limited\\): backing off 1 s \\(Retry-After\\), retry 1 of 5`));
    assert.match(log, new RegExp(`${where}: GET /v1/files/package\\.msi answered HTTP 429 \\(rate limited\\): backing off 1 s \\(Retry-After\\), retry 1 of 5`));
    assert.doesNotMatch(log, /kept refusing/);
    const backoffs = (log.match(/answered HTTP 429 \(rate limited\): backing off 1 s/g) ?? []).length;
    // A download percent post is not waited for: a 429 only quiets them for Retry-After.
    const quieted = (log.match(/progress 'downloading' \d+% refused \(HTTP 429\): no progress posts for 1 s/g) ?? []).length;
    const refused = server.refusals().rateLimited;
    assert.equal(backoffs + quieted, refused, 'one line in the agent\'s log per 429 the server sent');

    // Server side: the first 429 of each and the same request served after it, at least Retry-After apart.
    const firstJob429 = lines.find((l) => l.detail.startsWith(`refused GET /v1/job from ${SOURCE}: over 1 requests a second`));
    const jobServed = events.find((e) => e.kind === 'connected');
    const firstFile429 = lines.find((l) => l.detail.startsWith(`refused GET /v1/files/package.msi from ${SOURCE}: over 1 requests a second`));
    const fileServed = lines.find((l) => l.detail.startsWith('serving package.msi bytes 0-'));
    assert.ok(firstJob429 && jobServed && firstFile429 && fileServed, lines.map((l) => l.detail).join('\n'));
    const jobWaitMs = jobServed.at - firstJob429.at;
    const fileWaitMs = fileServed.at - firstFile429.at;
    assert.ok(jobWaitMs >= 1000, `GET /v1/job asked again ${jobWaitMs.toFixed(0)} ms after its 429`);
    assert.ok(fileWaitMs >= 1000, `GET /v1/files/package.msi asked again ${fileWaitMs.toFixed(0)} ms after its 429`);
    assert.ok(totalMs >= backoffs * 1000, `${totalMs.toFixed(0)} ms for ${backoffs} back-offs of 1 s`);

    // Every request the server saw — the refused ones too — was pinned by the agent first.
    const served =
      events.filter((e) => e.kind === 'connected' || e.kind === 'progress' || e.kind === 'result').length +
      lines.filter((l) => l.target === 1 && l.detail.startsWith('serving ')).length;
    const pinned = Number(/(\d+) requests sent to the console, each after its certificate matched/.exec(log)?.[1]);
    assert.equal(pinned, served + refused, `pinned ${pinned}, served ${served}, refused ${refused}`);
    t.diagnostic(`real limiter (1/s, burst 1): ${refused} answers 429, ${backoffs} back-offs logged; GET /v1/job re-sent after ${jobWaitMs.toFixed(0)} ms, the download after ${fileWaitMs.toFixed(0)} ms; ${quieted} progress posts quieted; installed (0) in ${totalMs.toFixed(0)} ms`);
  });

  await t.test('a console that always answers 429 (Retry-After: 1): exit 16 after 1 + 5 tries ≥ 1 s apart, "the console kept refusing: rate limited"; with a 2 s budget after 3 tries', async () => {
    const times: number[] = [];
    const sockets = new Set<net.Socket>();
    const refuser = https.createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
      times.push(performance.now());
      req.resume();
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain', 'content-length': 4 });
      res.end('429\n');
    });
    refuser.on('connection', (s: net.Socket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => refuser.listen(0, HOST, resolve));
    t.after(() => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      refuser.close(() => resolve());
    }));
    const port = (refuser.address() as net.AddressInfo).port;
    const built = msis.build('good');
    const msi: PackageFile = { name: 'package.msi', path: built.file, size: built.size, sha256: built.sha256, role: 'msi' };

    const c = prepare(port, msi, () => crypto.randomBytes(32).toString('base64url'));
    const r = await wine.run(c.exeWin, ['--console'], { timeoutMs: 60_000 });
    assert.equal(r.status, 16, r.stderr);
    assert.equal(times.length, 6, r.stderr);
    const gaps = times.slice(1).map((x, i) => x - times[i]!);
    assert.ok(gaps.every((g) => g >= 1000), `gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
    assert.ok(r.ms >= 5000 && r.ms < 20_000, `took ${r.ms} ms`);
    assert.equal((r.stderr.match(/GET \/v1\/job answered HTTP 429 \(rate limited\): backing off 1 s \(Retry-After\), retry [1-5] of 5/g) ?? []).length, 5, r.stderr);
    assert.match(r.stderr, /the console kept refusing: rate limited \(HTTP 429 to GET \/v1\/job; 5 retries, 5 of 300 s of back-off used in this run, 1 s more asked\)/);
    assert.match(r.stderr, /GET \/v1\/job answered HTTP 429\r?\n/);
    t.diagnostic(`always 429: exit 16 after ${times.length} tries in ${r.ms} ms (gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms)`);

    times.length = 0;
    const b = prepare(port, msi, () => crypto.randomBytes(32).toString('base64url'));
    const rb = await wine.run(b.exeWin, ['--console', '--test-busy-budget-s', '2'], { timeoutMs: 60_000 });
    assert.equal(rb.status, 16, rb.stderr);
    assert.equal(times.length, 3, rb.stderr);
    assert.match(rb.stderr, /the console kept refusing: rate limited \(HTTP 429 to GET \/v1\/job; 2 retries, 2 of 2 s of back-off used in this run, 1 s more asked\)/);
    t.diagnostic(`always 429 with a 2 s budget: exit 16 after ${times.length} tries in ${rb.ms} ms`);
  });
});
