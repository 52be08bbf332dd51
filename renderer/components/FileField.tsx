// A path field with Browse…: Electron's own open dialog where the shell has one, else a chooser
// that lists folders through main (a browser page cannot learn a local file's path). Main only
// ever returns names and sizes; the file is read by main when the path is used.
import {
  Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, List, ListItemButton, ListItemText, Stack, TextField, Typography,
} from '@mui/material';
import { useEffect, useState } from 'react';
import type { FolderListing, IpcError } from '../../main/ipc/contract';
import { request } from '../state/actions';
import { formatBytes } from '../format';
import { ErrorNotice } from './ErrorNotice';

let lastFolder: string | undefined;

function FolderBrowser(props: { title: string; extensions: string[]; onChosen: (path: string) => void; onClose: () => void }) {
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const [typed, setTyped] = useState('');

  const open = async (folder: string | undefined) => {
    const r = await request('files.list', { ...(folder ? { path: folder } : {}), extensions: props.extensions });
    if (r.ok) {
      setListing(r.result);
      setTyped(r.result.path);
      setChosen(null);
      setError(null);
      lastFolder = r.result.path;
    } else setError(r.error);
  };
  useEffect(() => {
    void open(lastFolder);
  }, []);

  const join = (name: string) => (listing ? `${listing.path.replace(/[\\/]$/, '')}${listing.path.includes('\\') ? '\\' : '/'}${name}` : name);

  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="md" aria-label={props.title}>
      <DialogTitle>{props.title}</DialogTitle>
      <DialogContent dividers>
        <Stack direction="row" spacing={1} sx={{ mb: 1 }}>
          <TextField
            fullWidth
            label="Folder"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && void open(typed)}
            slotProps={{ htmlInput: { 'data-testid': 'chooser-folder' } }}
          />
          <Button onClick={() => void open(typed)}>Go</Button>
          <Button disabled={!listing?.parent} onClick={() => void open(listing?.parent ?? undefined)}>
            Up
          </Button>
        </Stack>
        <Stack direction="row" spacing={1} sx={{ mb: 1 }}>
          {listing?.places.map((p) => (
            <Button key={p.path} size="small" variant="outlined" onClick={() => void open(p.path)}>
              {p.label}
            </Button>
          ))}
        </Stack>
        {error && <ErrorNotice error={error} />}
        <Box sx={{ height: 320, overflow: 'auto', border: 1, borderColor: 'divider' }}>
          <List dense disablePadding aria-label="Folder contents">
            {listing?.entries.map((e) => (
              <ListItemButton
                key={e.name}
                selected={chosen === e.name}
                onClick={() => (e.kind === 'folder' ? void open(join(e.name)) : setChosen(e.name))}
                onDoubleClick={() => e.kind === 'file' && props.onChosen(join(e.name))}
              >
                <ListItemText
                  primary={`${e.kind === 'folder' ? '📁 ' : ''}${e.name}`}
                  secondary={e.kind === 'file' && e.size !== null ? formatBytes(e.size) : null}
                  slotProps={{ secondary: { sx: { fontSize: 11 } } }}
                />
              </ListItemButton>
            ))}
            {listing && listing.entries.length === 0 && (
              <Typography sx={{ p: 2 }} color="text.secondary">
                No folders or {props.extensions.map((x) => `.${x}`).join(' / ')} files here.
              </Typography>
            )}
          </List>
        </Box>
        {listing?.truncated && <Typography variant="caption">Only the first 5 000 entries are shown.</Typography>}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button variant="contained" disabled={!chosen} onClick={() => chosen && props.onChosen(join(chosen))}>
          Choose
        </Button>
      </DialogActions>
    </Dialog>
  );
}

export function FileField(props: { label: string; value: string; onChange: (path: string) => void; extensions: string[]; helperText?: string; error?: boolean; testId?: string }) {
  const [browsing, setBrowsing] = useState(false);
  const browse = async () => {
    const native = await request('files.chooseNative', { title: props.label, extensions: props.extensions });
    if (native.ok && native.result.supported) {
      if (native.result.path) props.onChange(native.result.path);
      return;
    }
    setBrowsing(true);
  };
  return (
    <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
      <TextField
        fullWidth
        label={props.label}
        value={props.value}
        error={props.error}
        helperText={props.helperText}
        onChange={(e) => props.onChange(e.target.value)}
        slotProps={{ htmlInput: { 'data-testid': props.testId } }}
      />
      <Button variant="outlined" sx={{ mt: 0.5, flexShrink: 0 }} onClick={() => void browse()}>
        Browse…
      </Button>
      {browsing && (
        <FolderBrowser
          title={props.label}
          extensions={props.extensions}
          onClose={() => setBrowsing(false)}
          onChosen={(p) => {
            setBrowsing(false);
            props.onChange(p);
          }}
        />
      )}
    </Stack>
  );
}
