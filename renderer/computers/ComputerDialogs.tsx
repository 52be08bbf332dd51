// The windows the Computers tab opens on its selection: add (names, scan, directory), Get Info,
// Diagnostics, Move to Group and the confirmation before Remove.
import { Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { reloadComputers, removeComputers, request } from '../state/actions';
import { AddComputersDialog } from './AddComputersDialog';
import { DirectoryImportDialog } from './DirectoryImportDialog';
import { DiagnosticsDialog, GetInfoDialog } from './HostChecksDialog';
import { NetworkScanDialog } from './NetworkScanDialog';

export type ComputerDialogKind = 'add' | 'scan' | 'directory' | 'info' | 'diagnose' | 'group' | 'remove' | null;

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
