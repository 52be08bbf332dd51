// Packages: an MSI, its optional XML configuration and command-line parameters.
import { Box, Button, Stack, Typography } from '@mui/material';
import type { Package } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { formatBytes } from '../format';
import { useConsole } from '../state/store';

const columns: readonly Column<Package>[] = [
  { key: 'name', header: 'Package', width: '22%', render: (p) => p.name },
  { key: 'product', header: 'Product', render: (p) => [p.productName, p.productVersion].filter(Boolean).join(' ') || '—' },
  { key: 'manufacturer', header: 'Manufacturer', render: (p) => p.manufacturer ?? '—' },
  { key: 'msi', header: 'MSI', render: (p) => `${p.msiFileName} (${formatBytes(p.msiSize)})` },
  { key: 'config', header: 'Configuration', render: (p) => p.configFileName ?? 'none' },
  { key: 'params', header: 'Parameters', render: (p) => p.parameters || '—' },
];

export function PackagesTab() {
  const packages = useConsole((s) => s.packages);
  const selectedPackageId = useConsole((s) => s.selectedPackageId);
  const packageSelected = useConsole((s) => s.packageSelected);
  const propertiesRequested = useConsole((s) => s.propertiesRequested);

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, flex: 1, minHeight: 0 }}>
      <Stack direction="row" spacing={1}>
        <Button disabled={selectedPackageId === null} onClick={propertiesRequested}>
          Properties (F4)
        </Button>
      </Stack>
      <DataTable
        label="Packages"
        columns={columns}
        rows={packages}
        selected={selectedPackageId === null ? [] : [selectedPackageId]}
        multiSelect={false}
        onSelect={(ids) => packageSelected(ids[0] ?? null)}
        onOpen={(p) => {
          packageSelected(p.id);
          propertiesRequested();
        }}
        empty="No installation packages yet. A package is an .msi, an optional .xml configuration and MSI parameters."
      />
      <Typography variant="caption" color="text.secondary">
        {packages.length} package(s)
      </Typography>
    </Box>
  );
}
