// End to end against the simulated lab (real-protocol hosts, started by the browser
// shell): Configuration shortens the callback bound, Computers shows the "Simulated lab" group,
// Ctrl+A and Ctrl+N open the wizard on it, Set for All uses the lab's administrator credential,
// Test tells ready hosts from refused ones, the demo package is pushed, and Installation
// History ends with exactly the outcome each host's profile dictates — successes included —
// while the page's frame times are measured; the task row counts what the chart under it counts at
// every moment, and the chart's error classes account for every failure. F4 → Details shows the
// agent's own log line by line, View Selected Logs a succeeded host's step log and the MSI log its
// agent sent. At 1440×900 History's toolbars, Show and the filter fit without wrapping or clipping.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_PACKAGE_NAME, LAB_GROUP } from '../../main/app/labDemo.js';
import { assignProfiles, expectedOutcome } from '../../main/lab/profiles.js';
import { repoRoot, setForAllStored, useConsoleShell } from '../support/browserShell.js';

const shots = path.join(process.env.PUSHCONSOLE_TEST_OUTPUT ?? path.join(repoRoot, 'test-output'), 'e2e');
const HOSTS = 20;
const names = Array.from({ length: HOSTS }, (_, i) => `LAB-PC-${String(i + 1).padStart(3, '0')}`);
const profiles = assignProfiles(names, 'mixed');
// The wizard's default transport is auto: agent-no-callback hosts install over SMB.
const expected = new Map(names.map((n, i) => [n, expectedOutcome(profiles[i]!, 'install', 'auto')]));
const healthy = names.find((_, i) => profiles[i] === 'healthy')!;
/** The chart legend's outcome labels; any other "N label" in it is an error class (or "other"). */
const OUTCOME_LABELS = new Set(['succeeded', 'succeeded, reboot required', 'failed', 'cancelled', 'interrupted', 'running', 'waiting for credentials', 'queued']);

/**
 * Records, every 40 ms until the task has finished, the task row's text and the outcome chart's
 * legend read in one go (the same moment), each pair once, in window.__counts.
 */
const COUNTS_RECORDER = `(() => {
  window.__counts = [];
  let last = '';
  let finished = 0;
  const timer = setInterval(() => {
    const row = [...document.querySelectorAll('[data-testid="tasks-grid"] tbody tr')].find((r) => r.textContent.includes('Lab push'));
    const chart = document.querySelector('[data-testid="outcome-chart"]');
    const sample = { row: row ? row.innerText : '', chart: chart ? chart.innerText : '' };
    const key = sample.row + '|' + sample.chart;
    if (key !== last) window.__counts.push(sample);
    last = key;
    if (/\\bfinished\\b/.test(sample.row) && ++finished >= 5) clearInterval(timer);
  }, 40);
})()`;

/** The agent's log in the Details view's step table: its box, line height and overflow. */
const MEASURE_AGENT_LOG = `(() => {
  const row = [...document.querySelectorAll('[data-testid="step-table"] tbody tr')].find((r) => r.cells[1] && r.cells[1].textContent === 'agent-log');
  const el = row.cells[2].querySelector('[data-testid="agent-log"]') || row.cells[2];
  const style = getComputedStyle(el);
  return { scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, height: el.clientHeight, lineHeight: parseFloat(style.lineHeight), overflowY: style.overflowY };
})()`;

/** History's two toolbars' buttons (content height against their line, width), Show's shown value and the filter (its hint measured in its font). */
const MEASURE_HISTORY_BARS = `(() => {
  const buttons = [...document.querySelectorAll('[data-testid="task-toolbar"] button, [data-testid="targets-toolbar"] button')].map((b) => {
    const style = getComputedStyle(b);
    const content = b.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    return { label: b.innerText, content, lineHeight: parseFloat(style.lineHeight), scrollWidth: b.scrollWidth, clientWidth: b.clientWidth };
  });
  const show = document.querySelector('[data-testid="targets-show"] [role="combobox"]')
    || [...document.querySelectorAll('[role="combobox"]')].find((c) => c.closest('.MuiFormControl-root').textContent.includes('Show'));
  const filter = document.querySelector('[data-testid="targets-filter"]');
  const fstyle = getComputedStyle(filter);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = fstyle.font;
  return {
    buttons,
    show: { text: show.innerText, scrollWidth: show.scrollWidth, clientWidth: show.clientWidth },
    filter: {
      scrollWidth: filter.scrollWidth,
      clientWidth: filter.clientWidth,
      placeholderWidth: Math.ceil(ctx.measureText(filter.placeholder).width),
      room: filter.clientWidth - parseFloat(fstyle.paddingLeft) - parseFloat(fstyle.paddingRight),
    },
  };
})()`;

/** "13 succeeded · 7 failed · 2 running · 1 waiting / 20" → its counts. */
function rowCounts(text: string) {
  const m = /(\d+) succeeded · (\d+) failed(?: · (\d+) running)?(?: · (\d+) waiting)? \/ (\d+)/.exec(text);
  if (!m) return null;
  return { succeeded: Number(m[1]), failed: Number(m[2]), running: Number(m[3] ?? 0), waiting: Number(m[4] ?? 0), targets: Number(m[5]) };
}

/** The legend's "N label" entries: outcomes by label, error classes apart. */
function chartCounts(text: string) {
  const outcomes = new Map<string, number>();
  const classes = new Map<string, number>();
  for (const token of text.split(/\n|·/).map((t) => t.trim())) {
    const m = /^(\d+) (.+)$/.exec(token);
    if (m) (OUTCOME_LABELS.has(m[2]!) ? outcomes : classes).set(m[2]!, Number(m[1]));
  }
  const n = (label: string) => outcomes.get(label) ?? 0;
  return {
    total: [...outcomes.values()].reduce((a, b) => a + b, 0),
    succeeded: n('succeeded') + n('succeeded, reboot required'),
    failed: n('failed'),
    running: n('running'),
    waiting: n('waiting for credentials'),
    classes,
  };
}

/** Records each animation frame's duration in window.__frames until window.__stop (a string: tsx's helpers do not exist in the page). */
const FRAME_RECORDER = `(() => {
  window.__frames = [];
  window.__stop = false;
  let last = performance.now();
  const loop = (t) => { window.__frames.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
})()`;

describe('a push to the simulated lab from the browser', () => {
  const fx = useConsoleShell({
    prefix: 'pic-e2e-lab-',
    startTimeoutMs: 30_000,
    setup: () => void fs.mkdirSync(shots, { recursive: true }),
    env: {
      PUSHCONSOLE_LAB: '1',
      PUSHCONSOLE_LAB_HOSTS: String(HOSTS),
      PUSHCONSOLE_LAB_FIRST: '127.0.34.1',
      PUSHCONSOLE_LAB_PORT: '14472',
    },
  });

  const tab = (name: string) => fx.page.getByRole('tab', { name, exact: true });
  // MUI's dialogs fade for 225 ms: wait them out so the picture shows what the admin sees.
  const shot = async (name: string) => {
    await fx.page.waitForTimeout(300);
    await fx.page.screenshot({ path: path.join(shots, `${name}.png`) });
  };

  test('Configuration: the agent callback bound is shortened to 10 s (the lab\'s no-callback hosts wait that long)', async () => {
    await tab('Configuration').click();
    await fx.page.getByTestId('setting-agentCallbackTimeoutSeconds').fill('10');
    await fx.page.getByTestId('setting-connectTimeoutSeconds').fill('2');
    await fx.page.getByRole('button', { name: 'Save' }).click();
    await fx.page.getByTestId('settings-saved').waitFor();
  });

  test('wizard on the lab group: Ctrl+A, Ctrl+N, Set for All with the lab credential, Test, demo package, Finish', async () => {
    await tab('Computers').click();
    await fx.page.getByRole('button', { name: `${LAB_GROUP} (${HOSTS})` }).click();
    const grid = fx.page.getByTestId('computers-grid');
    await grid.getByRole('row').filter({ hasText: 'LAB-PC-001' }).click();
    await fx.page.keyboard.press('Control+a');
    assert.match(await fx.page.getByTestId('computers-count').innerText(), new RegExp(`${HOSTS} selected`));
    await fx.page.keyboard.press('Control+n');
    const wizard = fx.page.getByRole('dialog', { name: 'New Installation Task' });
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await setForAllStored(fx.page, wizard, 'LAB\\labadmin', HOSTS);

    await wizard.getByRole('button', { name: 'Test' }).click();
    await wizard.getByRole('button', { name: 'Test' }).waitFor({ timeout: 30_000 });
    const logon = wizard.getByTestId('logon-grid');
    const healthy = names.find((_, i) => profiles[i] === 'healthy')!;
    await logon.getByRole('row').filter({ hasText: healthy }).getByText('ready to push').waitFor();
    const wrongCredentials = names.find((_, i) => profiles[i] === 'wrong-credentials');
    if (wrongCredentials) await logon.getByRole('row').filter({ hasText: wrongCredentials }).getByText('logon-failure').waitFor();
    await shot('lab-wizard-tested');
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('wizard-packages').getByRole('row').filter({ hasText: DEMO_PACKAGE_NAME }).click();
    // Package delivery: Automatic by default, and the wizard says what happens to the account then.
    const delivery = wizard.getByRole('radiogroup', { name: 'Package delivery' });
    assert.equal(await delivery.getByRole('radio', { name: 'Automatic' }).isChecked(), true);
    assert.match(await wizard.getByTestId('wizard-transport-system').innerText(), /gets its package over SMB installs it as SYSTEM/);
    await delivery.getByRole('radio', { name: 'Copy over SMB (ADMIN$)' }).check();
    assert.equal(await wizard.getByRole('radio', { name: /the administrator account/ }).isDisabled(), true, 'SMB installs as SYSTEM only');
    await delivery.getByRole('radio', { name: 'Automatic' }).check();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    assert.match(await wizard.getByTestId('wizard-summary-action').locator('..').innerText(), /download from this console, over SMB where that fails/);
    await wizard.getByTestId('task-name').fill('Lab push');
    // Frame times from here to the end of the push: the grid must stay smooth while it updates.
    await fx.page.evaluate(FRAME_RECORDER);
    await fx.page.evaluate(COUNTS_RECORDER);
    await wizard.getByRole('button', { name: 'Finish' }).click();
    await wizard.waitFor({ state: 'detached' });
  });

  test('Installation History ends with each host\'s profile outcome and error class, successes included', async () => {
    const taskRow = fx.page.getByTestId('tasks-grid').getByRole('row').filter({ hasText: 'Lab push' });
    await taskRow.getByText('running', { exact: true }).waitFor();
    await shot('lab-history-running');
    await taskRow.getByText('finished', { exact: true }).waitFor({ timeout: 90_000 });
    const frames = (await fx.page.evaluate('window.__stop = true, window.__frames')) as number[];
    const sorted = [...frames].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? 0;
    console.log(`lab push of ${HOSTS} hosts: ${frames.length} frames, p95 frame time ${p95.toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms`);

    const grid = fx.page.getByTestId('targets-grid');
    const succeeded = [...expected.values()].filter((e) => e.outcome.startsWith('succeeded')).length;
    await taskRow.getByText(new RegExp(`${succeeded} succeeded · ${HOSTS - succeeded} failed / ${HOSTS}`)).waitFor();
    const mismatches: string[] = [];
    for (const name of names) {
      const want = expected.get(name)!;
      const text = await grid.getByRole('row').filter({ hasText: name }).innerText();
      const outcome = want.outcome === 'succeeded-reboot-required' ? 'succeeded (reboot)' : want.outcome;
      if (!text.includes(outcome) || (want.errorClass && !text.includes(want.errorClass))) mismatches.push(`${name}: expected ${outcome}/${want.errorClass}, row says ${text.replace(/\s+/g, ' ')}`);
    }
    assert.deepEqual(mismatches, []);
    // Transport: the host whose agent cannot call back was carried over SMB; a healthy one by the callback.
    const noCallback = names.find((_, i) => profiles[i] === 'agent-no-callback');
    if (noCallback) assert.match(await grid.getByRole('row').filter({ hasText: noCallback }).innerText(), /\bSMB\b/);
    assert.match(await grid.getByRole('row').filter({ hasText: healthy }).innerText(), /\bcallback\b/);
    await shot('lab-history-finished');

    // The filter: Ctrl+F goes to it; a class narrows the grid to its hosts; "Failed" keeps the failed.
    const rowsShown = async () => grid.locator('tbody tr[data-row-id]').count();
    const byClass = (cls: string) => names.filter((n) => expected.get(n)!.errorClass === cls).length;
    const cls = [...new Set([...expected.values()].map((e) => e.errorClass).filter((c): c is NonNullable<typeof c> => c !== null))].sort((x, y) => byClass(y) - byClass(x))[0]!;
    await fx.page.keyboard.press('Control+f');
    await fx.page.keyboard.type(cls);
    assert.equal(await fx.page.getByTestId('targets-filter').inputValue(), cls, 'Ctrl+F focused the filter: the keys went there');
    await fx.page.getByTestId('targets-heading').getByText(`${byClass(cls)} of ${HOSTS} computer(s) shown`).waitFor();
    assert.equal(await rowsShown(), byClass(cls), `rows of class ${cls}`);
    await fx.page.getByTestId('targets-filter').fill('');
    await fx.page.getByRole('combobox', { name: 'Show' }).click();
    await fx.page.getByRole('option', { name: 'Failed or cancelled' }).click();
    await fx.page.getByTestId('targets-heading').getByText(`${HOSTS - succeeded} of ${HOSTS} computer(s) shown`).waitFor();
    assert.equal(await rowsShown(), HOSTS - succeeded);
    await shot('lab-history-filtered');
    await fx.page.getByRole('combobox', { name: 'Show' }).click();
    await fx.page.getByRole('option', { name: 'All computers' }).click();
    await fx.page.getByTestId('targets-heading').getByText(`${HOSTS} computer(s)`).waitFor();

    const ok = names.find((_, i) => profiles[i] === 'healthy')!;
    await grid.getByRole('row').filter({ hasText: ok }).click();
    await fx.page.keyboard.press('F4');
    const props = fx.page.getByRole('dialog', { name: `Computer ${ok} in task: Lab push` });
    await props.waitFor();
    await props.getByTestId('step-table').getByText(/succeeded/).first().waitFor();
    await shot('lab-properties');
    await props.getByRole('button', { name: 'View Selected Logs' }).click();
    const viewer = fx.page.getByRole('dialog', { name: /^Logs of 1 computer\(s\)/ });
    const log = viewer.getByTestId('log-view');
    await log.getByText(new RegExp(`${ok} — MSI log`)).waitFor();
    const text = await log.innerText();
    assert.match(text, /MSI \(s\)/, 'the MSI verbose log the agent sent');
    assert.doesNotMatch(text, /no MSI log/);
    await shot('lab-log-viewer');
  });

  test('while the push ran the task row counted exactly what the chart under it counted; the chart\'s classes add up to the failures', async () => {
    const samples = (await fx.page.evaluate('window.__counts')) as { row: string; chart: string }[];
    const mismatches: string[] = [];
    let compared = 0;
    for (const sample of samples) {
      const row = rowCounts(sample.row);
      const chart = chartCounts(sample.chart);
      // Compared once the task's computers are loaded under it (the chart accounts for all of them).
      if (!row || chart.total !== HOSTS) continue;
      compared += 1;
      const pairs = [['succeeded', row.succeeded, chart.succeeded], ['failed', row.failed, chart.failed], ['running', row.running, chart.running], ['waiting', row.waiting, chart.waiting]] as const;
      for (const [what, inRow, inChart] of pairs) {
        if (inRow !== inChart) mismatches.push(`${what}: row ${inRow}, chart ${inChart} (row "${sample.row.replace(/\s+/g, ' ')}", chart "${sample.chart.replace(/\s+/g, ' ')}")`);
      }
    }
    assert.ok(compared >= 5, `${compared} moments compared of ${samples.length} recorded`);
    assert.deepEqual(mismatches.slice(0, 5), [], `${mismatches.length} moments where the row and the chart disagree`);

    // Every failure is in the legend: by class, with "other" for the rest when it is long.
    const failures = [...expected.values()].filter((e) => e.outcome === 'failed').length;
    const chart = fx.page.getByTestId('outcome-chart');
    await chart.getByText(`${failures} failed`, { exact: true }).waitFor();
    let classes = new Map<string, number>();
    for (let i = 0; i < 50; i++) {
      classes = chartCounts(await chart.innerText()).classes;
      if (!classes.has('class not known yet')) break;
      await fx.page.waitForTimeout(200);
    }
    const sum = [...classes.values()].reduce((a, b) => a + b, 0);
    assert.equal(sum, failures, `the legend's classes ${JSON.stringify([...classes])} account for all ${failures} failures`);
  });

  test('Details: the agent\'s own log keeps its lines, wraps within the column and scrolls', async () => {
    await fx.page.keyboard.press('Escape');
    await fx.page.getByRole('dialog', { name: /^Logs of 1 computer\(s\)/ }).waitFor({ state: 'detached' });
    const props = fx.page.getByRole('dialog', { name: `Computer ${healthy} in task: Lab push` });
    const row = props.getByTestId('step-table').getByRole('row').filter({ hasText: 'agent-log' });
    await row.waitFor();
    await row.scrollIntoViewIfNeeded();
    const result = row.getByRole('cell').nth(2);
    const lines = (await result.innerText()).split('\n').filter((l) => l.trim() !== '');
    assert.ok(lines.length >= 3, `the agent's log shows line by line: ${JSON.stringify(lines)}`);
    assert.match(lines.at(-1)!, /stopped with exit code 0/);
    const box = (await fx.page.evaluate(MEASURE_AGENT_LOG)) as { scrollWidth: number; clientWidth: number; height: number; lineHeight: number; overflowY: string };
    assert.ok(box.scrollWidth <= box.clientWidth, `long lines wrap within the column: ${JSON.stringify(box)}`);
    assert.ok(box.height >= 3 * box.lineHeight, `several lines on screen: ${JSON.stringify(box)}`);
    assert.ok(box.overflowY === 'auto' || box.overflowY === 'scroll', `a long log scrolls: ${JSON.stringify(box)}`);
    await shot('lab-properties-agent-log');
    await fx.page.keyboard.press('Escape');
    await props.waitFor({ state: 'detached' });
  });

  test('at 1440×900 History\'s toolbars fit: no button wraps its label, Show and the filter are not cut', async () => {
    // (Whatever an earlier test left open is closed first.)
    for (let i = 0; i < 3 && (await fx.page.getByRole('dialog').count()) > 0; i++) {
      await fx.page.keyboard.press('Escape');
      await fx.page.waitForTimeout(400);
    }
    await fx.page.setViewportSize({ width: 1440, height: 900 });
    await fx.page.getByTestId('targets-grid').getByRole('row').filter({ hasText: healthy }).click();
    await shot('lab-history-1440');
    const layout = (await fx.page.evaluate(MEASURE_HISTORY_BARS)) as {
      buttons: { label: string; content: number; lineHeight: number; scrollWidth: number; clientWidth: number }[];
      show: { text: string; scrollWidth: number; clientWidth: number };
      filter: { scrollWidth: number; clientWidth: number; placeholderWidth: number; room: number };
    };
    assert.ok(layout.buttons.length >= 10, `both toolbars' buttons: ${layout.buttons.map((b) => b.label).join(', ')}`);
    for (const b of layout.buttons) {
      assert.ok(b.content < 1.5 * b.lineHeight, `"${b.label}" is one line (${b.content} px for a ${b.lineHeight} px line)`);
      assert.ok(b.scrollWidth <= b.clientWidth, `"${b.label}" is not cut (${b.scrollWidth} > ${b.clientWidth})`);
    }
    assert.ok(layout.show.scrollWidth <= layout.show.clientWidth, `Show "${layout.show.text}" is not cut: ${JSON.stringify(layout.show)}`);
    assert.ok(layout.filter.scrollWidth <= layout.filter.clientWidth, `the filter is not cut: ${JSON.stringify(layout.filter)}`);
    assert.ok(layout.filter.placeholderWidth <= layout.filter.room, `the filter's hint fits: ${JSON.stringify(layout.filter)}`);
  });

  test('no script error reached the page', () => {
    assert.deepEqual(fx.pageErrors, []);
  });
});
