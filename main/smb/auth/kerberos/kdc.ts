// The KDC exchanges (RFC 4120 §5.4, §5.9, MS-KILE 2.2): AS-REQ and TGS-REQ out; AS-REP, TGS-REP
// and KRB-ERROR back; the EncKDCRepPart plaintext; the PA-DATA contents a client builds and reads.
import { application, applicationTag, encodeBitString32, encodeBoolean, encodeInteger, encodeKerberosTime, sequence, DerFormatError } from '../der.js';
import {
  Fields,
  applicationNumber,
  decodeEncryptedData,
  decodeEncryptionKey,
  decodePaData,
  decodePrincipalName,
  decodeSequenceOf,
  decodeTicket,
  encodePaData,
  encodePrincipalName,
  encodeRealm,
  expectHeader,
  fieldSequence,
  kerberosDecode,
  type EncryptedData,
  type EncryptionKey,
  type PaData,
  type PrincipalName,
  type Ticket,
} from './asn1.js';
import { MessageType } from './constants.js';

const PVNO = 5;
const MAX_NONCE = 0x7fffffff;

// ---- requests ----

export interface KdcReqBody {
  kdcOptions: number;
  cname?: PrincipalName;
  realm: string;
  sname: PrincipalName;
  till: Date;
  rtime?: Date;
  /** 31-bit unsigned (0 .. 2^31-1), which every KDC reads the same whether it treats it as signed or not. */
  nonce: number;
  etypes: number[];
}

/** KDC-REQ-BODY (RFC 4120 §5.4.1): the exact bytes a TGS authenticator's checksum covers. */
export function encodeKdcReqBody(body: KdcReqBody): Buffer {
  if (!Number.isInteger(body.nonce) || body.nonce < 0 || body.nonce > MAX_NONCE) throw new RangeError(`nonce ${body.nonce} is not a 31-bit unsigned integer`);
  return fieldSequence([
    [0, encodeBitString32(body.kdcOptions)],
    [1, body.cname && encodePrincipalName(body.cname)],
    [2, encodeRealm(body.realm)],
    [3, encodePrincipalName(body.sname)],
    [5, encodeKerberosTime(body.till)],
    [6, body.rtime && encodeKerberosTime(body.rtime)],
    [7, encodeInteger(body.nonce)],
    [8, sequence(...body.etypes.map(encodeInteger))],
  ]);
}

/** AS-REQ [APPLICATION 10] / TGS-REQ [APPLICATION 12] around an encoded body; no padata field when `padata` is empty. */
export function encodeKdcReq(msgType: 10 | 12, padata: PaData[], bodyBytes: Buffer): Buffer {
  if (msgType !== MessageType.AS_REQ && msgType !== MessageType.TGS_REQ) throw new RangeError(`msg-type ${String(msgType)} is not a KDC request`);
  return application(
    msgType,
    fieldSequence([
      [1, encodeInteger(PVNO)],
      [2, encodeInteger(msgType)],
      [3, padata.length > 0 ? sequence(...padata.map(encodePaData)) : undefined],
      [4, bodyBytes],
    ]),
  );
}

/** PA-ENC-TS-ENC { patimestamp [0], pausec [1] } (RFC 4120 §5.2.7.2): the Date's milliseconds as microseconds. */
export function encodePaEncTsEnc(time: Date): Buffer {
  return fieldSequence([
    [0, encodeKerberosTime(time)],
    [1, encodeInteger(time.getUTCMilliseconds() * 1000)],
  ]);
}

/** KERB-PA-PAC-REQUEST { include-pac [0] BOOLEAN } (MS-KILE 2.2.3). */
export function encodePaPacRequest(includePac: boolean): Buffer {
  return fieldSequence([[0, encodeBoolean(includePac)]]);
}

// ---- KDC replies ----

export interface KdcRep {
  msgType: 11 | 13;
  padata: PaData[];
  crealm: string;
  cname: PrincipalName;
  ticket: Ticket;
  encPart: EncryptedData;
}

/** AS-REP [APPLICATION 11] or TGS-REP [APPLICATION 13] (RFC 4120 §5.4.2). */
export function decodeKdcRep(bytes: Buffer): KdcRep {
  return kerberosDecode(() => {
    const msgType = applicationNumber(bytes, 'KDC-REP');
    if (msgType !== MessageType.AS_REP && msgType !== MessageType.TGS_REP) throw new DerFormatError(`KDC-REP: expected AS-REP or TGS-REP, got [APPLICATION ${msgType}]`);
    const what = msgType === MessageType.AS_REP ? 'AS-REP' : 'TGS-REP';
    const f = Fields.of(bytes, what, 0, applicationTag(msgType));
    expectHeader(f, msgType);
    return {
      msgType,
      padata: f.optional(2) === undefined ? [] : f.nested(2, 'padata', decodePaDataList),
      crealm: f.string(3, 'crealm'),
      cname: f.nested(4, 'cname', decodePrincipalName),
      ticket: f.nested(5, 'ticket', decodeTicket),
      encPart: f.nested(6, 'enc-part', decodeEncryptedData),
    };
  });
}

export interface EncKdcRepPart {
  key: EncryptionKey;
  nonce: number;
  keyExpiration?: Date;
  flags: number;
  authtime: Date;
  starttime?: Date;
  endtime: Date;
  renewTill?: Date;
  srealm: string;
  sname: PrincipalName;
}

/**
 * EncASRepPart [APPLICATION 25] or EncTGSRepPart [APPLICATION 26], either for either reply (RFC
 * 4120 §5.4.2 notes KDCs send 25 for TGS too). Nothing may follow the element: the plaintext of
 * the AES and RC4 enctypes has no padding.
 */
export function decodeEncKdcRepPart(plain: Buffer): EncKdcRepPart {
  return kerberosDecode(() => {
    const tag = applicationNumber(plain, 'EncKDCRepPart');
    if (tag !== 25 && tag !== 26) throw new DerFormatError(`EncKDCRepPart: expected [APPLICATION 25] or [APPLICATION 26], got [APPLICATION ${tag}]`);
    const f = Fields.of(plain, 'EncKDCRepPart', 0, applicationTag(tag));
    const key = f.nested(0, 'key', decodeEncryptionKey);
    f.nested(1, 'last-req', decodeLastReq);
    const nonce = f.int(2, 'nonce') >>> 0;
    const keyExpiration = f.optionalTime(3, 'key-expiration');
    const flags = f.flags(4, 'flags');
    const authtime = f.time(5, 'authtime');
    const starttime = f.optionalTime(6, 'starttime');
    const endtime = f.time(7, 'endtime');
    const renewTill = f.optionalTime(8, 'renew-till');
    return {
      key,
      nonce,
      ...(keyExpiration && { keyExpiration }),
      flags,
      authtime,
      ...(starttime && { starttime }),
      endtime,
      ...(renewTill && { renewTill }),
      srealm: f.string(9, 'srealm'),
      sname: f.nested(10, 'sname', decodePrincipalName),
    };
  });
}

/** LastReq ::= SEQUENCE OF { lr-type [0] Int32, lr-value [1] KerberosTime }: checked, not kept. */
function decodeLastReq(element: Buffer, what: string, depth: number): void {
  decodeSequenceOf(element, what, depth, (item, itemWhat, itemDepth) => {
    const f = Fields.of(item, itemWhat, itemDepth);
    return { type: f.int(0, 'lr-type'), value: f.time(1, 'lr-value') };
  });
}

function decodePaDataList(element: Buffer, what: string, depth: number): PaData[] {
  return decodeSequenceOf(element, what, depth, decodePaData);
}

export interface KrbError {
  errorCode: number;
  stime: Date;
  susec: number;
  ctime?: Date;
  cusec?: number;
  crealm?: string;
  cname?: PrincipalName;
  realm: string;
  sname: PrincipalName;
  eText?: string;
  eData?: Buffer;
}

/** KRB-ERROR [APPLICATION 30] (RFC 4120 §5.9.1). */
export function decodeKrbError(bytes: Buffer): KrbError {
  return kerberosDecode(() => {
    const f = Fields.of(bytes, 'KRB-ERROR', 0, applicationTag(MessageType.KRB_ERROR));
    expectHeader(f, MessageType.KRB_ERROR);
    const ctime = f.optionalTime(2, 'ctime');
    const cusec = f.optionalUsec(3, 'cusec');
    const stime = f.time(4, 'stime');
    const susec = f.usec(5, 'susec');
    const errorCode = f.int(6, 'error-code');
    const crealm = f.optionalString(7, 'crealm');
    const cname = f.optionalNested(8, 'cname', decodePrincipalName);
    const realm = f.string(9, 'realm');
    const sname = f.nested(10, 'sname', decodePrincipalName);
    const eText = f.optionalString(11, 'e-text');
    const eData = f.optionalOctets(12, 'e-data');
    return {
      errorCode,
      stime,
      susec,
      ...(ctime && { ctime }),
      ...(cusec !== undefined && { cusec }),
      ...(crealm !== undefined && { crealm }),
      ...(cname && { cname }),
      realm,
      sname,
      ...(eText !== undefined && { eText }),
      ...(eData && { eData }),
    };
  });
}

/** METHOD-DATA ::= SEQUENCE OF PA-DATA: the e-data of KDC_ERR_PREAUTH_REQUIRED (RFC 4120 §5.2.7). */
export function decodeMethodData(eData: Buffer): PaData[] {
  return kerberosDecode(() => decodePaDataList(eData, 'METHOD-DATA', 0));
}

export interface EtypeInfo2Entry {
  etype: number;
  salt?: string;
  s2kParams?: Buffer;
}

/** ETYPE-INFO2 ::= SEQUENCE SIZE (1..MAX) OF ETYPE-INFO2-ENTRY (RFC 4120 §5.2.7.5). */
export function decodeEtypeInfo2(value: Buffer): EtypeInfo2Entry[] {
  return kerberosDecode(() => {
    const entries = decodeSequenceOf(value, 'ETYPE-INFO2', 0, (item, what, depth) => {
      const f = Fields.of(item, what, depth);
      const etype = f.int(0, 'etype');
      const salt = f.optionalString(1, 'salt');
      const s2kParams = f.optionalOctets(2, 's2kparams');
      return { etype, ...(salt !== undefined && { salt }), ...(s2kParams && { s2kParams }) };
    });
    if (entries.length === 0) throw new DerFormatError('ETYPE-INFO2: no entries');
    return entries;
  });
}

