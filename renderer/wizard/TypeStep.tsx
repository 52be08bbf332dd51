// The wizard's first step: the task type (a push; an installed agent is not available yet) and
// the action: install, uninstall or repair.
import { FormControlLabel, Radio, RadioGroup, Stack, Typography } from '@mui/material';
import type { TaskAction } from '../../main/ipc/contract';
import type { TaskDraft } from './draftProblem';

export function TypeStep(props: { draft: TaskDraft; onChange: (patch: Partial<TaskDraft>) => void; computers: number }) {
  const { draft, onChange } = props;
  return (
    <Stack spacing={2}>
      <Typography variant="subtitle2">Task type</Typography>
      <RadioGroup value={draft.kind} onChange={(e) => onChange({ kind: e.target.value as 'push' })}>
        <FormControlLabel value="push" control={<Radio />} label="Windows push installation (SMB and the Service Control Manager; nothing installed beforehand)" />
        <FormControlLabel value="agent" disabled control={<Radio />} label="Through an installed agent (not available yet)" />
      </RadioGroup>
      <Typography variant="subtitle2">Action</Typography>
      <RadioGroup name="task-action" aria-label="Action" value={draft.action} onChange={(e) => onChange({ action: e.target.value as TaskAction })}>
        <FormControlLabel value="install" control={<Radio />} label="Install" />
        <FormControlLabel value="uninstall" control={<Radio />} label="Uninstall (msiexec /x: removes the package's product)" />
        <FormControlLabel value="repair" control={<Radio />} label="Repair (msiexec /fvomus: restores missing or older files, registry entries and shortcuts)" />
      </RadioGroup>
      <Typography variant="body2" color="text.secondary">
        {props.computers} computer(s) selected. You can add more on the next step.
      </Typography>
    </Stack>
  );
}
