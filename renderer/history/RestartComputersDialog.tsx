// Restart Computers…: when the computers of a task that still need their restart (msiexec 3010)
// restart — the same policy as the wizard's, "Don't restart" left out — then a restart task starts.
import { Button, Dialog, DialogActions, DialogContent, DialogTitle, Typography } from '@mui/material';
import { useState, type ReactNode } from 'react';
import type { RebootPolicy } from '../../main/ipc/contract';
import { RebootPolicyFields } from '../components/RebootPolicyFields';

const START: RebootPolicy = { policy: 'now', graceMinutes: 5, forceAfterMinutes: 60, message: '' };

function RestartComputersDialog(props: { count: number; onClose: () => void; onRestart: (reboot: RebootPolicy) => void }) {
  const [reboot, setReboot] = useState<RebootPolicy>(START);
  return (
    <Dialog open onClose={props.onClose} aria-labelledby="restart-computers-title" fullWidth maxWidth="sm">
      <DialogTitle id="restart-computers-title">Restart Computers</DialogTitle>
      <DialogContent>
        <Typography variant="body2" sx={{ mb: 2 }}>
          {props.count} computer(s) of this task installed the package and need a restart to finish. The agent is copied to each once more to
          schedule it (nothing is installed); History then follows each restart until the computer is back.
        </Typography>
        <RebootPolicyFields value={reboot} onChange={setReboot} exclude={['none']} />
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button variant="contained" onClick={() => props.onRestart(reboot)}>
          Restart
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** The dialog to render (null when closed) and the function that opens it for some targets. */
export function useRestartPrompt(then: (targetIds: number[], reboot: RebootPolicy) => void): [ReactNode, (targetIds: number[]) => void] {
  const [targets, setTargets] = useState<number[] | null>(null);
  const element = targets ? (
    <RestartComputersDialog
      count={targets.length}
      onClose={() => setTargets(null)}
      onRestart={(reboot) => {
        setTargets(null);
        then(targets, reboot);
      }}
    />
  ) : null;
  return [element, setTargets];
}
