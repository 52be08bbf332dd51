// Sites (View → Sites…): the sites computers belong to, for push workers close to them — each
// with its ranges (CIDR), its AD site and how many computers it holds; adding one with its ranges
// and removing one (its computers go back to the default site) for those who may change them (the
// console's own store, or a server's administrators; the server checks the role again). A
// computer goes to the site of its most specific range, else of its AD site, else the default site.
import { Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import type { IpcError, Site } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { ErrorNotice } from '../components/ErrorNotice';
import { reloadComputers, request } from '../state/actions';
import { selectMayManageSites, useConsole } from '../state/store';

const columns: readonly Column<Site>[] = [
  { key: 'name', header: 'Site', width: '22%', render: (s) => s.name, sortValue: (s) => s.name },
  { key: 'cidrs', header: 'Ranges', width: '38%', render: (s) => s.cidrs.join(', ') || '—', title: (s) => s.cidrs.join('\n') },
  { key: 'adSite', header: 'AD site', width: '20%', render: (s) => s.adSite ?? '—', sortValue: (s) => s.adSite },
  { key: 'computers', header: 'Computers', render: (s) => String(s.computers), sortValue: (s) => s.computers },
];

/** Ranges typed one per line, or separated by commas or spaces. */
export const cidrsOf = (text: string): string[] => text.split(/[\s,;]+/).map((t) => t.trim()).filter(Boolean);

export function SitesDialog(props: { onClose: () => void }) {
  const mayManage = useConsole(selectMayManageSites);
  const revision = useConsole((s) => s.sitesRevision);
  const [sites, setSites] = useState<Site[]>([]);
  const [selected, setSelected] = useState<number[]>([]);
  const [error, setError] = useState<IpcError | null>(null);
  const [name, setName] = useState('');
  const [ranges, setRanges] = useState('');
  const [adSite, setAdSite] = useState('');
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    const r = await request('sites.list', {});
    if (r.ok) setSites(r.result);
    else setError(r.error);
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
