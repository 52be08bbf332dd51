// The lab's SPNEGO acceptor (RFC 4178, MS-SPNG) around NTLMSSP — behaviour only, the DER is
// main/smb/auth/spnego.ts and the NEGOEX messages main/smb/auth/negoex.ts: the NegTokenInit2 of the
// NEGOTIATE response as the host's personality sends it, the NegTokenResp answers, and which
// NTLM token a client's SESSION_SETUP carries.
import crypto from 'node:crypto';
import { encodeNegoexExchange, encodeNegoexNego, NegoexMessageType } from '../../smb/auth/negoex.js';
import { isNtlmMessage } from '../../smb/auth/ntlm/wire.js';
import {
  KRB5_OID, MS_KRB5_OID, NEGOEX_OID, NTLMSSP_OID, WINDOWS_HINT_NAME, decodeNegTokenInit, decodeNegTokenResp, encodeNegTokenInit2, encodeNegTokenResp, encodeOid, tlv,
} from '../../smb/auth/spnego.js';
import { windowsLike, type LabPersonality } from '../hostState.js';

/** What the lab's hosts can log on with: NTLM only (the lab has no KDC). */
const LAB_MECHS: readonly string[] = [NTLMSSP_OID];

/** Windows' order in mechTypes (MS-SPNG 3.1.5.1, and the captures cited below): NEGOEX, MS-KRB5, KRB5, NTLMSSP. */
const WINDOWS_ORDER = [NEGOEX_OID, MS_KRB5_OID, KRB5_OID, NTLMSSP_OID];

/**
 * The auth scheme a Windows server (2016 and later, Windows 10 and later) lists in the NEGOEX
 * messages of its NEGOTIATE response: GUID {0D53335C-F9EA-4D0D-B2EC-4AE3786EC308}, in wire order
 * (MS-DTYP 2.3.4.2).
 */
export const WINDOWS_NEGOEX_AUTH_SCHEME = Buffer.from('5c33530deaf90d4db2ec4ae3786ec308', 'hex');

/** The auth scheme's meta data Windows sends: two X.501 Names, each CN="Token Signing Public Key", as [0] IMPLICIT. */
function windowsNegoexMetaData(): Buffer {
  const name = tlv(0x30, tlv(0x31, tlv(0x30, encodeOid('2.5.4.3'), tlv(0x13, Buffer.from('Token Signing Public Key', 'latin1')))));
  const entry = tlv(0x30, tlv(0x80, name));
  return tlv(0x30, tlv(0xa0, tlv(0x30, entry, entry)));
}

/**
 * The NEGOEX mechToken of a Windows NEGOTIATE response: ACCEPTOR_NEGO (SequenceNum 0, a fresh
 * ConversationId and Random, ProtocolVersion 0, one auth scheme, no extensions) then
 * ACCEPTOR_META_DATA (SequenceNum 1, the same ConversationId and scheme, the meta data above):
 * 112 + 152 = 264 bytes. Layout from the Windows 10 / Server 2016 SMB 3.1.1 NEGOTIATE response in
 * the Microsoft Open Specifications blog "SMB 2 and SMB 3 security in Windows 10: the anatomy of
 * signing and cryptographic keys" (E. Olougouna, 2017), read against MS-NEGOEX 2.2.6.2–2.2.6.4;
 * the same bytes appear in smbj's NegTokenInitSpec and ruby packetgen-plugins-smb's capture.
 */
export function windowsNegoexToken(random: (bytes: number) => Buffer = crypto.randomBytes): Buffer {
  const conversationId = random(16);
  return Buffer.concat([
    encodeNegoexNego({ type: NegoexMessageType.ACCEPTOR_NEGO, sequenceNum: 0, conversationId, random: random(32), protocolVersion: 0n, authSchemes: [WINDOWS_NEGOEX_AUTH_SCHEME] }),
    encodeNegoexExchange({ type: NegoexMessageType.ACCEPTOR_META_DATA, sequenceNum: 1, conversationId, authScheme: WINDOWS_NEGOEX_AUTH_SCHEME, exchange: windowsNegoexMetaData() }),
  ]);
}

/**
 * The NEGOTIATE response's security buffer (MS-SMB2 3.3.5.4), a NegTokenInit2 (MS-SPNG 2.2.1):
 * - 'windows' (default): mechTypes NEGOEX first, then of MS-KRB5, KRB5, NTLMSSP those the host
 *   offers (the lab: NTLMSSP), the NEGOEX token above as mechToken, and negHints.hintName
 *   "not_defined_in_RFC4178@please_ignore" (MS-SPNG 3.2.5.2);
 * - 'samba': mechTypes [NTLMSSP] and the same negHints, no mechToken, as smbd sends.
 */
export function negotiateSecurityBuffer(personality: LabPersonality | undefined, random?: (bytes: number) => Buffer): Buffer {
  if (!windowsLike({ personality })) return encodeNegTokenInit2({ mechTypes: [...LAB_MECHS], hintName: WINDOWS_HINT_NAME });
  const mechTypes = WINDOWS_ORDER.filter((mech) => mech === NEGOEX_OID || LAB_MECHS.includes(mech));
  return encodeNegTokenInit2({ mechTypes, mechToken: windowsNegoexToken(random), hintName: WINDOWS_HINT_NAME });
}

/** NegTokenResp from the acceptor: supportedMech NTLMSSP in its first reply only (RFC 4178 §4.2.2). */
export function encodeServerNegTokenResp(r: { negState: number; supportedMech?: boolean; responseToken?: Buffer; mechListMic?: Buffer }): Buffer {
  return encodeNegTokenResp(r.responseToken, r.mechListMic, r.negState, r.supportedMech ? NTLMSSP_OID : undefined);
}

export type ClientToken =
  | { kind: 'init'; mechTypes: string[]; mechTypesDer: Buffer | null; ntlm: Buffer | null }
  | { kind: 'resp'; ntlm: Buffer | null; mechListMic: Buffer | null };

/**
 * The client's SESSION_SETUP security buffer: a GSS NegTokenInit (first leg), a NegTokenResp (later
 * legs), or a raw NTLMSSP token. `ntlm` is null when the optimistic token is for another mechanism.
 * Throws SpnegoFormatError on malformed DER.
 */
export function decodeClientToken(token: Buffer): ClientToken {
  const first = token[0];
  if (first === 0x60 || first === 0xa0 || isNtlmMessage(token)) {
    const init = decodeNegTokenInit(token);
    const ntlmFirst = init.mechTypes[0] === NTLMSSP_OID;
    return { kind: 'init', mechTypes: init.mechTypes, mechTypesDer: init.mechTypesDer ?? null, ntlm: ntlmFirst ? (init.mechToken ?? null) : null };
  }
  const resp = decodeNegTokenResp(token);
  return { kind: 'resp', ntlm: resp.responseToken ?? null, mechListMic: resp.mechListMic ?? null };
}
