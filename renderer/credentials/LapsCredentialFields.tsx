// Set Credentials… → Use LAPS: each computer's own local Administrator password, read from Active
// Directory when its push starts. The fields: the directory (LDAPS, or LDAP with StartTLS; the CA
// when the console's own roots do not vouch for it; a lab directory's untrusted certificate), the
// account that reads LAPS passwords and its password, and whether that password is remembered.
// They start from the Active Directory import's last search, else from a stored LAPS credential.
import { Alert, Box, Checkbox, FormControlLabel, TextField } from '@mui/material';
import type { Credential } from '../../main/ipc/contract';
import type { DirectoryConnection } from '../state/store';
import { useConsole } from '../state/store';

export interface NewLapsCredential {
  readonly url: string;
  readonly baseDn: string;
  readonly startTls: boolean;
  readonly allowUntrusted: boolean;
  readonly caPem: string;
  readonly bindDn: string;
  readonly password: string;
  readonly remember: boolean;
}

/** The fields' first values: the import's last directory, else the newest stored LAPS credential's, else empty. */
export function initialLaps(last: DirectoryConnection | null, stored: readonly Credential[]): NewLapsCredential {
  const known = [...stored].reverse().find((c) => c.laps)?.laps;
  const url = last?.url ?? known?.url ?? 'ldaps://';
  return {
    url,
    baseDn: last?.baseDn ?? known?.baseDn ?? '',
    startTls: known && !last ? known.startTls : /^ldap:\/\//i.test(url),
    allowUntrusted: last?.allowUntrusted ?? known?.allowUntrusted ?? false,
    caPem: '',
    bindDn: last?.bindDn ?? known?.bindDn ?? '',
    password: '',
    remember: false,
  };
}

/** What is wrong with the LAPS fields, in words; null when they may be sent. */
export function lapsProblem(v: NewLapsCredential): string | null {
  const url = v.url.trim();
  if (!/^ldaps?:\/\/[^/\s]+\/?$/i.test(url)) return 'Enter the directory as ldaps://dc01.corp.example (or ldap://… with StartTLS).';
  if (/^ldap:\/\//i.test(url) && !v.startTls) return 'Over ldap:// the password is read only with StartTLS: turn it on, or use ldaps://.';
  if (/^ldaps:\/\//i.test(url) && v.startTls) return 'StartTLS is for ldap:// URLs: ldaps:// is TLS already.';
  if (!v.baseDn.trim()) return 'Enter the base DN the computers are under, e.g. DC=corp,DC=example.';
  if (!v.bindDn.trim()) return 'Enter the account that may read LAPS passwords (a DN or user@domain).';
  if (v.password === '') return 'Enter that account\'s password.';
  if (v.caPem.trim() && !v.caPem.includes('-----BEGIN CERTIFICATE-----')) return 'The CA certificate must be PEM (-----BEGIN CERTIFICATE-----), or left empty.';
  return null;
}

export function LapsCredentialFields(props: { value: NewLapsCredential; onChange: (patch: Partial<NewLapsCredential>) => void; onEnter: () => void }) {
  const { value, onChange } = props;
  const vaultStorage = useConsole((s) => s.info?.credentialStorage);
  const text = (label: string, key: 'url' | 'baseDn' | 'bindDn', testId: string, placeholder: string) => (
    <TextField
      label={label}
      placeholder={placeholder}
      value={value[key]}
      onChange={(e) => onChange({ [key]: e.target.value })}
      autoComplete="off"
      slotProps={{ htmlInput: { 'data-testid': testId, spellCheck: false } }}
    />
  );
  return (
    <>
      <Alert severity="info" data-testid="laps-explained">
        Each computer&apos;s own local Administrator password is read from Active Directory (Windows LAPS, else legacy LAPS) when its push starts, and used for that push only.
      </Alert>
      <Box sx={{ display: 'grid', gridTemplateColumns: '1fr', gap: 2 }}>
        {text('Directory', 'url', 'laps-url', 'ldaps://dc01.corp.example')}
        {text('Base DN', 'baseDn', 'laps-base', 'DC=corp,DC=example')}
      </Box>
      <FormControlLabel
        control={<Checkbox checked={value.startTls} onChange={(e) => onChange({ startTls: e.target.checked })} slotProps={{ input: { 'data-testid': 'laps-starttls' } as object }} />}
        label="ldap:// with StartTLS (port 389)"
      />
      <FormControlLabel
        control={<Checkbox checked={value.allowUntrusted} onChange={(e) => onChange({ allowUntrusted: e.target.checked })} slotProps={{ input: { 'data-testid': 'laps-untrusted' } as object }} />}
        label="Accept a certificate this computer does not trust (lab directories only)"
      />
      <TextField
        label="CA certificate (PEM, optional)"
        multiline
        minRows={2}
        maxRows={6}
        value={value.caPem}
        onChange={(e) => onChange({ caPem: e.target.value })}
        slotProps={{ htmlInput: { 'data-testid': 'laps-ca', spellCheck: false } }}
      />
      {text('Account that reads LAPS passwords', 'bindDn', 'laps-bind', 'CN=laps-reader,OU=Service Accounts,DC=corp,DC=example or reader@corp.example')}
      <TextField
        label="Its password"
        type="password"
        value={value.password}
        onChange={(e) => onChange({ password: e.target.value })}
        autoComplete="new-password"
        onKeyDown={(e) => e.key === 'Enter' && props.onEnter()}
        slotProps={{ htmlInput: { 'data-testid': 'laps-password' } }}
      />
      <FormControlLabel
        control={<Checkbox checked={value.remember} onChange={(e) => onChange({ remember: e.target.checked })} slotProps={{ input: { 'data-testid': 'laps-remember' } as object }} />}
        label="Remember this account after the console restarts"
      />
      {value.remember && vaultStorage?.storage === 'memory' && (
        <Alert severity="info">{vaultStorage.problem ?? 'No OS keychain is reachable'} — the password will be kept in memory only.</Alert>
      )}
    </>
  );
}
