// Network scan: which addresses of a range answer on TCP 445, with live progress (scan.progress
// events from main), Cancel, and Add for what was found.
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, LinearProgress, Stack, TextField, Typography } from '@mui/material';
import { useEffect, useRef, useState } from 'react';
import type { IpcError } from '../../main/ipc/contract';
import { api } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { addComputers, request } from '../state/actions';

export function NetworkScanDialog(props: { onClose: () => void }) {
  const [range, setRange] = useState('');
  const [port, setPort] = useState('445');
  const [scanId, setScanId] = useState<string | null>(null);
  const [progress, setProgress] = useState({ done: 0, total: 0, finished: false, cancelled: false });
  const [found, setFound] = useState<string[]>([]);
  const [error, setError] = useState<IpcError | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const current = useRef<string | null>(null);

  useEffect(
    () =>
      api.on('scan.progress', (p) => {
        if (p.scanId !== current.current) return;
        setProgress({ done: p.done, total: p.total, finished: p.finished, cancelled: p.cancelled });
        if (p.found.length) setFound((f) => [...f, ...p.found]);
      }),
    [],
  );
  // Closing the dialog stops a running scan.
  useEffect(() => () => void (current.current && request('scan.cancel', { scanId: current.current })), []);

  const start = async () => {
    setError(null);
    setFound([]);
    setAdded(null);
    const portNumber = Number(port);
    if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) return setError({ class: 'invalid-port', code: null, message: `${port} is not a TCP port.`, advice: 'Enter 445 (SMB), or a port from 1 to 65535.' });
    const r = await request('scan.start', { range: range.trim(), port: portNumber });
    if (!r.ok) return setError(r.error);
    current.current = r.result.scanId;
    setScanId(r.result.scanId);
    setProgress({ done: 0, total: r.result.total, finished: false, cancelled: false });
  };
  const running = scanId !== null && !progress.finished;
  const sorted = [...found].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));

  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="sm" aria-label="Network Scan">
      <DialogTitle>Network Scan</DialogTitle>
      <DialogContent dividers>
        <Stack spacing={2}>
          <Stack direction="row" spacing={1}>
            <TextField
              fullWidth
              autoFocus
              label="Range or CIDR block"
              placeholder="10.0.0.1-10.0.0.254 or 10.0.0.0/24"
              value={range}
              onChange={(e) => setRange(e.target.value)}
              onKeyDown={(e) => e.key === 'Enter' && !running && void start()}
              slotProps={{ htmlInput: { 'data-testid': 'scan-range' } }}
            />
            <TextField label="TCP port" value={port} onChange={(e) => setPort(e.target.value)} sx={{ width: 110 }} slotProps={{ htmlInput: { 'data-testid': 'scan-port' } }} />
          </Stack>
          {error && <ErrorNotice error={error} />}
          {scanId && (
            <Box>
              <LinearProgress variant="determinate" value={progress.total ? (100 * progress.done) / progress.total : 0} />
              <Typography variant="caption" data-testid="scan-status">
                {progress.done} of {progress.total} probed · {found.length} answered
                {progress.finished ? (progress.cancelled ? ' · cancelled' : ' · finished') : ''}
              </Typography>
            </Box>
          )}
          {sorted.length > 0 && (
            <Box data-testid="scan-found" sx={{ maxHeight: 180, overflow: 'auto', fontFamily: 'monospace', fontSize: 12, border: 1, borderColor: 'divider', p: 1 }}>
              {sorted.map((a) => (
                <div key={a}>{a}</div>
              ))}
            </Box>
          )}
          {added && <Alert severity="success">{added}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Close</Button>
        {running ? (
          <Button color="warning" onClick={() => void request('scan.cancel', { scanId: scanId! })}>
            Cancel Scan
          </Button>
        ) : (
          <Button disabled={!range.trim()} onClick={() => void start()}>
            Scan
          </Button>
        )}
        <Button
          variant="contained"
          disabled={running || found.length === 0}
          onClick={() =>
            void addComputers(sorted).then((r) => r && setAdded(`Added ${r.added.length} computer(s)${r.duplicates.length ? `; ${r.duplicates.length} already listed` : ''}.`))
          }
        >
          Add {found.length || ''} Found
        </Button>
      </DialogActions>
    </Dialog>
  );
}
