// Packages: an MSI, its optional XML configuration, command-line parameters and how it installs.
// Create from an .msi, duplicate (a used package is immutable: changes make a copy), delete one
// no task uses. The dialogs are in packages/ (CreatePackageDialog, PackageDialogs).
import { Box, Button, Stack, Tooltip, Typography } from '@mui/material';
import { useState } from 'react';
import type { IpcError, Package } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { ErrorNotice } from '../components/ErrorNotice';
import { formatBytes } from '../format';
import { CreatePackageDialog } from '../packages/CreatePackageDialog';
import { DeletePackageDialog, DuplicateDialog } from '../packages/PackageDialogs';
import { reloadPackages, request } from '../state/actions';
import { useConsole } from '../state/store';

type PackageDialog = 'create' | 'duplicate' | 'delete' | null;

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

export function PackagesTab() {
  const packages = useConsole((s) => s.packages);
  const selectedPackageId = useConsole((s) => s.selectedPackageId);
  const packageSelected = useConsole((s) => s.packageSelected);
  const propertiesRequested = useConsole((s) => s.propertiesRequested);
  const [dialog, setDialog] = useState<PackageDialog>(null);
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
      <PackagesToolbar selected={selected} onDialog={setDialog} />
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
      {dialog === 'delete' && selected && <DeletePackageDialog pkg={selected} onCancel={() => setDialog(null)} onDelete={() => void remove()} />}
    </Box>
  );
}

/** Create Package…, and for the selected package Duplicate…, Delete (refused while a task uses it) and Properties. */
function PackagesToolbar(props: { selected: Package | null; onDialog: (dialog: PackageDialog) => void }) {
  const { selected, onDialog } = props;
  const propertiesRequested = useConsole((s) => s.propertiesRequested);
  return (
    <Stack direction="row" spacing={1}>
      <Button variant="contained" onClick={() => onDialog('create')}>
        Create Package…
      </Button>
      <Button disabled={!selected} onClick={() => onDialog('duplicate')}>
        Duplicate…
      </Button>
      <Tooltip title={selected && (selected.usedByTasks ?? 0) > 0 ? `Used by ${selected.usedByTasks} task(s): cannot be deleted` : 'Delete'}>
        <span>
          <Button disabled={!selected} onClick={() => onDialog('delete')}>
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
  );
}
