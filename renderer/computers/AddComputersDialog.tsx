// Add Computers (and the wizard's Add Clients Special…): names and addresses pasted several at
// once, IPv4 ranges and CIDR blocks, or a text/CSV file. Main previews first — what will be
// added, duplicates, invalid lines with their numbers — and nothing is added until Add.
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, Tab, Tabs, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import type { ComputerImportPreview, IpcError } from '../../main/ipc/contract';
import { ErrorNotice } from '../components/ErrorNotice';
import { FileField } from '../components/FileField';
import { reloadComputers, request } from '../state/actions';
import { useConsole } from '../state/store';

/** host:port, [IPv6]:port, or just the host when the port is the default (null). */
export function hostWithPort(host: string, port: number | null): string {
  return port === null ? host : `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function PreviewReport(props: { preview: ComputerImportPreview }) {
  const { preview } = props;
  const existing = preview.duplicates.filter((d) => d.existing).length;
  return (
    <Box data-testid="import-preview">
      <Alert severity={preview.entries.length ? 'info' : 'warning'} sx={{ mb: 1 }}>
        {preview.entries.length} computer(s) will be added
        {preview.duplicates.length ? `; ${preview.duplicates.length} duplicate(s) skipped (${existing} already listed)` : ''}
        {preview.invalid.length ? `; ${preview.invalid.length} invalid` : ''}.
      </Alert>
      <Box sx={{ maxHeight: 160, overflow: 'auto', fontSize: 12, fontFamily: 'monospace', border: 1, borderColor: 'divider', p: 1 }}>
        {preview.entries.slice(0, 200).map((e) => (
          <div key={`a${e.line}-${e.name}`}>+ {hostWithPort(e.name, e.port)}</div>
        ))}
        {preview.entries.length > 200 && <div>… and {preview.entries.length - 200} more</div>}
        {preview.duplicates.map((d) => (
          <div key={`d${d.line}-${d.entry}`} style={{ color: '#8a6d00' }}>
            = line {d.line}: {d.entry} ({d.existing ? 'already in Computers' : 'listed twice'})
          </div>
        ))}
        {preview.invalid.map((i) => (
          <div key={`i${i.line}-${i.entry}`} style={{ color: '#b00020' }} data-testid="invalid-line">
            ✗ line {i.line}: {i.entry} — {i.reason}
          </div>
        ))}
      </Box>
    </Box>
  );
}

export function AddComputersDialog(props: { title?: string; onClose: () => void; onAdded?: (computerIds: number[]) => void }) {
  const [mode, setMode] = useState<'paste' | 'file'>('paste');
  const [text, setText] = useState('');
  const [file, setFile] = useState('');
  const [group, setGroup] = useState('');
  const [preview, setPreview] = useState<ComputerImportPreview | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);

  const runPreview = async (): Promise<ComputerImportPreview | null> => {
    setError(null);
    const r = mode === 'paste' ? await request('computers.preview', { text }) : await request('computers.previewFile', { path: file });
    if (!r.ok) {
      setError(r.error);
      setPreview(null);
      return null;
    }
    setPreview(r.result);
    return r.result;
  };

  const add = async () => {
    setBusy(true);
    try {
      const seen = preview;
      const p = seen ?? (await runPreview());
      if (!p) return;
      // Problems the admin has not seen yet are shown first; Add again goes ahead.
      if (!seen && (p.invalid.length > 0 || p.entries.length === 0)) return;
      const names = p.entries.map((e) => e.name);
      // The port goes with the name (host:port), as typed.
      const entries = p.entries.map((e) => hostWithPort(e.name, e.port));
      if (entries.length > 0) {
        const r = await request('computers.add', group.trim() ? { entries, groupName: group.trim() } : { entries });
        if (!r.ok) {
          setError(r.error);
          return;
        }
      }
      await reloadComputers();
      const byName = new Map(useConsole.getState().computers.map((c) => [c.name.toLowerCase(), c.id]));
      const ids = [...names, ...p.duplicates.map((d) => d.entry)].flatMap((n) => {
        const id = byName.get(n.toLowerCase());
        return id === undefined ? [] : [id];
      });
      props.onAdded?.([...new Set(ids)]);
      props.onClose();
    } finally {
      setBusy(false);
    }
  };

  const empty = mode === 'paste' ? text.trim() === '' : file.trim() === '';
  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="sm" aria-label={props.title ?? 'Add Computers'}>
      <DialogTitle>{props.title ?? 'Add Computers'}</DialogTitle>
      <DialogContent dividers>
        <Tabs value={mode} onChange={(_, v: 'paste' | 'file') => { setMode(v); setPreview(null); setError(null); }} sx={{ mb: 2 }}>
          <Tab value="paste" label="Names, addresses, ranges" />
          <Tab value="file" label="Import file" />
        </Tabs>
        <Stack spacing={2}>
          {mode === 'paste' ? (
            <TextField
              label="Computer names, IP addresses, ranges or CIDR blocks"
              helperText="One per line, or separated by commas or spaces: PC01, pc02.corp.example, 10.0.0.5, 10.0.0.10-10.0.0.40, 10.0.1.0/24; SMB not on 445: PC01:10445, [fe80::1]:10445."
              multiline
              minRows={5}
              maxRows={12}
              autoFocus
              value={text}
              onChange={(e) => { setText(e.target.value); setPreview(null); }}
              slotProps={{ htmlInput: { 'data-testid': 'add-computers-input' } }}
            />
          ) : (
            <FileField
              label="Text or CSV file"
              extensions={['txt', 'csv']}
              value={file}
              onChange={(p) => { setFile(p); setPreview(null); }}
              helperText="One computer per line, or a CSV whose header names the column (Name, Host, DNSHostName, Address…) and optionally a Port column. Up to 10 000 lines."
              testId="import-file-path"
            />
          )}
          <TextField label="Group (optional)" value={group} onChange={(e) => setGroup(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'add-computers-group' } }} />
          {error && <ErrorNotice error={error} />}
          {preview && <PreviewReport preview={preview} />}
          {!preview && !error && (
            <Typography variant="caption" color="text.secondary">
              Preview shows what will be added before anything changes.
            </Typography>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Close</Button>
        <Button disabled={empty || busy} onClick={() => void runPreview()}>
          Preview
        </Button>
        <Button variant="contained" onClick={() => void add()} disabled={empty || busy || (preview !== null && preview.entries.length === 0 && preview.duplicates.length === 0)}>
          {preview ? `Add ${preview.entries.length}` : 'Add'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
