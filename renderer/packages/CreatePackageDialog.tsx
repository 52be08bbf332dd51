// Create Package: an .msi (its product read by main from the Property table), an optional .xml
// configuration (checked by main; an error names its line and column), how the XML is applied
// (a file beside the MSI, and/or an MSI property given its full path on the target), msiexec parameters, run as.
import {
  Alert, Box, Button, Checkbox, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Radio, RadioGroup, Stack, Table, TableBody,
  TableCell, TableRow, TextField, Typography,
} from '@mui/material';
import { useEffect, useState } from 'react';
import type { IpcError, Package, PackageInspection } from '../../main/ipc/contract';
import { ErrorNotice } from '../components/ErrorNotice';
import { FileField } from '../components/FileField';
import { formatBytes } from '../format';
import { reloadPackages, request } from '../state/actions';

export function CreatePackageDialog(props: { onClose: () => void; onCreated?: (pkg: Package) => void }) {
  const [msiPath, setMsiPath] = useState('');
  const [configPath, setConfigPath] = useState('');
  const [name, setName] = useState('');
  const [nameEdited, setNameEdited] = useState(false);
  const [configFileName, setConfigFileName] = useState('cfg.xml');
  const [useProperty, setUseProperty] = useState(false);
  const [property, setProperty] = useState('CONFIGFILE');
  const [parameters, setParameters] = useState('');
  const [runAs, setRunAs] = useState<'admin' | 'system'>('admin');
  const [inspection, setInspection] = useState<PackageInspection | null>(null);
  const [inspectError, setInspectError] = useState<IpcError | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setError(null);
    if (!msiPath.trim()) {
      setInspection(null);
      setInspectError(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      void request('packages.inspect', { msiPath: msiPath.trim(), ...(configPath.trim() ? { configPath: configPath.trim() } : {}) }).then((r) => {
        if (!live) return;
        if (r.ok) {
          setInspection(r.result);
          setInspectError(null);
          if (!nameEdited) setName([r.result.msi.productName, r.result.msi.productVersion].filter(Boolean).join(' ') || r.result.msiFileName.replace(/\.msi$/i, ''));
        } else {
          setInspection(null);
          setInspectError(r.error);
        }
      });
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [msiPath, configPath, nameEdited]);

  const xmlProblem = inspection?.config?.problem ?? null;
  const problems: string[] = [];
  if (!msiPath.trim()) problems.push('Choose the .msi file.');
  if (!name.trim()) problems.push('Name the package.');
  if (configPath.trim() && !/^[A-Za-z0-9 _.-]{1,64}\.xml$/i.test(configFileName.trim())) problems.push('The configuration file name must end in .xml (letters, digits, space, _ . -).');
  if (useProperty && !/^[A-Za-z_][A-Za-z0-9_.]{0,71}$/.test(property.trim())) problems.push('An MSI property name starts with a letter or _ (e.g. CONFIGFILE).');

  const create = async () => {
    setBusy(true);
    setError(null);
    const r = await request('packages.create', {
      name: name.trim(),
      msiPath: msiPath.trim(),
      parameters: parameters.trim(),
      runAs,
      ...(configPath.trim() ? { configPath: configPath.trim(), configFileName: configFileName.trim() } : {}),
      ...(configPath.trim() && useProperty ? { configProperty: property.trim() } : {}),
    });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    await reloadPackages();
    props.onCreated?.(r.result);
    props.onClose();
  };

  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="md" aria-label="Create Package">
      <DialogTitle>Create Package</DialogTitle>
      <DialogContent dividers>
        <Stack spacing={2}>
          <FileField label="Installer package (.msi)" extensions={['msi']} value={msiPath} onChange={setMsiPath} testId="package-msi" />
          {inspectError && <ErrorNotice error={inspectError} />}
          {inspection && (
            <Table size="small" aria-label="MSI properties" data-testid="msi-info">
              <TableBody>
                {(
                  [
                    ['Product', inspection.msi.productName],
                    ['Version', inspection.msi.productVersion],
                    ['Manufacturer', inspection.msi.manufacturer],
                    ['Product code', inspection.msi.productCode],
                    ['File', `${inspection.msiFileName} (${formatBytes(inspection.msiSize)})`],
                  ] as const
                ).map(([k, v]) => (
                  <TableRow key={k}>
                    <TableCell component="th" sx={{ width: 160, fontWeight: 600 }}>{k}</TableCell>
                    <TableCell>{v ?? '—'}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
          <TextField label="Package name" value={name} onChange={(e) => { setName(e.target.value); setNameEdited(true); }} slotProps={{ htmlInput: { 'data-testid': 'package-name' } }} />
          <FileField label="Configuration (.xml, optional)" extensions={['xml']} value={configPath} onChange={setConfigPath} testId="package-config" />
          {xmlProblem && (
            <Alert severity="error" data-testid="xml-problem">
              The configuration is not well-formed XML{xmlProblem.line !== null ? ` at line ${xmlProblem.line}, column ${xmlProblem.column ?? '?'}` : ''}: {xmlProblem.message}
            </Alert>
          )}
          {inspection?.config && !xmlProblem && <Alert severity="success">The configuration is well-formed XML ({formatBytes(inspection.config.size)}).</Alert>}
          {configPath.trim() && (
            <Box sx={{ display: 'flex', gap: 2, alignItems: 'center', flexWrap: 'wrap' }}>
              <TextField label="File name beside the MSI" value={configFileName} onChange={(e) => setConfigFileName(e.target.value)} sx={{ width: 220 }} />
              <FormControlLabel control={<Checkbox checked={useProperty} onChange={(e) => setUseProperty(e.target.checked)} />} label="and pass its full path on the computer in the MSI property" title={'The agent puts the file in its work folder and gives the property that full path (PROPERTY="%PUSHINSTALL_DIR%\\cfg.xml").'} />
              <TextField label="Property" value={property} disabled={!useProperty} onChange={(e) => setProperty(e.target.value)} sx={{ width: 180 }} />
            </Box>
          )}
          <TextField
            label="MSI parameters"
            placeholder='REBOOT=ReallySuppress INSTALLDIR="C:\Program Files\Agent"'
            helperText="PROPERTY=value pairs; the console adds /i /qn /norestart /l*v itself."
            value={parameters}
            onChange={(e) => setParameters(e.target.value)}
          />
          <Box>
            <Typography variant="body2" sx={{ fontWeight: 600 }}>Install as</Typography>
            <RadioGroup row value={runAs} onChange={(e) => setRunAs(e.target.value as 'admin' | 'system')}>
              <FormControlLabel value="admin" control={<Radio />} label="the task's administrator account" />
              <FormControlLabel value="system" control={<Radio />} label="SYSTEM (the agent's service account)" />
            </RadioGroup>
          </Box>
          {error && <ErrorNotice error={error} />}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Typography variant="caption" color="text.secondary" sx={{ flex: 1, pl: 2 }}>
          {problems[0] ?? ''}
        </Typography>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button variant="contained" disabled={busy || problems.length > 0} onClick={() => void create()}>
          Create
        </Button>
      </DialogActions>
    </Dialog>
  );
}
