// `--auth` and `--kdc`, the Authentication settings of one pushctl run (push and diagnose):
// negotiate (default: Kerberos for a computer named by DNS name with a domain account, else
// NTLMv2), kerberos-only (never NTLM), ntlm-only; the KDCs by address (repeatable; default: the
// saved setting, else DNS SRV _kerberos._tcp.<realm>). `--realm DOMAIN=REALM` maps a NetBIOS domain.
import type { Settings } from '../ipc/contract.js';
import { parseKdcAddress } from '../smb/auth/kerberos/kdcTransport.js';

export const AUTH_OPTIONS = {
  auth: { type: 'string' },
  kdc: { type: 'string', multiple: true },
  realm: { type: 'string', multiple: true },
} as const;

export const AUTH_USAGE = '[--auth negotiate|kerberos-only|ntlm-only] [--kdc HOST[:PORT]]… [--realm DOMAIN=REALM]…';

export type AuthSettings = Partial<Pick<Settings, 'authentication' | 'kdcAddresses' | 'kerberosRealms'>>;

/** The run's Authentication settings from the options, or what is wrong with them. */
export function parseAuthArgs(values: { auth?: string | boolean; kdc?: (string | boolean)[]; realm?: (string | boolean)[] }): AuthSettings | string {
  const out: AuthSettings = {};
  if (values.auth !== undefined) {
    if (values.auth !== 'negotiate' && values.auth !== 'kerberos-only' && values.auth !== 'ntlm-only') return '--auth must be negotiate, kerberos-only or ntlm-only';
    out.authentication = values.auth;
  }
  if (values.kdc?.length) {
    const kdcs = values.kdc.map(String);
    try {
      kdcs.forEach(parseKdcAddress);
    } catch (error) {
      return `--kdc: ${(error as Error).message}`;
    }
    out.kdcAddresses = kdcs.join(',');
  }
  if (values.realm?.length) {
    const pairs = values.realm.map(String);
    const bad = pairs.find((p) => !/^[\w.-]+=[\w.-]+$/.test(p));
    if (bad !== undefined) return `--realm "${bad}" is not DOMAIN=REALM`;
    out.kerberosRealms = pairs.join(',');
  }
  return out;
}
