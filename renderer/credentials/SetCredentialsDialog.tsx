// Set Credentials… / Set for All…: the logon (DOMAIN\user and password) for the rows it was
// opened for. The password goes to main once (credentials.set) and is never shown or sent back:
// the renderer only ever holds the credential's id. A stored credential can be reused instead.
import {
  Alert, Button, Checkbox, Chip, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, MenuItem, Stack, TextField, Typography,
} from '@mui/material';
import { useState } from 'react';
import type { Credential, IpcError } from '../../main/ipc/contract';
import { ErrorNotice } from '../components/ErrorNotice';
import { reloadCredentials, request } from '../state/actions';
import { useConsole } from '../state/store';

export function credentialLabel(c: Pick<Credential, 'domain' | 'user'>): string {
  return c.domain ? `${c.domain}\\${c.user}` : c.user;
}

/** Where a credential's secret is kept and what it is: the admin sees it next to every stored credential. */
export function CredentialBadges(props: { credential: Pick<Credential, 'storage' | 'keeps'> }) {
  const { storage, keeps } = props.credential;
  return (
    <>
      <Chip
        size="small"
        variant="outlined"
        data-testid="cred-storage"
        sx={{ ml: 1 }}
        color={storage === 'keychain' ? 'success' : 'default'}
        label={storage === 'keychain' ? 'keychain' : 'memory only'}
        title={storage === 'keychain' ? 'Kept in the OS keychain: still there after the console restarts.' : 'Kept in memory only: gone when the console stops.'}
      />
      {keeps === 'nt-hash' && (
        <Chip size="small" variant="outlined" data-testid="cred-keeps" sx={{ ml: 1 }} label="NT hash only" title="Only the NT hash is kept: packages install as SYSTEM, not as this account." />
      )}
    </>
  );
}

export function SetCredentialsDialog(props: { title: string; scope: string; onClose: () => void; onSet: (credential: Credential) => void }) {
  const stored = useConsole((s) => s.credentials).filter((c) => c.available);
  const [reuse, setReuse] = useState<number | ''>('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);
  const [hashOnly, setHashOnly] = useState(false);
  const vaultStorage = useConsole((s) => s.info?.credentialStorage);
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    setError(null);
    if (reuse !== '') {
      const c = stored.find((x) => x.id === reuse);
      if (c) props.onSet(c);
      return;
    }
    if (!user.trim()) return setProblem('Enter the account: DOMAIN\\user, user@domain, or .\\Administrator for a local account.');
    if (/\s/.test(user.trim()) && !user.includes('\\')) return setProblem('An account name has no spaces: write DOMAIN\\user.');
    if (password === '') return setProblem('Enter the password. Accounts with an empty password cannot log on over the network.');
    setProblem(null);
    setBusy(true);
    const r = await request('credentials.set', { user: user.trim(), password, remember, keep: hashOnly ? 'nt-hash' : 'password' });
    setBusy(false);
    setPassword('');
    if (!r.ok) return setError(r.error);
    await reloadCredentials();
    props.onSet(r.result);
  };

  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="xs" aria-label={props.title}>
      <DialogTitle>{props.title}</DialogTitle>
      <DialogContent dividers>
        <Stack spacing={2}>
          <Typography variant="body2" color="text.secondary">
            For {props.scope}. The account must be an administrator on the computers: a domain account, or the built-in Administrator.
          </Typography>
          {stored.length > 0 && (
            <TextField select label="Use stored credentials" value={reuse} onChange={(e) => setReuse(e.target.value === '' ? '' : Number(e.target.value))}>
              <MenuItem value="">— enter new credentials —</MenuItem>
              {stored.map((c) => (
                <MenuItem key={c.id} value={c.id}>
                  {credentialLabel(c)}
                  <CredentialBadges credential={c} />
                </MenuItem>
              ))}
            </TextField>
          )}
          {reuse === '' && (
            <>
              <TextField
                label="User"
                placeholder={'CORP\\admin'}
                autoFocus
                value={user}
                onChange={(e) => setUser(e.target.value)}
                autoComplete="off"
                slotProps={{ htmlInput: { 'data-testid': 'cred-user', spellCheck: false } }}
              />
              <TextField
                label="Password"
                type="password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                autoComplete="new-password"
                onKeyDown={(e) => e.key === 'Enter' && void submit()}
                slotProps={{ htmlInput: { 'data-testid': 'cred-password' } }}
              />
              <FormControlLabel
                control={<Checkbox checked={remember} onChange={(e) => setRemember(e.target.checked)} slotProps={{ input: { 'data-testid': 'cred-remember' } as object }} />}
                label="Remember these credentials after the console restarts"
              />
              {remember && vaultStorage?.storage === 'memory' && (
                <Alert severity="info" data-testid="cred-no-keychain">
                  {vaultStorage.problem ?? 'No OS keychain is reachable'} — these credentials will be kept in memory only.
                </Alert>
              )}
              <FormControlLabel
                control={<Checkbox checked={hashOnly} onChange={(e) => setHashOnly(e.target.checked)} slotProps={{ input: { 'data-testid': 'cred-hash-only' } as object }} />}
                label="Keep only the NT hash (packages then install as SYSTEM, not as this account)"
              />
            </>
          )}
          {problem && <Alert severity="warning" data-testid="cred-problem">{problem}</Alert>}
          {error && <ErrorNotice error={error} />}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button variant="contained" disabled={busy} onClick={() => void submit()}>
          OK
        </Button>
      </DialogActions>
    </Dialog>
  );
}
