// The browser shell's stop signals (main/browser/stopSignals.ts) and its bridge on another loopback
// address (--host). A library's listener on a stop signal — when-exit's, which conf loads, sends
// the signal again and on Windows that is TerminateProcess — is removed so that the shell's orderly
// stop is the only one; test/windows/browserShellOnWindows.test.ts shows Ctrl+C on Windows Node.
// Address: 127.0.191.5 (the block of test/windows/browserShellOnWindows, docs/TESTING.md §6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createConsoleServices } from '../../main/app/services.js';
import { startBridgeServer } from '../../main/browser/bridgeServer.js';
import { stopSignals, takeStopSignals, type SignalTarget } from '../../main/browser/stopSignals.js';
import { MemoryVault } from '../../main/engine/credentials.js';
import { originSenderPolicy } from '../../main/ipc/router.js';
import { writeRendererFixture } from '../support/http.js';
import { tempDirFor } from '../support/tempDir.js';

test('the stop signals: SIGINT and SIGTERM; on Windows also Ctrl+Break (SIGBREAK) and the console window closed (SIGHUP)', () => {
  assert.deepEqual(stopSignals('linux'), ['SIGINT', 'SIGTERM']);
  assert.deepEqual(stopSignals('darwin'), ['SIGINT', 'SIGTERM']);
  assert.deepEqual(stopSignals('win32'), ['SIGINT', 'SIGTERM', 'SIGBREAK', 'SIGHUP']);
});

test('takeStopSignals: the listeners already on a stop signal are removed, once-listeners too; the stop is the only listener and gets the signal', () => {
  const emitter = new EventEmitter();
  const target = emitter as unknown as SignalTarget;
  const foreign: string[] = [];
  // As when-exit hooks them: process.once(signal, () => { clean up; process.kill(process.pid, signal) }).
  emitter.once('SIGINT', () => foreign.push('once SIGINT'));
  emitter.on('SIGHUP', () => foreign.push('on SIGHUP'));
  emitter.on('SIGUSR2', () => foreign.push('on SIGUSR2'));
  const stopped: string[] = [];
  const removed = takeStopSignals((signal) => stopped.push(signal), ['SIGINT', 'SIGTERM', 'SIGHUP'], target);
  assert.deepEqual(removed, [
    { signal: 'SIGINT', removed: 1 },
    { signal: 'SIGTERM', removed: 0 },
    { signal: 'SIGHUP', removed: 1 },
  ]);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGINT']) emitter.emit(signal, signal);
  assert.deepEqual(stopped, ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGINT']);
  assert.deepEqual(foreign, [], 'no foreign listener ran');
  emitter.emit('SIGUSR2', 'SIGUSR2');
  assert.deepEqual(foreign, ['on SIGUSR2'], 'other signals are left alone');
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) assert.equal(emitter.listenerCount(signal), 1);
});

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(2000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** GET / at host:port with the given Host header: "<status> <body>". */
function get(host: string, port: number, hostHeader: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path: '/', headers: { host: hostHeader, connection: 'close' }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the bridge on another loopback address: it listens there only, and its Host and URL name that address', async (t) => {
  const root = tempDirFor(t, 'pic-bridge-host-');
  const services = createConsoleServices({ dataDir: path.join(root, 'data'), shell: 'browser', createVault: (db) => new MemoryVault(db) });
  t.after(() => services.close());
  const server = await startBridgeServer({ router: (o) => services.router(originSenderPolicy(o)), events: services.events, rendererDir: writeRendererFixture(root), host: '127.0.191.5' });
  t.after(() => server.close());
  assert.equal(server.origin, `http://127.0.191.5:${server.port}`);
  assert.match(server.url, new RegExp(`^http://127\\.0\\.191\\.5:${server.port}/\\?token=`));
  assert.equal(await connects('127.0.191.5', server.port), true);
  assert.equal(await connects('127.0.0.1', server.port), false, '127.0.0.1 gets nothing');
  // Past the Host check (this address) a page load without the token is refused for that; a Host naming 127.0.0.1 is refused by the check.
  assert.equal(await get('127.0.191.5', server.port, `127.0.191.5:${server.port}`), '403 403: a token is required: open the URL the console printed');
  assert.equal(await get('127.0.191.5', server.port, `127.0.0.1:${server.port}`), `403 403: Host "127.0.0.1:${server.port}" is not this console`);
});
