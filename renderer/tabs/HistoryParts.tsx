// The pieces of the Installation History tab: the task grid, the action buttons of a toolbar, the
// banners above the tasks (computers waiting for credentials, a task kept
// for its leftovers) and the bar above the targets (heading, outcome chart, Show, filter).
import { Alert, Box, Button, MenuItem, Stack, TextField, Tooltip, Typography } from '@mui/material';
import type { MouseEvent, ReactNode } from 'react';
import type { TaskSummary, TaskTarget } from '../../main/ipc/contract';
import { DataTable } from '../components/DataTable';
import { LEFTOVERS_SHORTCUT } from '../history/LeftoversDialog';
import { TargetOutcomeChart } from '../history/OutcomeChart';
import type { OutcomeCounts } from '../history/outcomeCounts';
import { TARGET_SHOW_LABELS, type TargetShow } from '../history/targetFilter';
import { openTask } from '../state/actions';
import { useConsole } from '../state/store';
import type { HistoryAction } from './historyCommands';
import { taskColumns } from './historyTaskColumns';

/** Where a grid's context menu opened, and for which grid. */
export type HistoryContextMenu = { x: number; y: number; kind: 'task' | 'target' };

/** The tasks, one row each: a click opens the task, a double click its Properties. */
export function TasksGrid(props: { tasks: readonly TaskSummary[]; task: TaskSummary | null; onContextMenu: (x: number, y: number) => void }) {
  const { task } = props;
  const historyFocused = useConsole((s) => s.historyFocused);
  const propertiesRequested = useConsole((s) => s.propertiesRequested);
  return (
    <Box sx={{ flex: 3, minHeight: 0, display: 'flex' }}>
      <DataTable
        label="Installation History"
        testId="tasks-grid"
        columns={taskColumns}
        rows={props.tasks}
        selected={task ? [task.id] : []}
        multiSelect={false}
        onFocus={() => historyFocused('task')}
        onSelect={(ids) => ids[0] !== undefined && void openTask(ids[0])}
        onOpen={(t) => void openTask(t.id).then(() => { historyFocused('task'); propertiesRequested(); })}
        onContextMenu={(e: MouseEvent, row) => row && props.onContextMenu(e.clientX, e.clientY)}
        empty="No installation tasks yet. Select computers and choose New Installation Task… to push a package."
      />
    </Box>
  );
}

/** One button per action, each with its hint as a tooltip. */
export function ActionButtons(props: { actions: readonly HistoryAction[]; size?: 'small' }) {
  return props.actions.map((a) => (
    <Tooltip key={a.label} title={a.hint ?? ''}>
      <span>
        <Button size={props.size} disabled={a.disabled} onClick={a.run} sx={{ whiteSpace: 'nowrap', flexShrink: 0 }}>
          {a.label}
        </Button>
      </span>
    </Tooltip>
  ));
}

/** The selected task's banners: computers waiting for credentials, and what its pushes left. */
export function HistoryBanners(props: { task: TaskSummary | null; onSetCredentials: (t: TaskSummary) => void; onLeftovers: () => void }) {
  const { task } = props;
  if (!task) return null;
  return (
    <>
      {task.waiting > 0 && (
        <Banner severity="warning" testId="waiting-banner" button="Set Credentials…" onClick={() => props.onSetCredentials(task)}>
          {task.waiting} computer(s) wait for credentials: the credentials of task "{task.name}" are not held any more (not remembered when the console
          stopped, or deleted). Set Credentials… resumes them; Cancel Task ends them instead.
        </Banner>
      )}
      {task.leftovers > 0 && (
        <Banner severity="info" testId="leftovers-banner" button="Leftovers…" tooltip={`What pushes left on computers (${LEFTOVERS_SHORTCUT})`} onClick={props.onLeftovers}>
          {task.leftovers} computer(s) still hold what this task's pushes left (an agent service, files): the task is kept until that is removed — retention
          never deletes it.
        </Banner>
      )}
    </>
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

/**
 * Above the targets, on two lines so that nothing is cut at 1440 px: the heading with the outcome
 * chart, then Show, the filter and the targets' toolbar.
 */
export function TargetsBar(props: {
  task: TaskSummary | null;
  counts: OutcomeCounts | null;
  targets: readonly TaskTarget[];
  allTargets: readonly TaskTarget[];
  show: TargetShow;
  onShow: (show: TargetShow) => void;
  filterText: string;
  onFilterText: (text: string) => void;
  toolbar: readonly HistoryAction[];
}) {
  const { task, targets, allTargets } = props;
  return (
    <Stack spacing={1}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
        <Typography variant="subtitle2" sx={{ flexShrink: 0, maxWidth: '40%' }} noWrap title={task?.name} data-testid="targets-heading">
          {task ? `${task.name}: ${targets.length === allTargets.length ? `${allTargets.length} computer(s)` : `${targets.length} of ${allTargets.length} computer(s) shown`}` : 'Select a task to see its computers'}
        </Typography>
        {task && props.counts && (
          <Box sx={{ flex: 1, minWidth: 0, maxWidth: 900 }}>
            <TargetOutcomeChart counts={props.counts} />
          </Box>
        )}
      </Stack>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <TextField select size="small" label="Show" value={props.show} onChange={(e) => props.onShow(e.target.value as TargetShow)} sx={{ width: 220, flexShrink: 0 }} data-testid="targets-show">
          {(Object.keys(TARGET_SHOW_LABELS) as TargetShow[]).map((k) => (
            <MenuItem key={k} value={k}>
              {TARGET_SHOW_LABELS[k]}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          size="small"
          placeholder="Filter: name, class, code (Ctrl+F)"
          value={props.filterText}
          onChange={(e) => props.onFilterText(e.target.value)}
          sx={{ flex: '0 1 360px', minWidth: 300 }}
          slotProps={{ htmlInput: { 'data-search-field': 'history', 'aria-label': 'Filter the task\'s computers', 'data-testid': 'targets-filter' } }}
        />
        <Box sx={{ flex: 1 }} />
        <Stack direction="row" spacing={1} sx={{ flexShrink: 0 }} data-testid="targets-toolbar">
          <ActionButtons size="small" actions={props.toolbar} />
        </Stack>
      </Stack>
    </Stack>
  );
}
