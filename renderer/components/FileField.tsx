// A path field with Browse…: Electron's own open dialog where the shell has one, else a chooser
// that lists folders through main (FolderBrowser.tsx: a browser page cannot learn a local file's
// path). Main only ever returns names and sizes; the file is read by main when the path is used.
import { Button, Stack, TextField } from '@mui/material';
import { useState } from 'react';
import { request } from '../state/actions';
import { FolderBrowser } from './FolderBrowser';

export function FileField(props: { label: string; value: string; onChange: (path: string) => void; extensions: string[]; helperText?: string; error?: boolean; testId?: string }) {
  const [browsing, setBrowsing] = useState(false);
  const browse = async () => {
    const native = await request('files.chooseNative', { title: props.label, extensions: props.extensions });
    if (native.ok && native.result.supported) {
      if (native.result.path) props.onChange(native.result.path);
      return;
    }
    setBrowsing(true);
  };
  return (
    <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
      <TextField
        fullWidth
        label={props.label}
        value={props.value}
        error={props.error}
        helperText={props.helperText}
        onChange={(e) => props.onChange(e.target.value)}
        slotProps={{ htmlInput: { 'data-testid': props.testId } }}
      />
      <Button variant="outlined" sx={{ mt: 0.5, flexShrink: 0 }} onClick={() => void browse()}>
        Browse…
      </Button>
      {browsing && (
        <FolderBrowser
          title={props.label}
          extensions={props.extensions}
          onClose={() => setBrowsing(false)}
          onChosen={(p) => {
            setBrowsing(false);
            props.onChange(p);
          }}
        />
      )}
    </Stack>
  );
}
