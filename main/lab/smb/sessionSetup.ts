// SESSION_SETUP as the server (MS-SMB2 3.3.5.5): SPNEGO around NTLMv2, the host's accounts
// checked as a workgroup Windows host checks them, session keys (3.3.5.5.3: 2.x signs with the
// session key; 3.x derives signing and cipher keys, 3.1.1 over the session's preauth hash), the
// SPNEGO mechListMIC both ways, and the signed final response. Failures answer
// STATUS_LOGON_FAILURE after Windows 24H2's authentication rate-limiter delay.
import crypto from 'node:crypto';
import { ntHash } from '../../smb/auth/ntlm/keys.js';
import { decodeAuthenticateMessage, decodeNegotiateMessage } from '../../smb/auth/ntlm/messages.js';
import { filetimeNow } from '../../smb/auth/ntlm/wire.js';
import { NTLMSSP_OID, NegState, ntlmMechListMic as mechListMic } from '../../smb/auth/spnego.js';
import { Cipher, Dialect } from '../../smb/codec/negotiate.js';
import { createNonceSource } from '../../smb/crypto/encryption.js';
import { deriveSmb3Keys } from '../../smb/crypto/kdf.js';
import type { LabAccount, LabHostConfig } from '../hostState.js';
import type { LabHostContext, LabSession, Result } from './model.js';
import { extendPreauthHash } from '../../smb/negotiation.js';
import { decodeSessionSetupRequest, encodeSessionSetupResponse } from '../../smb/codec/sessionSetup.js';
import type { NegotiatedConnection } from './negotiate.js';
import { buildChallengeMessage, verifyNtlmV2, type ChallengeIdentity } from './ntlmServer.js';
import { decodeClientToken, encodeServerNegTokenResp, type ClientToken } from './spnegoServer.js';
import { Status } from '../../smb/ntstatus.js';

const MAX_SESSIONS_PER_CONNECTION = 16;
const SESSION_FLAG_BINDING = 0x01;

export interface SessionSetupConnection {
  readonly host: LabHostContext;
  readonly negotiated: NegotiatedConnection;
  readonly sessions: Map<bigint, LabSession>;
  /** A session became established (counts it on the host). */
  established(session: LabSession): void;
}

export function identityOf(config: LabHostConfig): ChallengeIdentity {
  return {
    netbiosComputer: config.name,
    netbiosDomain: config.domain || config.name,
    dnsComputer: config.dnsDomain ? `${config.name.toLowerCase()}.${config.dnsDomain}` : config.name.toLowerCase(),
    dnsDomain: config.dnsDomain,
    version: config.osVersion,
  };
}

/**
 * Accounts the client may mean: the user name matches case-insensitively, and the domain it sent is
 * '' / '.' / this host's name for a local account, or '' / the account's domain (NetBIOS or DNS form
 * of the host's own domain) for a domain account.
 */
export function candidateAccounts(config: LabHostConfig, user: string, domain: string): LabAccount[] {
  const d = domain.toLowerCase();
  const host = config.name.toLowerCase();
  return config.accounts.filter((a) => {
    if (a.user.toLowerCase() !== user.toLowerCase()) return false;
    const ad = a.domain.toLowerCase();
    if (ad === '' || ad === host) return d === '' || d === '.' || d === host;
    if (d === '' || d === ad) return true;
    return ad === config.domain.toLowerCase() && config.dnsDomain !== '' && d === config.dnsDomain.toLowerCase();
  });
}

function newSession(id: bigint, preauth: Buffer): LabSession {
  return {
    id, phase: 'new', preauth, ntlm: null, pendingMechTypesDer: null, user: '', domain: '',
    signingKey: null, signingAlgorithm: 'hmac-sha256', encryptKey: null, decryptKey: null, nextNonce: null, clientEncrypts: false, trees: new Map(), nextTreeId: 1,
  };
}

export async function handleSessionSetup(conn: SessionSetupConnection, header: { sessionId: bigint }, message: Buffer): Promise<Result> {
  let setup;
  try {
    setup = decodeSessionSetupRequest(message);
  } catch {
    return { status: Status.INVALID_PARAMETER };
  }
  if (setup.flags & SESSION_FLAG_BINDING) return { status: Status.REQUEST_NOT_ACCEPTED };
  const dialect = conn.negotiated.dialect;
  let session: LabSession;
  if (header.sessionId === 0n) {
    if (conn.sessions.size >= MAX_SESSIONS_PER_CONNECTION) return { status: Status.REQUEST_NOT_ACCEPTED };
    session = newSession(conn.host.newSessionId(), conn.negotiated.preauth);
    conn.sessions.set(session.id, session);
  } else {
    const found = conn.sessions.get(header.sessionId);
    if (!found) return { status: Status.USER_SESSION_DELETED };
    // Re-authentication of an established session is not something a push does.
    if (found.phase === 'established') return { status: Status.REQUEST_NOT_ACCEPTED, sessionId: found.id, signWith: found };
    session = found;
  }
  if (dialect === Dialect.SMB311) session.preauth = extendPreauthHash(session.preauth, message);

  let token: ClientToken;
  try {
    token = decodeClientToken(setup.securityBuffer);
  } catch {
    return fail(conn, session, 'malformed SPNEGO token');
  }
  const wrap = !(token.kind === 'init' && token.mechTypesDer === null);
  if (session.phase === 'new') return challenge(conn, session, token, wrap);
  return authenticate(conn, session, token);
}

function challenge(conn: SessionSetupConnection, session: LabSession, token: ClientToken, wrap: boolean): Result | Promise<Result> {
  const dialect = conn.negotiated.dialect;
  const more = (securityBuffer: Buffer): Result => ({
    status: Status.MORE_PROCESSING_REQUIRED,
    body: encodeSessionSetupResponse({ sessionFlags: 0, securityBuffer }),
    sessionId: session.id,
    sent: (response) => {
      if (dialect === Dialect.SMB311) session.preauth = extendPreauthHash(session.preauth, response);
    },
  });
  if (token.ntlm === null) {
    // The optimistic token is for another mechanism (Kerberos first): ask for NTLM instead (RFC 4178 §3.2 d).
    if (token.kind === 'init' && token.mechTypes.includes(NTLMSSP_OID)) {
      session.pendingMechTypesDer = token.mechTypesDer;
      return more(encodeServerNegTokenResp({ negState: NegState.ACCEPT_INCOMPLETE, supportedMech: true }));
    }
    return fail(conn, session, 'no NTLMSSP token offered');
  }
  let clientFlags: number;
  try {
    clientFlags = decodeNegotiateMessage(token.ntlm).flags;
  } catch {
    return fail(conn, session, 'malformed NTLM NEGOTIATE');
  }
  const serverChallenge = crypto.randomBytes(8);
  const challengeMessage = buildChallengeMessage(clientFlags, serverChallenge, filetimeNow(), identityOf(conn.host.state.config));
  session.ntlm = {
    negotiate: Buffer.from(token.ntlm),
    challenge: challengeMessage,
    serverChallenge,
    mechTypesDer: token.kind === 'init' ? token.mechTypesDer : session.pendingMechTypesDer,
    spnego: wrap,
  };
  session.phase = 'challenged';
  return more(wrap ? encodeServerNegTokenResp({ negState: NegState.ACCEPT_INCOMPLETE, supportedMech: true, responseToken: challengeMessage }) : challengeMessage);
}

async function authenticate(conn: SessionSetupConnection, session: LabSession, token: ClientToken): Promise<Result> {
  const ntlm = session.ntlm;
  if (!ntlm || token.ntlm === null) return fail(conn, session, 'no NTLM AUTHENTICATE');
  let auth;
  try {
    auth = decodeAuthenticateMessage(token.ntlm);
  } catch {
    return fail(conn, session, 'malformed NTLM AUTHENTICATE');
  }
  const config = conn.host.state.config;
  if (config.profile === 'wrong-credentials') return fail(conn, session, `profile wrong-credentials (${auth.domain}\\${auth.user})`);
  // MS-APDS 3.1.5: a server whose policy blocks NTLM answers the AUTHENTICATE with STATUS_NTLM_BLOCKED
  // (MS-ERREF 2.3.1 0xC0000418), whatever the account; only Kerberos would log on.
  if (config.profile === 'ntlm-blocked') return fail(conn, session, `profile ntlm-blocked: NTLM refused for ${auth.domain}\\${auth.user}`, Status.NTLM_BLOCKED);
  let verified = null;
  for (const account of candidateAccounts(config, auth.user, auth.domain)) {
    verified = verifyNtlmV2({
      auth,
      authMessage: token.ntlm,
      negotiateMessage: ntlm.negotiate,
      challengeMessage: ntlm.challenge,
      serverChallenge: ntlm.serverChallenge,
      ntHash: ntHash(account.password),
    });
    if (verified) break;
  }
  if (!verified) return fail(conn, session, `bad credentials for ${auth.domain}\\${auth.user}`);
  const clientMic = token.kind === 'resp' ? token.mechListMic : null;
  if (clientMic && ntlm.mechTypesDer) {
    const expected = mechListMic(verified.exportedSessionKey, ntlm.mechTypesDer, 'client', verified.keyExchange);
    if (clientMic.length !== expected.length || !crypto.timingSafeEqual(clientMic, expected)) return fail(conn, session, 'bad SPNEGO mechListMIC');
  }

  deriveKeys(conn.negotiated, session, verified.exportedSessionKey);
  session.user = auth.user;
  session.domain = auth.domain;
  session.phase = 'established';
  session.ntlm = null;
  conn.established(session);
  const serverMic = clientMic && ntlm.mechTypesDer ? mechListMic(verified.exportedSessionKey, ntlm.mechTypesDer, 'server', verified.keyExchange) : undefined;
  const securityBuffer = ntlm.spnego ? encodeServerNegTokenResp({ negState: NegState.ACCEPT_COMPLETED, ...(serverMic ? { mechListMic: serverMic } : {}) }) : Buffer.alloc(0);
  return { status: Status.SUCCESS, body: encodeSessionSetupResponse({ sessionFlags: 0, securityBuffer }), sessionId: session.id, signWith: session };
}

/** MS-SMB2 3.3.5.5.3: Session.SessionKey, SigningKey, EncryptionKey and DecryptionKey. */
function deriveKeys(n: NegotiatedConnection, session: LabSession, exportedSessionKey: Buffer): void {
  if (n.dialect < Dialect.SMB300) {
    session.signingKey = exportedSessionKey;
    session.signingAlgorithm = 'hmac-sha256';
    return;
  }
  const keys = deriveSmb3Keys({
    dialect: n.dialect as 0x0300 | 0x0302 | 0x0311,
    sessionKey: exportedSessionKey,
    ...(n.dialect === Dialect.SMB311 ? { preauthHash: session.preauth } : {}),
    cipherKeyBits: n.cipher === Cipher.AES256_CCM || n.cipher === Cipher.AES256_GCM ? 256 : 128,
  });
  session.signingKey = keys.signingKey;
  session.signingAlgorithm = n.dialect === Dialect.SMB311 ? n.signingAlgorithm : 'aes-cmac';
  session.decryptKey = keys.encryptionKey;
  session.encryptKey = keys.decryptionKey;
  if (n.cipher !== null) session.nextNonce = createNonceSource(n.cipher, (k) => crypto.randomBytes(k));
}

async function fail(conn: SessionSetupConnection, session: LabSession, why: string, status: number = Status.LOGON_FAILURE): Promise<Result> {
  conn.sessions.delete(session.id);
  conn.host.state.counters.logonFailures++;
  conn.host.log(`logon failed: ${why}`);
  if (conn.host.logonFailureDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, conn.host.logonFailureDelayMs));
  return { status, sessionId: session.id };
}
