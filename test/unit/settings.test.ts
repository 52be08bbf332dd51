// Remote Install settings over `conf` (config.json in the data folder), and where the data
// folder is.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DATA_DIR_ENV, resolveDataDir } from '../../main/app/dataDir.js';
import { createConsoleServices } from '../../main/app/services.js';
import { defaultSettings, SettingsSchema, type Settings } from '../../main/ipc/contract.js';
import { fileSenderPolicy } from '../../main/ipc/router.js';
import { createConfSettingsBackend, createSettingsStore, SETTINGS_FILE_NAME } from '../../main/store/settings.js';
import { tempDirFor } from '../support/tempDir.js';

const CONFIG_FILE = `${SETTINGS_FILE_NAME}.json`;

function readConfig(dir: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(dir, CONFIG_FILE), 'utf8')) as Record<string, unknown>;
}

describe('createSettingsStore over conf', () => {
  test('a fresh store returns the defaults (maxConcurrentPushes 20, packageServerPort 2224, connectTimeoutSeconds 5)', (t) => {
    const dir = tempDirFor(t, 'pic-settings-');
    const settings = createSettingsStore(createConfSettingsBackend(dir)).get();
    assert.equal(settings.maxConcurrentPushes, 20);
    assert.equal(settings.packageServerPort, 2224);
    assert.equal(settings.connectTimeoutSeconds, 5);
    assert.deepEqual(settings, defaultSettings);
    assert.deepEqual(Object.keys(settings).sort(), Object.keys(SettingsSchema.shape).sort());
  });

  test('update persists to config.json in that folder and a new store reads it back', (t) => {
    const dir = tempDirFor(t, 'pic-settings-');
    const store = createSettingsStore(createConfSettingsBackend(dir));
    const returned = store.update({ maxConcurrentPushes: 64, callbackAddress: 'console.corp.example' });
    assert.equal(returned.maxConcurrentPushes, 64);
    assert.equal(returned.packageServerPort, 2224, 'untouched keys keep their value');

    const onDisk = readConfig(dir);
    assert.equal(onDisk.maxConcurrentPushes, 64);
    assert.equal(onDisk.callbackAddress, 'console.corp.example');

    const reread = createSettingsStore(createConfSettingsBackend(dir)).get();
    assert.deepEqual(reread, returned);

    // A second partial update keeps the first one.
    const again = createSettingsStore(createConfSettingsBackend(dir)).update({ retryCount: 3 });
    assert.equal(again.maxConcurrentPushes, 64);
    assert.equal(again.retryCount, 3);
    assert.equal(readConfig(dir).maxConcurrentPushes, 64);
  });

  test('an invalid update (maxConcurrentPushes: 0) throws and writes nothing', (t) => {
    const dir = tempDirFor(t, 'pic-settings-');
    const store = createSettingsStore(createConfSettingsBackend(dir));
    // Nothing written yet: the invalid update must not create the file either.
    assert.throws(() => store.update({ maxConcurrentPushes: 0 }));
    assert.equal(fs.existsSync(path.join(dir, CONFIG_FILE)), false, 'no config.json was created');

    store.update({ maxConcurrentPushes: 30 });
    const before = fs.readFileSync(path.join(dir, CONFIG_FILE), 'utf8');
    assert.throws(() => store.update({ maxConcurrentPushes: 0, retryCount: 5 }));
    assert.throws(() => store.update({ packageServerPort: 70_000 }));
    assert.throws(() => store.update({ encryptWhenSupported: 'yes' } as unknown as Partial<Settings>));
    assert.equal(fs.readFileSync(path.join(dir, CONFIG_FILE), 'utf8'), before, 'config.json is byte-for-byte unchanged');
    assert.equal(store.get().maxConcurrentPushes, 30);
    assert.equal(store.get().retryCount, 0, 'the valid half of a refused update was not applied');
  });

  test('a hand-edited file with bad values falls back to those keys\' defaults only', (t) => {
    const dir = tempDirFor(t, 'pic-settings-');
    fs.writeFileSync(
      path.join(dir, CONFIG_FILE),
      JSON.stringify({
        maxConcurrentPushes: 0,
        packageServerPort: 'abc',
        connectTimeoutSeconds: 2.5,
        retryCount: 4,
        callbackAddress: '10.0.0.1',
        encryptWhenSupported: false,
        someOldKey: 'ignored',
      }),
    );
    const settings = createSettingsStore(createConfSettingsBackend(dir)).get();
    assert.equal(settings.maxConcurrentPushes, 20);
    assert.equal(settings.packageServerPort, 2224);
    assert.equal(settings.connectTimeoutSeconds, 5);
    assert.equal(settings.retryCount, 4);
    assert.equal(settings.callbackAddress, '10.0.0.1');
    assert.equal(settings.encryptWhenSupported, false);
    assert.ok(!('someOldKey' in settings));
  });

  test(
    'settings.update through the router changes only the keys sent and keeps the others',
    async (t) => {
      const dir = tempDirFor(t, 'pic-settings-ipc-');
      const services = createConsoleServices({ dataDir: dir, shell: 'electron' });
      t.after(() => services.close());
      const indexUrl = pathToFileURL(path.join(dir, 'index.html')).href;
      const router = services.router(fileSenderPolicy(indexUrl));
      const sender = { shell: 'electron' as const, url: indexUrl };
      const first = await router.dispatch('settings.update', { maxConcurrentPushes: 50 }, sender);
      assert.equal(first.ok, true);
      const second = await router.dispatch('settings.update', { retryCount: 3 }, sender);
      assert.equal(second.ok, true);
      const now = services.settings.get();
      assert.equal(now.retryCount, 3);
      assert.equal(now.maxConcurrentPushes, 50, 'the earlier change survives a later update of another key');
    },
  );
});

describe('a config.json that is not JSON', () => {
  test('is moved aside with a warning naming it, and the console starts from the defaults', (t) => {
    const dir = tempDirFor(t, 'pic-settings-corrupt-');
    const file = path.join(dir, `${SETTINGS_FILE_NAME}.json`);
    fs.writeFileSync(file, '{"maxConcurrentPushes": 35,');
    const warnings: string[] = [];
    const store = createSettingsStore(createConfSettingsBackend(dir, (m) => warnings.push(m)));
    assert.deepEqual(store.get(), defaultSettings);
    const aside = fs.readdirSync(dir).filter((f) => f.startsWith(`${SETTINGS_FILE_NAME}.json.corrupt-`));
    assert.equal(aside.length, 1);
    assert.equal(fs.readFileSync(path.join(dir, aside[0]!), 'utf8'), '{"maxConcurrentPushes": 35,');
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0]!.includes(file) && warnings[0]!.includes(aside[0]!), warnings[0]);
    store.update({ retryCount: 2 });
    assert.equal(createSettingsStore(createConfSettingsBackend(dir)).get().retryCount, 2);
  });
});

describe('resolveDataDir', () => {
  const home = path.resolve('/home/admin');

  test(`${DATA_DIR_ENV} wins over everything, resolved to an absolute path`, () => {
    const env = { [DATA_DIR_ENV]: '/srv/pic-data', XDG_DATA_HOME: '/xdg', APPDATA: 'C:\\AppData' };
    assert.equal(resolveDataDir({ env, electronUserData: '/electron/userData', home }), path.resolve('/srv/pic-data'));
    assert.equal(resolveDataDir({ env, platform: 'win32', home }), path.resolve('/srv/pic-data'));
    assert.equal(resolveDataDir({ env: { [DATA_DIR_ENV]: 'relative/data' }, home }), path.resolve('relative/data'));
  });

  test(`a blank ${DATA_DIR_ENV} is ignored`, () => {
    assert.equal(resolveDataDir({ env: { [DATA_DIR_ENV]: '   ' }, electronUserData: '/electron/userData', home }), '/electron/userData');
  });

  test("Electron's userData comes next, before XDG and APPDATA", () => {
    assert.equal(
      resolveDataDir({ env: { XDG_DATA_HOME: '/xdg' }, electronUserData: '/electron/userData', platform: 'linux', home }),
      '/electron/userData',
    );
    assert.equal(
      resolveDataDir({ env: { APPDATA: '/appdata' }, electronUserData: '/electron/userData', platform: 'win32', home }),
      '/electron/userData',
    );
  });

  test('XDG_DATA_HOME when absolute, else ~/.local/share', () => {
    assert.equal(resolveDataDir({ env: { XDG_DATA_HOME: '/xdg/data' }, platform: 'linux', home }), path.join('/xdg/data', 'push-install-console'));
    assert.equal(resolveDataDir({ env: {}, platform: 'linux', home }), path.join(home, '.local', 'share', 'push-install-console'));
    assert.equal(
      resolveDataDir({ env: { XDG_DATA_HOME: 'relative/xdg' }, platform: 'darwin', home }),
      path.join(home, '.local', 'share', 'push-install-console'),
      'a relative XDG_DATA_HOME is invalid per the spec and ignored',
    );
  });

  test('on win32, %APPDATA%\\Push Install Console (where Electron keeps userData), else the roaming folder under home', () => {
    assert.equal(resolveDataDir({ env: { APPDATA: '/users/admin/appdata/roaming' }, platform: 'win32', home }), path.join('/users/admin/appdata/roaming', 'Push Install Console'));
    assert.equal(resolveDataDir({ env: { XDG_DATA_HOME: '/xdg' }, platform: 'win32', home }), path.join(home, 'AppData', 'Roaming', 'Push Install Console'));
  });

  test(
    'on win32 an empty or relative %APPDATA% never yields a relative data folder',
    () => {
      for (const APPDATA of ['', 'relative\\roaming']) {
        const dir = resolveDataDir({ env: { APPDATA }, platform: 'win32', home });
        assert.ok(path.isAbsolute(dir), `APPDATA=${JSON.stringify(APPDATA)} gave ${JSON.stringify(dir)}`);
      }
    },
  );

  test('with no options it reads process.env', (t) => {
    const saved = process.env[DATA_DIR_ENV];
    t.after(() => {
      if (saved === undefined) delete process.env[DATA_DIR_ENV];
      else process.env[DATA_DIR_ENV] = saved;
    });
    process.env[DATA_DIR_ENV] = '/from/process/env';
    assert.equal(resolveDataDir(), path.resolve('/from/process/env'));
  });
});
