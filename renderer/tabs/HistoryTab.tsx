// Installation History: one row per task; Properties (F4) shows each target and its logs.
import { Box, Button, Chip, Stack, Typography } from '@mui/material';
import type { TaskSummary } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { openTask } from '../state/actions';
import { useConsole } from '../state/store';

function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

const columns: readonly Column<TaskSummary>[] = [
  { key: 'name', header: 'Task', width: '24%', render: (t) => t.name },
  { key: 'package', header: 'Package', render: (t) => t.packageName ?? '—' },
  { key: 'created', header: 'Created', render: (t) => when(t.createdAt) },
  { key: 'scheduled', header: 'Scheduled', render: (t) => (t.scheduledAt ? when(t.scheduledAt) : 'now') },
  { key: 'targets', header: 'Computers', render: (t) => t.targets },
  {
    key: 'result',
    header: 'Result',
    render: (t) => (
      <Stack direction="row" spacing={0.5}>
        <Chip size="small" color="success" variant="outlined" label={`${t.succeeded} succeeded`} />
        <Chip size="small" color={t.failed ? 'error' : 'default'} variant="outlined" label={`${t.failed} failed`} />
        {t.running > 0 && <Chip size="small" color="info" variant="outlined" label={`${t.running} running`} />}
      </Stack>
    ),
  },
];

export function HistoryTab() {
  const tasks = useConsole((s) => s.tasks);
  const selectedTaskId = useConsole((s) => s.selectedTaskId);
  const propertiesRequested = useConsole((s) => s.propertiesRequested);
  const selected = selectedTaskId === null ? [] : [selectedTaskId];

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, flex: 1, minHeight: 0 }}>
      <Stack direction="row" spacing={1}>
        <Button disabled={selectedTaskId === null} onClick={propertiesRequested}>
          Properties (F4)
        </Button>
      </Stack>
      <DataTable
        label="Installation History"
        columns={columns}
        rows={tasks}
        selected={selected}
        multiSelect={false}
        onSelect={(ids) => void openTask(ids[0]!)}
        onOpen={(t) => void openTask(t.id).then(propertiesRequested)}
        empty="No installation tasks yet. Select computers and choose New Installation Task… to push a package."
      />
      <Typography variant="caption" color="text.secondary">
        {tasks.length} task(s)
      </Typography>
    </Box>
  );
}
