// The Kerberos logon of MS-SMB2 3.2.4.2.3 / 3.2.5.3 as a Windows client makes it: the first
// SESSION_SETUP carries a NegTokenInit listing MS-KRB5, KRB5 and NTLMSSP with the AP-REQ as the
// optimistic token (MS-SPNG 3.1.5.1, RFC 4178 §4.2.1); the server answers SUCCESS with the AP-REP
// (one leg), or MORE_PROCESSING_REQUIRED when SPNEGO wants the mechListMIC exchanged (RFC 4178
// §5), then SUCCESS. The session key is the GSS context's (RFC 4121 §2); the final response is
// signed with the keys derived from it (MS-SMB2 3.3.5.5.3), so it is verified once they exist.
import { ConsoleError } from '../ipc/errors.js';
import { KerberosError } from './auth/kerberos/errors.js';
import { hasSpnName } from './auth/kerberos/logon.js';
import { KRB5_OID, MS_KRB5_OID, NTLMSSP_OID, NegState, decodeNegTokenResp, encodeMechTypeList, encodeNegTokenInit, encodeNegTokenResp } from './auth/spnego.js';
import { Command } from './codec/header.js';
import { Dialect, SecurityMode } from './codec/negotiate.js';
import { decodeSessionSetupResponse, encodeSessionSetupRequest } from './codec/sessionSetup.js';
import { extendPreauthHash, type SessionSecurity, type SmbConnection } from './connection.js';
import { SmbProtocolError, SmbStatusError } from './errors.js';
import { responseIntegrityProblem } from './messageSecurity.js';
import { Status } from './ntstatus.js';
import { acceptSessionFlags, deriveSessionKeys } from './sessionKeys.js';
import type { SessionOptions, SmbCredentials } from './session.js';

/** What Windows' SMB client lists (MS-SPNG 3.1.5.1): Microsoft's Kerberos OID first, then RFC 4121's, then NTLM. */
const MECHS = [MS_KRB5_OID, KRB5_OID, NTLMSSP_OID];

/** Why Kerberos cannot be tried for this target with these credentials, as the error `kerberos-only` reports; null when it can. */
export function kerberosUnusable(credentials: SmbCredentials, targetHost: string): KerberosError | null {
  if (!hasSpnName(targetHost)) {
    return new KerberosError('kerberos-no-spn', `${targetHost} is an address: Kerberos needs the computer's DNS name (no SPN names an address).`, 'Push by the computer\'s DNS name (pc1.corp.example.com), or allow NTLM (Authentication: negotiate).', 'NO_SPN_FOR_ADDRESS');
  }
  const kerberos = credentials.kerberos;
  if (!kerberos || !kerberos.isDomainAccount(targetHost)) {
    return new KerberosError('ntlm-blocked', `${credentials.user} is not a domain account the console can use with Kerberos, and NTLM is not allowed (Authentication: kerberos-only).`, 'Use a domain account as user@domain.fqdn or DOMAIN\\user (with its realm in Configuration → Authentication), or allow NTLM (negotiate).', 'NOT_A_DOMAIN_ACCOUNT');
  }
  if (!kerberos.hasKey()) {
    return new KerberosError('ntlm-blocked', `Kerberos cannot be used for ${credentials.user}: only its NT hash is held, and Kerberos with AES needs the password; NTLM is not allowed (Authentication: kerberos-only).`, 'Set the credential again keeping the password, or allow NTLM (negotiate).', 'NO_KERBEROS_KEY');
  }
  return null;
}

/** Negotiate falls back to NTLM, as Windows does, when Kerberos cannot be had; not when the account or the clock is wrong. */
export function mayFallBackToNtlm(error: unknown): boolean {
  if (!(error instanceof ConsoleError)) return false;
  return ['kdc-unreachable', 'kerberos-no-spn', 'kerberos-etype', 'kerberos-principal-unknown', 'credentials-missing'].includes(error.errorClass);
}

/** The Kerberos logon; returns the established session's security (the caller makes the SmbSession). */
export async function kerberosSession(connection: SmbConnection, credentials: SmbCredentials, options: SessionOptions): Promise<SessionSecurity> {
  const context = await credentials.kerberos!.initiate(options.targetHost);
  const setup = (securityBuffer: Buffer, session?: SessionSecurity, beforeSend?: (request: Buffer) => void) =>
    connection.request(Command.SESSION_SETUP, encodeSessionSetupRequest({ securityMode: SecurityMode.SIGNING_ENABLED, capabilities: 0, securityBuffer }), { ...(session ? { session } : {}), ...(beforeSend ? { beforeSend } : {}) });

  const first = await setup(encodeNegTokenInit(context.token, MECHS));
  if (first.header.status !== Status.SUCCESS && first.header.status !== Status.MORE_PROCESSING_REQUIRED) {
    throw new SmbStatusError(first.header.status, 'SESSION_SETUP', `Kerberos logon as ${credentials.user}`);
  }
  const reply = decodeNegTokenResp(decodeSessionSetupResponse(first.message).securityBuffer);
  if (reply.negState === NegState.REJECT) throw new SmbProtocolError('The computer rejected the Kerberos logon (SPNEGO reject).', 'logon-failure', 'Check that the computer is in the account\'s domain, or allow NTLM (Authentication: negotiate).');
  if (!reply.responseToken) throw new SmbProtocolError('The computer\'s SESSION_SETUP answer carries no AP-REP.', 'kerberos-protocol');
  const established = context.complete(reply.responseToken);
  const security: SessionSecurity = {
    sessionId: first.header.sessionId,
    signingKey: null,
    signingAlgorithm: connection.signingAlgorithm,
    signingRequired: true,
    encryptData: false,
    encryptionKey: null,
    decryptionKey: null,
  };
  const mechTypes = encodeMechTypeList(MECHS);
  if (reply.mechListMic && !established.verifyMic(mechTypes, reply.mechListMic)) {
    throw new SmbProtocolError('The computer\'s SPNEGO mechListMIC does not verify.', 'smb-integrity', 'Something between the console and the computer tampers with the logon; check the network path.');
  }
  let preauth = connection.preauthHash;
  let final = first;
  connection.registerSession(security);
  try {
    if (first.header.status === Status.MORE_PROCESSING_REQUIRED) {
      // RFC 4178 §5: the acceptor asked for the MIC over the mechanism list (it chose another mechanism, or insists).
      if (connection.dialect === Dialect.SMB311) preauth = extendPreauthHash(extendPreauthHash(preauth, first.request), first.message);
      const leg2Preauth = preauth;
      final = await setup(encodeNegTokenResp(undefined, established.mic(mechTypes)), security, (request) => deriveSessionKeys(connection, security, established.sessionKey, leg2Preauth, request));
      if (final.header.status !== Status.SUCCESS) throw new SmbStatusError(final.header.status, 'SESSION_SETUP', `Kerberos logon as ${credentials.user}`);
    } else {
      deriveSessionKeys(connection, security, established.sessionKey, preauth, first.request);
      const problem = responseIntegrityProblem({ command: Command.SESSION_SETUP, session: security, encrypted: false }, new Map(), final.header, final.message, false);
      if (problem) throw problem;
    }
    acceptSessionFlags(connection, security, decodeSessionSetupResponse(final.message).sessionFlags, credentials.user, options.encryptWhenSupported === true);
    return security;
  } catch (error) {
    connection.forgetSession(security.sessionId);
    throw error;
  }
}
