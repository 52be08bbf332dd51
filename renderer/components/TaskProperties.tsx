// Properties (F4) of a History task or of one of its computers: General (the fields) and Details
// (the targets, the highlighted one's remote-install diagnostics, View All / View Selected Logs).
import { Box, Button, Tab, Tabs, Typography } from '@mui/material';
import { useState } from 'react';
import type { TaskSummary, TaskTarget } from '../../main/ipc/contract';
import { duration, restartLabel, stateLabel, targetColumns, when } from '../history/targetColumns';
import { useSelectedTask } from '../history/useSelectedTask';
import { selectSelectedTaskTargets, useConsole } from '../state/store';
import { DataTable } from './DataTable';
import { LogViewer, type LogSource } from './LogViewer';
import { Fields } from './PropertyFields';
import { StepTable } from './StepTable';

export function TaskProperties() {
  const { task } = useSelectedTask();
  const targets = useConsole(selectSelectedTaskTargets);
  const focus = useConsole((s) => s.propertiesFocus);
  const selectedTargetIds = useConsole((s) => s.selectedTargetIds);
  const [view, setView] = useState(1);
  const [logs, setLogs] = useState<LogSource[] | null>(null);
  if (!task) return null;
  const single = focus === 'target' && selectedTargetIds.length === 1 ? targets.find((t) => t.id === selectedTargetIds[0]) : undefined;
  const show = (ids: readonly number[]) => setLogs(targets.filter((t) => ids.includes(t.id)).map((t) => ({ targetId: t.id, computerName: t.computerName })));

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', height: '64vh' }}>
      <Tabs value={view} onChange={(_, v: number) => setView(v)}>
        <Tab label="General" value={0} />
        <Tab label="Details" value={1} />
      </Tabs>
      {view === 0 && (
        <Box sx={{ overflow: 'auto', pt: 1 }}>
          <Fields rows={single ? targetFields(single) : taskFields(task)} />
        </Box>
      )}
      {view === 1 && <TaskDetails targets={targets} single={single} onLogs={show} />}
      {logs && <LogViewer title={`Logs of ${logs.length} computer(s) — ${task.name}`} sources={logs} onClose={() => setLogs(null)} />}
    </Box>
  );
}

/** The targets (unless Properties is of one computer), the highlighted one's steps, and the log buttons. */
function TaskDetails(props: { targets: readonly TaskTarget[]; single: TaskTarget | undefined; onLogs: (ids: readonly number[]) => void }) {
  const { targets } = props;
  const selectedTargetIds = useConsole((s) => s.selectedTargetIds);
  const targetsSelected = useConsole((s) => s.targetsSelected);
  const highlighted = targets.find((t) => t.id === selectedTargetIds[0]);
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, pt: 1, flex: 1, minHeight: 0 }}>
      {!props.single && (
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
        <Button variant="outlined" onClick={() => props.onLogs(targets.map((t) => t.id))} disabled={targets.length === 0}>
          View All Logs
        </Button>
        <Button variant="outlined" onClick={() => props.onLogs(selectedTargetIds)} disabled={selectedTargetIds.length === 0}>
          View Selected Logs
        </Button>
      </Box>
    </Box>
  );
}

function taskFields(task: TaskSummary): [string, string | number | null][] {
  return [
    ['Task', task.name],
    ['Action', { install: 'Install (msiexec /i)', uninstall: 'Uninstall (msiexec /x)', repair: 'Repair (msiexec /fvomus)', restart: 'Restart (no msiexec)' }[task.action]],
    ['Package delivery', { auto: 'automatic (callback, SMB where it fails)', callback: 'agent downloads from this console', smb: 'copied over SMB (ADMIN$)' }[task.transport]],
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
  ];
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
    ['Restart', t.restart ? `${restartLabel(t)}${t.restartDetail ? ` — ${t.restartDetail}` : ''}` : null],
    ['Transport', t.transport === 'smb' ? 'SMB (package copied to ADMIN$)' : t.transport === 'callback' ? 'callback (TCP 2224)' : null],
    ['Leftovers', t.leftovers],
    ['Attempts', t.attempts],
    ['Started', when(t.startedAt)],
    ['Finished', when(t.finishedAt)],
    ['Duration', duration(t.startedAt, t.finishedAt)],
  ];
}
