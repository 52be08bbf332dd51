// Properties (F4): what the selected item on the current tab is. A task: General (its fields)
// and Details (each target's state, result, error class, and the highlighted target's
// remote-install diagnostics step by step), with View All Logs / View Selected Logs opening the
// step logs and MSI logs in the log viewer (TaskProperties.tsx). A target: the same for that one
// computer. A computer or a package: its fields.
import { Button, Dialog, DialogActions, DialogContent, DialogTitle, Typography } from '@mui/material';
import { formatBytes } from '../format';
import { when } from '../history/targetColumns';
import { selectSelectedTask, selectSelectedTaskTargets, useConsole } from '../state/store';
import { Fields } from './PropertyFields';
import { TaskProperties } from './TaskProperties';

function PropertiesBody() {
  const tab = useConsole((s) => s.activeTab);
  const computer = useConsole((s) => s.computers.find((c) => c.id === s.selectedComputerIds[0]));
  const selectedCount = useConsole((s) => s.selectedComputerIds.length);
  const pkg = useConsole((s) => s.packages.find((p) => p.id === s.selectedPackageId));
  if (tab === 'history') return <TaskProperties />;
  if (tab === 'computers' && computer) {
    return (
      <>
        {selectedCount > 1 && <Typography variant="body2" sx={{ mb: 1 }}>{selectedCount} computers are selected; the first is shown.</Typography>}
        <Fields
          rows={[
            ['Computer', computer.name],
            ['Address', computer.address],
            ['SMB port', computer.port ?? 445],
            ['Domain', computer.domain],
            ['Operating system', computer.os],
            ['Group', computer.groupName],
            ['Last result', computer.lastResult],
            ['Added', when(computer.createdAt)],
          ]}
        />
      </>
    );
  }
  if (tab === 'packages' && pkg) {
    return (
      <Fields
        rows={[
          ['Package', pkg.name],
          ['Product', pkg.productName],
          ['Version', pkg.productVersion],
          ['Manufacturer', pkg.manufacturer],
          ['Product code', pkg.productCode],
          ['MSI', `${pkg.msiFileName} (${formatBytes(pkg.msiSize)})`],
          ['SHA-256', pkg.msiSha256],
          ['Configuration', pkg.configFileName ? `${pkg.configFileName} beside the MSI${pkg.configProperty ? `, its full path in ${pkg.configProperty}` : ''}` : null],
          ['Parameters', pkg.parameters],
          ['Install as', pkg.runAs === 'system' ? 'SYSTEM' : 'the task\'s administrator account'],
          ['Used by tasks', pkg.usedByTasks ?? 0],
          ['Created', when(pkg.createdAt)],
        ]}
      />
    );
  }
  return <Typography>Select an item first.</Typography>;
}

export function PropertiesDialog() {
  const open = useConsole((s) => s.propertiesOpen);
  const close = useConsole((s) => s.propertiesClosed);
  const title = useConsole((s) => {
    if (s.activeTab === 'history') {
      const target = s.propertiesFocus === 'target' && s.selectedTargetIds.length === 1 ? selectSelectedTaskTargets(s).find((t) => t.id === s.selectedTargetIds[0]) : undefined;
      return target ? `Computer ${target.computerName} in task: ${selectSelectedTask(s)?.name ?? ''}` : `Task: ${selectSelectedTask(s)?.name ?? ''}`;
    }
    return s.activeTab === 'packages' ? 'Package Properties' : 'Computer Properties';
  });
  return (
    <Dialog open={open} onClose={close} fullWidth maxWidth="lg" aria-label="Properties">
      <DialogTitle>{title}</DialogTitle>
      <DialogContent dividers>
        <PropertiesBody />
      </DialogContent>
      <DialogActions>
        <Button onClick={close}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
