// Computers: the machines targeted for remote installation.
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, Tooltip, Typography } from '@mui/material';
import { useMemo, useState } from 'react';
import type { Computer } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { addComputers, removeComputers } from '../state/actions';
import { filterComputers, useConsole } from '../state/store';

const columns: readonly Column<Computer>[] = [
  { key: 'name', header: 'Computer', width: '22%', render: (c) => c.name },
  { key: 'address', header: 'Address', render: (c) => c.address ?? '—' },
  { key: 'domain', header: 'Domain', render: (c) => c.domain ?? '—' },
  { key: 'os', header: 'Operating system', render: (c) => c.os ?? 'not queried yet' },
  { key: 'group', header: 'Group', render: (c) => c.groupName ?? '—' },
  { key: 'last', header: 'Last result', render: (c) => c.lastResult ?? 'never pushed' },
];

function AddComputersDialog(props: { open: boolean; onClose: () => void }) {
  const [text, setText] = useState('');
  const [group, setGroup] = useState('');
  const [report, setReport] = useState<string | null>(null);

  const submit = async () => {
    const entries = text.split(/[\s,;]+/).filter((e) => e.length > 0);
    if (entries.length === 0) return;
    const result = await addComputers(entries, group.trim() || undefined);
    if (!result) return;
    const parts = [`Added ${result.added.length} computer(s).`];
    if (result.duplicates.length) parts.push(`Already listed: ${result.duplicates.join(', ')}.`);
    if (result.invalid.length) parts.push(`Not valid: ${result.invalid.map((i) => `${i.entry} (${i.reason})`).join(', ')}.`);
    setReport(parts.join(' '));
    if (result.invalid.length === 0 && result.duplicates.length === 0) {
      setText('');
      props.onClose();
    }
  };

  return (
    <Dialog open={props.open} onClose={props.onClose} fullWidth maxWidth="sm">
      <DialogTitle>Add Computers</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ pt: 1 }}>
          <TextField
            label="Computer names or IP addresses"
            helperText="One per line, or separated by commas or spaces. NetBIOS names, DNS names, IPv4 and IPv6 addresses."
            multiline
            minRows={5}
            autoFocus
            value={text}
            onChange={(e) => setText(e.target.value)}
            slotProps={{ htmlInput: { 'data-testid': 'add-computers-input' } }}
          />
          <TextField label="Group (optional)" value={group} onChange={(e) => setGroup(e.target.value)} />
          {report && <Alert severity="info" data-testid="add-report">{report}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Close</Button>
        <Button variant="contained" onClick={() => void submit()} disabled={text.trim() === ''}>
          Add
        </Button>
      </DialogActions>
    </Dialog>
  );
}

export function ComputersTab() {
  const computers = useConsole((s) => s.computers);
  const filter = useConsole((s) => s.computerFilter);
  const rows = useMemo(() => filterComputers(computers, filter), [computers, filter]);
  const total = computers.length;
  const selected = useConsole((s) => s.selectedComputerIds);
  const computersSelected = useConsole((s) => s.computersSelected);
  const computerFilterChanged = useConsole((s) => s.computerFilterChanged);
  const propertiesRequested = useConsole((s) => s.propertiesRequested);
  const [adding, setAdding] = useState(false);

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, flex: 1, minHeight: 0 }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Button variant="contained" onClick={() => setAdding(true)}>
          Add Computers…
        </Button>
        <Button disabled={selected.length === 0} onClick={() => void removeComputers(selected)}>
          Remove
        </Button>
        <Tooltip title="F4">
          <span>
            <Button disabled={selected.length === 0} onClick={propertiesRequested}>
              Properties (F4)
            </Button>
          </span>
        </Tooltip>
        <Box sx={{ flex: 1 }} />
        <TextField placeholder="Filter computers" value={filter} onChange={(e) => computerFilterChanged(e.target.value)} />
      </Stack>
      <DataTable
        label="Computers"
        columns={columns}
        rows={rows}
        selected={selected}
        onSelect={computersSelected}
        onOpen={(c) => {
          computersSelected([c.id]);
          propertiesRequested();
        }}
        empty={
          total === 0
            ? 'No computers yet. Choose "Add Computers…" to list the machines to install on.'
            : 'No computer matches the filter.'
        }
      />
      <Typography variant="caption" color="text.secondary" data-testid="computers-count">
        {total} computer(s), {selected.length} selected
      </Typography>
      <AddComputersDialog open={adding} onClose={() => setAdding(false)} />
    </Box>
  );
}
