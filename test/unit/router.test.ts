// createRouter and the sender policies: every request is judged (sender, channel, payload)
// before a handler runs, and every result is parsed so only declared fields leave main.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createConsoleServices, type ConsoleServices } from '../../main/app/services.js';
import type { Computer, Envelope, IpcError } from '../../main/ipc/contract.js';
import { ConsoleError } from '../../main/ipc/errors.js';
import { createRouter, fileSenderPolicy, originSenderPolicy, type Handlers, type Sender } from '../../main/ipc/router.js';
import { countingHandlers } from '../support/countingHandlers.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';

function expectError(envelope: Envelope<unknown>): IpcError {
  if (envelope.ok) assert.fail(`expected a refusal, got ok with ${JSON.stringify(envelope.result)}`);
  return envelope.error;
}

function expectResult(envelope: Envelope<unknown>): unknown {
  if (!envelope.ok) assert.fail(`expected ok, got ${JSON.stringify(envelope.error)}`);
  return envelope.result;
}

describe('createRouter over the real console services', () => {
  let dir = '';
  let services: ConsoleServices;
  let indexUrl = '';
  let trusted: Sender;

  before(() => {
    dir = makeTempDir('pic-router-');
    services = createConsoleServices({ dataDir: path.join(dir, 'data'), shell: 'electron' });
    indexUrl = pathToFileURL(path.join(dir, 'renderer', 'index.html')).href;
    trusted = { shell: 'electron', url: indexUrl };
  });
  after(() => {
    services?.close();
    removeDir(dir);
  });

  test('a valid request from a trusted sender reaches the handler and returns {ok:true,result}', async () => {
    const counted = countingHandlers(services.handlers);
    const router = createRouter(counted.handlers, fileSenderPolicy(indexUrl));
    const added = await router.dispatch('computers.add', { entries: ['router-pc01', '10.1.2.3'], groupName: 'Lab' }, trusted);
    const result = expectResult(added) as { added: Computer[]; duplicates: string[]; invalid: unknown[] };
    assert.deepEqual(result.added.map((c) => c.name).sort(), ['10.1.2.3', 'ROUTER-PC01']);
    assert.ok(result.added.every((c) => c.groupName === 'Lab'));
    assert.equal(counted.count('computers.add'), 1);
    assert.deepEqual(counted.requests('computers.add'), [{ entries: ['router-pc01', '10.1.2.3'], groupName: 'Lab' }]);

    const listed = expectResult(await router.dispatch('computers.list', {}, trusted)) as Computer[];
    assert.ok(listed.some((c) => c.name === 'ROUTER-PC01' && c.address === null));
    assert.ok(listed.some((c) => c.name === '10.1.2.3' && c.address === '10.1.2.3'));
    assert.equal(counted.count('computers.list'), 1);
  });

  test('an error that echoes a password the console has seen crosses IPC redacted (message and advice)', async () => {
    const password = `Echo-${process.pid}-Pa55!`;
    // Setting credentials registers the password with the process's redaction list.
    await services.handlers['credentials.set']({ user: 'CORP\\echo', password, remember: false });
    const leaky: Handlers = {
      ...services.handlers,
      'computers.list': () => {
        throw new Error(`library said: bad logon for CORP\\echo with ${password} (${Buffer.from(password).toString('base64')})`);
      },
      'computers.remove': () => {
        throw new ConsoleError('credentials-storage', 'refused', `retry with password=${password}`);
      },
    };
    const router = createRouter(leaky, fileSenderPolicy(indexUrl));
    const internal = expectError(await router.dispatch('computers.list', {}, trusted));
    assert.equal(internal.class, 'internal');
    assert.match(internal.message, /bad logon for CORP\\echo with \[redacted\] \(\[redacted\]\)/);
    const advised = expectError(await router.dispatch('computers.remove', { ids: [1] }, trusted));
    assert.ok(!JSON.stringify([internal, advised]).includes(password), JSON.stringify(advised));
    assert.ok(!JSON.stringify(advised).includes(Buffer.from(password).toString('base64')));
  });

  test('router refuses a request from an untrusted sender with ipc-sender and the handler never runs', async () => {
    const counted = countingHandlers(services.handlers);
    const router = createRouter(counted.handlers, fileSenderPolicy(indexUrl));
    const senders: Sender[] = [
      { shell: 'electron', url: 'https://evil.example/index.html' },
      { shell: 'electron', url: pathToFileURL(path.join(dir, 'renderer', 'other.html')).href },
      { shell: 'browser', url: indexUrl },
      { shell: 'electron', url: '' },
    ];
    for (const sender of senders) {
      const error = expectError(await router.dispatch('computers.add', { entries: ['untrusted-pc'] }, sender));
      assert.equal(error.class, 'ipc-sender', `sender ${JSON.stringify(sender)}`);
      assert.ok(error.advice.length > 0);
    }
    // Even a request for an unknown channel is judged by its sender first.
    assert.equal(expectError(await router.dispatch('no.such.channel', {}, senders[0]!)).class, 'ipc-sender');
    assert.equal(counted.total(), 0);
    assert.ok(!services.computers.list().some((c) => c.name === 'UNTRUSTED-PC'), 'nothing was written');
  });

  test('an unknown channel (including Object prototype names) is refused with ipc-contract', async () => {
    const counted = countingHandlers(services.handlers);
    const router = createRouter(counted.handlers, fileSenderPolicy(indexUrl));
    for (const channel of ['computers.drop', 'toString', '__proto__', 'constructor', 42, null, undefined]) {
      const error = expectError(await router.dispatch(channel, {}, trusted));
      assert.equal(error.class, 'ipc-contract', `channel ${String(channel)}`);
    }
    assert.equal(counted.total(), 0);
  });

  test('a payload failing the schema (wrong type, extra key, missing field) is invalid-request and the handler is not called', async () => {
    const counted = countingHandlers(services.handlers);
    const router = createRouter(counted.handlers, fileSenderPolicy(indexUrl));
    const cases: [string, unknown][] = [
      ['computers.add', { entries: 'pc01' }],
      ['computers.add', { entries: ['pc01'], password: 'hunter2' }],
      ['computers.add', { entries: [] }],
      ['computers.add', {}],
      ['computers.remove', { ids: [0] }],
      ['computers.remove', { ids: ['1'] }],
      ['computers.list', { extra: true }],
      ['computers.list', null],
      ['settings.update', { maxConcurrentPushes: 0 }],
      ['settings.update', { notASetting: 1 }],
      ['tasks.targets', { taskId: 1.5 }],
    ];
    for (const [channel, payload] of cases) {
      const error = expectError(await router.dispatch(channel, payload, trusted));
      assert.equal(error.class, 'invalid-request', `${channel} ${JSON.stringify(payload)}`);
      assert.match(error.message, new RegExp(`^Invalid request for ${channel.replace('.', '\\.')}`));
    }
    assert.equal(counted.total(), 0);
  });

  test('a handler throwing ConsoleError keeps its class, code, message and advice', async () => {
    const thrown = new ConsoleError('access-denied', 'Access denied on ADMIN$ of PC01.', 'Check the credentials.', '0xC0000022');
    const handlers: Handlers = {
      ...services.handlers,
      'packages.list': () => {
        throw thrown;
      },
    };
    const router = createRouter(handlers, fileSenderPolicy(indexUrl));
    const error = expectError(await router.dispatch('packages.list', {}, trusted));
    assert.deepEqual(error, {
      class: 'access-denied',
      code: '0xC0000022',
      message: 'Access denied on ADMIN$ of PC01.',
      advice: 'Check the credentials.',
    });

    // The real handler's own ConsoleError too: nothing valid among the entries.
    const real = expectError(await router.dispatch('computers.add', { entries: ['300.1.1.1', '-bad-.example'] }, trusted));
    assert.equal(real.class, 'invalid-computer');
    assert.match(real.message, /300\.1\.1\.1/);
    assert.ok(real.advice.includes('NetBIOS'));
  });

  test('a handler throwing a plain Error (or rejecting) becomes class internal with its message only', async () => {
    const handlers: Handlers = {
      ...services.handlers,
      'packages.list': () => {
        throw new Error('disk exploded');
      },
      'tasks.list': async () => Promise.reject(new TypeError('async boom')),
    };
    const router = createRouter(handlers, fileSenderPolicy(indexUrl));
    const sync = expectError(await router.dispatch('packages.list', {}, trusted));
    assert.equal(sync.class, 'internal');
    assert.equal(sync.code, null);
    assert.equal(sync.message, 'disk exploded');
    assert.ok(!('stack' in sync));
    const async = expectError(await router.dispatch('tasks.list', {}, trusted));
    assert.equal(async.class, 'internal');
    assert.equal(async.message, 'async boom');
  });

  test('a result with an undeclared field (a password on a computer) is stripped before it leaves main', async () => {
    const leaky = {
      id: 7,
      name: 'PC07',
      address: null,
      domain: 'CORP',
      os: null,
      groupName: null,
      port: null,
      lastResult: null,
      createdAt: '2025-01-01T00:00:00.000Z',
      siteId: null,
      siteName: null,
      sitePinned: false,
      password: 'hunter2',
      secretRef: 'keychain:pc07',
    };
    const handlers: Handlers = { ...services.handlers, 'computers.list': () => [leaky] };
    const router = createRouter(handlers, fileSenderPolicy(indexUrl));
    const result = expectResult(await router.dispatch('computers.list', {}, trusted)) as Record<string, unknown>[];
    assert.equal(result.length, 1);
    const computer = result[0]!;
    assert.equal(computer.name, 'PC07');
    assert.equal(computer.domain, 'CORP');
    assert.ok(!('password' in computer), 'password must not leave main');
    assert.ok(!('secretRef' in computer), 'secretRef must not leave main');
    assert.ok(!JSON.stringify(result).includes('hunter2'));
  });

  test('a handler result that breaks the contract is refused as internal, not passed through', async () => {
    const handlers: Handlers = {
      ...services.handlers,
      'computers.list': () => [{ id: -1, name: 'PC' }] as unknown as Computer[],
    };
    const router = createRouter(handlers, fileSenderPolicy(indexUrl));
    assert.equal(expectError(await router.dispatch('computers.list', {}, trusted)).class, 'internal');
  });
});

describe('fileSenderPolicy', () => {
  const indexFile = path.resolve('/opt/push-install-console/dist/renderer/index.html');
  const indexUrl = pathToFileURL(indexFile).href;
  const policy = fileSenderPolicy(indexUrl);

  test("fileSenderPolicy accepts the renderer's own file URL, also with a hash or a query", () => {
    assert.equal(policy({ shell: 'electron', url: indexUrl }), true);
    assert.equal(policy({ shell: 'electron', url: indexUrl + '#/computers' }), true);
    assert.equal(policy({ shell: 'electron', url: indexUrl + '?tab=history#x' }), true);
  });

  test('fileSenderPolicy rejects another file, an http URL with the same path, a browser-shell sender and garbage', () => {
    assert.equal(policy({ shell: 'electron', url: pathToFileURL(path.join(path.dirname(indexFile), 'evil.html')).href }), false);
    assert.equal(policy({ shell: 'electron', url: pathToFileURL('/tmp/index.html').href }), false);
    assert.equal(policy({ shell: 'electron', url: 'http://127.0.0.1' + new URL(indexUrl).pathname }), false);
    assert.equal(policy({ shell: 'electron', url: 'https://evil.example' + new URL(indexUrl).pathname }), false);
    assert.equal(policy({ shell: 'browser', url: indexUrl }), false);
    assert.equal(policy({ shell: 'electron', url: 'not a url' }), false);
    assert.equal(policy({ shell: 'electron', url: '' }), false);
  });

  test(
    'fileSenderPolicy rejects the same path on another host (file://server/… is a UNC share on Windows)',
    () => {
      const pathname = new URL(indexUrl).pathname;
      assert.equal(policy({ shell: 'electron', url: `file://evil-server${pathname}` }), false);
    },
  );
});

describe('originSenderPolicy', () => {
  const origin = 'http://127.0.0.1:47123';
  const policy = originSenderPolicy(origin);

  test('originSenderPolicy accepts the exact origin from the browser shell only', () => {
    assert.equal(policy({ shell: 'browser', url: origin }), true);
    for (const url of [
      origin + '/',
      'http://127.0.0.1:47124',
      'http://localhost:47123',
      'https://127.0.0.1:47123',
      'http://evil.example',
      '',
    ]) {
      assert.equal(policy({ shell: 'browser', url }), false, url);
    }
    assert.equal(policy({ shell: 'electron', url: origin }), false, 'an electron sender with the same URL');
  });
});
