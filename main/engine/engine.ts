// The push engine (docs/ARCHITECTURE.md): installation tasks become pushes, one state machine per
// target, at most `maxConcurrentPushes` at once (read again whenever a slot frees, so a change in
// settings applies while tasks run), the rest queued in order. Tasks are persisted before anything
// runs; every state change and step goes through the journal (journal.ts). Scheduled tasks start
// at their time, or at the next launch if the console was closed then. After a crash, in-flight
// targets are marked interrupted and cleaned up (recovery.ts); targets whose credential is gone
// wait for Set Credentials… (credentialBinding.ts). What one push needs is prepared by
// preparePush.ts and carried out by pushTarget.ts.
import { EngineRestarts } from './engineRestarts.js';
import type { RebootPolicy } from '../ipc/contract.js';
import type { CopyStats } from './packageCopies.js';
import { ConsoleError } from '../ipc/errors.js';
import type { TargetRecord } from '../store/tasksRepo.js';
import type { SmbCredentials } from '../smb/session.js';
import { type InstallCredential } from './credentials.js';
import { KerberosLogons } from './kerberosLogons.js';
import { lapsLogon } from './lapsLogon.js';
import { lapsScope, TargetLapsSecrets } from './lapsSecrets.js';
import { registerScopedSecret } from '../smb/auth/secretRegistry.js';
import { probeSmbPort } from './probeAhead.js';
import type { RebindScope } from './credentialBinding.js';
import { rebindCredential, type RebindResult } from './credentialRebind.js';
import type { EngineOptions, NewTaskInput, TaskOptions } from './engineTypes.js';
import { Journal } from './journal.js';
import { EngineTimers } from './timers.js';
import { LeftoverCleaner, type LeftoversResult } from './leftoverCleaner.js';
import { PackageFiles, pushTimeouts } from './packageFiles.js';
import { recoverInterrupted } from './recovery.js';
import { TargetQueue, type QueueEntry } from './targetQueue.js';
import { TargetTurns, WAITING } from './targetTurn.js';
import { TaskCompletion } from './taskCompletion.js';
import { copyTask, type TaskCopyDeps } from './taskCopy.js';

export type { EngineOptions, NewTaskInput, TargetOutcome, TaskOptions } from './engineTypes.js';
export type { RebindScope };
export type { LeftoversResult };

export class PushEngine {
  private readonly timers = new EngineTimers();
  private readonly journal: Journal;
  private readonly queue: TargetQueue;
  private readonly completion: TaskCompletion;
  private readonly turns: TargetTurns;
  /** Each credential's Kerberos tickets, per task (kerberosLogons.ts). */
  private readonly kerberos: KerberosLogons;
  private readonly cleaner: LeftoverCleaner;
  private readonly restarts: EngineRestarts;
  private readonly lapsSecrets = new TargetLapsSecrets();
  /** Which credentials are LAPS ones (a credential's kind never changes). */
  private readonly lapsCredentials = new Map<number, boolean>();
  private closed = false;
  private abandoned = false;

  constructor(private readonly o: EngineOptions) {
    this.journal = new Journal(o.claim?.journalStore ?? o.tasks, o.events, () => this.now, o.log);
    this.queue = new TargetQueue({
      concurrency: () => o.settings().maxConcurrentPushes,
      // Claim mode: a target whose lease was lost before its turn came is not pushed.
      run: (entry, signal) => (o.claim && !o.claim.mayRun(entry.targetId) ? Promise.resolve() : this.turns.run(entry, signal)),
      crashed: (entry, error) => this.turns.crashed(entry, error),
      settled: (entry) => {
        if (this.abandoned) return; // a "killed" console reads and writes nothing more
        o.claim?.settled(entry);
        // In claim mode too: the task ends when its tally in the database says every target is
        // done, whichever worker ended the last one (finishIfDone reads the tally; a second
        // worker ending the task again writes the same status).
        this.completion.finishIfDone(entry.taskId);
      },
      // A LAPS target is not probed while it waits: nothing reaches its computer before its password is read.
      probeEligible: (targetId) => {
        const id = o.tasks.targetRecord(targetId)?.credential_id ?? null;
        if (id === null) return true;
        let laps = this.lapsCredentials.get(id);
        if (laps === undefined) this.lapsCredentials.set(id, (laps = o.vault.kindOf(id) === 'laps'));
        return !laps;
      },
      probe: async (targetId) => {
        const target = o.tasks.targetRecord(targetId);
        if (target) await probeSmbPort(target.address ?? target.computer_name, target.port ?? 445, pushTimeouts(o.settings(), o.timeouts).connectMs);
      },
    });
    this.completion = new TaskCompletion(o.tasks, this.journal, (taskId) => this.queue.runsTask(taskId));
    this.kerberos = new KerberosLogons(o.vault, () => o.settings());
    this.restarts = new EngineRestarts({ o, journal: this.journal, timers: this.timers, now: () => this.now.getTime(), clean: (targetId) => this.removeLeftovers(targetId), kerberos: this.kerberos });
    this.turns = new TargetTurns(o, this.journal, new PackageFiles(o.agentPath), this.queue, this.completion, this.timers, () => this.now, this.lapsSecrets, this.restarts.follower, this.kerberos);
    this.cleaner = new LeftoverCleaner({
      tasks: o.tasks,
      journal: this.journal,
      isRunning: (id) => this.queue.isRunning(id),
      held: (t) => t.credential_id !== null && o.vault.held(t.credential_id),
      credentialsFor: (t, step) => this.credentialsFor(t, step),
      connection: () => ({ timeouts: pushTimeouts(o.settings(), o.timeouts), encryptWhenSupported: o.settings().encryptWhenSupported, auth: o.settings().authentication }),
    });
  }

  /** The SMB transport's package copies: running, most at once, started, bytes read from disk and sent. */
  copyStats(): CopyStats {
    return this.turns.copies.stats();
  }

  /** The most pushes that ran at once (tests and benchmarks read it). */
  get peakConcurrent(): number {
    return this.queue.peakConcurrent;
  }

  /** TCP probes of the targets next in line (tests read their counters). */
  get probes(): TargetQueue['probes'] {
    return this.queue.probes;
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
    // Claim mode: another process's targets are not this one's to recover (the reaper returns them to the queue).
    const interrupted = this.o.claim ? 0 : this.recover();
    let resumed = 0;
    if (!this.o.claim) this.restarts.resume();
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
      canClean: (t) => t.credential_id !== null && this.o.vault.held(t.credential_id),
      clean: (targetId) => void this.removeLeftovers(targetId).catch(() => undefined),
      revoke: (targetId) => this.o.grants.revokeTarget(targetId),
      log: (line) => this.journal.log(line),
    });
  }

  /**
   * How Remove Leftovers (and recovery's cleanup) logs on to a target's computer: its credential's
   * NT hash, or — a LAPS credential — the computer's LAPS password read again now (used for this
   * cleanup only). Null when the credential is gone; a failed LAPS read throws its ConsoleError.
   */
  private async credentialsFor(t: TargetRecord, step: (detail: string) => void): Promise<SmbCredentials | null> {
    if (t.credential_id === null) return null;
    const laps = this.o.vault.lapsDirectory(t.credential_id);
    if (!laps) {
      const logon = this.o.vault.logon(t.credential_id);
      return logon ? this.kerberos.credentials(logon, `cleanup ${t.task_id}`) : null;
    }
    const read = await lapsLogon(laps, { name: t.computer_name, address: t.address, port: t.port ?? 445 }, { connectTimeoutMs: pushTimeouts(this.o.settings(), this.o.timeouts).connectMs });
    registerScopedSecret(lapsScope(t.id), read.secret.password);
    step(`LAPS password read again for the cleanup: ${read.secret.attribute}, account .\\${read.secret.account}`);
    return read.credentials;
  }

  /** The agent's install credential for a target (the package server's hand-off): its push's LAPS password, else its credential's password. */
  installCredentialFor(targetId: number): InstallCredential | null {
    const laps = this.lapsSecrets.installCredential(targetId);
    if (laps) return laps;
    const id = this.o.tasks.targetRecord(targetId)?.credential_id ?? null;
    return id !== null ? this.o.vault.installCredential(id) : null;
  }

  /** How many pushes hold a LAPS password now (0 once none runs: each is forgotten when its push ends). */
  get lapsPasswordsHeld(): number {
    return this.lapsSecrets.size;
  }

  /** Set Credentials… on targets, a task or computers (credentialRebind.ts). */
  rebindCredential(scope: RebindScope, credentialId: number): RebindResult {
    return rebindCredential(scope, credentialId, { tasks: this.o.tasks, vault: this.o.vault, journal: this.journal, queue: this.queue, turns: this.turns, clean: (id) => void this.removeLeftovers(id).catch(() => undefined) });
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
    if (this.o.claim) {
      // Claim mode: the targets are queued in the database already; a running task's are claimable (LeaseStore.claim).
      this.o.tasks.setTaskStatus(taskId, 'running');
      return 0;
    }
    const task = this.o.tasks.task(taskId);
    const options = JSON.parse(task?.options_json ?? '{}') as TaskOptions;
    const records = this.o.tasks.targetStates(taskId);
    // Targets that waited for credentials are looked at again: a keychain may hold them now. Those
    // whose credential is missing wait at once, in one commit for the whole task (after a restart
    // that lost a memory-only credential that is every queued target), without taking a slot;
    // one already waiting stays as it is.
    const queued: QueueEntry[] = [];
    const nowWaiting: number[] = [];
    for (const t of records) {
      if (t.state !== 'queued' && t.state !== WAITING) continue;
      const problem = this.turns.credentialProblem(t, options);
      if (problem?.kind !== 'missing') queued.push({ targetId: t.id, taskId });
      else if (t.state === 'queued') {
        this.turns.waitForCredentials(taskId, t.id, problem.why);
        nowWaiting.push(t.id);
      }
    }
    this.completion.begin(taskId, records.filter((t) => t.state !== 'done').map((t) => t.id));
    this.o.tasks.setTaskStatus(taskId, 'running');
    this.journal.flush();
    for (const id of nowWaiting) this.journal.progress(taskId, id, WAITING, null, null);
    this.queue.push(queued);
    if (queued.length === 0) this.completion.finishIfDone(taskId);
    this.queue.pump();
    return queued.length;
  }

  /**
   * Claim mode: pushes the targets its worker claimed (what begin() does for a task's targets;
   * the credential check is the turn's own). Their completion is counted in the database.
   */
  adopt(entries: readonly QueueEntry[]): void {
    if (this.closed || entries.length === 0) return;
    this.queue.push(entries);
    this.queue.pump();
  }

  /** Claim mode: stops a push whose lease was lost or whose cancel was asked (its writes are fenced off by then, or end it cancelled). */
  abortPush(targetId: number): void {
    this.queue.abortTarget(targetId);
  }

  /** Cancels a task: queued targets end cancelled at once, running ones stop their agent and clean up. */
  cancelTask(taskId: number): void {
    const status = this.o.tasks.task(taskId)?.status;
    if (status === 'finished' || status === 'cancelled') return; // nothing left to cancel: its history stays as it ended
    if (this.o.claim) {
      // Said in the database: its queued targets end now, held ones when their worker sees the
      // request. The task is cancelled at once, so no worker's end of the task overwrites it with
      // finished (TaskCompletion keeps an ended task as it ended) and no claim takes its targets.
      this.o.claim.cancel({ taskId });
      this.o.tasks.setTaskStatus(taskId, 'cancelled');
      this.journal.log(`Task ${taskId} cancelled: its queued targets ended, the workers stop the rest at their next heartbeat.`);
      return;
    }
    this.completion.cancel(taskId);
    const cancelled = this.queue.removeTask(taskId);
    // Targets waiting to retry, or for credentials, are queued in the database but not in the queue.
    const inQueue = new Set(cancelled);
    for (const t of this.o.tasks.targetStates(taskId)) if ((t.state === 'queued' || t.state === WAITING) && !this.queue.isRunning(t.id) && !inQueue.has(t.id)) cancelled.push(t.id);
    // One transaction for the whole burst, then the events (the windows read what they announce).
    for (const targetId of cancelled) this.turns.cancelledBeforeStart(taskId, targetId);
    this.journal.flush();
    for (const targetId of cancelled) this.journal.progress(taskId, targetId, 'done', 'cancelled', null);
    this.queue.abortTask(taskId);
    this.completion.finishIfDone(taskId);
  }

  /** Cancel Computer: a queued or waiting target ends cancelled at once; a running one stops its agent and cleans up. */
  cancelTarget(targetId: number): void {
    const record = this.o.tasks.targetRecord(targetId);
    if (this.o.claim) {
      this.o.claim.cancel({ targetId });
      if (record) this.completion.finishIfDone(record.task_id);
      return;
    }
    const queued = this.queue.remove(targetId) !== null;
    if (record && (queued || (record.state === WAITING && !this.queue.isRunning(targetId)))) {
      this.turns.cancelledBeforeStart(record.task_id, targetId);
      this.journal.flush();
      this.journal.progress(record.task_id, targetId, 'done', 'cancelled', null);
      this.completion.finishIfDone(record.task_id);
    }
    this.queue.abortTarget(targetId);
  }

  /** A new task with the failed (or interrupted, or cancelled) targets of this one, same package and options (taskCopy.ts). */
  retryFailed(taskId: number): number | null {
    return copyTask(taskId, 'retry', this.copyDeps());
  }

  /** A new task with every target of this one. */
  redeploy(taskId: number): number | null {
    return copyTask(taskId, 'redeploy', this.copyDeps());
  }

  private copyDeps(): TaskCopyDeps {
    return { tasks: this.o.tasks, credentialProblem: (t, options) => this.turns.credentialProblem(t, options), submit: (input) => this.submit(input) };
  }

  /** Resolves when every target of the task is done. */
  waitForTask(taskId: number): Promise<void> {
    return this.completion.wait(taskId);
  }

  // ---- restarts (engineRestarts.ts) --------------------------------------------------------

  /** Restart Computers…: a new task that restarts the targets that ended succeeded, reboot required (all, or those given), with the policy. */
  restartComputers(taskId: number, reboot: RebootPolicy, targetIds?: readonly number[]): number | null {
    return copyTask(taskId, 'restart', this.copyDeps(), { reboot, targetIds });
  }

  /** Cancel Restart: the agent's service is stopped (it calls AbortSystemShutdownW), then removed. */
  cancelRestart(targetId: number): Promise<boolean> {
    return this.restarts.cancel(targetId);
  }

  /** Resolves when no target of the task has a restart pending, and no cleanup runs. */
  async waitForRestarts(taskId: number): Promise<void> {
    await this.restarts.waitFor(taskId, () => this.closed);
    await this.cleaner.settled();
  }

  /** Targets whose restart is followed now. */
  get restartsFollowed(): number {
    return this.restarts.follower.active;
  }

  /** Where a queued target stands in the queue (1 = next), or null when it is not queued. */
  queuePosition(targetId: number): number | null {
    return this.queue.position(targetId);
  }

  get activeCount(): number {
    return this.queue.activeCount;
  }

  get queuedCount(): number {
    return this.queue.queuedCount;
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
    this.restarts.follower.close();
    if (options.abandon) {
      // As a killed process: the batch not yet committed is lost, and pushes still under way
      // write nothing more (only what was committed, as after a real crash, is there to recover).
      this.abandoned = true;
      this.journal.abandon();
      await this.queue.close({ abort: false, wait: false });
      return;
    }
    await this.queue.close({ abort: true, wait: true });
    this.journal.flush();
  }
}
