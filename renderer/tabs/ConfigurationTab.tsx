// Configuration Editor: Remote Install settings, validated by main and kept across restarts.
import { Alert, Box, Button, Chip, FormControlLabel, Paper, Stack, Switch, TextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import type { ResultOf, Settings } from '../../main/ipc/contract';
import { request, saveSettings } from '../state/actions';
import { useConsole } from '../state/store';

type NumberKey = { [K in keyof Settings]: Settings[K] extends number ? K : never }[keyof Settings];

const numberFields: readonly { key: NumberKey; label: string; help: string }[] = [
  { key: 'maxConcurrentPushes', label: 'Maximum concurrent pushes', help: 'Computers pushed at the same time; the rest wait in the queue (1–200).' },
  { key: 'connectTimeoutSeconds', label: 'Connect timeout (s)', help: 'A computer that does not answer on TCP 445 within this time is offline (1–60).' },
  { key: 'agentCallbackTimeoutSeconds', label: 'Agent callback timeout (s)', help: 'How long to wait for the agent to call back on the package server port.' },
  { key: 'installTimeoutMinutes', label: 'Installation timeout (min)', help: 'How long msiexec may run on a computer.' },
  { key: 'packageServerPort', label: 'Package server port', help: 'TCP port agents download the package from (default 2224).' },
  { key: 'retryCount', label: 'Retries for failed computers', help: 'How many times a failed computer is tried again (0 = never).' },
  { key: 'retryIntervalMinutes', label: 'Retry interval (min)', help: 'Time between retries.' },
  { key: 'logRetentionDays', label: 'Keep logs (days)', help: 'Tasks that ended longer ago than this are removed with their logs (checked at start and every 6 hours); a task whose leftovers are still on a computer is kept.' },
];

function toDraft(settings: Settings): Record<string, string | boolean> {
  return Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, typeof v === 'boolean' ? v : String(v)]));
}

const defaultConcurrency = 20;

export function ConfigurationTab() {
  const settings = useConsole((s) => s.settings);
  const [addresses, setAddresses] = useState<ResultOf<'app.networkAddresses'>>([]);
  useEffect(() => {
    void request('app.networkAddresses', {}).then((r) => r.ok && setAddresses(r.result));
  }, []);
  const [draft, setDraft] = useState<Record<string, string | boolean>>({});
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    if (!settings) return;
    setDraft(toDraft(settings));
  }, [settings]);

  if (!settings) return <Typography>Loading settings…</Typography>;

  const changes = (): Partial<Settings> => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(draft)) {
      const current = settings[key as keyof Settings];
      const next = typeof current === 'number' ? (String(value).trim() === '' ? NaN : Number(value)) : value;
      if (next !== current) out[key] = next;
    }
    return out as Partial<Settings>;
  };
  const dirty = Object.keys(changes()).length > 0;
  const concurrency = Number(draft.maxConcurrentPushes);

  const save = async () => {
    setSaved(false);
    if (await saveSettings(changes())) setSaved(true);
  };

  return (
    <Box sx={{ overflow: 'auto', flex: 1 }}>
      <Paper variant="outlined" sx={{ p: 2, maxWidth: 820 }}>
        <Typography variant="h6" gutterBottom>
          Remote Install
        </Typography>
        <Box sx={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 2 }}>
          {numberFields.map((f) => (
            <TextField
              key={f.key}
              label={f.label}
              helperText={f.help}
              type="number"
              value={draft[f.key] ?? ''}
              onChange={(e) => {
                setSaved(false);
                setDraft({ ...draft, [f.key]: e.target.value });
              }}
              slotProps={{ htmlInput: { 'data-testid': `setting-${f.key}` } }}
            />
          ))}
          {concurrency > defaultConcurrency && (
            <Alert severity="warning" sx={{ gridColumn: '1 / -1' }} data-testid="concurrency-warning">
              Raising the number of concurrent push installations above {defaultConcurrency} can saturate the network links to remote sites and
              slow down this computer: each push holds an SMB session, a copy of the package in transit and an agent calling back.
            </Alert>
          )}
          <Box>
            <TextField
              fullWidth
              label="Address agents call back to"
              helperText="Empty: the console's address on the interface that reaches the computer. Several: separated by commas, tried in order."
              value={draft.callbackAddress ?? ''}
              onChange={(e) => setDraft({ ...draft, callbackAddress: e.target.value })}
              slotProps={{ htmlInput: { 'data-testid': 'setting-callbackAddress' } }}
            />
            <Stack direction="row" spacing={0.5} sx={{ mt: 0.5, flexWrap: 'wrap', rowGap: 0.5 }} data-testid="detected-addresses">
              {addresses.map((a) => (
                <Chip
                  key={`${a.interface}-${a.address}`}
                  size="small"
                  variant="outlined"
                  label={`${a.address} (${a.interface})`}
                  title="Use this address"
                  onClick={() => setDraft({ ...draft, callbackAddress: a.address })}
                />
              ))}
            </Stack>
          </Box>
          <FormControlLabel
            control={
              <Switch
                checked={draft.encryptWhenSupported === true}
                onChange={(e) => setDraft({ ...draft, encryptWhenSupported: e.target.checked })}
              />
            }
            label="Encrypt SMB traffic whenever the computer supports SMB 3"
          />
          <FormControlLabel
            control={
              <Switch
                checked={draft.simulatedLab === true}
                onChange={(e) => setDraft({ ...draft, simulatedLab: e.target.checked })}
                slotProps={{ input: { 'aria-label': 'Run the simulated lab' } }}
              />
            }
            label="Run the simulated lab (50 simulated Windows hosts on this computer, for trying the console)"
          />
        </Box>
        <Stack direction="row" spacing={1} sx={{ mt: 2, alignItems: 'center' }}>
          <Button variant="contained" disabled={!dirty} onClick={() => void save()}>
            Save
          </Button>
          <Button disabled={!dirty} onClick={() => setDraft(toDraft(settings))}>
            Revert
          </Button>
          {saved && !dirty && (
            <Alert severity="success" sx={{ py: 0 }} data-testid="settings-saved">
              Settings saved.
            </Alert>
          )}
        </Stack>
      </Paper>
    </Box>
  );
}
