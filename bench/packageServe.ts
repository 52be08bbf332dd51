// Benchmark (not a test): N agents pull one package at once from the package server, against a
// bare TLS server that pipes the same file to each socket (fs stream → socket), in one run.
// Prints aggregate throughput, the ratio, and peak RSS of this process (server and clients).
//   npx tsx bench/packageServe.ts [--agents 20] [--mb 500]
import fs from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import { loadOrCreateCertificate } from '../main/server/certificate.js';
import { GrantStore } from '../main/server/grants.js';
import { startPackageServer } from '../main/server/packageServer.js';
import { writeRandomFile } from '../test/support/payload.js';

const { values } = parseArgs({ options: { agents: { type: 'string', default: '20' }, mb: { type: 'string', default: '500' } } });
const agents = Number(values.agents);
const size = Number(values.mb) * 1024 * 1024;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-bench-serve-'));
const file = path.join(dir, 'p.msi');
writeRandomFile(file, size);
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const mibps = (ms: number) => (agents * size) / 1024 / 1024 / (ms / 1000);

function drain(stream: NodeJS.ReadableStream): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    stream.on('data', (c: Buffer) => (bytes += c.length));
    stream.on('end', () => resolve(bytes));
    stream.on('error', reject);
  });
}

try {
  const cert = await loadOrCreateCertificate(dir);
  // Baseline: TLS, then the file straight onto the socket — no HTTP, no tokens, no Range.
  const bare = tls.createServer({ key: cert.key, cert: cert.cert }, (socket) => fs.createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(socket));
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const barePort = (bare.address() as net.AddressInfo).port;
  let t = Date.now();
  const bareBytes = await Promise.all(Array.from({ length: agents }, () => drain(tls.connect({ host: '127.0.0.1', port: barePort, rejectUnauthorized: false }))));
  const bareMs = Date.now() - t;
  bare.close();
  if (bareBytes.some((b) => b !== size)) throw new Error('baseline copy incomplete');
  const bareRss = peak;

  const grants = new GrantStore();
  const server = await startPackageServer({ certificate: cert, grants, port: 0, host: '127.0.0.1', credentialFor: async () => null, maxConnectionsPerAddress: agents + 1 });
  peak = 0;
  t = Date.now();
  const ours = await Promise.all(
    Array.from({ length: agents }, (_, i) => {
      const grant = grants.issue({ targetId: i + 1, runId: 'bench', runAs: 'system', parameters: '', ttlMs: 3_600_000, files: [{ name: 'p.msi', path: file, size, sha256: '', role: 'msi' }] });
      return new Promise<number>((resolve, reject) => {
        https.get({ host: '127.0.0.1', port: server.port, path: '/v1/files/p.msi', rejectUnauthorized: false, agent: false, headers: { authorization: `Bearer ${grant.token}` } }, (res) => drain(res).then(resolve, reject)).on('error', reject);
      });
    }),
  );
  const oursMs = Date.now() - t;
  await server.close();
  if (ours.some((b) => b !== size)) throw new Error('package server copy incomplete');
  console.log(`${agents} agents x ${values.mb} MiB over TLS on loopback`);
  console.log(`bare fs->TLS socket: ${mibps(bareMs).toFixed(0)} MiB/s, peak RSS ${(bareRss / 1048576).toFixed(0)} MiB`);
  console.log(`package server:      ${mibps(oursMs).toFixed(0)} MiB/s, peak RSS ${(peak / 1048576).toFixed(0)} MiB`);
  console.log(`ratio ${(mibps(oursMs) / mibps(bareMs)).toFixed(2)}x`);
} finally {
  clearInterval(sampler);
  fs.rmSync(dir, { recursive: true, force: true });
}
