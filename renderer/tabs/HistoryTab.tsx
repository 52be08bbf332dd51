// Installation History: one row per task (status, counts, a small chart, started/finished), and
// under it the selected task's targets with live state and progress (batched per animation frame
// by state/actions.ts), queue position, outcome, error class with its advice and timings.
// Actions: cancel, retry failed, redeploy, Set Credentials… (the task's or the highlighted
// computers' credentials again, after a restart forgot them), remove leftovers, the Leftovers
// window (Ctrl+Shift+L), export (CSV, ZIP of logs), Properties (F4) and View Selected Logs.
// Banners say when computers of the selected task wait for credentials, and when the task is kept
// because what its pushes left is still on computers.
import { Alert, Box, Button, Chip, Divider, ListItemText, Menu, MenuItem, Stack, TextField, Tooltip, Typography } from '@mui/material';
import { useMemo, useState, type MouseEvent, type ReactNode } from 'react';
import type { IpcError, TaskSummary, TaskTarget } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { LogViewer, type LogSource } from '../components/LogViewer';
import { useCredentialsPrompt } from '../credentials/useCredentialsPrompt';
import { LEFTOVERS_SHORTCUT } from '../history/LeftoversDialog';
import { TargetOutcomeChart, TaskOutcomeBar } from '../history/OutcomeChart';
import { duration, lacksCredentials, targetColumns, when } from '../history/targetColumns';
import { filterTargets, TARGET_SHOW_LABELS, type TargetShow } from '../history/targetFilter';
import { base64ToBytes, openTask, rebindCredentials, rebindSummary, reloadSelectedTask, removeLeftoversOf, reloadTasks, request, saveFile, type RebindScope } from '../state/actions';
import { selectSelectedTask, selectSelectedTaskTargets, useConsole } from '../state/store';

function statusLabel(t: TaskSummary): string {
  if (t.status === 'pending') return t.scheduledAt ? `scheduled ${when(t.scheduledAt)}` : 'pending';
  return t.status;
}
const STATUS_COLORS = { pending: 'default', running: 'info', finished: 'success', cancelled: 'warning' } as const;

/** The task's action as History shows it. */
const ACTION_LABELS = { install: 'Install', uninstall: 'Uninstall', repair: 'Repair' } as const;

const taskColumns: readonly Column<TaskSummary>[] = [
  { key: 'name', header: 'Task', width: '20%', render: (t) => t.name, title: (t) => t.name },
  { key: 'action', header: 'Action', width: '7%', render: (t) => ACTION_LABELS[t.action], sortValue: (t) => ACTION_LABELS[t.action] },
  { key: 'package', header: 'Package', width: '11%', render: (t) => t.packageName ?? '—' },
  { key: 'status', header: 'Status', width: '11%', render: (t) => <Chip size="small" variant="outlined" color={STATUS_COLORS[t.status]} label={statusLabel(t)} /> },
  {
    key: 'result',
    header: 'Result',
    width: '26%',
    render: (t) => (
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Box sx={{ width: 70, flexShrink: 0 }}>
          <TaskOutcomeBar task={t} />
        </Box>
        <span style={{ overflow: 'hidden', textOverflow: 'ellipsis' }}>
          {t.succeeded} succeeded · {t.failed} failed{t.running ? ` · ${t.running} running` : ''}{t.waiting ? ` · ${t.waiting} waiting` : ''} / {t.targets}
        </span>
      </Stack>
    ),
  },
  { key: 'started', header: 'Started', width: '10%', render: (t) => when(t.startedAt) },
  { key: 'finished', header: 'Finished', width: '10%', render: (t) => when(t.finishedAt) },
  { key: 'duration', header: 'Duration', render: (t) => duration(t.startedAt, t.finishedAt) },
];

export function HistoryTab() {
  const tasks = useConsole((s) => s.tasks);
  const task = useConsole(selectSelectedTask);
  const allTargets = useConsole(selectSelectedTaskTargets);
  const [filterText, setFilterText] = useState('');
  const [show, setShow] = useState<TargetShow>('all');
  // What the grid shows, what Ctrl+A selects and what the actions work on.
  const targets = useMemo(() => filterTargets(allTargets, filterText, show), [allTargets, filterText, show]);
  const selectedTargetIds = useConsole((s) => s.selectedTargetIds);
  const targetsSelected = useConsole((s) => s.targetsSelected);
  const historyFocused = useConsole((s) => s.historyFocused);
  const propertiesRequested = useConsole((s) => s.propertiesRequested);
  const [logs, setLogs] = useState<LogSource[] | null>(null);
  const [notice, setNotice] = useState<{ severity: 'info' | 'warning' | 'error'; text: string } | null>(null);
  const [context, setContext] = useState<{ x: number; y: number; kind: 'task' | 'target' } | null>(null);
  const leftoversOpened = useConsole((s) => s.leftoversOpened);
  const credentials = useConsole((s) => s.credentials);
  const [credentialsDialog, askCredentials] = useCredentialsPrompt();

  const done = (text: string) => setNotice({ severity: 'info', text });
  const fail = (e: { class: string; message: string; advice: string }) => setNotice({ severity: 'error', text: `${e.class}: ${e.message} ${e.advice}` });

  /** Set Credentials… then gives the credential to `scope` (and says what happened, then runs `next`). */
  const setCredentialsFor = (scopeText: string, scope: RebindScope, next?: (summary: string) => Promise<void>) =>
    askCredentials({
      scope: scopeText,
      then: async (credential) => {
        const r = await rebindCredentials(credential.id, scope);
        if (!r.ok) return fail(r.error);
        const summary = rebindSummary(r.result);
        done(summary);
        await next?.(summary);
      },
    });
  const setTaskCredentials = (t: TaskSummary, next?: (summary: string) => Promise<void>) =>
    setCredentialsFor(`the computers of task "${t.name}" that wait for credentials, did not succeed or left something behind`, { taskId: t.id }, next);

  const act = async (what: 'cancel' | 'retry' | 'redeploy', after?: string) => {
    if (!task) return;
    const t = task;
    const channel = what === 'cancel' ? 'tasks.cancel' : what === 'retry' ? 'tasks.retryFailed' : 'tasks.redeploy';
    const r = await request(channel, { taskId: t.id });
    if (!r.ok) {
      // Some computers' credentials are gone (a restart forgot them): ask for them, then do it again, once.
      if (what !== 'cancel' && after === undefined && r.error.class === 'credentials-missing') return askAgain(t, what, r.error);
      return fail(r.error);
    }
    const prefix = after ? `${after} ` : '';
    await reloadTasks();
    if ('taskId' in r.result) {
      if (r.result.taskId === null) done(`${prefix}${what === 'retry' ? 'No failed computers to retry.' : 'The task has no computers.'}`);
      else {
        done(`${prefix}${what === 'retry' ? 'Retry' : 'Redeploy'} started as task ${r.result.taskId}.`);
        await openTask(r.result.taskId);
      }
    } else {
      done(`Cancelling: queued computers stop now, running pushes clean up first${t.waiting ? ', computers waiting for credentials end as cancelled' : ''}.`);
      await openTask(t.id);
    }
  };
  const askAgain = (t: TaskSummary, what: 'retry' | 'redeploy', error: IpcError) => {
    setNotice({ severity: 'warning', text: `${error.message} Set the credentials to use: ${what === 'retry' ? 'Retry Failed' : 'Redeploy'} then starts.` });
    const next = (summary: string) => act(what, summary);
    // Redeploy copies every computer, succeeded ones included: all of them get the credential.
    const every = allTargets.filter((x) => x.taskId === t.id && (x.state === 'done' || x.state === 'queued' || x.state === 'waiting-for-credentials')).map((x) => x.id);
    if (what === 'redeploy' && every.length > 0 && every.length <= 10_000) setCredentialsFor(`the ${every.length} computer(s) of task "${t.name}"`, { targetIds: every }, next);
    else setTaskCredentials(t, next);
  };

  const selectedTargets = targets.filter((t) => selectedTargetIds.includes(t.id));
  // Remove Leftovers cleans after pushes that ended; a running one cleans up itself.
  const withLeftovers = selectedTargets.filter((t) => t.state === 'done' && t.leftovers);
  // A running push keeps the credential it started with.
  const rebindable = selectedTargets.filter((t) => t.state === 'queued' || t.state === 'waiting-for-credentials' || t.state === 'done');
  const setTargetCredentials = (list: readonly TaskTarget[], why = '') =>
    setCredentialsFor(`${list.length} computer(s) of task "${task?.name ?? ''}"${why}`, { targetIds: list.map((t) => t.id) });
  const removeLeftovers = async () => {
    const list = withLeftovers;
    const { cleaned, missing, problems } = await removeLeftoversOf(list);
    const parts = [`Leftovers removed on ${cleaned} of ${list.length} computer(s).`];
    if (missing.length) parts.push(`${missing.length} have no credentials now: set them and what is left there is removed at once.`);
    parts.push(...problems);
    setNotice({ severity: problems.length || missing.length ? 'warning' : 'info', text: parts.join(' ') });
    await reloadTasks();
    await reloadSelectedTask();
    if (missing.length) setTargetCredentials(missing, ' whose push left something: it is removed with these credentials at once');
  };
  const cancelTargets = async () => {
    for (const t of selectedTargets) if (t.state !== 'done') await request('targets.cancel', { targetId: t.id });
    done(`Cancelling ${selectedTargets.filter((t) => t.state !== 'done').length} computer(s).`);
  };
  const exportCsv = async () => {
    if (!task) return;
    const r = await request('history.exportCsv', { taskId: task.id });
    if (!r.ok) return fail(r.error);
    saveFile(r.result.fileName, `\uFEFF${r.result.text}`, 'text/csv');
    done(`Saved ${r.result.fileName}.`);
  };
  const exportLogs = async (only?: number[]) => {
    if (!task) return;
    const r = await request('history.exportLogs', { taskId: task.id, ...(only ? { targetIds: only } : {}) });
    if (!r.ok) return fail(r.error);
    saveFile(r.result.fileName, base64ToBytes(r.result.base64), 'application/zip');
    done(`Saved ${r.result.fileName} (${r.result.entries} files).`);
  };
  const viewLogs = (ids: number[]) => setLogs(targets.filter((t) => ids.includes(t.id)).map((t) => ({ targetId: t.id, computerName: t.computerName })));

  // Retry Failed copies failed, interrupted and cancelled computers (the task's counts name only the failed).
  const retryable = task !== null && (task.failed > 0 || allTargets.some((t) => t.outcome === 'failed' || t.outcome === 'interrupted' || t.outcome === 'cancelled'));
  type Action = { label: string; disabled: boolean; run: () => void; shortcut?: string; hint?: string };
  // The targets' Set Credentials… button shows where credentials are an issue (it is always in the context menu).
  const credentialsMatter = task !== null && (task.waiting > 0 || task.leftovers > 0 || allTargets.some((t) => lacksCredentials(t, credentials)));
  const taskActions: Action[] = [
    { label: 'Cancel Task', disabled: !task || task.status === 'finished' || task.status === 'cancelled', run: () => void act('cancel') },
    { label: 'Retry Failed', disabled: !task || !retryable || task.status === 'running', run: () => void act('retry') },
    { label: 'Redeploy', disabled: !task, run: () => void act('redeploy') },
    {
      label: 'Set Credentials…',
      hint: 'Credentials for the computers of this task that wait for them, did not succeed or left something behind',
      disabled: !task || (task.succeeded === task.targets && task.leftovers === 0),
      run: () => task && setTaskCredentials(task),
    },
    { label: 'Leftovers…', shortcut: LEFTOVERS_SHORTCUT, hint: `What pushes left on computers (${LEFTOVERS_SHORTCUT})`, disabled: false, run: leftoversOpened },
    { label: 'Export Results (CSV)', disabled: !task, run: () => void exportCsv() },
    { label: 'Export Logs (ZIP)', disabled: !task, run: () => void exportLogs() },
    { label: 'Properties (F4)', disabled: !task, run: () => { historyFocused('task'); propertiesRequested(); } },
  ];
  const targetActions: Action[] = [
    { label: 'View Selected Logs', hint: 'Step logs and MSI logs of the highlighted computers', disabled: selectedTargets.length === 0, run: () => viewLogs(selectedTargets.map((t) => t.id)) },
    { label: 'Cancel Computer', disabled: !selectedTargets.some((t) => t.state !== 'done'), run: () => void cancelTargets() },
    { label: 'Remove Leftovers', hint: 'Remove what the highlighted ended pushes left on their computers', disabled: withLeftovers.length === 0, run: () => void removeLeftovers() },
    { label: 'Set Credentials…', hint: 'Credentials for the highlighted computers that are not running: waiting ones resume, leftovers are removed', disabled: rebindable.length === 0, run: () => setTargetCredentials(rebindable) },
    { label: 'Export Selected Logs (ZIP)', disabled: selectedTargets.length === 0, run: () => void exportLogs(selectedTargets.map((t) => t.id)) },
    { label: 'Properties (F4)', disabled: selectedTargets.length === 0, run: () => { historyFocused('target'); propertiesRequested(); } },
  ];

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, flex: 1, minHeight: 0 }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }} data-testid="task-toolbar">
        {taskActions.map((a) => (
          <Tooltip key={a.label} title={a.hint ?? ''}>
            <span>
              <Button disabled={a.disabled} onClick={a.run}>
                {a.label}
              </Button>
            </span>
          </Tooltip>
        ))}
      </Stack>
      {notice && (
        <Alert severity={notice.severity} onClose={() => setNotice(null)} data-testid="history-notice">
          {notice.text}
        </Alert>
      )}
      {task && task.waiting > 0 && (
        <Banner severity="warning" testId="waiting-banner" button="Set Credentials…" onClick={() => setTaskCredentials(task)}>
          {task.waiting} computer(s) wait for credentials: the credentials of task "{task.name}" are not held any more (not remembered when the console
          stopped, or deleted). Set Credentials… resumes them; Cancel Task ends them instead.
        </Banner>
      )}
      {task && task.leftovers > 0 && (
        <Banner severity="info" testId="leftovers-banner" button="Leftovers…" tooltip={`What pushes left on computers (${LEFTOVERS_SHORTCUT})`} onClick={leftoversOpened}>
          {task.leftovers} computer(s) still hold what this task's pushes left (an agent service, files): the task is kept until that is removed — retention
          never deletes it.
        </Banner>
      )}
      <Box sx={{ flex: 2, minHeight: 0, display: 'flex' }}>
        <DataTable
          label="Installation History"
          testId="tasks-grid"
          columns={taskColumns}
          rows={tasks}
          selected={task ? [task.id] : []}
          multiSelect={false}
          onFocus={() => historyFocused('task')}
          onSelect={(ids) => ids[0] !== undefined && void openTask(ids[0])}
          onOpen={(t) => void openTask(t.id).then(() => { historyFocused('task'); propertiesRequested(); })}
          onContextMenu={(e: MouseEvent, row) => row && setContext({ x: e.clientX, y: e.clientY, kind: 'task' })}
          empty="No installation tasks yet. Select computers and choose New Installation Task… to push a package."
        />
      </Box>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
        <Typography variant="subtitle2" sx={{ flexShrink: 0 }} data-testid="targets-heading">
          {task ? `${task.name}: ${targets.length === allTargets.length ? `${allTargets.length} computer(s)` : `${targets.length} of ${allTargets.length} computer(s) shown`}` : 'Select a task to see its computers'}
        </Typography>
        {task && <TargetOutcomeChart targets={allTargets} />}
        <Box sx={{ flex: 1 }} />
        <TextField
          select
          size="small"
          label="Show"
          value={show}
          onChange={(e) => setShow(e.target.value as TargetShow)}
          sx={{ width: 190 }}
        >
          {(Object.keys(TARGET_SHOW_LABELS) as TargetShow[]).map((k) => (
            <MenuItem key={k} value={k}>
              {TARGET_SHOW_LABELS[k]}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          size="small"
          placeholder="Filter: name, class, code (Ctrl+F)"
          value={filterText}
          onChange={(e) => setFilterText(e.target.value)}
          sx={{ width: 240 }}
          slotProps={{ htmlInput: { 'data-search-field': 'history', 'aria-label': 'Filter the task\'s computers', 'data-testid': 'targets-filter' } }}
        />
        <Stack direction="row" spacing={1} data-testid="targets-toolbar">
          {targetActions.slice(0, credentialsMatter ? 4 : 3).map((a) => (
            <Tooltip key={a.label} title={a.hint ?? ''}>
              <span>
                <Button size="small" disabled={a.disabled} onClick={a.run}>
                  {a.label}
                </Button>
              </span>
            </Tooltip>
          ))}
        </Stack>
      </Stack>
      <Box sx={{ flex: 3, minHeight: 0, display: 'flex' }}>
        <DataTable
          label="Task computers"
          testId="targets-grid"
          columns={targetColumns}
          rows={targets}
          selected={selectedTargetIds}
          onSelect={targetsSelected}
          onFocus={() => historyFocused('target')}
          onOpen={(t) => { targetsSelected([t.id]); propertiesRequested(); }}
          onContextMenu={(e: MouseEvent, row) => row && setContext({ x: e.clientX, y: e.clientY, kind: 'target' })}
          empty={!task ? 'Select a task above.' : allTargets.length > 0 ? 'No computer of this task matches the filter.' : 'Loading the computers of this task…'}
        />
      </Box>
      <Typography variant="caption" color="text.secondary">
        {tasks.length} task(s){task ? ` · ${selectedTargetIds.length} of ${targets.length} computer(s) highlighted` : ''}
      </Typography>
      <Menu open={context !== null} onClose={() => setContext(null)} anchorReference="anchorPosition" anchorPosition={context ? { top: context.y, left: context.x } : undefined}>
        {(context?.kind === 'target' ? targetActions : taskActions).map((a, i) => [
          i === 3 ? <Divider key={`d${i}`} /> : null,
          <MenuItem key={a.label} disabled={a.disabled} onClick={() => { setContext(null); a.run(); }}>
            <ListItemText>{a.label}</ListItemText>
            {a.shortcut && <Typography variant="caption" color="text.secondary" sx={{ ml: 3 }}>{a.shortcut}</Typography>}
          </MenuItem>,
        ])}
      </Menu>
      {logs && <LogViewer title={`Logs of ${logs.length} computer(s)`} sources={logs} onClose={() => setLogs(null)} />}
      {credentialsDialog}
    </Box>
  );
}

/** A one-line notice above the tasks with the one action it asks for. */
function Banner(props: { severity: 'warning' | 'info'; testId: string; button: string; tooltip?: string; onClick: () => void; children: ReactNode }) {
  const button = (
    <Button color="inherit" size="small" sx={{ whiteSpace: 'nowrap' }} onClick={props.onClick}>
      {props.button}
    </Button>
  );
  return (
    <Alert severity={props.severity} sx={{ py: 0, alignItems: 'center' }} data-testid={props.testId} action={props.tooltip ? <Tooltip title={props.tooltip} describeChild>{button}</Tooltip> : button}>
      {props.children}
    </Alert>
  );
}
