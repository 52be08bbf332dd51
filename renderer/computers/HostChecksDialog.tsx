// Get Info (credential-free: names, domain, OS build, dialect, signing) and Diagnostics (the
// pre-flight checks with a chosen credential, one line per check) for the selected computers.
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, MenuItem, Stack, Table, TableBody, TableCell, TableHead, TableRow, TextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import type { Credential, DiagnosticsResult, HostInfoResult, IpcError } from '../../main/ipc/contract';
import { ErrorNotice } from '../components/ErrorNotice';
import { credentialLabel } from '../credentials/credentialLabel';
import { SetCredentialsDialog } from '../credentials/SetCredentialsDialog';
import { reloadComputers, request } from '../state/actions';
import { useConsole } from '../state/store';

function useNames(): Map<number, string> {
  const computers = useConsole((s) => s.computers);
  return new Map(computers.map((c) => [c.id, c.name]));
}

export function GetInfoDialog(props: { computerIds: number[]; onClose: () => void }) {
  const names = useNames();
  const [results, setResults] = useState<HostInfoResult[] | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  useEffect(() => {
    void request('computers.getInfo', { ids: props.computerIds }).then(async (r) => {
      if (r.ok) setResults(r.result);
      else setError(r.error);
      await reloadComputers();
    });
  }, [props.computerIds]);
  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="lg" aria-label="Get Info">
      <DialogTitle>Get Info</DialogTitle>
      <DialogContent dividers>
        {!results && !error && <Typography>Asking {props.computerIds.length} computer(s) (no credentials needed)…</Typography>}
        {error && <ErrorNotice error={error} />}
        {results && (
          <Table size="small" aria-label="Computer information" data-testid="getinfo-results">
            <TableHead>
              <TableRow>
                {['Computer', 'NetBIOS name', 'Domain', 'DNS name', 'OS build', 'SMB dialect', 'Signing', 'Encryption', 'Result'].map((h) => (
                  <TableCell key={h}>{h}</TableCell>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {results.map((r) => (
                <TableRow key={r.computerId}>
                  <TableCell>{names.get(r.computerId) ?? r.computerId}</TableCell>
                  <TableCell>{r.serverName ?? '—'}</TableCell>
                  <TableCell>{r.domain ?? '—'}</TableCell>
                  <TableCell>{r.dnsName ?? '—'}</TableCell>
                  <TableCell>{r.osVersion ?? '—'}</TableCell>
                  <TableCell>{r.dialect ?? '—'}</TableCell>
                  <TableCell>{r.signingRequired === null ? '—' : r.signingRequired ? 'required' : 'enabled'}</TableCell>
                  <TableCell>{r.cipher ?? '—'}</TableCell>
                  <TableCell>{r.ok ? 'ok' : <span><strong>{r.error?.class}</strong> — {r.error?.advice}</span>}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}

export function DiagnosticsDialog(props: { computerIds: number[]; onClose: () => void }) {
  const names = useNames();
  const credentials = useConsole((s) => s.credentials).filter((c) => c.available);
  const [credentialId, setCredentialId] = useState<number | ''>(credentials[0]?.id ?? '');
  const [setting, setSetting] = useState(false);
  const [results, setResults] = useState<DiagnosticsResult[] | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (id: number) => {
    setBusy(true);
    setError(null);
    const r = await request('computers.diagnose', { ids: props.computerIds.slice(0, 200), credentialId: id });
    setBusy(false);
    if (r.ok) setResults(r.result);
    else setError(r.error);
    await reloadComputers();
  };

  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="md" aria-label="Diagnostics">
      <DialogTitle>Diagnostics</DialogTitle>
      <DialogContent dividers>
        <Stack direction="row" spacing={1} sx={{ mb: 2, alignItems: 'center' }}>
          <TextField select label="Credentials" value={credentialId} onChange={(e) => setCredentialId(Number(e.target.value))} sx={{ minWidth: 260 }}>
            {credentials.map((c: Credential) => (
              <MenuItem key={c.id} value={c.id}>
                {credentialLabel(c)}
              </MenuItem>
            ))}
          </TextField>
          <Button onClick={() => setSetting(true)}>Set Credentials…</Button>
          <Box sx={{ flex: 1 }} />
          <Button variant="contained" disabled={credentialId === '' || busy} onClick={() => credentialId !== '' && void run(credentialId)}>
            {busy ? 'Checking…' : 'Run Checks'}
          </Button>
        </Stack>
        {credentials.length === 0 && <Alert severity="info">Set the administrator credentials to check with; nothing is installed.</Alert>}
        {props.computerIds.length > 200 && <Alert severity="warning">The first 200 selected computers are checked.</Alert>}
        {error && <ErrorNotice error={error} />}
        {results?.map((r) => <DiagnosticsResultView key={r.computerId} result={r} name={names.get(r.computerId) ?? String(r.computerId)} />)}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Close</Button>
      </DialogActions>
      {setting && (
        <SetCredentialsDialog
          title="Set Credentials"
          scope="the diagnostics"
          onClose={() => setSetting(false)}
          onSet={(c) => {
            setSetting(false);
            setCredentialId(c.id);
          }}
        />
      )}
    </Dialog>
  );
}

/** One computer's diagnostics: ready or not, each check with its result, and each error with what to do. */
function DiagnosticsResultView(props: { result: DiagnosticsResult; name: string }) {
  const r = props.result;
  return (
    <Box sx={{ mb: 2 }} data-testid="diagnostics-result">
      <Typography variant="subtitle2" sx={{ color: r.ok ? 'success.main' : 'error.main' }}>
        {props.name}: {r.ok ? 'ready to push' : 'not ready'}
      </Typography>
      <Table size="small" aria-label={`Checks of ${props.name}`}>
        <TableBody>
          {r.checks.map((c) => (
            <TableRow key={c.check}>
              <TableCell sx={{ width: 220 }}>{c.check}</TableCell>
              <TableCell sx={{ width: 60, color: c.ok === null ? 'text.secondary' : c.ok ? 'success.main' : 'error.main', fontWeight: 600 }}>{c.ok === null ? '—' : c.ok ? 'ok' : 'failed'}</TableCell>
              <TableCell>{c.detail}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {r.errors.map((e) => (
        <Alert key={e.step} severity="error" sx={{ mt: 0.5 }}>
          <strong>{e.class}</strong> at {e.step}{e.code ? ` (${e.code})` : ''}: {e.message} <em>What to do:</em> {e.advice}
        </Alert>
      ))}
    </Box>
  );
}
