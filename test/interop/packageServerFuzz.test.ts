// A bounded fuzz campaign against the package server (TCP 2224) at three levels —
// raw TCP (random bytes and mutated TLS ClientHellos), raw HTTP inside TLS (malformed request
// lines, huge and broken headers, conflicting framing), and HTTP requests on keep-alive
// connections (every path, method, token guess, Range form and JSON body). Every input is
// answered or closed within a per-input bound, no answer is a 500 or serves anything without the
// right token, memory stays bounded, and afterwards the server still serves a valid agent.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { loadOrCreateCertificate } from '../../main/server/certificate.js';
import { GrantStore, type Grant } from '../../main/server/grants.js';
import { startPackageServer, type AgentEvent, type PackageServer } from '../../main/server/packageServer.js';
import { prng } from '../support/prng.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';

const BOUND_MS = 5000;
const PASSWORD = `Fuzz-${crypto.randomBytes(8).toString('hex')}`;

async function pool<T>(items: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(items);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items) {
      const i = next++;
      out[i] = await work(i);
    }
  }));
  return out;
}

/** Writes bytes, waits for the first answer bytes or the close; the bound is the test's per-input limit. */
function exchange(connect: () => net.Socket, bytes: Buffer, secureEvent: boolean, endAfterWrite = false): Promise<{ outcome: 'answered' | 'closed' | 'timeout'; head: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = connect();
    let head = '';
    let settled = false;
    const done = (outcome: 'answered' | 'closed' | 'timeout') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ outcome, head, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => done('timeout'), BOUND_MS);
    socket.on(secureEvent ? 'secureConnect' : 'connect', () => (endAfterWrite ? socket.end(bytes) : socket.write(bytes, () => undefined)));
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n')) done('answered');
    });
    socket.on('error', () => done('closed'));
    socket.on('close', () => done(head ? 'answered' : 'closed'));
  });
}

describe('package server fuzz (TCP 2224)', { timeout: 120_000 }, () => {
  let dir: string;
  let server: PackageServer;
  let grants: GrantStore;
  let msiPath: string;
  let msiSha: string;
  const MSI_BYTES = 200_000;
  const events: AgentEvent[] = [];
  const logs: string[] = [];
  let rssBefore = 0;
  let rssPeak = 0;
  const sample = () => void (rssPeak = Math.max(rssPeak, process.memoryUsage.rss()));
  const issue = (runAs: 'admin' | 'system'): Grant =>
    grants.issue({ targetId: 9, runId: 'fuzz', runAs, parameters: '', ttlMs: 600_000, files: [{ name: 'package.msi', path: msiPath, size: MSI_BYTES, sha256: msiSha, role: 'msi' }] });

  before(async () => {
    dir = makeTempDir('pic-fuzz-2224-');
    const certificate = await loadOrCreateCertificate(dir);
    msiPath = path.join(dir, 'package.msi');
    const data = crypto.randomBytes(MSI_BYTES);
    fs.writeFileSync(msiPath, data);
    msiSha = crypto.createHash('sha256').update(data).digest('hex');
    grants = new GrantStore();
    server = await startPackageServer({
      certificate, grants, port: 0, host: '127.0.0.1',
      credentialFor: () => Promise.resolve({ user: 'admin', domain: 'CORP', password: PASSWORD }),
      onEvent: (e) => events.push(e),
      onLog: (_t, detail) => logs.push(detail),
      // Short, so inputs that stop mid-request are closed soon (the default bound is tested in packageServer.test.ts).
      headersTimeoutMs: 250,
      maxConnectionsPerAddress: 64,
    });
    rssBefore = process.memoryUsage.rss();
    rssPeak = rssBefore;
  });
  after(async () => {
    await server?.close();
    removeDir(dir);
  });

  test('raw TCP: 10 000 connections of random bytes and mutated ClientHellos are closed within the bound', async () => {
    // A real ClientHello to mutate, as Node's TLS client sends it.
    const hello = await new Promise<Buffer>((resolve) => {
      const sink = net.createServer((s) => s.once('data', (b: Buffer) => { resolve(b); s.destroy(); sink.close(); }));
      sink.listen(0, '127.0.0.1', () => {
        const c = tls.connect({ host: '127.0.0.1', port: (sink.address() as net.AddressInfo).port, rejectUnauthorized: false });
        c.on('error', () => undefined);
      });
    });
    const next = prng(0x2224);
    let slowest = 0;
    const results = await pool(10_000, 48, async (i) => {
      const kind = next() % 5;
      let bytes: Buffer;
      if (kind === 0) bytes = crypto.randomBytes(1 + (next() % 2048));
      else if (kind === 1) bytes = hello.subarray(0, next() % hello.length);
      else if (kind === 2) {
        bytes = Buffer.from(hello);
        for (let n = 0; n < 1 + (next() % 8); n++) bytes[next() % bytes.length] = next() & 0xff;
      } else if (kind === 3) bytes = Buffer.from(`GET /v1/job HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${crypto.randomBytes(32).toString('base64url')}\r\n\r\n`);
      else bytes = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff]), crypto.randomBytes(next() % 512)]);
      // Most inputs end their side (EOF mid-handshake); one in ten leaves it open for the server's bound to close.
      const r = await exchange(() => net.connect({ host: '127.0.0.1', port: server.port }), bytes, false, next() % 10 !== 0);
      slowest = Math.max(slowest, r.ms);
      if (i % 256 === 0) sample();
      return { i, kind, ...r };
    });
    const late = results.filter((r) => r.outcome === 'timeout');
    assert.deepEqual(late.map((r) => `input ${r.i} (kind ${r.kind})`), [], 'every connection ends within the bound');
    assert.ok(results.every((r) => !/^HTTP\/1\.[01] 2/.test(r.head)), 'nothing is served on raw TCP');
    console.log(`raw TCP fuzz: 10000 connections, slowest ${slowest.toFixed(0)} ms`);
  });

  test('raw HTTP in TLS: 2 000 malformed requests are answered 4xx or closed, never 2xx or 500', async () => {
    const token = issue('admin').token;
    const next = prng(0x5eed);
    const pick = <T>(items: readonly T[]): T => items[next() % items.length]!;
    const lines = [
      'GET /v1/job HTTP/1.1', 'GET /v1/job HTTP/9.9', 'GET /v1/job', 'GET  /v1/job HTTP/1.1', 'get /v1/job HTTP/1.1', 'BREW /v1/job HTTP/1.1',
      'GET /v1/files/../../etc/passwd HTTP/1.1', 'GET /v1/files/%2e%2e%2fpackage.msi HTTP/1.1', 'GET http://evil/v1/job HTTP/1.1', 'GET * HTTP/1.1',
      `GET /${'a'.repeat(20_000)} HTTP/1.1`, 'POST /v1/result HTTP/1.1', '\x00\x01\x02', '', 'GET /v1/job HTTP/1.1\rX: y',
    ];
    const headerSets = [
      () => `Authorization: Bearer ${crypto.randomBytes(32).toString('base64url')}`,
      () => `Authorization: Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
      () => `Authorization: Bearer ${token}\x00`,
      () => `Authorization: Bearer\t${token}`,
      () => `X-Big: ${'x'.repeat(9000 + (next() % 20_000))}`,
      () => Array.from({ length: 500 + (next() % 2000) }, (_, n) => `X-${n}: ${n}`).join('\r\n'),
      () => 'Content-Length: 5\r\nContent-Length: 6',
      () => 'Transfer-Encoding: chunked\r\nContent-Length: 10',
      () => 'Transfer-Encoding: chunked, identity',
      () => 'Content-Length: -1',
      () => `Content-Length: ${'9'.repeat(30)}`,
      () => ' folded: header',
      () => 'No-Colon-Header',
      () => `Range: bytes=${next()}-${next()}`,
      () => `X: ${String.fromCharCode(...Array.from({ length: 40 }, () => next() % 256))}`,
    ];
    let slowest = 0;
    const results = await pool(2000, 16, async (i) => {
      const headers = Array.from({ length: 1 + (next() % 3) }, () => pick(headerSets)());
      const tail = pick(['\r\n\r\n', '\n\n', '\r\n', '', '\r\n\r\n{"exitCode":0}', '\r\n\r\n5\r\nhello\r\n0\r\n\r\n']);
      const raw = Buffer.from(`${pick(lines)}\r\nHost: 127.0.0.1\r\n${headers.join('\r\n')}${tail}`, 'latin1');
      const r = await exchange(() => tls.connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false }), raw, true);
      slowest = Math.max(slowest, r.ms);
      if (i % 128 === 0) sample();
      return { i, raw: raw.subarray(0, 80).toString('latin1'), ...r };
    });
    const bad = results.filter((r) => r.outcome === 'timeout' || /^HTTP\/1\.[01] (2|5)/.test(r.head));
    // Incomplete requests (no blank line) are closed by the header bound: within BOUND_MS too.
    assert.deepEqual(bad.map((r) => `${r.i}: ${r.outcome} ${r.head.split('\r\n')[0]} ← ${JSON.stringify(r.raw)}`), []);
    console.log(`raw HTTP fuzz: 2000 requests, ${results.filter((r) => r.outcome === 'answered').length} answered, slowest ${slowest.toFixed(0)} ms`);
  });

  test('HTTP: 10 000 requests on keep-alive connections (paths, methods, token guesses, Range, JSON) get a 4xx/2xx by the rules, never a 500', async () => {
    const live = issue('system');
    const agent = new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false });
    const next = prng(0xbeef);
    const pick = <T>(items: readonly T[]): T => items[next() % items.length]!;
    const tokens: { kind: string; value: () => string | null }[] = [
      { kind: 'none', value: () => null },
      { kind: 'guess', value: () => crypto.randomBytes(32).toString('base64url') },
      { kind: 'near', value: () => `${live.token.slice(0, 10)}${live.token[10] === 'x' ? 'y' : 'x'}${live.token.slice(11)}` },
      { kind: 'short', value: () => live.token.slice(0, 16) },
      { kind: 'long', value: () => `${live.token}${live.token}${live.token}` },
      { kind: 'live', value: () => live.token },
      { kind: 'live', value: () => live.token },
    ];
    const paths = ['/v1/job', '/v1/credential', '/v1/files/package.msi', '/v1/files/PACKAGE.MSI', '/v1/files/package.msi%00', '/v1/files/%E0%A4%A', '/v1/files/..%2Fpackage.msi', '/v1/files/' + 'a'.repeat(4000), '/v1/progress', '/v1/result', '/', '/v1', '/v1/job?x=1', '//v1/job'];
    const ranges = [undefined, 'bytes=0-99', 'bytes=-1', 'bytes=-0', 'bytes=5-1', `bytes=${MSI_BYTES}-`, 'bytes=0-', 'bytes=1-2,3-4', 'bytes=999999999999999999999-', 'bytes=-99999999999999999', 'items=0-1', 'bytes=a-b', `bytes=${MSI_BYTES - 1}-${MSI_BYTES * 2}`, 'bytes= 0-1', ''];
    const bodies = [
      undefined, '', '{', 'null', '[]', '"x"', '{"stage":"download","percent":50}', '{"stage":' + '"x"'.repeat(2) + '}', '{"percent":1e309}',
      '{"exitCode":"0"}', '{"exitCode":1.5}', '{"exitCode":null}', `{"stage":"${'s'.repeat(20_000)}"}`, '['.repeat(5000) + ']'.repeat(5000),
      '{"__proto__":{"polluted":1},"stage":"x"}', '{"constructor":{"prototype":{"polluted":1}}}', '\uFEFF{"stage":"bom"}',
    ];
    let slowest = 0;
    const statuses = new Map<number | string, number>();
    const wrongs: string[] = [];
    await pool(10_000, 16, async (i) => {
      const token = pick(tokens);
      const value = token.value();
      const method = pick(['GET', 'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
      const urlPath = pick(paths);
      const range = pick(ranges);
      // A real result would end the live grant: the body never carries an integer exitCode.
      const body = method === 'POST' || method === 'PUT' ? pick(bodies) : undefined;
      const headers: Record<string, string> = { ...(value !== null ? { authorization: `Bearer ${value}` } : {}), ...(range !== undefined ? { range } : {}), ...(body !== undefined ? { 'content-type': pick(['application/json', 'text/plain']) } : {}) };
      const t0 = performance.now();
      const status = await new Promise<number | string>((resolve) => {
        const req = https.request({ host: '127.0.0.1', port: server.port, path: urlPath, method, agent, headers, timeout: BOUND_MS }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', () => resolve('reset'));
        });
        req.on('timeout', () => { req.destroy(); resolve('timeout'); });
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        req.end(body);
      });
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (i % 256 === 0) sample();
      const where = `input ${i}: ${method} ${urlPath.slice(0, 40)} token=${token.kind} range=${range} body=${body?.slice(0, 30)} → ${status}`;
      if (status === 'timeout' || status === 500 || ms > BOUND_MS) wrongs.push(where);
      else if (token.kind !== 'live' && typeof status === 'number' && status < 400) wrongs.push(`${where} (served without the right token)`);
      else if (typeof status === 'string' && !(body && body.length > 16 * 1024)) wrongs.push(`${where} (connection error)`);
    });
    agent.destroy();
    assert.deepEqual(wrongs.slice(0, 20), [], `${wrongs.length} wrong answers`);
    assert.ok((statuses.get(401) ?? 0) > 1000 && (statuses.get(200) ?? 0) > 30 && (statuses.get(416) ?? 0) > 10, JSON.stringify([...statuses]));
    // The system grant never hands out the credential; nothing logged the password.
    assert.ok(!logs.some((l) => l.includes(PASSWORD)));
    console.log(`HTTP fuzz: 10000 requests ${JSON.stringify(Object.fromEntries(statuses))}, slowest ${slowest.toFixed(0)} ms`);
  });

  test('afterwards: memory bounded, and a valid agent still gets its job, credential, file and result through', async () => {
    sample();
    const grown = (rssPeak - rssBefore) / 2 ** 20;
    assert.ok(grown < 384, `memory grew ${grown.toFixed(0)} MiB`);
    const grant = issue('admin');
    const get = (p: string, method = 'GET', body?: string) =>
      new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port: server.port, path: p, method, rejectUnauthorized: false, agent: false, headers: { authorization: `Bearer ${grant.token}` } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const job = await get('/v1/job');
    assert.equal(job.status, 200);
    assert.equal((JSON.parse(job.body.toString()) as { runId: string }).runId, 'fuzz');
    const credential = await get('/v1/credential');
    assert.equal(credential.status, 200);
    assert.equal((JSON.parse(credential.body.toString()) as { password: string }).password, PASSWORD);
    const file = await get('/v1/files/package.msi');
    assert.equal(crypto.createHash('sha256').update(file.body).digest('hex'), msiSha);
    const result = await get('/v1/result', 'POST', JSON.stringify({ exitCode: 0, log: 'ok' }));
    assert.equal(result.status, 200);
    assert.ok(events.some((e) => e.kind === 'result' && e.exitCode === 0));
    console.log(`package server fuzz: RSS +${grown.toFixed(0)} MiB over the campaigns`);
  });
});
