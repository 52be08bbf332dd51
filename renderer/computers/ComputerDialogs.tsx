// The windows the Computers tab opens on its selection: add (names, scan, directory), Get Info,
// Diagnostics, Move to Group, Set Site… and the confirmation before Remove.
import { Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import type { IpcError, Site } from '../../main/ipc/contract';
import { ErrorNotice } from '../components/ErrorNotice';
import { reloadComputers, removeComputers, request } from '../state/actions';
import { AddComputersDialog } from './AddComputersDialog';
import { DirectoryImportDialog } from './DirectoryImportDialog';
import { DiagnosticsDialog, GetInfoDialog } from './HostChecksDialog';
import { NetworkScanDialog } from './NetworkScanDialog';

export type ComputerDialogKind = 'add' | 'scan' | 'directory' | 'info' | 'diagnose' | 'group' | 'site' | 'remove' | null;

export function ComputerDialogs(props: { dialog: ComputerDialogKind; selected: number[]; groups: string[]; onClose: () => void }) {
  const { selected, onClose } = props;
  switch (props.dialog) {
    case 'add':
      return <AddComputersDialog onClose={onClose} />;
    case 'scan':
      return <NetworkScanDialog onClose={onClose} />;
    case 'directory':
      return <DirectoryImportDialog onClose={onClose} />;
    case 'info':
      return <GetInfoDialog computerIds={selected} onClose={onClose} />;
    case 'diagnose':
      return <DiagnosticsDialog computerIds={selected} onClose={onClose} />;
    case 'group':
      return <GroupDialog ids={selected} groups={props.groups} onClose={onClose} />;
    case 'site':
      return <SiteDialog ids={selected} onClose={onClose} />;
    case 'remove':
      return <RemoveComputersDialog ids={selected} onClose={onClose} />;
    default:
      return null;
  }
}

function GroupDialog(props: { ids: number[]; groups: string[]; onClose: () => void }) {
  const [name, setName] = useState('');
  const apply = async (groupName: string | null) => {
    await request('computers.setGroup', { ids: props.ids, groupName });
    await reloadComputers();
    props.onClose();
  };
  return (
    <Dialog open onClose={props.onClose} maxWidth="xs" fullWidth aria-label="Move to Group">
      <DialogTitle>Move {props.ids.length} computer(s) to a group</DialogTitle>
      <DialogContent dividers>
        <Stack spacing={1}>
          {props.groups.map((g) => (
            <Button key={g} variant="outlined" onClick={() => void apply(g)}>
              {g}
            </Button>
          ))}
          <TextField label="New group" value={name} autoFocus onChange={(e) => setName(e.target.value)} slotProps={{ htmlInput: { maxLength: 64, 'data-testid': 'new-group' } }} />
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={() => void apply(null)}>No Group</Button>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button variant="contained" disabled={!name.trim()} onClick={() => void apply(name.trim())}>
          Move
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** Set Site…: a site by hand (the rules no longer move them), the default site, or back to the rules. */
function SiteDialog(props: { ids: number[]; onClose: () => void }) {
  const [sites, setSites] = useState<Site[] | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  useEffect(() => {
    void request('sites.list', {}).then((r) => (r.ok ? setSites(r.result) : setError(r.error)));
  }, []);
  const apply = async (site: number | 'default' | 'rules') => {
    const r = await request('computers.setSite', { ids: props.ids, site });
    if (!r.ok) return setError(r.error);
    await reloadComputers();
    props.onClose();
  };
  return (
    <Dialog open onClose={props.onClose} maxWidth="xs" fullWidth aria-label="Set Site">
      <DialogTitle>Set the site of {props.ids.length} computer(s)</DialogTitle>
      <DialogContent dividers>
        <Stack spacing={1}>
          {error && <ErrorNotice error={error} onClose={() => setError(null)} />}
          <Typography variant="body2" color="text.secondary">
            A site chosen here is kept whatever its rules say; By the Rules lets the ranges and AD sites decide again.
          </Typography>
          {sites?.map((s) => (
            <Button key={s.id} variant="outlined" onClick={() => void apply(s.id)}>
              {s.name}
            </Button>
          ))}
          {sites?.length === 0 && <Typography variant="body2">No sites yet: add them in View → Sites….</Typography>}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={() => void apply('rules')}>By the Rules</Button>
        <Button onClick={() => void apply('default')}>Default Site</Button>
        <Button onClick={props.onClose}>Cancel</Button>
      </DialogActions>
    </Dialog>
  );
}

function RemoveComputersDialog(props: { ids: number[]; onClose: () => void }) {
  return (
    <Dialog open onClose={props.onClose} aria-label="Remove computers">
      <DialogTitle>Remove {props.ids.length} computer(s)?</DialogTitle>
      <DialogContent>
        <Typography>They leave the Computers list; their installation history stays.</Typography>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button variant="contained" color="error" autoFocus onClick={() => { props.onClose(); void removeComputers(props.ids); }}>
          Remove
        </Button>
      </DialogActions>
    </Dialog>
  );
}
