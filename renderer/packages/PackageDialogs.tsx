// The Packages tab's two dialogs: Duplicate (the same .msi and configuration with its own name,
// parameters and account) and the confirmation before Delete.
import { Button, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Radio, RadioGroup, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import type { IpcError, Package } from '../../main/ipc/contract';
import { ErrorNotice } from '../components/ErrorNotice';
import { reloadPackages, request } from '../state/actions';
import { useConsole } from '../state/store';

export function DuplicateDialog(props: { pkg: Package; onClose: () => void }) {
  const [name, setName] = useState(`${props.pkg.name} (copy)`);
  const [parameters, setParameters] = useState(props.pkg.parameters);
  const [runAs, setRunAs] = useState<'admin' | 'system'>(props.pkg.runAs ?? 'admin');
  const [error, setError] = useState<IpcError | null>(null);
  const save = async () => {
    const r = await request('packages.duplicate', { id: props.pkg.id, name: name.trim(), parameters: parameters.trim(), runAs });
    if (!r.ok) return setError(r.error);
    await reloadPackages();
    useConsole.getState().packageSelected(r.result.id);
    props.onClose();
  };
  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="sm" aria-label="Duplicate Package">
      <DialogTitle>Duplicate Package</DialogTitle>
      <DialogContent dividers>
        <Stack spacing={2}>
          <Typography variant="body2" color="text.secondary">
            The copy uses the same .msi and configuration ({props.pkg.msiFileName}{props.pkg.configFileName ? `, ${props.pkg.configFileName}` : ''}) with its own name, parameters and account.
          </Typography>
          <TextField label="Name" value={name} autoFocus onChange={(e) => setName(e.target.value)} />
          <TextField label="MSI parameters" value={parameters} onChange={(e) => setParameters(e.target.value)} />
          <RadioGroup row value={runAs} onChange={(e) => setRunAs(e.target.value as 'admin' | 'system')}>
            <FormControlLabel value="admin" control={<Radio />} label="administrator account" />
            <FormControlLabel value="system" control={<Radio />} label="SYSTEM" />
          </RadioGroup>
          {error && <ErrorNotice error={error} />}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button variant="contained" disabled={!name.trim()} onClick={() => void save()}>
          Duplicate
        </Button>
      </DialogActions>
    </Dialog>
  );
}

export function DeletePackageDialog(props: { pkg: Package; onCancel: () => void; onDelete: () => void }) {
  return (
    <Dialog open onClose={props.onCancel}>
      <DialogTitle>Delete the package “{props.pkg.name}”?</DialogTitle>
      <DialogContent>
        <Typography>Its stored files are removed unless another package shares them. A package a task used cannot be deleted.</Typography>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onCancel}>Cancel</Button>
        <Button variant="contained" color="error" autoFocus onClick={props.onDelete}>
          Delete
        </Button>
      </DialogActions>
    </Dialog>
  );
}
