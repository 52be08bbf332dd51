// The fields of a new credential in Set Credentials…: the account, its password, whether it is
// remembered after a restart (and where, when no keychain is reachable) and whether only the NT hash is kept.
import { Alert, Checkbox, FormControlLabel, TextField } from '@mui/material';
import { useConsole } from '../state/store';

export interface NewCredential {
  readonly user: string;
  readonly password: string;
  readonly remember: boolean;
  readonly hashOnly: boolean;
}

export function NewCredentialFields(props: { value: NewCredential; onChange: (patch: Partial<NewCredential>) => void; onEnter: () => void }) {
  const { value, onChange } = props;
  const vaultStorage = useConsole((s) => s.info?.credentialStorage);
  return (
    <>
      <TextField
        label="User"
        placeholder={'CORP\\admin'}
        autoFocus
        value={value.user}
        onChange={(e) => onChange({ user: e.target.value })}
        autoComplete="off"
        slotProps={{ htmlInput: { 'data-testid': 'cred-user', spellCheck: false } }}
      />
      <TextField
        label="Password"
        type="password"
        value={value.password}
        onChange={(e) => onChange({ password: e.target.value })}
        autoComplete="new-password"
        onKeyDown={(e) => e.key === 'Enter' && props.onEnter()}
        slotProps={{ htmlInput: { 'data-testid': 'cred-password' } }}
      />
      <FormControlLabel
        control={<Checkbox checked={value.remember} onChange={(e) => onChange({ remember: e.target.checked })} slotProps={{ input: { 'data-testid': 'cred-remember' } as object }} />}
        label="Remember these credentials after the console restarts"
      />
      {value.remember && vaultStorage?.storage === 'memory' && (
        <Alert severity="info" data-testid="cred-no-keychain">
          {vaultStorage.problem ?? 'No OS keychain is reachable'} — these credentials will be kept in memory only.
        </Alert>
      )}
      <FormControlLabel
        control={<Checkbox checked={value.hashOnly} onChange={(e) => onChange({ hashOnly: e.target.checked })} slotProps={{ input: { 'data-testid': 'cred-hash-only' } as object }} />}
        label="Keep only the NT hash (packages then install as SYSTEM, not as this account)"
      />
    </>
  );
}
