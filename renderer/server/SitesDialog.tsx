// Sites (View → Sites…): the sites computers belong to, for push workers close to them — each
// with its ranges (CIDR), its AD site and how many computers it holds; adding one with its ranges
// and removing one (its computers go back to the default site) for those who may change them (the
// console's own store, or a server's administrators; the server checks the role again). A
// computer goes to the site of its most specific range, else of its AD site, else the default site.
// Each site's live push workers are counted; once workers are in use (any has registered), a site
// with computers and no live worker is flagged, as its targets would wait in the queue.
import { Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { IpcError, PushWorker, Site } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { ErrorNotice } from '../components/ErrorNotice';
import { reloadComputers, request } from '../state/actions';
import { selectMayManageSites, useConsole } from '../state/store';

/** A site whose computers no live worker would push to, once workers are in use. */
export const lacksWorker = (s: Site, workersInUse: boolean): boolean => workersInUse && s.computers > 0 && s.liveWorkers === 0;

const columnsFor = (workersInUse: boolean): readonly Column<Site>[] => [
  { key: 'name', header: 'Site', width: '20%', render: (s) => s.name, sortValue: (s) => s.name },
  { key: 'cidrs', header: 'Ranges', width: '32%', render: (s) => s.cidrs.join(', ') || '—', title: (s) => s.cidrs.join('\n') },
  { key: 'adSite', header: 'AD site', width: '16%', render: (s) => s.adSite ?? '—', sortValue: (s) => s.adSite },
  { key: 'computers', header: 'Computers', width: '12%', render: (s) => String(s.computers), sortValue: (s) => s.computers },
  {
    key: 'liveWorkers',
    header: 'Live workers',
    render: (s) => (lacksWorker(s, workersInUse) ? '0 — no live worker' : String(s.liveWorkers)),
    title: (s) => (lacksWorker(s, workersInUse) ? 'No live push worker serves this site: its computers\' targets wait in the queue until one runs (pushctl worker --site).' : null),
    sortValue: (s) => s.liveWorkers,
  },
];

/** Ranges typed one per line, or separated by commas or spaces. */
export const cidrsOf = (text: string): string[] => text.split(/[\s,;]+/).map((t) => t.trim()).filter(Boolean);

export function SitesDialog(props: { onClose: () => void }) {
  const mayManage = useConsole(selectMayManageSites);
  const revision = useConsole((s) => s.sitesRevision);
  const [sites, setSites] = useState<Site[]>([]);
  const [workers, setWorkers] = useState<PushWorker[]>([]);
  const [selected, setSelected] = useState<number[]>([]);
  const [error, setError] = useState<IpcError | null>(null);
  const [name, setName] = useState('');
  const [ranges, setRanges] = useState('');
  const [adSite, setAdSite] = useState('');
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    const [r, w] = await Promise.all([request('sites.list', {}), request('workers.list', {})]);
    if (r.ok) setSites(r.result);
    else setError(r.error);
    // The workers only add the warnings and the default site's line: without them the sites still show.
    setWorkers(w.ok ? w.result : []);
  }, []);
  useEffect(() => {
    void load();
  }, [load, revision]);

  const change = async (call: () => Promise<{ ok: true } | { ok: false; error: IpcError }>) => {
    setBusy(true);
    setError(null);
    const r = await call();
    setBusy(false);
    if (!r.ok) {
      setError(r.error);
      return false;
    }
    await Promise.all([load(), reloadComputers()]);
    return true;
  };
  const add = async () => {
    const done = await change(() => request('sites.add', { name: name.trim(), cidrs: cidrsOf(ranges), ...(adSite.trim() ? { adSite: adSite.trim() } : {}) }));
    if (done) [setName, setRanges, setAdSite].forEach((f) => f(''));
  };
  const remove = async () => {
    const site = sites.find((s) => s.id === selected[0]);
    if (!site) return;
    if (await change(() => request('sites.remove', { id: site.id }))) setSelected([]);
  };

  const workersInUse = workers.length > 0;
  const columns = useMemo(() => columnsFor(workersInUse), [workersInUse]);
  const defaultLive = workers.filter((w) => w.live && w.siteId === null).length;
  const unserved = sites.filter((s) => lacksWorker(s, workersInUse));

  return (
    <Dialog open onClose={props.onClose} maxWidth="md" fullWidth aria-label="Sites">
      <DialogTitle>Sites</DialogTitle>
      <DialogContent dividers>
        <Stack spacing={1.5}>
          <Typography variant="body2" color="text.secondary">
            A computer belongs to the site of its most specific range (the longest prefix), else of its AD site, else the default site; Set Site… on the Computers tab puts it in one by hand.
          </Typography>
          {error && <ErrorNotice error={error} onClose={() => setError(null)} />}
          <Box sx={{ height: 240, display: 'flex' }}>
            <DataTable label="Sites" testId="sites-grid" columns={columns} rows={sites} selected={selected} onSelect={setSelected} multiSelect={false} empty="No sites: every computer is in the default site." />
          </Box>
          <Typography variant="body2" color={unserved.length > 0 ? 'warning.main' : 'text.secondary'} data-testid="sites-workers">
            {workersInUse
              ? `Default site: ${defaultLive} live worker(s).${unserved.length > 0 ? ` No live worker for ${unserved.map((s) => `"${s.name}"`).join(', ')}: their targets wait in the queue (View → Workers…).` : ''}`
              : 'No push worker has registered with this store (View → Workers…).'}
          </Typography>
          {mayManage && (
            <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
              <TextField label="Name" size="small" value={name} onChange={(e) => setName(e.target.value)} slotProps={{ htmlInput: { maxLength: 64, 'data-testid': 'site-name' } }} />
              <TextField
                label="Ranges (CIDR)"
                size="small"
                multiline
                maxRows={4}
                sx={{ flex: 1 }}
                placeholder="10.1.0.0/16, 2001:db8:1::/48"
                value={ranges}
                onChange={(e) => setRanges(e.target.value)}
                slotProps={{ htmlInput: { 'data-testid': 'site-cidrs' } }}
              />
              <TextField label="AD site (optional)" size="small" value={adSite} onChange={(e) => setAdSite(e.target.value)} slotProps={{ htmlInput: { maxLength: 63 } }} />
              <Button variant="contained" disabled={busy || !name.trim()} onClick={() => void add()}>
                Add
              </Button>
            </Stack>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        {mayManage && (
          <Button color="error" disabled={busy || selected.length === 0} onClick={() => void remove()}>
            Remove Site
          </Button>
        )}
        <Box sx={{ flex: 1 }} />
        <Button onClick={props.onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
