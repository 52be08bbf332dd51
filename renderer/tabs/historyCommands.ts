// What the Installation History tab's actions do, apart from the component that offers them:
// cancel, retry failed and redeploy a task (asking for credentials a restart forgot, then trying
// once more), cancel computers, remove leftovers, and export results and logs. Each reports in the
// notice above the grids through the HistoryContext the tab hands in.
import type { IpcError, RebootPolicy, TaskSummary, TaskTarget } from '../../main/ipc/contract';
import { base64ToBytes, openTask, reloadSelectedTask, reloadTasks, removeLeftoversOf, request, saveFile, type RebindScope } from '../state/actions';

export type HistoryNotice = { severity: 'info' | 'warning' | 'error'; text: string };

/** One entry of a toolbar and of the matching context menu. */
export type HistoryAction = { label: string; disabled: boolean; run: () => void; shortcut?: string; hint?: string };

/** What the commands work on and report to. */
export interface HistoryContext {
  /** The selected task, as of the render the command started from. */
  readonly task: TaskSummary | null;
  /** All the selected task's targets (not only those the filter shows). */
  readonly allTargets: readonly TaskTarget[];
  readonly setNotice: (notice: HistoryNotice) => void;
  /** Set Credentials… then gives the credential to `scope` (and says what happened, then runs `next`). */
  readonly setCredentialsFor: (scopeText: string, scope: RebindScope, next?: (summary: string) => Promise<void>) => void;
  /** Restart Computers…: asks for the policy, then restarts these targets. */
  readonly askRestart?: (targetIds: number[]) => void;
}

/** Restart Computers… once its policy is chosen: a new task with the action restart. */
export async function restartComputers(ctx: HistoryContext, targetIds: number[], reboot: RebootPolicy): Promise<void> {
  if (!ctx.task) return;
  const r = await request('tasks.restartComputers', { taskId: ctx.task.id, targetIds, reboot });
  if (!r.ok) return fail(ctx, r.error);
  await reloadTasks();
  if (r.result.taskId === null) return done(ctx, 'No computer of this task still needs its restart.');
  done(ctx, `Restart of ${targetIds.length} computer(s) started as task ${r.result.taskId}.`);
  await openTask(r.result.taskId);
}

/** Cancel Restart on the highlighted computers whose restart is pending. */
export async function cancelRestarts(ctx: HistoryContext, list: readonly TaskTarget[]): Promise<void> {
  const results = await Promise.all(list.map((t) => request('targets.cancelRestart', { targetId: t.id })));
  const failed = results.find((r) => !r.ok);
  if (failed && !failed.ok) return fail(ctx, failed.error);
  done(ctx, `Pending restart cancelled on ${list.length} computer(s); their agents are removed.`);
  await reloadSelectedTask();
}

export const done = (ctx: HistoryContext, text: string) => ctx.setNotice({ severity: 'info', text });
export const fail = (ctx: HistoryContext, e: { class: string; message: string; advice: string }) =>
  ctx.setNotice({ severity: 'error', text: `${e.class}: ${e.message} ${e.advice}` });

export const setTaskCredentials = (ctx: HistoryContext, t: TaskSummary, next?: (summary: string) => Promise<void>) =>
  ctx.setCredentialsFor(`the computers of task "${t.name}" that wait for credentials, did not succeed or left something behind`, { taskId: t.id }, next);

export const setTargetCredentials = (ctx: HistoryContext, list: readonly TaskTarget[], why = '') =>
  ctx.setCredentialsFor(`${list.length} computer(s) of task "${ctx.task?.name ?? ''}"${why}`, { targetIds: list.map((t) => t.id) });

/** Cancel Task, Retry Failed or Redeploy on the selected task; `after` is what Set Credentials… did just before. */
export async function taskCommand(ctx: HistoryContext, what: 'cancel' | 'retry' | 'redeploy', after?: string): Promise<void> {
  if (!ctx.task) return;
  const t = ctx.task;
  const channel = what === 'cancel' ? 'tasks.cancel' : what === 'retry' ? 'tasks.retryFailed' : 'tasks.redeploy';
  const r = await request(channel, { taskId: t.id });
  if (!r.ok) {
    // Some computers' credentials are gone (a restart forgot them): ask for them, then do it again, once.
    if (what !== 'cancel' && after === undefined && r.error.class === 'credentials-missing') return askAgain(ctx, t, what, r.error);
    return fail(ctx, r.error);
  }
  const prefix = after ? `${after} ` : '';
  await reloadTasks();
  if ('taskId' in r.result) {
    if (r.result.taskId === null) done(ctx, `${prefix}${what === 'retry' ? 'No failed computers to retry.' : 'The task has no computers.'}`);
    else {
      done(ctx, `${prefix}${what === 'retry' ? 'Retry' : 'Redeploy'} started as task ${r.result.taskId}.`);
      await openTask(r.result.taskId);
    }
  } else {
    done(ctx, `Cancelling: queued computers stop now, running pushes clean up first${t.waiting ? ', computers waiting for credentials end as cancelled' : ''}.`);
    await openTask(t.id);
  }
}

function askAgain(ctx: HistoryContext, t: TaskSummary, what: 'retry' | 'redeploy', error: IpcError): void {
  ctx.setNotice({ severity: 'warning', text: `${error.message} Set the credentials to use: ${what === 'retry' ? 'Retry Failed' : 'Redeploy'} then starts.` });
  const next = (summary: string) => taskCommand(ctx, what, summary);
  // Redeploy copies every computer, succeeded ones included: all of them get the credential.
  const every = ctx.allTargets.filter((x) => x.taskId === t.id && (x.state === 'done' || x.state === 'queued' || x.state === 'waiting-for-credentials')).map((x) => x.id);
  if (what === 'redeploy' && every.length > 0 && every.length <= 10_000) ctx.setCredentialsFor(`the ${every.length} computer(s) of task "${t.name}"`, { targetIds: every }, next);
  else setTaskCredentials(ctx, t, next);
}

/** Remove Leftovers on `list` (ended pushes that left something); those without credentials are asked for them. */
export async function removeLeftovers(ctx: HistoryContext, list: readonly TaskTarget[]): Promise<void> {
  const { cleaned, missing, problems } = await removeLeftoversOf(list);
  const parts = [`Leftovers removed on ${cleaned} of ${list.length} computer(s).`];
  if (missing.length) parts.push(`${missing.length} have no credentials now: set them and what is left there is removed at once.`);
  parts.push(...problems);
  ctx.setNotice({ severity: problems.length || missing.length ? 'warning' : 'info', text: parts.join(' ') });
  await reloadTasks();
  await reloadSelectedTask();
  if (missing.length) setTargetCredentials(ctx, missing, ' whose push left something: it is removed with these credentials at once');
}

export async function cancelTargets(ctx: HistoryContext, selected: readonly TaskTarget[]): Promise<void> {
  for (const t of selected) if (t.state !== 'done') await request('targets.cancel', { targetId: t.id });
  done(ctx, `Cancelling ${selected.filter((t) => t.state !== 'done').length} computer(s).`);
}

export async function exportCsv(ctx: HistoryContext): Promise<void> {
  const task = ctx.task;
  if (!task) return;
  const r = await request('history.exportCsv', { taskId: task.id });
  if (!r.ok) return fail(ctx, r.error);
  saveFile(r.result.fileName, `\uFEFF${r.result.text}`, 'text/csv');
  done(ctx, `Saved ${r.result.fileName}.`);
}

export async function exportLogs(ctx: HistoryContext, only?: number[]): Promise<void> {
  const task = ctx.task;
  if (!task) return;
  const r = await request('history.exportLogs', { taskId: task.id, ...(only ? { targetIds: only } : {}) });
  if (!r.ok) return fail(ctx, r.error);
  saveFile(r.result.fileName, base64ToBytes(r.result.base64), 'application/zip');
  done(ctx, `Saved ${r.result.fileName} (${r.result.entries} files).`);
}
