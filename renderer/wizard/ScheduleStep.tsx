// The wizard's Schedule step: the task's name (a default from the package and the computers),
// now or at a date and time, and a summary of what Finish starts.
import { Alert, FormControlLabel, Radio, RadioGroup, Stack, TextField } from '@mui/material';
import { installsAs, type Package } from '../../main/ipc/contract';
import type { TaskDraft } from './draftProblem';
import type { ActionWords } from './taskWords';
import { RebootPolicyFields, rebootWords } from '../components/RebootPolicyFields';

const TRANSPORT_WORDS: Record<TaskDraft['transport'], string> = {
  auto: 'download from this console, over SMB where that fails',
  callback: 'download from this console',
  smb: 'copied over SMB',
};

export function ScheduleStep(props: { draft: TaskDraft; words: ActionWords; pkg: Package | null; defaultName: string; onChange: (patch: Partial<TaskDraft>, clearProblem?: boolean) => void }) {
  const { draft, words, defaultName, onChange } = props;
  return (
    <Stack spacing={2} sx={{ maxWidth: 640 }}>
      <TextField label="Task name" value={draft.name} placeholder={defaultName} onChange={(e) => onChange({ name: e.target.value })} helperText={draft.name ? '' : `Default: ${defaultName}`} slotProps={{ htmlInput: { 'data-testid': 'task-name' } }} />
      <RadioGroup value={draft.when} onChange={(e) => onChange({ when: e.target.value as 'now' | 'at' }, true)}>
        <FormControlLabel value="now" control={<Radio />} label="Now" />
        <FormControlLabel value="at" control={<Radio />} label="At a date and time" />
      </RadioGroup>
      <TextField type="datetime-local" label="Start at" disabled={draft.when !== 'at'} value={draft.at} onChange={(e) => onChange({ at: e.target.value })} sx={{ width: 280 }} slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'task-start-at' } }} />
      {draft.action === 'install' || draft.action === 'repair' ? <RebootPolicyFields value={draft.reboot} onChange={(reboot) => onChange({ reboot })} /> : null}
      <Alert severity="info">
        <span data-testid="wizard-summary-action">{words.summary[0]!.toUpperCase() + words.summary.slice(1)}</span> {props.pkg?.name ?? 'no package'} {words.onto} {draft.rows.length} computer(s) · as {installsAs(draft.runAs, draft.transport) === 'admin' ? 'the administrator account' : 'SYSTEM'} · {TRANSPORT_WORDS[draft.transport]} · {rebootWords(draft.reboot)} · {draft.when === 'now' ? 'starts now' : `starts ${new Date(draft.at).toLocaleString()}`}. At most the configured number of pushes run at once; the rest wait in the queue.
      </Alert>
    </Stack>
  );
}
