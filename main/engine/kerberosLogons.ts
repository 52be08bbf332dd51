// The engine's Kerberos identities: one KerberosLogon (its TGT and service tickets, in memory
// only) per credential and task, so a task's pushes share one AS exchange and each computer's
// ticket is fetched once; a changed Authentication setting starts afresh. The password is asked
// of the vault when an AS exchange needs it (never copied here); an NT-hash-only credential has
// none, and logs on with NTLM (or fails under kerberos-only, saying why).
import type { Settings } from '../ipc/contract.js';
import { KerberosLogon, parseRealmMap, type KerberosSettings } from '../smb/auth/kerberos/logon.js';
import { parseKdcAddress } from '../smb/auth/kerberos/kdcTransport.js';
import type { AuthPolicy, SmbCredentials } from '../smb/session.js';
import { qualifiedUser, type CredentialVault, type LogonCredential } from './credentials.js';

/** Identities kept at once (oldest dropped first): a console pushes with a handful of credentials. */
const MAX_LOGONS = 256;

/** The Kerberos side of the Authentication settings: KDCs, realms, the per-KDC bound. */
export function kerberosSettings(settings: Pick<Settings, 'kdcAddresses' | 'kerberosRealms' | 'connectTimeoutSeconds'>, extra: Partial<KerberosSettings> = {}): KerberosSettings {
  return {
    kdcs: settings.kdcAddresses.split(/[,\s]+/).filter(Boolean).map(parseKdcAddress),
    realms: parseRealmMap(settings.kerberosRealms),
    timeoutMs: Math.max(3, settings.connectTimeoutSeconds) * 1000,
    ...extra,
  };
}

export class KerberosLogons {
  private readonly logons = new Map<string, KerberosLogon>();

  constructor(
    private readonly vault: Pick<CredentialVault, 'installCredential'>,
    private readonly settings: () => Settings,
    /** Tests inject a clock or KDC lookups here. */
    private readonly extra: Partial<KerberosSettings> = {},
  ) {}

  /** A credential's Kerberos identity for one scope (a task, Remove Leftovers). */
  logon(credential: LogonCredential, scope: string): KerberosLogon {
    const s = this.settings();
    const key = `${scope}\u0000${credential.id}\u0000${s.kdcAddresses}\u0000${s.kerberosRealms}`;
    let held = this.logons.get(key);
    if (!held) {
      held = new KerberosLogon(qualifiedUser(credential), () => this.vault.installCredential(credential.id)?.password ?? null, kerberosSettings(s, this.extra));
      this.logons.set(key, held);
      for (const old of this.logons.keys()) {
        if (this.logons.size <= MAX_LOGONS) break;
        this.logons.get(old)?.clear();
        this.logons.delete(old);
      }
    }
    return held;
  }

  /** The SMB credentials of a push: the NT hash for NTLM, the Kerberos identity unless the policy is ntlm-only. */
  credentials(credential: LogonCredential, scope: string): SmbCredentials {
    const policy: AuthPolicy = this.settings().authentication;
    return { user: qualifiedUser(credential), ntHash: credential.ntHash, ...(policy !== 'ntlm-only' ? { kerberos: this.logon(credential, scope) } : {}) };
  }
}
