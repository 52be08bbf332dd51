// What happens after an install that needs a restart (msiexec 3010), as the wizard's Schedule
// step and the Restart Computers… dialog ask it: the policy, its minutes, and the message the
// logged-on user sees (empty: the console's default naming the package).
import { MenuItem, Stack, TextField } from '@mui/material';
import type { RebootPolicy } from '../../main/ipc/contract';

export const NO_RESTART: RebootPolicy = { policy: 'none', graceMinutes: 5, forceAfterMinutes: 60, message: '' };

const LABELS: Record<RebootPolicy['policy'], string> = {
  none: 'Don\'t restart (report "reboot required")',
  'when-idle': 'Restart when no one is logged on, else ask',
  ask: 'Ask the logged-on user, again every N minutes, force after M minutes',
  now: 'Restart after a notice of N minutes',
};

/** The policy in a few words (the wizard's summary, History's notices). */
export function rebootWords(r: RebootPolicy): string {
  if (r.policy === 'none') return 'no restart';
  // The console gives at least 15 s of notice (preparePush.ts MIN_RESTART_NOTICE_SECONDS).
  if (r.policy === 'now') return `restart ${r.graceMinutes === 0 ? 'after 15 s notice' : `after ${r.graceMinutes} min notice`} if needed`;
  const ask = `ask every ${r.graceMinutes} min, force after ${r.forceAfterMinutes} min`;
  return r.policy === 'ask' ? `restart if needed: ${ask}` : `restart if needed: at once when no one is logged on, else ${ask}`;
}

export function RebootPolicyFields(props: { value: RebootPolicy; onChange: (next: RebootPolicy) => void; exclude?: readonly RebootPolicy['policy'][] }) {
  const { value, onChange } = props;
  const number = (key: 'graceMinutes' | 'forceAfterMinutes', text: string) => onChange({ ...value, [key]: Math.max(0, Math.floor(Number(text) || 0)) });
  return (
    <Stack spacing={1.5} data-testid="reboot-policy">
      <TextField
        select
        label="After installing, when the package needs a restart"
        value={value.policy}
        onChange={(e) => onChange({ ...value, policy: e.target.value as RebootPolicy['policy'] })}
        slotProps={{ htmlInput: { 'data-testid': 'reboot-policy-select' } }}
      >
        {(Object.keys(LABELS) as RebootPolicy['policy'][])
          .filter((p) => !props.exclude?.includes(p))
          .map((p) => (
            <MenuItem key={p} value={p}>
              {LABELS[p]}
            </MenuItem>
          ))}
      </TextField>
      {value.policy !== 'none' && (
        <Stack direction="row" spacing={1}>
          <TextField
            type="number"
            label={value.policy === 'now' ? 'Notice (min)' : 'Ask again every (min)'}
            value={value.graceMinutes}
            onChange={(e) => number('graceMinutes', e.target.value)}
            helperText={value.policy === 'now' ? 'Windows shows the message and a countdown (0–1440; 0 gives 15 s).' : 'Between two questions (0–1440).'}
            slotProps={{ htmlInput: { min: 0, max: 1440, 'data-testid': 'reboot-grace' } }}
          />
          {value.policy !== 'now' && (
            <TextField
              type="number"
              label="Force after (min)"
              value={value.forceAfterMinutes}
              onChange={(e) => number('forceAfterMinutes', e.target.value)}
              helperText="The latest restart, whatever the answer (1–10080)."
              slotProps={{ htmlInput: { min: 1, max: 10080, 'data-testid': 'reboot-force-after' } }}
            />
          )}
        </Stack>
      )}
      {value.policy !== 'none' && (
        <TextField
          label="Message the user sees"
          value={value.message}
          placeholder="Your computer restarts to finish installing {package}. Save your work."
          onChange={(e) => onChange({ ...value, message: e.target.value.slice(0, 512) })}
          slotProps={{ htmlInput: { 'data-testid': 'reboot-message' } }}
        />
      )}
    </Stack>
  );
}
