// Packages: an MSI, its optional XML configuration, command-line parameters and how it installs.
// Create from an .msi, duplicate (a used package is immutable: changes make a copy), delete one
// no task uses.
import { Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Radio, RadioGroup, Stack, TextField, Tooltip, Typography } from '@mui/material';
import { useState } from 'react';
import type { IpcError, Package } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { ErrorNotice } from '../components/ErrorNotice';
import { formatBytes } from '../format';
import { CreatePackageDialog } from '../packages/CreatePackageDialog';
import { reloadPackages, request } from '../state/actions';
import { useConsole } from '../state/store';

const columns: readonly Column<Package>[] = [
  { key: 'name', header: 'Package', width: '20%', render: (p) => p.name },
  { key: 'product', header: 'Product', width: '18%', render: (p) => [p.productName, p.productVersion].filter(Boolean).join(' ') || '—' },
  { key: 'manufacturer', header: 'Manufacturer', width: '13%', render: (p) => p.manufacturer ?? '—' },
  { key: 'msi', header: 'MSI', width: '17%', render: (p) => `${p.msiFileName} (${formatBytes(p.msiSize)})` },
  { key: 'config', header: 'Configuration', width: '10%', render: (p) => p.configFileName ?? 'none' },
  { key: 'params', header: 'Parameters', render: (p) => p.parameters || '—', title: (p) => p.parameters || null },
  { key: 'runAs', header: 'Install as', width: '8%', render: (p) => (p.runAs === 'system' ? 'SYSTEM' : 'admin') },
  { key: 'used', header: 'Tasks', width: '6%', align: 'right', render: (p) => p.usedByTasks ?? 0 },
];

function DuplicateDialog(props: { pkg: Package; onClose: () => void }) {
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

export function PackagesTab() {
  const packages = useConsole((s) => s.packages);
  const selectedPackageId = useConsole((s) => s.selectedPackageId);
  const packageSelected = useConsole((s) => s.packageSelected);
  const propertiesRequested = useConsole((s) => s.propertiesRequested);
  const [dialog, setDialog] = useState<'create' | 'duplicate' | 'delete' | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const selected = packages.find((p) => p.id === selectedPackageId) ?? null;

  const remove = async () => {
    setDialog(null);
    if (!selected) return;
    setError(null);
    const r = await request('packages.remove', { id: selected.id });
    if (!r.ok) return setError(r.error);
    packageSelected(null);
    await reloadPackages();
  };

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, flex: 1, minHeight: 0 }}>
      <Stack direction="row" spacing={1}>
        <Button variant="contained" onClick={() => setDialog('create')}>
          Create Package…
        </Button>
        <Button disabled={!selected} onClick={() => setDialog('duplicate')}>
          Duplicate…
        </Button>
        <Tooltip title={selected && (selected.usedByTasks ?? 0) > 0 ? `Used by ${selected.usedByTasks} task(s): cannot be deleted` : 'Delete'}>
          <span>
            <Button disabled={!selected} onClick={() => setDialog('delete')}>
              Delete
            </Button>
          </span>
        </Tooltip>
        <Tooltip title="F4">
          <span>
            <Button disabled={!selected} onClick={propertiesRequested}>
              Properties
            </Button>
          </span>
        </Tooltip>
      </Stack>
      {error && <ErrorNotice error={error} onClose={() => setError(null)} />}
      <DataTable
        label="Packages"
        testId="packages-grid"
        columns={columns}
        rows={packages}
        selected={selectedPackageId === null ? [] : [selectedPackageId]}
        multiSelect={false}
        onSelect={(ids) => packageSelected(ids[0] ?? null)}
        onDelete={() => setDialog('delete')}
        onOpen={(p) => {
          packageSelected(p.id);
          propertiesRequested();
        }}
        empty="No installation packages yet. Create Package… from an .msi, with an optional .xml configuration and MSI parameters."
      />
      <Typography variant="caption" color="text.secondary">
        {packages.length} package(s)
      </Typography>
      {dialog === 'create' && <CreatePackageDialog onClose={() => setDialog(null)} onCreated={(p) => packageSelected(p.id)} />}
      {dialog === 'duplicate' && selected && <DuplicateDialog pkg={selected} onClose={() => setDialog(null)} />}
      {dialog === 'delete' && selected && (
        <Dialog open onClose={() => setDialog(null)}>
          <DialogTitle>Delete the package “{selected.name}”?</DialogTitle>
          <DialogContent>
            <Typography>Its stored files are removed unless another package shares them. A package a task used cannot be deleted.</Typography>
          </DialogContent>
          <DialogActions>
            <Button onClick={() => setDialog(null)}>Cancel</Button>
            <Button variant="contained" color="error" autoFocus onClick={() => void remove()}>
              Delete
            </Button>
          </DialogActions>
        </Dialog>
      )}
    </Box>
  );
}
