// The wizard's Logon step: the task's computers with their credentials. Set Credentials… sets
// the highlighted rows, Set for All… every row, Add Clients Special… adds computers here, and
// Test checks per row what a push needs: logon, ADMIN$ writable, Service Control Manager access.
import { Box, Button, Chip, Stack, Tooltip, Typography } from '@mui/material';
import { useMemo, useState } from 'react';
import type { Computer, Credential, CredentialCheck } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { AddComputersDialog } from '../computers/AddComputersDialog';
import { CredentialBadges, credentialLabel, SetCredentialsDialog } from '../credentials/SetCredentialsDialog';
import { request } from '../state/actions';
import { useConsole } from '../state/store';

export interface LogonRow {
  readonly computerId: number;
  readonly credentialId: number | null;
}

type CheckState = CredentialCheck | 'testing';

interface GridRow {
  id: number;
  computer: Computer | undefined;
  credential: Credential | undefined;
  credentialId: number | null;
  check: CheckState | undefined;
}

function Verdict(props: { value: boolean | null | undefined }) {
  if (props.value === undefined || props.value === null) return <span>—</span>;
  return <span style={{ color: props.value ? '#2e7d32' : '#c62828', fontWeight: 600 }}>{props.value ? '✓ ok' : '✗ no'}</span>;
}

const columns: readonly Column<GridRow>[] = [
  { key: 'name', header: 'Computer', width: '18%', render: (r) => r.computer?.name ?? `#${r.id}` },
  { key: 'address', header: 'Address', width: '13%', render: (r) => r.computer?.address ?? '—' },
  {
    key: 'cred',
    header: 'Credentials',
    width: '16%',
    render: (r) =>
      r.credential ? (
        r.credential.available ? (
          <span>
            {credentialLabel(r.credential)}
            <CredentialBadges credential={r.credential} />
          </span>
        ) : <span style={{ color: '#c62828' }}>{credentialLabel(r.credential)} (password not kept)</span>
      ) : (
        <span style={{ color: '#c62828' }}>not set</span>
      ),
  },
  { key: 'logon', header: 'Logon', width: '8%', render: (r) => (r.check === 'testing' ? '…' : <Verdict value={r.check?.logon} />) },
  { key: 'admin', header: 'ADMIN$', width: '8%', render: (r) => (r.check === 'testing' ? '…' : <Verdict value={r.check?.adminShareWritable} />) },
  { key: 'scm', header: 'SCM', width: '8%', render: (r) => (r.check === 'testing' ? '…' : <Verdict value={r.check?.scmAccess} />) },
  {
    key: 'result',
    header: 'Test result',
    render: (r) => {
      if (r.check === undefined) return <span style={{ color: '#777' }}>not tested</span>;
      if (r.check === 'testing') return 'testing…';
      if (r.check.ok) return <Chip size="small" color="success" label="ready to push" />;
      const e = r.check.error;
      return (
        <span data-testid="test-error">
          <strong>{e?.class ?? 'failed'}</strong>
          {e ? ` — ${e.advice}` : ''}
        </span>
      );
    },
    title: (r) => (r.check && r.check !== 'testing' && r.check.error ? `${r.check.error.message}\n${r.check.error.advice}` : null),
  },
];

export function LogonStep(props: { rows: readonly LogonRow[]; onRows: (rows: LogonRow[]) => void; checks: Record<number, CheckState>; onChecks: (update: (prev: Record<number, CheckState>) => Record<number, CheckState>) => void }) {
  const computers = useConsole((s) => s.computers);
  const credentials = useConsole((s) => s.credentials);
  const [selected, setSelected] = useState<number[]>([]);
  const [dialog, setDialog] = useState<'selected' | 'all' | 'add' | null>(null);

  const gridRows = useMemo<GridRow[]>(() => {
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

  const test = async () => {
    const byCredential = new Map<number, number[]>();
    for (const r of props.rows) {
      if (r.credentialId === null) continue;
      const list = byCredential.get(r.credentialId) ?? [];
      list.push(r.computerId);
      byCredential.set(r.credentialId, list);
    }
    props.onChecks((prev) => {
      const next = { ...prev };
      for (const ids of byCredential.values()) for (const id of ids) next[id] = 'testing';
      return next;
    });
    await Promise.all(
      [...byCredential].flatMap(([credentialId, ids]) => {
        const chunks: number[][] = [];
        for (let i = 0; i < ids.length; i += 500) chunks.push(ids.slice(i, i + 500));
        return chunks.map(async (computerIds) => {
          const r = await request('credentials.test', { credentialId, computerIds });
          props.onChecks((prev) => {
            const next = { ...prev };
            for (const id of computerIds) {
              next[id] = r.ok
                ? r.result.find((c) => c.computerId === id) ?? { computerId: id, ok: false, logon: null, adminShareWritable: null, scmAccess: null, error: null }
                : { computerId: id, ok: false, logon: null, adminShareWritable: null, scmAccess: null, error: r.error };
            }
            return next;
          });
        });
      }),
    );
  };

  const missing = props.rows.filter((r) => r.credentialId === null).length;
  const testing = Object.values(props.checks).some((c) => c === 'testing');
  const scope = (n: number) => `${n} computer${n === 1 ? '' : 's'}`;

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, height: '100%' }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Tooltip title="Set the logon of the highlighted rows">
          <span>
            <Button variant="outlined" disabled={selected.length === 0} onClick={() => setDialog('selected')}>
              Set Credentials…
            </Button>
          </span>
        </Tooltip>
        <Button variant="outlined" disabled={props.rows.length === 0} onClick={() => setDialog('all')}>
          Set for All…
        </Button>
        <Button variant="outlined" onClick={() => setDialog('add')}>
          Add Clients Special…
        </Button>
        <Button disabled={selected.length === 0} onClick={() => { props.onRows(props.rows.filter((r) => !selected.includes(r.computerId))); setSelected([]); }}>
          Remove from Task
        </Button>
        <Box sx={{ flex: 1 }} />
        <Tooltip title="Logs on, writes a probe file to ADMIN$ and opens the Service Control Manager on each computer: what a push needs.">
          <span>
            <Button variant="contained" color="secondary" disabled={testing || props.rows.length === missing} onClick={() => void test()}>
              {testing ? 'Testing…' : 'Test'}
            </Button>
          </span>
        </Tooltip>
      </Stack>
      <DataTable
        label="Task computers"
        testId="logon-grid"
        columns={columns}
        rows={gridRows}
        selected={selected}
        onSelect={setSelected}
        onDelete={() => { props.onRows(props.rows.filter((r) => !selected.includes(r.computerId))); setSelected([]); }}
        empty="No computers in this task. Use Add Clients Special… to add some."
      />
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
