// Installation History: one row per task (status, counts, a small chart, started/finished), and
// under it the selected task's targets with live state and progress (batched per animation frame
// by state/actions.ts), queue position, outcome, error class with its advice and timings.
// Actions: cancel, retry failed, redeploy, remove leftovers, export (CSV, ZIP of logs),
// Properties (F4) and View Selected Logs.
import { Alert, Box, Button, Chip, Divider, Menu, MenuItem, Stack, TextField, Tooltip, Typography } from '@mui/material';
import { useMemo, useState, type MouseEvent } from 'react';
import type { TaskSummary } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { LogViewer, type LogSource } from '../components/LogViewer';
import { TargetOutcomeChart, TaskOutcomeBar } from '../history/OutcomeChart';
import { duration, targetColumns, when } from '../history/targetColumns';
import { filterTargets, TARGET_SHOW_LABELS, type TargetShow } from '../history/targetFilter';
import { base64ToBytes, openTask, reloadTasks, request, saveFile } from '../state/actions';
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
          {t.succeeded} succeeded · {t.failed} failed{t.running ? ` · ${t.running} running` : ''} / {t.targets}
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
  const [notice, setNotice] = useState<{ severity: 'info' | 'error'; text: string } | null>(null);
  const [context, setContext] = useState<{ x: number; y: number; kind: 'task' | 'target' } | null>(null);

  const done = (text: string) => setNotice({ severity: 'info', text });
  const fail = (e: { class: string; message: string; advice: string }) => setNotice({ severity: 'error', text: `${e.class}: ${e.message} ${e.advice}` });

  const act = async (what: 'cancel' | 'retry' | 'redeploy') => {
    if (!task) return;
    const channel = what === 'cancel' ? 'tasks.cancel' : what === 'retry' ? 'tasks.retryFailed' : 'tasks.redeploy';
    const r = await request(channel, { taskId: task.id });
    if (!r.ok) return fail(r.error);
    await reloadTasks();
    if ('taskId' in r.result) {
      if (r.result.taskId === null) done(what === 'retry' ? 'No failed computers to retry.' : 'The task has no computers.');
      else {
        done(`${what === 'retry' ? 'Retry' : 'Redeploy'} started as task ${r.result.taskId}.`);
        await openTask(r.result.taskId);
      }
    } else {
      done('Cancelling: queued computers stop now, running pushes clean up first.');
      await openTask(task.id);
    }
  };

  const selectedTargets = targets.filter((t) => selectedTargetIds.includes(t.id));
  const withLeftovers = selectedTargets.filter((t) => t.leftovers);
  const removeLeftovers = async () => {
    let remaining = 0;
    for (const t of withLeftovers) {
      const r = await request('targets.removeLeftovers', { targetId: t.id });
      if (!r.ok) return fail(r.error);
      if (r.result.remaining) remaining += 1;
    }
    done(`Leftovers removed on ${withLeftovers.length - remaining} of ${withLeftovers.length} computer(s).`);
    if (task) await openTask(task.id);
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

  const taskActions = [
    { label: 'Cancel Task', disabled: !task || task.status === 'finished' || task.status === 'cancelled', run: () => void act('cancel') },
    { label: 'Retry Failed', disabled: !task || task.failed === 0 || task.status === 'running', run: () => void act('retry') },
    { label: 'Redeploy', disabled: !task, run: () => void act('redeploy') },
    { label: 'Export Results (CSV)', disabled: !task, run: () => void exportCsv() },
    { label: 'Export Logs (ZIP)', disabled: !task, run: () => void exportLogs() },
    { label: 'Properties (F4)', disabled: !task, run: () => { historyFocused('task'); propertiesRequested(); } },
  ];
  const targetActions = [
    { label: 'View Selected Logs', disabled: selectedTargets.length === 0, run: () => viewLogs(selectedTargets.map((t) => t.id)) },
    { label: 'Cancel Computer', disabled: !selectedTargets.some((t) => t.state !== 'done'), run: () => void cancelTargets() },
    { label: 'Remove Leftovers', disabled: withLeftovers.length === 0, run: () => void removeLeftovers() },
    { label: 'Export Selected Logs (ZIP)', disabled: selectedTargets.length === 0, run: () => void exportLogs(selectedTargets.map((t) => t.id)) },
    { label: 'Properties (F4)', disabled: selectedTargets.length === 0, run: () => { historyFocused('target'); propertiesRequested(); } },
  ];

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, flex: 1, minHeight: 0 }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
        {taskActions.map((a) => (
          <Button key={a.label} disabled={a.disabled} onClick={a.run}>
            {a.label}
          </Button>
        ))}
      </Stack>
      {notice && (
        <Alert severity={notice.severity} onClose={() => setNotice(null)} data-testid="history-notice">
          {notice.text}
        </Alert>
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
        {targetActions.slice(0, 3).map((a) => (
          <Tooltip key={a.label} title={a.label === 'View Selected Logs' ? 'Step logs and MSI logs of the highlighted computers' : ''}>
            <span>
              <Button size="small" disabled={a.disabled} onClick={a.run}>
                {a.label}
              </Button>
            </span>
          </Tooltip>
        ))}
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
            {a.label}
          </MenuItem>,
        ])}
      </Menu>
      {logs && <LogViewer title={`Logs of ${logs.length} computer(s)`} sources={logs} onClose={() => setLogs(null)} />}
    </Box>
  );
}
