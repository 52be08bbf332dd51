// The Computers tab's toolbar (Add Computers ▾ and what to do with the selection, the filter) and
// the notice under it that says what the last action did.
import { Alert, Box, Button, Menu, MenuItem, Stack, TextField, Tooltip } from '@mui/material';
import { useState } from 'react';
import { LEFTOVERS_SHORTCUT } from '../history/LeftoversDialog';
import { useConsole } from '../state/store';
import type { ComputerDialogKind } from './ComputerDialogs';
import type { ComputersNoticeState } from './useComputerActions';

export function ComputersToolbar(props: { selected: number[]; onDialog: (dialog: ComputerDialogKind) => void; onSetCredentials: (ids: number[]) => void }) {
  const { selected, onDialog } = props;
  const filter = useConsole((s) => s.computerFilter);
  const computerFilterChanged = useConsole((s) => s.computerFilterChanged);
  const propertiesRequested = useConsole((s) => s.propertiesRequested);
  const wizardOpened = useConsole((s) => s.wizardOpened);
  const leftoversOpened = useConsole((s) => s.leftoversOpened);
  const none = selected.length === 0;
  return (
    <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
      <AddComputersMenu onDialog={onDialog} />
      <Tooltip title="Ctrl+N">
        <span>
          <Button variant="contained" color="secondary" disabled={none} onClick={() => wizardOpened(selected)}>
            New Installation Task…
          </Button>
        </span>
      </Tooltip>
      <Button disabled={none} onClick={() => onDialog('info')}>Get Info</Button>
      <Button disabled={none} onClick={() => onDialog('diagnose')}>Diagnostics…</Button>
      <Tooltip title="Credentials for the pushes to the selected computers whose credentials are not held any more: waiting ones resume, what they left is removed">
        <span>
          <Button disabled={none} onClick={() => props.onSetCredentials(selected)}>Set Credentials…</Button>
        </span>
      </Tooltip>
      <Tooltip title={`What pushes left on computers (${LEFTOVERS_SHORTCUT})`}>
        <span>
          <Button onClick={leftoversOpened}>Leftovers…</Button>
        </span>
      </Tooltip>
      <Tooltip title="Delete">
        <span>
          <Button disabled={none} onClick={() => onDialog('remove')}>Remove</Button>
        </span>
      </Tooltip>
      <Tooltip title="F4">
        <span>
          <Button disabled={none} onClick={propertiesRequested}>Properties</Button>
        </span>
      </Tooltip>
      <Box sx={{ flex: 1 }} />
      <TextField
        placeholder="Filter computers (Ctrl+F)"
        value={filter}
        onChange={(e) => computerFilterChanged(e.target.value)}
        slotProps={{ htmlInput: { 'data-search-field': 'computers', 'aria-label': 'Filter computers' } }}
      />
    </Stack>
  );
}

/** Add Computers ▾: names, addresses, ranges or a file; a network scan; Active Directory. */
function AddComputersMenu(props: { onDialog: (dialog: ComputerDialogKind) => void }) {
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const choose = (dialog: ComputerDialogKind) => {
    setAnchor(null);
    props.onDialog(dialog);
  };
  return (
    <>
      <Button variant="contained" onClick={(e) => setAnchor(e.currentTarget)} aria-haspopup="menu">
        Add Computers ▾
      </Button>
      <Menu anchorEl={anchor} open={anchor !== null} onClose={() => setAnchor(null)}>
        <MenuItem onClick={() => choose('add')}>Names, Addresses, Ranges or File…</MenuItem>
        <MenuItem onClick={() => choose('scan')}>Network Scan…</MenuItem>
        <MenuItem onClick={() => choose('directory')}>Active Directory…</MenuItem>
      </Menu>
    </>
  );
}

/** What the last action did; Set Credentials… when computers' leftovers wait for credentials. */
export function ComputersNotice(props: { notice: ComputersNoticeState | null; onClose: () => void; onSetCredentials: (ids: number[]) => void }) {
  const { notice, onClose } = props;
  if (!notice) return null;
  const credentialsFor = notice.credentialsFor;
  return (
    <Alert
      severity={notice.severity}
      onClose={onClose}
      data-testid="computers-notice"
      action={
        credentialsFor ? (
          <Stack direction="row" spacing={1}>
            <Button color="inherit" size="small" sx={{ whiteSpace: 'nowrap' }} onClick={() => props.onSetCredentials(credentialsFor)}>
              Set Credentials…
            </Button>
            <Button color="inherit" size="small" onClick={onClose}>
              Close
            </Button>
          </Stack>
        ) : undefined
      }
    >
      {notice.text}
    </Alert>
  );
}
