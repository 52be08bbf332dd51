// What the window says about its Push Install Server: a banner while the connection is lost and
// the console reconnects (what is shown may be out of date), or when it gave up (the certificate
// changed, the password no longer valid), with Disconnect to work on the console's own store.
import { Alert, AlertTitle, Button, Stack } from '@mui/material';
import { disconnectServer } from '../state/actions';
import { serverHost, useConsole } from '../state/store';

export function ServerBanner() {
  const status = useConsole((s) => s.serverStatus);
  const connectOpened = useConsole((s) => s.connectOpened);
  if (!status || !status.url || (status.state !== 'reconnecting' && status.state !== 'failed')) return null;
  const host = serverHost(status.url);
  const actions = (
    <Stack direction="row" spacing={1}>
      {status.state === 'failed' && (
        <Button color="inherit" size="small" onClick={connectOpened}>
          Connect Again…
        </Button>
      )}
      <Button color="inherit" size="small" onClick={() => void disconnectServer()}>
        Disconnect
      </Button>
    </Stack>
  );
  if (status.state === 'reconnecting') {
    const next = status.nextAttemptAt ? ` Next attempt at ${new Date(status.nextAttemptAt).toLocaleTimeString()}.` : '';
    return (
      <Alert severity="warning" data-testid="server-banner" data-state="reconnecting" action={actions}>
        <AlertTitle>Reconnecting to {host}…</AlertTitle>
        The connection to the Push Install Server was lost{status.attempts > 0 ? ` (${status.attempts} attempt(s) so far)` : ''}; what you see may be out of date.{next}
      </Alert>
    );
  }
  return (
    <Alert severity="error" data-testid="server-banner" data-state="failed" action={actions}>
      <AlertTitle>Not connected to {host}</AlertTitle>
      {status.lastError ? `${status.lastError.message} ${status.lastError.advice}` : 'The console stopped reconnecting.'}
    </Alert>
  );
}
