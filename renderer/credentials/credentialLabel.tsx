// How a stored credential is named wherever it is shown (DOMAIN\user) and the badges that say
// where its secret is kept and what it is.
import { Chip } from '@mui/material';
import type { Credential } from '../../main/ipc/contract';

export function credentialLabel(c: Pick<Credential, 'domain' | 'user'>): string {
  return c.domain ? `${c.domain}\\${c.user}` : c.user;
}

/** Where a credential's secret is kept and what it is: the admin sees it next to every stored credential. */
export function CredentialBadges(props: { credential: Pick<Credential, 'storage' | 'keeps'> }) {
  const { storage, keeps } = props.credential;
  return (
    <>
      <Chip
        size="small"
        variant="outlined"
        data-testid="cred-storage"
        sx={{ ml: 1 }}
        color={storage === 'keychain' ? 'success' : 'default'}
        label={storage === 'keychain' ? 'keychain' : 'memory only'}
        title={storage === 'keychain' ? 'Kept in the OS keychain: still there after the console restarts.' : 'Kept in memory only: gone when the console stops.'}
      />
      {keeps === 'nt-hash' && (
        <Chip size="small" variant="outlined" data-testid="cred-keeps" sx={{ ml: 1 }} label="NT hash only" title="Only the NT hash is kept: packages install as SYSTEM, not as this account." />
      )}
    </>
  );
}
