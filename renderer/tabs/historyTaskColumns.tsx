// The columns of Installation History's task grid: name, action, package, status (a scheduled task
// says when), the result as a small outcome bar with its counts, and when it started and finished.
import { Box, Chip, Stack } from '@mui/material';
import type { TaskSummary } from '../../main/ipc/contract';
import type { Column } from '../components/DataTable';
import { TaskOutcomeBar } from '../history/OutcomeChart';
import { duration, when } from '../history/targetColumns';

function statusLabel(t: TaskSummary): string {
  if (t.status === 'pending') return t.scheduledAt ? `scheduled ${when(t.scheduledAt)}` : 'pending';
  return t.status;
}
const STATUS_COLORS = { pending: 'default', running: 'info', finished: 'success', cancelled: 'warning' } as const;

/** The task's action as History shows it. */
const ACTION_LABELS = { install: 'Install', uninstall: 'Uninstall', repair: 'Repair', restart: 'Restart' } as const;

export const taskColumns: readonly Column<TaskSummary>[] = [
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
