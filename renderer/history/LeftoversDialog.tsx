// The Leftovers window (Ctrl+Shift+L, from Computers and Installation History): everything pushes
// left on computers — an agent service, files under ADMIN$ — with the push that left it, since when,
// and whether its credentials are held. Remove cleans the highlighted ones; a computer whose
// credentials are gone asks for them (Set Credentials…), which cleans it at once. A task is kept in
// History while something it left is listed here: retention never deletes it.
// The list and what the window does are in useLeftovers.ts, the grid's columns in leftoverColumns.tsx.
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Tooltip, Typography } from '@mui/material';
import { useMemo } from 'react';
import { DataTable } from '../components/DataTable';
import { leftoverColumns, type LeftoverRow } from './leftoverColumns';
import { useLeftovers } from './useLeftovers';

export const LEFTOVERS_SHORTCUT = 'Ctrl+Shift+L';

export function LeftoversDialog(props: { onClose: () => void }) {
  const l = useLeftovers();
  const { rows, selected, notice } = l;
  const highlighted = useMemo(() => (rows ?? []).filter((r) => selected.includes(r.id)), [rows, selected]);

  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="lg" aria-label="Leftovers">
      <DialogTitle>Leftovers</DialogTitle>
      <DialogContent dividers sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
        <Typography variant="body2" color="text.secondary">
          What pushes left on computers (their agent service, files under ADMIN$) because they were interrupted or could not clean up.
          The tasks that left them stay in Installation History until it is removed.
        </Typography>
        {notice && (
          <Alert severity={notice.severity} onClose={() => l.setNotice(null)} closeText="Dismiss" data-testid="leftovers-notice">
            {notice.text}
          </Alert>
        )}
        <Box sx={{ height: '46vh', display: 'flex' }}>
          <DataTable
            label="Leftovers"
            testId="leftovers-grid"
            columns={leftoverColumns}
            rows={rows ?? []}
            selected={selected}
            onSelect={l.setSelected}
            onDelete={() => void l.remove(highlighted)}
            empty={rows === null ? 'Loading…' : 'Nothing is left on any computer.'}
          />
        </Box>
        <LeftoversCount rows={rows} highlighted={highlighted.length} />
      </DialogContent>
      <DialogActions>
        <Tooltip title="Remove what the highlighted pushes left (Delete)">
          <span>
            <Button disabled={l.busy || highlighted.length === 0} onClick={() => void l.remove(highlighted)}>
              Remove
            </Button>
          </span>
        </Tooltip>
        <Tooltip title="Give the highlighted computers credentials again: what their pushes left is removed at once">
          <span>
            <Button disabled={l.busy || highlighted.length === 0} onClick={() => l.setCredentials(highlighted)}>
              Set Credentials…
            </Button>
          </span>
        </Tooltip>
        <Button disabled={l.busy} onClick={() => void l.load()}>
          Refresh
        </Button>
        <Box sx={{ flex: 1 }} />
        <Button variant="contained" onClick={props.onClose}>
          Close
        </Button>
      </DialogActions>
      {l.credentialsDialog}
    </Dialog>
  );
}

/** How many pushes left something on how many computers, how many lack credentials, how many are highlighted. */
function LeftoversCount(props: { rows: readonly LeftoverRow[] | null; highlighted: number }) {
  const { rows } = props;
  const computers = new Set((rows ?? []).map((r) => r.computerId ?? r.computerName)).size;
  const missingCount = (rows ?? []).filter((r) => !r.credentialAvailable).length;
  return (
    <Typography variant="caption" color="text.secondary" data-testid="leftovers-count">
      {rows === null
        ? ' '
        : `${rows.length} push(es) left something on ${computers} computer(s)${missingCount ? `; ${missingCount} without credentials` : ''} · ${props.highlighted} highlighted`}
    </Typography>
  );
}
