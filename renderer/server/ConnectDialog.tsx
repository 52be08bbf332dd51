// File → Connect to Server… (Ctrl+Shift+S): the address, account and password of a Push Install
// Server. On the first connection to a server the console shows the SHA-256 fingerprint of its
// certificate before anything is sent to it (server.connect's first step makes only the TLS
// handshake); the admin compares it with the one the server printed at start and confirms, and
// only then does the console sign in and pin it (known-servers.json, like SSH's known_hosts).
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, Typography } from '@mui/material';
import { useState, type KeyboardEvent } from 'react';
import type { IpcError } from '../../main/ipc/contract';
import { ErrorNotice } from '../components/ErrorNotice';
import { request } from '../state/actions';
import { serverHost, useConsole } from '../state/store';

export const CONNECT_SHORTCUT = 'Ctrl+Shift+S';

/** The fingerprint as servers and browsers show it: upper-case pairs joined by colons, in two lines. */
export function formatFingerprint(hex: string): string {
  const pairs = hex.toUpperCase().match(/../g) ?? [];
  return `${pairs.slice(0, 16).join(':')}\n${pairs.slice(16).join(':')}`;
}

/** What the admin typed as an address: https:// is added when left out. */
export function serverUrl(typed: string): string {
  const t = typed.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `https://${t}`;
}

export function ConnectDialog() {
  const status = useConsole((s) => s.serverStatus);
  const close = useConsole((s) => s.connectClosed);
  const [url, setUrl] = useState(status?.url ?? '');
  const [user, setUser] = useState(status?.user ?? '');
  const [password, setPassword] = useState('');
  /** The fingerprint to confirm on a first contact; null while entering the account. */
  const [confirm, setConfirm] = useState<{ url: string; fingerprint: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);

  const connect = async (fingerprint?: string) => {
    setBusy(true);
    setError(null);
    const r = await request('server.connect', { url: serverUrl(url), user: user.trim(), password, ...(fingerprint ? { fingerprint } : {}) });
    setBusy(false);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    if (r.result.needsConfirmation) {
      setConfirm({ url: r.result.url, fingerprint: r.result.fingerprint });
      return;
    }
    const { result } = r;
    setPassword('');
    useConsole.getState().logLineReceived({
      at: new Date().toISOString(),
      level: 'info',
      message: `Connected to ${serverHost(result.url)} as ${result.user} (${result.role})${result.firstContact ? '; its certificate is pinned' : ''}.`,
    });
    close();
  };

  const ready = url.trim() !== '' && user.trim() !== '' && password !== '';
  const submit = () => {
    if (busy || !ready) return;
    void (confirm ? connect(confirm.fingerprint) : connect());
  };
  // Not a <form>: the page's sandbox has no allow-forms (bridgeServer.ts), so Enter is taken here.
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Enter' || event.shiftKey || event.altKey || event.ctrlKey) return;
    event.preventDefault();
    submit();
  };

  return (
    <Dialog open onClose={busy ? undefined : close} fullWidth maxWidth="sm" aria-label="Connect to Server">
      <Box onKeyDown={onKeyDown}>
        <DialogTitle>Connect to Server</DialogTitle>
        <DialogContent dividers>
          {!confirm ? (
            <Stack spacing={2}>
              <Typography variant="body2" color="text.secondary">
                Work on a Push Install Server&apos;s computers, packages and tasks as one of its accounts. This console&apos;s own store stays as it is;
                Disconnect returns to it.
              </Typography>
              <TextField label="Server address" placeholder="https://pushserver.corp.example:8443" value={url} onChange={(e) => setUrl(e.target.value)} autoFocus required size="small" slotProps={{ htmlInput: { 'data-testid': 'server-url' } }} />
              <TextField label="User" value={user} onChange={(e) => setUser(e.target.value)} required size="small" autoComplete="username" slotProps={{ htmlInput: { 'data-testid': 'server-user' } }} />
              <TextField label="Password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required size="small" autoComplete="current-password" slotProps={{ htmlInput: { 'data-testid': 'server-password' } }} />
            </Stack>
          ) : (
            <Stack spacing={2}>
              <Typography variant="subtitle1" component="h2" sx={{ fontWeight: 600 }}>
                Confirm the server&apos;s certificate
              </Typography>
              <Alert severity="warning">
                This console has not connected to {serverHost(confirm.url)} before. Nothing has been sent to it yet — not your password.
              </Alert>
              <Typography variant="body2">
                Compare this SHA-256 fingerprint of its certificate with the one the server printed when it started (PUSHSERVER_FINGERPRINT), or ask its administrator.
                Connect only if they are the same: the console then remembers it and refuses any other certificate from this address.
              </Typography>
              <Box component="pre" data-testid="server-fingerprint" sx={{ m: 0, p: 1.5, bgcolor: 'action.hover', borderRadius: 1, fontFamily: 'monospace', fontSize: 13, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
                {formatFingerprint(confirm.fingerprint)}
              </Box>
            </Stack>
          )}
          {error && (
            <Box sx={{ mt: 2 }}>
              <ErrorNotice error={error} />
            </Box>
          )}
        </DialogContent>
        <DialogActions>
          {confirm && (
            <Button disabled={busy} onClick={() => (setConfirm(null), setError(null))}>
              Back
            </Button>
          )}
          <Box sx={{ flex: 1 }} />
          <Button disabled={busy} onClick={close}>
            Cancel
          </Button>
          <Button variant="contained" disabled={busy || !ready} onClick={submit}>
            {busy ? 'Connecting…' : confirm ? 'Trust and Connect' : 'Connect'}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}
