// New Installation Task (docs/ARCHITECTURE.md §11), opened from the Computers selection: Type →
// Logon → Package → Schedule → Finish. Each step says what is missing before Continue; Back keeps
// what was entered (the draft lives here until the wizard closes). Finish creates the task and
// switches to Installation History.
import {
  Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Radio, RadioGroup, Stack, Step, StepLabel, Stepper,
  TextField, Typography,
} from '@mui/material';
import { useMemo, useState } from 'react';
import type { CredentialCheck, IpcError, Package, TaskAction } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { ErrorNotice } from '../components/ErrorNotice';
import { formatBytes } from '../format';
import { CreatePackageDialog } from '../packages/CreatePackageDialog';
import { openTask, reloadTasks, request } from '../state/actions';
import { useConsole } from '../state/store';
import { LogonStep, type LogonRow } from './LogonStep';

const STEPS = ['Type', 'Logon', 'Package', 'Schedule'] as const;

const packageColumns: readonly Column<Package>[] = [
  { key: 'name', header: 'Package', width: '26%', render: (p) => p.name },
  { key: 'product', header: 'Product', render: (p) => [p.productName, p.productVersion].filter(Boolean).join(' ') || '—' },
  { key: 'manufacturer', header: 'Manufacturer', width: '18%', render: (p) => p.manufacturer ?? '—' },
  { key: 'msi', header: 'MSI', width: '22%', render: (p) => `${p.msiFileName} (${formatBytes(p.msiSize)})` },
  { key: 'config', header: 'Configuration', width: '12%', render: (p) => p.configFileName ?? 'none' },
];

/** The words of each action, for the Package step and the summary. */
const ACTION_WORDS: Readonly<Record<TaskAction, { verb: string; title: string; runAs: string; summary: string; onto: string }>> = {
  install: { verb: 'Install', title: 'Package to install', runAs: 'Install as', summary: 'install', onto: 'on' },
  uninstall: { verb: 'Uninstall', title: 'Package to remove', runAs: 'Remove as', summary: 'remove', onto: 'from' },
  repair: { verb: 'Repair', title: 'Package to repair', runAs: 'Repair as', summary: 'repair', onto: 'on' },
};

/** A local date-time for <input type="datetime-local">, a minute from now. */
function inAMinute(): string {
  const d = new Date(Date.now() + 60_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function NewTaskWizard(props: { computerIds: number[] }) {
  const wizardClosed = useConsole((s) => s.wizardClosed);
  const tabChosen = useConsole((s) => s.tabChosen);
  const packages = useConsole((s) => s.packages);
  const credentials = useConsole((s) => s.credentials);
  const computers = useConsole((s) => s.computers);

  const [step, setStep] = useState(0);
  const [kind, setKind] = useState<'push'>('push');
  const [action, setAction] = useState<TaskAction>('install');
  const words = ACTION_WORDS[action];
  const [rows, setRows] = useState<LogonRow[]>(() => props.computerIds.map((computerId) => ({ computerId, credentialId: null })));
  const [checks, setChecks] = useState<Record<number, CredentialCheck | 'testing'>>({});
  const [packageId, setPackageId] = useState<number | null>(packages.length === 1 ? packages[0]!.id : null);
  const [runAs, setRunAs] = useState<'admin' | 'system'>('admin');
  const [name, setName] = useState('');
  const [when, setWhen] = useState<'now' | 'at'>('now');
  const [at, setAt] = useState(inAMinute);
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [creatingPackage, setCreatingPackage] = useState(false);
  const [busy, setBusy] = useState(false);

  const pkg = packages.find((p) => p.id === packageId) ?? null;
  const defaultName = useMemo(() => (pkg ? `${words.verb} ${pkg.name} ${words.onto} ${rows.length} computer${rows.length === 1 ? '' : 's'}` : ''), [pkg, rows.length, words]);

  /** What keeps the step from continuing, in words; null when it may. */
  const validate = (s: number): string | null => {
    if (s === 1) {
      if (rows.length === 0) return 'The task has no computers. Use Add Clients Special… to add some.';
      const names = new Map(computers.map((c) => [c.id, c.name]));
      const without = rows.filter((r) => r.credentialId === null);
      if (without.length) {
        const list = without.slice(0, 5).map((r) => names.get(r.computerId) ?? `#${r.computerId}`).join(', ');
        return `${without.length} computer(s) have no credentials (${list}${without.length > 5 ? ', …' : ''}). Highlight them and use Set Credentials…, or Set for All….`;
      }
      const available = new Set(credentials.filter((c) => c.available).map((c) => c.id));
      const stale = rows.filter((r) => r.credentialId !== null && !available.has(r.credentialId));
      if (stale.length) return `The password of ${stale.length} computer(s)' credentials was not kept. Set their credentials again.`;
    }
    if (s === 2 && !pkg) return packages.length ? `Choose the package to ${words.summary}.` : 'There is no package yet: Create Package… from an .msi.';
    if (s === 2 && runAs === 'admin') {
      const hashOnly = new Set(credentials.filter((c) => c.keeps === 'nt-hash').map((c) => c.id));
      const n = rows.filter((r) => r.credentialId !== null && hashOnly.has(r.credentialId)).length;
      if (n) return `${n} computer(s) use credentials that keep only the NT hash: they can install as SYSTEM, not as the administrator account. Choose "SYSTEM", or set their credentials again with "Keep only the NT hash" cleared.`;
    }
    if (s === 3) {
      if (when === 'at') {
        const t = Date.parse(at);
        if (!Number.isFinite(t)) return 'Enter the date and time to start.';
        if (t < Date.now() - 60_000) return 'That time has passed. Choose a time in the future, or Now.';
      }
      if ((name.trim() || defaultName).length > 128) return 'The task name is longer than 128 characters.';
    }
    return null;
  };

  const next = () => {
    const p = validate(step);
    setProblem(p);
    if (p === null) setStep(step + 1);
  };

  const finish = async () => {
    for (const s of [1, 2, 3]) {
      const p = validate(s);
      if (p) {
        setStep(s);
        setProblem(p);
        return;
      }
    }
    setBusy(true);
    setError(null);
    const r = await request('tasks.create', {
      name: name.trim() || defaultName,
      packageId: pkg!.id,
      scheduledAt: when === 'now' ? null : new Date(at).toISOString(),
      runAs,
      action,
      targets: rows.map((row) => ({ computerId: row.computerId, credentialId: row.credentialId! })),
    });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    wizardClosed();
    // History opens on the new task (not on the newest of those listed before it).
    useConsole.getState().taskSelected(r.result.taskId);
    tabChosen('history');
    await reloadTasks();
    await openTask(r.result.taskId);
  };

  return (
    <Dialog open onClose={wizardClosed} fullWidth maxWidth="lg" aria-label="New Installation Task" slotProps={{ paper: { sx: { height: '86vh' } } }}>
      <DialogTitle>New Installation Task</DialogTitle>
      <DialogContent dividers sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
        <Stepper activeStep={step}>
          {STEPS.map((label) => (
            <Step key={label}>
              <StepLabel>{label}</StepLabel>
            </Step>
          ))}
        </Stepper>
        <Box sx={{ flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column' }} data-testid={`wizard-step-${STEPS[step]!.toLowerCase()}`}>
          {step === 0 && (
            <Stack spacing={2}>
              <Typography variant="subtitle2">Task type</Typography>
              <RadioGroup value={kind} onChange={(e) => setKind(e.target.value as 'push')}>
                <FormControlLabel value="push" control={<Radio />} label="Windows push installation (SMB and the Service Control Manager; nothing installed beforehand)" />
                <FormControlLabel value="agent" disabled control={<Radio />} label="Through an installed agent (not available yet)" />
              </RadioGroup>
              <Typography variant="subtitle2">Action</Typography>
              <RadioGroup name="task-action" aria-label="Action" value={action} onChange={(e) => setAction(e.target.value as TaskAction)}>
                <FormControlLabel value="install" control={<Radio />} label="Install" />
                <FormControlLabel value="uninstall" control={<Radio />} label="Uninstall (msiexec /x: removes the package's product)" />
                <FormControlLabel value="repair" control={<Radio />} label="Repair (msiexec /fvomus: restores missing or older files, registry entries and shortcuts)" />
              </RadioGroup>
              <Typography variant="body2" color="text.secondary">
                {props.computerIds.length} computer(s) selected. You can add more on the next step.
              </Typography>
            </Stack>
          )}
          {step === 1 && <LogonStep rows={rows} onRows={(r) => { setRows(r); setProblem(null); }} checks={checks} onChecks={setChecks} />}
          {step === 2 && (
            <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, height: '100%' }}>
              <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
                <Typography variant="subtitle2" sx={{ flex: 1 }} data-testid="wizard-package-title">
                  {words.title}
                </Typography>
                <Button variant="outlined" onClick={() => setCreatingPackage(true)}>
                  Create Package…
                </Button>
              </Stack>
              <DataTable
                label="Packages"
                testId="wizard-packages"
                columns={packageColumns}
                rows={packages}
                selected={packageId === null ? [] : [packageId]}
                multiSelect={false}
                onSelect={(ids) => {
                  const id = ids[0] ?? null;
                  setPackageId(id);
                  setRunAs(packages.find((p) => p.id === id)?.runAs ?? 'admin');
                  setProblem(null);
                }}
                empty="No packages yet. Create Package… from an .msi."
              />
              {action !== 'install' && (
                <Typography variant="body2" color="text.secondary">
                  The package's .msi is sent to each computer and checked as for an install: it names the product exactly.
                </Typography>
              )}
              <Typography variant="subtitle2">{words.runAs}</Typography>
              <RadioGroup row value={runAs} onChange={(e) => setRunAs(e.target.value as 'admin' | 'system')}>
                <FormControlLabel value="admin" control={<Radio />} label="the administrator account of each computer's logon" />
                <FormControlLabel value="system" control={<Radio />} label="SYSTEM" />
              </RadioGroup>
            </Box>
          )}
          {step === 3 && (
            <Stack spacing={2} sx={{ maxWidth: 640 }}>
              <TextField label="Task name" value={name} placeholder={defaultName} onChange={(e) => setName(e.target.value)} helperText={name ? '' : `Default: ${defaultName}`} slotProps={{ htmlInput: { 'data-testid': 'task-name' } }} />
              <RadioGroup value={when} onChange={(e) => { setWhen(e.target.value as 'now' | 'at'); setProblem(null); }}>
                <FormControlLabel value="now" control={<Radio />} label="Now" />
                <FormControlLabel value="at" control={<Radio />} label="At a date and time" />
              </RadioGroup>
              <TextField type="datetime-local" label="Start at" disabled={when !== 'at'} value={at} onChange={(e) => setAt(e.target.value)} sx={{ width: 280 }} slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'task-start-at' } }} />
              <Alert severity="info">
                <span data-testid="wizard-summary-action">{words.summary[0]!.toUpperCase() + words.summary.slice(1)}</span> {pkg?.name ?? 'no package'} {words.onto} {rows.length} computer(s) · as {runAs === 'admin' ? 'the administrator account' : 'SYSTEM'} · {when === 'now' ? 'starts now' : `starts ${new Date(at).toLocaleString()}`}. At most the configured number of pushes run at once; the rest wait in the queue.
              </Alert>
            </Stack>
          )}
        </Box>
        {problem && (
          <Alert severity="warning" data-testid="wizard-problem">
            {problem}
          </Alert>
        )}
        {error && <ErrorNotice error={error} />}
      </DialogContent>
      <DialogActions>
        <Button onClick={wizardClosed}>Cancel</Button>
        <Box sx={{ flex: 1 }} />
        <Button disabled={step === 0} onClick={() => { setProblem(null); setStep(step - 1); }}>
          Back
        </Button>
        {step < STEPS.length - 1 ? (
          <Button variant="contained" onClick={next}>
            Continue
          </Button>
        ) : (
          <Button variant="contained" disabled={busy} onClick={() => void finish()}>
            Finish
          </Button>
        )}
      </DialogActions>
      {creatingPackage && (
        <CreatePackageDialog
          onClose={() => setCreatingPackage(false)}
          onCreated={(p) => {
            setPackageId(p.id);
            setRunAs(p.runAs ?? 'admin');
          }}
        />
      )}
    </Dialog>
  );
}
