// A console's connection to a Push Install Server (main/app/serverLink.ts) with a stand-in server:
// every channel of the contract is forwarded as it was asked (remoteHandlers); a first contact is
// two steps, the first of which sends nothing but the handshake and keeps nothing; the pin is kept
// in known-servers.json (knownServers.ts) and a different certificate refused; the server's events
// reach the windows' bus and the engine's do not while connected; a lost connection reconnects
// after 1, 2, 4 … 30 s with the password held in memory, then asks the windows to re-read their
// lists; a refusal that waiting does not cure stops the attempts; Disconnect returns to local.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createApi } from '../../main/ipc/apiClient.js';
import { channelNames, type ChannelName, type Envelope, type EventName, type IpcError } from '../../main/ipc/contract.js';
import { ConsoleError } from '../../main/ipc/errors.js';
import { createEventBus } from '../../main/ipc/eventBus.js';
import type { Handlers } from '../../main/ipc/router.js';
import type { ServerConnection, ServerSession } from '../../main/serverMode/serverClient.js';
import { createServerLink, reconnectDelayMs, remoteHandlers, type ServerClient } from '../../main/app/serverLink.js';
import { KnownServers, KNOWN_SERVERS_FILE, serverKey } from '../../main/app/knownServers.js';
import { createConsoleServices } from '../../main/app/services.js';
import { tempDirFor } from '../support/tempDir.js';

const FP_A = 'ab'.repeat(32);
const FP_B = 'cd'.repeat(32);
const URL_A = 'https://push.example.test:8443';
const PASSWORD = 'Link-password-7c1e';

/** A stand-in server: answers each channel with what `answer` gives, records the calls, sends events, can drop the connection. */
class FakeServer implements ServerClient {
  calls: { channel: ChannelName; request: unknown }[] = [];
  signIns: { url: string; fingerprint: string; user: string; password: string }[] = [];
  probes: string[] = [];
  fingerprint = FP_A;
  /** What the next sign-ins throw, in order (then they succeed). */
  refusals: ConsoleError[] = [];
  private listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  private drop: (() => void) | null = null;
  answer: (channel: ChannelName, request: unknown) => unknown = (channel) => (channel === 'computers.list' ? [] : {});

  probe(url: string): Promise<string> {
    this.probes.push(url);
    return Promise.resolve(this.fingerprint);
  }
  signIn(url: string, fingerprint: string, user: string, password: string): Promise<ServerSession> {
    this.signIns.push({ url, fingerprint, user, password });
    const refusal = this.refusals.shift();
    if (refusal) return Promise.reject(refusal);
    if (fingerprint !== this.fingerprint) return Promise.reject(new ConsoleError('server-certificate-changed', 'changed'));
    return Promise.resolve({ url, token: 't', user, role: 'administrator', fingerprint, agent: null as never });
  }
  connect(session: ServerSession): Promise<ServerConnection> {
    let close!: () => void;
    const closed = new Promise<void>((resolve) => (close = resolve));
    this.drop = close;
    this.listeners = new Map();
    const api = createApi({
      invoke: async (channel, request): Promise<Envelope<unknown>> => {
        this.calls.push({ channel, request });
        try {
          return { ok: true, result: await this.answer(channel, request) };
        } catch (error) {
          return { ok: false, error: (error as ConsoleError).toIpcError() };
        }
      },
      subscribe: (event, listener) => {
        const set = this.listeners.get(event) ?? new Set();
        set.add(listener);
        this.listeners.set(event, set);
        return () => set.delete(listener);
      },
    });
    return Promise.resolve({ api, session, closed, close, caughtUp: null, lastEventId: () => 0 } as unknown as ServerConnection);
  }
  emit(event: EventName, payload: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(payload);
  }
  lose(): void {
    this.drop?.();
  }
}

function localHandlers(calls: string[]): Handlers {
  return Object.fromEntries(channelNames.map((c) => [c, (request: unknown) => (calls.push(c), c === 'computers.list' ? [{ local: true, request }] : { local: true })])) as unknown as Handlers;
}

const until = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

function setup(t: { after(fn: () => void | Promise<void>): void }, delays: number[] = []) {
  const dir = tempDirFor(t, 'pic-link-');
  const server = new FakeServer();
  const windows = createEventBus();
  const seen: { event: EventName; payload: unknown }[] = [];
  windows.subscribe((event, payload) => seen.push({ event, payload }));
  const local: string[] = [];
  const link = createServerLink({
    dataDir: dir,
    shell: 'electron',
    local: localHandlers(local),
    windows,
    client: server,
    reconnectDelayMs: (attempt) => (delays.push(reconnectDelayMs(attempt)), 5),
  });
  t.after(() => link.close());
  return { dir, server, windows, seen, local, link };
}

const connectAdmin = async (link: ReturnType<typeof createServerLink>, fingerprint?: string) =>
  await link.handlers['server.connect']({ url: URL_A, user: 'admin', password: PASSWORD, ...(fingerprint ? { fingerprint } : {}) });

test('remoteHandlers: one handler for every channel of the contract, each forwarding its channel and request unchanged', async () => {
  const forwarded: [string, unknown][] = [];
  const handlers = remoteHandlers((channel, request) => (forwarded.push([channel, request]), Promise.resolve(`answer ${channel}`)));
  assert.deepEqual(Object.keys(handlers).sort(), [...channelNames].sort());
  for (const channel of channelNames) {
    const request = { probe: channel };
    assert.equal(await (handlers[channel] as (r: unknown) => Promise<unknown>)(request), `answer ${channel}`);
  }
  assert.deepEqual(forwarded.map(([c]) => c), channelNames);
  assert.ok(forwarded.every(([c, r]) => (r as { probe: string }).probe === c));
});

test('reconnect delays are 1, 2, 4, 8, 16 s, then 30 s each', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 20].map(reconnectDelayMs), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

test('a first contact is two steps: the fingerprint shown, nothing sent or kept; confirmed, it signs in, pins, forwards every channel and re-emits the server\'s events', async (t) => {
  const { dir, server, seen, local, link } = setup(t);
  const first = await connectAdmin(link);
  assert.deepEqual(first, { needsConfirmation: true, url: URL_A, fingerprint: FP_A });
  assert.equal(server.signIns.length, 0, 'the password is not sent before the fingerprint is confirmed');
  assert.equal(fs.existsSync(path.join(dir, KNOWN_SERVERS_FILE)), false, 'nothing is pinned yet');
  assert.equal(link.status().state, 'local');
  assert.equal(((await link.handlers['computers.list']({})) as unknown[]).length, 1, 'still local');

  const second = await connectAdmin(link, FP_A.replace(/(..)(?!$)/g, '$1:').toUpperCase());
  assert.deepEqual(second, { needsConfirmation: false, url: URL_A, user: 'admin', role: 'administrator', fingerprint: FP_A, firstContact: true });
  assert.deepEqual(server.signIns, [{ url: URL_A, fingerprint: FP_A, user: 'admin', password: PASSWORD }]);
  const pinned = fs.readFileSync(path.join(dir, KNOWN_SERVERS_FILE), 'utf8');
  assert.equal(new KnownServers(dir).get(URL_A)?.fingerprint, FP_A);
  assert.ok(!pinned.includes(PASSWORD), 'the password is never written');
  assert.deepEqual(link.status(), { state: 'connected', url: URL_A, user: 'admin', role: 'administrator', fingerprint: FP_A, lastError: null, attempts: 0, nextAttemptAt: null });
  assert.deepEqual(seen.filter((e) => e.event === 'data.reload').map((e) => e.payload), [{ reason: 'connected' }]);
  assert.equal(seen.filter((e) => e.event === 'server.status').length, 1);

  local.length = 0;
  server.answer = (channel, request) =>
    channel === 'app.info'
      ? { productName: 'P', version: '1', shell: 'browser', dataDir: '/srv', databaseSchemaVersion: 9, server: { url: 'https://other', user: 'admin', role: 'operator', fingerprint: '' } }
      : { channel, request };
  assert.deepEqual(await link.handlers['computers.add']({ entries: ['PC-1'] }), { channel: 'computers.add', request: { entries: ['PC-1'] } });
  assert.deepEqual(await link.handlers['audit.list']({ limit: 5 }), { channel: 'audit.list', request: { limit: 5 } });
  const info = await link.handlers['app.info']({});
  assert.deepEqual([info.shell, info.server], ['electron', { url: URL_A, user: 'admin', role: 'operator', fingerprint: FP_A }], 'the address pinned, the role the server says now');
  assert.deepEqual(local, [], 'nothing answered locally while connected');
  assert.deepEqual((await link.handlers['server.status']({})).state, 'connected', 'server.* are the console\'s own');
  assert.ok(!server.calls.some((c) => c.channel.startsWith('server.')));

  // A server's error arrives as its class.
  server.answer = () => {
    throw new ConsoleError('forbidden', 'viewer may not');
  };
  await assert.rejects(Promise.resolve(link.handlers['computers.remove']({ ids: [1] })), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'forbidden');

  // The server's events reach the windows; its menu commands do not.
  server.emit('log.line', { at: '2025-01-01T00:00:00.000Z', level: 'info', message: 'from the server' });
  server.emit('menu.command', { command: 'properties' });
  assert.ok(seen.some((e) => e.event === 'log.line' && (e.payload as { message: string }).message === 'from the server'));
  assert.ok(!seen.some((e) => e.event === 'menu.command'));
});

test('a known server signs in at once (firstContact false); a certificate or a confirmation other than the pin is refused (server-certificate-changed) before anything is sent', async (t) => {
  const { dir, server, link } = setup(t);
  new KnownServers(dir).pin(URL_A, FP_A);
  const again = await connectAdmin(link);
  assert.equal(again.needsConfirmation, false);
  assert.equal(again.needsConfirmation === false && again.firstContact, false);
  assert.equal(server.probes.length, 0);
  await link.handlers['server.disconnect']({});

  server.fingerprint = FP_B;
  await assert.rejects(connectAdmin(link), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'server-certificate-changed');
  const signIns = server.signIns.length;
  await assert.rejects(connectAdmin(link, FP_B), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'server-certificate-changed' && e.message.includes(FP_A) && e.advice.includes(KNOWN_SERVERS_FILE));
  assert.equal(server.signIns.length, signIns, 'a confirmation other than the pin is refused without contacting the server');
  assert.equal(new KnownServers(dir).get(URL_A)?.fingerprint, FP_A, 'the pin is unchanged');
  assert.equal(link.status().state, 'local');
});

test('a lost connection reconnects with backoff using the password held in memory, then asks the windows to re-read; calls meanwhile fail clearly', async (t) => {
  const delays: number[] = [];
  const { server, seen, link } = setup(t, delays);
  await connectAdmin(link);
  await connectAdmin(link, FP_A);
  server.refusals = [new ConsoleError('server-unreachable', 'down'), new ConsoleError('server-unreachable', 'still down')];
  server.lose();
  await until(() => link.status().state === 'reconnecting');
  await assert.rejects(Promise.resolve(link.handlers['tasks.list']({})), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'server-unreachable' && /reconnecting/.test(e.message));
  await until(() => link.status().state === 'connected');
  assert.deepEqual(delays, [1000, 2000, 4000], 'three attempts, after 1, 2 and 4 s (shortened here)');
  assert.equal(server.signIns.length, 4);
  assert.ok(server.signIns.every((s) => s.password === PASSWORD && s.fingerprint === FP_A));
  assert.deepEqual(seen.filter((e) => e.event === 'data.reload').map((e) => e.payload), [{ reason: 'connected' }, { reason: 'reconnected' }]);
  const states = seen.filter((e) => e.event === 'server.status').map((e) => (e.payload as { state: string }).state);
  assert.deepEqual(states, ['connected', 'reconnecting', 'reconnecting', 'reconnecting', 'connected']);
  assert.deepEqual(await link.handlers['tasks.list']({}), {});
});

test('a refusal that waiting does not cure (the password changed) stops the attempts: failed, with the reason; Disconnect returns to the local store', async (t) => {
  const { server, seen, local, link } = setup(t);
  await connectAdmin(link);
  await connectAdmin(link, FP_A);
  server.refusals = [new ConsoleError('logon-failed', 'The account name or password is wrong.')];
  server.lose();
  await until(() => link.status().state === 'failed');
  const status = link.status();
  assert.equal((status.lastError as IpcError).class, 'logon-failed');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(server.signIns.length, 2, 'no more attempts');
  await assert.rejects(Promise.resolve(link.handlers['computers.list']({})), (e: unknown) => e instanceof ConsoleError && /password is wrong/.test(e.message));

  const after = await link.handlers['server.disconnect']({});
  assert.equal(after.state, 'local');
  assert.equal(after.user, null);
  local.length = 0;
  await link.handlers['computers.list']({});
  assert.deepEqual(local, ['computers.list']);
  assert.deepEqual(seen.filter((e) => e.event === 'data.reload').map((e) => (e.payload as { reason: string }).reason), ['connected', 'disconnected']);
});

test('the services\' windows see the engine\'s events while local and the server\'s while connected; the engine\'s store is untouched', async (t) => {
  const dir = tempDirFor(t, 'pic-link-services-');
  const server = new FakeServer();
  const services = createConsoleServices({ dataDir: dir, shell: 'browser', serverLink: { client: server } });
  t.after(() => services.close());
  const lines: string[] = [];
  services.events.subscribe((event, payload) => event === 'log.line' && lines.push((payload as { message: string }).message));
  const router = services.router(() => true);
  const call = (channel: ChannelName, request: unknown) => router.dispatch(channel, request, { shell: 'browser', url: 'test' });
  assert.equal(((await call('computers.add', { entries: ['LOCAL-PC'] })) as { ok: boolean }).ok, true);
  assert.equal(((await call('app.info', {})) as { result: { server: unknown } }).result.server, null, 'locally, no server');
  assert.deepEqual(await call('audit.list', { limit: 10 }).then((e) => !e.ok && e.error.class), 'needs-server');
  services.engineEvents.emit('log.line', { at: new Date().toISOString(), level: 'info', message: 'engine while local' });

  await call('server.connect', { url: URL_A, user: 'admin', password: PASSWORD });
  const connected = await call('server.connect', { url: URL_A, user: 'admin', password: PASSWORD, fingerprint: FP_A });
  assert.ok(connected.ok, JSON.stringify(connected));
  services.engineEvents.emit('log.line', { at: new Date().toISOString(), level: 'info', message: 'engine while connected' });
  server.emit('log.line', { at: new Date().toISOString(), level: 'info', message: 'server while connected' });
  const listed = await call('computers.list', {});
  assert.deepEqual(listed, { ok: true, result: [] }, 'the server\'s (empty) list, not the local one');

  await call('server.disconnect', {});
  const back = await call('computers.list', {});
  assert.deepEqual(back.ok && (back.result as { name: string }[]).map((c) => c.name), ['LOCAL-PC']);
  assert.ok(lines.includes('engine while local') && lines.includes('server while connected'));
  assert.ok(!lines.includes('engine while connected'));
});

test('known-servers.json: keyed by origin with the port said, pins kept 0600 without secrets, a damaged file refused rather than read as empty', (t) => {
  const dir = tempDirFor(t, 'pic-known-');
  assert.equal(serverKey('https://Push.Example.TEST:8443/'), 'https://push.example.test:8443');
  assert.equal(serverKey('https://push.example.test'), 'https://push.example.test:443');
  assert.throws(() => serverKey('http://push.example.test'), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'invalid-request');
  const known = new KnownServers(dir, () => new Date('2025-05-01T00:00:00.000Z'));
  assert.equal(known.get(URL_A), null);
  known.pin('https://PUSH.example.test:8443', FP_A.replace(/(..)(?!$)/g, '$1:'));
  known.pin('https://127.0.4.1:9443', FP_B);
  assert.deepEqual(known.get(URL_A), { fingerprint: FP_A, pinnedAt: '2025-05-01T00:00:00.000Z' });
  assert.deepEqual(Object.keys(new KnownServers(dir).list()).sort(), ['https://127.0.4.1:9443', 'https://push.example.test:8443']);
  if (process.platform !== 'win32') assert.equal(fs.statSync(known.file).mode & 0o777, 0o600);
  assert.throws(() => known.pin(URL_A, 'not-a-fingerprint'), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'invalid-request');

  fs.writeFileSync(known.file, '{"version":1,"servers":{"https://x:1":{"fingerprint":"zz"}}}');
  assert.throws(() => known.get(URL_A), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'file' && /damaged/.test(e.message));
  fs.writeFileSync(known.file, 'not json');
  assert.throws(() => known.get(URL_A), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'file');
});
