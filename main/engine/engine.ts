// The push engine (docs/ARCHITECTURE.md): installation tasks become pushes, one state machine per
// target, at most `maxConcurrentPushes` at once (read again whenever a slot frees, so a change in
// settings applies while tasks run), the rest queued in order. Tasks are persisted before anything
// runs; every state change and step goes through the journal (journal.ts). Scheduled tasks start
// at their time, or at the next launch if the console was closed then. After a crash, in-flight
// targets are marked interrupted and cleaned up (recovery.ts); targets whose credential is gone
// wait for Set Credentials… (credentialBinding.ts). What one push needs is prepared by
// preparePush.ts and carried out by pushTarget.ts.
import crypto from 'node:crypto';
import { ConsoleError } from '../ipc/errors.js';
import type { TargetChanges, TargetRecord } from '../store/tasksRepo.js';
import { hashOnlyRefusal, qualifiedUser, type LogonCredential } from './credentials.js';
import { ProbeAhead, probeSmbPort } from './probeAhead.js';
import { pushTarget, type PushTargetHooks } from './pushTarget.js';
import { credentialProblem, rebindCandidates, type CredentialProblem, type RebindScope } from './credentialBinding.js';
import type { EngineOptions, NewTaskInput, TaskOptions } from './engineTypes.js';
import { Journal } from './journal.js';
import { EngineTimers } from './timers.js';
import { LeftoverCleaner, type LeftoversResult } from './leftoverCleaner.js';
import { PackageFiles, pushTimeouts } from './packageFiles.js';
import { preparePush } from './preparePush.js';
import { recoverInterrupted } from './recovery.js';
import type { Outcome } from './results.js';

export type { EngineOptions, NewTaskInput, TargetOutcome, TaskOptions } from './engineTypes.js';

interface Running {
  readonly controller: AbortController;
  readonly taskId: number;
}

export type { RebindScope };

export type { LeftoversResult };

const WAITING = 'waiting-for-credentials';

const PROBE_WINDOW_MIN = 128;
const PROBE_MAX_ACTIVE = 256;

export class PushEngine {
  private readonly queue: { targetId: number; taskId: number }[] = [];
  private readonly running = new Map<number, Running>();
  private readonly waiters = new Map<number, (() => void)[]>();
  private readonly timers = new EngineTimers();
  private readonly cancelledTasks = new Set<number>();
  /** Targets of each begun task that are not done yet: a task's end is known without reading all its targets. */
  private readonly openTargets = new Map<number, Set<number>>();
  private readonly files: PackageFiles;
  private readonly cleaner: LeftoverCleaner;
  /** Tasks whose waiting for credentials the activity log has announced. */
  private readonly waitingAnnounced = new Set<number>();
  private readonly journal: Journal;
  private closed = false;
  private abandoned = false;
  /** The most pushes that ran at once (tests and benchmarks read it). */
  peakConcurrent = 0;
  /** TCP probes of the targets next in line, so offline ones do not hold push slots for the connect bound. */
  readonly probes: ProbeAhead;

  constructor(private readonly o: EngineOptions) {
    this.journal = new Journal(o.tasks, o.events, () => this.now, o.log);
    this.files = new PackageFiles(o.agentPath);
    this.cleaner = new LeftoverCleaner({
      tasks: o.tasks,
      journal: this.journal,
      isRunning: (id) => this.running.has(id),
      logonFor: (t) => this.logonFor(t),
      connection: () => ({ timeouts: pushTimeouts(o.settings(), o.timeouts), encryptWhenSupported: o.settings().encryptWhenSupported }),
    });
    this.probes = new ProbeAhead({
      probe: async (targetId) => {
        const target = this.o.tasks.targetRecord(targetId);
        if (target) await probeSmbPort(target.address ?? target.computer_name, target.port ?? 445, pushTimeouts(this.o.settings(), this.o.timeouts).connectMs);
      },
      // Far enough ahead that a window of silent hosts clears in about one connect bound.
      window: () => Math.max(PROBE_WINDOW_MIN, 4 * this.o.settings().maxConcurrentPushes),
      maxActive: PROBE_MAX_ACTIVE,
      onSettled: () => {
        if (!this.closed) this.probes.fill(this.queue);
      },
    });
  }

  private get now(): Date {
    return this.o.now?.() ?? new Date();
  }

  /** Commits every queued journal write in one transaction. */
  flush(): void {
    this.journal.flush();
  }

  /** A line for a target's step log from outside a push (the package server). */
  note(targetId: number, step: string, detail: string): void {
    const target = this.o.tasks.targetRecord(targetId);
    if (target) this.journal.step(target.task_id, targetId, step, detail);
  }

  // ---- start-up: recovery and schedules ----------------------------------------------------

  /** Crash recovery, then every open task: due ones start now (late ones say so), future ones at their time. */
  start(): { interrupted: number; resumed: number } {
    const interrupted = this.recover();
    let resumed = 0;
    for (const task of this.o.tasks.openTasks()) {
      const due = task.scheduled_at ? Date.parse(task.scheduled_at) : 0;
      if (due > this.now.getTime()) {
        this.schedule(task.id, due);
        continue;
      }
      if (task.status === 'pending' && task.scheduled_at) {
        this.journal.log(`Task "${task.name}" was scheduled for ${task.scheduled_at} while the console was closed; starting it now.`);
        for (const t of this.o.tasks.targetRecords(task.id)) this.journal.step(task.id, t.id, 'schedule', `scheduled for ${task.scheduled_at}; the console was closed then, so it starts late`);
      }
      resumed += this.begin(task.id);
    }
    this.journal.flush();
    return { interrupted, resumed };
  }

  private recover(): number {
    return recoverInterrupted({
      tasks: this.o.tasks,
      now: () => this.now,
      canClean: (t) => this.logonFor(t) !== null,
      clean: (targetId) => void this.removeLeftovers(targetId).catch(() => undefined),
      revoke: (targetId) => this.o.grants.revokeTarget(targetId),
      log: (line) => this.journal.log(line),
    });
  }

  private logonFor(t: TargetRecord): LogonCredential | null {
    return t.credential_id !== null ? this.o.vault.logon(t.credential_id) : null;
  }

  private credentialProblem(t: TargetRecord, options: TaskOptions): CredentialProblem | null {
    return credentialProblem(this.o.vault, t, options.runAs);
  }

  /**
   * A queued target whose credential is gone waits (it is not failed) until Set Credentials…
   * rebinds it. Journalled only: the caller commits, then announces (begin() does a whole task at once).
   */
  private waitForCredentials(taskId: number, targetId: number, why: string): void {
    const advice = 'Use Set Credentials… on the task (Installation History) or on the computer (Computers); Cancel Task ends it instead.';
    this.journal.step(taskId, targetId, 'credentials', `waiting for credentials: ${why}`, 'CREDENTIALS');
    this.journal.update(targetId, { state: WAITING, progress: null, error_class: 'credentials-missing', error_code: null, error_message: `Waiting for credentials: ${why}.`, advice });
    if (!this.waitingAnnounced.has(taskId)) {
      this.waitingAnnounced.add(taskId);
      this.journal.log(`Task ${taskId}: computers wait for credentials (${why}). ${advice}`);
    }
  }

  /**
   * Set Credentials… on targets, a task or computers: the chosen credential replaces the one they
   * point at. Waiting targets are queued again; ended ones with leftovers are cleaned at once.
   */
  rebindCredential(scope: RebindScope, credentialId: number): { rebound: number; resumed: number; cleaning: number } {
    const credential = this.o.vault.logon(credentialId);
    if (!credential) throw new ConsoleError('credentials-missing', 'These credentials are not available any more.', 'Set them again.');
    const optionsOf = new Map<number, TaskOptions>();
    const options = (taskId: number): TaskOptions => {
      let o = optionsOf.get(taskId);
      if (!o) optionsOf.set(taskId, (o = JSON.parse(this.o.tasks.task(taskId)?.options_json ?? '{}') as TaskOptions));
      return o;
    };
    const candidates = rebindCandidates(scope, {
      target: (id) => this.o.tasks.targetRecord(id),
      targetsOfTask: (taskId) => this.o.tasks.targetRecords(taskId),
      targetsOfComputers: (ids) => this.o.tasks.targetsOfComputers(ids),
      isRunning: (id) => this.running.has(id),
      credentialGone: (t) => this.credentialProblem(t, options(t.task_id)) !== null,
    });
    if (credential.keeps === 'nt-hash') {
      const needPassword = candidates.filter((t) => t.state !== 'done' && (options(t.task_id).runAs ?? 'admin') === 'admin');
      if (needPassword.length) {
        const refusal = hashOnlyRefusal([qualifiedUser(credential)]);
        throw new ConsoleError(refusal.errorClass, `${needPassword.length} computer(s) install as the account: ${refusal.message}`, refusal.advice);
      }
    }
    const resumed: TargetRecord[] = [];
    const toClean: number[] = [];
    for (const t of candidates) {
      this.journal.step(t.task_id, t.id, 'credentials', `credentials set again: ${qualifiedUser(credential)}`);
      if (t.state === WAITING) {
        this.journal.update(t.id, { credential_id: credentialId, state: 'queued', error_class: null, error_code: null, error_message: null, advice: null });
        resumed.push(t);
      } else {
        this.journal.update(t.id, { credential_id: credentialId });
        if (t.state === 'done' && t.leftovers !== null) toClean.push(t.id);
      }
    }
    this.journal.flush();
    for (const t of resumed) {
      this.journal.progress(t.task_id, t.id, 'queued', null, null);
      this.waitingAnnounced.delete(t.task_id);
      if (this.o.tasks.task(t.task_id)?.status === 'running' && !this.queue.some((e) => e.targetId === t.id)) this.queue.push({ targetId: t.id, taskId: t.task_id });
    }
    for (const id of toClean) void this.removeLeftovers(id).catch(() => undefined);
    if (candidates.length) this.journal.log(`Credentials ${qualifiedUser(credential)} set for ${candidates.length} target(s): ${resumed.length} resumed, ${toClean.length} being cleaned.`);
    this.pump();
    return { rebound: candidates.length, resumed: resumed.length, cleaning: toClean.length };
  }

  private schedule(taskId: number, dueMs: number): void {
    this.timers.at(dueMs, () => this.now.getTime(), () => this.begin(taskId));
  }

  // ---- tasks ------------------------------------------------------------------------------

  /** Persists the task and its targets, then runs it now or schedules it. */
  submit(input: NewTaskInput): number {
    if (!this.o.packages.source(input.packageId)) throw new ConsoleError('package', `Package ${input.packageId} does not exist.`, 'Pick an existing package.');
    if (input.targets.length === 0) throw new ConsoleError('task', 'The task has no computers.', 'Select at least one computer.');
    const { taskId } = this.o.tasks.create({
      name: input.name,
      packageId: input.packageId,
      scheduledAt: input.scheduledAt ?? null,
      options: { ...(input.options ?? {}) },
      targets: input.targets.map((t) => ({ computerId: t.computerId ?? null, computerName: t.computerName, credentialId: t.credentialId, address: t.address ?? null, port: t.port ?? null })),
    });
    const due = input.scheduledAt ? Date.parse(input.scheduledAt) : 0;
    if (due > this.now.getTime()) {
      this.journal.log(`Task "${input.name}" scheduled for ${input.scheduledAt}.`);
      this.schedule(taskId, due);
    } else {
      this.begin(taskId);
    }
    return taskId;
  }

  private begin(taskId: number): number {
    if (this.closed) return 0;
    const task = this.o.tasks.task(taskId);
    const options = JSON.parse(task?.options_json ?? '{}') as TaskOptions;
    const records = this.o.tasks.targetRecords(taskId);
    // Targets that waited for credentials are looked at again: a keychain may hold them now. Those
    // whose credential is missing wait at once, in one commit for the whole task (after a restart
    // that lost a memory-only credential that is every queued target), without taking a slot;
    // one already waiting stays as it is.
    const queued: TargetRecord[] = [];
    const nowWaiting: number[] = [];
    for (const t of records) {
      if (t.state !== 'queued' && t.state !== WAITING) continue;
      const problem = this.credentialProblem(t, options);
      if (problem?.kind !== 'missing') queued.push(t);
      else if (t.state === 'queued') {
        this.waitForCredentials(taskId, t.id, problem.why);
        nowWaiting.push(t.id);
      }
    }
    this.openTargets.set(taskId, new Set(records.filter((t) => t.state !== 'done').map((t) => t.id)));
    this.o.tasks.setTaskStatus(taskId, 'running');
    this.journal.flush();
    for (const id of nowWaiting) this.journal.progress(taskId, id, WAITING, null, null);
    for (const t of queued) this.queue.push({ targetId: t.id, taskId });
    if (queued.length === 0) this.finishTaskIfDone(taskId);
    this.pump();
    return queued.length;
  }

  /** Cancels a task: queued targets end cancelled at once, running ones stop their agent and clean up. */
  cancelTask(taskId: number): void {
    const status = this.o.tasks.task(taskId)?.status;
    if (status === 'finished' || status === 'cancelled') return; // nothing left to cancel: its history stays as it ended
    this.cancelledTasks.add(taskId);
    const cancelled: number[] = [];
    this.queue.splice(0, this.queue.length, ...this.queue.filter((entry) => entry.taskId !== taskId || (cancelled.push(entry.targetId), false)));
    for (const targetId of cancelled) this.probes.forget(targetId);
    // Targets waiting to retry are queued in the database but not in the queue.
    const inQueue = new Set(cancelled);
    for (const t of this.o.tasks.targetRecords(taskId)) if ((t.state === 'queued' || t.state === WAITING) && !this.running.has(t.id) && !inQueue.has(t.id)) cancelled.push(t.id);
    // One transaction for the whole burst, then the events (the windows read what they announce).
    for (const targetId of cancelled) this.finishCancelledQueued(taskId, targetId);
    this.journal.flush();
    for (const targetId of cancelled) this.journal.progress(taskId, targetId, 'done', 'cancelled', null);
    for (const [, run] of this.running) if (run.taskId === taskId) run.controller.abort();
    this.finishTaskIfDone(taskId);
  }

  cancelTarget(targetId: number): void {
    const index = this.queue.findIndex((e) => e.targetId === targetId);
    if (index >= 0) {
      const [entry] = this.queue.splice(index, 1);
      this.probes.forget(targetId);
      this.finishCancelledQueued(entry!.taskId, targetId);
      this.journal.flush();
      this.journal.progress(entry!.taskId, targetId, 'done', 'cancelled', null);
      this.finishTaskIfDone(entry!.taskId);
    } else {
      const waiting = this.o.tasks.targetRecord(targetId);
      if (waiting?.state === WAITING && !this.running.has(targetId)) {
        this.finishCancelledQueued(waiting.task_id, targetId);
        this.journal.flush();
        this.journal.progress(waiting.task_id, targetId, 'done', 'cancelled', null);
        this.finishTaskIfDone(waiting.task_id);
      }
    }
    this.running.get(targetId)?.controller.abort();
  }

  /** Journals a queued target as cancelled; the caller flushes and then announces it. */
  private finishCancelledQueued(taskId: number, targetId: number): void {
    this.journal.step(taskId, targetId, 'cancelled', 'cancelled before it started');
    this.journal.update(targetId, { state: 'done', outcome: 'cancelled', error_class: 'cancelled', finished_at: this.now.toISOString() });
    this.openTargets.get(taskId)?.delete(targetId);
  }

  /** A new task with the failed (or interrupted) targets of this one, same package and options. */
  retryFailed(taskId: number): number | null {
    return this.copyTask(taskId, (t) => t.outcome === 'failed' || t.outcome === 'interrupted' || t.outcome === 'cancelled', 'Retry of');
  }

  /** A new task with every target of this one. */
  redeploy(taskId: number): number | null {
    return this.copyTask(taskId, () => true, 'Redeploy of');
  }

  private copyTask(taskId: number, which: (t: TargetRecord) => boolean, prefix: string): number | null {
    const task = this.o.tasks.task(taskId);
    if (!task || task.package_id === null) throw new ConsoleError('task', `Task ${taskId} does not exist or has no package.`, 'Pick another task.');
    const targets = this.o.tasks.targetRecords(taskId).filter(which);
    if (targets.length === 0) return null;
    const options = JSON.parse(task.options_json) as TaskOptions;
    const missing = targets.filter((t) => this.credentialProblem(t, options) !== null);
    if (missing.length) {
      const first = this.credentialProblem(missing[0]!, options)!;
      throw new ConsoleError(
        first.kind === 'missing' ? 'credentials-missing' : 'credentials-hash-only',
        `${missing.length} of the ${targets.length} computer(s) have no usable credentials (${first.why}); nothing was started.`,
        first.kind === 'missing' ? 'Use Set Credentials… on the task, then try again.' : 'Use Set Credentials… on the task with a credential that keeps the password (or install as SYSTEM), then try again.',
      );
    }
    return this.submit({
      name: `${prefix} ${task.name}`,
      packageId: task.package_id,
      options: JSON.parse(task.options_json) as TaskOptions,
      targets: targets.map((t) => ({ computerId: t.computer_id, computerName: t.computer_name, address: t.address, port: t.port, credentialId: t.credential_id })),
    });
  }

  /** Resolves when every target of the task is done. */
  waitForTask(taskId: number): Promise<void> {
    const task = this.o.tasks.task(taskId);
    if (!task || task.status === 'finished' || task.status === 'cancelled') return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(taskId) ?? [];
      list.push(resolve);
      this.waiters.set(taskId, list);
    });
  }

  /** Where a queued target stands in the queue (1 = next), or null when it is not queued. */
  queuePosition(targetId: number): number | null {
    const index = this.queue.findIndex((e) => e.targetId === targetId);
    return index < 0 ? null : index + 1;
  }

  get activeCount(): number {
    return this.running.size;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  private finishTaskIfDone(taskId: number): void {
    const open = this.openTargets.get(taskId);
    if (open && open.size > 0) return;
    for (const run of this.running.values()) if (run.taskId === taskId) return;
    this.journal.flush();
    const targets = this.o.tasks.targetRecords(taskId);
    if (targets.some((t) => t.state !== 'done')) return;
    this.openTargets.delete(taskId);
    this.o.tasks.setTaskStatus(taskId, this.cancelledTasks.has(taskId) ? 'cancelled' : 'finished');
    const ok = targets.filter((t) => t.outcome === 'succeeded' || t.outcome === 'succeeded-reboot-required').length;
    this.journal.log(`Task ${taskId} finished: ${ok} of ${targets.length} succeeded.`);
    for (const resolve of this.waiters.get(taskId) ?? []) resolve();
    this.waiters.delete(taskId);
  }

  // ---- the queue ----------------------------------------------------------------------------

  private pump(): void {
    while (!this.closed && this.queue.length > 0 && this.running.size < this.o.settings().maxConcurrentPushes) {
      const next = this.queue.shift()!;
      const controller = new AbortController();
      this.running.set(next.targetId, { controller, taskId: next.taskId });
      this.peakConcurrent = Math.max(this.peakConcurrent, this.running.size);
      void this.runTarget(next.taskId, next.targetId, controller.signal)
        .catch((error: unknown) => {
          this.journal.step(next.taskId, next.targetId, 'error', `internal: ${error instanceof Error ? error.message : String(error)}`);
          this.journal.update(next.targetId, { state: 'done', outcome: 'failed', error_class: 'internal', finished_at: this.now.toISOString() });
          this.openTargets.get(next.taskId)?.delete(next.targetId);
          this.journal.flush();
        })
        .finally(() => {
          this.running.delete(next.targetId);
          if (this.abandoned) return; // a "killed" console reads and writes nothing more
          this.finishTaskIfDone(next.taskId);
          this.pump();
        });
    }
    if (!this.closed) this.probes.fill(this.queue);
  }

  /** One target's turn: wait for credentials, or prepare and push, then retry later or finish. */
  private async runTarget(taskId: number, targetId: number, signal: AbortSignal): Promise<void> {
    const target = this.o.tasks.targetRecord(targetId)!;
    const task = this.o.tasks.task(taskId)!;
    const options = JSON.parse(task.options_json) as TaskOptions;
    // Checked before anything is written: a target without usable credentials waits, untouched.
    const problem = this.credentialProblem(target, options);
    if (problem?.kind === 'missing') {
      // Its probe from the queue goes too: it would be stale (a refusal stays "fresh" for minutes)
      // by the time Set Credentials… queues the target again.
      this.probes.forget(targetId);
      this.waitForCredentials(taskId, targetId, problem.why);
      this.journal.flush();
      this.journal.progress(taskId, targetId, WAITING, null, null);
      return;
    }
    const credential = this.o.vault.logon(target.credential_id!)!;
    const settings = this.o.settings();
    const started = Date.now();
    const attempts = target.attempts + 1;
    const runId = `r${taskId}-${targetId}-${attempts}-${crypto.randomBytes(3).toString('hex')}`;
    this.journal.update(targetId, { state: 'probing', started_at: this.now.toISOString(), finished_at: null, attempts, run_id: runId, outcome: null, error_class: null, error_code: null, error_message: null, advice: null });

    const prepared = preparePush({
      target, packageId: task.package_id, options, settings, credential, problem,
      source: task.package_id !== null ? this.o.packages.source(task.package_id) : undefined,
      readFiles: (source) => this.files.of(source),
      runId, attempts, agentPath: this.o.agentPath, callback: this.o.callback, timeouts: pushTimeouts(settings, this.o.timeouts),
    });
    if ('verdict' in prepared) return this.finishTarget(taskId, targetId, started, prepared.verdict);
    this.journal.step(taskId, targetId, 'start', prepared.startLine);
    const result = await pushTarget({ ...prepared.spec, probedAhead: this.probes.take(targetId) }, this.pushHooks(taskId, targetId), { grants: this.o.grants, hub: this.o.hub, signal });

    const retries = options.retryCount ?? settings.retryCount;
    if ((result.errorClass === 'offline' || result.errorClass === 'port-blocked') && attempts <= retries && !signal.aborted && !this.cancelledTasks.has(taskId)) {
      const interval = this.o.timeouts?.retryIntervalMs ?? settings.retryIntervalMinutes * 60_000;
      this.journal.step(taskId, targetId, 'retry', `${result.message} Retry ${attempts} of ${retries} in ${Math.round(interval / 1000)} s.`, result.code);
      this.journal.update(targetId, { state: 'queued', progress: null, error_class: result.errorClass, error_message: result.message, leftovers: null });
      this.journal.progress(taskId, targetId, 'queued', null, null);
      this.timers.after(interval, () => {
        if (this.cancelledTasks.has(taskId)) return;
        this.queue.push({ targetId, taskId });
        this.pump();
      });
      return;
    }
    this.finishTarget(taskId, targetId, started, result, { exit_code: result.exitCode, msi_log: result.msiLog, leftovers: result.leftovers ? JSON.stringify(result.leftovers) : null });
  }

  /** What a push tells the journal: states (copy/download percentages go to the windows only), steps, and the write-ahead record. */
  private pushHooks(taskId: number, targetId: number): PushTargetHooks {
    return {
      state: (state, progress) => {
        if (state !== 'copying' && state !== 'downloading') this.journal.update(targetId, { state, progress });
        else if (progress === 0 || progress === null) this.journal.update(targetId, { state, progress });
        this.journal.progress(taskId, targetId, state, null, progress);
      },
      step: (step, detail, code) => this.journal.step(taskId, targetId, step, detail, code ?? null),
      // Write-ahead: committed (not batched) before the remote change it announces is made, so a
      // crash at any point leaves a record that names every service and file on the computer.
      remote: (leftovers, serviceName) => {
        this.journal.update(targetId, { service_name: serviceName ?? leftovers.service, leftovers: JSON.stringify(leftovers) });
        this.journal.flush();
      },
    };
  }

  /** A target's end: its verdict and the done step, committed before it is announced (the windows read the row the event speaks of). */
  private finishTarget(taskId: number, targetId: number, started: number, verdict: { outcome: Outcome; errorClass: string | null; code: string | null; message: string; advice: string; rebootRequired?: boolean }, extra: TargetChanges = {}): void {
    this.journal.update(targetId, {
      state: 'done', outcome: verdict.outcome, error_class: verdict.errorClass, error_code: verdict.code, error_message: verdict.message,
      advice: verdict.advice || null, reboot_required: verdict.rebootRequired ? 1 : 0, finished_at: this.now.toISOString(), progress: null, ...extra,
    });
    this.journal.step(taskId, targetId, 'done', `${verdict.outcome}${verdict.errorClass && verdict.errorClass !== verdict.outcome ? ` (${verdict.errorClass})` : ''} after ${((Date.now() - started) / 1000).toFixed(1)} s`, verdict.code);
    this.openTargets.get(taskId)?.delete(targetId);
    this.journal.flush();
    this.journal.progress(taskId, targetId, 'done', verdict.outcome, null);
  }

  /** Remove Leftovers (and recovery): see leftoverCleaner.ts. */
  removeLeftovers(targetId: number): Promise<LeftoversResult> {
    return this.cleaner.clean(targetId);
  }

  /** Resolves when no cleanup is under way (tests, an orderly close). */
  cleanupsSettled(): Promise<void> {
    return this.cleaner.settled();
  }

  /** Stops timers; running pushes are cancelled (and clean up) unless `abandon` (tests of a crash). */
  async close(options: { abandon?: boolean } = {}): Promise<void> {
    this.closed = true;
    this.timers.clear();
    if (options.abandon) {
      // As a killed process: the batch not yet committed is lost, and pushes still under way
      // write nothing more (only what was committed, as after a real crash, is there to recover).
      this.abandoned = true;
      this.journal.abandon();
      return;
    }
    for (const run of this.running.values()) run.controller.abort();
    while (this.running.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    this.journal.flush();
  }
}

