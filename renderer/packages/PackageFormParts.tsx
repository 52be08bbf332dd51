// Pieces of Create Package: the product main read from the .msi, and how the .xml configuration
// is applied (its file name beside the MSI, optionally its full path in an MSI property).
import { Alert, Box, Checkbox, FormControlLabel, Table, TableBody, TableCell, TableRow, TextField } from '@mui/material';
import type { PackageInspection } from '../../main/ipc/contract';
import { formatBytes } from '../format';
import type { PackageFields } from './usePackageForm';

export function MsiInfo(props: { inspection: PackageInspection }) {
  const { inspection } = props;
  const rows = [
    ['Product', inspection.msi.productName],
    ['Version', inspection.msi.productVersion],
    ['Manufacturer', inspection.msi.manufacturer],
    ['Product code', inspection.msi.productCode],
    ['File', `${inspection.msiFileName} (${formatBytes(inspection.msiSize)})`],
  ] as const;
  return (
    <Table size="small" aria-label="MSI properties" data-testid="msi-info">
      <TableBody>
        {rows.map(([k, v]) => (
          <TableRow key={k}>
            <TableCell component="th" sx={{ width: 160, fontWeight: 600 }}>{k}</TableCell>
            <TableCell>{v ?? '—'}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/** Whether the configuration is well-formed (an error names its line and column), then where it goes on the computer. */
export function ConfigOptions(props: { fields: PackageFields; inspection: PackageInspection | null; onChange: (patch: Partial<PackageFields>) => void }) {
  const { fields, onChange } = props;
  const xmlProblem = props.inspection?.config?.problem ?? null;
  return (
    <>
      {xmlProblem && (
        <Alert severity="error" data-testid="xml-problem">
          The configuration is not well-formed XML{xmlProblem.line !== null ? ` at line ${xmlProblem.line}, column ${xmlProblem.column ?? '?'}` : ''}: {xmlProblem.message}
        </Alert>
      )}
      {props.inspection?.config && !xmlProblem && <Alert severity="success">The configuration is well-formed XML ({formatBytes(props.inspection.config.size)}).</Alert>}
      {fields.configPath.trim() && (
        <Box sx={{ display: 'flex', gap: 2, alignItems: 'center', flexWrap: 'wrap' }}>
          <TextField label="File name beside the MSI" value={fields.configFileName} onChange={(e) => onChange({ configFileName: e.target.value })} sx={{ width: 220 }} />
          <FormControlLabel control={<Checkbox checked={fields.useProperty} onChange={(e) => onChange({ useProperty: e.target.checked })} />} label="and pass its full path on the computer in the MSI property" title={'The agent puts the file in its work folder and gives the property that full path (PROPERTY="%PUSHINSTALL_DIR%\\cfg.xml").'} />
          <TextField label="Property" value={fields.property} disabled={!fields.useProperty} onChange={(e) => onChange({ property: e.target.value })} sx={{ width: 180 }} />
        </Box>
      )}
    </>
  );
}
