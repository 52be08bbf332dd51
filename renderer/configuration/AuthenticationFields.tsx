// Configuration → Authentication: how the console logs on to computers (negotiate: Kerberos for a
// computer listed by DNS name with a domain account, NTLMv2 otherwise; kerberos-only for domains
// that block NTLM; ntlm-only), the domain controllers Kerberos asks (empty: DNS SRV), and the
// NetBIOS domain → realm map for DOMAIN\user credentials.
import { Box, MenuItem, TextField, Typography } from '@mui/material';
import type { SettingsDraft } from './useSettingsDraft';

const POLICIES = [
  { value: 'negotiate', label: 'Negotiate — Kerberos where possible, else NTLMv2 (as Windows does)' },
  { value: 'kerberos-only', label: 'Kerberos only — never send NTLM (domains that block it)' },
  { value: 'ntlm-only', label: 'NTLMv2 only — never ask a domain controller' },
];

export function AuthenticationFields(props: { draft: SettingsDraft; onSet: (patch: SettingsDraft) => void }) {
  const { draft, onSet } = props;
  return (
    <Box sx={{ gridColumn: '1 / -1', display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 2 }} data-testid="authentication-settings">
      <Typography variant="subtitle1" sx={{ gridColumn: '1 / -1', mb: -1 }}>
        Authentication
      </Typography>
      <TextField
        select
        sx={{ gridColumn: '1 / -1' }}
        label="Log on to computers with"
        helperText="Kerberos needs the computer's DNS name (pc1.corp.example.com) and a domain account whose password is kept; a computer listed by address logs on with NTLMv2."
        value={draft.authentication ?? 'negotiate'}
        onChange={(e) => onSet({ authentication: e.target.value })}
        slotProps={{ htmlInput: { 'data-testid': 'setting-authentication' } }}
      >
        {POLICIES.map((p) => (
          <MenuItem key={p.value} value={p.value}>
            {p.label}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        label="Domain controllers (KDC)"
        placeholder="dc1.corp.example.com, 10.0.0.5:88"
        helperText="Empty: found by DNS (_kerberos._tcp.<domain>). Separated by commas, tried in order."
        value={draft.kdcAddresses ?? ''}
        onChange={(e) => onSet({ kdcAddresses: e.target.value })}
        slotProps={{ htmlInput: { 'data-testid': 'setting-kdcAddresses' } }}
      />
      <TextField
        label="Domain → realm"
        placeholder="CORP=CORP.EXAMPLE.COM"
        helperText="For DOMAIN\user credentials whose realm is not the computers' DNS domain. user@domain.fqdn needs none."
        value={draft.kerberosRealms ?? ''}
        onChange={(e) => onSet({ kerberosRealms: e.target.value })}
        slotProps={{ htmlInput: { 'data-testid': 'setting-kerberosRealms' } }}
      />
    </Box>
  );
}
