// The browser shell's bridge refuses a non-loopback connection — it listens on
// 127.0.0.1 only, so the machine's other addresses (and the rest of 127/8) get nothing, not even
// a TCP handshake. (No token, wrong token, foreign Origin and a foreign Host header are
// test/unit/bridgeServer.test.ts.) Also: the per-launch token is 256 bits, new at each launch.
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createConsoleServices } from '../../main/app/services.js';
import { startBridgeServer } from '../../main/browser/bridgeServer.js';
import { MemoryVault } from '../../main/engine/credentials.js';
import { originSenderPolicy } from '../../main/ipc/router.js';
import { writeRendererFixture } from '../support/http.js';
import { tempDirFor } from '../support/tempDir.js';

function connect(host: string, port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(2000, () => { socket.destroy(); resolve('timeout'); });
    socket.once('connect', () => { socket.destroy(); resolve('connected'); });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

test('the bridge is reachable on 127.0.0.1 only: other loopback and non-loopback addresses are refused', async (t) => {
  const root = tempDirFor(t, 'pic-bridge-loopback-');
  const services = createConsoleServices({ dataDir: path.join(root, 'data'), shell: 'browser', createVault: (db) => new MemoryVault(db) });
  t.after(() => services.close());
  const start = () => startBridgeServer({ router: (o) => services.router(originSenderPolicy(o)), events: services.events, rendererDir: writeRendererFixture(root) });
  const server = await start();
  t.after(() => server.close());

  assert.equal(await connect('127.0.0.1', server.port), 'connected');
  const others = ['127.0.0.2', ...Object.values(os.networkInterfaces()).flat().filter((i) => i && !i.internal).map((i) => i!.address)];
  t.diagnostic(`tried ${others.join(', ')}`);
  assert.ok(others.length >= 1);
  for (const address of others) assert.notEqual(await connect(address, server.port), 'connected', `${address} must not reach the bridge`);

  // The token: 256 random bits (43+ base64url characters or 64 hex), different at every launch.
  const second = await start();
  t.after(() => second.close());
  assert.ok(/^[A-Za-z0-9_-]{43,}$/.test(server.token) || /^[0-9a-f]{64}$/.test(server.token), server.token.length.toString());
  assert.notEqual(second.token, server.token);
});
