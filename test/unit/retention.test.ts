// Log retention (Configuration → "Keep logs (days)", main/app/retention.ts): history older than the
// setting goes — tasks, targets, step logs — but not a task still running or waiting, nor one whose
// leftovers are still on a computer; a changed setting applies at the next sweep.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sweepHistory } from '../../main/app/retention.js';
import { openDatabase } from '../../main/store/database.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-24T12:00:00Z');

test('tasks that ended before the cutoff go with their targets and logs; running, scheduled, recent and leftover-holding ones stay', () => {
  const db = openDatabase({ location: ':memory:' });
  const tasks = new TasksRepo(db);
  const make = (name: string, status: 'finished' | 'cancelled' | 'running' | 'pending', endedDaysAgo: number | null, leftovers = false) => {
    const { taskId, targetIds } = tasks.create({ name, packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: `${name}-1` }, { computerId: null, computerName: `${name}-2` }] });
    for (const id of targetIds) {
      tasks.appendStep(id, 'probe', 'TCP 445 answered');
      tasks.appendStep(id, 'done', 'failed (offline)');
    }
    db.prepare('UPDATE tasks SET status = ?, finished_at = ? WHERE id = ?').run(status, endedDaysAgo === null ? null : new Date(NOW.getTime() - endedDaysAgo * DAY).toISOString(), taskId);
    if (leftovers) db.prepare('UPDATE task_targets SET leftovers = ? WHERE id = ?').run('{"service":"PushInstall-r1","files":[],"directories":[]}', targetIds[0]);
    return taskId;
  };
  const old = make('old', 'finished', 100);
  const oldCancelled = make('old-cancelled', 'cancelled', 91);
  const recent = make('recent', 'finished', 10);
  const running = make('running', 'running', null);
  const waiting = make('waiting', 'pending', null);
  const withLeftovers = make('leftovers', 'finished', 200, true);
  const lines: string[] = [];
  let days = 90;
  const o = { tasks, settings: () => ({ logRetentionDays: days }), log: (l: string) => lines.push(l), now: () => NOW };

  assert.deepEqual(sweepHistory(o), { tasks: 2, targets: 4, kept: 1 });
  const left = (db.prepare('SELECT id FROM tasks ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  assert.deepEqual(left, [recent, running, waiting, withLeftovers]);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM task_targets WHERE task_id IN (?, ?)').get(old, oldCancelled) as { n: number }).n, 0);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM step_logs').get() as { n: number }).n, 4 * 2 * 2, 'the logs of the removed targets went with them');
  assert.match(lines.join('\n'), /Removed 2 task\(s\) that ended more than 90 day\(s\) ago, with the logs of their 4 computer\(s\)/);
  assert.match(lines.join('\n'), /Kept 1 task\(s\) older than 90 day\(s\): what their pushes left is still on computers/, 'the kept task is named, with why');

  assert.deepEqual(sweepHistory(o), { tasks: 0, targets: 0, kept: 1 }, 'nothing more to remove');
  assert.equal(lines.filter((l) => l.startsWith('Removed')).length, 1, 'a sweep that removes nothing says nothing of removing');
  days = 7;
  assert.deepEqual(sweepHistory(o), { tasks: 1, targets: 2, kept: 1 }, 'a shorter setting applies at the next sweep');
  assert.deepEqual((db.prepare('SELECT name FROM tasks ORDER BY id').all() as { name: string }[]).map((r) => r.name), ['running', 'waiting', 'leftovers']);
  db.close();
});
