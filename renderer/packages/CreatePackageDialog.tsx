// Create Package: an .msi (its product read by main from the Property table), an optional .xml
// configuration (checked by main; an error names its line and column), how the XML is applied
// (a file beside the MSI, and/or an MSI property given its full path on the target), msiexec parameters, run as.
// The form's state and Create are in usePackageForm.ts, the MSI table and the XML options in PackageFormParts.tsx.
import { Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Radio, RadioGroup, Stack, TextField, Typography } from '@mui/material';
import type { Package } from '../../main/ipc/contract';
import { ErrorNotice } from '../components/ErrorNotice';
import { FileField } from '../components/FileField';
import { ConfigOptions, MsiInfo } from './PackageFormParts';
import { usePackageForm } from './usePackageForm';

export function CreatePackageDialog(props: { onClose: () => void; onCreated?: (pkg: Package) => void }) {
  const form = usePackageForm((pkg) => {
    props.onCreated?.(pkg);
    props.onClose();
  });
  const { fields, change, inspection, problems } = form;
  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="md" aria-label="Create Package">
      <DialogTitle>Create Package</DialogTitle>
      <DialogContent dividers>
        <Stack spacing={2}>
          <FileField label="Installer package (.msi)" extensions={['msi']} value={fields.msiPath} onChange={(msiPath) => change({ msiPath })} testId="package-msi" />
          {form.inspectError && <ErrorNotice error={form.inspectError} />}
          {inspection && <MsiInfo inspection={inspection} />}
          <TextField label="Package name" value={fields.name} onChange={(e) => change({ name: e.target.value })} slotProps={{ htmlInput: { 'data-testid': 'package-name' } }} />
          <FileField label="Configuration (.xml, optional)" extensions={['xml']} value={fields.configPath} onChange={(configPath) => change({ configPath })} testId="package-config" />
          <ConfigOptions fields={fields} inspection={inspection} onChange={change} />
          <TextField
            label="MSI parameters"
            placeholder='REBOOT=ReallySuppress INSTALLDIR="C:\Program Files\Agent"'
            helperText="PROPERTY=value pairs; the console adds /i /qn /norestart /l*v itself."
            value={fields.parameters}
            onChange={(e) => change({ parameters: e.target.value })}
          />
          <Box>
            <Typography variant="body2" sx={{ fontWeight: 600 }}>Install as</Typography>
            <RadioGroup row value={fields.runAs} onChange={(e) => change({ runAs: e.target.value as 'admin' | 'system' })}>
              <FormControlLabel value="admin" control={<Radio />} label="the task's administrator account" />
              <FormControlLabel value="system" control={<Radio />} label="SYSTEM (the agent's service account)" />
            </RadioGroup>
          </Box>
          {form.error && <ErrorNotice error={form.error} />}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Typography variant="caption" color="text.secondary" sx={{ flex: 1, pl: 2 }}>
          {problems[0] ?? ''}
        </Typography>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button variant="contained" disabled={form.busy || problems.length > 0} onClick={() => void form.create()}>
          Create
        </Button>
      </DialogActions>
    </Dialog>
  );
}
