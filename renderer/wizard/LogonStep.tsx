// The wizard's Logon step: the task's computers with their credentials. Set Credentials… sets
// the highlighted rows, Set for All… every row, Add Clients Special… adds computers here, and
// Test checks per row what a push needs: logon, ADMIN$ writable, Service Control Manager access.
// The grid's columns are in logonColumns.tsx, Test in credentialTest.ts.
import { Box, Button, Stack, Tooltip, Typography } from '@mui/material';
import { useMemo, useState } from 'react';
import type { Credential } from '../../main/ipc/contract';
import { DataTable } from '../components/DataTable';
import { AddComputersDialog } from '../computers/AddComputersDialog';
import { SetCredentialsDialog } from '../credentials/SetCredentialsDialog';
import { useConsole } from '../state/store';
import { logonColumns, type CheckState, type LogonGridRow } from './logonColumns';
import { testCredentials } from './credentialTest';

export interface LogonRow {
  readonly computerId: number;
  readonly credentialId: number | null;
}

type LogonDialog = 'selected' | 'all' | 'add' | null;

export function LogonStep(props: { rows: readonly LogonRow[]; onRows: (rows: LogonRow[]) => void; checks: Record<number, CheckState>; onChecks: (update: (prev: Record<number, CheckState>) => Record<number, CheckState>) => void }) {
  const computers = useConsole((s) => s.computers);
  const credentials = useConsole((s) => s.credentials);
  const [selected, setSelected] = useState<number[]>([]);
  const [dialog, setDialog] = useState<LogonDialog>(null);

  const gridRows = useMemo<LogonGridRow[]>(() => {
    const byId = new Map(computers.map((c) => [c.id, c]));
    const creds = new Map(credentials.map((c) => [c.id, c]));
    return props.rows.map((r) => ({
      id: r.computerId,
      computer: byId.get(r.computerId),
      credentialId: r.credentialId,
      credential: r.credentialId === null ? undefined : creds.get(r.credentialId),
      check: props.checks[r.computerId],
    }));
  }, [props.rows, props.checks, computers, credentials]);

  const assign = (ids: ReadonlySet<number> | null, credential: Credential) => {
    props.onRows(props.rows.map((r) => (ids === null || ids.has(r.computerId) ? { ...r, credentialId: credential.id } : r)));
    props.onChecks((prev) => {
      const next = { ...prev };
      for (const r of props.rows) if (ids === null || ids.has(r.computerId)) delete next[r.computerId];
      return next;
    });
    setDialog(null);
  };
  const removeHighlighted = () => {
    const highlighted = new Set(selected);
    props.onRows(props.rows.filter((r) => !highlighted.has(r.computerId)));
    setSelected([]);
  };

  const missing = props.rows.filter((r) => r.credentialId === null).length;
  const testing = Object.values(props.checks).some((c) => c === 'testing');
  const scope = (n: number) => `${n} computer${n === 1 ? '' : 's'}`;

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, height: '100%' }}>
      <LogonToolbar highlighted={selected.length} rows={props.rows.length} canTest={!testing && props.rows.length !== missing} testing={testing} onDialog={setDialog} onRemove={removeHighlighted} onTest={() => void testCredentials(props.rows, props.onChecks)} />
      <DataTable label="Task computers" testId="logon-grid" columns={logonColumns} rows={gridRows} selected={selected} onSelect={setSelected} onDelete={removeHighlighted} empty="No computers in this task. Use Add Clients Special… to add some." />
      <Typography variant="caption" color={missing ? 'error' : 'text.secondary'} data-testid="logon-summary">
        {props.rows.length} computer(s); {missing ? `${missing} without credentials` : 'all have credentials'}; {selected.length} highlighted.
      </Typography>
      {dialog === 'selected' && <SetCredentialsDialog title="Set Credentials" scope={`the ${scope(selected.length)} highlighted`} onClose={() => setDialog(null)} onSet={(c) => assign(new Set(selected), c)} />}
      {dialog === 'all' && <SetCredentialsDialog title="Set for All" scope={`all ${scope(props.rows.length)} of this task`} onClose={() => setDialog(null)} onSet={(c) => assign(null, c)} />}
      {dialog === 'add' && (
        <AddComputersDialog
          title="Add Clients Special"
          onClose={() => setDialog(null)}
          onAdded={(ids) => {
            const have = new Set(props.rows.map((r) => r.computerId));
            props.onRows([...props.rows, ...ids.filter((id) => !have.has(id)).map((computerId) => ({ computerId, credentialId: null }))]);
          }}
        />
      )}
    </Box>
  );
}

/** Set Credentials… (highlighted rows), Set for All…, Add Clients Special…, Remove from Task, and Test. */
function LogonToolbar(props: { highlighted: number; rows: number; canTest: boolean; testing: boolean; onDialog: (d: LogonDialog) => void; onRemove: () => void; onTest: () => void }) {
  return (
    <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
      <Tooltip title="Set the logon of the highlighted rows">
        <span>
          <Button variant="outlined" disabled={props.highlighted === 0} onClick={() => props.onDialog('selected')}>
            Set Credentials…
          </Button>
        </span>
      </Tooltip>
      <Button variant="outlined" disabled={props.rows === 0} onClick={() => props.onDialog('all')}>
        Set for All…
      </Button>
      <Button variant="outlined" onClick={() => props.onDialog('add')}>
        Add Clients Special…
      </Button>
      <Button disabled={props.highlighted === 0} onClick={props.onRemove}>
        Remove from Task
      </Button>
      <Box sx={{ flex: 1 }} />
      <Tooltip title="Logs on, writes a probe file to ADMIN$ and opens the Service Control Manager on each computer: what a push needs.">
        <span>
          <Button variant="contained" color="secondary" disabled={!props.canTest} onClick={props.onTest}>
            {props.testing ? 'Testing…' : 'Test'}
          </Button>
        </span>
      </Tooltip>
    </Stack>
  );
}
