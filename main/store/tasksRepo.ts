// Installation tasks, their targets and each target's step log: the Installation History.
import type { StepLogEntry, TargetState, TaskSummary, TaskTarget } from '../ipc/contract.js';
import type { Db } from './database.js';

export interface NewTask {
  readonly name: string;
  readonly packageId: number | null;
  readonly scheduledAt: string | null;
  readonly options?: Record<string, unknown>;
  readonly targets: readonly { computerId: number | null; computerName: string; credentialId?: number | null }[];
}

interface TargetRow {
  id: number;
  task_id: number;
  computer_name: string;
  state: TargetState;
  outcome: TaskTarget['outcome'];
  error_class: string | null;
  error_code: string | null;
  progress: number | null;
  started_at: string | null;
  finished_at: string | null;
}

export class TasksRepo {
  constructor(private readonly db: Db, private readonly now: () => Date = () => new Date()) {}

  /** The task and all its targets are written in one transaction, before anything runs. */
  create(task: NewTask): { taskId: number; targetIds: number[] } {
    return this.db.transaction(() => {
      const createdAt = this.now().toISOString();
      const taskId = Number(
        this.db
          .prepare('INSERT INTO tasks (name, package_id, scheduled_at, options_json, created_at) VALUES (?, ?, ?, ?, ?)')
          .run(task.name, task.packageId, task.scheduledAt, JSON.stringify(task.options ?? {}), createdAt).lastInsertRowid,
      );
      const insertTarget = this.db.prepare(
        'INSERT INTO task_targets (task_id, computer_id, computer_name, credential_id) VALUES (?, ?, ?, ?)',
      );
      const targetIds = task.targets.map((t) =>
        Number(insertTarget.run(taskId, t.computerId, t.computerName, t.credentialId ?? null).lastInsertRowid),
      );
      return { taskId, targetIds };
    })();
  }

  list(): TaskSummary[] {
    const rows = this.db
      .prepare(
        `SELECT t.id, t.name, p.name AS package_name, t.scheduled_at, t.created_at,
                COUNT(tt.id) AS targets,
                COALESCE(SUM(tt.outcome IN ('succeeded', 'succeeded-reboot-required')), 0) AS succeeded,
                COALESCE(SUM(tt.outcome = 'failed'), 0) AS failed,
                COALESCE(SUM(tt.state NOT IN ('queued', 'done')), 0) AS running
           FROM tasks t
           LEFT JOIN packages p ON p.id = t.package_id
           LEFT JOIN task_targets tt ON tt.task_id = t.id
          GROUP BY t.id
          ORDER BY t.id DESC`,
      )
      .all() as {
      id: number; name: string; package_name: string | null; scheduled_at: string | null; created_at: string;
      targets: number; succeeded: number; failed: number; running: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      packageName: r.package_name,
      scheduledAt: r.scheduled_at,
      createdAt: r.created_at,
      targets: r.targets,
      succeeded: r.succeeded,
      failed: r.failed,
      running: r.running,
    }));
  }

  targets(taskId: number): TaskTarget[] {
    const rows = this.db.prepare('SELECT * FROM task_targets WHERE task_id = ? ORDER BY id').all(taskId) as TargetRow[];
    return rows.map((r) => ({
      id: r.id,
      taskId: r.task_id,
      computerName: r.computer_name,
      state: r.state,
      outcome: r.outcome,
      errorClass: r.error_class,
      errorCode: r.error_code,
      progress: r.progress,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
    }));
  }

  appendStep(targetId: number, step: string, detail: string, code: string | null = null): StepLogEntry {
    const at = this.now().toISOString();
    const id = Number(
      this.db.prepare('INSERT INTO step_logs (target_id, at, step, detail, code) VALUES (?, ?, ?, ?, ?)').run(targetId, at, step, detail, code)
        .lastInsertRowid,
    );
    return { id, targetId, at, step, detail, code };
  }

  log(targetId: number): StepLogEntry[] {
    return this.db
      .prepare('SELECT id, target_id AS targetId, at, step, detail, code FROM step_logs WHERE target_id = ? ORDER BY id')
      .all(targetId) as StepLogEntry[];
  }
}
