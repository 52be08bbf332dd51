// What a Kerberos failure means to the admin: each KRB-ERROR code the console meets (RFC 4120
// §7.5.9, MS-KILE 3.1.5) becomes a ConsoleError of one class (main/ipc/errorClasses.ts) with one
// sentence of advice; its code names the Kerberos error (KDC_ERR_PREAUTH_FAILED …) so the step
// log, History and `pushctl --json` say exactly what the domain controller answered.
import { ConsoleError, type ErrorClass } from '../../../ipc/errors.js';
import { KrbErrorCode, krbErrorName, type KrbError } from './messages.js';

export class KerberosError extends ConsoleError {
  /** The KRB-ERROR code, when a KDC or the target answered with one. */
  readonly krbCode: number | null;

  constructor(errorClass: ErrorClass, message: string, advice: string, code: string | null, krbCode: number | null = null) {
    super(errorClass, message, advice, code);
    this.name = 'KerberosError';
    this.krbCode = krbCode;
  }
}

/** The skew the KDC saw: its time (stime/susec) against the console's clock when it answered. */
export function skewSeconds(error: Pick<KrbError, 'stime' | 'susec'>, now: number): number {
  return Math.round((error.stime.getTime() + error.susec / 1000 - now) / 1000);
}

/** A KRB-ERROR from the KDC (or inside a target's SPNEGO reply) as the error the admin sees. */
export function fromKrbError(error: KrbError, what: { principal: string; spn?: string; now: number }): KerberosError {
  const name = krbErrorName(error.errorCode);
  const text = error.eText ? ` (${error.eText})` : '';
  const make = (cls: ErrorClass, message: string, advice: string) => new KerberosError(cls, `${message}${text}.`, advice, name, error.errorCode);
  switch (error.errorCode) {
    case KrbErrorCode.KDC_ERR_PREAUTH_FAILED:
      return make('logon-failure', `The domain controller refused the password of ${what.principal} (${name})`, 'Check the password set for this account (Set Credentials…); the account locks after repeated failures.');
    case KrbErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN:
      return make('kerberos-principal-unknown', `The domain controller does not know the account ${what.principal} (${name})`, 'Check the user name and its domain: user@domain.fqdn, or DOMAIN\\user with the domain\'s realm set in Configuration → Authentication.');
    case KrbErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN:
      return make('kerberos-no-spn', `The domain has no service principal ${what.spn ?? '(the computer)'} (${name})`, 'Push by the computer\'s DNS name (as it is registered in the domain), or the computer is not in the domain.');
    case KrbErrorCode.KRB_AP_ERR_SKEW: {
      const skew = skewSeconds(error, what.now);
      return make('clock-skew', `The console's clock differs from the domain controller's by ${Math.abs(skew)} s (${name}; the KDC's time is ${error.stime.toISOString()})`, 'Set the console computer\'s clock right (sync it with the domain\'s time source); Kerberos allows 5 minutes.');
    }
    case KrbErrorCode.KDC_ERR_ETYPE_NOSUPP:
      return make('kerberos-etype', `The domain controller and the console share no encryption type for ${what.principal} (${name}; the console offers AES-256 and AES-128 only)`, 'Enable AES for the account (msDS-SupportedEncryptionTypes, "This account supports Kerberos AES 256/128 bit encryption") and change its password once so AES keys exist.');
    case KrbErrorCode.KDC_ERR_CLIENT_REVOKED:
      return make('logon-failure', `The account ${what.principal} is disabled or locked out (${name})`, 'Unlock or enable the account in Active Directory, or use another administrator.');
    case KrbErrorCode.KDC_ERR_KEY_EXPIRED:
      return make('logon-failure', `The password of ${what.principal} has expired (${name})`, 'Change the account\'s password, then set the new one here (Set Credentials…).');
    case KrbErrorCode.KDC_ERR_WRONG_REALM:
      return make('kerberos-principal-unknown', `The domain controller is not in the account's realm (${name})`, 'Check the realm the console uses for this domain (Configuration → Authentication) and the KDC addresses.');
    default:
      return make('kerberos-protocol', `Kerberos failed for ${what.principal}${what.spn ? ` to ${what.spn}` : ''} with ${name}`, 'Check the account and the domain controller; the step log has the Kerberos error.');
  }
}

/** The KDC's or the target's bytes broke Kerberos (a malformed reply, a checksum that does not verify). */
export function kerberosProtocolError(message: string): KerberosError {
  return new KerberosError('kerberos-protocol', message, 'Check that the KDC is an Active Directory domain controller and that nothing alters the traffic; report it if it repeats.', null);
}
