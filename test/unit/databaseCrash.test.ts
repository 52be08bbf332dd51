// The crash test: a writer process is killed with SIGKILL mid-write; on reopen the database is
// intact, every commit it reported is there, and nothing it had not committed is.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DATABASE_FILE_NAME, integrityCheck, openDatabase, type Db } from '../../main/store/database.js';
import { spawnTsWorker } from '../support/childProcess.js';
import { MID_TRANSACTION_ROWS, TARGETS_PER_TASK, UNCOMMITTED_PREFIX } from '../support/crashWriterConstants.js';
import { tempDirFor } from '../support/tempDir.js';

const WRITER = 'test/support/crashWriter.ts';

function count(db: Db, sql: string, ...params: unknown[]): number {
  return (db.prepare(sql).pluck().get(...params) as number) ?? 0;
}

describe('database survives SIGKILL', { timeout: 120_000 }, () => {
  test('killed inside an open 50,000-row transaction: integrity ok, all 200 committed rows present, no uncommitted row', async (t) => {
    const dir = tempDirFor(t, 'pic-crash-big-');
    const committed = 200;
    const worker = spawnTsWorker(WRITER, [dir, 'big-transaction', String(committed)]);
    t.after(() => worker.kill());

    const committedLine = await worker.waitForLine((l) => l.startsWith('committed '));
    assert.match(committedLine, new RegExp(`^committed ${committed} wal=\\d+$`));
    const walAtCommit = Number(/wal=(\d+)/.exec(committedLine)?.[1]);
    await worker.waitForLine((l) => l.startsWith('mid-transaction '));
    process.kill(worker.pid, 'SIGKILL');
    const exit = await worker.exited();
    assert.equal(exit.signal, 'SIGKILL', `the writer must die by the kill, not exit on its own (${JSON.stringify(exit)})`);

    // The open transaction had spilled into the WAL file: the kill left uncommitted frames on
    // disk, so reopening really has to discard them (not just lose an in-memory cache).
    const walPath = path.join(dir, DATABASE_FILE_NAME + '-wal');
    const walAtKill = fs.statSync(walPath).size;
    t.diagnostic(`WAL after ${committed} commits: ${walAtCommit} bytes; at the kill: ${walAtKill} bytes`);
    assert.ok(walAtKill > walAtCommit, 'uncommitted pages reached the WAL before the kill');

    const db = openDatabase({ location: dir });
    t.after(() => db.close());
    assert.equal(integrityCheck(db), 'ok');
    assert.equal(count(db, 'SELECT COUNT(*) FROM computers WHERE name LIKE ?', 'committed-%'), committed);
    for (let i = 1; i <= committed; i++) {
      const name = `committed-${String(i).padStart(5, '0')}`;
      assert.equal(count(db, 'SELECT COUNT(*) FROM computers WHERE name = ?', name), 1, name);
    }
    assert.equal(count(db, 'SELECT COUNT(*) FROM computers WHERE name LIKE ?', `${UNCOMMITTED_PREFIX}%`), 0);
    assert.equal(count(db, 'SELECT COUNT(*) FROM computers'), committed);
    // And the database takes new writes after recovery.
    db.prepare("INSERT INTO computers (name, created_at) VALUES ('after-crash', '2025-01-01')").run();
    assert.equal(count(db, 'SELECT COUNT(*) FROM computers'), committed + 1);
    assert.ok(MID_TRANSACTION_ROWS >= 50_000);
  });

  test('killed at a random point in a stream of small commits: every reported commit is present and whole', async (t) => {
    const dir = tempDirFor(t, 'pic-crash-stream-');
    const killAfter = crypto.randomInt(20, 400);
    t.diagnostic(`killing after ${killAfter} reported commits`);
    const worker = spawnTsWorker(WRITER, [dir, 'stream']);
    t.after(() => worker.kill());

    const isCommit = (l: string) => l.startsWith('committed ');
    await worker.waitForLine(() => worker.lines.filter(isCommit).length >= killAfter);
    process.kill(worker.pid, 'SIGKILL');
    const exit = await worker.exited();
    assert.equal(exit.signal, 'SIGKILL', JSON.stringify(exit));

    const reported = worker.lines.filter(isCommit).map((l) => {
      const [, computerId, taskId] = l.split(' ');
      return { computerId: Number(computerId), taskId: Number(taskId) };
    });
    assert.ok(reported.length >= killAfter);
    t.diagnostic(`the writer reported ${reported.length} commits before it died`);

    const db = openDatabase({ location: dir });
    t.after(() => db.close());
    assert.equal(integrityCheck(db), 'ok');
    for (const { computerId, taskId } of reported) {
      assert.equal(count(db, 'SELECT COUNT(*) FROM computers WHERE id = ?', computerId), 1, `computer ${computerId}`);
      assert.equal(count(db, 'SELECT COUNT(*) FROM tasks WHERE id = ?', taskId), 1, `task ${taskId}`);
      assert.equal(count(db, 'SELECT COUNT(*) FROM task_targets WHERE task_id = ?', taskId), TARGETS_PER_TASK, `targets of task ${taskId}`);
    }
    // Whatever committed after the last line read is whole too: no task without its targets or computer.
    const computers = count(db, 'SELECT COUNT(*) FROM computers');
    assert.ok(computers >= reported.length);
    assert.equal(count(db, 'SELECT COUNT(*) FROM tasks'), computers);
    assert.equal(count(db, 'SELECT COUNT(*) FROM task_targets'), computers * TARGETS_PER_TASK);
    assert.equal(
      count(db, `SELECT COUNT(*) FROM tasks t WHERE (SELECT COUNT(*) FROM task_targets tt WHERE tt.task_id = t.id) <> ${TARGETS_PER_TASK}`),
      0,
    );
    // Commits are sequential, so the survivors are exactly the first N.
    assert.equal(count(db, 'SELECT MAX(id) FROM computers'), computers);
  });
});
