// The Installation History tab's two lists of actions (the task toolbar, the targets' toolbar; each
// also the context menu of its grid) with what enables them, and the state they report through:
// the notice, the log viewer's computers and the Set Credentials dialog.
import { useState } from 'react';
import type { TaskSummary, TaskTarget } from '../../main/ipc/contract';
import type { LogSource } from '../components/LogViewer';
import { useCredentialsPrompt } from '../credentials/useCredentialsPrompt';
import { LEFTOVERS_SHORTCUT } from '../history/LeftoversDialog';
import { useRestartPrompt } from '../history/RestartComputersDialog';
import { lacksCredentials } from '../history/targetColumns';
import { rebindCredentials, rebindSummary } from '../state/actions';
import { useConsole } from '../state/store';
import {
  cancelRestarts,
  cancelTargets,
  done,
  exportCsv,
  exportLogs,
  fail,
  removeLeftovers,
  restartComputers,
  setTargetCredentials,
  setTaskCredentials,
  taskCommand,
  type HistoryAction,
  type HistoryContext,
  type HistoryNotice,
} from './historyCommands';

/** task: the selected task; allTargets: all its targets; targets: those the filter shows (what the actions work on). */
export function useHistoryActions(task: TaskSummary | null, allTargets: readonly TaskTarget[], targets: readonly TaskTarget[], selectedTargetIds: readonly number[]) {
  const historyFocused = useConsole((s) => s.historyFocused);
  const propertiesRequested = useConsole((s) => s.propertiesRequested);
  const [logs, setLogs] = useState<LogSource[] | null>(null);
  const [notice, setNotice] = useState<HistoryNotice | null>(null);
  const leftoversOpened = useConsole((s) => s.leftoversOpened);
  const credentials = useConsole((s) => s.credentials);
  const [credentialsDialog, askCredentials] = useCredentialsPrompt();
  const [restartDialog, askRestart] = useRestartPrompt((ids, reboot) => void restartComputers(ctx, ids, reboot));

  const ctx: HistoryContext = {
    task,
    allTargets,
    setNotice,
    setCredentialsFor: (scopeText, scope, next) =>
      askCredentials({
        scope: scopeText,
        then: async (credential) => {
          const r = await rebindCredentials(credential.id, scope);
          if (!r.ok) return fail(ctx, r.error);
          const summary = rebindSummary(r.result);
          done(ctx, summary);
          await next?.(summary);
        },
      }),
    askRestart,
  };
  const showProperties = (focus: 'task' | 'target') => {
    historyFocused(focus);
    propertiesRequested();
  };
  // Sets, not includes(): Ctrl+A on 50 000 targets would be 50 000 × 50 000 comparisons.
  const selectedSet = new Set(selectedTargetIds);
  const selectedTargets = selectedTargetIds.length === 0 ? [] : targets.filter((t) => selectedSet.has(t.id));
  const viewLogs = (ids: number[]) => {
    const wanted = new Set(ids);
    setLogs(targets.filter((t) => wanted.has(t.id)).map((t) => ({ targetId: t.id, computerName: t.computerName })));
  };
  // The targets' Set Credentials… button shows where credentials are an issue (it is always in the context menu).
  const credentialsMatter = task !== null && (task.waiting > 0 || task.leftovers > 0 || allTargets.some((t) => lacksCredentials(t, credentials)));
  return {
    notice,
    setNotice,
    logs,
    setLogs,
    credentialsDialog,
    restartDialog,
    credentialsMatter,
    setTaskCredentials: (t: TaskSummary) => setTaskCredentials(ctx, t),
    leftoversOpened,
    taskActions: taskActionList(ctx, leftoversOpened, () => showProperties('task')),
    targetActions: targetActionList(ctx, selectedTargets, viewLogs, () => showProperties('target')),
  };
}

/** A computer whose install needs a restart that no restart task or policy has handled yet. */
const needsRestart = (t: TaskTarget) => t.rebootRequired && !['scheduled', 'restarting', 'restarted', 'left-to-msiexec'].includes(t.restart ?? '');

function taskActionList(ctx: HistoryContext, leftoversOpened: () => void, properties: () => void): HistoryAction[] {
  const { task, allTargets } = ctx;
  // Retry Failed copies failed, interrupted and cancelled computers (the task's counts name only the failed).
  const retryable = task !== null && (task.failed > 0 || allTargets.some((t) => t.outcome === 'failed' || t.outcome === 'interrupted' || t.outcome === 'cancelled'));
  return [
    { label: 'Cancel Task', disabled: !task || task.status === 'finished' || task.status === 'cancelled', run: () => void taskCommand(ctx, 'cancel') },
    { label: 'Retry Failed', disabled: !task || !retryable || task.status === 'running', run: () => void taskCommand(ctx, 'retry') },
    { label: 'Redeploy', disabled: !task, run: () => void taskCommand(ctx, 'redeploy') },
    {
      label: 'Restart Computers…',
      hint: 'Restart the computers of this task that still need the restart their installation asked for',
      disabled: !task || !allTargets.some(needsRestart),
      run: () => ctx.askRestart?.(allTargets.filter(needsRestart).map((t) => t.id)),
    },
    {
      label: 'Set Credentials…',
      hint: 'Credentials for the computers of this task that wait for them, did not succeed or left something behind',
      disabled: !task || (task.succeeded === task.targets && task.leftovers === 0),
      run: () => task && setTaskCredentials(ctx, task),
    },
    { label: 'Leftovers…', shortcut: LEFTOVERS_SHORTCUT, hint: `What pushes left on computers (${LEFTOVERS_SHORTCUT})`, disabled: false, run: leftoversOpened },
    { label: 'Export Results (CSV)', disabled: !task, run: () => void exportCsv(ctx) },
    { label: 'Export Logs (ZIP)', disabled: !task, run: () => void exportLogs(ctx) },
    { label: 'Properties (F4)', disabled: !task, run: properties },
  ];
}

function targetActionList(ctx: HistoryContext, selectedTargets: readonly TaskTarget[], viewLogs: (ids: number[]) => void, properties: () => void): HistoryAction[] {
  // Remove Leftovers cleans after pushes that ended; a running one cleans up itself.
  const withLeftovers = selectedTargets.filter((t) => t.state === 'done' && t.leftovers);
  // A running push keeps the credential it started with.
  const rebindable = selectedTargets.filter((t) => t.state === 'queued' || t.state === 'waiting-for-credentials' || t.state === 'done');
  return [
    { label: 'View Selected Logs', hint: 'Step logs and MSI logs of the highlighted computers', disabled: selectedTargets.length === 0, run: () => viewLogs(selectedTargets.map((t) => t.id)) },
    { label: 'Cancel Computer', disabled: !selectedTargets.some((t) => t.state !== 'done'), run: () => void cancelTargets(ctx, selectedTargets) },
    {
      label: 'Cancel Restart',
      hint: 'Cancel the pending restart of the highlighted computers (before they go down)',
      disabled: !selectedTargets.some((t) => t.restart === 'scheduled'),
      run: () => void cancelRestarts(ctx, selectedTargets.filter((t) => t.restart === 'scheduled')),
    },
    { label: 'Remove Leftovers', hint: 'Remove what the highlighted ended pushes left on their computers', disabled: withLeftovers.length === 0, run: () => void removeLeftovers(ctx, withLeftovers) },
    { label: 'Set Credentials…', hint: 'Credentials for the highlighted computers that are not running: waiting ones resume, leftovers are removed', disabled: rebindable.length === 0, run: () => setTargetCredentials(ctx, rebindable) },
    { label: 'Export Selected Logs (ZIP)', disabled: selectedTargets.length === 0, run: () => void exportLogs(ctx, selectedTargets.map((t) => t.id)) },
    { label: 'Properties (F4)', disabled: selectedTargets.length === 0, run: properties },
  ];
}
