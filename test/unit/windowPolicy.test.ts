// The Electron window's security policy (main/electron/windowPolicy.ts) against a fake
// webContents: an EventEmitter that emits the events Electron would, a recorder for
// setWindowOpenHandler and for the session's permission handlers. Electron's binary cannot run
// here; main.ts hands the real webContents to the same function.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import {
  ALLOWED_PERMISSION,
  attachWindowPolicy,
  isExternalWebUrl,
  secureWebPreferences,
  type SessionLike,
  type WebContentsLike,
} from '../../main/electron/windowPolicy.js';

const APP_URL = 'file:///opt/push-install-console/resources/app/dist/renderer/index.html';

type OpenHandler = (details: { url: string }) => { action: 'deny' };
type RequestHandler = Parameters<SessionLike['setPermissionRequestHandler']>[0];
type CheckHandler = Parameters<SessionLike['setPermissionCheckHandler']>[0];

class FakeWebContents extends EventEmitter {
  openHandler: OpenHandler | null = null;
  requestHandler: RequestHandler = null;
  checkHandler: CheckHandler = null;
  readonly session: SessionLike = {
    setPermissionRequestHandler: (handler) => (this.requestHandler = handler),
    setPermissionCheckHandler: (handler) => (this.checkHandler = handler),
  };
  setWindowOpenHandler(handler: OpenHandler): void {
    this.openHandler = handler;
  }
  /** Emits an Electron-style event the way Electron does (event first, then the deprecated url) and says whether it was prevented. */
  fire(name: string, url: string): boolean {
    let prevented = false;
    const event = { url, preventDefault: () => (prevented = true) };
    assert.ok(this.listenerCount(name) > 0, `no listener for ${name}`);
    this.emit(name, event, url, false, true);
    return prevented;
  }
}

function setUp() {
  const contents = new FakeWebContents();
  const opened: string[] = [];
  // Type check: the fake satisfies the structural interface main.ts's real webContents does.
  const asPolicyTarget: WebContentsLike = contents;
  attachWindowPolicy(asPolicyTarget, { openExternal: (url) => void opened.push(url), appUrl: APP_URL });
  return { contents, opened };
}

const HOSTILE_URLS = [
  'https://evil.example/phish',
  'http://127.0.0.1:8080/',
  'file:///etc/passwd',
  'file:///C:/Windows/System32/calc.exe',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'ms-msdt:/id PCWDiagnostic',
  'smb://fileserver/share',
];

describe('Electron window policy', () => {
  test('webPreferences: context isolation and sandbox on; Node, webview, insecure content, experimental features and the spellchecker off', () => {
    const prefs = secureWebPreferences('/app/dist/electron/preload.cjs');
    assert.deepEqual(prefs, {
      preload: '/app/dist/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
    });
  });

  test('navigation is prevented to remote, loopback, file:, javascript:, data: and custom-scheme URLs, and to the console page itself', () => {
    const { contents } = setUp();
    for (const url of [...HOSTILE_URLS, APP_URL, `${APP_URL}#computers`]) {
      assert.equal(contents.fire('will-navigate', url), true, `will-navigate ${url}`);
      assert.equal(contents.fire('will-frame-navigate', url), true, `will-frame-navigate ${url}`);
    }
  });

  test('every redirect is prevented', () => {
    const { contents } = setUp();
    for (const url of [...HOSTILE_URLS, APP_URL]) assert.equal(contents.fire('will-redirect', url), true, url);
  });

  test('window.open is denied for every URL; only http(s) without credentials goes to the system browser', async () => {
    const { contents, opened } = setUp();
    assert.ok(contents.openHandler, 'setWindowOpenHandler was not called');
    const urls = [
      'https://docs.example/help',
      'http://intranet.example/kb',
      'https://user:secret@evil.example/',
      'file:///etc/passwd',
      '  javascript:alert(1)',
      'JAVASCRIPT:alert(1)',
      'data:text/html,<b>x</b>',
      'blob:file:///abc',
      'ms-settings:windowsupdate',
      'about:blank',
      APP_URL,
      'not a url',
      '',
    ];
    for (const url of urls) assert.deepEqual(contents.openHandler({ url }), { action: 'deny' }, url);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(opened, ['https://docs.example/help', 'http://intranet.example/kb']);
    assert.equal(isExternalWebUrl('HTTPS://DOCS.EXAMPLE/'), true);
    assert.equal(isExternalWebUrl('ftp://files.example/'), false);
  });

  test('a failing openExternal does not throw out of the window-open handler', async () => {
    const contents = new FakeWebContents();
    attachWindowPolicy(contents, { openExternal: () => Promise.reject(new Error('no browser')), appUrl: APP_URL });
    assert.deepEqual(contents.openHandler!({ url: 'https://docs.example/' }), { action: 'deny' });
    await new Promise((resolve) => setImmediate(resolve));
  });

  test('a <webview> is never attached', () => {
    const { contents } = setUp();
    assert.equal(contents.fire('will-attach-webview', 'https://evil.example/'), true);
  });

  test('permission requests and checks are denied: camera, geolocation, notifications, clipboard read, openExternal…', () => {
    const { contents } = setUp();
    assert.ok(contents.requestHandler && contents.checkHandler, 'permission handlers were not set');
    const permissions = ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen', 'pointerLock', 'hid', 'serial', 'usb', 'unknown'];
    for (const permission of permissions) {
      let granted: boolean | undefined;
      contents.requestHandler(null, permission, (g) => (granted = g), { requestingUrl: APP_URL });
      assert.equal(granted, false, `request ${permission}`);
      assert.equal(contents.checkHandler(null, permission, 'file:///', { requestingUrl: APP_URL }), false, `check ${permission}`);
    }
  });

  test("the clipboard write of the console's Copy button is allowed to the console page only", () => {
    const { contents } = setUp();
    const request = (requestingUrl: string | undefined) => {
      let granted: boolean | undefined;
      contents.requestHandler!(null, ALLOWED_PERMISSION, (g) => (granted = g), requestingUrl === undefined ? {} : { requestingUrl });
      return granted;
    };
    assert.equal(request(APP_URL), true);
    assert.equal(request(`${APP_URL}#history`), true);
    assert.equal(request('https://evil.example/'), false);
    assert.equal(request('file:///tmp/other.html'), false);
    assert.equal(request(undefined), false);
    assert.equal(contents.checkHandler!(null, ALLOWED_PERMISSION, 'file:///', { requestingUrl: APP_URL }), true);
    assert.equal(contents.checkHandler!(null, ALLOWED_PERMISSION, 'https://evil.example', { requestingUrl: 'https://evil.example/' }), false);
  });
});
