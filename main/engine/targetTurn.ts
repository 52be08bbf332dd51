// A target's turn in the queue: it waits for credentials, or is prepared (preparePush.ts) and
// pushed (pushTarget.ts), then retried later (offline, port blocked) or ended with its verdict.
// Every change goes through the journal; a target's end is committed before it is announced (the
// windows read the row the event speaks of).
import crypto from 'node:crypto';
import { ConsoleError } from '../ipc/errors.js';
import type { LapsDirectory, LapsSecret } from '../import/lapsReader.js';
import type { Settings } from '../ipc/contract.js';
import type { TargetChanges, TargetRecord } from '../store/tasksRepo.js';
import type { CredentialProblem } from './credentialBinding.js';
import { credentialProblem } from './credentialBinding.js';
import type { LogonCredential } from './credentials.js';
import { effectiveRunAs, type EngineOptions, type TaskOptions } from './engineTypes.js';
import { PackageCopies } from './packageCopies.js';
import type { KerberosLogons } from './kerberosLogons.js';
import type { RestartFollower } from './restartFollower.js';
import type { RestartReport } from '../server/agentProtocol.js';
import type { Journal } from './journal.js';
import { describeLaps, expiredWarning, lapsLogon, lapsLogonFailureAdvice } from './lapsLogon.js';
import type { TargetLapsSecrets } from './lapsSecrets.js';
import { pushTimeouts, type PackageFiles } from './packageFiles.js';
import { preparePush } from './preparePush.js';
import { pushTarget, type PushTargetHooks } from './pushTarget.js';
import type { Outcome } from './results.js';
import type { TargetQueue, QueueEntry } from './targetQueue.js';
import type { TaskCompletion } from './taskCompletion.js';
import type { EngineTimers } from './timers.js';

export const WAITING = 'waiting-for-credentials';

/** What the agent reported about a restart, as the target's columns (refused carries its class). */
function restartColumns(r: RestartReport | null): TargetChanges {
  if (!r) return {};
  const at = r.at ?? null;
  if (r.state === 'scheduled') return { restart_state: 'scheduled', restart_at: at, restart_detail: `restart scheduled${r.asked ? ' (the user was asked)' : ''}; at ${at ? at.slice(11, 16) : '?'} UTC at the latest` };
  if (r.state === 'refused') return { restart_state: 'refused', restart_at: null, restart_detail: `Windows refused the restart (Win32 ${r.win32 ?? '?'})`, error_class: 'restart-refused', error_code: r.win32 !== undefined ? `WIN32 ${r.win32}` : null };
  if (r.state === 'left-to-msiexec') return { restart_state: 'left-to-msiexec', restart_at: null, restart_detail: 'msiexec started the restart itself (1641)' };
  return { restart_state: 'not-needed', restart_at: null, restart_detail: null };
}

type Verdict = { outcome: Outcome; errorClass: string | null; code: string | null; message: string; advice: string; rebootRequired?: boolean };

export class TargetTurns {
  /** Tasks whose waiting for credentials the activity log has announced. */
  private readonly waitingAnnounced = new Set<number>();
  /** The SMB transport's package copies: at most settings.packageCopyConcurrency at once, chunks read once. */
  readonly copies = new PackageCopies(() => this.o.settings().packageCopyConcurrency);

  constructor(
    private readonly o: EngineOptions,
    private readonly journal: Journal,
    private readonly files: PackageFiles,
    private readonly queue: TargetQueue,
    private readonly completion: TaskCompletion,
    private readonly timers: EngineTimers,
    private readonly now: () => Date,
    /** The LAPS passwords of the pushes under way, one per target, for that push only. */
    private readonly lapsSecrets: TargetLapsSecrets,
    /** Restarts the agents scheduled, followed to their end outside the push slots. */
    private readonly restarts: RestartFollower,
    /** Each credential's Kerberos tickets per task (in memory only). */
    private readonly kerberos: KerberosLogons,
  ) {}

  credentialProblem(t: Parameters<typeof credentialProblem>[1], options: TaskOptions): CredentialProblem | null {
    return credentialProblem(this.o.vault, t, effectiveRunAs(options));
  }

  /**
   * A queued target whose credential is gone waits (it is not failed) until Set Credentials…
   * rebinds it. Journalled only: the caller commits, then announces (begin() does a whole task at once).
   */
  waitForCredentials(taskId: number, targetId: number, why: string): void {
    const advice = 'Use Set Credentials… on the task (Installation History) or on the computer (Computers); Cancel Task ends it instead.';
    this.journal.step(taskId, targetId, 'credentials', `waiting for credentials: ${why}`, 'CREDENTIALS');
    this.journal.update(targetId, { state: WAITING, progress: null, error_class: 'credentials-missing', error_code: null, error_message: `Waiting for credentials: ${why}.`, advice });
    if (!this.waitingAnnounced.has(taskId)) {
      this.waitingAnnounced.add(taskId);
      this.journal.log(`Task ${taskId}: computers wait for credentials (${why}). ${advice}`);
    }
  }

  /** Credentials came back for the task: a later wait is announced again. */
  credentialsBack(taskId: number): void {
    this.waitingAnnounced.delete(taskId);
  }

  /** One target's turn: wait for credentials, or prepare and push, then retry later or finish. */
  async run({ taskId, targetId }: QueueEntry, signal: AbortSignal): Promise<void> {
    const target = this.o.tasks.targetRecord(targetId)!;
    const task = this.o.tasks.task(taskId)!;
    const options = JSON.parse(task.options_json) as TaskOptions;
    // Checked before anything is written: a target without usable credentials waits, untouched.
    const problem = this.credentialProblem(target, options);
    if (problem?.kind === 'missing') {
      // Its probe from the queue goes too: it would be stale (a refusal stays "fresh" for minutes)
      // by the time Set Credentials… queues the target again.
      this.queue.probes.forget(targetId);
      this.waitForCredentials(taskId, targetId, problem.why);
      this.journal.flush();
      this.journal.progress(taskId, targetId, WAITING, null, null);
      return;
    }
    const laps = this.o.vault.lapsDirectory(target.credential_id!);
    const settings = this.o.settings();
    const started = Date.now();
    const attempts = target.attempts + 1;
    const runId = `r${taskId}-${targetId}-${attempts}-${crypto.randomBytes(3).toString('hex')}`;
    this.journal.update(targetId, { state: 'probing', started_at: this.now().toISOString(), finished_at: null, attempts, run_id: runId, outcome: null, error_class: null, error_code: null, error_message: null, advice: null, laps_attribute: null, laps_account: null, transport: null, auth_mechanism: null });

    // A LAPS credential: this computer's own password, read now; a failure is the target's verdict, before any logon.
    let credential: LogonCredential;
    let lapsSecret: LapsSecret | null = null;
    if (laps) {
      const read = await this.readLaps(taskId, target, laps, settings, signal);
      if ('verdict' in read) return this.finish(taskId, targetId, started, read.verdict);
      lapsSecret = read.secret;
      credential = read.credential;
    } else {
      credential = this.o.vault.logon(target.credential_id!)!;
    }

    const callback = await this.callback(options);
    if ('verdict' in callback) return this.finish(taskId, targetId, started, callback.verdict);
    const prepared = preparePush({
      target, packageId: task.package_id, options, settings, credential, problem,
      ...(laps ? {} : { smbCredentials: this.kerberos.credentials(credential, `task ${taskId}`) }),
      source: task.package_id !== null ? this.o.packages.source(task.package_id) : undefined,
      readFiles: (source) => this.files.of(source),
      runId, attempts, agentPath: this.o.agentPath, callback, timeouts: pushTimeouts(settings, this.o.timeouts),
    });
    if ('verdict' in prepared) return this.finish(taskId, targetId, started, prepared.verdict);
    this.journal.step(taskId, targetId, 'start', prepared.startLine);
    const push = () => pushTarget({ ...prepared.spec, probedAhead: this.queue.probes.take(targetId) }, this.hooks(taskId, targetId), { grants: this.o.grants, hub: this.o.hub, signal, copies: this.copies });
    // The LAPS password is held for this push only (the agent's install credential), forgotten when it ends or throws.
    let result = lapsSecret ? await this.lapsSecrets.during(targetId, lapsSecret, push) : await push();
    // Refused with the directory's password: the advice says why a LAPS password may be stale.
    if (lapsSecret && result.errorClass === 'logon-failure') result = { ...result, advice: lapsLogonFailureAdvice(lapsSecret) };

    const retries = options.retryCount ?? settings.retryCount;
    if ((result.errorClass === 'offline' || result.errorClass === 'port-blocked') && attempts <= retries && !signal.aborted && !this.completion.isCancelled(taskId)) {
      const interval = this.o.timeouts?.retryIntervalMs ?? settings.retryIntervalMinutes * 60_000;
      this.journal.step(taskId, targetId, 'retry', `${result.message} Retry ${attempts} of ${retries} in ${Math.round(interval / 1000)} s.`, result.code);
      this.journal.update(targetId, { state: 'queued', progress: null, error_class: result.errorClass, error_message: result.message, leftovers: null });
      this.journal.progress(taskId, targetId, 'queued', null, null);
      this.timers.after(interval, () => {
        if (this.completion.isCancelled(taskId)) return;
        this.queue.push([{ targetId, taskId }]);
        this.queue.pump();
      });
      return;
    }
    await this.finish(taskId, targetId, started, result, { exit_code: result.exitCode, msi_log: result.msiLog, leftovers: result.leftovers ? JSON.stringify(result.leftovers) : null, transport: result.transport, auth_mechanism: result.authMechanism, ...restartColumns(result.restart) });
    if (result.pendingRestart && result.restart?.at) {
      this.restarts.follow({
        targetId, host: prepared.spec, serviceName: result.pendingRestart.serviceName, at: new Date(result.restart.at), asked: result.restart.asked === true,
        remote: result.pendingRestart.remote, service: result.pendingRestart.service,
      });
    }
  }

  /**
   * Reads the target's LAPS password (docs/ARCHITECTURE.md §6): the step log says where it was
   * looked up, which attribute and account were used, and warns when it expired (the push still
   * tries it). A laps-* or directory-* failure — or the computer's address not saying its name —
   * ends the target with its class and advice; a cancel ends it cancelled.
   */
  private async readLaps(taskId: number, target: TargetRecord, laps: LapsDirectory, settings: Settings, signal: AbortSignal): Promise<{ secret: LapsSecret; credential: LogonCredential } | { verdict: Verdict }> {
    const targetId = target.id;
    this.journal.step(taskId, targetId, 'laps', `reading the computer's LAPS password from ${laps.url} as ${laps.bindDn}`);
    try {
      const logon = await lapsLogon(laps, { name: target.computer_name, address: target.address, port: target.port ?? 445 }, { connectTimeoutMs: pushTimeouts(settings, this.o.timeouts).connectMs, signal });
      const { secret } = logon;
      this.journal.step(taskId, targetId, 'laps', `${describeLaps(secret)} (found ${logon.lookedUp}: ${secret.dn})`);
      if (secret.expired) this.journal.step(taskId, targetId, 'laps', expiredWarning(secret), 'LAPS-EXPIRED');
      this.journal.update(targetId, { laps_attribute: secret.attribute, laps_account: secret.account });
      return { secret, credential: { id: target.credential_id!, user: secret.account, domain: '.', keeps: 'password', ntHash: logon.credentials.ntHash } };
    } catch (error) {
      const e = error instanceof ConsoleError ? error : new ConsoleError('internal', error instanceof Error ? error.message : String(error));
      const cancelled = e.errorClass === 'cancelled' || signal.aborted;
      this.journal.step(taskId, targetId, 'error', `${cancelled ? 'cancelled while reading the LAPS password' : e.message} ${cancelled ? '' : e.advice}`.trim(), e.code);
      return { verdict: cancelled ? { outcome: 'cancelled', errorClass: 'cancelled', code: null, message: 'The push was cancelled.', advice: 'Retry when ready.' } : { outcome: 'failed', errorClass: e.errorClass, code: e.code, message: e.message, advice: e.advice } };
    }
  }

  /** The package server's port and fingerprint for the callback and auto transports (started on first need); none for smb. */
  private async callback(options: TaskOptions): Promise<{ port: number; fingerprint: string } | { verdict: Verdict }> {
    if (options.transport === 'smb') return { port: 0, fingerprint: '' };
    try {
      return await this.o.callback();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { verdict: { outcome: 'failed', errorClass: 'package-server', code: (error as NodeJS.ErrnoException).code ?? null, message: `The package server could not start: ${why}`, advice: 'Free the package server port (TCP 2224) on this computer or choose another in Configuration — or push with the SMB transport, which needs no port.' } };
    }
  }

  /** A turn that threw: a bug, not a push failure; the target ends `internal`. */
  crashed({ taskId, targetId }: QueueEntry, error: unknown): void {
    this.journal.step(taskId, targetId, 'error', `internal: ${error instanceof Error ? error.message : String(error)}`);
    this.journal.update(targetId, { state: 'done', outcome: 'failed', error_class: 'internal', finished_at: this.now().toISOString() });
    this.completion.targetEnded(taskId, targetId);
    this.journal.flush();
  }

  /** A queued or waiting target cancelled before it started: journalled; the caller flushes and then announces it. */
  cancelledBeforeStart(taskId: number, targetId: number): void {
    this.journal.step(taskId, targetId, 'cancelled', 'cancelled before it started');
    this.journal.update(targetId, { state: 'done', outcome: 'cancelled', error_class: 'cancelled', finished_at: this.now().toISOString() });
    this.completion.targetEnded(taskId, targetId);
  }

  /** What a push tells the journal: states (copy/download percentages go to the windows only), steps, and the write-ahead record. */
  private hooks(taskId: number, targetId: number): PushTargetHooks {
    return {
      state: (state, progress) => {
        if (state !== 'copying' && state !== 'copying-package' && state !== 'downloading') this.journal.update(targetId, { state, progress });
        else if (progress === 0 || progress === null) this.journal.update(targetId, { state, progress });
        this.journal.progress(taskId, targetId, state, null, progress);
      },
      step: (step, detail, code) => this.journal.step(taskId, targetId, step, detail, code ?? null),
      // Write-ahead: committed at once before the remote change it announces is made, so a crash
      // at any point leaves a record that names every service and file on the computer.
      remote: (leftovers, serviceName) => {
        this.journal.update(targetId, { service_name: serviceName ?? leftovers.service, leftovers: JSON.stringify(leftovers) });
        this.journal.flush();
      },
      // The same, awaited: committed with the records other pushes ask for now (one fsync for all).
      recordAhead: async (leftovers, serviceName) => {
        this.journal.update(targetId, { service_name: serviceName ?? leftovers.service, leftovers: JSON.stringify(leftovers) });
        await this.journal.durable();
      },
      // What cleanup removed goes with the next commit (finish() commits right after cleanup).
      gone: (leftovers) => this.journal.update(targetId, { service_name: leftovers.service, leftovers: JSON.stringify(leftovers) }),
    };
  }

  /** A target's end: its verdict and the done step, committed (with other pushes' records, Journal.durable) before it is announced. */
  private async finish(taskId: number, targetId: number, started: number, verdict: Verdict, extra: TargetChanges = {}): Promise<void> {
    this.journal.update(targetId, {
      state: 'done', outcome: verdict.outcome, error_class: verdict.errorClass, error_code: verdict.code, error_message: verdict.message,
      advice: verdict.advice || null, reboot_required: verdict.rebootRequired ? 1 : 0, finished_at: this.now().toISOString(), progress: null, ...extra,
    });
    this.journal.step(taskId, targetId, 'done', `${verdict.outcome}${verdict.errorClass && verdict.errorClass !== verdict.outcome ? ` (${verdict.errorClass})` : ''} after ${((Date.now() - started) / 1000).toFixed(1)} s`, verdict.code);
    this.completion.targetEnded(taskId, targetId);
    await this.journal.durable();
    this.journal.progress(taskId, targetId, 'done', verdict.outcome, null);
  }
}
