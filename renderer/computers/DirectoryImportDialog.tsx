// Active Directory import: search a directory over LDAP or LDAPS for computer objects and add
// the chosen ones (by DNS name when the directory has one). The bind password is sent for this
// one search and not kept; the server, base DN and account are remembered for the session (Set
// Credentials… → Use LAPS starts from them).
import { Alert, Box, Button, Checkbox, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, TextField } from '@mui/material';
import { useState } from 'react';
import type { DirectoryComputer, IpcError } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { ErrorNotice } from '../components/ErrorNotice';
import { addComputers, request } from '../state/actions';
import { useConsole } from '../state/store';

type Row = DirectoryComputer & { id: number };
const columns: readonly Column<Row>[] = [
  { key: 'name', header: 'Name', width: '20%', render: (r) => r.name },
  { key: 'dns', header: 'DNS name', width: '28%', render: (r) => r.dnsName ?? '—' },
  { key: 'os', header: 'Operating system', width: '22%', render: (r) => r.os ?? '—' },
  { key: 'dn', header: 'Distinguished name', render: (r) => r.dn, title: (r) => r.dn },
];

/** What the search is given: the server, where to search, the account to bind as, and the group to add to. */
type DirectoryQuery = { url: string; baseDn: string; bindDn: string; password: string; ou: string; group: string };

export function DirectoryImportDialog(props: { onClose: () => void }) {
  // The directory searched last (this session; never its password) fills the fields again.
  const last = useConsole.getState().lastDirectory;
  const [query, setQuery] = useState<DirectoryQuery>({ url: last?.url ?? 'ldap://', baseDn: last?.baseDn ?? '', bindDn: last?.bindDn ?? '', password: '', ou: '', group: '' });
  const [untrusted, setUntrusted] = useState(last?.allowUntrusted ?? false);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [selected, setSelected] = useState<number[]>([]);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState<string | null>(null);
  const { url, baseDn, bindDn, password, ou, group } = query;

  const search = async () => {
    setBusy(true);
    setError(null);
    setAdded(null);
    const r = await request('directory.search', { url: url.trim(), baseDn: baseDn.trim(), bindDn: bindDn.trim(), password, ...(ou.trim() ? { ou: ou.trim() } : {}), allowUntrusted: untrusted });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    useConsole.getState().directorySearched({ url: url.trim(), baseDn: baseDn.trim(), bindDn: bindDn.trim(), allowUntrusted: untrusted });
    const found = r.result.computers.map((c, i) => ({ ...c, id: i + 1 }));
    setRows(found);
    setTruncated(r.result.truncated);
    setSelected(found.map((c) => c.id));
  };
  const add = async () => {
    const chosen = (rows ?? []).filter((r) => selected.includes(r.id)).map((r) => r.dnsName ?? r.name);
    const r = await addComputers(chosen, group.trim() || undefined);
    if (r) setAdded(`Added ${r.added.length} computer(s)${r.duplicates.length ? `; ${r.duplicates.length} already listed` : ''}${r.invalid.length ? `; ${r.invalid.length} with names Windows does not accept` : ''}.`);
  };

  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="md" aria-label="Import from Active Directory">
      <DialogTitle>Import from Active Directory</DialogTitle>
      <DialogContent dividers sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
        <DirectoryQueryFields query={query} onChange={(patch) => setQuery((q) => ({ ...q, ...patch }))} />
        <FormControlLabel control={<Checkbox checked={untrusted} onChange={(e) => setUntrusted(e.target.checked)} />} label="LDAPS: accept a certificate this computer does not trust (lab directories only)" />
        {error && <ErrorNotice error={error} />}
        {rows && (
          <Box sx={{ height: 260, display: 'flex', flexDirection: 'column' }}>
            <DataTable label="Directory computers" testId="ad-results" columns={columns} rows={rows} selected={selected} onSelect={setSelected} empty="No computer objects under this base." />
          </Box>
        )}
        {truncated && <Alert severity="warning">Only the first 10 000 computers are shown; narrow the search with an OU.</Alert>}
        {added && <Alert severity="success" data-testid="ad-added">{added}</Alert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Close</Button>
        <Button disabled={busy || !baseDn.trim() || url.trim().length < 8} onClick={() => void search()}>
          {busy ? 'Searching…' : 'Search'}
        </Button>
        <Button variant="contained" disabled={!rows || selected.length === 0} onClick={() => void add()}>
          Add {selected.length || ''} Selected
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function DirectoryQueryFields(props: { query: DirectoryQuery; onChange: (patch: Partial<DirectoryQuery>) => void }) {
  const { query, onChange } = props;
  return (
    <Box sx={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 2, pt: 1 }}>
      <TextField label="Server" placeholder="ldaps://dc01.corp.example:636" value={query.url} onChange={(e) => onChange({ url: e.target.value })} slotProps={{ htmlInput: { 'data-testid': 'ad-url' } }} />
      <TextField label="Base DN" placeholder="DC=corp,DC=example" value={query.baseDn} onChange={(e) => onChange({ baseDn: e.target.value })} slotProps={{ htmlInput: { 'data-testid': 'ad-base' } }} />
      <TextField label="Bind account" placeholder="CN=reader,CN=Users,DC=corp,DC=example or reader@corp.example" value={query.bindDn} onChange={(e) => onChange({ bindDn: e.target.value })} slotProps={{ htmlInput: { 'data-testid': 'ad-bind' } }} />
      <TextField label="Password" type="password" value={query.password} onChange={(e) => onChange({ password: e.target.value })} slotProps={{ htmlInput: { 'data-testid': 'ad-password' } }} />
      <TextField label="OU (optional)" placeholder="OU=Workstations,DC=corp,DC=example" value={query.ou} onChange={(e) => onChange({ ou: e.target.value })} slotProps={{ htmlInput: { 'data-testid': 'ad-ou' } }} />
      <TextField label="Add to group (optional)" value={query.group} onChange={(e) => onChange({ group: e.target.value })} />
    </Box>
  );
}
