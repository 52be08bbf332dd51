// History's paged read of a task's targets (tasks.targets with offset/limit): one page's ids in
// id order, straight from the task_targets(task_id) index, then each row as tasks.targetsById
// reads it. A page of 5 000 of a 50 000-target task costs what 5 000 rows cost, not the whole task.
import type { Db } from '../store/database.js';

/** The ids of a task's targets from `offset` on, at most `limit`, in id order. */
export type TargetIdPage = (taskId: number, offset: number, limit: number) => number[];

export function targetIdPage(db: Db): TargetIdPage {
  return (taskId, offset, limit) =>
    db.prepare('SELECT id FROM task_targets WHERE task_id = ? ORDER BY id LIMIT ? OFFSET ?').pluck().all(taskId, limit, offset) as number[];
}
