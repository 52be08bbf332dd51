// The chooser FileField opens where the shell has no open dialog of its own (a browser page cannot
// learn a local file's path): main lists a folder's subfolders and the files of the wanted kinds.
import { Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, List, ListItemButton, ListItemText, Stack, TextField, Typography } from '@mui/material';
import { useEffect, useRef, useState } from 'react';
import type { FolderListing, IpcError } from '../../main/ipc/contract';
import { formatBytes } from '../format';
import { request } from '../state/actions';
import { ErrorNotice } from './ErrorNotice';

/** The folder the chooser showed last: the next one opens there. */
let lastFolder: string | undefined;

export function FolderBrowser(props: { title: string; extensions: string[]; onChosen: (path: string) => void; onClose: () => void }) {
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  // Only the newest listing is shown, and one that arrives after the admin typed a folder does not
  // overwrite what they typed (the first listing can be slow; Go then opens what was typed).
  const latest = useRef(0);
  const typedSince = useRef(false);
  const onTyped = (value: string) => {
    typedSince.current = true;
    setTyped(value);
  };

  const open = async (folder: string | undefined) => {
    const seq = ++latest.current;
    typedSince.current = false;
    const r = await request('files.list', { ...(folder ? { path: folder } : {}), extensions: props.extensions });
    if (seq !== latest.current) return;
    if (r.ok) {
      setListing(r.result);
      if (!typedSince.current) setTyped(r.result.path);
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
        <FolderBar listing={listing} typed={typed} onTyped={onTyped} onOpen={(folder) => void open(folder)} />
        {error && <ErrorNotice error={error} />}
        <FolderEntries listing={listing} extensions={props.extensions} chosen={chosen} onFolder={(name) => void open(join(name))} onFile={setChosen} onOpenFile={(name) => props.onChosen(join(name))} />
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

/** The folder's entries: a click opens a folder or highlights a file, a double click chooses the file. */
function FolderEntries(props: { listing: FolderListing | null; extensions: string[]; chosen: string | null; onFolder: (name: string) => void; onFile: (name: string) => void; onOpenFile: (name: string) => void }) {
  const { listing } = props;
  return (
    <Box sx={{ height: 320, overflow: 'auto', border: 1, borderColor: 'divider' }}>
      <List dense disablePadding aria-label="Folder contents">
        {listing?.entries.map((e) => (
          <ListItemButton
            key={e.name}
            selected={props.chosen === e.name}
            onClick={() => (e.kind === 'folder' ? props.onFolder(e.name) : props.onFile(e.name))}
            onDoubleClick={() => e.kind === 'file' && props.onOpenFile(e.name)}
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
  );
}

/** The folder shown (typed, Go, Up) and the places main offers (home, drives). */
function FolderBar(props: { listing: FolderListing | null; typed: string; onTyped: (text: string) => void; onOpen: (folder: string | undefined) => void }) {
  const { listing } = props;
  return (
    <>
      <Stack direction="row" spacing={1} sx={{ mb: 1 }}>
        <TextField
          fullWidth
          label="Folder"
          value={props.typed}
          onChange={(e) => props.onTyped(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && props.onOpen(props.typed)}
          slotProps={{ htmlInput: { 'data-testid': 'chooser-folder' } }}
        />
        <Button onClick={() => props.onOpen(props.typed)}>Go</Button>
        <Button disabled={!listing?.parent} onClick={() => props.onOpen(listing?.parent ?? undefined)}>
          Up
        </Button>
      </Stack>
      <Stack direction="row" spacing={1} sx={{ mb: 1 }}>
        {listing?.places.map((p) => (
          <Button key={p.path} size="small" variant="outlined" onClick={() => props.onOpen(p.path)}>
            {p.label}
          </Button>
        ))}
      </Stack>
    </>
  );
}
