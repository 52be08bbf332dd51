// Properties (F4): what the selected item on the current tab is. A task: General (its fields)
// and Details (each target's state, result, error class, and the highlighted target's
// remote-install diagnostics step by step), with View All Logs / View Selected Logs opening the
// step logs and MSI logs in the log viewer. A target: the same for that one computer.
import {
  Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Tab, Table, TableBody, TableCell, TableHead, TableRow, Tabs, Typography,
} from '@mui/material';
import { useEffect, useState } from 'react';
import type { TaskTarget } from '../../main/ipc/contract';
import { formatBytes } from '../format';
import { duration, stateLabel, targetColumns, when } from '../history/targetColumns';
import { useSelectedTask } from '../history/useSelectedTask';
import { loadTargetLogs } from '../state/actions';
import { selectSelectedTask, selectSelectedTaskTargets, useConsole } from '../state/store';
import { DataTable } from './DataTable';
import { LogViewer, type LogSource } from './LogViewer';

function Fields(props: { rows: [string, string | number | null][]; label?: string }) {
  return (
    <Table aria-label={props.label ?? 'Properties'} size="small">
      <TableBody>
        {props.rows.map(([label, value]) => (
          <TableRow key={label}>
            <TableCell component="th" sx={{ width: 200, fontWeight: 600 }}>
              {label}
            </TableCell>
            <TableCell sx={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>{value === null || value === '' ? '—' : value}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/** The remote-install diagnostics of one target: every step with its time, result and code. */
function StepTable(props: { target: TaskTarget }) {
  const entries = useConsole((s) => s.logsByTarget[props.target.id]);
  useEffect(() => {
    void loadTargetLogs([props.target.id]);
  }, [props.target.id, props.target.state]);
  return (
    <Box sx={{ overflow: 'auto', flex: 1, minHeight: 0, border: 1, borderColor: 'divider' }}>
      <Table size="small" stickyHeader aria-label={`Steps of ${props.target.computerName}`} data-testid="step-table">
        <TableHead>
          <TableRow>
            <TableCell sx={{ width: 110 }}>Time</TableCell>
            <TableCell sx={{ width: 130 }}>Step</TableCell>
            <TableCell>Result</TableCell>
            <TableCell sx={{ width: 190 }}>Code</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {(entries ?? []).map((e) => (
            <TableRow key={e.id}>
              <TableCell>{new Date(e.at).toLocaleTimeString(undefined, { hour12: false })}.{e.at.slice(20, 23)}</TableCell>
              <TableCell>{e.step}</TableCell>
              <TableCell sx={{ wordBreak: 'break-word' }}>{e.detail.includes('\n') ? <StepText step={e.step} text={e.detail} /> : e.detail}</TableCell>
              <TableCell sx={{ fontFamily: 'monospace', fontSize: 12 }}>{e.code ?? ''}</TableCell>
            </TableRow>
          ))}
          {entries && entries.length === 0 && (
            <TableRow>
              <TableCell colSpan={4}>No steps yet: the computer is waiting in the queue.</TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
    </Box>
  );
}

/** A step's text of several lines (the agent's own log): its line breaks kept, long lines wrapped, scrolled past a dozen lines. */
function StepText(props: { step: string; text: string }) {
  return (
    <Box
      component="pre"
      data-testid={props.step === 'agent-log' ? 'agent-log' : 'step-text'}
      sx={{ m: 0, px: 1, py: 0.5, maxHeight: '16em', overflowY: 'auto', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', bgcolor: '#f6f8fa', borderRadius: 0.5, fontFamily: '"DejaVu Sans Mono", Consolas, monospace', fontSize: 12 }}
    >
      {props.text.replace(/\r\n?/g, '\n').replace(/\n+$/, '')}
    </Box>
  );
}

function targetFields(t: TaskTarget): [string, string | number | null][] {
  return [
    ['Computer', t.computerName],
    ['State', stateLabel(t)],
    ['Queue position', t.queuePosition],
    ['Error class', t.errorClass],
    ['Error code', t.errorCode],
    ['Message', t.errorMessage],
    ['What to do', t.advice],
    ['Agent exit code', t.exitCode],
    ['Reboot required', t.rebootRequired ? 'yes' : 'no'],
    ['Leftovers', t.leftovers],
    ['Attempts', t.attempts],
    ['Started', when(t.startedAt)],
    ['Finished', when(t.finishedAt)],
    ['Duration', duration(t.startedAt, t.finishedAt)],
  ];
}

function TaskProperties() {
  const { task } = useSelectedTask();
  const targets = useConsole(selectSelectedTaskTargets);
  const focus = useConsole((s) => s.propertiesFocus);
  const selectedTargetIds = useConsole((s) => s.selectedTargetIds);
  const targetsSelected = useConsole((s) => s.targetsSelected);
  const [view, setView] = useState(1);
  const [logs, setLogs] = useState<LogSource[] | null>(null);
  if (!task) return null;
  const single = focus === 'target' && selectedTargetIds.length === 1 ? targets.find((t) => t.id === selectedTargetIds[0]) : undefined;
  const highlighted = targets.find((t) => t.id === selectedTargetIds[0]);
  const show = (ids: readonly number[]) => setLogs(targets.filter((t) => ids.includes(t.id)).map((t) => ({ targetId: t.id, computerName: t.computerName })));

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', height: '64vh' }}>
      <Tabs value={view} onChange={(_, v: number) => setView(v)}>
        <Tab label="General" value={0} />
        <Tab label="Details" value={1} />
      </Tabs>
      {view === 0 && (
        <Box sx={{ overflow: 'auto', pt: 1 }}>
          {single ? (
            <Fields rows={targetFields(single)} />
          ) : (
            <Fields
              rows={[
                ['Task', task.name],
                ['Action', { install: 'Install (msiexec /i)', uninstall: 'Uninstall (msiexec /x)', repair: 'Repair (msiexec /fvomus)' }[task.action]],
                ['Package', task.packageName],
                ['Status', task.status],
                ['Scheduled', task.scheduledAt ? when(task.scheduledAt) : 'now'],
                ['Created', when(task.createdAt)],
                ['Started', when(task.startedAt)],
                ['Finished', when(task.finishedAt)],
                ['Duration', duration(task.startedAt, task.finishedAt)],
                ['Computers', task.targets],
                ['Succeeded', task.succeeded],
                ['Failed', task.failed],
                ['Running', task.running],
              ]}
            />
          )}
        </Box>
      )}
      {view === 1 && (
        <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, pt: 1, flex: 1, minHeight: 0 }}>
          {!single && (
            <Box sx={{ flex: 1, minHeight: 0, display: 'flex' }}>
              <DataTable label="Targets" testId="details-targets" columns={targetColumns} rows={targets} selected={selectedTargetIds} onSelect={targetsSelected} empty="This task has no computers." />
            </Box>
          )}
          <Typography variant="subtitle2">
            {highlighted ? `Remote-install diagnostics of ${highlighted.computerName}` : 'Highlight a computer to see its remote-install diagnostics.'}
          </Typography>
          {highlighted && (
            <Box sx={{ flex: 1, minHeight: 0, display: 'flex' }}>
              <StepTable target={highlighted} />
            </Box>
          )}
          <Box sx={{ display: 'flex', gap: 1 }}>
            <Button variant="outlined" onClick={() => show(targets.map((t) => t.id))} disabled={targets.length === 0}>
              View All Logs
            </Button>
            <Button variant="outlined" onClick={() => show(selectedTargetIds)} disabled={selectedTargetIds.length === 0}>
              View Selected Logs
            </Button>
          </Box>
        </Box>
      )}
      {logs && <LogViewer title={`Logs of ${logs.length} computer(s) — ${task.name}`} sources={logs} onClose={() => setLogs(null)} />}
    </Box>
  );
}

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
