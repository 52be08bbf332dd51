// Installation tasks, their targets and each target's step log: the Installation History.
import type { RestartState, StepLogEntry, TargetState, TaskSummary, TaskTarget, Transport } from '../ipc/contract.js';
import type { Db } from './database.js';
import { defaultAdvice, isErrorClass } from '../ipc/errorClasses.js';

/** A task's action from its options (`{"action": "uninstall"}`); install when absent (older tasks) or unreadable. */
export function actionOf(optionsJson: string): TaskSummary['action'] {
  try {
    const action = (JSON.parse(optionsJson) as { action?: unknown } | null)?.action;
    return action === 'uninstall' || action === 'repair' || action === 'restart' ? action : 'install';
  } catch {
    return 'install';
  }
}

/** A task's transport from its options; callback for tasks from before the option (they always called back). */
export function transportOf(optionsJson: string): Transport {
  try {
    const transport = (JSON.parse(optionsJson) as { transport?: unknown } | null)?.transport;
    return transport === 'smb' || transport === 'auto' ? transport : 'callback';
  } catch {
    return 'callback';
  }
}

export interface NewTask {
  readonly name: string;
  readonly packageId: number | null;
  readonly scheduledAt: string | null;
  readonly options?: Record<string, unknown>;
  readonly targets: readonly { computerId: number | null; computerName: string; credentialId?: number | null; address?: string | null; port?: number | null }[];
}

/** Every column of a target the engine reads and writes. */
export interface TargetRecord {
  id: number;
  task_id: number;
  computer_id: number | null;
  computer_name: string;
  credential_id: number | null;
  state: TargetState;
  outcome: TaskTarget['outcome'];
  error_class: string | null;
  error_code: string | null;
  error_message: string | null;
  advice: string | null;
  progress: number | null;
  started_at: string | null;
  finished_at: string | null;
  address: string | null;
  port: number | null;
  run_id: string | null;
  service_name: string | null;
  exit_code: number | null;
  reboot_required: number;
  leftovers: string | null;
  attempts: number;
  msi_log: string | null;
  /** A LAPS target: the attribute its password was read from (msLAPS-Password, ms-Mcs-AdmPwd) and the local account used. */
  laps_attribute: string | null;
  laps_account: string | null;
  /** Which transport carried the last attempt's package and result; null before the agent ran. */
  transport: 'callback' | 'smb' | null;
  /** Which mechanism logged on in the last attempt (migration 8); null before a logon. */
  auth_mechanism: 'kerberos' | 'ntlm' | null;
  /** The restart the task's reboot policy asked for (restartFollower.ts): its state, latest moment and what the console saw. */
  restart_state: RestartState | null;
  restart_at: string | null;
  restart_detail: string | null;
}

export type TargetChanges = Partial<Omit<TargetRecord, 'id' | 'task_id' | 'computer_id' | 'computer_name'>>;

export interface TaskRecord {
  id: number;
  name: string;
  package_id: number | null;
  scheduled_at: string | null;
  options_json: string;
  created_at: string;
  status: 'pending' | 'running' | 'finished' | 'cancelled';
  started_at: string | null;
  finished_at: string | null;
}

/** The columns updateTarget (and the workers' fenced writes, main/workers/leases.ts) may change. */
export const TARGET_COLUMNS: ReadonlySet<string> = new Set([
  'credential_id', 'state', 'outcome', 'error_class', 'error_code', 'error_message', 'advice', 'progress', 'started_at', 'finished_at',
  'address', 'port', 'run_id', 'service_name', 'exit_code', 'reboot_required', 'leftovers', 'attempts', 'msi_log', 'laps_attribute', 'laps_account', 'transport', 'auth_mechanism',
  'restart_state', 'restart_at', 'restart_detail',
]);

function toTaskTarget(r: TargetRecord, queuePosition: (targetId: number) => number | null): TaskTarget {
  return {
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
    errorMessage: r.error_message,
    // A target that ended in a class without advice of its own (cancelled before it started, a bug) shows its class's.
    advice: r.advice ?? (r.error_class && isErrorClass(r.error_class) ? defaultAdvice(r.error_class) : null),
    exitCode: r.exit_code,
    rebootRequired: r.reboot_required === 1,
    leftovers: r.leftovers,
    attempts: r.attempts,
    queuePosition: r.state === 'queued' ? queuePosition(r.id) : null,
    credentialId: r.credential_id,
    transport: r.transport,
    authMechanism: r.auth_mechanism,
    restart: r.restart_state,
    restartAt: r.restart_at,
    restartDetail: r.restart_detail,
  };
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
      // Each target's site is its computer's when the task is made (the workers of that site claim it).
      const insertTarget = this.db.prepare(
        'INSERT INTO task_targets (task_id, computer_id, computer_name, credential_id, address, port, site_id) VALUES (?, ?, ?, ?, ?, ?, (SELECT site_id FROM computers WHERE id = ?))',
      );
      const targetIds = task.targets.map((t) =>
        Number(insertTarget.run(taskId, t.computerId, t.computerName, t.credentialId ?? null, t.address ?? null, t.port ?? null, t.computerId).lastInsertRowid),
      );
      return { taskId, targetIds };
    })();
  }

  list(): TaskSummary[] {
    const rows = this.db
      .prepare(
        `SELECT t.id, t.name, p.name AS package_name, t.options_json, t.scheduled_at, t.created_at,
                COUNT(tt.id) AS targets,
                COALESCE(SUM(CASE WHEN tt.outcome IN ('succeeded', 'succeeded-reboot-required') THEN 1 ELSE 0 END), 0) AS succeeded,
                COALESCE(SUM(CASE WHEN tt.outcome = 'failed' THEN 1 ELSE 0 END), 0) AS failed,
                COALESCE(SUM(CASE WHEN tt.state NOT IN ('queued', 'done', 'waiting-for-credentials') THEN 1 ELSE 0 END), 0) AS running,
                COALESCE(SUM(CASE WHEN tt.state = 'waiting-for-credentials' THEN 1 ELSE 0 END), 0) AS waiting,
                COALESCE(SUM(CASE WHEN tt.leftovers IS NOT NULL AND tt.state = 'done' THEN 1 ELSE 0 END), 0) AS leftovers,
                t.status, t.started_at, t.finished_at
           FROM tasks t
           LEFT JOIN packages p ON p.id = t.package_id
           LEFT JOIN task_targets tt ON tt.task_id = t.id
          GROUP BY t.id, p.name
          ORDER BY t.id DESC`,
      )
      .all() as {
      id: number; name: string; package_name: string | null; options_json: string; scheduled_at: string | null; created_at: string;
      targets: number; succeeded: number; failed: number; running: number; waiting: number; leftovers: number;
      status: TaskRecord['status']; started_at: string | null; finished_at: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      packageName: r.package_name,
      action: actionOf(r.options_json),
      transport: transportOf(r.options_json),
      scheduledAt: r.scheduled_at,
      createdAt: r.created_at,
      targets: r.targets,
      succeeded: r.succeeded,
      failed: r.failed,
      running: r.running,
      waiting: r.waiting,
      leftovers: r.leftovers,
      status: r.status,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
    }));
  }

  /** Targets whose restart is still followed (scheduled, or the computer down): the engine follows them again at start. */
  pendingRestarts(): TargetRecord[] {
    return this.db.prepare("SELECT * FROM task_targets WHERE restart_state IN ('scheduled', 'restarting') ORDER BY id").all() as unknown as TargetRecord[];
  }

  targets(taskId: number, queuePosition: (targetId: number) => number | null = () => null): TaskTarget[] {
    const rows = this.db.prepare('SELECT * FROM task_targets WHERE task_id = ? ORDER BY id').all(taskId) as TargetRecord[];
    return rows.map((r) => toTaskTarget(r, queuePosition));
  }

  /** Only the given targets of a task (History reloads the ones that just finished). */
  targetsByIds(taskId: number, targetIds: readonly number[], queuePosition: (targetId: number) => number | null = () => null): TaskTarget[] {
    const select = this.db.prepare('SELECT * FROM task_targets WHERE id = ? AND task_id = ?');
    return targetIds.flatMap((id) => {
      const r = select.get(id, taskId) as TargetRecord | undefined;
      return r ? [toTaskTarget(r, queuePosition)] : [];
    });
  }

  appendStep(targetId: number, step: string, detail: string, code: string | null = null, at: string = this.now().toISOString()): StepLogEntry {
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

  task(taskId: number): TaskRecord | undefined {
    return this.db.prepare('SELECT * FROM tasks WHERE id = ?').get(taskId) as TaskRecord | undefined;
  }

  /** Tasks not finished or cancelled: the engine's work at start-up. */
  openTasks(): TaskRecord[] {
    return this.db.prepare("SELECT * FROM tasks WHERE status IN ('pending', 'running') ORDER BY id").all() as TaskRecord[];
  }

  setTaskStatus(taskId: number, status: TaskRecord['status']): void {
    const at = this.now().toISOString();
    if (status === 'running') this.db.prepare('UPDATE tasks SET status = ?, started_at = COALESCE(started_at, ?), finished_at = NULL WHERE id = ?').run(status, at, taskId);
    else if (status === 'pending') this.db.prepare('UPDATE tasks SET status = ? WHERE id = ?').run(status, taskId);
    else this.db.prepare('UPDATE tasks SET status = ?, finished_at = ? WHERE id = ?').run(status, at, taskId);
  }

  /**
   * Log retention (Configuration → Keep logs): removes tasks that ended before `cutoff`, with their
   * targets and step logs (ON DELETE CASCADE), in one transaction. A task with a target whose
   * leftovers are still on a computer is kept: Remove leftovers needs its record.
   */
  pruneEndedBefore(cutoff: Date): { tasks: number; targets: number; kept: number } {
    const old = this.db
      .prepare(
        `SELECT t.id, EXISTS (SELECT 1 FROM task_targets x WHERE x.task_id = t.id AND x.leftovers IS NOT NULL) AS has_leftovers
           FROM tasks t WHERE t.status IN ('finished', 'cancelled') AND t.finished_at IS NOT NULL AND t.finished_at < ?`,
      )
      .all(cutoff.toISOString()) as { id: number; has_leftovers: number }[];
    const ids = old.filter((r) => !r.has_leftovers).map((r) => r.id);
    const kept = old.length - ids.length;
    if (ids.length === 0) return { tasks: 0, targets: 0, kept };
    return this.db.transaction(() => {
      let targets = 0;
      const count = this.db.prepare('SELECT COUNT(*) AS n FROM task_targets WHERE task_id = ?');
      const remove = this.db.prepare('DELETE FROM tasks WHERE id = ?');
      for (const id of ids) {
        targets += (count.get(id) as { n: number }).n;
        remove.run(id);
      }
      return { tasks: ids.length, targets, kept };
    })();
  }

  targetRecords(taskId: number): TargetRecord[] {
    return this.db.prepare('SELECT * FROM task_targets WHERE task_id = ? ORDER BY id').all(taskId) as TargetRecord[];
  }

  /** What starting a task reads of each target: its id, state and credential (not the whole row, for 20 000 of them). */
  targetStates(taskId: number): Pick<TargetRecord, 'id' | 'state' | 'credential_id'>[] {
    return this.db.prepare('SELECT id, state, credential_id FROM task_targets WHERE task_id = ? ORDER BY id').all(taskId) as Pick<TargetRecord, 'id' | 'state' | 'credential_id'>[];
  }

  /** A task's targets counted: all, not done, and succeeded (with or without a reboot required). */
  targetTally(taskId: number): { targets: number; notDone: number; succeeded: number } {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS targets, COALESCE(SUM(CASE WHEN state <> 'done' THEN 1 ELSE 0 END), 0) AS notDone,
                COALESCE(SUM(CASE WHEN outcome IN ('succeeded', 'succeeded-reboot-required') THEN 1 ELSE 0 END), 0) AS succeeded
           FROM task_targets WHERE task_id = ?`,
      )
      .get(taskId) as { targets: number; notDone: number; succeeded: number };
    return { targets: Number(row.targets), notDone: Number(row.notDone), succeeded: Number(row.succeeded) };
  }

  targetRecord(targetId: number): TargetRecord | undefined {
    return this.db.prepare('SELECT * FROM task_targets WHERE id = ?').get(targetId) as TargetRecord | undefined;
  }

  /** Targets a push was working on (not queued, waiting or done): after a crash these are interrupted. */
  inFlightTargets(): TargetRecord[] {
    return this.db.prepare("SELECT * FROM task_targets WHERE state NOT IN ('queued', 'done', 'waiting-for-credentials') ORDER BY id").all() as TargetRecord[];
  }

  /** Ended targets whose push left something on the computer (a running push's record is not a leftover yet). */
  targetsWithLeftovers(): TargetRecord[] {
    return this.db.prepare("SELECT * FROM task_targets WHERE leftovers IS NOT NULL AND state = 'done' ORDER BY id").all() as TargetRecord[];
  }

  /** Every target of the given computers, in any task. */
  targetsOfComputers(computerIds: readonly number[]): TargetRecord[] {
    const select = this.db.prepare('SELECT * FROM task_targets WHERE computer_id = ? ORDER BY id');
    return computerIds.flatMap((id) => select.all(id) as TargetRecord[]);
  }

  updateTarget(targetId: number, changes: TargetChanges): void {
    const keys = Object.keys(changes).filter((k) => TARGET_COLUMNS.has(k));
    if (keys.length === 0) return;
    const values = keys.map((k) => (changes as Record<string, unknown>)[k] ?? null);
    this.db.prepare(`UPDATE task_targets SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`).run(...values, targetId);
  }

  /** Runs a batch of writes in one transaction (one fsync): the engine's journal. */
  batch(writes: readonly (() => void)[]): void {
    this.db.transaction(() => {
      for (const write of writes) write();
    })();
  }
}
