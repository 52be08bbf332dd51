// Active Directory import: search a directory over LDAP or LDAPS for computer objects and add
// the chosen ones (by DNS name when the directory has one). The bind password is sent for this
// one search and not kept.
import { Alert, Box, Button, Checkbox, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, TextField } from '@mui/material';
import { useState } from 'react';
import type { DirectoryComputer, IpcError } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { ErrorNotice } from '../components/ErrorNotice';
import { addComputers, request } from '../state/actions';

type Row = DirectoryComputer & { id: number };
const columns: readonly Column<Row>[] = [
  { key: 'name', header: 'Name', width: '20%', render: (r) => r.name },
  { key: 'dns', header: 'DNS name', width: '28%', render: (r) => r.dnsName ?? '—' },
  { key: 'os', header: 'Operating system', width: '22%', render: (r) => r.os ?? '—' },
  { key: 'dn', header: 'Distinguished name', render: (r) => r.dn, title: (r) => r.dn },
];

export function DirectoryImportDialog(props: { onClose: () => void }) {
  const [url, setUrl] = useState('ldap://');
  const [baseDn, setBaseDn] = useState('');
  const [bindDn, setBindDn] = useState('');
  const [password, setPassword] = useState('');
  const [ou, setOu] = useState('');
  const [group, setGroup] = useState('');
  const [untrusted, setUntrusted] = useState(false);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [selected, setSelected] = useState<number[]>([]);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState<string | null>(null);

  const search = async () => {
    setBusy(true);
    setError(null);
    setAdded(null);
    const r = await request('directory.search', { url: url.trim(), baseDn: baseDn.trim(), bindDn: bindDn.trim(), password, ...(ou.trim() ? { ou: ou.trim() } : {}), allowUntrusted: untrusted });
    setBusy(false);
    if (!r.ok) return setError(r.error);
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
        <Box sx={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 2, pt: 1 }}>
          <TextField label="Server" placeholder="ldaps://dc01.corp.example:636" value={url} onChange={(e) => setUrl(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'ad-url' } }} />
          <TextField label="Base DN" placeholder="DC=corp,DC=example" value={baseDn} onChange={(e) => setBaseDn(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'ad-base' } }} />
          <TextField label="Bind account" placeholder="CN=reader,CN=Users,DC=corp,DC=example or reader@corp.example" value={bindDn} onChange={(e) => setBindDn(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'ad-bind' } }} />
          <TextField label="Password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'ad-password' } }} />
          <TextField label="OU (optional)" placeholder="OU=Workstations,DC=corp,DC=example" value={ou} onChange={(e) => setOu(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'ad-ou' } }} />
          <TextField label="Add to group (optional)" value={group} onChange={(e) => setGroup(e.target.value)} />
        </Box>
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
