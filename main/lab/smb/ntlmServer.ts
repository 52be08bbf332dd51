// The lab's NTLMv2 acceptor (MS-NLMP 3.2): which flags and names a Windows host answers a NEGOTIATE
// with, and how it checks an AUTHENTICATE against one account's NT hash (3.2.5.1.2). The messages,
// AV pairs and keys are the shared codecs of main/smb/auth/ntlm/; randomness and time are passed in.
import { timingSafeEqual } from 'node:crypto';
import { AV_FLAG_MIC_PRESENT, NTLMV2_RESPONSE_FIXED, encodeServerTargetInfo, ntlmV2ResponseAvFlags, type TargetIdentity } from '../../smb/auth/ntlm/avPairs.js';
import { computeMic, ntProofStr, ntowfV2, recoverExportedSessionKey, sessionBaseKey } from '../../smb/auth/ntlm/keys.js';
import { MIC_OFFSET, encodeChallengeMessage, type AuthenticateMessage } from '../../smb/auth/ntlm/messages.js';
import { NTLMSSP_REVISION_W2K3, NegotiateFlag } from '../../smb/auth/ntlm/wire.js';

export interface ChallengeIdentity extends TargetIdentity {
  version: { major: number; minor: number; build: number };
}

/** The flags the server answers with: what it always sets, plus what the client asked for of the optional ones. */
export function challengeFlags(clientFlags: number): number {
  const echoed =
    NegotiateFlag.SIGN | NegotiateFlag.SEAL | NegotiateFlag.KEY_EXCH | NegotiateFlag.KEY_128 | NegotiateFlag.KEY_56 | NegotiateFlag.EXTENDED_SESSIONSECURITY;
  const charset = clientFlags & NegotiateFlag.UNICODE ? NegotiateFlag.UNICODE : NegotiateFlag.OEM;
  return (
    (NegotiateFlag.REQUEST_TARGET | NegotiateFlag.NTLM | NegotiateFlag.ALWAYS_SIGN | NegotiateFlag.TARGET_INFO | NegotiateFlag.VERSION |
      NegotiateFlag.TARGET_TYPE_SERVER | charset | (clientFlags & echoed)) >>>
    0
  );
}

/** The host's CHALLENGE_MESSAGE: its computer name as TargetName, Windows' TargetInfo, its OS version. */
export function buildChallengeMessage(clientFlags: number, serverChallenge: Buffer, timestamp: bigint, id: ChallengeIdentity): Buffer {
  return encodeChallengeMessage({
    flags: challengeFlags(clientFlags),
    serverChallenge,
    targetName: id.netbiosComputer,
    targetInfo: encodeServerTargetInfo(id, timestamp),
    version: { ...id.version, ntlmRevision: NTLMSSP_REVISION_W2K3 },
  });
}

export interface VerifiedLogon {
  exportedSessionKey: Buffer;
  keyExchange: boolean;
}

/**
 * Checks the NTLMv2 response of `auth` against `ntHash` (MS-NLMP 3.3.2) under the user and domain
 * the client put in the message, recovers the exported session key (3.4.5.1), and checks the MIC
 * when the client's MsvAvFlags announce one. Null: wrong password, NTLMv1, anonymous, or a bad MIC.
 */
export function verifyNtlmV2(opts: {
  auth: AuthenticateMessage;
  authMessage: Buffer;
  negotiateMessage: Buffer;
  challengeMessage: Buffer;
  serverChallenge: Buffer;
  ntHash: Buffer;
}): VerifiedLogon | null {
  const { auth } = opts;
  const response = auth.ntChallengeResponse;
  if (response.length < NTLMV2_RESPONSE_FIXED + 4) return null;
  const responseKey = ntowfV2(opts.ntHash, auth.user, auth.domain);
  const expected = ntProofStr(responseKey, opts.serverChallenge, response.subarray(16));
  if (!timingSafeEqual(expected, response.subarray(0, 16))) return null;
  const { exportedSessionKey, keyExchange } = recoverExportedSessionKey(auth.negotiatedFlags, sessionBaseKey(responseKey, expected), auth.encryptedRandomSessionKey);
  if (ntlmV2ResponseAvFlags(response) & AV_FLAG_MIC_PRESENT) {
    if (!auth.mic) return null;
    const want = computeMic(exportedSessionKey, opts.negotiateMessage, opts.challengeMessage, opts.authMessage);
    if (!timingSafeEqual(want, opts.authMessage.subarray(MIC_OFFSET, MIC_OFFSET + 16))) return null;
  }
  return { exportedSessionKey, keyExchange };
}
