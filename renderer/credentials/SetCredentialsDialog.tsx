// Set Credentials… / Set for All…: the logon (DOMAIN\user and password) for the rows it was
// opened for. The password goes to main once (credentials.set) and is never shown or sent back:
// the renderer only ever holds the credential's id. A stored credential can be reused instead.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, MenuItem, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import type { Credential, IpcError } from '../../main/ipc/contract';
import { ErrorNotice } from '../components/ErrorNotice';
import { reloadCredentials, request } from '../state/actions';
import { useConsole } from '../state/store';
import { CredentialBadges, credentialLabel } from './credentialLabel';
import { NewCredentialFields, type NewCredential } from './NewCredentialFields';

export function SetCredentialsDialog(props: { title: string; scope: string; onClose: () => void; onSet: (credential: Credential) => void }) {
  const stored = useConsole((s) => s.credentials).filter((c) => c.available);
  const [reuse, setReuse] = useState<number | ''>('');
  const [entered, setEntered] = useState<NewCredential>({ user: '', password: '', remember: false, hashOnly: false });
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
    const { user, password } = entered;
    const p = enteredProblem(entered);
    setProblem(p);
    if (p) return;
    setBusy(true);
    const r = await request('credentials.set', { user: user.trim(), password, remember: entered.remember, keep: entered.hashOnly ? 'nt-hash' : 'password' });
    setBusy(false);
    setEntered((e) => ({ ...e, password: '' }));
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
          {stored.length > 0 && <StoredCredentialSelect stored={stored} value={reuse} onChange={setReuse} />}
          {reuse === '' && <NewCredentialFields value={entered} onChange={(patch) => setEntered((e) => ({ ...e, ...patch }))} onEnter={() => void submit()} />}
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

/** A stored credential to reuse instead of entering one ('' : enter new credentials). */
function StoredCredentialSelect(props: { stored: readonly Credential[]; value: number | ''; onChange: (value: number | '') => void }) {
  return (
    <TextField select label="Use stored credentials" value={props.value} onChange={(e) => props.onChange(e.target.value === '' ? '' : Number(e.target.value))}>
      <MenuItem value="">— enter new credentials —</MenuItem>
      {props.stored.map((c) => (
        <MenuItem key={c.id} value={c.id}>
          {credentialLabel(c)}
          <CredentialBadges credential={c} />
        </MenuItem>
      ))}
    </TextField>
  );
}

/** What is wrong with the account and password entered, in words; null when they may be sent. */
function enteredProblem({ user, password }: NewCredential): string | null {
  if (!user.trim()) return 'Enter the account: DOMAIN\\user, user@domain, or .\\Administrator for a local account.';
  if (/\s/.test(user.trim()) && !user.includes('\\')) return 'An account name has no spaces: write DOMAIN\\user.';
  if (password === '') return 'Enter the password. Accounts with an empty password cannot log on over the network.';
  return null;
}
