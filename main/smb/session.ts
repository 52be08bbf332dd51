// MS-SMB2 3.2.1.3 Session: the logon as Windows negotiates it (MS-SPNG, MS-KILE 3.2.5) — Kerberos
// first for a target named by DNS name with a domain credential that keeps its password
// (sessionKerberos.ts), NTLMv2 inside SPNEGO over two SESSION_SETUP legs otherwise or when
// Kerberos cannot be had (3.2.4.2.3, 3.2.5.3); the policy `kerberos-only` never sends NTLM,
// `ntlm-only` never tries Kerberos. Then the keys (sessionKeys.ts), encryption when the server or
// the share requires it or the console asks for it, and LOGOFF.
import crypto from 'node:crypto';
import {
  NegotiateFlag, buildAuthenticateMessage, decodeChallengeMessage, encodeNegotiateMessage, ntHash, ntlmMessageSignature, parseUserName, authenticateDomain,
  type ChallengeMessage,
} from './auth/ntlm/client.js';
import { NegState, decodeNegTokenResp, encodeMechTypeList, encodeNegTokenInit, encodeNegTokenResp } from './auth/spnego.js';
import { Command } from './codec/header.js';
import { Dialect, SecurityMode } from './codec/negotiate.js';
import { decodeSessionSetupResponse, encodeSessionSetupRequest } from './codec/sessionSetup.js';
import { encodeEmptyBody } from './codec/errorBody.js';
import { asProtocolError, extendPreauthHash, type SessionSecurity, type SmbConnection } from './connection.js';
import { SmbProtocolError, SmbStatusError } from './errors.js';
import { Status } from './ntstatus.js';
import { acceptSessionFlags, deriveSessionKeys } from './sessionKeys.js';
import { kerberosSession, kerberosUnusable, mayFallBackToNtlm } from './sessionKerberos.js';
import type { KerberosLogon } from './auth/kerberos/logon.js';

/** Which mechanisms a logon may use (Configuration → Authentication, `pushctl --auth`). */
export type AuthPolicy = 'negotiate' | 'kerberos-only' | 'ntlm-only';
export type AuthMechanism = 'kerberos' | 'ntlm';

export interface SmbCredentials {
  /** `DOMAIN\user`, `user@domain`, a local `user`, or `.\user` (local: the server's own NetBIOS name is sent as the domain). */
  readonly user: string;
  readonly password?: string;
  /** The NT hash (MD4 of the UTF-16LE password) held instead of the password. */
  readonly ntHash?: Buffer;
  readonly workstation?: string;
  /** The credential's Kerberos identity and ticket cache; absent: NTLM only. */
  readonly kerberos?: KerberosLogon;
}

export interface SessionOptions {
  /** Encrypt whenever the server supports SMB 3 encryption, not only when it requires it. */
  readonly encryptWhenSupported?: boolean;
  /** The name the console used for the server (MsvAvTargetName `cifs/<host>`). */
  readonly targetHost: string;
  /** Default 'negotiate'. */
  readonly auth?: AuthPolicy;
}

export class SmbSession {
  constructor(
    readonly connection: SmbConnection,
    readonly security: SessionSecurity,
    /** Which mechanism logged on. */
    readonly mechanism: AuthMechanism,
    /** The server's NTLM CHALLENGE (names, domain, OS version); null with Kerberos. */
    readonly challenge: ChallengeMessage | null,
    /** Why Kerberos was not used where it was tried (negotiate fell back to NTLM), for the step log. */
    readonly fallback: string | null = null,
  ) {}

  get sessionId(): bigint {
    return this.security.sessionId;
  }

  get encrypted(): boolean {
    return this.security.encryptData;
  }

  static async setup(connection: SmbConnection, credentials: SmbCredentials, options: SessionOptions): Promise<SmbSession> {
    try {
      return await SmbSession.authenticate(connection, credentials, options);
    } catch (error) {
      throw asProtocolError(error);
    }
  }

  private static async authenticate(connection: SmbConnection, credentials: SmbCredentials, options: SessionOptions): Promise<SmbSession> {
    const policy = options.auth ?? 'negotiate';
    let fallback: string | null = null;
    if (policy !== 'ntlm-only') {
      const unusable = kerberosUnusable(credentials, options.targetHost);
      if (unusable === null) {
        try {
          return new SmbSession(connection, await kerberosSession(connection, credentials, options), 'kerberos', null);
        } catch (error) {
          if (policy === 'kerberos-only' || !mayFallBackToNtlm(error)) throw error;
          fallback = (error as Error).message;
        }
      } else if (policy === 'kerberos-only') {
        throw unusable;
      }
    }
    return SmbSession.ntlm(connection, credentials, options, fallback);
  }

  private static async ntlm(connection: SmbConnection, credentials: SmbCredentials, options: SessionOptions, fallback: string | null): Promise<SmbSession> {
    const hash = credentials.ntHash ?? (credentials.password !== undefined ? ntHash(credentials.password) : null);
    if (!hash) throw new SmbProtocolError('No password or NT hash was given for the session.', 'logon-failure', 'Set the credentials for this computer (Set Credentials…).');
    const { user } = parseUserName(credentials.user);
    const negotiateMessage = encodeNegotiateMessage();
    const leg1 = await challengeLeg(connection, negotiateMessage);
    // `.\user` (a LAPS-managed local Administrator): the server's own NetBIOS name as the domain.
    const domain = authenticateDomain(credentials.user, leg1.challenge);
    const auth = buildAuthenticateMessage({
      negotiateMessage,
      challengeMessage: leg1.challengeToken,
      challenge: leg1.challenge,
      user,
      domain,
      workstation: credentials.workstation ?? '',
      ntHash: hash,
      clientChallenge: connection.random(8),
      exportedSessionKey: connection.random(16),
      targetSpn: `cifs/${options.targetHost}`,
    });
    const security: SessionSecurity = {
      sessionId: leg1.sessionId,
      signingKey: null,
      signingAlgorithm: connection.signingAlgorithm,
      signingRequired: true,
      encryptData: false,
      encryptionKey: null,
      decryptionKey: null,
    };
    // SPNEGO mechListMIC (MS-SPNG 3.3.5.1): Samba and Windows expect it once the NTLM MIC is sent.
    const keyExchange = (leg1.challenge.flags & NegotiateFlag.KEY_EXCH) !== 0;
    const mechListMic = ntlmMessageSignature(auth.exportedSessionKey, encodeMechTypeList(), { sender: 'client', keyExchange });
    connection.registerSession(security);
    try {
      const second = await connection.request(
        Command.SESSION_SETUP,
        encodeSessionSetupRequest({ securityMode: SecurityMode.SIGNING_ENABLED, capabilities: 0, securityBuffer: encodeNegTokenResp(auth.message, mechListMic, NegState.ACCEPT_INCOMPLETE) }),
        { session: security, beforeSend: (lastRequest) => deriveSessionKeys(connection, security, auth.exportedSessionKey, leg1.preauth, lastRequest) },
      );
      if (second.header.status !== Status.SUCCESS) throw new SmbStatusError(second.header.status, 'SESSION_SETUP', `as ${credentials.user}`);
      const { sessionFlags, securityBuffer } = decodeSessionSetupResponse(second.message);
      verifyServerMic(securityBuffer, auth.exportedSessionKey, keyExchange);
      acceptSessionFlags(connection, security, sessionFlags, credentials.user, options.encryptWhenSupported === true);
      return new SmbSession(connection, security, 'ntlm', leg1.challenge, fallback);
    } catch (error) {
      connection.forgetSession(security.sessionId);
      throw error;
    }
  }

  async logoff(): Promise<void> {
    if (this.connection.isClosed) return;
    try {
      await this.connection.request(Command.LOGOFF, encodeEmptyBody(), { session: this.security, timeoutMs: 5000 });
    } finally {
      this.connection.forgetSession(this.sessionId);
    }
  }
}

/** The first SESSION_SETUP leg: NEGOTIATE_MESSAGE in a NegTokenInit out, the server's CHALLENGE_MESSAGE back (MS-SMB2 3.2.5.3). */
async function challengeLeg(connection: SmbConnection, negotiateMessage: Buffer): Promise<{ challengeToken: Buffer; challenge: ChallengeMessage; sessionId: bigint; preauth: Buffer }> {
  const first = await connection.request(
    Command.SESSION_SETUP,
    encodeSessionSetupRequest({ securityMode: SecurityMode.SIGNING_ENABLED, capabilities: 0, securityBuffer: encodeNegTokenInit(negotiateMessage) }),
  );
  if (first.header.status !== Status.MORE_PROCESSING_REQUIRED) throw new SmbStatusError(first.header.status, 'SESSION_SETUP');
  let preauth = connection.preauthHash;
  if (connection.dialect === Dialect.SMB311) preauth = extendPreauthHash(extendPreauthHash(preauth, first.request), first.message);
  const challengeToken = decodeNegTokenResp(decodeSessionSetupResponse(first.message).securityBuffer).responseToken;
  if (!challengeToken) throw new SmbProtocolError('The server\'s SESSION_SETUP response carries no NTLM challenge.');
  return { challengeToken, challenge: decodeChallengeMessage(challengeToken), sessionId: first.header.sessionId, preauth };
}

/** The server's SPNEGO mechListMIC, when it sends one, must verify (MS-SPNG 3.3.5.1): else the logon was tampered with. */
function verifyServerMic(securityBuffer: Buffer, sessionKey: Buffer, keyExchange: boolean): void {
  const serverMic = securityBuffer.length > 0 ? decodeNegTokenResp(securityBuffer).mechListMic : undefined;
  if (!serverMic) return;
  const expected = ntlmMessageSignature(sessionKey, encodeMechTypeList(), { sender: 'server', keyExchange });
  if (serverMic.length !== expected.length || !crypto.timingSafeEqual(serverMic, expected)) {
    throw new SmbProtocolError('The server\'s SPNEGO mechListMIC does not verify.', 'smb-integrity', 'Something between the console and the computer tampers with the logon; check the network path.');
  }
}
