// Encoders for the messages a KDC or an acceptor sends (the client only decodes them): AS-REP,
// TGS-REP, Ticket, EncKDCRepPart, KRB-ERROR, AP-REP, EncAPRepPart, METHOD-DATA, ETYPE-INFO2.
// Written from RFC 4120 §5 for round-trip and fuzz tests; field order and optionality as there.
import { application, encodeBitString32, encodeGeneralString, encodeInteger, encodeKerberosTime, encodeOctetString, sequence } from '../../main/smb/auth/der.js';
import { encodeEncryptedData, encodeEncryptionKey, encodePaData, encodePrincipalName, fieldSequence } from '../../main/smb/auth/kerberos/asn1.js';
import type { EncApRepPart, EncKdcRepPart, EncryptedData, EtypeInfo2Entry, KrbError, PaData, PrincipalName } from '../../main/smb/auth/kerberos/messages.js';

const int = encodeInteger;
const time = encodeKerberosTime;
const optional = <T>(value: T | undefined, encode: (v: T) => Buffer): Buffer | undefined => (value === undefined ? undefined : encode(value));

export function encodeTicket(t: { realm: string; sname: PrincipalName; encPart: EncryptedData }): Buffer {
  return application(1, fieldSequence([[0, int(5)], [1, encodeGeneralString(t.realm)], [2, encodePrincipalName(t.sname)], [3, encodeEncryptedData(t.encPart)]]));
}

export const encodePaDataList = (padata: PaData[]): Buffer => sequence(...padata.map(encodePaData));

export interface KdcRepFields {
  msgType: 11 | 13;
  padata: PaData[];
  crealm: string;
  cname: PrincipalName;
  /** The Ticket's DER. */
  ticket: Buffer;
  encPart: EncryptedData;
}

export function encodeKdcRep(rep: KdcRepFields): Buffer {
  return application(
    rep.msgType,
    fieldSequence([
      [0, int(5)],
      [1, int(rep.msgType)],
      [2, rep.padata.length > 0 ? encodePaDataList(rep.padata) : undefined],
      [3, encodeGeneralString(rep.crealm)],
      [4, encodePrincipalName(rep.cname)],
      [5, rep.ticket],
      [6, encodeEncryptedData(rep.encPart)],
    ]),
  );
}

export interface LastReqEntry {
  type: number;
  value: Date;
}

export function encodeEncKdcRepPart(part: EncKdcRepPart, tag: 25 | 26 = 25, lastReq: LastReqEntry[] = []): Buffer {
  return application(
    tag,
    fieldSequence([
      [0, encodeEncryptionKey(part.key)],
      [1, sequence(...lastReq.map((lr) => fieldSequence([[0, int(lr.type)], [1, time(lr.value)]])))],
      [2, int(part.nonce)],
      [3, optional(part.keyExpiration, time)],
      [4, encodeBitString32(part.flags)],
      [5, time(part.authtime)],
      [6, optional(part.starttime, time)],
      [7, time(part.endtime)],
      [8, optional(part.renewTill, time)],
      [9, encodeGeneralString(part.srealm)],
      [10, encodePrincipalName(part.sname)],
    ]),
  );
}

export function encodeKrbError(e: KrbError): Buffer {
  return application(
    30,
    fieldSequence([
      [0, int(5)],
      [1, int(30)],
      [2, optional(e.ctime, time)],
      [3, optional(e.cusec, int)],
      [4, time(e.stime)],
      [5, int(e.susec)],
      [6, int(e.errorCode)],
      [7, optional(e.crealm, encodeGeneralString)],
      [8, optional(e.cname, encodePrincipalName)],
      [9, encodeGeneralString(e.realm)],
      [10, encodePrincipalName(e.sname)],
      [11, optional(e.eText, encodeGeneralString)],
      [12, optional(e.eData, encodeOctetString)],
    ]),
  );
}

export function encodeApRep(encPart: EncryptedData): Buffer {
  return application(15, fieldSequence([[0, int(5)], [1, int(15)], [2, encodeEncryptedData(encPart)]]));
}

export function encodeEncApRepPart(part: EncApRepPart): Buffer {
  return application(
    27,
    fieldSequence([
      [0, time(part.ctime)],
      [1, int(part.cusec)],
      [2, optional(part.subkey, encodeEncryptionKey)],
      [3, optional(part.seqNumber, int)],
    ]),
  );
}

export function encodeEtypeInfo2(entries: EtypeInfo2Entry[]): Buffer {
  return sequence(
    ...entries.map((e) =>
      fieldSequence([
        [0, int(e.etype)],
        [1, optional(e.salt, encodeGeneralString)],
        [2, optional(e.s2kParams, encodeOctetString)],
      ]),
    ),
  );
}
