// The acceptor's side of SPNEGO (RFC 4178, MS-SPNG) around NTLMSSP: the NegTokenInit2 hint in the
// NEGOTIATE response (MS-SPNG 2.2.1), NegTokenResp answers with supportedMech, responseToken and
// mechListMIC, and the client's tokens read with the client's own decoders.
import { NTLMSSP_OID, SPNEGO_OID, decodeNegTokenInit, decodeNegTokenResp, encodeOid as oid, tlv } from '../../smb/auth/spnego.js';
import { ntlmMessageSignature } from '../../smb/auth/ntlm.js';

const ctx = (n: number): number => 0xa0 + n;

/** NegTokenInit2 { mechTypes = [NTLMSSP], negHints.hintName = "not_defined_in_RFC4178@please_ignore" } as Windows sends it. */
export function encodeNegTokenInit2Hint(): Buffer {
  const hint = tlv(0x30, tlv(ctx(0), tlv(0x1b, Buffer.from('not_defined_in_RFC4178@please_ignore', 'latin1'))));
  const init = tlv(0x30, tlv(ctx(0), tlv(0x30, oid(NTLMSSP_OID))), tlv(ctx(3), hint));
  return tlv(0x60, oid(SPNEGO_OID), tlv(ctx(0), init));
}

export function encodeServerNegTokenResp(r: { negState: number; supportedMech?: boolean; responseToken?: Buffer; mechListMic?: Buffer }): Buffer {
  const fields = [tlv(ctx(0), tlv(0x0a, Buffer.of(r.negState)))];
  if (r.supportedMech) fields.push(tlv(ctx(1), oid(NTLMSSP_OID)));
  if (r.responseToken) fields.push(tlv(ctx(2), tlv(0x04, r.responseToken)));
  if (r.mechListMic) fields.push(tlv(ctx(3), tlv(0x04, r.mechListMic)));
  return tlv(ctx(1), tlv(0x30, ...fields));
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
  if (first === 0x60 || first === ctx(0) || token.subarray(0, 8).toString('latin1') === 'NTLMSSP\0') {
    const init = decodeNegTokenInit(token);
    const ntlmFirst = init.mechTypes[0] === NTLMSSP_OID;
    return { kind: 'init', mechTypes: init.mechTypes, mechTypesDer: init.mechTypesDer ?? null, ntlm: ntlmFirst ? (init.mechToken ?? null) : null };
  }
  const resp = decodeNegTokenResp(token);
  return { kind: 'resp', ntlm: resp.responseToken ?? null, mechListMic: resp.mechListMic ?? null };
}

/** The mechListMIC (RFC 4178 §5) over the client's DER MechTypeList, as `sender` computes it with NTLM's MAC. */
export function mechListMic(exportedSessionKey: Buffer, mechTypesDer: Buffer, sender: 'client' | 'server', keyExchange: boolean): Buffer {
  return ntlmMessageSignature(exportedSessionKey, mechTypesDer, { sender, keyExchange });
}
