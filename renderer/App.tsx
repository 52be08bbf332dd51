// The console's frame: title bar, the four tabs, the activity line and the error notice; connected
// to a Push Install Server, the window's title and the status bar say "<user> on <server>" with
// the role, and a banner shows while the connection is lost.
import { AppBar, Box, Chip, Tab, Tabs, Toolbar, Typography } from '@mui/material';
import { useEffect } from 'react';
import { ErrorNotice } from './components/ErrorNotice';
import { PropertiesDialog } from './components/PropertiesDialog';
import { NewTaskWizard } from './wizard/NewTaskWizard';
import { LeftoversDialog } from './history/LeftoversDialog';
import { loadAll, loadServerStatus, menuCommand, subscribeToMain } from './state/actions';
import { selectHasPropertiesTarget, selectServerLabel, useConsole, type TabId } from './state/store';
import { ConnectDialog } from './server/ConnectDialog';
import { AuditDialog } from './server/AuditDialog';
import { SitesDialog } from './server/SitesDialog';
import { WorkersDialog } from './server/WorkersDialog';
import { FileMenu } from './server/FileMenu';
import { ServerBanner } from './server/ServerBanner';
import { ComputersTab } from './tabs/ComputersTab';
import { ConfigurationTab } from './tabs/ConfigurationTab';
import { HistoryTab } from './tabs/HistoryTab';
import { PackagesTab } from './tabs/PackagesTab';

const tabs: readonly { id: TabId; label: string; shortcut: string }[] = [
  { id: 'computers', label: 'Computers', shortcut: 'Ctrl+1' },
  { id: 'history', label: 'Installation History', shortcut: 'Ctrl+2' },
  { id: 'packages', label: 'Packages', shortcut: 'Ctrl+3' },
  { id: 'configuration', label: 'Configuration', shortcut: 'Ctrl+4' },
];

function useKeyboardShortcuts() {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const s = useConsole.getState();
      // A dialog (wizard, Properties, log viewer) owns the keyboard while it is open.
      const inDialog = document.querySelector('[role="dialog"]') !== null;
      if (event.key === 'F4' && !event.altKey) {
        event.preventDefault();
        if (!inDialog && selectHasPropertiesTarget(s)) s.propertiesRequested();
        return;
      }
      const ctrl = event.ctrlKey || event.metaKey;
      // Ctrl+N: New Installation Task on the selected computers (Alt+N too: browsers keep Ctrl+N).
      if ((ctrl || event.altKey) && !event.shiftKey && event.key.toLowerCase() === 'n' && !inDialog) {
        event.preventDefault();
        if (s.activeTab === 'computers' && s.selectedComputerIds.length > 0) s.wizardOpened(s.selectedComputerIds);
        else {
          s.tabChosen('computers');
          s.logLineReceived({ at: new Date().toISOString(), level: 'info', message: 'Select the computers to install on, then New Installation Task… (Ctrl+N).' });
        }
        return;
      }
      // Ctrl+Shift+L: the Leftovers window (what pushes left on computers), from any tab.
      if (ctrl && event.shiftKey && !event.altKey && event.key.toLowerCase() === 'l') {
        event.preventDefault();
        if (!inDialog) s.leftoversOpened();
        return;
      }
      // Ctrl+Shift+S: File → Connect to Server…; Ctrl+Shift+U: the Audit Trail (a server's administrators).
      if (ctrl && event.shiftKey && !event.altKey && !inDialog && (event.key.toLowerCase() === 's' || event.key.toLowerCase() === 'u')) {
        event.preventDefault();
        menuCommand(event.key.toLowerCase() === 's' ? 'server.connect' : 'audit');
        return;
      }
      // Ctrl+F: the current window's search field.
      if (ctrl && event.key.toLowerCase() === 'f' && !inDialog) {
        const field = document.querySelector<HTMLInputElement>('[data-search-field]');
        if (field) {
          event.preventDefault();
          field.focus();
          field.select();
        }
        return;
      }
      // Electron's menu owns Ctrl+1..4; in a browser they are the browser's, so Alt+1..4 too.
      if ((event.ctrlKey || event.altKey) && /^[1-4]$/.test(event.key)) {
        const tab = tabs[Number(event.key) - 1];
        if (tab) {
          event.preventDefault();
          s.tabChosen(tab.id);
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

export function App() {
  const activeTab = useConsole((s) => s.activeTab);
  const tabChosen = useConsole((s) => s.tabChosen);
  const info = useConsole((s) => s.info);
  const error = useConsole((s) => s.error);
  const errorDismissed = useConsole((s) => s.errorDismissed);
  const wizardComputerIds = useConsole((s) => s.wizardComputerIds);
  const leftoversOpen = useConsole((s) => s.leftoversOpen);
  const leftoversClosed = useConsole((s) => s.leftoversClosed);

  const connectOpen = useConsole((s) => s.connectOpen);
  const auditOpen = useConsole((s) => s.auditOpen);
  const auditClosed = useConsole((s) => s.auditClosed);
  const sitesOpen = useConsole((s) => s.sitesOpen);
  const sitesClosed = useConsole((s) => s.sitesClosed);
  const workersOpen = useConsole((s) => s.workersOpen);
  const workersClosed = useConsole((s) => s.workersClosed);
  const serverLabel = useConsole(selectServerLabel);
  const role = useConsole((s) => s.serverStatus?.role);

  useEffect(() => {
    const unsubscribe = subscribeToMain();
    void loadAll();
    void loadServerStatus();
    return unsubscribe;
  }, []);
  useKeyboardShortcuts();
  // The window's title (Electron's title bar follows it): who on which server, when connected.
  useEffect(() => {
    document.title = serverLabel ? `${serverLabel} (${role}) — Push Install Console` : 'Push Install Console';
  }, [serverLabel, role]);

  return (
    <Box sx={{ height: '100vh', display: 'flex', flexDirection: 'column' }}>
      <AppBar position="static" elevation={0}>
        <Toolbar variant="dense" sx={{ gap: 2 }}>
          {info && info.shell !== 'electron' && <FileMenu />}
          <Typography variant="h6" component="h1" sx={{ fontSize: 16, fontWeight: 600 }}>
            Push Install Console
          </Typography>
          {serverLabel && (
            <Chip size="small" data-testid="server-chip" label={`${serverLabel} · ${role}`} sx={{ color: 'inherit', bgcolor: 'rgba(255,255,255,0.18)' }} />
          )}
          {info && (
            <Chip
              size="small"
              label={info.shell === 'electron' ? `v${info.version}` : `v${info.version} · browser shell`}
              sx={{ color: 'inherit', borderColor: 'rgba(255,255,255,0.5)' }}
              variant="outlined"
            />
          )}
        </Toolbar>
      </AppBar>
      <Tabs value={activeTab} onChange={(_, v: TabId) => tabChosen(v)} sx={{ bgcolor: 'background.paper', borderBottom: 1, borderColor: 'divider', px: 1 }}>
        {tabs.map((t) => (
          <Tab key={t.id} value={t.id} label={t.label} title={`${t.label} (${t.shortcut})`} />
        ))}
      </Tabs>
      <Box sx={{ px: 2, pt: 1, '&:empty': { display: 'none' } }}>
        <ServerBanner />
      </Box>
      {error && (
        <Box sx={{ px: 2, pt: 1 }}>
          <ErrorNotice error={error} onClose={errorDismissed} />
        </Box>
      )}
      <Box component="main" role="tabpanel" aria-label={tabs.find((t) => t.id === activeTab)?.label} sx={{ flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column', p: 2 }}>
        {activeTab === 'computers' && <ComputersTab />}
        {activeTab === 'history' && <HistoryTab />}
        {activeTab === 'packages' && <PackagesTab />}
        {activeTab === 'configuration' && <ConfigurationTab />}
      </Box>
      <StatusBar />
      <PropertiesDialog />
      {wizardComputerIds && <NewTaskWizard computerIds={wizardComputerIds} />}
      {leftoversOpen && <LeftoversDialog onClose={leftoversClosed} />}
      {connectOpen && <ConnectDialog />}
      {auditOpen && <AuditDialog onClose={auditClosed} />}
      {sitesOpen && <SitesDialog onClose={sitesClosed} />}
      {workersOpen && <WorkersDialog onClose={workersClosed} />}
    </Box>
  );
}

/** The activity line (what happened last), the keyboard shortcuts, and the data folder or the server the data comes from. */
function StatusBar() {
  const info = useConsole((s) => s.info);
  const serverLabel = useConsole(selectServerLabel);
  const status = useConsole((s) => s.serverStatus);
  const lastLine = useConsole((s) => s.activity[s.activity.length - 1]);
  return (
    <Box component="footer" sx={{ px: 2, py: 0.5, borderTop: 1, borderColor: 'divider', bgcolor: 'background.paper', display: 'flex', gap: 2 }}>
      <Typography variant="caption" color="text.secondary" data-testid="activity-line" sx={{ flex: 1 }} noWrap>
        {lastLine ? `${new Date(lastLine.at).toLocaleTimeString()}  ${lastLine.message}` : 'Ready.'}
      </Typography>
      <Typography variant="caption" color="text.secondary" sx={{ flexShrink: 0 }}>
        F4 Properties · Ctrl+N New task · Del Remove · Ctrl+A Select all · Ctrl+F Search · Ctrl+Shift+L Leftovers
      </Typography>
      {serverLabel && status ? (
        <Typography variant="caption" noWrap sx={{ maxWidth: 420, fontWeight: 600 }} color={status.state === 'connected' ? 'text.primary' : 'warning.main'} data-testid="server-status" title={status.fingerprint ? `Certificate SHA-256 ${status.fingerprint}` : undefined}>
          {serverLabel} ({status.role}){status.state === 'connected' ? '' : ` · ${status.state}`}
        </Typography>
      ) : (
        info && (
          <Typography variant="caption" color="text.secondary" noWrap sx={{ maxWidth: 360 }} title={info.dataDir}>
            Data: {info.dataDir}
          </Typography>
        )
      )}
    </Box>
  );
}
