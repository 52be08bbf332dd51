// One console at enterprise scale, below the window: tasks.targets read page by page (the pages
// join to exactly the unpaged list; the contract bounds a page at 5 000), 50 000 computers added
// in chunked transactions that leave the event loop turns between them, a 50 000-line preview in
// slices with yields, the contract's caps at 50 000, a 50 000-row CSV export built and scrubbed
// in pieces, and a logs ZIP past 65 535 files (ZIP64 end records) written with yields. The times
// are printed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createConsoleServices, type ConsoleServices } from '../../main/app/services.js';
import { exportCsv, exportLogsZip, REDACTED } from '../../main/app/historyExport.js';
import { previewComputerList, previewComputerListInChunks } from '../../main/import/computerList.js';
import { createRouter, type Sender } from '../../main/ipc/router.js';
import { ComputersRepo } from '../../main/store/computersRepo.js';
import { openDatabase } from '../../main/store/database.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';

const N = 50_000;

/** Counts the event loop's turns while `work` runs, and the longest stretch main went without one. */
async function withTurns<T>(work: () => Promise<T>): Promise<{ result: T; turns: number; longestMs: number; ms: number }> {
  let turns = 0;
  let last = performance.now();
  let longestMs = 0;
  let running = true;
  const tick = () => {
    const now = performance.now();
    longestMs = Math.max(longestMs, now - last);
    last = now;
    turns += 1;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const t0 = performance.now();
  const result = await work();
  const ms = performance.now() - t0;
  running = false;
  return { result, turns, longestMs, ms };
}

describe('tasks.targets page by page', () => {
  let dir = '';
  let services: ConsoleServices;
  let taskId = 0;
  const trusted: Sender = { shell: 'browser', url: 'http://127.0.0.1:1' };

  before(() => {
    dir = makeTempDir('pic-scale-');
    services = createConsoleServices({ dataDir: path.join(dir, 'data'), shell: 'electron' });
    // Another task first, so that this task's ids do not start at 1.
    services.tasks.create({ name: 'other', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'X' }] });
    taskId = services.tasks.create({
      name: 'big', packageId: null, scheduledAt: null,
      targets: Array.from({ length: 12_345 }, (_, i) => ({ computerId: null, computerName: `PC-${i}` })),
    }).taskId;
  });
  after(() => {
    services?.close();
    removeDir(dir);
  });

  test('pages of 5 000 join to exactly the unpaged list, in id order; past the end is empty', async () => {
    const all = await services.handlers['tasks.targets']({ taskId });
    assert.equal(all.length, 12_345);
    const pages = [];
    for (let offset = 0; offset < 20_000; offset += 5_000) pages.push(await services.handlers['tasks.targets']({ taskId, offset, limit: 5_000 }));
    assert.deepEqual(pages.map((p) => p.length), [5_000, 5_000, 2_345, 0]);
    assert.deepEqual(pages.flat(), all);
    assert.deepEqual((await services.handlers['tasks.targets']({ taskId, offset: 4_999, limit: 2 })).map((t) => t.computerName), ['PC-4999', 'PC-5000']);
  });

  test('the contract bounds a page at 5 000 and refuses a negative offset; the unpaged call stays', async () => {
    const router = createRouter(services.handlers, () => true);
    const refused = await router.dispatch('tasks.targets', { taskId, offset: 0, limit: 5_001 }, trusted);
    assert.equal(refused.ok, false);
    assert.equal((await router.dispatch('tasks.targets', { taskId, offset: -1, limit: 10 }, trusted)).ok, false);
    const page = await router.dispatch('tasks.targets', { taskId, offset: 12_000, limit: 5_000 }, trusted);
    assert.ok(page.ok && (page.result as unknown[]).length === 345);
    const whole = await router.dispatch('tasks.targets', { taskId }, trusted);
    assert.ok(whole.ok && (whole.result as unknown[]).length === 12_345);
  });

  test('the caps are 50 000: tasks.targetsById and computers.remove take 50 000 ids; they, computers.add and history.exportLogs refuse 50 001', async () => {
    const router = createRouter(services.handlers, () => true);
    const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    const tooMany = await router.dispatch('tasks.targetsById', { taskId, targetIds: ids(N + 1) }, trusted);
    assert.equal(tooMany.ok, false);
    const byId = await router.dispatch('tasks.targetsById', { taskId, targetIds: ids(N) }, trusted);
    assert.ok(byId.ok && (byId.result as unknown[]).length === 12_345);
    assert.equal((await router.dispatch('computers.add', { entries: Array.from({ length: N + 1 }, (_, i) => `cap-${i}`) }, trusted)).ok, false);
    assert.equal((await router.dispatch('history.exportLogs', { taskId, targetIds: ids(N + 1) }, trusted)).ok, false);
    assert.equal((await router.dispatch('computers.remove', { ids: ids(N + 1) }, trusted)).ok, false);
    assert.ok((await router.dispatch('computers.remove', { ids: ids(N) }, trusted)).ok);
  });
});

describe('50 000 computers at once', () => {
  let dir = '';
  before(() => (dir = makeTempDir('pic-scale-add-')));
  after(() => removeDir(dir));

  test('addInChunks writes 2 000 per transaction, yields between them and reports each chunk; duplicates across chunks are found', async () => {
    const db = openDatabase({ location: path.join(dir, 'repo') });
    try {
      const repo = new ComputersRepo(db);
      repo.addMany([{ name: 'PC-49999' }]);
      const reported: number[] = [];
      const list = Array.from({ length: N }, (_, i) => ({ name: `PC-${i}`, address: null }));
      const { result, turns, longestMs, ms } = await withTurns(() => repo.addInChunks(list, 2_000, (done, total) => { assert.equal(total, N); reported.push(done); }));
      console.log(`addInChunks: ${N} computers in ${ms.toFixed(0)} ms, ${reported.length} transactions, the event loop turned ${turns} times, longest stretch without a turn ${longestMs.toFixed(1)} ms`);
      assert.equal(reported.length, 25);
      assert.equal(reported.at(-1), N);
      assert.equal(result.added.length, N - 1);
      assert.deepEqual(result.duplicates, ['PC-49999']);
      assert.equal(repo.lowerCaseNames().size, N);
      assert.ok(repo.lowerCaseNames().has('pc-12345'));
      assert.ok(turns >= 24, `the event loop turned between chunks: ${turns}`);
    } finally {
      db.close();
    }
  });

  test('computers.add of 50 000 entries through the handler: all stored, main never held for the whole add', async () => {
    const services = createConsoleServices({ dataDir: path.join(dir, 'handler'), shell: 'electron' });
    try {
      const entries = Array.from({ length: N }, (_, i) => (i % 2 ? `ws-${i}.corp.example` : `10.${200 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`));
      const { result, turns, longestMs, ms } = await withTurns(async () => services.handlers['computers.add']({ entries }));
      console.log(`computers.add: ${N} entries in ${ms.toFixed(0)} ms; longest stretch without an event-loop turn ${longestMs.toFixed(1)} ms (${turns} turns)`);
      assert.equal(result.added.length, N);
      assert.ok(turns > 20, `${turns} turns`);
      assert.ok(longestMs < ms / 4, `main was held ${longestMs.toFixed(0)} ms of ${ms.toFixed(0)} ms`);
      const all = await services.handlers['computers.list']({});
      assert.equal(all.length, N);
      // Only the named computers (bound 500 to a statement): 50 000 ids and a few of them, in name order; ids gone are skipped.
      const some = [all[40_000]!.id, all[3]!.id, 999_999, all[49_999]!.id];
      assert.deepEqual((await services.handlers['computers.list']({ ids: some })).map((c) => c.id), [all[3]!.id, all[40_000]!.id, all[49_999]!.id]);
      const t0 = performance.now();
      const everyId = await services.handlers['computers.list']({ ids: all.map((c) => c.id) });
      console.log(`computers.list by ${N} ids: ${(performance.now() - t0).toFixed(0)} ms`);
      assert.deepEqual(everyId.map((c) => c.id), all.map((c) => c.id));
    } finally {
      services.close();
    }
  });

  test('a 50 000-line preview runs in slices with yields and finds what the one-piece preview finds', async () => {
    const text = Array.from({ length: N }, (_, i) => (i % 2 ? `ws-${i}.corp.example` : `10.${200 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`)).join('\n');
    const t0 = performance.now();
    const whole = previewComputerList(text, new Set(['ws-1.corp.example']));
    const oneSlice = performance.now() - t0;
    const { result, turns, longestMs, ms } = await withTurns(() => previewComputerListInChunks(text, new Set(['ws-1.corp.example'])));
    console.log(`preview of ${N} lines: ${oneSlice.toFixed(0)} ms in one piece; in slices ${ms.toFixed(0)} ms, longest stretch without a turn ${longestMs.toFixed(1)} ms (${turns} turns)`);
    assert.deepEqual(result, whole);
    assert.equal(result.entries.length, N - 1);
    assert.deepEqual(result.duplicates, [{ line: 2, entry: 'ws-1.corp.example', existing: true }]);
    assert.ok(turns >= 24, `${turns} turns`);
  });
});

test('the CSV of a 50 000-target task is built in pieces, every row present and a secret scrubbed wherever it falls', (t) => {
  const dir = makeTempDir('pic-scale-csv-');
  t.after(() => removeDir(dir));
  const db = openDatabase({ location: dir });
  t.after(() => db.close());
  const tasks = new TasksRepo(db);
  const { taskId, targetIds } = tasks.create({
    name: 'csv', packageId: null, scheduledAt: null,
    targets: Array.from({ length: N }, (_, i) => ({ computerId: null, computerName: `PC-${i}`, credentialId: null })),
  });
  tasks.updateTarget(targetIds[30_123]!, { state: 'done', outcome: 'failed', error_message: 'the server echoed S3cr3t-Pa55 back' });
  tasks.updateTarget(targetIds[999]!, { state: 'done', outcome: 'failed', error_message: 'own L4ps-Secret here' });
  const t0 = performance.now();
  const csv = exportCsv({ tasks, secretsOf: () => ['S3cr3t-Pa55'], targetSecrets: (id) => (id === targetIds[999] ? ['L4ps-Secret'] : []) }, taskId);
  console.log(`CSV of ${N} targets: ${(csv.text.length / 1e6).toFixed(1)} MB in ${(performance.now() - t0).toFixed(0)} ms`);
  const lines = csv.text.split('\r\n');
  assert.equal(lines.length, N + 2, 'header, 50 000 rows and the last line break');
  assert.match(lines[1]!, /^PC-0,/);
  assert.match(lines[N]!, /^PC-49999,/);
  assert.ok(!csv.text.includes('S3cr3t-Pa55') && !csv.text.includes('L4ps-Secret'));
  assert.ok(lines[30_124]!.includes(`the server echoed ${REDACTED} back`));
  assert.ok(lines[1_000]!.includes(`own ${REDACTED} here`));
});

test('the logs ZIP of 33 000 targets with an MSI log each holds 66 002 files (ZIP64 end records) and main turns between chunks', async (t) => {
  const dir = makeTempDir('pic-scale-zip-');
  t.after(() => removeDir(dir));
  const db = openDatabase({ location: dir });
  t.after(() => db.close());
  const tasks = new TasksRepo(db);
  const n = 33_000;
  const { taskId, targetIds } = tasks.create({ name: 'zip', packageId: null, scheduledAt: null, targets: Array.from({ length: n }, (_, i) => ({ computerId: null, computerName: `PC-${i}` })) });
  tasks.batch(targetIds.map((id, i) => () => {
    tasks.appendStep(id, 'connecting', `TCP 445 on PC-${i}`);
    tasks.updateTarget(id, { state: 'done', outcome: 'succeeded', msi_log: `MSI (s) PC-${i}: Product: Agent -- Installation completed successfully.` });
  }));
  const { result: zip, turns, longestMs, ms } = await withTurns(() => exportLogsZip({ tasks, secretsOf: () => [] }, taskId));
  console.log(`logs ZIP of ${n} targets: ${zip.entries} files, ${(zip.data.length / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms; longest stretch without an event-loop turn ${longestMs.toFixed(0)} ms (${turns} turns)`);
  assert.equal(zip.entries, 2 * n + 2);
  assert.ok(turns >= n / 500 - 1, `${turns} turns`);
  // The classic end record says 0xFFFF; the ZIP64 record (found through its locator) has the count and the directory.
  const data = zip.data;
  const end = data.length - 22;
  assert.equal(data.readUInt32LE(end), 0x06054b50);
  assert.equal(data.readUInt16LE(end + 10), 0xffff);
  const locator = end - 20;
  assert.equal(data.readUInt32LE(locator), 0x07064b50);
  const record = Number(data.readBigUInt64LE(locator + 8));
  assert.equal(data.readUInt32LE(record), 0x06064b50);
  assert.equal(Number(data.readBigUInt64LE(record + 32)), 2 * n + 2);
  let at = Number(data.readBigUInt64LE(record + 48));
  const names: string[] = [];
  for (let i = 0; i < 2 * n + 2; i++) {
    assert.equal(data.readUInt32LE(at), 0x02014b50, `central header ${i}`);
    const nameLength = data.readUInt16LE(at + 28);
    names.push(data.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + data.readUInt16LE(at + 30) + data.readUInt16LE(at + 32);
  }
  assert.equal(at, record);
  const last = `PC-${n - 1}-${targetIds[n - 1]}/msi.log`;
  assert.ok(names.includes(last) && names[0] === 'results.csv' && names.at(-1) === 'README.txt');
});
