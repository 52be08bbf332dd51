// Set Credentials… / Set for All…: the logon for the rows it was opened for — an account
// (DOMAIN\user and password), or Use LAPS: each computer's own local Administrator password read
// from Active Directory at push time (the directory and the account that reads it). A password goes
// to main once (credentials.set / credentials.setLaps) and is never shown or sent back: the renderer
// only ever holds the credential's id. A stored credential can be reused instead.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, MenuItem, Radio, RadioGroup, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import type { Credential, IpcError } from '../../main/ipc/contract';
import { ErrorNotice } from '../components/ErrorNotice';
import { reloadCredentials, request } from '../state/actions';
import { useConsole } from '../state/store';
import { CredentialBadges, credentialLabel } from './credentialLabel';
import { initialLaps, LapsCredentialFields, lapsProblem, type NewLapsCredential } from './LapsCredentialFields';
import { NewCredentialFields, type NewCredential } from './NewCredentialFields';

type Mode = 'account' | 'laps';

export function SetCredentialsDialog(props: { title: string; scope: string; onClose: () => void; onSet: (credential: Credential) => void }) {
  const stored = useConsole((s) => s.credentials).filter((c) => c.available);
  const [reuse, setReuse] = useState<number | ''>('');
  const [mode, setMode] = useState<Mode>('account');
  const [entered, setEntered] = useState<NewCredential>({ user: '', password: '', remember: false, hashOnly: false });
  const [laps, setLaps] = useState<NewLapsCredential>(() => initialLaps(useConsole.getState().lastDirectory, stored));
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);

  const submitLaps = async () => {
    const p = lapsProblem(laps);
    setProblem(p);
    if (p) return;
    setBusy(true);
    const r = await request('credentials.setLaps', {
      url: laps.url.trim(), baseDn: laps.baseDn.trim(), startTls: laps.startTls, allowUntrusted: laps.allowUntrusted,
      ...(laps.caPem.trim() ? { caPem: laps.caPem.trim() } : {}), bindDn: laps.bindDn.trim(), password: laps.password, remember: laps.remember,
    });
    setBusy(false);
    setLaps((l) => ({ ...l, password: '' }));
    if (!r.ok) return setError(r.error);
    await reloadCredentials();
    props.onSet(r.result);
  };

  const submit = async () => {
    setError(null);
    if (reuse !== '') {
      const c = stored.find((x) => x.id === reuse);
      if (c) props.onSet(c);
      return;
    }
    if (mode === 'laps') return submitLaps();
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
    <Dialog open onClose={props.onClose} fullWidth maxWidth={mode === 'laps' && reuse === '' ? 'sm' : 'xs'} aria-label={props.title}>
      <DialogTitle>{props.title}</DialogTitle>
      <DialogContent dividers>
        <Stack spacing={2}>
          <Typography variant="body2" color="text.secondary">
            For {props.scope}. The account must be an administrator on the computers: a domain account, the built-in Administrator, or — with LAPS — each computer&apos;s own.
          </Typography>
          {stored.length > 0 && <StoredCredentialSelect stored={stored} value={reuse} onChange={setReuse} />}
          {reuse === '' && (
            <RadioGroup row value={mode} onChange={(e) => (setMode(e.target.value as Mode), setProblem(null))} aria-label="Kind of credentials">
              <FormControlLabel value="account" control={<Radio slotProps={{ input: { 'data-testid': 'cred-mode-account' } as object }} />} label="An account" />
              <FormControlLabel value="laps" control={<Radio slotProps={{ input: { 'data-testid': 'cred-mode-laps' } as object }} />} label="Use LAPS" />
            </RadioGroup>
          )}
          {reuse === '' && mode === 'account' && <NewCredentialFields value={entered} onChange={(patch) => setEntered((e) => ({ ...e, ...patch }))} onEnter={() => void submit()} />}
          {reuse === '' && mode === 'laps' && <LapsCredentialFields value={laps} onChange={(patch) => setLaps((l) => ({ ...l, ...patch }))} onEnter={() => void submit()} />}
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
