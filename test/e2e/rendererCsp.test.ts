// The renderer's content security in Debian's Chromium against the real browser shell:
// the policy every response of the bridge carries (and the page's own <meta>), that a full load
// and a walk through the tabs fetch nothing but the bridge's own origin, that injected inline
// script, eval and requests to another loopback origin are blocked, and that window.open opens
// nothing. The "other origin" is a tiny HTTP server of this test on 127.0.93.1 that counts every
// TCP connection it gets: it must get none.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, startBrowserShell, tempDir, type RunningShell } from '../support/browserShell.js';

const FOREIGN_HOST = '127.0.93.1';
const TABS = ['Computers', 'Installation History', 'Packages', 'Configuration'];

interface ForeignServer {
  readonly origin: string;
  readonly hits: string[];
  close(): Promise<void>;
}

/** The "remote" origin: records every connection and request, answers with something a page could use. */
async function startForeignServer(): Promise<ForeignServer> {
  const hits: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/javascript', 'access-control-allow-origin': '*' });
    res.end('window.__foreignScriptRan = true;');
  });
  server.on('connection', (socket: Socket) => {
    hits.push('tcp connection');
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req, socket) => {
    hits.push(`upgrade ${req.url}`);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, FOREIGN_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${FOREIGN_HOST}:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A policy as directive → sources. */
function parsePolicy(policy: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (!name) continue;
    assert.ok(!directives.has(name.toLowerCase()), `directive ${name} twice in ${policy}`);
    directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

/**
 * What "strict" means here. The page's scripts come from its own files only; nothing names a
 * remote origin or a wildcard; the only host allowed is the bridge's own WebSocket.
 */
function assertStrict(policy: string, where: string, bridgeHost: string | null, viaHeader: boolean): void {
  const d = parsePolicy(policy);
  const eq = (name: string, sources: string[]) => assert.deepEqual(d.get(name), sources, `${where}: ${name} in ${policy}`);
  eq('default-src', ["'self'"]);
  eq('script-src', ["'self'"]);
  eq('object-src', ["'none'"]);
  eq('base-uri', ["'none'"]);
  eq('form-action', ["'none'"]);
  eq('frame-src', ["'none'"]);
  eq('worker-src', ["'none'"]);
  eq('style-src', ["'self'", "'unsafe-inline'"]);
  eq('img-src', ["'self'", 'data:']);
  eq('connect-src', bridgeHost ? ["'self'", `ws://${bridgeHost}`] : ["'self'"]);
  if (viaHeader) {
    // What only a header can carry: not frameable, and sandboxed without allow-popups.
    eq('frame-ancestors', ["'none'"]);
    eq('sandbox', ['allow-scripts', 'allow-same-origin', 'allow-downloads']);
  }
  assert.doesNotMatch(policy, /unsafe-eval|wasm-unsafe-eval|unsafe-hashes|strict-dynamic|\*|https?:|wss?:\/\/(?!127\.0\.0\.1:\d+;)/, `${where}: ${policy}`);
}

/**
 * Run in the page (as a string: the tests' TypeScript has no DOM types, and tsx would wrap named
 * functions in a __name() the page lacks). Injects what an XSS would and reports what ran, what
 * each request did and every securitypolicyviolation. eval and Function are tried from a timer
 * the page runs, outside the DevTools evaluation, which Chromium exempts from the eval rule.
 */
const ATTACK_PROBE = `async (foreignOrigin) => {
  const violations = [];
  document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective + ' ' + e.blockedURI));

  const inline = document.createElement('script');
  inline.textContent = 'window.__inlineRan = true;';
  document.body.append(inline);
  const holder = document.createElement('div');
  holder.innerHTML = '<img src="data:," onload="window.__handlerRan = true" onerror="window.__handlerRan = true">';
  document.body.append(holder);
  const remoteScript = document.createElement('script');
  remoteScript.src = foreignOrigin + '/script.js';
  document.body.append(remoteScript);
  const remoteStyle = document.createElement('link');
  remoteStyle.rel = 'stylesheet';
  remoteStyle.href = foreignOrigin + '/style.css';
  document.head.append(remoteStyle);

  const dynamic = await new Promise((resolve) => setTimeout(() => {
    let evalError = 'eval ran';
    let functionError = 'Function ran';
    try { (0, eval)('window.__evalRan = true'); } catch (error) { evalError = error.name; }
    try { new Function('window.__functionRan = true')(); } catch (error) { functionError = error.name; }
    resolve({ evalError, functionError });
  }, 0));

  let fetchOutcome = 'fetched';
  try { await fetch(foreignOrigin + '/fetch', { mode: 'no-cors' }); } catch (error) { fetchOutcome = error.name; }
  const imageOutcome = await new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve('loaded');
    img.onerror = () => resolve('error');
    img.src = foreignOrigin + '/pixel.png';
  });
  const socketOutcome = await new Promise((resolve) => {
    try {
      const ws = new WebSocket('ws://' + new URL(foreignOrigin).host + '/socket');
      ws.onopen = () => resolve('open');
      ws.onerror = () => resolve('error');
    } catch (error) {
      resolve(error.name);
    }
  });
  // sendBeacon says true (queued) whatever happens next: only the violation and the silent server tell.
  navigator.sendBeacon(foreignOrigin + '/beacon', 'x');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const ran = ['__inlineRan', '__handlerRan', '__evalRan', '__functionRan', '__foreignScriptRan'].filter((k) => window[k] !== undefined);
  return { ran, ...dynamic, fetchOutcome, imageOutcome, socketOutcome, violations };
}`;

interface ProbeOutcome {
  ran: string[];
  evalError: string;
  functionError: string;
  fetchOutcome: string;
  imageOutcome: string;
  socketOutcome: string;
  violations: string[];
}

/** Plain Node GET of the bridge, for responses the page itself never gets (refusals). */
function get(url: string, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      res.resume();
      resolve(res);
    });
    req.on('error', reject);
  });
}

describe('renderer content security in Chromium (browser shell)', () => {
  let dataDir: string;
  let shell: RunningShell | undefined;
  let foreign: ForeignServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let origin: string;
  let bridgeHost: string;
  const pageErrors: string[] = [];
  const requests: string[] = [];
  const sockets: string[] = [];
  const responses: { url: string; status: number; headers: Record<string, string> }[] = [];

  before(async () => {
    dataDir = tempDir('pic-csp-');
    foreign = await startForeignServer();
    shell = await startBrowserShell(dataDir, 20_000, { PUSHCONSOLE_LAB: '0' });
    origin = new URL(shell.url).origin;
    bridgeHost = new URL(shell.url).host;
    browser = await launchChromium();
    // The listeners must see the very first request, so the page is opened by hand here, the
    // way openConsolePage does it.
    context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    page.on('websocket', (ws) => sockets.push(ws.url()));
    page.on('response', (response) => void response.allHeaders().then((headers) => responses.push({ url: response.url(), status: response.status(), headers })));
    await page.goto(shell.url);
    await page.getByRole('heading', { name: 'Push Install Console' }).waitFor();
  });

  after(async () => {
    // Each one closed whatever the others did.
    await browser?.close().catch(() => undefined);
    await shell?.stop().catch(() => undefined);
    await foreign?.close().catch(() => undefined);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('a full load and a walk through every tab request nothing but the bridge origin (no remote content)', async () => {
    await page.getByRole('button', { name: 'Add Computers ▾' }).click();
    await page.getByRole('menuitem', { name: 'Names, Addresses, Ranges or File…' }).click();
    await page.getByRole('dialog', { name: 'Add Computers' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Add Computers' }).waitFor({ state: 'detached' });
    for (const name of TABS) {
      await page.getByRole('tab', { name, exact: true }).click();
      await page.getByRole('tab', { name, exact: true, selected: true }).waitFor();
    }
    await page.reload();
    await page.getByRole('heading', { name: 'Push Install Console' }).waitFor();

    assert.ok(requests.length >= 3, `too few requests recorded: ${requests.join(', ')}`);
    const elsewhere = requests.filter((url) => new URL(url).origin !== origin);
    assert.deepEqual(elsewhere, [], 'requests outside the bridge origin');
    assert.ok(sockets.length >= 1, 'the page opened no bridge WebSocket');
    assert.deepEqual(sockets.filter((url) => new URL(url).host !== bridgeHost), [], 'WebSockets outside the bridge');
    assert.deepEqual(foreign!.hits, []);
    assert.deepEqual(pageErrors, []);
  });

  test("every response of the bridge carries the strict policy, and the page's <meta> agrees", async () => {
    // Responses the page got during the load, the redirect that trades the token included.
    assert.ok(responses.some((r) => r.status === 303), 'the token redirect was not seen');
    assert.ok(responses.some((r) => r.url.endsWith('/assets/app.js')), 'app.js was not seen');
    for (const r of responses) {
      assert.equal(new URL(r.url).origin, origin);
      const policy = r.headers['content-security-policy'];
      assert.ok(policy, `${r.status} ${r.url} has no content-security-policy`);
      assertStrict(policy, `${r.status} ${r.url}`, bridgeHost, true);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', r.url);
      assert.equal(r.headers['x-frame-options'], 'DENY', r.url);
      assert.equal(r.headers['referrer-policy'], 'no-referrer', r.url);
      assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin', r.url);
    }
    // And the refusals a stray request gets: no token, wrong token, a missing file, a foreign Origin.
    const refusals = [
      await get(`${origin}/`),
      await get(`${origin}/?token=wrong`),
      await get(`${origin}/assets/app.js`),
      await get(`${origin}/assets/app.js`, { origin: foreign!.origin }),
    ];
    assert.deepEqual(
      refusals.map((r) => r.statusCode),
      [403, 403, 403, 403],
    );
    for (const r of refusals) assertStrict(String(r.headers['content-security-policy']), `refusal ${r.statusCode}`, bridgeHost, true);

    // The <meta> (Electron's only policy: its page is a file) says the same, without the bridge's host.
    const meta = (await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')) ?? '';
    assertStrict(meta, 'index.html <meta>', null, false);
  });

  test('an injected inline script and handler do not run, eval and Function throw, and another loopback origin gets no request', async () => {
    const target = foreign!.origin;
    const outcome = (await page.evaluate(`(${ATTACK_PROBE})(${JSON.stringify(target)})`)) as ProbeOutcome;

    assert.deepEqual(outcome.ran, [], 'injected code ran');
    assert.equal(outcome.evalError, 'EvalError');
    assert.equal(outcome.functionError, 'EvalError');
    assert.equal(outcome.fetchOutcome, 'TypeError');
    assert.equal(outcome.imageOutcome, 'error');
    assert.equal(outcome.socketOutcome, 'error');
    const has = (directive: string, blocked: RegExp) =>
      assert.ok(outcome.violations.some((v) => v.startsWith(`${directive} `) && blocked.test(v)), `no ${directive} violation for ${blocked}: ${outcome.violations.join(' | ')}`);
    has('script-src-elem', /inline/);
    has('script-src-attr', /inline/);
    has('script-src-elem', /\/script\.js$/);
    has('style-src-elem', /\/style\.css$/);
    has('script-src', /eval/);
    has('connect-src', /\/fetch$/);
    has('img-src', /\/pixel\.png$/);
    has('connect-src', /^connect-src ws:\/\/127\.0\.93\.1:\d+\/socket$/);
    has('connect-src', /\/beacon$/);
    // Give any late request time to arrive: the other origin saw nothing at all, not even a TCP connection.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(foreign!.hits, []);
  });

  test('window.open and target=_blank to an external URL open no page (the CSP sandbox has no allow-popups)', async () => {
    const pagesBefore = context.pages().length;
    const popups: string[] = [];
    context.on('page', (p) => popups.push(p.url()));
    const target = `${foreign!.origin}/popup`;
    // window.open without a user gesture (Playwright's Chromium does not block popups by itself).
    const opened = (await page.evaluate(`window.open(${JSON.stringify(target)}, '_blank') !== null`)) as boolean;
    // And a real click (user activation) on an injected target=_blank link.
    await page.evaluate(
      `(() => { const a = document.createElement('a'); a.href = ${JSON.stringify(target)}; a.target = '_blank'; a.id = 'csp-test-link'; a.textContent = 'external link'; document.body.append(a); })()`,
    );
    await page.locator('#csp-test-link').click();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(opened, false, 'window.open returned a window');
    assert.deepEqual(popups, []);
    assert.equal(context.pages().length, pagesBefore);
    assert.deepEqual(foreign!.hits, []);
    // The console page stayed where it was.
    assert.equal(new URL(page.url()).origin, origin);
    await page.getByRole('heading', { name: 'Push Install Console' }).waitFor();
  });
});
