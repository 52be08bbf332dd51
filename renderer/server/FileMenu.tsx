// The window's File menu in the browser shell (Electron has the same items in its own menu bar,
// main/app/menuTemplate.ts): Connect to Server…, Disconnect from Server and, for a server's
// administrators, the Audit Trail — each with the shortcut it answers to; and Sites… and Workers…
// (View → Sites… and View → Workers… in Electron's menu bar).
import { Button, Divider, ListItemText, Menu, MenuItem, Typography } from '@mui/material';
import { useState } from 'react';
import { menuCommand } from '../state/actions';
import { selectMayAudit, useConsole } from '../state/store';
import { CONNECT_SHORTCUT } from './ConnectDialog';
import { AUDIT_SHORTCUT } from './AuditDialog';

export function FileMenu() {
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const connected = useConsole((s) => s.serverStatus !== null && s.serverStatus.state !== 'local');
  const mayAudit = useConsole(selectMayAudit);
  const run = (command: Parameters<typeof menuCommand>[0]) => {
    setAnchor(null);
    menuCommand(command);
  };
  const shortcut = (text: string) => (
    <Typography variant="caption" color="text.secondary" sx={{ ml: 3 }}>
      {text}
    </Typography>
  );
  return (
    <>
      <Button color="inherit" size="small" onClick={(e) => setAnchor(e.currentTarget)} aria-haspopup="menu" aria-expanded={anchor !== null}>
        File
      </Button>
      <Menu anchorEl={anchor} open={anchor !== null} onClose={() => setAnchor(null)}>
        <MenuItem onClick={() => run('server.connect')}>
          <ListItemText>Connect to Server…</ListItemText>
          {shortcut(CONNECT_SHORTCUT)}
        </MenuItem>
        <MenuItem disabled={!connected} onClick={() => run('server.disconnect')}>
          <ListItemText>Disconnect from Server</ListItemText>
        </MenuItem>
        <Divider />
        <MenuItem disabled={!mayAudit} onClick={() => run('audit')}>
          <ListItemText>Audit Trail…</ListItemText>
          {shortcut(AUDIT_SHORTCUT)}
        </MenuItem>
        <MenuItem onClick={() => run('sites')}>
          <ListItemText>Sites…</ListItemText>
        </MenuItem>
        <MenuItem onClick={() => run('workers')}>
          <ListItemText>Workers…</ListItemText>
        </MenuItem>
      </Menu>
    </>
  );
}
