// Add Computers (and the wizard's Add Clients Special…): names and addresses pasted several at
// once, IPv4 ranges and CIDR blocks, or a text/CSV file. Main previews first — what will be
// added, duplicates, invalid lines with their numbers — and nothing is added until Add. A big
// add (up to 50 000) shows how many are in as it goes.
import { Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, LinearProgress, Stack, Tab, Tabs, TextField, Typography } from '@mui/material';
import { ErrorNotice } from '../components/ErrorNotice';
import { FileField } from '../components/FileField';
import { ImportPreview } from './ImportPreview';
import { useComputerImport, type ImportMode } from './useComputerImport';

export function AddComputersDialog(props: { title?: string; onClose: () => void; onAdded?: (computerIds: number[]) => void }) {
  const f = useComputerImport((ids) => {
    props.onAdded?.(ids);
    props.onClose();
  });
  const { preview } = f;
  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="sm" aria-label={props.title ?? 'Add Computers'}>
      <DialogTitle>{props.title ?? 'Add Computers'}</DialogTitle>
      <DialogContent dividers>
        <Tabs value={f.mode} onChange={(_, v: ImportMode) => f.setMode(v)} sx={{ mb: 2 }}>
          <Tab value="paste" label="Names, addresses, ranges" />
          <Tab value="file" label="Import file" />
        </Tabs>
        <Stack spacing={2}>
          {f.mode === 'paste' ? (
            <TextField
              label="Computer names, IP addresses, ranges or CIDR blocks"
              helperText="One per line, or separated by commas or spaces: PC01, pc02.corp.example, 10.0.0.5, 10.0.0.10-10.0.0.40, 10.0.1.0/24; SMB not on 445: PC01:10445, [fe80::1]:10445."
              multiline
              minRows={5}
              maxRows={12}
              autoFocus
              value={f.text}
              onChange={(e) => f.setText(e.target.value)}
              slotProps={{ htmlInput: { 'data-testid': 'add-computers-input' } }}
            />
          ) : (
            <FileField
              label="Text or CSV file"
              extensions={['txt', 'csv']}
              value={f.file}
              onChange={f.setFile}
              helperText="One computer per line, or a CSV whose header names the column (Name, Host, DNSHostName, Address…) and optionally a Port column. Up to 50 000 lines."
              testId="import-file-path"
            />
          )}
          <TextField label="Group (optional)" value={f.group} onChange={(e) => f.setGroup(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'add-computers-group' } }} />
          {f.error && <ErrorNotice error={f.error} />}
          {preview && <ImportPreview preview={preview} />}
          {f.progress && (
            <Box data-testid="add-progress">
              <LinearProgress variant="determinate" value={f.progress.total ? (100 * f.progress.done) / f.progress.total : 0} />
              <Typography variant="caption" color="text.secondary">
                Adding… {f.progress.done} of {f.progress.total} computer(s) added
              </Typography>
            </Box>
          )}
          {!preview && !f.error && (
            <Typography variant="caption" color="text.secondary">
              Preview shows what will be added before anything changes.
            </Typography>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Close</Button>
        <Button disabled={f.empty || f.busy} onClick={() => void f.runPreview()}>
          Preview
        </Button>
        <Button variant="contained" onClick={() => void f.add()} disabled={f.empty || f.busy || (preview !== null && preview.entries.length === 0 && preview.duplicates.length === 0)}>
          {preview ? `Add ${preview.entries.length}` : 'Add'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
