// How a stored credential is named wherever it is shown (DOMAIN\user, or LAPS and its directory) and
// the badges that say where its secret is kept and what it is.
import { Chip } from '@mui/material';
import type { Credential } from '../../main/ipc/contract';

/** The server of an ldap(s):// URL, without its port, for a short label. */
function serverOf(url: string): string {
  return url.replace(/^ldaps?:\/\//i, '').replace(/\/.*$/, '').replace(/:\d+$/, '');
}

export function credentialLabel(c: Pick<Credential, 'domain' | 'user'> & Partial<Pick<Credential, 'laps'>>): string {
  if (c.laps) return `LAPS · ${serverOf(c.laps.url)}`;
  return c.domain ? `${c.domain}\\${c.user}` : c.user;
}

/** The whole story of a credential, for a tooltip: a LAPS one names its directory and reading account. */
export function credentialTitle(c: Pick<Credential, 'domain' | 'user'> & Partial<Pick<Credential, 'laps'>>): string {
  if (c.laps) return `Each computer's own local Administrator password, read from ${c.laps.url} (${c.laps.baseDn}) as ${c.laps.bindDn}`;
  return credentialLabel(c);
}

/** Where a credential's secret is kept and what it is: the admin sees it next to every stored credential. */
export function CredentialBadges(props: { credential: Pick<Credential, 'storage' | 'keeps'> & Partial<Pick<Credential, 'laps'>> }) {
  const { storage, keeps, laps } = props.credential;
  return (
    <>
      {laps && (
        <Chip
          size="small"
          variant="outlined"
          color="primary"
          data-testid="cred-laps"
          sx={{ ml: 1 }}
          label="LAPS"
          title={`Each computer's own local Administrator password, read from ${laps.url} (${laps.baseDn}) as ${laps.bindDn} when its push starts.`}
        />
      )}
      <Chip
        size="small"
        variant="outlined"
        data-testid="cred-storage"
        sx={{ ml: 1 }}
        color={storage === 'keychain' ? 'success' : 'default'}
        label={storage === 'keychain' ? 'keychain' : 'memory only'}
        title={
          (storage === 'keychain' ? 'Kept in the OS keychain: still there after the console restarts.' : 'Kept in memory only: gone when the console stops.') +
          (laps ? ' (The password of the account that reads LAPS.)' : '')
        }
      />
      {keeps === 'nt-hash' && (
        <Chip size="small" variant="outlined" data-testid="cred-keeps" sx={{ ml: 1 }} label="NT hash only" title="Only the NT hash is kept: packages install as SYSTEM, not as this account." />
      )}
    </>
  );
}
