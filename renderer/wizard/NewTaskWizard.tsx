// New Installation Task (docs/ARCHITECTURE.md §11), opened from the Computers selection: Type →
// Logon → Package → Schedule → Finish. Each step says what is missing before Continue; Back keeps
// what was entered (the draft lives in useTaskDraft.ts until the wizard closes). Finish creates the
// task and switches to Installation History. Each step is its own component beside this file.
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Step, StepLabel, Stepper } from '@mui/material';
import { useEffect, useState } from 'react';
import { ErrorNotice } from '../components/ErrorNotice';
import { CreatePackageDialog } from '../packages/CreatePackageDialog';
import { reloadCredentials, reloadPackages } from '../state/actions';
import { useConsole } from '../state/store';
import { LogonStep } from './LogonStep';
import { PackageStep } from './PackageStep';
import { ScheduleStep } from './ScheduleStep';
import { STEPS } from './taskWords';
import { TypeStep } from './TypeStep';
import { useTaskDraft } from './useTaskDraft';

export function NewTaskWizard(props: { computerIds: number[] }) {
  const wizardClosed = useConsole((s) => s.wizardClosed);
  const packages = useConsole((s) => s.packages);
  const w = useTaskDraft(props.computerIds);
  const { step, draft } = w;
  const [creatingPackage, setCreatingPackage] = useState(false);
  // The stored credentials and packages as they are now: on a Push Install Server another console
  // may have added some since this page loaded, and no event says so.
  useEffect(() => {
    void reloadCredentials();
    void reloadPackages();
  }, []);

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
          {step === 0 && <TypeStep draft={draft} onChange={w.change} computers={props.computerIds.length} />}
          {step === 1 && <LogonStep rows={draft.rows} onRows={(rows) => w.change({ rows }, true)} checks={w.checks} onChecks={w.setChecks} />}
          {step === 2 && <PackageStep draft={draft} words={w.words} packages={packages} onChange={w.change} onCreatePackage={() => setCreatingPackage(true)} />}
          {step === 3 && <ScheduleStep draft={draft} words={w.words} pkg={w.pkg} defaultName={w.defaultName} onChange={w.change} />}
        </Box>
        {w.problem && (
          <Alert severity="warning" data-testid="wizard-problem">
            {w.problem}
          </Alert>
        )}
        {w.error && <ErrorNotice error={w.error} />}
      </DialogContent>
      <DialogActions>
        <Button onClick={wizardClosed}>Cancel</Button>
        <Box sx={{ flex: 1 }} />
        <Button disabled={step === 0} onClick={w.back}>
          Back
        </Button>
        {step < STEPS.length - 1 ? (
          <Button variant="contained" onClick={w.next}>
            Continue
          </Button>
        ) : (
          <Button variant="contained" disabled={w.busy} onClick={() => void w.finish()}>
            Finish
          </Button>
        )}
      </DialogActions>
      {creatingPackage && <CreatePackageDialog onClose={() => setCreatingPackage(false)} onCreated={(p) => w.change({ packageId: p.id, runAs: p.runAs ?? 'admin' })} />}
    </Dialog>
  );
}
