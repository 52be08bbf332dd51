// Installation History under load, in Chromium through the browser shell: 5 000 computers added
// from a CIDR block and a range in one paste, one task to all of them with 200 pushes at once.
// Each target is a loopback address nothing listens on, so every push fails fast (port-blocked):
// targets stream through queued → probing → done until all 5 000 have ended. The page's frame times
// and its long tasks (main-thread work of 50 ms or more, the Long Tasks API) are recorded
// throughout: the page must stay responsive — frames at p95 within 50 ms —
// and the grid must account for all 5 000. (One WebSocket message per event used to starve the
// page: 28.9 s and 100 ms frames; the bridge now sends a frame's worth of events at once.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openConsolePage, repoRoot, startBrowserShell, tempDir, type RunningShell } from '../support/browserShell.js';
import { buildMsi } from '../support/wixl.js';

const shots = path.join(process.env.PUSHCONSOLE_TEST_OUTPUT ?? path.join(repoRoot, 'test-output'), 'e2e');
const FRAME_RECORDER = `(() => {
  window.__frames = [];
  window.__long = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask' });
  window.__stop = false;
  let last = performance.now();
  const loop = (t) => { window.__frames.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
})()`;

describe('Installation History with 5 000 targets', () => {
  let dir: string;
  let shell: RunningShell;
  let browser: Browser;
  let page: Page;
  let msi: string;

  before(async () => {
    fs.mkdirSync(shots, { recursive: true });
    dir = tempDir('pic-e2e-load-');
    msi = buildMsi(dir, 'load.msi', { name: 'Load Test Agent', version: '1.0.0', manufacturer: 'Example Security', productCode: '{33333333-4444-5555-6666-777777777777}' });
    const agent = path.join(dir, 'agent.exe');
    fs.writeFileSync(agent, 'MZ stand-in agent');
    shell = await startBrowserShell(path.join(dir, 'data'), 20_000, { PUSHCONSOLE_AGENT: agent, PUSHCONSOLE_LAB: '0' });
    browser = await launchChromium();
    page = await openConsolePage(browser, shell.url, { timeoutMs: 20_000 });
  });

  after(async () => {
    await browser?.close();
    await shell?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('5 000 targets update live to their end with the page never blocked; every target accounted for with its class', async () => {
    await page.getByRole('tab', { name: 'Configuration' }).click();
    await page.getByTestId('setting-maxConcurrentPushes').fill('200');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('settings-saved').waitFor();

    await page.getByRole('tab', { name: 'Packages' }).click();
    await page.getByRole('button', { name: 'Create Package…' }).click();
    const create = page.getByRole('dialog', { name: 'Create Package' });
    await create.getByTestId('package-msi').fill(msi);
    await create.getByTestId('msi-info').getByText('Load Test Agent').waitFor();
    await create.getByRole('button', { name: 'Create' }).click();
    await create.waitFor({ state: 'detached' });

    await page.getByRole('tab', { name: 'Computers' }).click();
    await page.getByRole('button', { name: 'Add Computers ▾' }).click();
    await page.getByRole('menuitem', { name: 'Names, Addresses, Ranges or File…' }).click();
    const add = page.getByRole('dialog', { name: 'Add Computers' });
    // 4 094 hosts of a /20 and 906 of a range: 5 000.
    await add.getByTestId('add-computers-input').fill('127.0.80.0/20\n127.0.96.1-127.0.99.138');
    await add.getByRole('button', { name: 'Preview' }).click();
    await add.getByTestId('import-preview').getByText('5000 computer(s) will be added').waitFor();
    await add.getByRole('button', { name: 'Add 5000' }).click();
    await add.waitFor({ state: 'detached' });
    const grid = page.getByTestId('computers-grid');
    await grid.getByRole('row').filter({ hasText: '127.0.80.1' }).first().click();
    await page.keyboard.press('Control+a');
    await page.getByTestId('computers-count').getByText('5000 computer(s), 5000 shown, 5000 selected').waitFor();

    await page.keyboard.press('Control+n');
    const wizard = page.getByRole('dialog', { name: 'New Installation Task' });
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByRole('button', { name: 'Set for All…' }).click();
    const setAll = page.getByRole('dialog', { name: 'Set for All' });
    await setAll.getByTestId('cred-user').fill('CORP\\pushadmin');
    await setAll.getByTestId('cred-password').fill('load-test-password');
    await setAll.getByRole('button', { name: 'OK' }).click();
    await wizard.getByTestId('logon-summary').getByText(/^5000 computer\(s\); all have credentials/).waitFor();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('wizard-packages').getByRole('row').filter({ hasText: 'Load Test Agent' }).click();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('task-name').fill('Load: 5000 computers');
    const started = Date.now();
    await wizard.getByRole('button', { name: 'Finish' }).click();

    const taskRow = page.getByTestId('tasks-grid').getByRole('row').filter({ hasText: 'Load: 5000 computers' });
    // From the task's creation on only updates arrive: measure the page while 5 000 targets run to
    // their end (refused pushes end in milliseconds, so the whole task takes seconds).
    await page.evaluate(FRAME_RECORDER);
    await taskRow.getByText(/^(running|finished)$/).first().waitFor({ timeout: 60_000 });
    await page.screenshot({ path: path.join(shots, 'history-5000-running.png') });
    await taskRow.getByText('finished', { exact: true }).waitFor({ timeout: 120_000 });
    const targets = page.getByTestId('targets-grid');
    await targets.getByRole('row').filter({ hasText: '127.0.80.1' }).first().waitFor({ timeout: 60_000 });
    // The grid is virtualised: 5 000 targets, a screenful of rows in the DOM.
    assert.ok((await targets.getByRole('row').count()) < 80);
    const seconds = (Date.now() - started) / 1000;
    const frames = (await page.evaluate('window.__stop = true, window.__frames')) as number[];
    const longTasks = (await page.evaluate('window.__long')) as number[];
    const sorted = [...frames].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? Infinity;
    const p50 = sorted[Math.floor(sorted.length * 0.5)] ?? Infinity;
    const chart = page.getByTestId('outcome-chart');
    await chart.getByText(/^\d+ failed$/).waitFor();
    // Classes arrive with the finished targets' reload, a moment after their outcome events.
    const classesOf = (text: string) => [...text.matchAll(/(\d+) (port-blocked|offline)/g)].reduce((n, m) => n + Number(m[1]), 0);
    const failedOf = (text: string) => Number(/(\d+) failed/.exec(text)?.[1] ?? 0);
    let legend = await chart.innerText();
    for (let i = 0; i < 50 && classesOf(legend) !== failedOf(legend); i++) {
      await page.waitForTimeout(200);
      legend = await chart.innerText();
    }
    const failed = Number(/(\d+) failed/.exec(legend)?.[1] ?? 0);
    const cancelled = Number(/(\d+) cancelled/.exec(legend)?.[1] ?? 0);
    console.log(`5 000 targets: ${failed} failed (port-blocked) while pushing, ${cancelled} cancelled, ${seconds.toFixed(1)} s in all; ${frames.length} frames, median ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms; ${longTasks.length} long tasks on the page's main thread, ${longTasks.reduce((a, b) => a + b, 0).toFixed(0)} ms in all, longest ${Math.max(0, ...longTasks).toFixed(0)} ms`);
    console.log(`outcome legend: ${legend.replace(/\s+/g, ' ')}`);
    assert.equal(failed + cancelled, 5000, legend);
    assert.equal(failed, 5000, `every target ran to its end: ${legend}`);
    // Refused at once, or (when the console is starved of CPU) not answered within the connect bound.
    assert.equal(classesOf(legend), failed, legend);
    await page.screenshot({ path: path.join(shots, 'history-5000-finished.png') });
    assert.ok(frames.length > 20, `${frames.length} frames recorded`);
    // Alone on the machine this run usually has no long task at all (every page task < 50 ms).
    // On a shared 2-core VM other processes (and now and then a stall of the whole machine)
    // stretch a few, so the bound is on their share of the time measured: under 5 %. Applying
    // events one by one instead of per frame never gets this far (tried: the push times out).
    const total = longTasks.reduce((a, b) => a + b, 0);
    const measured = frames.reduce((a, b) => a + b, 0);
    assert.ok(total < 0.05 * measured, `long tasks: ${longTasks.map((d) => Math.round(d)).join(', ')} ms in ${Math.round(measured)} ms`);
    // The goal: the page keeps its frames within 50 ms while 5 000 targets change state.
    assert.ok(p95 <= 50, `frame p95 ${p95.toFixed(1)} ms (median ${p50.toFixed(1)} ms)`);
  });
});
