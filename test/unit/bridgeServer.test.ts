// The browser shell's server: token → cookie page load, Host/Origin guards, assets, path
// traversal, and the WebSocket bridge carrying the contract to the real router.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { createConsoleServices, type ConsoleServices } from '../../main/app/services.js';
import { BRIDGE_PATH, MAX_MESSAGE_BYTES, startBridgeServer, TOKEN_COOKIE, type BridgeServer } from '../../main/browser/bridgeServer.js';
import type { ServerMessage } from '../../main/ipc/bridgeProtocol.js';
import type { Computer } from '../../main/ipc/contract.js';
import { createRouter, originSenderPolicy } from '../../main/ipc/router.js';
import { spawnTsWorker } from '../support/childProcess.js';
import { countingHandlers, type CountingHandlers } from '../support/countingHandlers.js';
import { cookieFrom, FIXTURE_APP_JS, httpGet, writeRendererFixture } from '../support/http.js';
import { makeTempDir, removeDir, tempDirFor } from '../support/tempDir.js';

const SECRET = 'SECRET-OUTSIDE-THE-RENDERER-' + Math.random().toString(36).slice(2);

describe('bridge server', { timeout: 60_000 }, () => {
  let root = '';
  let services: ConsoleServices;
  let counted: CountingHandlers;
  let server: BridgeServer;
  let cookie = '';
  const sockets = new Set<WebSocket>();

  before(async () => {
    root = makeTempDir('pic-bridge-');
    const rendererDir = writeRendererFixture(root);
    // Files next to the renderer folder that traversal must never reach.
    fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ secret: SECRET }));
    fs.writeFileSync(path.join(root, 'secret.txt'), SECRET);
    fs.mkdirSync(path.join(root, 'renderer-private'));
    fs.writeFileSync(path.join(root, 'renderer-private', 'secret.txt'), SECRET);
    services = createConsoleServices({ dataDir: path.join(root, 'data'), shell: 'browser' });
    counted = countingHandlers(services.handlers);
    server = await startBridgeServer({
      router: (origin) => createRouter(counted.handlers, originSenderPolicy(origin)),
      events: services.events,
      rendererDir,
    });
    const login = await httpGet(server.port, `/?token=${server.token}`);
    cookie = cookieFrom(login, TOKEN_COOKIE)?.pair ?? '';
  });

  afterEach(() => {
    for (const ws of sockets) ws.terminate();
    sockets.clear();
  });

  after(async () => {
    for (const ws of sockets) ws.terminate();
    await server?.close();
    services?.close();
    removeDir(root);
  });

  /** Opens a bridge socket; resolves when open, rejects with the handshake error. */
  function connect(
    options: { cookie?: string; origin?: string; host?: string; path?: string; headers?: Record<string, string> } = {},
  ): Promise<WebSocket> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.cookie) headers.cookie = options.cookie;
    if (options.host) headers.host = options.host;
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${options.path ?? BRIDGE_PATH}`, {
      headers,
      ...(options.origin !== undefined ? { origin: options.origin } : {}),
      handshakeTimeout: 5_000,
    });
    sockets.add(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }

  function nextMessage(ws: WebSocket, match: (m: ServerMessage) => boolean = () => true, timeoutMs = 5_000): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.off('message', onMessage);
        reject(new Error('no matching message within ' + timeoutMs + ' ms'));
      }, timeoutMs);
      const onMessage = (data: WebSocket.RawData) => {
        const message = JSON.parse(data.toString()) as ServerMessage;
        if (!match(message)) return;
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(message);
      };
      ws.on('message', onMessage);
    });
  }

  function closed(ws: WebSocket, timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    return new Promise((resolve, reject) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve({ code: -1, reason: 'already closed' });
      const timer = setTimeout(() => reject(new Error(`the socket was not closed within ${timeoutMs} ms`)), timeoutMs);
      ws.once('close', (code, reason) => {
        clearTimeout(timer);
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  describe('page load', () => {
    test('GET /?token=<right> answers 303 to / with an HttpOnly SameSite=Strict pic_token cookie', async () => {
      const res = await httpGet(server.port, `/?token=${encodeURIComponent(server.token)}`);
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/');
      const set = cookieFrom(res, TOKEN_COOKIE);
      assert.ok(set, 'a pic_token cookie is set');
      assert.equal(set.pair, `${TOKEN_COOKIE}=${server.token}`);
      const attributes = set.attributes.map((a) => a.toLowerCase());
      assert.ok(attributes.includes('httponly'), set.attributes.join('; '));
      assert.ok(attributes.includes('samesite=strict'), set.attributes.join('; '));
      assert.equal(res.headers['cache-control'], 'no-store');
    });

    test('GET / with the cookie serves index.html carrying the pic-bridge-token meta and a CSP', async () => {
      assert.notEqual(cookie, '');
      const res = await httpGet(server.port, '/', { cookie });
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type'] ?? '', /^text\/html/);
      assert.ok(res.body.includes(`<head><meta name="pic-bridge-token" content="${server.token}">`), res.body);
      assert.ok(res.body.includes('<div id="root"></div>'));
      assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.equal(res.headers['x-frame-options'], 'DENY');
    });

    test('GET / without token or cookie is 403 and does not leak the token', async () => {
      const res = await httpGet(server.port, '/');
      assert.equal(res.status, 403);
      assert.ok(!res.body.includes(server.token));
      assert.equal(cookieFrom(res, TOKEN_COOKIE), null);
    });

    test('GET /?token=wrong is 403 with no cookie, and so is a wrong cookie', async () => {
      const wrong = await httpGet(server.port, '/?token=wrong');
      assert.equal(wrong.status, 403);
      assert.equal(cookieFrom(wrong, TOKEN_COOKIE), null);
      // Same length as the real token, one character off: still refused.
      const nearly = server.token.slice(0, -1) + (server.token.endsWith('A') ? 'B' : 'A');
      assert.equal((await httpGet(server.port, `/?token=${nearly}`)).status, 403);
      assert.equal((await httpGet(server.port, '/', { cookie: `${TOKEN_COOKIE}=${nearly}` })).status, 403);
      assert.equal((await httpGet(server.port, '/index.html', { cookie: `${TOKEN_COOKIE}=` })).status, 403);
    });

    test('a page load with a foreign Origin is 403 even with the right token or cookie', async () => {
      const withToken = await httpGet(server.port, `/?token=${server.token}`, { origin: 'http://evil.example' });
      assert.equal(withToken.status, 403);
      assert.equal(cookieFrom(withToken, TOKEN_COOKIE), null);
      const withCookie = await httpGet(server.port, '/', { origin: 'http://evil.example', cookie });
      assert.equal(withCookie.status, 403);
      assert.ok(!withCookie.body.includes(server.token));
      // The same host on another port is another origin.
      const otherPort = await httpGet(server.port, '/', { origin: `http://127.0.0.1:${server.port + 1}`, cookie });
      assert.equal(otherPort.status, 403);
      // Control: this server's own Origin is fine.
      assert.equal((await httpGet(server.port, '/', { origin: server.origin, cookie })).status, 200);
    });

    test('a wrong Host header (DNS rebinding) is 403 even with the right token and cookie', async () => {
      for (const host of [`evil.example:${server.port}`, `localhost:${server.port}`, '127.0.0.1']) {
        const res = await httpGet(server.port, `/?token=${server.token}`, { host, cookie });
        assert.equal(res.status, 403, host);
        assert.equal(cookieFrom(res, TOKEN_COOKIE), null, host);
        assert.ok(!res.body.includes(server.token), host);
      }
    });

    test('a navigation the browser marks cross-site or same-site (Sec-Fetch-Site) is 403 even with the token or cookie', async () => {
      for (const site of ['cross-site', 'same-site']) {
        const withToken = await httpGet(server.port, `/?token=${server.token}`, { 'sec-fetch-site': site });
        assert.equal(withToken.status, 403, site);
        assert.equal(cookieFrom(withToken, TOKEN_COOKIE), null, site);
        const withCookie = await httpGet(server.port, '/', { 'sec-fetch-site': site, cookie });
        assert.equal(withCookie.status, 403, site);
        assert.ok(!withCookie.body.includes(server.token), site);
        assert.equal((await httpGet(server.port, '/assets/app.js', { 'sec-fetch-site': site, cookie })).status, 403, site);
      }
      // A typed URL ("none") and the console's own page ("same-origin") load.
      assert.equal((await httpGet(server.port, `/?token=${server.token}`, { 'sec-fetch-site': 'none' })).status, 303);
      assert.equal((await httpGet(server.port, '/', { 'sec-fetch-site': 'same-origin', cookie })).status, 200);
    });

    test('a POST is refused with 405', async () => {
      assert.equal((await httpGet(server.port, '/', { cookie }, 'POST')).status, 405);
    });
  });

  describe('assets', () => {
    test('an asset without the cookie is 403, with the cookie 200 with its content and type', async () => {
      const without = await httpGet(server.port, '/assets/app.js');
      assert.equal(without.status, 403);
      assert.ok(!without.body.includes(FIXTURE_APP_JS.trim()));
      const withCookie = await httpGet(server.port, '/assets/app.js', { cookie });
      assert.equal(withCookie.status, 200);
      assert.equal(withCookie.body, FIXTURE_APP_JS);
      assert.match(withCookie.headers['content-type'] ?? '', /^text\/javascript/);
      assert.equal((await httpGet(server.port, '/assets/missing.js', { cookie })).status, 404);
    });

    test('path traversal out of the renderer folder is 404 or 403 and never serves the file', async () => {
      const attempts = [
        '/../package.json',
        '/../../package.json',
        '/assets/../../package.json',
        '/..%2fpackage.json',
        '/..%2f..%2fsecret.txt',
        '/%2e%2e/package.json',
        '/%2e%2e%2fsecret.txt',
        '/assets/..%2f..%2fsecret.txt',
        '/..%5csecret.txt',
        '/../renderer-private/secret.txt',
        '/..%2frenderer-private%2fsecret.txt',
      ];
      for (const rawPath of attempts) {
        for (const headers of [{ cookie }, {}] as Record<string, string>[]) {
          const res = await httpGet(server.port, rawPath, headers);
          assert.ok(res.status === 404 || res.status === 403, `${rawPath}: status ${res.status}`);
          assert.ok(!res.body.includes(SECRET), `${rawPath} leaked the file`);
        }
      }
    });
  });

  describe('WebSocket bridge', () => {
    test('the full launch flow: token → cookie → page meta token → socket → invoke reaches the handler', async () => {
      const login = await httpGet(server.port, `/?token=${server.token}`);
      const pageCookie = cookieFrom(login, TOKEN_COOKIE)?.pair;
      assert.ok(pageCookie);
      const page = await httpGet(server.port, '/', { cookie: pageCookie });
      const metaToken = /<meta name="pic-bridge-token" content="([^"]+)">/.exec(page.body)?.[1];
      assert.ok(metaToken, 'the page carries the token');

      const ws = await connect({ cookie: pageCookie, origin: server.origin });
      const before = counted.count('computers.add');
      const reply = nextMessage(ws, (m) => m.type === 'result' && m.id === 1);
      ws.send(JSON.stringify({ type: 'invoke', id: 1, token: metaToken, channel: 'computers.add', payload: { entries: ['bridge-pc01'] } }));
      const message = await reply;
      assert.equal(message.type, 'result');
      if (message.type !== 'result' || !message.envelope.ok) assert.fail(JSON.stringify(message));
      const result = message.envelope.result as { added: Computer[] };
      assert.deepEqual(result.added.map((c) => c.name), ['BRIDGE-PC01']);
      assert.equal(counted.count('computers.add'), before + 1);
      assert.ok(services.computers.list().some((c) => c.name === 'BRIDGE-PC01'), 'the real store has it');
    });

    test('an upgrade carrying the token in the query instead of the cookie is accepted', async () => {
      const ws = await connect({ origin: server.origin, path: `${BRIDGE_PATH}?token=${server.token}` });
      const reply = nextMessage(ws, (m) => m.type === 'result' && m.id === 2);
      ws.send(JSON.stringify({ type: 'invoke', id: 2, token: server.token, channel: 'settings.get', payload: {} }));
      const message = await reply;
      if (message.type !== 'result' || !message.envelope.ok) assert.fail(JSON.stringify(message));
      assert.equal((message.envelope.result as { maxConcurrentPushes: number }).maxConcurrentPushes, 20);
    });

    test('an invoke message without the token gets bridge-token, the socket is closed with 1008 and the handler never runs', async () => {
      for (const token of [undefined, 'wrong-token', server.token + 'x']) {
        const ws = await connect({ cookie, origin: server.origin });
        const listBefore = counted.count('computers.list');
        const totalBefore = counted.total();
        const reply = nextMessage(ws);
        const closing = closed(ws);
        ws.send(JSON.stringify({ type: 'invoke', id: 9, ...(token === undefined ? {} : { token }), channel: 'computers.list', payload: {} }));
        const message = await reply;
        assert.equal(message.type, 'result');
        if (message.type !== 'result') assert.fail('expected a result');
        assert.equal(message.id, 9);
        assert.equal(message.envelope.ok, false);
        if (message.envelope.ok) assert.fail('expected a refusal');
        assert.equal(message.envelope.error.class, 'bridge-token');
        const { code } = await closing;
        assert.equal(code, 1008, `token ${String(token)}`);
        assert.equal(counted.count('computers.list'), listBefore);
        assert.equal(counted.total(), totalBefore);
      }
    });

    test('an upgrade with a foreign Origin is refused with 403', async () => {
      await assert.rejects(connect({ cookie, origin: 'http://evil.example' }), /403/);
      await assert.rejects(connect({ cookie, origin: `http://localhost:${server.port}` }), /403/);
    });

    test('an upgrade without an Origin header is refused with 403', async () => {
      await assert.rejects(connect({ cookie }), /403/);
    });

    test('an upgrade without the cookie, with a wrong Host, on another path or marked cross-site is refused with 403', async () => {
      await assert.rejects(connect({ origin: server.origin }), /403/);
      await assert.rejects(connect({ origin: server.origin, cookie: `${TOKEN_COOKIE}=nope` }), /403/);
      await assert.rejects(connect({ cookie, origin: server.origin, host: `evil.example:${server.port}` }), /403/);
      await assert.rejects(connect({ cookie, origin: server.origin, path: '/not-the-bridge' }), /403/);
      await assert.rejects(connect({ cookie, origin: server.origin, headers: { 'sec-fetch-site': 'cross-site' } }), /403/);
      // Control: the same request with everything right opens.
      const ws = await connect({ cookie, origin: server.origin });
      assert.equal(ws.readyState, WebSocket.OPEN);
    });

    test('a non-JSON frame, a binary frame and a non-invoke message get bridge-message errors and the socket stays usable', async () => {
      const ws = await connect({ cookie, origin: server.origin });
      const frames: (string | Buffer)[] = ['this is not json', Buffer.from([1, 2, 3]), '[1,2]', JSON.stringify({ type: 'subscribe', id: 3 })];
      for (const frame of frames) {
        const reply = nextMessage(ws);
        ws.send(frame, { binary: Buffer.isBuffer(frame) });
        const message = await reply;
        if (message.type !== 'result' || message.envelope.ok) assert.fail(JSON.stringify(message));
        assert.equal(message.envelope.error.class, 'bridge-message', String(frame));
      }
      assert.equal(ws.readyState, WebSocket.OPEN);
      const reply = nextMessage(ws, (m) => m.type === 'result' && m.id === 4);
      ws.send(JSON.stringify({ type: 'invoke', id: 4, token: server.token, channel: 'app.info', payload: {} }));
      const message = await reply;
      if (message.type !== 'result' || !message.envelope.ok) assert.fail(JSON.stringify(message));
      assert.equal((message.envelope.result as { shell: string }).shell, 'browser');
    });

    test('an invoke with the token still goes through the router: unknown channel and bad payload are refused', async () => {
      const ws = await connect({ cookie, origin: server.origin });
      const before = counted.total();
      const r1 = nextMessage(ws, (m) => m.type === 'result' && m.id === 11);
      ws.send(JSON.stringify({ type: 'invoke', id: 11, token: server.token, channel: 'shell.exec', payload: {} }));
      const m1 = await r1;
      if (m1.type !== 'result' || m1.envelope.ok) assert.fail(JSON.stringify(m1));
      assert.equal(m1.envelope.error.class, 'ipc-contract');
      const r2 = nextMessage(ws, (m) => m.type === 'result' && m.id === 12);
      ws.send(JSON.stringify({ type: 'invoke', id: 12, token: server.token, channel: 'computers.list', payload: { all: true } }));
      const m2 = await r2;
      if (m2.type !== 'result' || m2.envelope.ok) assert.fail(JSON.stringify(m2));
      assert.equal(m2.envelope.error.class, 'invalid-request');
      assert.equal(counted.total(), before);
    });

    test('a message as large as the contract allows (a paste of 50 000 computers, ~1.5 MB) goes through; one past the bridge\'s limit closes the socket with 1009', async () => {
      const ws = await connect({ cookie, origin: server.origin });
      const text = Array.from({ length: 50_000 }, (_, i) => `pc-${String(i).padStart(5, '0')}.corp.example.com`).join('\n');
      assert.ok(text.length > 1024 * 1024, `${text.length} bytes`);
      const reply = nextMessage(ws, (m) => m.type === 'result' && m.id === 21);
      ws.send(JSON.stringify({ type: 'invoke', id: 21, token: server.token, channel: 'computers.preview', payload: { text } }));
      const message = await reply;
      if (message.type !== 'result' || !message.envelope.ok) assert.fail(JSON.stringify(message).slice(0, 500));
      const preview = message.envelope.result as { lines: number; invalid: unknown[] };
      assert.deepEqual([preview.lines, preview.invalid.length], [50_000, 0]);
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.send(JSON.stringify({ type: 'invoke', id: 22, token: server.token, channel: 'computers.preview', payload: { text: 'x'.repeat(MAX_MESSAGE_BYTES) } }));
      assert.equal(await closed, 1009);
    });

    test('events emitted on the EventBus reach every connected client as {type:"event", event, payload}', async () => {
      const a = await connect({ cookie, origin: server.origin });
      const b = await connect({ cookie, origin: server.origin });
      const payload = { taskId: 3, targetId: 8, state: 'copying' as const, outcome: null, progress: 42 };
      const gotA = nextMessage(a, (m) => m.type === 'event');
      const gotB = nextMessage(b, (m) => m.type === 'event');
      services.events.emit('task.progress', payload);
      assert.deepEqual(await gotA, { type: 'event', event: 'task.progress', payload });
      assert.deepEqual(await gotB, { type: 'event', event: 'task.progress', payload });

      // A handler's own event (computers.add logs a line) arrives too.
      const line = nextMessage(a, (m) => m.type === 'event' && m.event === 'log.line');
      a.send(JSON.stringify({ type: 'invoke', id: 20, token: server.token, channel: 'computers.add', payload: { entries: ['event-pc'] } }));
      const event = await line;
      if (event.type !== 'event') assert.fail('expected an event');
      assert.match((event.payload as { message: string }).message, /Added 1 computer/);
    });

    test('a burst of 1 000 events goes out as few messages, in order, and a result never overtakes the events emitted before it', async () => {
      const ws = await connect({ cookie, origin: server.origin });
      const received: ServerMessage[] = [];
      ws.on('message', (data: WebSocket.RawData) => received.push(JSON.parse(data.toString()) as ServerMessage));
      const result = nextMessage(ws, (m) => m.type === 'result' && m.id === 31);
      for (let i = 0; i < 1000; i++) services.events.emit('task.progress', { taskId: 4, targetId: i + 1, state: 'probing', outcome: null, progress: null });
      // Asked right after the burst: its answer must come after every one of those events.
      ws.send(JSON.stringify({ type: 'invoke', id: 31, token: server.token, channel: 'computers.list', payload: {} }));
      await result;
      const resultAt = received.findIndex((m) => m.type === 'result' && m.id === 31);
      const before = received.slice(0, resultAt).flatMap((m) => (m.type === 'events' ? m.events : m.type === 'event' ? [m] : []));
      const ids = before.filter((e) => e.event === 'task.progress').map((e) => (e.payload as { targetId: number }).targetId);
      assert.deepEqual(ids, Array.from({ length: 1000 }, (_, i) => i + 1), 'all 1 000, in order, before the result');
      const messages = received.slice(0, resultAt).filter((m) => m.type === 'events' || m.type === 'event').length;
      assert.ok(messages <= 5, `${messages} messages carried 1 000 events`);
      ws.close();
    });
  });
});

describe('bridge server lifecycle', { timeout: 60_000 }, () => {
  test('startBridgeServer refuses a renderer folder without index.html', async (t) => {
    const dir = tempDirFor(t, 'pic-bridge-empty-');
    const services = createConsoleServices({ dataDir: path.join(dir, 'data'), shell: 'browser' });
    t.after(() => services.close());
    await assert.rejects(
      startBridgeServer({ router: (o) => services.router(originSenderPolicy(o)), events: services.events, rendererDir: path.join(dir, 'nothing') }),
      /renderer is not built/,
    );
  });

  test('close() ends connected sockets and stops listening', async (t) => {
    const dir = tempDirFor(t, 'pic-bridge-close-');
    const rendererDir = writeRendererFixture(dir);
    const services = createConsoleServices({ dataDir: path.join(dir, 'data'), shell: 'browser' });
    t.after(() => services.close());
    const server = await startBridgeServer({ router: (o) => services.router(originSenderPolicy(o)), events: services.events, rendererDir });
    let closedByTest = false;
    t.after(async () => {
      if (!closedByTest) await server.close();
    });
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${BRIDGE_PATH}`, {
      origin: server.origin,
      headers: { cookie: `${TOKEN_COOKIE}=${server.token}` },
    });
    t.after(() => ws.terminate());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const socketClosed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the socket was not closed by server.close()')), 5_000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    closedByTest = true;
    await server.close();
    await socketClosed;
    await assert.rejects(httpGet(server.port, '/'), /ECONNREFUSED/);
  });

  test(
    'a malformed percent-escape or NUL in an asset path is answered 4xx and the server process survives',
    async (t) => {
      const dir = tempDirFor(t, 'pic-bridge-crash-');
      const rendererDir = writeRendererFixture(dir);
      const worker = spawnTsWorker('test/support/bridgeServerChild.ts', [rendererDir]);
      t.after(() => worker.kill());
      const line = await worker.waitForLine((l) => l.startsWith('listening '), 30_000);
      const [, port, token] = line.split(' ');
      const cookieHeader = { cookie: `${TOKEN_COOKIE}=${token}` };
      for (const rawPath of ['/%E0%A4%A', '/assets/%00app.js']) {
        const res = await httpGet(Number(port), rawPath, cookieHeader).catch((error: Error) => error);
        assert.ok(!(res instanceof Error), `${rawPath}: ${res instanceof Error ? res.message : ''}`);
        assert.ok(res.status >= 400 && res.status < 500, `${rawPath}: status ${res.status}`);
        const alive = await httpGet(Number(port), '/assets/app.js', cookieHeader).catch((error: Error) => error);
        assert.ok(!(alive instanceof Error) && alive.status === 200, `server died after ${rawPath}: ${worker.stderr()}`);
      }
    },
  );
});
