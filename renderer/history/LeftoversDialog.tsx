// The Leftovers window (Ctrl+Shift+L, from Computers and Installation History): everything pushes
// left on computers — an agent service, files under ADMIN$ — with the push that left it, since when,
// and whether its credentials are held. Remove cleans the highlighted ones; a computer whose
// credentials are gone asks for them (Set Credentials…), which cleans it at once. A task is kept in
// History while something it left is listed here: retention never deletes it.
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Tooltip, Typography } from '@mui/material';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Credential, Leftover } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { credentialLabel } from '../credentials/SetCredentialsDialog';
import { useCredentialsPrompt } from '../credentials/useCredentialsPrompt';
import { rebindCredentials, rebindSummary, reloadSelectedTask, removeLeftoversOf, reloadTasks, request } from '../state/actions';
import { when } from './targetColumns';

export const LEFTOVERS_SHORTCUT = 'Ctrl+Shift+L';

type Row = Leftover & { readonly id: number };

const columns: readonly Column<Row>[] = [
  { key: 'computer', header: 'Computer', width: '16%', render: (r) => r.computerName, sortValue: (r) => r.computerName },
  { key: 'task', header: 'Task', width: '20%', render: (r) => r.taskName, title: (r) => r.taskName, sortValue: (r) => r.taskName },
  { key: 'items', header: 'What is left', render: (r) => r.items.join(', '), title: (r) => r.items.join('\n'), sortValue: (r) => r.items.join(', ') },
  { key: 'since', header: 'Since', width: '13%', render: (r) => when(r.since), title: (r) => (r.since ? new Date(r.since).toLocaleString() : null), sortValue: (r) => r.since },
  {
    key: 'credentials',
    header: 'Credentials',
    width: '11%',
    render: (r) => (r.credentialAvailable ? 'held' : <span style={{ color: '#c62828', fontWeight: 600 }}>missing</span>),
    title: (r) => (r.credentialAvailable ? 'Remove can clean it now.' : 'Not held any more: Set Credentials… cleans it.'),
    sortValue: (r) => (r.credentialAvailable ? 'held' : 'missing'),
  },
];

type Notice = { severity: 'info' | 'warning' | 'error'; text: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** How long the window follows a cleanup before it says the computer may be out of reach. */
const WATCH_MS = 20_000;

export function LeftoversDialog(props: { onClose: () => void }) {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [selected, setSelected] = useState<number[]>([]);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState(false);
  const [credentialsDialog, askCredentials] = useCredentialsPrompt();
  const open = useRef(true);
  useEffect(() => {
    open.current = true;
    return () => void (open.current = false);
  }, []);

  const load = useCallback(async (): Promise<Leftover[] | null> => {
    const r = await request('leftovers.list', {});
    if (!open.current) return null;
    if (!r.ok) {
      setNotice({ severity: 'error', text: `${r.error.class}: ${r.error.message} ${r.error.advice}` });
      return null;
    }
    const ids = new Set(r.result.map((l) => l.targetId));
    setRows(r.result.map((l) => ({ ...l, id: l.targetId })));
    setSelected((s) => s.filter((id) => ids.has(id)));
    return r.result;
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  /** Follows cleanups under way until the targets leave the list (true) or the time is up (false). */
  const watch = async (ids: readonly number[]): Promise<boolean> => {
    const until = Date.now() + WATCH_MS;
    while (open.current) {
      const list = await load();
      if (list && !list.some((l) => ids.includes(l.targetId))) return true;
      if (Date.now() > until) return false;
      await sleep(700);
    }
    return false;
  };

  const afterChange = async () => {
    await reloadTasks();
    await reloadSelectedTask();
  };

  const setCredentials = (targets: readonly Row[]) => {
    const ids = targets.map((t) => t.id);
    const names = [...new Set(targets.map((t) => t.computerName))];
    askCredentials({
      scope: `${names.length} computer(s) (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}) whose pushes left something: it is removed with these credentials at once`,
      then: async (credential: Credential) => {
        setBusy(true);
        const r = await rebindCredentials(credential.id, { targetIds: ids });
        setBusy(false);
        if (!r.ok) return setNotice({ severity: 'error', text: `${r.error.class}: ${r.error.message} ${r.error.advice}` });
        const summary = rebindSummary(r.result);
        setNotice({ severity: 'info', text: `${summary}${r.result.cleaning > 0 ? ' Cleaning…' : ''}` });
        if (r.result.cleaning > 0) {
          const gone = await watch(ids);
          if (open.current) {
            setNotice(
              gone
                ? { severity: 'info', text: `${summary} Nothing is left on them now (as ${credentialLabel(credential)}).` }
                : { severity: 'warning', text: `${summary} Some are still listed: a computer may be out of reach; its step log says why. Try Remove later.` },
            );
          }
        } else await load();
        await afterChange();
      },
    });
  };

  const remove = async (targets: readonly Row[]) => {
    if (targets.length === 0) return;
    setBusy(true);
    setNotice({ severity: 'info', text: `Removing what ${targets.length} push(es) left…` });
    const { cleaned, remaining, missing, problems } = await removeLeftoversOf(targets);
    setBusy(false);
    await load();
    await afterChange();
    if (!open.current) return;
    const parts = [`Leftovers removed on ${cleaned} of ${targets.length} computer(s).`];
    if (remaining) parts.push(`${remaining} still hold something: their step log says what and why.`);
    if (missing.length) parts.push(`${missing.length} could not be tried: their credentials are not held any more.`);
    parts.push(...problems);
    setNotice({ severity: problems.length || remaining ? 'warning' : 'info', text: parts.join(' ') });
    if (missing.length) setCredentials(missing);
  };

  const highlighted = useMemo(() => (rows ?? []).filter((r) => selected.includes(r.id)), [rows, selected]);
  const computers = new Set((rows ?? []).map((r) => r.computerId ?? r.computerName)).size;
  const missingCount = (rows ?? []).filter((r) => !r.credentialAvailable).length;

  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="lg" aria-label="Leftovers">
      <DialogTitle>Leftovers</DialogTitle>
      <DialogContent dividers sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
        <Typography variant="body2" color="text.secondary">
          What pushes left on computers (their agent service, files under ADMIN$) because they were interrupted or could not clean up.
          The tasks that left them stay in Installation History until it is removed.
        </Typography>
        {notice && (
          <Alert severity={notice.severity} onClose={() => setNotice(null)} closeText="Dismiss" data-testid="leftovers-notice">
            {notice.text}
          </Alert>
        )}
        <Box sx={{ height: '46vh', display: 'flex' }}>
          <DataTable
            label="Leftovers"
            testId="leftovers-grid"
            columns={columns}
            rows={rows ?? []}
            selected={selected}
            onSelect={setSelected}
            onDelete={() => void remove(highlighted)}
            empty={rows === null ? 'Loading…' : 'Nothing is left on any computer.'}
          />
        </Box>
        <Typography variant="caption" color="text.secondary" data-testid="leftovers-count">
          {rows === null
            ? ' '
            : `${rows.length} push(es) left something on ${computers} computer(s)${missingCount ? `; ${missingCount} without credentials` : ''} · ${highlighted.length} highlighted`}
        </Typography>
      </DialogContent>
      <DialogActions>
        <Tooltip title="Remove what the highlighted pushes left (Delete)">
          <span>
            <Button disabled={busy || highlighted.length === 0} onClick={() => void remove(highlighted)}>
              Remove
            </Button>
          </span>
        </Tooltip>
        <Tooltip title="Give the highlighted computers credentials again: what their pushes left is removed at once">
          <span>
            <Button disabled={busy || highlighted.length === 0} onClick={() => setCredentials(highlighted)}>
              Set Credentials…
            </Button>
          </span>
        </Tooltip>
        <Button disabled={busy} onClick={() => void load()}>
          Refresh
        </Button>
        <Box sx={{ flex: 1 }} />
        <Button variant="contained" onClick={props.onClose}>
          Close
        </Button>
      </DialogActions>
      {credentialsDialog}
    </Dialog>
  );
}
