// The Remote Install settings' fields: the numbers with their bounds and help, the warning above
// 20 concurrent pushes, the address agents call back to (with the addresses detected), the switches.
import { Alert, Box, Chip, FormControlLabel, Stack, Switch, TextField } from '@mui/material';
import { useEffect, useState } from 'react';
import type { ResultOf, Settings } from '../../main/ipc/contract';
import { request } from '../state/actions';
import type { SettingsDraft } from './useSettingsDraft';

type NumberKey = { [K in keyof Settings]: Settings[K] extends number ? K : never }[keyof Settings];

const numberFields: readonly { key: NumberKey; label: string; help: string }[] = [
  { key: 'maxConcurrentPushes', label: 'Maximum concurrent pushes', help: 'Computers pushed at the same time; the rest wait in the queue (1–200).' },
  { key: 'connectTimeoutSeconds', label: 'Connect timeout (s)', help: 'A computer that does not answer on TCP 445 within this time is offline (1–60).' },
  { key: 'agentCallbackTimeoutSeconds', label: 'Agent callback timeout (s)', help: 'How long to wait for the agent to call back on the package server port.' },
  { key: 'autoFallbackSeconds', label: 'Switch to SMB after (s)', help: 'Transport "auto": a computer whose agent has not called back this long after it started gets its package over SMB instead (5–600).' },
  { key: 'packageCopyConcurrency', label: 'Package copies at once', help: 'SMB transport: how many computers receive a copy of the package at the same time (1–100), so large packages do not saturate this computer\'s uplink.' },
  { key: 'installTimeoutMinutes', label: 'Installation timeout (min)', help: 'How long msiexec may run on a computer.' },
  { key: 'packageServerPort', label: 'Package server port', help: 'TCP port agents download the package from (default 2224).' },
  { key: 'retryCount', label: 'Retries for failed computers', help: 'How many times a failed computer is tried again (0 = never).' },
  { key: 'retryIntervalMinutes', label: 'Retry interval (min)', help: 'Time between retries.' },
  { key: 'logRetentionDays', label: 'Keep logs (days)', help: 'Tasks that ended longer ago than this are removed with their logs (checked at start and every 6 hours); a task whose leftovers are still on a computer is kept.' },
];

const defaultConcurrency = 20;

export function NumberSettings(props: { draft: SettingsDraft; onEdit: (patch: SettingsDraft) => void }) {
  const { draft } = props;
  return (
    <>
      {numberFields.map((f) => (
        <TextField
          key={f.key}
          label={f.label}
          helperText={f.help}
          type="number"
          value={draft[f.key] ?? ''}
          onChange={(e) => props.onEdit({ [f.key]: e.target.value })}
          slotProps={{ htmlInput: { 'data-testid': `setting-${f.key}` } }}
        />
      ))}
      {Number(draft.maxConcurrentPushes) > defaultConcurrency && (
        <Alert severity="warning" sx={{ gridColumn: '1 / -1' }} data-testid="concurrency-warning">
          Raising the number of concurrent push installations above {defaultConcurrency} can saturate the network links to remote sites and
          slow down this computer: each push holds an SMB session, a copy of the package in transit and an agent calling back.
        </Alert>
      )}
    </>
  );
}

export function CallbackAddressField(props: { draft: SettingsDraft; onSet: (patch: SettingsDraft) => void }) {
  const [addresses, setAddresses] = useState<ResultOf<'app.networkAddresses'>>([]);
  useEffect(() => {
    void request('app.networkAddresses', {}).then((r) => r.ok && setAddresses(r.result));
  }, []);
  return (
    <Box>
      <TextField
        fullWidth
        label="Address agents call back to"
        helperText="Empty: the console's address on the interface that reaches the computer. Several: separated by commas, tried in order."
        value={props.draft.callbackAddress ?? ''}
        onChange={(e) => props.onSet({ callbackAddress: e.target.value })}
        slotProps={{ htmlInput: { 'data-testid': 'setting-callbackAddress' } }}
      />
      <Stack direction="row" spacing={0.5} sx={{ mt: 0.5, flexWrap: 'wrap', rowGap: 0.5 }} data-testid="detected-addresses">
        {addresses.map((a) => (
          <Chip key={`${a.interface}-${a.address}`} size="small" variant="outlined" label={`${a.address} (${a.interface})`} title="Use this address" onClick={() => props.onSet({ callbackAddress: a.address })} />
        ))}
      </Stack>
    </Box>
  );
}

export function SettingSwitches(props: { draft: SettingsDraft; onSet: (patch: SettingsDraft) => void }) {
  const { draft, onSet } = props;
  return (
    <>
      <FormControlLabel
        control={<Switch checked={draft.encryptWhenSupported === true} onChange={(e) => onSet({ encryptWhenSupported: e.target.checked })} />}
        label="Encrypt SMB traffic whenever the computer supports SMB 3"
      />
      <FormControlLabel
        control={<Switch checked={draft.simulatedLab === true} onChange={(e) => onSet({ simulatedLab: e.target.checked })} slotProps={{ input: { 'aria-label': 'Run the simulated lab' } }} />}
        label="Run the simulated lab (50 simulated Windows hosts on this computer, for trying the console)"
      />
    </>
  );
}
