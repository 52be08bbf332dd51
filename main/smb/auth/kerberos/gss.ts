// GSS-API krb5 mechanism tokens: the InitialContextToken framing (RFC 2743 §3.1) with RFC 4121
// §4.1's two-byte TOK_ID, and the 0x8003 authenticator checksum (RFC 4121 §4.1.1).
import { DerFormatError, Tag, applicationTag, decodeOid, encodeOid, expectTlv, expectWhole, tlv } from '../der.js';
import { KRB5_OID } from '../spnego.js';
import { kerberosDecode } from './asn1.js';
import { GssFlag } from './constants.js';

/** The checksum type of the GSS-API authenticator checksum (RFC 4121 §4.1.1). */
export const GSS_CHECKSUM_TYPE = 0x8003;

/** 0x60 len { OID, TOK_ID (2 bytes, big-endian), body }. */
export function wrapGssKrb5(tokId: number, body: Buffer, oid: string = KRB5_OID): Buffer {
  if (!Number.isInteger(tokId) || tokId < 0 || tokId > 0xffff) throw new RangeError(`TOK_ID ${tokId} is not two bytes`);
  const id = Buffer.alloc(2);
  id.writeUInt16BE(tokId, 0);
  return tlv(applicationTag(0), encodeOid(oid), id, body);
}

/** The mechanism OID, TOK_ID and inner token of a krb5 GSS token; the outer element must fill `token`. */
export function unwrapGssKrb5(token: Buffer): { oid: string; tokId: number; body: Buffer } {
  return kerberosDecode(() => {
    const content = expectWhole(token, applicationTag(0), 'GSS token');
    const mech = expectTlv(content, 0, Tag.OID, 'GSS token mechanism');
    const oid = decodeOid(mech.value, 'GSS token mechanism');
    if (content.length - mech.end < 2) throw new DerFormatError('GSS token: truncated before its TOK_ID');
    return { oid, tokId: content.readUInt16BE(mech.end), body: Buffer.from(content.subarray(mech.end + 2)) };
  });
}

/**
 * The value of a type-0x8003 Checksum (RFC 4121 §4.1.1): Lgth = 16 (LE u32), Bnd (16 bytes: the
 * MD5 of the channel bindings, zeros when there are none), Flags (LE u32). Delegation (the Deleg
 * fields that follow when DELEG is set) is not supported.
 */
export function gssChecksum8003(flags: number, channelBindings?: Buffer): Buffer {
  if ((flags & GssFlag.DELEG) !== 0) throw new RangeError('GSS delegation (DELEG and its KRB-CRED) is not supported');
  if (channelBindings !== undefined && channelBindings.length !== 16) throw new RangeError(`Bnd is 16 bytes (an MD5), got ${channelBindings.length}`);
  const value = Buffer.alloc(24);
  value.writeUInt32LE(16, 0);
  channelBindings?.copy(value, 4);
  value.writeUInt32LE(flags >>> 0, 20);
  return value;
}
