// SPNEGO (RFC 4178, MS-SPNG) around NTLMSSP or Kerberos, both directions: the client's NegTokenInit
// and NegTokenResp as a Windows client sends them, the server's NegTokenInit2 (MS-SPNG 2.2.1) for
// the NEGOTIATE response and its NegTokenResp with supportedMech, and decoders for all of them that
// check every length before reading. The console never speaks NEGOEX: a NEGOEX entry or mechToken
// in a server's NegTokenInit2 is read and passed over (negoex.ts has its messages).

import {
  Tag,
  applicationTag,
  children,
  contextTag,
  decodeOid,
  encodeOid,
  expectTlv,
  fieldsByTag,
  readTlv,
  rethrowAs,
  tlv,
  unwrap,
  type Tlv,
} from './der.js';
import { ntlmMessageSignature } from './ntlm/keys.js';
import { isNtlmMessage } from './ntlm/wire.js';

export { derLength, encodeOid, tlv } from './der.js';

/** A token that is not the DER RFC 4178 describes. */
export class SpnegoFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpnegoFormatError';
  }
}

export const SPNEGO_OID = '1.3.6.1.5.5.2';
export const NTLMSSP_OID = '1.3.6.1.4.1.311.2.2.10';
/** Kerberos 5 (RFC 4121). */
export const KRB5_OID = '1.2.840.113554.1.2.2';
/** Kerberos with the 113554 arc cut to 16 bits (48018), which Windows lists first (MS-SPNG 3.1.5.1). */
export const MS_KRB5_OID = '1.2.840.48018.1.2.2';
/** NEGOEX (MS-NEGOEX 1.9), offered first by Windows 10 / Server 2016+ servers; the console never picks it. */
export const NEGOEX_OID = '1.3.6.1.4.1.311.2.2.30';

/** RFC 4178 §4.2.2 negState. */
export const NegState = {
  ACCEPT_COMPLETED: 0,
  ACCEPT_INCOMPLETE: 1,
  REJECT: 2,
  REQUEST_MIC: 3,
} as const;

// ASN.1 tags (X.690 §8): universal, [APPLICATION 0] constructed, and [n] context constructed.
const TAG_ENUMERATED = Tag.ENUMERATED;
const TAG_OCTET_STRING = Tag.OCTET_STRING;
const TAG_OID = Tag.OID;
const TAG_SEQUENCE = Tag.SEQUENCE;
const TAG_GENERAL_STRING = Tag.GENERAL_STRING;
const TAG_APPLICATION_0 = applicationTag(0);
const context = contextTag;

/** MS-SPNG 3.2.5.2: the hintName Windows (2008 and later) puts in negHints, to be ignored. */
export const WINDOWS_HINT_NAME = 'not_defined_in_RFC4178@please_ignore';

// ---- DER encoding ----

/** DER MechTypeList = SEQUENCE OF MechType: the bytes a mechListMIC covers (RFC 4178 §5). */
export function encodeMechTypeList(mechs: string[] = [NTLMSSP_OID]): Buffer {
  return tlv(TAG_SEQUENCE, ...mechs.map(encodeOid));
}

/**
 * GSS-API InitialContextToken (RFC 2743 §3.1) with NegTokenInit { mechTypes, mechToken }: the
 * mechToken is the optimistic token for the first mechanism (RFC 4178 §4.2.1). With Kerberos a
 * Windows client lists [MS_KRB5_OID, KRB5_OID, NTLMSSP_OID] and sends the AP-REQ (MS-SPNG 3.1.5.1).
 */
export function encodeNegTokenInit(mechToken: Buffer, mechs: string[] = [NTLMSSP_OID]): Buffer {
  const negTokenInit = tlv(TAG_SEQUENCE, tlv(context(0), encodeMechTypeList(mechs)), tlv(context(2), tlv(TAG_OCTET_STRING, mechToken)));
  return tlv(TAG_APPLICATION_0, encodeOid(SPNEGO_OID), tlv(context(0), negTokenInit));
}

/**
 * The acceptor's first token, sent unasked in the SMB2 NEGOTIATE response (MS-SMB2 3.3.5.4):
 * InitialContextToken with NegTokenInit2 { mechTypes [0], mechToken [2]?, negHints [3] {
 * hintName [0] GeneralString }? } (MS-SPNG 2.2.1). No reqFlags and no mechListMIC, as Windows.
 */
export function encodeNegTokenInit2(init: { mechTypes: string[]; mechToken?: Buffer; hintName?: string }): Buffer {
  const fields = [tlv(context(0), encodeMechTypeList(init.mechTypes))];
  if (init.mechToken !== undefined) fields.push(tlv(context(2), tlv(TAG_OCTET_STRING, init.mechToken)));
  if (init.hintName !== undefined) fields.push(tlv(context(3), tlv(TAG_SEQUENCE, tlv(context(0), tlv(TAG_GENERAL_STRING, Buffer.from(init.hintName, 'latin1'))))));
  return tlv(TAG_APPLICATION_0, encodeOid(SPNEGO_OID), tlv(context(0), tlv(TAG_SEQUENCE, ...fields)));
}

/**
 * NegTokenResp { negState?, supportedMech?, responseToken?, mechListMIC? } (RFC 4178 §4.2.2).
 * negState is optional after the target's first reply; Windows clients send accept-incomplete (1)
 * with the AUTHENTICATE. Without a responseToken it carries only the mechListMIC (Kerberos' last
 * leg, RFC 4178 §5). supportedMech is the acceptor's: in its first reply only.
 */
export function encodeNegTokenResp(responseToken: Buffer | undefined, mechListMic?: Buffer, negState?: number, supportedMech?: string): Buffer {
  const fields: Buffer[] = [];
  if (negState !== undefined) fields.push(tlv(context(0), tlv(TAG_ENUMERATED, Buffer.of(negState))));
  if (supportedMech !== undefined) fields.push(tlv(context(1), encodeOid(supportedMech)));
  if (responseToken !== undefined) fields.push(tlv(context(2), tlv(TAG_OCTET_STRING, responseToken)));
  if (mechListMic !== undefined) fields.push(tlv(context(3), tlv(TAG_OCTET_STRING, mechListMic)));
  return tlv(context(1), tlv(TAG_SEQUENCE, ...fields));
}

// ---- DER decoding ----

const asSpnegoError = (message: string): Error => new SpnegoFormatError(message);

function isRawNtlmssp(buf: Buffer): boolean {
  return isNtlmMessage(buf);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface NegTokenInitInfo {
  /** Mechanisms the server offers, as dotted OIDs, in its order of preference. */
  mechTypes: string[];
  /** The DER MechTypeList exactly as sent (SEQUENCE tag included): what a mechListMIC covers (RFC 4178 §5). */
  mechTypesDer?: Buffer;
  mechToken?: Buffer;
  /** NegTokenInit2's negHints.hintName (MS-SPNG 2.2.1), when the server sent one. */
  hintName?: string;
}

/**
 * The server's NEGOTIATE security buffer: a GSS InitialContextToken holding NegTokenInit2
 * (MS-SPNG 2.2.1). An empty buffer (the server leaves the choice to the client, MS-SMB2 3.3.5.4)
 * gives no mechanisms; a raw NTLMSSP token is reported as NTLMSSP with itself as mechToken.
 */
export function decodeNegTokenInit(bytes: Uint8Array): NegTokenInitInfo {
  return rethrowAs(asSpnegoError, () => readNegTokenInit(asBuffer(bytes)));
}

function readNegTokenInit(buf: Buffer): NegTokenInitInfo {
  if (buf.length === 0) return { mechTypes: [] };
  if (isRawNtlmssp(buf)) return { mechTypes: [NTLMSSP_OID], mechToken: Buffer.from(buf) };

  let negotiation = buf;
  if (buf.readUInt8(0) === TAG_APPLICATION_0) {
    const app = readTlv(buf, 0, 'InitialContextToken');
    const thisMech = expectTlv(app.value, 0, TAG_OID, 'thisMech');
    const oid = decodeOid(thisMech.value, 'thisMech');
    if (oid !== SPNEGO_OID) throw new SpnegoFormatError(`the token is for mechanism ${oid}, not SPNEGO`);
    negotiation = app.value.subarray(thisMech.end);
  }
  const init = expectTlv(negotiation, 0, context(0), 'NegotiationToken');
  const sequence = unwrap(init, TAG_SEQUENCE, 'NegTokenInit');
  const fields = fieldsByTag(sequence, 'NegTokenInit');

  const mechTypesField = fields.get(context(0));
  const mechTypes = mechTypesField
    ? children(unwrap(mechTypesField, TAG_SEQUENCE, 'mechTypes'), 'mechTypes').map((mech) => {
        if (mech.tag !== TAG_OID) throw new SpnegoFormatError(`mechTypes: expected OIDs, got tag 0x${mech.tag.toString(16)}`);
        return decodeOid(mech.value, 'mechTypes');
      })
    : [];
  const mechTokenField = fields.get(context(2));
  const hintName = readHintName(fields.get(context(3)));
  return {
    mechTypes,
    ...(mechTypesField ? { mechTypesDer: Buffer.from(mechTypesField.value) } : {}),
    ...(mechTokenField ? { mechToken: Buffer.from(unwrap(mechTokenField, TAG_OCTET_STRING, 'mechToken')) } : {}),
    ...(hintName !== undefined ? { hintName } : {}),
  };
}

/**
 * [3] is negHints in NegTokenInit2 (MS-SPNG 2.2.1) but mechListMIC (an OCTET STRING) in RFC 4178's
 * NegTokenInit: only a SEQUENCE holding hintName [0] GeneralString is read; anything else is ignored.
 */
function readHintName(field: Tlv | undefined): string | undefined {
  if (!field || field.value[0] !== TAG_SEQUENCE) return undefined;
  const hints = fieldsByTag(unwrap(field, TAG_SEQUENCE, 'negHints'), 'negHints');
  const name = hints.get(context(0));
  return name ? unwrap(name, TAG_GENERAL_STRING, 'hintName').toString('latin1') : undefined;
}

export interface NegTokenRespInfo {
  negState?: number;
  supportedMech?: string;
  responseToken?: Buffer;
  mechListMic?: Buffer;
}

/** The server's NegTokenResp (RFC 4178 §4.2.2), or a raw NTLMSSP token sent unwrapped. */
export function decodeNegTokenResp(bytes: Uint8Array): NegTokenRespInfo {
  return rethrowAs(asSpnegoError, () => readNegTokenResp(asBuffer(bytes)));
}

function readNegTokenResp(buf: Buffer): NegTokenRespInfo {
  if (isRawNtlmssp(buf)) return { responseToken: Buffer.from(buf) };
  const resp = expectTlv(buf, 0, context(1), 'NegTokenResp');
  const fields = fieldsByTag(unwrap(resp, TAG_SEQUENCE, 'NegTokenResp'), 'NegTokenResp');
  const result: NegTokenRespInfo = {};

  const negState = fields.get(context(0));
  if (negState) {
    const value = unwrap(negState, TAG_ENUMERATED, 'negState');
    if (value.length !== 1) throw new SpnegoFormatError(`negState: expected one byte, got ${value.length}`);
    result.negState = value.readUInt8(0);
  }
  const supportedMech = fields.get(context(1));
  if (supportedMech) result.supportedMech = decodeOid(unwrap(supportedMech, TAG_OID, 'supportedMech'), 'supportedMech');
  const responseToken = fields.get(context(2));
  if (responseToken) result.responseToken = Buffer.from(unwrap(responseToken, TAG_OCTET_STRING, 'responseToken'));
  const mechListMic = fields.get(context(3));
  if (mechListMic) result.mechListMic = Buffer.from(unwrap(mechListMic, TAG_OCTET_STRING, 'mechListMIC'));
  return result;
}

/** The mechListMIC (RFC 4178 §5) NTLM computes over a DER MechTypeList: its message signature with SeqNum 0 (MS-NLMP 3.4.4.2). */
export function ntlmMechListMic(exportedSessionKey: Buffer, mechTypesDer: Buffer, sender: 'client' | 'server', keyExchange: boolean): Buffer {
  return ntlmMessageSignature(exportedSessionKey, mechTypesDer, { sender, keyExchange });
}
