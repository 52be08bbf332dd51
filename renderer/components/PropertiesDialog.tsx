// Properties (F4): what the selected item on the current tab is. For a task: Details (each
// target's state, result and error class) and its logs (View All Logs / View Selected Logs).
import {
  Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Tab, Table, TableBody, TableCell, TableRow, Tabs, Typography,
} from '@mui/material';
import { useState } from 'react';
import type { TaskTarget } from '../../main/ipc/contract';
import { loadTargetLogs } from '../state/actions';
import { selectSelectedTask, useConsole } from '../state/store';
import { DataTable, type Column } from './DataTable';
import { formatBytes } from '../format';

function Fields(props: { rows: [string, string | number | null][] }) {
  return (
    <Table aria-label="Properties">
      <TableBody>
        {props.rows.map(([label, value]) => (
          <TableRow key={label}>
            <TableCell component="th" sx={{ width: 200, fontWeight: 600 }}>
              {label}
            </TableCell>
            <TableCell>{value === null || value === '' ? '—' : value}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

const targetColumns: readonly Column<TaskTarget>[] = [
  { key: 'computer', header: 'Computer', render: (t) => t.computerName },
  { key: 'state', header: 'State', render: (t) => (t.state === 'done' ? t.outcome ?? 'done' : t.state) },
  { key: 'progress', header: 'Progress', render: (t) => (t.progress === null ? '—' : `${Math.round(t.progress)} %`) },
  { key: 'error', header: 'Error class', render: (t) => t.errorClass ?? '—' },
  { key: 'code', header: 'Code', render: (t) => t.errorCode ?? '—' },
];

// Selectors must return a stable reference: a fresh [] per call makes zustand re-render forever.
const NO_TARGETS: TaskTarget[] = [];

function TaskProperties() {
  const task = useConsole(selectSelectedTask);
  const targets = useConsole((s) => (task ? s.targetsByTask[task.id] ?? NO_TARGETS : NO_TARGETS));
  const logs = useConsole((s) => s.logsByTarget);
  const [view, setView] = useState(0);
  const [selectedTargets, setSelectedTargets] = useState<number[]>([]);
  const [shownLogs, setShownLogs] = useState<number[]>([]);
  if (!task) return null;

  const showLogs = async (ids: number[]) => {
    await loadTargetLogs(ids);
    setShownLogs(ids);
    setView(1);
  };
  const lines = shownLogs.flatMap((id) => {
    const name = targets.find((t) => t.id === id)?.computerName ?? `#${id}`;
    return (logs[id] ?? []).map((e) => `${e.at}  ${name}  ${e.step}  ${e.detail}${e.code ? `  [${e.code}]` : ''}`);
  });

  return (
    <>
      <Tabs value={view} onChange={(_, v: number) => setView(v)}>
        <Tab label="Details" />
        <Tab label="Logs" />
      </Tabs>
      {view === 0 && (
        <Box sx={{ display: 'flex', flexDirection: 'column', height: 360, pt: 1 }}>
          <DataTable
            label="Targets"
            columns={targetColumns}
            rows={targets}
            selected={selectedTargets}
            onSelect={setSelectedTargets}
            empty="This task has no computers."
          />
          <Box sx={{ display: 'flex', gap: 1, pt: 1 }}>
            <Button onClick={() => void showLogs(targets.map((t) => t.id))} disabled={targets.length === 0}>
              View All Logs
            </Button>
            <Button onClick={() => void showLogs(selectedTargets)} disabled={selectedTargets.length === 0}>
              View Selected Logs
            </Button>
          </Box>
        </Box>
      )}
      {view === 1 && (
        <Box
          component="pre"
          data-testid="log-view"
          sx={{ height: 360, overflow: 'auto', bgcolor: '#1e1e1e', color: '#e0e0e0', p: 1, m: 0, mt: 1, fontSize: 12 }}
        >
          {lines.length ? lines.join('\n') : 'Choose View All Logs or View Selected Logs on the Details tab.'}
        </Box>
      )}
    </>
  );
}

function PropertiesBody() {
  const tab = useConsole((s) => s.activeTab);
  const computer = useConsole((s) => s.computers.find((c) => c.id === s.selectedComputerIds[0]));
  const pkg = useConsole((s) => s.packages.find((p) => p.id === s.selectedPackageId));
  if (tab === 'history') return <TaskProperties />;
  if (tab === 'computers' && computer) {
    return (
      <Fields
        rows={[
          ['Computer', computer.name],
          ['Address', computer.address],
          ['Domain', computer.domain],
          ['Operating system', computer.os],
          ['Group', computer.groupName],
          ['Last result', computer.lastResult],
          ['Added', new Date(computer.createdAt).toLocaleString()],
        ]}
      />
    );
  }
  if (tab === 'packages' && pkg) {
    return (
      <Fields
        rows={[
          ['Package', pkg.name],
          ['Product', pkg.productName],
          ['Version', pkg.productVersion],
          ['Manufacturer', pkg.manufacturer],
          ['Product code', pkg.productCode],
          ['MSI', `${pkg.msiFileName} (${formatBytes(pkg.msiSize)})`],
          ['SHA-256', pkg.msiSha256],
          ['Configuration', pkg.configFileName],
          ['Parameters', pkg.parameters],
        ]}
      />
    );
  }
  return <Typography>Select an item first.</Typography>;
}

export function PropertiesDialog() {
  const open = useConsole((s) => s.propertiesOpen);
  const close = useConsole((s) => s.propertiesClosed);
  const title = useConsole((s) =>
    s.activeTab === 'history' ? `Task: ${selectSelectedTask(s)?.name ?? ''}` : s.activeTab === 'packages' ? 'Package Properties' : 'Computer Properties',
  );
  return (
    <Dialog open={open} onClose={close} fullWidth maxWidth="md" aria-label="Properties">
      <DialogTitle>{title}</DialogTitle>
      <DialogContent dividers>
        <PropertiesBody />
      </DialogContent>
      <DialogActions>
        <Button onClick={close}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
