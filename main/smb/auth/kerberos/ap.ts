// The AP exchange (RFC 4120 §5.5): the Authenticator and AP-REQ a client sends, the AP-REP and
// its EncAPRepPart plaintext it reads back.
import { application, applicationTag, encodeBitString32, encodeInteger, encodeKerberosTime, expectWhole } from '../der.js';
import {
  Fields,
  decodeEncryptedData,
  decodeEncryptionKey,
  encodeChecksum,
  encodeEncryptedData,
  encodeEncryptionKey,
  encodePrincipalName,
  encodeRealm,
  expectHeader,
  fieldSequence,
  kerberosDecode,
  type Checksum,
  type EncryptedData,
  type EncryptionKey,
  type PrincipalName,
} from './asn1.js';
import { MessageType } from './constants.js';

const AUTHENTICATOR_VNO = 5;

// ---- AP exchange ----

export interface AuthenticatorFields {
  crealm: string;
  cname: PrincipalName;
  cksum?: Checksum;
  cusec: number;
  ctime: Date;
  subkey?: EncryptionKey;
  seqNumber?: number;
}

/** Authenticator [APPLICATION 2], authenticator-vno 5 (RFC 4120 §5.5.1). */
export function encodeAuthenticator(a: AuthenticatorFields): Buffer {
  if (!Number.isInteger(a.cusec) || a.cusec < 0 || a.cusec > 999_999) throw new RangeError(`cusec ${a.cusec} is outside 0..999999`);
  return application(
    2,
    fieldSequence([
      [0, encodeInteger(AUTHENTICATOR_VNO)],
      [1, encodeRealm(a.crealm)],
      [2, encodePrincipalName(a.cname)],
      [3, a.cksum && encodeChecksum(a.cksum)],
      [4, encodeInteger(a.cusec)],
      [5, encodeKerberosTime(a.ctime)],
      [6, a.subkey && encodeEncryptionKey(a.subkey)],
      [7, a.seqNumber === undefined ? undefined : encodeInteger(a.seqNumber)],
    ]),
  );
}

/** AP-REQ [APPLICATION 14] (RFC 4120 §5.5.1) with the ticket's DER as the KDC sent it. */
export function encodeApReq(apOptions: number, ticketRaw: Buffer, authenticator: EncryptedData): Buffer {
  kerberosDecode(() => expectWhole(ticketRaw, applicationTag(1), 'AP-REQ ticket'));
  return application(
    MessageType.AP_REQ,
    fieldSequence([
      [0, encodeInteger(5)],
      [1, encodeInteger(MessageType.AP_REQ)],
      [2, encodeBitString32(apOptions)],
      [3, ticketRaw],
      [4, encodeEncryptedData(authenticator)],
    ]),
  );
}

/** AP-REP [APPLICATION 15] (RFC 4120 §5.5.2). */
export function decodeApRep(bytes: Buffer): { encPart: EncryptedData } {
  return kerberosDecode(() => {
    const f = Fields.of(bytes, 'AP-REP', 0, applicationTag(MessageType.AP_REP));
    expectHeader(f, MessageType.AP_REP);
    return { encPart: f.nested(2, 'enc-part', decodeEncryptedData) };
  });
}

export interface EncApRepPart {
  ctime: Date;
  cusec: number;
  subkey?: EncryptionKey;
  seqNumber?: number;
}

/** EncAPRepPart [APPLICATION 27] (RFC 4120 §5.5.2). */
export function decodeEncApRepPart(plain: Buffer): EncApRepPart {
  return kerberosDecode(() => {
    const f = Fields.of(plain, 'EncAPRepPart', 0, applicationTag(27));
    const ctime = f.time(0, 'ctime');
    const cusec = f.usec(1, 'cusec');
    const subkey = f.optionalNested(2, 'subkey', decodeEncryptionKey);
    const seqNumber = f.optionalUint32(3, 'seq-number');
    return { ctime, cusec, ...(subkey && { subkey }), ...(seqNumber !== undefined && { seqNumber }) };
  });
}

