// Installation History: one row per task (status, counts, a small chart, started/finished), and
// under it the selected task's targets with live state and progress (batched per animation frame
// by state/mainEvents.ts), queue position, outcome, error class with its advice and timings.
// Actions: cancel, retry failed, redeploy, Set Credentials… (the task's or the highlighted
// computers' credentials again, after a restart forgot them), remove leftovers, the Leftovers
// window (Ctrl+Shift+L), export (CSV, ZIP of logs), Properties (F4) and View Selected Logs.
// Banners say when computers of the selected task wait for credentials, and when the task is kept
// because what its pushes left is still on computers.
// This file lays the tab out; the actions are in useHistoryActions.ts and historyCommands.ts, the
// task grid and the pieces around the grids in HistoryParts.tsx, its columns in historyTaskColumns.tsx,
// the grids' context menu in components/ActionsMenu.tsx.
import { Alert, Box, Stack, Typography } from '@mui/material';
import { useMemo, useState, type MouseEvent } from 'react';
import { ActionsMenu } from '../components/ActionsMenu';
import { DataTable } from '../components/DataTable';
import { LogViewer } from '../components/LogViewer';
import { targetColumns } from '../history/targetColumns';
import { filterTargets, type TargetShow } from '../history/targetFilter';
import { useNewestTaskWhenNoneSelected, useSelectedTask, useTaskRows } from '../history/useSelectedTask';
import { selectSelectedTaskTargets, useConsole } from '../state/store';
import { ActionButtons, HistoryBanners, TargetsBar, TasksGrid, type HistoryContextMenu } from './HistoryParts';
import { useHistoryActions } from './useHistoryActions';

export function HistoryTab() {
  // The selected task counted from its targets: its row, its chart and its banners agree.
  const { task, counts } = useSelectedTask();
  const tasks = useTaskRows(task);
  useNewestTaskWhenNoneSelected();
  const allTargets = useConsole(selectSelectedTaskTargets);
  const [filterText, setFilterText] = useState('');
  const [show, setShow] = useState<TargetShow>('all');
  // What the grid shows, what Ctrl+A selects and what the actions work on.
  const targets = useMemo(() => filterTargets(allTargets, filterText, show), [allTargets, filterText, show]);
  const selectedTargetIds = useConsole((s) => s.selectedTargetIds);
  const targetsSelected = useConsole((s) => s.targetsSelected);
  const historyFocused = useConsole((s) => s.historyFocused);
  const propertiesRequested = useConsole((s) => s.propertiesRequested);
  const [context, setContext] = useState<HistoryContextMenu | null>(null);
  const a = useHistoryActions(task, allTargets, targets, selectedTargetIds);

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, flex: 1, minHeight: 0 }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }} data-testid="task-toolbar">
        <ActionButtons actions={a.taskActions} />
      </Stack>
      {a.notice && (
        <Alert severity={a.notice.severity} onClose={() => a.setNotice(null)} data-testid="history-notice">
          {a.notice.text}
        </Alert>
      )}
      <HistoryBanners task={task} onSetCredentials={a.setTaskCredentials} onLeftovers={a.leftoversOpened} />
      <TasksGrid tasks={tasks} task={task} onContextMenu={(x, y) => setContext({ x, y, kind: 'task' })} />
      <TargetsBar task={task} counts={counts} targets={targets} allTargets={allTargets} show={show} onShow={setShow} filterText={filterText} onFilterText={setFilterText} toolbar={a.targetActions.slice(0, a.credentialsMatter ? 4 : 3)} />
      {/* The targets get the larger share: the bar above them takes two lines. */}
      <Box sx={{ flex: 5, minHeight: 0, display: 'flex' }}>
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
      <ActionsMenu at={context} actions={context?.kind === 'target' ? a.targetActions : a.taskActions} dividerBefore={3} onClose={() => setContext(null)} />
      {a.logs && <LogViewer title={`Logs of ${a.logs.length} computer(s)`} sources={a.logs} onClose={() => a.setLogs(null)} />}
      {a.credentialsDialog}
      {a.restartDialog}
    </Box>
  );
}
