// The preload's window API over a fake ipcRenderer, and the whole loop (api → transport →
// router → real services) in memory.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createConsoleServices } from '../../main/app/services.js';
import { createApi, type ApiTransport } from '../../main/ipc/apiClient.js';
import { IPC_INVOKE_PREFIX, type ChannelName, type Envelope, type EventName, type EventPayloadOf } from '../../main/ipc/contract.js';
import { ConsoleError } from '../../main/ipc/errors.js';
import { fileSenderPolicy } from '../../main/ipc/router.js';
import { IPC_EVENTS_CHANNEL } from '../../main/ipc/eventBatch.js';
import { createPreloadApi, type IpcRendererLike } from '../../preload/exposedApi.js';
import { tempDirFor } from '../support/tempDir.js';

type IpcListener = (event: unknown, ...args: unknown[]) => void;

/** A stand-in for Electron's ipcRenderer that records what the API does with it. */
function fakeIpcRenderer(reply: (channel: string, request: unknown) => unknown = () => ({ ok: true, result: [] })) {
  const invokes: { channel: string; args: unknown[] }[] = [];
  const listeners = new Map<string, Set<IpcListener>>();
  const removed: { channel: string; listener: IpcListener }[] = [];
  const ipc: IpcRendererLike = {
    invoke(channel, ...args) {
      invokes.push({ channel, args });
      return Promise.resolve(reply(channel, args[0]));
    },
    on(channel, listener) {
      const set = listeners.get(channel) ?? new Set<IpcListener>();
      set.add(listener);
      listeners.set(channel, set);
      return ipc;
    },
    removeListener(channel, listener) {
      removed.push({ channel, listener });
      listeners.get(channel)?.delete(listener);
      return ipc;
    },
  };
  /** What main's webContents.send(channel, payload) would do. */
  const send = (channel: string, payload: unknown) => {
    for (const listener of listeners.get(channel) ?? []) listener({ sender: 'ipc-event' }, payload);
  };
  return { ipc, invokes, listeners, removed, send };
}

describe('createPreloadApi', () => {
  test("invoke('computers.list', {}) calls ipcRenderer.invoke with 'pic:invoke:computers.list' and resolves with the result", async () => {
    const result = [{ id: 1, name: 'PC01' }];
    const fake = fakeIpcRenderer(() => ({ ok: true, result }));
    const api = createPreloadApi(fake.ipc);
    const listed = await api.invoke('computers.list', {});
    assert.deepEqual(fake.invokes, [{ channel: 'pic:invoke:computers.list', args: [{}] }]);
    assert.equal(IPC_INVOKE_PREFIX + 'computers.list', 'pic:invoke:computers.list');
    assert.deepEqual(listed, result);

    await api.invoke('computers.add', { entries: ['pc02'], groupName: 'Lab' });
    assert.deepEqual(fake.invokes[1], { channel: 'pic:invoke:computers.add', args: [{ entries: ['pc02'], groupName: 'Lab' }] });
  });

  test('an {ok:false,error} envelope rejects with a ConsoleError carrying class, code, message and advice', async () => {
    const error = { class: 'access-denied', code: '0xC0000022', message: 'Access denied on ADMIN$.', advice: 'Check the credentials.' };
    const fake = fakeIpcRenderer(() => ({ ok: false, error }));
    const api = createPreloadApi(fake.ipc);
    await assert.rejects(api.invoke('packages.list', {}), (thrown: unknown) => {
      assert.ok(thrown instanceof ConsoleError);
      assert.equal(thrown.errorClass, 'access-denied');
      assert.equal(thrown.code, '0xC0000022');
      assert.equal(thrown.message, 'Access denied on ADMIN$.');
      assert.equal(thrown.advice, 'Check the credentials.');
      assert.deepEqual(thrown.toIpcError(), error);
      return true;
    });
    assert.equal(fake.invokes.length, 1);
  });

  test('an unknown channel rejects with ipc-contract without calling ipcRenderer.invoke', async () => {
    const fake = fakeIpcRenderer();
    const api = createPreloadApi(fake.ipc);
    for (const channel of ['shell.openExternal', 'toString', '__proto__']) {
      await assert.rejects(
        api.invoke(channel as ChannelName, {} as never),
        (thrown: unknown) => thrown instanceof ConsoleError && thrown.errorClass === 'ipc-contract',
        channel,
      );
    }
    assert.equal(fake.invokes.length, 0);
  });

  test("on listens on the one batch channel 'pic:events', hands each listener its events' payloads in order, and the last unsubscribe removes that same listener", () => {
    const fake = fakeIpcRenderer();
    const api = createPreloadApi(fake.ipc);
    const progress: unknown[] = [];
    const lines: unknown[] = [];
    const offProgress = api.on('task.progress', (payload) => progress.push(payload));
    const offLines = api.on('log.line', (payload) => lines.push(payload));
    assert.deepEqual([...fake.listeners.keys()], [IPC_EVENTS_CHANNEL]);
    assert.equal(IPC_EVENTS_CHANNEL, 'pic:events');
    const registered = [...fake.listeners.get(IPC_EVENTS_CHANNEL)!];
    assert.equal(registered.length, 1, 'one IPC listener however many subscribers');

    const p1 = { taskId: 1, targetId: 2, state: 'copying', outcome: null, progress: 10 };
    const p2 = { taskId: 1, targetId: 3, state: 'probing', outcome: null, progress: null };
    const line = { at: 'x', level: 'info', message: 'hello' };
    fake.send(IPC_EVENTS_CHANNEL, [{ event: 'task.progress', payload: p1 }, { event: 'log.line', payload: line }, { event: 'task.progress', payload: p2 }]);
    fake.send(IPC_EVENTS_CHANNEL, 'not a batch');
    assert.deepEqual(progress, [p1, p2]);
    assert.deepEqual(lines, [line]);

    offProgress();
    offProgress();
    assert.equal(fake.removed.length, 0, 'still listened to for log.line');
    fake.send(IPC_EVENTS_CHANNEL, [{ event: 'task.progress', payload: p1 }]);
    assert.equal(progress.length, 2, 'no delivery after unsubscribing');
    offLines();
    assert.equal(fake.removed.length, 1);
    assert.equal(fake.removed[0]!.channel, IPC_EVENTS_CHANNEL);
    assert.equal(fake.removed[0]!.listener, registered[0], 'the very function that was registered is removed');
  });

  test('on with an unknown event throws ipc-contract and subscribes nothing', () => {
    const fake = fakeIpcRenderer();
    const api = createPreloadApi(fake.ipc);
    assert.throws(
      () => api.on('shell.command' as EventName, () => {}),
      (thrown: unknown) => thrown instanceof ConsoleError && thrown.errorClass === 'ipc-contract',
    );
    assert.equal(fake.listeners.size, 0);
  });

  test("the exposed object's keys are exactly ['invoke','on'], both functions, and it is frozen", () => {
    const fake = fakeIpcRenderer();
    const api = createPreloadApi(fake.ipc);
    assert.deepEqual(Object.keys(api).sort(), ['invoke', 'on']);
    assert.deepEqual(Reflect.ownKeys(api).sort(), ['invoke', 'on']);
    assert.equal(typeof api.invoke, 'function');
    assert.equal(typeof api.on, 'function');
    assert.ok(Object.isFrozen(api));
    assert.throws(() => {
      (api as unknown as Record<string, unknown>).ipcRenderer = fake.ipc;
    }, TypeError);
    assert.throws(() => {
      (api as unknown as Record<string, unknown>).invoke = () => 'hijacked';
    }, TypeError);
    assert.ok(!Object.values(api).includes(fake.ipc));
  });
});

describe('createApi over an in-memory transport to the real router', () => {
  test('the full loop adds a computer, lists it, surfaces errors as ConsoleError and delivers events', async (t) => {
    const dir = tempDirFor(t, 'pic-loop-');
    const services = createConsoleServices({ dataDir: dir, shell: 'electron' });
    t.after(() => services.close());
    const indexUrl = pathToFileURL(path.join(dir, 'renderer', 'index.html')).href;
    const router = services.router(fileSenderPolicy(indexUrl));
    // Like Electron: requests and results cross by structured clone, events by subscription.
    const transport: ApiTransport = {
      invoke: async (channel, request) =>
        structuredClone(await router.dispatch(channel, structuredClone(request), { shell: 'electron', url: indexUrl })) as Envelope<unknown>,
      subscribe: (event, listener) =>
        services.events.subscribe((name, payload) => {
          if (name === event) listener(structuredClone(payload));
        }),
    };
    const api = createApi(transport);

    const lines: EventPayloadOf<'log.line'>[] = [];
    const off = api.on('log.line', (payload) => lines.push(payload));
    t.after(off);

    const added = await api.invoke('computers.add', { entries: ['loop-pc01', '10.9.8.7', 'LOOP-PC01'] });
    assert.deepEqual(added.added.map((c) => c.name).sort(), ['10.9.8.7', 'LOOP-PC01']);
    assert.deepEqual(added.duplicates, ['LOOP-PC01']);
    assert.deepEqual(added.invalid, []);

    const listed = await api.invoke('computers.list', {});
    assert.deepEqual(listed.map((c) => [c.name, c.address]), [['10.9.8.7', '10.9.8.7'], ['LOOP-PC01', null]]);
    assert.deepEqual(services.computers.list().map((c) => c.id).sort(), listed.map((c) => c.id).sort(), 'the real store holds them');

    assert.equal(lines.length, 1);
    assert.match(lines[0]!.message, /Added 2 computer/);

    await assert.rejects(
      api.invoke('computers.add', { entries: ['300.1.1.1'] }),
      (thrown: unknown) => thrown instanceof ConsoleError && thrown.errorClass === 'invalid-computer' && thrown.advice.length > 0,
    );
    await assert.rejects(
      api.invoke('computers.remove', { ids: [] }),
      (thrown: unknown) => thrown instanceof ConsoleError && thrown.errorClass === 'invalid-request',
    );
    const removed = await api.invoke('computers.remove', { ids: listed.map((c) => c.id) });
    assert.equal(removed.removed, 2);
    assert.deepEqual(await api.invoke('computers.list', {}), []);
  });
});
