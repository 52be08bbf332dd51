// Network scan: which addresses of a range answer on TCP 445, with live progress (scan.progress
// events from main), Cancel, and Add for what was found. The scan itself is in useNetworkScan.ts.
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, LinearProgress, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { ErrorNotice } from '../components/ErrorNotice';
import { addComputers } from '../state/actions';
import { useNetworkScan, type ScanProgress } from './useNetworkScan';

export function NetworkScanDialog(props: { onClose: () => void }) {
  const [range, setRange] = useState('');
  const [port, setPort] = useState('445');
  const [added, setAdded] = useState<string | null>(null);
  const scan = useNetworkScan();
  const { progress, found, running } = scan;
  const start = () => {
    setAdded(null);
    void scan.start(range, port);
  };
  const addFound = () => void addComputers(found).then((r) => r && setAdded(`Added ${r.added.length} computer(s)${r.duplicates.length ? `; ${r.duplicates.length} already listed` : ''}.`));

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
              onKeyDown={(e) => e.key === 'Enter' && !running && start()}
              slotProps={{ htmlInput: { 'data-testid': 'scan-range' } }}
            />
            <TextField label="TCP port" value={port} onChange={(e) => setPort(e.target.value)} sx={{ width: 110 }} slotProps={{ htmlInput: { 'data-testid': 'scan-port' } }} />
          </Stack>
          {scan.error && <ErrorNotice error={scan.error} />}
          {scan.scanId && <ScanStatus progress={progress} answered={found.length} />}
          {found.length > 0 && (
            <Box data-testid="scan-found" sx={{ maxHeight: 180, overflow: 'auto', fontFamily: 'monospace', fontSize: 12, border: 1, borderColor: 'divider', p: 1 }}>
              {found.map((a) => (
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
          <Button color="warning" onClick={scan.cancel}>
            Cancel Scan
          </Button>
        ) : (
          <Button disabled={!range.trim()} onClick={start}>
            Scan
          </Button>
        )}
        <Button variant="contained" disabled={running || found.length === 0} onClick={addFound}>
          Add {found.length || ''} Found
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** The scan's progress bar and its count of addresses probed and answered. */
function ScanStatus(props: { progress: ScanProgress; answered: number }) {
  const { progress } = props;
  return (
    <Box>
      <LinearProgress variant="determinate" value={progress.total ? (100 * progress.done) / progress.total : 0} />
      <Typography variant="caption" data-testid="scan-status">
        {progress.done} of {progress.total} probed · {props.answered} answered
        {progress.finished ? (progress.cancelled ? ' · cancelled' : ' · finished') : ''}
      </Typography>
    </Box>
  );
}
