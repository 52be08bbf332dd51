// 50 agents (Node TLS clients, each from its own 127.0.1.x address) pull a 200 MB package from
// the package server at once: every copy must hash right, and the server's memory stays flat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateCertificate } from '../../main/server/certificate.js';
import { GrantStore } from '../../main/server/grants.js';
import { startPackageServer } from '../../main/server/packageServer.js';
import { writeRandomFile } from '../support/payload.js';

test('50 agents download a 200 MB package at once; every copy is whole and memory stays flat', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-pkgload-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const size = 200 * 1024 * 1024;
  const file = path.join(dir, 'big.msi');
  const sha = writeRandomFile(file, size);
  const grants = new GrantStore();
  const server = await startPackageServer({ certificate: await loadOrCreateCertificate(dir), grants, port: 0, host: '127.0.0.1', credentialFor: async () => null });
  t.after(() => server.close());
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  t.after(() => clearInterval(sampler));
  const results = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const grant = grants.issue({ targetId: i + 1, runId: 'load', runAs: 'system', parameters: '', ttlMs: 600_000, files: [{ name: 'p.msi', path: file, size, sha256: sha, role: 'msi' }] });
      return new Promise<{ status: number; sha: string; bytes: number }>((resolve, reject) => {
        const req = https.get({ host: '127.0.0.1', port: server.port, path: '/v1/files/p.msi', rejectUnauthorized: false, agent: false, localAddress: `127.0.1.${i + 1}`, headers: { authorization: `Bearer ${grant.token}` } }, (res) => {
          const h = crypto.createHash('sha256');
          let bytes = 0;
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            h.update(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, sha: h.digest('hex'), bytes }));
          res.on('error', reject);
        });
        req.on('error', reject);
      });
    }),
  );
  clearInterval(sampler);
  for (const r of results) {
    assert.equal(r.status, 200);
    assert.equal(r.bytes, size);
    assert.equal(r.sha, sha);
  }
  const growthMb = (peak - baseline) / 1024 / 1024;
  console.log(`50 x 200 MiB served; peak RSS growth ${growthMb.toFixed(0)} MiB (10,000 MiB sent)`);
  assert.ok(growthMb < 300, `RSS grew by ${growthMb.toFixed(0)} MiB`);
});
