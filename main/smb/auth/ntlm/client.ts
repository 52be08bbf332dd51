// NTLMv2 client (MS-NLMP): the initiator that answers a CHALLENGE with an AUTHENTICATE message
// (3.1.5.1.2) from the shared codecs (messages.ts, avPairs.ts) and keys (keys.ts), and the module
// the rest of the console imports NTLM from. Randomness is injected; the clock is read only when
// neither the caller nor the server's MsvAvTimestamp supplies the time ("Set Time to Currenttime").
import { clientAvPairs, readAvPairs } from './avPairs.js';
import { computeLmV2Response, computeMic, computeNtlmV2Response, exchangeSessionKey, ntowfV2, requireLength } from './keys.js';
import { CLIENT_FLAGS, MIC_OFFSET, encodeAuthenticateMessage, type ChallengeMessage } from './messages.js';
import { NegotiateFlag, filetimeNow } from './wire.js';

export { AvId, type AvPairs } from './avPairs.js';
export { decodeChallengeMessage, encodeNegotiateMessage, type ChallengeMessage } from './messages.js';
export { computeMic, computeNtlmV2Response, ntHash, ntlmMessageSignature, ntowfV2 } from './keys.js';
export { NegotiateFlag, NtlmFormatError, type NtlmVersion } from './wire.js';

/** `DOMAIN\user`, `user@domain` or `user`; `.\user` and a bare user mean a local account (domain ''). */
export function parseUserName(s: string): { user: string; domain: string } {
  const slash = s.indexOf('\\');
  if (slash >= 0) {
    const domain = s.slice(0, slash);
    return { user: s.slice(slash + 1), domain: domain === '.' ? '' : domain };
  }
  const at = s.lastIndexOf('@');
  if (at > 0) return { user: s.slice(0, at), domain: s.slice(at + 1) };
  return { user: s, domain: '' };
}

/**
 * `.\user`: explicitly a local account of the computer logged on to. Its NTLM domain is then that
 * computer's own NetBIOS name, which the server gives in its CHALLENGE (MsvAvNbComputerName,
 * MS-NLMP 2.2.2.1): the NTLMv2 key is NTOWFv2(hash, user, UserDom) over the domain as sent
 * (MS-NLMP 3.3.2), and a Windows server resolves its own name to its local account database — a
 * domain member included, where an empty domain may be passed on to a domain controller. It is
 * what `HOSTNAME\user` says by hand, and what tools that log on with a local account send.
 */
export function isLocalAccountName(s: string): boolean {
  return s.startsWith('.\\');
}

/** The domain to send for a user name, given the server's CHALLENGE: `.\user` → the server's NetBIOS computer name (else ''). */
export function authenticateDomain(s: string, challenge: Pick<ChallengeMessage, 'avPairs'>): string {
  if (isLocalAccountName(s)) return challenge.avPairs.netbiosComputerName ?? '';
  return parseUserName(s).domain;
}

export interface AuthenticateOptions {
  negotiateMessage: Buffer;
  challengeMessage: Buffer;
  challenge: ChallengeMessage;
  user: string;
  domain: string;
  workstation: string;
  ntHash: Buffer;
  /** 8 random bytes. */
  clientChallenge: Buffer;
  /** 16 random bytes; used only when KEY_EXCH is negotiated. */
  exportedSessionKey: Buffer;
  /** Default: the challenge's MsvAvTimestamp, else the current time. */
  timestamp?: bigint;
  /** MsvAvTargetName, e.g. 'cifs/host'; omitted from TargetInfo when not given. */
  targetSpn?: string;
}

export interface AuthenticateResult {
  message: Buffer;
  /** The SMB session key (MS-SMB2 3.2.5.3.1). */
  exportedSessionKey: Buffer;
  sessionBaseKey: Buffer;
  /** The NegotiateFlags sent: the server's flags masked by the client's. */
  negotiatedFlags: number;
}

/** AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3) with an NTLMv2 response, key exchange and MIC. */
export function buildAuthenticateMessage(opts: AuthenticateOptions): AuthenticateResult {
  const { challenge } = opts;
  requireLength(opts.exportedSessionKey, 16, 'the exported session key');
  const negotiatedFlags = ((challenge.flags & CLIENT_FLAGS) | NegotiateFlag.UNICODE) >>> 0;
  const serverTimestamp = challenge.avPairs.timestamp;
  const timestamp = opts.timestamp ?? serverTimestamp ?? filetimeNow();

  const responseKey = ntowfV2(opts.ntHash, opts.user, opts.domain);
  const avPairs = clientAvPairs(readAvPairs(challenge.targetInfo), challenge.avPairs.flags ?? 0, opts.targetSpn);
  const { ntChallengeResponse, sessionBaseKey } = computeNtlmV2Response(responseKey, challenge.serverChallenge, opts.clientChallenge, timestamp, avPairs);
  // MS-NLMP 3.1.5.1.2: with MsvAvTimestamp the LM response is Z(24); otherwise LMv2 (3.3.2).
  const lmChallengeResponse =
    serverTimestamp !== undefined ? Buffer.alloc(24) : computeLmV2Response(responseKey, challenge.serverChallenge, opts.clientChallenge);
  const { exportedSessionKey, encryptedRandomSessionKey } = exchangeSessionKey(negotiatedFlags, sessionBaseKey, opts.exportedSessionKey);

  const message = encodeAuthenticateMessage({
    lmChallengeResponse,
    ntChallengeResponse,
    domain: opts.domain,
    user: opts.user,
    workstation: opts.workstation,
    encryptedRandomSessionKey,
    negotiatedFlags,
  });
  computeMic(exportedSessionKey, opts.negotiateMessage, opts.challengeMessage, message).copy(message, MIC_OFFSET);
  return { message, exportedSessionKey, sessionBaseKey, negotiatedFlags };
}
