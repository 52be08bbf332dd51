// The push workers' lease store (PostgreSQL only): any number of worker processes, on any
// machines, share the queued targets through the database itself — no queue service of our own.
//
// - A worker CLAIMS queued targets of its site with one statement: a SELECT … FOR UPDATE SKIP
//   LOCKED picks rows no other claimer holds at that moment, and the UPDATE around it gives them
//   an owner, a lease (lease_until, ms since the epoch on the DATABASE's clock, so the workers'
//   clocks do not matter) and a new claim number (PostgreSQL docs, "SELECT — The Locking Clause":
//   "With SKIP LOCKED, any selected rows that cannot be immediately locked are skipped … this can
//   be used to avoid lock contention with multiple consumers accessing a queue-like table").
// - Never two pushes to one computer at once: the partial unique index
//   task_targets_one_claim_per_computer (migration 11) allows one claimed target per computer.
//   The claim only considers a computer with no claimed target, and of its queued targets only
//   the first (the lowest id), so one statement never picks two targets of one computer. Two
//   claimers whose snapshots differ can still each pick a different target of one computer (a
//   target queued again, or committed out of id order, between their snapshots); the second to
//   commit then fails with unique_violation (23505) and nothing of that statement is written, so
//   the claim is simply run again with a fresh snapshot.
// - The claim number is a FENCING TOKEN (Martin Kleppmann, "How to do distributed locking",
//   2016): every write a worker makes for a target carries its owner id and claim number, and
//   changes nothing once they no longer match. A worker paused past its lease (a stopped VM, a
//   long GC, a cut network) whose target was reaped and claimed again cannot overwrite the new
//   owner's result when it wakes up: its UPDATE matches no row, its step log line is not inserted.
// - A lease that ran out still belongs to its worker until the REAPER (any server may run it)
//   returns it to the queue, or fails the target after maxClaims claims with the class
//   lease-expired. Only a target in the queue (owner NULL) can be claimed, so an expired lease is
//   never taken over without the reaper first killing its token.
//
// Statements run on the repositories' synchronous surface (../store/sql.ts), one at a time per
// connection. claim() must not be called inside a transaction: a unique violation aborts the
// transaction, and the retry needs a statement of its own.
import { defaultAdvice } from '../ipc/errorClasses.js';
import type { StepLogEntry } from '../ipc/contract.js';
import type { SqlDb } from '../store/sql.js';
import { TARGET_COLUMNS, type TargetChanges } from '../store/tasksRepo.js';

/** The database's clock in ms since the epoch, the same for the whole statement. */
const DB_NOW = 'CAST(floor(extract(epoch FROM statement_timestamp()) * 1000) AS BIGINT)';

/** PostgreSQL's SQLSTATE unique_violation. */
const UNIQUE_VIOLATION = '23505';

/** How many times a claim is run again after a unique violation before the error is thrown. */
const CLAIM_ATTEMPTS = 10;

export interface WorkerInfo {
  /** Unique per worker process (host, PID and a random part, say). */
  readonly id: string;
  /** The site it pushes for; null: the default site (computers in no site). */
  readonly siteId: number | null;
  /** Where the server or an admin can reach it (its package server), if anywhere. */
  readonly address: string | null;
  readonly version: string;
}

export interface WorkerRecord extends WorkerInfo {
  /** Database clock, ms since the epoch. */
  readonly startedAt: number;
  readonly heartbeatAt: number;
  readonly inFlight: number;
}

/** A target claimed by a worker: what it needs to push it, and its fencing token. */
export interface Lease {
  readonly targetId: number;
  readonly taskId: number;
  readonly computerId: number | null;
  /** The claim number: every write for this target carries it. */
  readonly claim: number;
  /** When the lease runs out unless extended: database clock, ms since the epoch. */
  readonly leaseUntil: number;
}

export type LeaseRef = Pick<Lease, 'targetId' | 'claim'>;

export interface ExtendResult {
  /** Leases still this worker's, with their new end. */
  readonly held: (LeaseRef & { readonly leaseUntil: number })[];
  /** Leases no longer this worker's (reaped, handed back, claimed again): stop writing for them. */
  readonly lost: LeaseRef[];
}

export interface ReapResult {
  /** Expired leases whose targets went back to the queue. */
  readonly requeued: number;
  /** Expired leases whose targets had been claimed maxClaims times: ended failed, lease-expired. */
  readonly failed: number;
  /** Expired leases of targets already ended (their result written, the release lost): only the owner cleared. */
  readonly released: number;
}

export interface LeaseStats {
  /** Claim statements that failed with a unique violation and were run again. */
  claimRetries: number;
}

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export class LeaseStore {
  readonly stats: LeaseStats = { claimRetries: 0 };

  constructor(private readonly db: SqlDb, private readonly now: () => Date = () => new Date()) {
    if (db.dialect !== 'postgres') throw new Error('the push workers\' lease store needs PostgreSQL (FOR UPDATE SKIP LOCKED); the local SQLite store has no workers');
  }

  /** The database's clock, ms since the epoch: the clock leases and heartbeats are on. */
  databaseNow(): number {
    return num(this.db.prepare(`SELECT ${DB_NOW} AS now`).pluck().get());
  }

  // ---- Workers ------------------------------------------------------------------------------

  /** A worker starting: its row made (or made new again, for an id seen before), heartbeat now. */
  registerWorker(info: WorkerInfo): void {
    this.db
      .prepare(
        `INSERT INTO workers (id, site_id, address, version, started_at, heartbeat_at, in_flight, stopped_at)
         VALUES (?, CAST(? AS BIGINT), ?, ?, ${DB_NOW}, ${DB_NOW}, 0, NULL)
         ON CONFLICT (id) DO UPDATE SET site_id = EXCLUDED.site_id, address = EXCLUDED.address, version = EXCLUDED.version,
           started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at, in_flight = 0, stopped_at = NULL
         RETURNING started_at`,
      )
      .run(info.id, info.siteId, info.address, info.version);
  }

  /** The worker is alive with `inFlight` pushes; false when it is unknown or was stopped. */
  heartbeat(workerId: string, inFlight: number): boolean {
    return this.db.prepare(`UPDATE workers SET heartbeat_at = ${DB_NOW}, in_flight = ? WHERE id = ? AND stopped_at IS NULL`).run(inFlight, workerId).changes === 1;
  }

  /** The worker stopped (after handBack): it is no longer live. */
  stopWorker(workerId: string): void {
    this.db.prepare(`UPDATE workers SET stopped_at = ${DB_NOW}, in_flight = 0 WHERE id = ?`).run(workerId);
  }

  /** Workers not stopped whose last heartbeat is at most `staleMs` old (database clock). */
  liveWorkers(staleMs: number): WorkerRecord[] {
    const rows = this.db
      .prepare(
        `SELECT id, site_id, address, version, started_at, heartbeat_at, in_flight FROM workers
          WHERE stopped_at IS NULL AND heartbeat_at >= ${DB_NOW} - CAST(? AS BIGINT) ORDER BY id`,
      )
      .all(staleMs) as Record<string, unknown>[];
    return rows.map((r) => ({
      id: String(r.id),
      siteId: numOrNull(r.site_id),
      address: r.address === null ? null : String(r.address),
      version: String(r.version),
      startedAt: num(r.started_at),
      heartbeatAt: num(r.heartbeat_at),
      inFlight: num(r.in_flight),
    }));
  }

  // ---- Claims and leases --------------------------------------------------------------------

  /**
   * Claims up to `max` queued targets of the site (null: the default site), oldest first, at most
   * one per computer and none of a computer that already has a claimed target; each gets this
   * worker as owner, a lease of `leaseMs` on the database's clock and its claim number bumped.
   * Fewer than `max` (or none) when the rest are claimed, locked by another claimer at that
   * moment, or behind a computer's push.
   */
  claim(workerId: string, siteId: number | null, max: number, leaseMs: number): Lease[] {
    if (max <= 0) return [];
    // One statement. The candidates: queued, unowned, of the site (two texts, so the planner sees
    // `site_id IS NULL` or `site_id = n` and can use the claimable index); their computer has no
    // claimed target (busy: the partial unique index answers it) and they are its first queued
    // target (the lowest id of each computer's queued targets, computed once per statement as a
    // hashed subplan), so a computer's targets go in order, one at a time. A target without a
    // computer (computer_id NULL) is always a candidate: the unique index does not count NULLs. A
    // target of a cancelled task, or of a task waiting for its scheduled time (status pending with
    // a time: the engine marks it running when the time comes), is not claimed.
    const statement = this.db.prepare(
      `WITH picked AS (
         SELECT t.id FROM task_targets t
          WHERE t.owner IS NULL AND t.state = 'queued' AND ${siteId === null ? 't.site_id IS NULL' : 't.site_id = CAST(? AS BIGINT)'}
            AND NOT EXISTS (SELECT 1 FROM tasks k WHERE k.id = t.task_id AND (k.status = 'cancelled' OR (k.status = 'pending' AND k.scheduled_at IS NOT NULL)))
            AND NOT EXISTS (SELECT 1 FROM task_targets busy WHERE busy.computer_id = t.computer_id AND busy.owner IS NOT NULL)
            AND (t.computer_id IS NULL OR t.id IN (SELECT min(first.id) FROM task_targets first
                                                   WHERE first.owner IS NULL AND first.state = 'queued' AND first.computer_id IS NOT NULL
                                                   GROUP BY first.computer_id))
          ORDER BY t.id
          LIMIT CAST(? AS BIGINT)
          FOR UPDATE OF t SKIP LOCKED
       )
       UPDATE task_targets t SET owner = ?, lease_until = ${DB_NOW} + CAST(? AS BIGINT), claim = t.claim + 1
         FROM picked WHERE t.id = picked.id
       RETURNING t.id AS targetId, t.task_id AS taskId, t.computer_id AS computerId, t.claim AS claim, t.lease_until AS leaseUntil`,
    );
    const params = siteId === null ? [max, workerId, leaseMs] : [siteId, max, workerId, leaseMs];
    for (let attempt = 1; ; attempt++) {
      try {
        const rows = statement.all(...params) as Record<string, unknown>[];
        return rows
          .map((r) => ({ targetId: num(r.targetId), taskId: num(r.taskId), computerId: numOrNull(r.computerId), claim: num(r.claim), leaseUntil: num(r.leaseUntil) }))
          .sort((a, b) => a.targetId - b.targetId);
      } catch (error) {
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION || attempt >= CLAIM_ATTEMPTS) throw error;
        this.stats.claimRetries += 1;
      }
    }
  }

  /**
   * Extends the given leases by `leaseMs` from now (database clock) where they are still this
   * worker's — same owner, same claim number, not yet reaped. An expired lease the reaper has not
   * returned yet is still held (nobody else could have claimed it). The rest are lost.
   */
  extend(workerId: string, leases: readonly LeaseRef[], leaseMs: number): ExtendResult {
    if (leases.length === 0) return { held: [], lost: [] };
    const rows = this.db
      .prepare(
        `UPDATE task_targets t SET lease_until = ${DB_NOW} + CAST(? AS BIGINT)
           FROM unnest(CAST(? AS BIGINT[]), CAST(? AS BIGINT[])) AS mine(id, claim)
          WHERE t.id = mine.id AND t.claim = mine.claim AND t.owner = ?
         RETURNING t.id AS targetId, t.claim AS claim, t.lease_until AS leaseUntil`,
      )
      .all(leaseMs, leases.map((l) => l.targetId), leases.map((l) => l.claim), workerId) as Record<string, unknown>[];
    const held = rows.map((r) => ({ targetId: num(r.targetId), claim: num(r.claim), leaseUntil: num(r.leaseUntil) })).sort((a, b) => a.targetId - b.targetId);
    const kept = new Set(held.map((h) => `${h.targetId}:${h.claim}`));
    return { held, lost: leases.filter((l) => !kept.has(`${l.targetId}:${l.claim}`)).map((l) => ({ targetId: l.targetId, claim: l.claim })) };
  }

  // ---- Fenced writes --------------------------------------------------------------------------

  /**
   * tasksRepo.updateTarget, fenced: writes only while the target's owner and claim number are
   * still these; false (nothing changed) otherwise. Under READ COMMITTED an UPDATE that meets a
   * row changed meanwhile re-checks its WHERE on the newest version (PostgreSQL docs, "Transaction
   * Isolation — Read Committed"), so a claim committed a moment earlier wins.
   */
  updateTargetFenced(targetId: number, workerId: string, claim: number, changes: TargetChanges): boolean {
    const keys = Object.keys(changes).filter((k) => TARGET_COLUMNS.has(k));
    if (keys.length === 0) return this.holds(targetId, workerId, claim);
    const values = keys.map((k) => (changes as Record<string, unknown>)[k] ?? null);
    return this.db.prepare(`UPDATE task_targets SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ? AND owner = ? AND claim = ?`).run(...values, targetId, workerId, claim).changes === 1;
  }

  /**
   * tasksRepo.appendStep, fenced: the line is inserted only while the target's owner and claim
   * number are still these; null (nothing inserted) otherwise. The target's row is read FOR SHARE,
   * so a claim or reap in progress on it is waited for and its outcome decides.
   */
  appendStepFenced(targetId: number, workerId: string, claim: number, step: string, detail: string, code: string | null = null, at: string = this.now().toISOString()): StepLogEntry | null {
    const row = this.db
      .prepare(
        `INSERT INTO step_logs (target_id, at, step, detail, code)
         SELECT CAST(? AS BIGINT), ?, ?, ?, ?
          WHERE EXISTS (SELECT 1 FROM task_targets WHERE id = CAST(? AS BIGINT) AND owner = ? AND claim = CAST(? AS BIGINT) FOR SHARE)
         RETURNING id`,
      )
      .get(targetId, at, step, detail, code, targetId, workerId, claim) as { id: unknown } | undefined;
    return row ? { id: num(row.id), targetId, at, step, detail, code } : null;
  }

  /**
   * The push ended: its result written and the target let go (owner and lease cleared), in one
   * fenced statement. False when the lease was no longer this worker's: nothing written.
   */
  release(targetId: number, workerId: string, claim: number, final: TargetChanges): boolean {
    const keys = Object.keys(final).filter((k) => TARGET_COLUMNS.has(k));
    const values = keys.map((k) => (final as Record<string, unknown>)[k] ?? null);
    const sets = [...keys.map((k) => `${k} = ?`), 'owner = NULL', 'lease_until = NULL'];
    return this.db.prepare(`UPDATE task_targets SET ${sets.join(', ')} WHERE id = ? AND owner = ? AND claim = ?`).run(...values, targetId, workerId, claim).changes === 1;
  }

  /**
   * A stopping worker returns every target it holds to the queue (a target it already ended
   * keeps its result), with a step 'handed-back' in each log. Its claim numbers die with it.
   * Returns how many it held.
   */
  handBack(workerId: string): number {
    const n = this.db
      .prepare(
        `WITH back AS (
           UPDATE task_targets SET owner = NULL, lease_until = NULL,
                  state = CASE WHEN state = 'done' THEN 'done' ELSE 'queued' END,
                  progress = CASE WHEN state = 'done' THEN progress ELSE NULL END
            WHERE owner = ?
           RETURNING id, claim, state
         ), logged AS (
           INSERT INTO step_logs (target_id, at, step, detail, code)
           SELECT id, ?, 'handed-back', 'worker ' || CAST(? AS TEXT) || ' stopped and handed its claim ' || claim || ' back: the target is queued again', NULL
             FROM back WHERE state = 'queued'
         )
         SELECT count(*) AS n FROM back`,
      )
      .pluck()
      .get(workerId, this.now().toISOString(), workerId);
    return num(n);
  }

  // ---- Cancel -------------------------------------------------------------------------------
  //
  // Cancel Task and Cancel Computer in claim mode. A target in the queue (no owner) ends cancelled
  // at once. A held one is asked to stop with a step 'cancel-requested' in its log — the log is the
  // one place every worker already reads and writes for its targets, so no column is added — and
  // its worker aborts the push at its next heartbeat (cancelRequested); the push then ends
  // cancelled as a local cancel does.

  /** Ends the queued targets of the task (or the one target) cancelled and asks the owners of the held ones to stop; the ids of each. */
  requestCancel(scope: { taskId: number } | { targetId: number }): { ended: number[]; asked: number[] } {
    const at = this.now().toISOString();
    const where = 'taskId' in scope ? 'task_id = CAST(? AS BIGINT)' : 'id = CAST(? AS BIGINT)';
    const key = 'taskId' in scope ? scope.taskId : scope.targetId;
    const ended = (this.db
      .prepare(
        `WITH ended AS (
           UPDATE task_targets SET state = 'done', outcome = 'cancelled', error_class = 'cancelled', finished_at = ?, progress = NULL
            WHERE ${where} AND owner IS NULL AND state IN ('queued', 'waiting-for-credentials')
           RETURNING id
         ), logged AS (
           INSERT INTO step_logs (target_id, at, step, detail, code) SELECT id, ?, 'cancelled', 'cancelled before it started', NULL FROM ended
         )
         SELECT id FROM ended`,
      )
      .pluck()
      .all(at, key, at) as unknown[]).map(num);
    const asked = (this.db
      .prepare(
        `INSERT INTO step_logs (target_id, at, step, detail, code)
         SELECT id, ?, 'cancel-requested', 'cancel asked: worker ' || owner || ' stops the push at its next heartbeat', NULL
           FROM task_targets WHERE ${where} AND owner IS NOT NULL AND state <> 'done'
         RETURNING target_id`,
      )
      .pluck()
      .all(at, key) as unknown[]).map(num);
    return { ended, asked };
  }

  /** Of these targets, those whose cancel was asked (requestCancel). */
  cancelRequested(targetIds: readonly number[]): number[] {
    if (targetIds.length === 0) return [];
    return (this.db
      .prepare("SELECT DISTINCT target_id FROM step_logs WHERE step = 'cancel-requested' AND target_id = ANY(CAST(? AS BIGINT[]))")
      .pluck()
      .all([...targetIds]) as unknown[]).map(num);
  }

  // ---- The reaper ---------------------------------------------------------------------------

  /**
   * Every lease that ran out (database clock): its target back to the queue with a step
   * 'lease-expired' in its log — or, once it has been claimed `maxClaims` times, ended failed with
   * the class lease-expired and its advice. One statement; rows another reaper or a worker's
   * extend holds at that moment are skipped (the next round sees them), so any number of servers
   * may run it at once.
   */
  reap(maxClaims: number): ReapResult {
    const at = this.now().toISOString();
    const rows = this.db
      .prepare(
        `WITH expired AS (
           SELECT id, owner AS was_owner, claim AS was_claim,
                  CASE WHEN state = 'done' THEN 'released' WHEN claim >= CAST(? AS BIGINT) THEN 'failed' ELSE 'requeued' END AS verdict
             FROM task_targets
            WHERE owner IS NOT NULL AND lease_until < ${DB_NOW}
            FOR UPDATE SKIP LOCKED
         ), ended AS (
           UPDATE task_targets t SET owner = NULL, lease_until = NULL,
                  state = CASE e.verdict WHEN 'requeued' THEN 'queued' ELSE 'done' END,
                  progress = CASE e.verdict WHEN 'released' THEN t.progress ELSE NULL END,
                  outcome = CASE e.verdict WHEN 'failed' THEN 'failed' ELSE t.outcome END,
                  error_class = CASE e.verdict WHEN 'failed' THEN 'lease-expired' ELSE t.error_class END,
                  error_code = CASE e.verdict WHEN 'failed' THEN NULL ELSE t.error_code END,
                  error_message = CASE e.verdict WHEN 'failed'
                    THEN 'The target was claimed ' || e.was_claim || ' times and every lease ran out before its push ended (the last: worker ' || e.was_owner || ').'
                    ELSE t.error_message END,
                  advice = CASE e.verdict WHEN 'failed' THEN CAST(? AS TEXT) ELSE t.advice END,
                  finished_at = CASE e.verdict WHEN 'failed' THEN CAST(? AS TEXT) ELSE t.finished_at END
             FROM expired e WHERE t.id = e.id
           RETURNING t.id, e.verdict, e.was_owner, e.was_claim
         ), logged AS (
           INSERT INTO step_logs (target_id, at, step, detail, code)
           SELECT id, CAST(? AS TEXT), 'lease-expired',
                  'the lease of worker ' || was_owner || ' (claim ' || was_claim || ') ran out before the push ended: ' ||
                  CASE verdict WHEN 'failed' THEN 'claimed ' || was_claim || ' times, the limit: failed' ELSE 'back in the queue' END,
                  NULL
             FROM ended WHERE verdict <> 'released'
         )
         SELECT verdict, count(*) AS n FROM ended GROUP BY verdict`,
      )
      .all(maxClaims, defaultAdvice('lease-expired'), at, at) as { verdict: string; n: unknown }[];
    const count = (verdict: string) => num(rows.find((r) => r.verdict === verdict)?.n ?? 0);
    return { requeued: count('requeued'), failed: count('failed'), released: count('released') };
  }

  /** Whether the target is still held with this owner and claim number. */
  private holds(targetId: number, workerId: string, claim: number): boolean {
    return this.db.prepare('SELECT 1 AS held FROM task_targets WHERE id = ? AND owner = ? AND claim = ?').get(targetId, workerId, claim) !== undefined;
  }
}
