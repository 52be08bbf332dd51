// Computers: the machines targeted for remote installation — a virtualised grid with groups,
// search, multi-select, the ways to add computers (names, ranges, file, scan, Active
// Directory) and what to do with the selection (New Installation Task…, Get Info, Diagnostics,
// group, Set Site…, remove, Set Credentials… for their pushes, remove leftovers), from the toolbar, the
// context menu or the keyboard; and the Leftovers window (Ctrl+Shift+L).
// This file lays the tab out; the pieces are in computers/ (GroupsPanel, ComputersToolbar with its
// notice, ComputerDialogs, useComputerActions).
import { Box, Typography } from '@mui/material';
import { useEffect, useMemo, useState, type MouseEvent } from 'react';
import type { Computer } from '../../main/ipc/contract';
import { ActionsMenu, type MenuAnchor } from '../components/ActionsMenu';
import { DataTable, type Column } from '../components/DataTable';
import { ComputerDialogs, type ComputerDialogKind } from '../computers/ComputerDialogs';
import { ComputersNotice, ComputersToolbar } from '../computers/ComputersToolbar';
import { GroupsPanel } from '../computers/GroupsPanel';
import { hostWithPort } from '../computers/hostWithPort';
import { useComputerActions } from '../computers/useComputerActions';
import { reloadComputers } from '../state/actions';
import { filterComputers, groupsOf, useConsole } from '../state/store';

const columns: readonly Column<Computer>[] = [
  { key: 'name', header: 'Computer', width: '18%', render: (c) => c.name, sortValue: (c) => c.name },
  { key: 'address', header: 'Address', width: '12%', render: (c) => (c.address ? hostWithPort(c.address, c.port) : c.port !== null ? `:${c.port}` : '—'), sortValue: (c) => c.address },
  { key: 'domain', header: 'Domain', width: '12%', render: (c) => c.domain ?? '—', sortValue: (c) => c.domain },
  { key: 'os', header: 'Operating system', width: '14%', render: (c) => c.os ?? 'not queried yet', sortValue: (c) => c.os },
  { key: 'group', header: 'Group', width: '10%', render: (c) => c.groupName ?? '—', sortValue: (c) => c.groupName },
  // The site its rules (or Set Site…, "by hand") put it in; none: the default site.
  { key: 'site', header: 'Site', width: '11%', render: (c) => `${c.siteName ?? 'Default'}${c.sitePinned ? ' (by hand)' : ''}`, sortValue: (c) => c.siteName ?? '' },
  { key: 'last', header: 'Last result', render: (c) => c.lastResult ?? 'never pushed', title: (c) => c.lastResult, sortValue: (c) => c.lastResult },
];

export function ComputersTab() {
  const computers = useConsole((s) => s.computers);
  const filter = useConsole((s) => s.computerFilter);
  const group = useConsole((s) => s.groupFilter);
  const rows = useMemo(() => filterComputers(computers, filter, group), [computers, filter, group]);
  const groups = useMemo(() => groupsOf(computers), [computers]);
  const selected = useConsole((s) => s.selectedComputerIds);
  const computersSelected = useConsole((s) => s.computersSelected);
  const propertiesRequested = useConsole((s) => s.propertiesRequested);
  const [dialog, setDialog] = useState<ComputerDialogKind>(null);
  const [context, setContext] = useState<MenuAnchor>(null);
  const a = useComputerActions(selected, setDialog);
  // Last results change while pushes run on other tabs: the list is fresh whenever the tab shows.
  useEffect(() => {
    void reloadComputers();
  }, []);

  return (
    <Box sx={{ display: 'flex', gap: 1, flex: 1, minHeight: 0 }}>
      <GroupsPanel computers={computers} groups={groups} />
      <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, flex: 1, minWidth: 0 }}>
        <ComputersToolbar selected={selected} onDialog={setDialog} onSetCredentials={a.setCredentials} />
        <ComputersNotice notice={a.notice} onClose={() => a.setNotice(null)} onSetCredentials={a.setCredentials} />
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
      <ActionsMenu at={context} actions={a.actions} dividerBefore={5} onClose={() => setContext(null)} />
      {a.credentialsDialog}
      <ComputerDialogs dialog={dialog} selected={selected} groups={groups} onClose={() => setDialog(null)} />
    </Box>
  );
}
