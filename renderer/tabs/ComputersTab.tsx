// Computers: the machines targeted for remote installation — a virtualised grid with groups,
// search, multi-select, the ways to add computers (names, ranges, file, scan, Active
// Directory) and what to do with the selection (New Installation Task…, Get Info, Diagnostics,
// group, remove, Set Credentials… for their pushes, remove leftovers), from the toolbar, the
// context menu or the keyboard; and the Leftovers window (Ctrl+Shift+L).
import {
  Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Divider, List, ListItemButton, ListItemText, Menu, MenuItem, Stack, TextField,
  Tooltip, Typography,
} from '@mui/material';
import { useEffect, useMemo, useState, type MouseEvent } from 'react';
import type { Computer } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { AddComputersDialog, hostWithPort } from '../computers/AddComputersDialog';
import { DirectoryImportDialog } from '../computers/DirectoryImportDialog';
import { DiagnosticsDialog, GetInfoDialog } from '../computers/HostChecksDialog';
import { NetworkScanDialog } from '../computers/NetworkScanDialog';
import { useCredentialsPrompt } from '../credentials/useCredentialsPrompt';
import { LEFTOVERS_SHORTCUT } from '../history/LeftoversDialog';
import { rebindCredentials, rebindSummary, reloadComputers, removeComputers, request } from '../state/actions';
import { filterComputers, groupsOf, useConsole } from '../state/store';

const columns: readonly Column<Computer>[] = [
  { key: 'name', header: 'Computer', width: '20%', render: (c) => c.name, sortValue: (c) => c.name },
  { key: 'address', header: 'Address', width: '13%', render: (c) => (c.address ? hostWithPort(c.address, c.port) : c.port !== null ? `:${c.port}` : '—'), sortValue: (c) => c.address },
  { key: 'domain', header: 'Domain', width: '14%', render: (c) => c.domain ?? '—', sortValue: (c) => c.domain },
  { key: 'os', header: 'Operating system', width: '16%', render: (c) => c.os ?? 'not queried yet', sortValue: (c) => c.os },
  { key: 'group', header: 'Group', width: '12%', render: (c) => c.groupName ?? '—', sortValue: (c) => c.groupName },
  { key: 'last', header: 'Last result', render: (c) => c.lastResult ?? 'never pushed', title: (c) => c.lastResult, sortValue: (c) => c.lastResult },
];

type DialogKind = 'add' | 'scan' | 'directory' | 'info' | 'diagnose' | 'group' | 'remove' | null;

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

export function ComputersTab() {
  const computers = useConsole((s) => s.computers);
  const filter = useConsole((s) => s.computerFilter);
  const group = useConsole((s) => s.groupFilter);
  const rows = useMemo(() => filterComputers(computers, filter, group), [computers, filter, group]);
  const groups = useMemo(() => groupsOf(computers), [computers]);
  const selected = useConsole((s) => s.selectedComputerIds);
  const computersSelected = useConsole((s) => s.computersSelected);
  const computerFilterChanged = useConsole((s) => s.computerFilterChanged);
  const groupFilterChanged = useConsole((s) => s.groupFilterChanged);
  const propertiesRequested = useConsole((s) => s.propertiesRequested);
  const wizardOpened = useConsole((s) => s.wizardOpened);
  const [dialog, setDialog] = useState<DialogKind>(null);
  const [addMenu, setAddMenu] = useState<HTMLElement | null>(null);
  const [context, setContext] = useState<{ x: number; y: number } | null>(null);
  /** What the last action did; `credentialsFor`: computers whose leftovers wait for credentials (offers Set Credentials…). */
  const [notice, setNotice] = useState<{ text: string; severity: 'info' | 'warning' | 'error'; credentialsFor?: number[] } | null>(null);
  const leftoversOpened = useConsole((s) => s.leftoversOpened);
  const [credentialsDialog, askCredentials] = useCredentialsPrompt();
  const none = selected.length === 0;
  // Last results change while pushes run on other tabs: the list is fresh whenever the tab shows.
  useEffect(() => {
    void reloadComputers();
  }, []);

  const removeLeftovers = async () => {
    const ids = selected;
    const r = await request('computers.removeLeftovers', { ids });
    if (!r.ok) return setNotice({ severity: 'error', text: `${r.error.class}: ${r.error.message} ${r.error.advice}` });
    const { targets, cleaned, remaining, noCredentials } = r.result;
    if (targets === 0) return setNotice({ severity: 'info', text: 'No leftovers are recorded for the selected computers.' });
    const text = `Leftovers: ${cleaned} of ${targets} push(es) cleaned, ${remaining} remaining.`;
    if (noCredentials > 0) {
      return setNotice({
        severity: 'warning',
        text: `${text} ${noCredentials} of them could not be tried: their credentials are not held any more. Set Credentials… on these computers removes what is left at once.`,
        credentialsFor: ids,
      });
    }
    setNotice({ severity: remaining ? 'warning' : 'info', text });
  };
  /** Set Credentials… for the pushes to these computers whose credentials are gone: waiting ones resume, leftovers are cleaned. */
  const setCredentials = (ids: number[]) =>
    askCredentials({
      scope: `the pushes to ${ids.length} computer(s) whose credentials are not held any more`,
      then: async (credential) => {
        const r = await rebindCredentials(credential.id, { computerIds: ids });
        setNotice(r.ok ? { severity: 'info', text: rebindSummary(r.result, 'push(es)') } : { severity: 'error', text: `${r.error.class}: ${r.error.message} ${r.error.advice}` });
      },
    });

  const actions: { label: string; shortcut?: string; disabled: boolean; run: () => void }[] = [
    { label: 'New Installation Task…', shortcut: 'Ctrl+N', disabled: none, run: () => wizardOpened(selected) },
    { label: 'Get Info', disabled: none, run: () => setDialog('info') },
    { label: 'Diagnostics…', disabled: none, run: () => setDialog('diagnose') },
    { label: 'Move to Group…', disabled: none, run: () => setDialog('group') },
    { label: 'Set Credentials…', disabled: none, run: () => setCredentials(selected) },
    { label: 'Remove Leftovers', disabled: none, run: () => void removeLeftovers() },
    { label: 'Leftovers…', shortcut: LEFTOVERS_SHORTCUT, disabled: false, run: leftoversOpened },
    { label: 'Remove', shortcut: 'Delete', disabled: none, run: () => setDialog('remove') },
    { label: 'Properties', shortcut: 'F4', disabled: none, run: propertiesRequested },
  ];

  return (
    <Box sx={{ display: 'flex', gap: 1, flex: 1, minHeight: 0 }}>
      <Box sx={{ width: 180, flexShrink: 0, border: 1, borderColor: 'divider', bgcolor: 'background.paper', overflow: 'auto' }}>
        <Typography variant="caption" sx={{ px: 1.5, pt: 1, display: 'block', color: 'text.secondary', fontWeight: 600 }}>
          GROUPS
        </Typography>
        <List dense aria-label="Groups">
          <ListItemButton selected={group === null} onClick={() => groupFilterChanged(null)}>
            <ListItemText primary={`All computers (${computers.length})`} />
          </ListItemButton>
          {groups.map((g) => (
            <ListItemButton key={g} selected={group === g} onClick={() => groupFilterChanged(g)}>
              <ListItemText primary={`${g} (${computers.filter((c) => c.groupName === g).length})`} />
            </ListItemButton>
          ))}
          {groups.length > 0 && (
            <ListItemButton selected={group === ''} onClick={() => groupFilterChanged('')}>
              <ListItemText primary="No group" />
            </ListItemButton>
          )}
        </List>
      </Box>
      <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, flex: 1, minWidth: 0 }}>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
          <Button variant="contained" onClick={(e) => setAddMenu(e.currentTarget)} aria-haspopup="menu">
            Add Computers ▾
          </Button>
          <Menu anchorEl={addMenu} open={addMenu !== null} onClose={() => setAddMenu(null)}>
            <MenuItem onClick={() => { setAddMenu(null); setDialog('add'); }}>Names, Addresses, Ranges or File…</MenuItem>
            <MenuItem onClick={() => { setAddMenu(null); setDialog('scan'); }}>Network Scan…</MenuItem>
            <MenuItem onClick={() => { setAddMenu(null); setDialog('directory'); }}>Active Directory…</MenuItem>
          </Menu>
          <Tooltip title="Ctrl+N">
            <span>
              <Button variant="contained" color="secondary" disabled={none} onClick={() => wizardOpened(selected)}>
                New Installation Task…
              </Button>
            </span>
          </Tooltip>
          <Button disabled={none} onClick={() => setDialog('info')}>Get Info</Button>
          <Button disabled={none} onClick={() => setDialog('diagnose')}>Diagnostics…</Button>
          <Tooltip title="Credentials for the pushes to the selected computers whose credentials are not held any more: waiting ones resume, what they left is removed">
            <span>
              <Button disabled={none} onClick={() => setCredentials(selected)}>Set Credentials…</Button>
            </span>
          </Tooltip>
          <Tooltip title={`What pushes left on computers (${LEFTOVERS_SHORTCUT})`}>
            <span>
              <Button onClick={leftoversOpened}>Leftovers…</Button>
            </span>
          </Tooltip>
          <Tooltip title="Delete">
            <span>
              <Button disabled={none} onClick={() => setDialog('remove')}>Remove</Button>
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
        {notice && (
          <Alert
            severity={notice.severity}
            onClose={() => setNotice(null)}
            data-testid="computers-notice"
            action={
              notice.credentialsFor ? (
                <Stack direction="row" spacing={1}>
                  <Button color="inherit" size="small" sx={{ whiteSpace: 'nowrap' }} onClick={() => setCredentials(notice.credentialsFor!)}>
                    Set Credentials…
                  </Button>
                  <Button color="inherit" size="small" onClick={() => setNotice(null)}>
                    Close
                  </Button>
                </Stack>
              ) : undefined
            }
          >
            {notice.text}
          </Alert>
        )}
        <DataTable
          label="Computers"
          testId="computers-grid"
          columns={columns}
          rows={rows}
          selected={selected}
          onSelect={computersSelected}
          onDelete={() => setDialog('remove')}
          onOpen={(c) => {
            computersSelected([c.id]);
            propertiesRequested();
          }}
          onContextMenu={(e: MouseEvent) => setContext({ x: e.clientX, y: e.clientY })}
          empty={
            computers.length === 0
              ? 'No computers yet. Choose "Add Computers" to list the machines to install on: by name, range, file, network scan or Active Directory.'
              : 'No computer matches the filter.'
          }
        />
        <Typography variant="caption" color="text.secondary" data-testid="computers-count">
          {computers.length} computer(s), {rows.length} shown, {selected.length} selected
        </Typography>
      </Box>
      <Menu open={context !== null} onClose={() => setContext(null)} anchorReference="anchorPosition" anchorPosition={context ? { top: context.y, left: context.x } : undefined}>
        {actions.map((a, i) => [
          i === 4 ? <Divider key={`d${i}`} /> : null,
          <MenuItem key={a.label} disabled={a.disabled} onClick={() => { setContext(null); a.run(); }}>
            <ListItemText>{a.label}</ListItemText>
            {a.shortcut && <Typography variant="caption" color="text.secondary" sx={{ ml: 3 }}>{a.shortcut}</Typography>}
          </MenuItem>,
        ])}
      </Menu>
      {credentialsDialog}
      {dialog === 'add' && <AddComputersDialog onClose={() => setDialog(null)} />}
      {dialog === 'scan' && <NetworkScanDialog onClose={() => setDialog(null)} />}
      {dialog === 'directory' && <DirectoryImportDialog onClose={() => setDialog(null)} />}
      {dialog === 'info' && <GetInfoDialog computerIds={selected} onClose={() => setDialog(null)} />}
      {dialog === 'diagnose' && <DiagnosticsDialog computerIds={selected} onClose={() => setDialog(null)} />}
      {dialog === 'group' && <GroupDialog ids={selected} groups={groups} onClose={() => setDialog(null)} />}
      {dialog === 'remove' && (
        <Dialog open onClose={() => setDialog(null)} aria-label="Remove computers">
          <DialogTitle>Remove {selected.length} computer(s)?</DialogTitle>
          <DialogContent>
            <Typography>They leave the Computers list; their installation history stays.</Typography>
          </DialogContent>
          <DialogActions>
            <Button onClick={() => setDialog(null)}>Cancel</Button>
            <Button variant="contained" color="error" autoFocus onClick={() => { setDialog(null); void removeComputers(selected); }}>
              Remove
            </Button>
          </DialogActions>
        </Dialog>
      )}
    </Box>
  );
}
