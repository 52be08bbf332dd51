// The Computers tab's left pane: every computer, each group with its count, and "No group".
import { Box, List, ListItemButton, ListItemText, Typography } from '@mui/material';
import { useMemo } from 'react';
import type { Computer } from '../../main/ipc/contract';
import { useConsole } from '../state/store';

export function GroupsPanel(props: { computers: readonly Computer[]; groups: readonly string[] }) {
  const { computers, groups } = props;
  const group = useConsole((s) => s.groupFilter);
  const groupFilterChanged = useConsole((s) => s.groupFilterChanged);
  // Counted in one pass when the list changes (50 000 computers, not once per group per render).
  const counts = useMemo(() => {
    const byGroup = new Map<string, number>();
    for (const c of computers) if (c.groupName !== null) byGroup.set(c.groupName, (byGroup.get(c.groupName) ?? 0) + 1);
    return byGroup;
  }, [computers]);
  return (
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
            <ListItemText primary={`${g} (${counts.get(g) ?? 0})`} />
          </ListItemButton>
        ))}
        {groups.length > 0 && (
          <ListItemButton selected={group === ''} onClick={() => groupFilterChanged('')}>
            <ListItemText primary="No group" />
          </ListItemButton>
        )}
      </List>
    </Box>
  );
}
