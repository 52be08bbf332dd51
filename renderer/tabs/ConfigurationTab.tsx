// Configuration Editor: Remote Install settings, validated by main and kept across restarts.
// The fields are in configuration/SettingsFields.tsx, the draft and Save in configuration/useSettingsDraft.ts.
import { Alert, Box, Button, Paper, Stack, Typography } from '@mui/material';
import { CallbackAddressField, NumberSettings, SettingSwitches } from '../configuration/SettingsFields';
import { useSettingsDraft } from '../configuration/useSettingsDraft';
import { AuthenticationFields } from '../configuration/AuthenticationFields';
import { useConsole } from '../state/store';

export function ConfigurationTab() {
  const settings = useConsole((s) => s.settings);
  const d = useSettingsDraft(settings);
  if (!settings) return <Typography>Loading settings…</Typography>;

  return (
    <Box sx={{ overflow: 'auto', flex: 1 }}>
      <Paper variant="outlined" sx={{ p: 2, maxWidth: 820 }}>
        <Typography variant="h6" gutterBottom>
          Remote Install
        </Typography>
        <Box sx={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 2 }}>
          <NumberSettings draft={d.draft} onEdit={d.edit} />
          <CallbackAddressField draft={d.draft} onSet={d.set} />
          <SettingSwitches draft={d.draft} onSet={d.set} />
          <AuthenticationFields draft={d.draft} onSet={d.set} />
        </Box>
        <Stack direction="row" spacing={1} sx={{ mt: 2, alignItems: 'center' }}>
          <Button variant="contained" disabled={!d.dirty} onClick={() => void d.save()}>
            Save
          </Button>
          <Button disabled={!d.dirty} onClick={d.revert}>
            Revert
          </Button>
          {d.saved && !d.dirty && (
            <Alert severity="success" sx={{ py: 0 }} data-testid="settings-saved">
              Settings saved.
            </Alert>
          )}
        </Stack>
      </Paper>
    </Box>
  );
}
