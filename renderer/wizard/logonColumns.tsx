// The wizard's Logon grid: each computer of the task with its address, its credentials (and where
// they are kept) and what Test found: logon, ADMIN$ writable, Service Control Manager, the verdict
// — and for LAPS credentials which attribute the computer's password came from and its account.
import { Chip } from '@mui/material';
import type { Computer, Credential, CredentialCheck } from '../../main/ipc/contract';
import type { Column } from '../components/DataTable';
import { CredentialBadges, credentialLabel, credentialTitle } from '../credentials/credentialLabel';

export type CheckState = CredentialCheck | 'testing';

export interface LogonGridRow {
  id: number;
  computer: Computer | undefined;
  credential: Credential | undefined;
  credentialId: number | null;
  check: CheckState | undefined;
}

/** What Test read for a LAPS credential: the attribute and the account (never the password). */
function LapsFoundNote(props: { laps: NonNullable<CredentialCheck['laps']> }) {
  const { laps } = props;
  return (
    <span data-testid="test-laps" title={`Found ${laps.lookedUp}${laps.updatedAt ? `; set ${laps.updatedAt}` : ''}${laps.expiresAt ? `; ${laps.expired ? 'expired' : 'expires'} ${laps.expiresAt}` : ''}`} style={{ marginRight: 8 }}>
      {laps.attribute} · .\{laps.account}
      {laps.expired ? ' (expired)' : ''}
    </span>
  );
}

function Verdict(props: { value: boolean | null | undefined }) {
  if (props.value === undefined || props.value === null) return <span>—</span>;
  return <span style={{ color: props.value ? '#2e7d32' : '#c62828', fontWeight: 600 }}>{props.value ? '✓ ok' : '✗ no'}</span>;
}

export const logonColumns: readonly Column<LogonGridRow>[] = [
  { key: 'name', header: 'Computer', width: '16%', render: (r) => r.computer?.name ?? `#${r.id}` },
  { key: 'address', header: 'Address', width: '13%', render: (r) => r.computer?.address ?? '—' },
  {
    key: 'cred',
    header: 'Credentials',
    width: '16%',
    render: (r) =>
      r.credential ? (
        r.credential.available ? (
          <span>
            {credentialLabel(r.credential)}
            <CredentialBadges credential={r.credential} />
          </span>
        ) : <span style={{ color: '#c62828' }}>{credentialLabel(r.credential)} (password not kept)</span>
      ) : (
        <span style={{ color: '#c62828' }}>not set</span>
      ),
    title: (r) => (r.credential ? credentialTitle(r.credential) : null),
  },
  {
    key: 'logon',
    header: 'Logon',
    width: '10%',
    render: (r) => {
      if (r.check === 'testing') return '…';
      const mechanism = r.check?.authMechanism;
      return (
        <span>
          <Verdict value={r.check?.logon} />
          {mechanism ? <span data-testid="test-mechanism" style={{ color: '#555' }}> {mechanism === 'kerberos' ? 'Kerberos' : 'NTLM'}</span> : null}
        </span>
      );
    },
    title: (r) => (r.check && r.check !== 'testing' && r.check.authMechanism ? `Logged on with ${r.check.authMechanism === 'kerberos' ? 'Kerberos' : 'NTLMv2'}` : null),
  },
  { key: 'admin', header: 'ADMIN$', width: '8%', render: (r) => (r.check === 'testing' ? '…' : <Verdict value={r.check?.adminShareWritable} />) },
  { key: 'scm', header: 'SCM', width: '8%', render: (r) => (r.check === 'testing' ? '…' : <Verdict value={r.check?.scmAccess} />) },
  {
    key: 'result',
    header: 'Test result',
    render: (r) => {
      if (r.check === undefined) return <span style={{ color: '#777' }}>not tested</span>;
      if (r.check === 'testing') return 'testing…';
      const laps = r.check.laps ? <LapsFoundNote laps={r.check.laps} /> : null;
      if (r.check.ok) return <span>{laps}<Chip size="small" color="success" label="ready to push" /></span>;
      const e = r.check.error;
      return (
        <span data-testid="test-error">
          {laps}
          <strong>{e?.class ?? 'failed'}</strong>
          {e ? ` — ${e.advice}` : ''}
        </span>
      );
    },
    title: (r) => (r.check && r.check !== 'testing' && r.check.error ? `${r.check.error.message}\n${r.check.error.advice}` : null),
  },
];
