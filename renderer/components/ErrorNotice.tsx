// Shows a failure as the console reports it: class, code, message and the advice to act on.
import { Alert, AlertTitle, Box, Typography } from '@mui/material';
import type { IpcError } from '../../main/ipc/contract';

export function ErrorNotice(props: { error: IpcError; onClose?: () => void }) {
  const { error } = props;
  return (
    <Alert severity="error" onClose={props.onClose} data-testid="error-notice" data-error-class={error.class}>
      <AlertTitle>
        {error.class}
        {error.code ? ` (${error.code})` : ''}
      </AlertTitle>
      <Typography variant="body2">{error.message}</Typography>
      <Box component="p" sx={{ m: 0, mt: 0.5 }}>
        <strong>What to do: </strong>
        {error.advice}
      </Box>
    </Alert>
  );
}
