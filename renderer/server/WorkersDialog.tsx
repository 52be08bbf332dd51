// Workers (View → Workers…): the push workers that claim the targets of a Push Install Server's
// sites (docs/SERVER.md §6) — each with its site, address, version, last heartbeat, the pushes it
// had in flight then, and whether it is live (a heartbeat within the last 60 s). Read again every
// 5 s while open. A console's own store has no workers: the list is empty.
import { Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import type { IpcError, PushWorker } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { ErrorNotice } from '../components/ErrorNotice';
import { request } from '../state/actions';

const REFRESH_MS = 5_000;

/** "12 s ago", "3 min ago", "2 h ago" from an ISO time (a clock ahead of this one reads "just now"). */
export function ago(iso: string, now: number = Date.now()): string {
  const seconds = Math.floor((now - new Date(iso).getTime()) / 1000);
  if (!(seconds > 0)) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

type Row = Omit<PushWorker, 'id'> & { readonly id: number; readonly workerId: string };

const columns: readonly Column<Row>[] = [
  { key: 'site', header: 'Site', width: '16%', render: (w) => w.siteName ?? 'Default', sortValue: (w) => w.siteName ?? '' },
  { key: 'worker', header: 'Worker', width: '22%', render: (w) => w.workerId, title: (w) => `${w.workerId}\nstarted ${new Date(w.startedAt).toLocaleString()}`, sortValue: (w) => w.workerId },
  { key: 'address', header: 'Address', width: '16%', render: (w) => w.address ?? '—', sortValue: (w) => w.address ?? '' },
  { key: 'version', header: 'Version', width: '10%', render: (w) => w.version, sortValue: (w) => w.version },
  { key: 'heartbeat', header: 'Last heartbeat', width: '14%', render: (w) => ago(w.heartbeatAt), title: (w) => new Date(w.heartbeatAt).toLocaleString(), sortValue: (w) => w.heartbeatAt },
  { key: 'inFlight', header: 'In flight', width: '9%', render: (w) => String(w.inFlight), sortValue: (w) => w.inFlight },
  { key: 'live', header: 'Live', render: (w) => (w.live ? 'Live' : 'Not live'), sortValue: (w) => (w.live ? 1 : 0) },
];

export function WorkersDialog(props: { onClose: () => void }) {
  const [workers, setWorkers] = useState<Row[]>([]);
  const [error, setError] = useState<IpcError | null>(null);
  const [selected, setSelected] = useState<number[]>([]);

  const load = useCallback(async () => {
    const r = await request('workers.list', {});
    if (r.ok) {
      // The grid keys rows by number; a worker's id is text.
      setWorkers(r.result.map((w, i) => ({ ...w, id: i + 1, workerId: w.id })));
      setError(null);
    } else setError(r.error);
  }, []);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const live = workers.filter((w) => w.live).length;
  return (
    <Dialog open onClose={props.onClose} maxWidth="lg" fullWidth aria-label="Workers">
      <DialogTitle>Workers</DialogTitle>
      <DialogContent dividers>
        <Stack spacing={1.5}>
          <Typography variant="body2" color="text.secondary">
            Push workers claim the queued targets of their site. A worker is live while its heartbeat is at most 60 s old; one that stopped leaves the list, one that was lost stays here, not live, for a day.
          </Typography>
          {error && <ErrorNotice error={error} onClose={() => setError(null)} />}
          <Box sx={{ height: 280, display: 'flex' }}>
            <DataTable label="Workers" testId="workers-grid" columns={columns} rows={workers} selected={selected} onSelect={setSelected} multiSelect={false} empty="No push worker has registered with this store." />
          </Box>
          <Typography variant="body2" data-testid="workers-summary">
            {workers.length === 0 ? 'No workers.' : `${live} of ${workers.length} worker(s) live.`}
          </Typography>
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={() => void load()}>Refresh</Button>
        <Box sx={{ flex: 1 }} />
        <Button onClick={props.onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
