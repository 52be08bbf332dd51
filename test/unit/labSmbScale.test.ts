// Scale: 200 lab SMB hosts in one process start, each answers a NEGOTIATE, and all close cleanly
// (their addresses refuse afterwards); 50 offline-silent hosts share the one silent-listener thread
// and are all classified offline at the client's bound at once. Time and memory are printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { LabHostState, type LabHostConfig, type LabProfile } from '../../main/lab/hostState.js';
import { startLabSmbHost } from '../../main/lab/smb/server.js';
import { SmbConnection } from '../../main/smb/connection.js';
import { expectClass } from '../support/expectError.js';

const PORT = 14456; // one port per test file: files may run at once

function config(i: number, profile: LabProfile, subnet: number): LabHostConfig {
  return {
    name: `LAB-PC-${String(i).padStart(3, '0')}`, address: `127.0.${subnet}.${i}`, port: PORT, domain: 'LAB', dnsDomain: 'lab.example',
    osVersion: { major: 10, minor: 0, build: 26100 }, accounts: [{ user: 'pushadmin', password: 'Secret-Pa55', domain: '' }], profile, installTimeMs: 1,
  };
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

function refused(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: address, port: PORT });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

test('200 lab SMB hosts start in one process, each answers a NEGOTIATE, and all close cleanly', async () => {
  const before = process.memoryUsage();
  let t0 = Date.now();
  const states = Array.from({ length: 200 }, (_, i) => new LabHostState(config(i + 1, 'healthy', 56)));
  const hosts = await Promise.all(states.map((s) => startLabSmbHost(s, { pipes: () => null })));
  const startMs = Date.now() - t0;
  const started = process.memoryUsage();
  t0 = Date.now();
  const dialects = await Promise.all(
    states.map(async (s) => {
      const c = await SmbConnection.connect({ host: s.config.address, port: PORT, connectTimeoutMs: 5000 });
      c.close();
      return c.dialect;
    }),
  );
  const negotiateMs = Date.now() - t0;
  assert.ok(dialects.every((d) => d === 0x0311), 'every host answered 3.1.1');
  t0 = Date.now();
  await Promise.all(hosts.map((h) => h.close()));
  const closeMs = Date.now() - t0;
  const allRefused = await Promise.all(states.map((s) => refused(s.config.address)));
  assert.ok(allRefused.every(Boolean), 'every address refuses after close: no listener left');
  assert.ok(states.every((s) => s.counters.connections === 1 && s.sessions === 0));
  console.log(
    `  200 hosts: started in ${startMs} ms (+${mib(started.rss - before.rss)} RSS, +${mib(started.heapUsed - before.heapUsed)} heap, ` +
      `${((started.rss - before.rss) / 200 / 1024).toFixed(0)} KiB RSS per host); 200 NEGOTIATEs at once in ${negotiateMs} ms; closed in ${closeMs} ms`,
  );
});

test('50 offline-silent hosts share one listener thread: all 50 connects hang to the 1 s bound together, then every address is released', async () => {
  const before = process.memoryUsage().rss;
  let t0 = Date.now();
  const states = Array.from({ length: 50 }, (_, i) => new LabHostState(config(i + 1, 'offline-silent', 57)));
  const hosts = await Promise.all(states.map((s) => startLabSmbHost(s, { pipes: () => null })));
  const startMs = Date.now() - t0;
  const rss = process.memoryUsage().rss - before;
  t0 = Date.now();
  await Promise.all(states.map((s) => expectClass(SmbConnection.connect({ host: s.config.address, port: PORT, connectTimeoutMs: 1000 }), 'offline')));
  const classifyMs = Date.now() - t0;
  assert.ok(classifyMs >= 950 && classifyMs < 2500, `classified in ${classifyMs} ms`);
  await Promise.all(hosts.map((h) => h.close()));
  const allRefused = await Promise.all(states.map((s) => refused(s.config.address)));
  assert.ok(allRefused.every(Boolean), 'every silent address refuses after close');
  console.log(`  50 offline-silent hosts: started in ${startMs} ms (+${mib(rss)} RSS incl. the listener thread); 50 connects classified offline in ${classifyMs} ms`);
});
