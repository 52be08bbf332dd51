// A LAPS credential's directory connection (docs/ARCHITECTURE.md §6): what is stored of it (never
// a password), the check that it can only be LDAPS or LDAP with StartTLS, and how it is listed.
import { ConsoleError } from '../ipc/errors.js';

/** Where a LAPS credential reads passwords: the directory, never a password. */
export interface LapsConnection {
  /** ldaps://dc01.corp.example[:636], or ldap://…[:389] with startTls. */
  readonly url: string;
  /** Where computer objects are searched (the subtree). */
  readonly baseDn: string;
  readonly startTls: boolean;
  /** Accept a certificate nobody vouches for (a lab directory). */
  readonly allowUntrusted: boolean;
  /** The directory's CA certificate(s), PEM; null: Node's own roots. */
  readonly caPem: string | null;
}

/** A LAPS credential as listed: the directory and the reading account, never a secret. */
export interface LapsSummary {
  readonly url: string;
  readonly baseDn: string;
  readonly startTls: boolean;
  readonly allowUntrusted: boolean;
  /** Whether a CA certificate was given. */
  readonly ca: boolean;
  /** The account that reads the LAPS passwords. */
  readonly bindDn: string;
}

/** A LAPS directory connection, checked: LDAPS, or LDAP with StartTLS (a LAPS password never crosses in clear), and a base DN. */
export function checkLapsConnection(c: LapsConnection): LapsConnection {
  const url = c.url.trim();
  const scheme = /^(ldaps?):\/\/[^/\s]+\/?$/i.exec(url)?.[1]?.toLowerCase();
  const advice = 'Give the directory as ldaps://server (port 636), or ldap://server (389) with StartTLS.';
  if (!scheme) throw new ConsoleError('invalid-request', 'The directory is not an ldap:// or ldaps:// URL.', advice);
  if (scheme === 'ldap' && !c.startTls) throw new ConsoleError('invalid-request', 'LAPS passwords are not read over plain LDAP.', `${advice} A LAPS password never crosses the network in clear.`);
  if (scheme === 'ldaps' && c.startTls) throw new ConsoleError('invalid-request', 'StartTLS is for ldap:// URLs; ldaps:// is TLS already.', advice);
  if (!c.baseDn.trim()) throw new ConsoleError('invalid-request', 'A LAPS credential needs the base DN its computers are under.', 'Give the domain, e.g. DC=corp,DC=example.');
  const caPem = c.caPem?.trim() ? c.caPem.trim() : null;
  if (caPem && !/-----BEGIN CERTIFICATE-----/.test(caPem)) throw new ConsoleError('invalid-request', 'The CA certificate is not PEM.', 'Paste the domain CA\'s certificate in PEM (-----BEGIN CERTIFICATE-----), or leave it empty.');
  return { url, baseDn: c.baseDn.trim(), startTls: c.startTls, allowUntrusted: c.allowUntrusted, caPem };
}

export function lapsSummary(directoryJson: string, bindDn: string): LapsSummary {
  const c = JSON.parse(directoryJson) as LapsConnection;
  return { url: c.url, baseDn: c.baseDn, startTls: c.startTls, allowUntrusted: c.allowUntrusted, ca: Boolean(c.caPem), bindDn };
}
