// The Audit Trail (View → Audit Trail…, Ctrl+Shift+U; a Push Install Server's administrators):
// who changed what on the server, from which address and when — newest first, a page at a time,
// narrowed by account, action, text and dates, and exported as CSV like Installation History's
// results. The server keeps the trail and checks the role; this window only asks.
import { Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useState, type KeyboardEvent } from 'react';
import type { AuditFilter, AuditRow, IpcError } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { ErrorNotice } from '../components/ErrorNotice';
import { request, saveFile } from '../state/actions';

export const AUDIT_SHORTCUT = 'Ctrl+Shift+U';
export const AUDIT_PAGE = 100;

const columns: readonly Column<AuditRow>[] = [
  { key: 'at', header: 'Time', width: '17%', render: (r) => new Date(r.at).toLocaleString(), title: (r) => r.at, sortValue: (r) => r.at },
  { key: 'user', header: 'User', width: '11%', render: (r) => r.user, sortValue: (r) => r.user },
  { key: 'address', header: 'Address', width: '12%', render: (r) => r.address ?? '', sortValue: (r) => r.address ?? '' },
  { key: 'action', header: 'Action', width: '17%', render: (r) => r.action, sortValue: (r) => r.action },
  { key: 'ids', header: 'Ids', width: '10%', render: (r) => r.ids.join(', '), title: (r) => r.ids.join(', ') },
  { key: 'detail', header: 'Detail', render: (r) => r.detail ?? '', title: (r) => r.detail },
];

interface Filters {
  user: string;
  action: string;
  text: string;
  /** yyyy-mm-dd from the date fields (local days), or '' */
  from: string;
  to: string;
}

const NO_FILTERS: Filters = { user: '', action: '', text: '', from: '', to: '' };

/** The contract's filter: local days become instants (To is inclusive: before the next day's midnight). */
export function auditFilter(f: Filters): AuditFilter {
  const day = (d: string, plus = 0) => {
    const [y, m, dd] = d.split('-').map(Number);
    return new Date(y!, m! - 1, dd! + plus).toISOString();
  };
  return {
    ...(f.user.trim() ? { user: f.user.trim() } : {}),
    ...(f.action.trim() ? { action: f.action.trim() } : {}),
    ...(f.text.trim() ? { text: f.text.trim() } : {}),
    ...(f.from ? { from: day(f.from) } : {}),
    ...(f.to ? { to: day(f.to, 1) } : {}),
  };
}

export function AuditDialog(props: { onClose: () => void }) {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ rows: AuditRow[]; total: number } | null>(null);
  const [selected, setSelected] = useState<number[]>([]);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);
  const [exported, setExported] = useState<string | null>(null);

  const load = useCallback(async () => {
    setBusy(true);
    const r = await request('audit.list', { ...auditFilter(applied), limit: AUDIT_PAGE, offset });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    setError(null);
    setPage(r.result);
  }, [applied, offset]);

  useEffect(() => {
    void load();
  }, [load]);

  const apply = () => {
    setApplied(draft);
    setOffset(0);
  };
  // Not a <form>: the page's sandbox has no allow-forms (bridgeServer.ts); Enter in a filter searches.
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    apply();
  };
  const exportCsv = async () => {
    setBusy(true);
    const r = await request('audit.exportCsv', auditFilter(applied));
    setBusy(false);
    if (!r.ok) return setError(r.error);
    saveFile(r.result.fileName, r.result.text, 'text/csv;charset=utf-8');
    setExported(`${r.result.rows} row(s) exported to ${r.result.fileName}${r.result.truncated ? ' — not all: narrow the filters to export the rest' : ''}.`);
  };
  const edit = (key: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [key]: e.target.value }));
  const total = page?.total ?? 0;
  const shown = page ? `${total === 0 ? 0 : offset + 1}–${offset + page.rows.length} of ${total}` : ' ';

  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="xl" aria-label="Audit Trail">
      <DialogTitle>Audit Trail</DialogTitle>
      <DialogContent dividers sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
        <Typography variant="body2" color="text.secondary">
          Every change made on the Push Install Server and every sign-in: when, by which account, from which address, and what it acted on. Reading is not recorded.
        </Typography>
        <Stack direction="row" spacing={1} onKeyDown={onKeyDown} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
          <TextField size="small" label="User" value={draft.user} onChange={edit('user')} sx={{ width: 140 }} slotProps={{ htmlInput: { 'data-testid': 'audit-user' } }} />
          <TextField size="small" label="Action" placeholder="computers.add" value={draft.action} onChange={edit('action')} sx={{ width: 180 }} slotProps={{ htmlInput: { 'data-testid': 'audit-action' } }} />
          <TextField size="small" label="Text" value={draft.text} onChange={edit('text')} sx={{ width: 200 }} slotProps={{ htmlInput: { 'data-search-field': 'audit', 'data-testid': 'audit-text' } }} />
          <TextField size="small" label="From" type="date" value={draft.from} onChange={edit('from')} slotProps={{ inputLabel: { shrink: true } }} />
          <TextField size="small" label="To" type="date" value={draft.to} onChange={edit('to')} slotProps={{ inputLabel: { shrink: true } }} />
          <Button variant="outlined" disabled={busy} onClick={apply}>
            Search
          </Button>
          <Button
            disabled={busy}
            onClick={() => {
              setDraft(NO_FILTERS);
              setApplied(NO_FILTERS);
              setOffset(0);
            }}
          >
            Clear
          </Button>
        </Stack>
        {error && <ErrorNotice error={error} onClose={() => setError(null)} />}
        {exported && (
          <Typography variant="caption" color="text.secondary" data-testid="audit-exported">
            {exported}
          </Typography>
        )}
        <Box sx={{ height: '52vh', display: 'flex' }}>
          <DataTable label="Audit Trail" testId="audit-grid" columns={columns} rows={page?.rows ?? []} selected={selected} onSelect={setSelected} empty={page === null ? 'Loading…' : 'No audit rows match.'} />
        </Box>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
          <Typography variant="caption" color="text.secondary" data-testid="audit-count" sx={{ flex: 1 }}>
            {shown}
          </Typography>
          <Button size="small" disabled={busy || offset === 0} onClick={() => setOffset(Math.max(0, offset - AUDIT_PAGE))}>
            Previous
          </Button>
          <Button size="small" disabled={busy || offset + AUDIT_PAGE >= total} onClick={() => setOffset(offset + AUDIT_PAGE)}>
            Next
          </Button>
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button disabled={busy} onClick={() => void exportCsv()}>
          Export CSV
        </Button>
        <Button disabled={busy} onClick={() => void load()}>
          Refresh
        </Button>
        <Box sx={{ flex: 1 }} />
        <Button variant="contained" onClick={props.onClose}>
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}
