// Kerberos messages (RFC 4120, MS-KILE) and krb5 GSS tokens (RFC 4121): the client's encoders
// byte-exact against MIT krb5's reference encodings (test/support/kerberosVectors.ts), the decoders
// reading MIT's replies back (re-encoded to the same bytes), round trips of every message, the DER
// primitives' edge cases, and strictness wherever a KDC's or a server's bytes could be wrong.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DerFormatError, MAX_DEPTH, decodeInteger, encodeInteger, tlv } from '../../main/smb/auth/der.js';
import { Fields } from '../../main/smb/auth/kerberos/asn1.js';
import { KRB5_OID, MS_KRB5_OID, NTLMSSP_OID, NegState, decodeNegTokenInit, decodeNegTokenResp, encodeMechTypeList, encodeNegTokenInit, encodeNegTokenResp } from '../../main/smb/auth/spnego.js';
import {
  GssFlag,
  GssTokId,
  KerberosFormatError,
  KrbErrorCode,
  MessageType,
  decodeApRep,
  decodeEncApRepPart,
  decodeEncKdcRepPart,
  decodeEtypeInfo2,
  decodeKdcRep,
  decodeKrbError,
  decodeMethodData,
  encodeApReq,
  encodeAuthenticator,
  encodeEncryptedData,
  encodeKdcReq,
  encodeKdcReqBody,
  encodePaEncTsEnc,
  encodePaPacRequest,
  frameTcp,
  gssChecksum8003,
  krbErrorName,
  peekMessageType,
  unwrapGssKrb5,
  wrapGssKrb5,
} from '../../main/smb/auth/kerberos/messages.js';
import { encodeApRep, encodeEncApRepPart, encodeEncKdcRepPart, encodeKdcRep, encodeEtypeInfo2, encodeKrbError, encodePaDataList, encodeTicket } from '../support/kerberosReplies.js';
import * as mit from '../support/kerberosVectors.js';
import { MIT_ENC_DATA, MIT_KEY, MIT_PRINCIPAL as HFTSAI, MIT_REALM as REALM, MIT_TIME, MIT_USEC } from '../support/kerberosVectors.js';
import { hex } from '../support/wire.js';

const PA_DATA_13 = { type: 13, value: Buffer.from('pa-data', 'latin1') };
const LAST_REQ = [{ type: -5, value: MIT_TIME }, { type: -5, value: MIT_TIME }];

describe('client encoders equal MIT krb5 reference encodings byte for byte', () => {
  test('EncryptedData, KDC-REQ-BODY, AS-REQ and TGS-REQ (with the optionals our client never sends left out)', () => {
    assert.deepEqual(encodeEncryptedData(MIT_ENC_DATA), mit.ENC_DATA);
    const body = encodeKdcReqBody({ kdcOptions: 0xfedcba90, realm: REALM, sname: HFTSAI, till: MIT_TIME, nonce: 42, etypes: [0, 1] });
    assert.deepEqual(body, mit.KDC_REQ_BODY_MINIMAL);
    assert.deepEqual(encodeKdcReq(MessageType.AS_REQ, [], body), mit.AS_REQ_MINIMAL);
    assert.deepEqual(encodeKdcReq(MessageType.TGS_REQ, [], body), mit.TGS_REQ_MINIMAL);
  });

  test('a KDC-REQ with padata puts SEQUENCE OF PA-DATA (tags [1] and [2]) in field [3]', () => {
    assert.deepEqual(encodePaDataList([PA_DATA_13, PA_DATA_13]), mit.PADATA_SEQUENCE);
    const req = encodeKdcReq(MessageType.AS_REQ, [PA_DATA_13, PA_DATA_13], mit.KDC_REQ_BODY_MINIMAL);
    assert.ok(req.includes(Buffer.concat([hex('a326'), mit.PADATA_SEQUENCE])));
    assert.ok(req.subarray(req.length - mit.KDC_REQ_BODY_MINIMAL.length).equals(mit.KDC_REQ_BODY_MINIMAL));
  });

  test('AP-REQ re-sends the ticket verbatim', () => {
    assert.deepEqual(encodeApReq(0xfedcba98, mit.TICKET, MIT_ENC_DATA), mit.AP_REQ);
    assert.throws(() => encodeApReq(0, mit.ENC_DATA, MIT_ENC_DATA), KerberosFormatError, 'not a Ticket');
  });

  test('Authenticator: the minimal one, and the full one less its authorization-data [8] (which we never send)', () => {
    assert.deepEqual(encodeAuthenticator({ crealm: REALM, cname: HFTSAI, cusec: MIT_USEC, ctime: MIT_TIME }), mit.AUTHENTICATOR_MINIMAL);
    const authzData = 0x26; // "A8 24 …" at the end of the full vector
    const expected = tlv(0x62, tlv(0x30, mit.AUTHENTICATOR.subarray(6, mit.AUTHENTICATOR.length - authzData)));
    const full = encodeAuthenticator({
      crealm: REALM, cname: HFTSAI, cksum: { type: 1, value: Buffer.from('1234') }, cusec: MIT_USEC, ctime: MIT_TIME, subkey: MIT_KEY, seqNumber: 17,
    });
    assert.deepEqual(full, expected);
  });

  test('PA-ENC-TS-ENC carries the Date\'s milliseconds as pausec (MIT\'s 123456 µs vector with 456000 µs)', () => {
    const expected = hex(mit.PA_ENC_TS.toString('hex').replace('020301e240', '020306f540'));
    assert.deepEqual(encodePaEncTsEnc(new Date(MIT_TIME.getTime() + 456)), expected);
  });

  test('KERB-PA-PAC-REQUEST is SEQUENCE { [0] BOOLEAN } with DER TRUE 0xff (MS-KILE 2.2.3)', () => {
    assert.equal(encodePaPacRequest(true).toString('hex'), '3005a0030101ff');
    assert.equal(encodePaPacRequest(false).toString('hex'), '3005a003010100');
  });
});

describe('decoders read MIT krb5 reference replies, and the test encoders give the same bytes back', () => {
  test('AS-REP and TGS-REP, with and without padata; Ticket.raw is the exact ticket DER', () => {
    for (const [bytes, msgType, padata] of [[mit.AS_REP, 11, 2], [mit.AS_REP_MINIMAL, 11, 0], [mit.TGS_REP, 13, 2]] as const) {
      const rep = decodeKdcRep(bytes);
      assert.equal(rep.msgType, msgType);
      assert.deepEqual(rep.padata, Array(padata).fill(PA_DATA_13));
      assert.equal(rep.crealm, REALM);
      assert.deepEqual(rep.cname, HFTSAI);
      assert.deepEqual(rep.ticket, { realm: REALM, sname: HFTSAI, encPart: MIT_ENC_DATA, raw: mit.TICKET });
      assert.deepEqual(rep.encPart, MIT_ENC_DATA);
      assert.deepEqual(encodeKdcRep({ ...rep, ticket: rep.ticket.raw }), bytes);
      assert.equal(peekMessageType(bytes), msgType);
    }
    assert.deepEqual(encodeTicket(decodeKdcRep(mit.AS_REP).ticket), mit.TICKET);
  });

  test('EncKDCRepPart [APPLICATION 26]: every field; last-req and caddr checked but not kept', () => {
    const part = decodeEncKdcRepPart(mit.ENC_KDC_REP_PART);
    const all = { key: MIT_KEY, nonce: 42, keyExpiration: MIT_TIME, flags: 0xfedcba98, authtime: MIT_TIME, starttime: MIT_TIME, endtime: MIT_TIME, renewTill: MIT_TIME, srealm: REALM, sname: HFTSAI };
    assert.deepEqual(part, all);
    const minimal = decodeEncKdcRepPart(mit.ENC_KDC_REP_PART_MINIMAL);
    assert.deepEqual(minimal, { key: MIT_KEY, nonce: 42, flags: 0xfe5cba98, authtime: MIT_TIME, endtime: MIT_TIME, srealm: REALM, sname: HFTSAI });
    assert.deepEqual(encodeEncKdcRepPart(minimal, 26, LAST_REQ), mit.ENC_KDC_REP_PART_MINIMAL);
  });

  test('KRB-ERROR with every optional field, and with none', () => {
    const full = decodeKrbError(mit.KRB_ERROR);
    const krb5data = Buffer.from('krb5data');
    assert.deepEqual(full, {
      errorCode: KrbErrorCode.KRB_ERR_GENERIC, stime: MIT_TIME, susec: MIT_USEC, ctime: MIT_TIME, cusec: MIT_USEC,
      crealm: REALM, cname: HFTSAI, realm: REALM, sname: HFTSAI, eText: 'krb5data', eData: krb5data,
    });
    assert.deepEqual(encodeKrbError(full), mit.KRB_ERROR);
    const minimal = decodeKrbError(mit.KRB_ERROR_MINIMAL);
    assert.deepEqual(minimal, { errorCode: 60, stime: MIT_TIME, susec: MIT_USEC, cusec: MIT_USEC, realm: REALM, sname: HFTSAI });
    assert.deepEqual(encodeKrbError(minimal), mit.KRB_ERROR_MINIMAL);
    assert.equal(peekMessageType(mit.KRB_ERROR), MessageType.KRB_ERROR);
  });

  test('AP-REP and EncAPRepPart (subkey and seq-number optional)', () => {
    assert.deepEqual(decodeApRep(mit.AP_REP), { encPart: MIT_ENC_DATA });
    assert.deepEqual(encodeApRep(MIT_ENC_DATA), mit.AP_REP);
    const part = decodeEncApRepPart(mit.AP_REP_ENC_PART);
    assert.deepEqual(part, { ctime: MIT_TIME, cusec: MIT_USEC, subkey: MIT_KEY, seqNumber: 17 });
    assert.deepEqual(encodeEncApRepPart(part), mit.AP_REP_ENC_PART);
    assert.deepEqual(decodeEncApRepPart(mit.AP_REP_ENC_PART_MINIMAL), { ctime: MIT_TIME, cusec: MIT_USEC });
  });

  test('METHOD-DATA and ETYPE-INFO2 (an entry without salt keeps s2kparams)', () => {
    assert.deepEqual(decodeMethodData(mit.PADATA_SEQUENCE), [PA_DATA_13, PA_DATA_13]);
    const s2k = (n: number): Buffer => Buffer.from(`s2k: ${n}`);
    assert.deepEqual(decodeEtypeInfo2(mit.ETYPE_INFO2), [
      { etype: 0, salt: "Morton's #0", s2kParams: s2k(0) },
      { etype: 1, s2kParams: s2k(1) },
      { etype: 2, salt: "Morton's #2", s2kParams: s2k(2) },
    ]);
  });
});

describe('round trips with Active Directory-shaped values', () => {
  const realm = 'CORP.EXAMPLE.COM';
  const krbtgt = { nameType: 2, nameString: ['krbtgt', realm] };
  const admin = { nameType: 1, nameString: ['Administrator'] };
  const aesTicket = encodeTicket({ realm, sname: krbtgt, encPart: { etype: 18, kvno: 2, cipher: Buffer.alloc(1100, 7) } });

  test('AS-REP and TGS-REP with long-form lengths decode to what was encoded', () => {
    for (const msgType of [11, 13] as const) {
      const padata = [{ type: 19, value: encodeEtypeInfo2([{ etype: 18, salt: `${realm}Administrator` }]) }];
      const fields = { msgType, padata, crealm: realm, cname: admin, ticket: aesTicket, encPart: { etype: 18, kvno: 4_294_967_295, cipher: Buffer.alloc(300, 9) } };
      const rep = decodeKdcRep(encodeKdcRep(fields));
      assert.deepEqual({ ...rep, ticket: rep.ticket.raw }, fields);
      assert.deepEqual(rep.ticket.sname, krbtgt);
    }
  });

  test('EncKDCRepPart [APPLICATION 25] is accepted for a TGS reply too; nonce 2^31-1 and flags 0xffffffff survive', () => {
    const part = { key: { etype: 18, value: Buffer.alloc(32, 1) }, nonce: 0x7fffffff, flags: 0xffffffff, authtime: new Date('2024-02-29T23:59:59Z'), endtime: new Date('2038-01-19T03:14:08Z'), srealm: realm, sname: krbtgt };
    for (const tag of [25, 26] as const) assert.deepEqual(decodeEncKdcRepPart(encodeEncKdcRepPart(part, tag)), part);
  });

  test('KRB-ERROR PREAUTH_REQUIRED carries METHOD-DATA whose ETYPE-INFO2 decodes', () => {
    const etypeInfo2 = encodeEtypeInfo2([{ etype: 18, salt: `${realm}Administrator` }, { etype: 23 }]);
    const eData = encodePaDataList([{ type: 19, value: etypeInfo2 }, { type: 2, value: Buffer.alloc(0) }, { type: 128, value: Buffer.alloc(0) }]);
    const error = { errorCode: KrbErrorCode.KDC_ERR_PREAUTH_REQUIRED, stime: new Date('2025-01-01T00:00:00Z'), susec: 999_999, realm, sname: krbtgt, eData };
    const decoded = decodeKrbError(encodeKrbError(error));
    assert.deepEqual(decoded, error);
    const methods = decodeMethodData(decoded.eData ?? Buffer.alloc(0));
    assert.deepEqual(methods.map((m) => m.type), [19, 2, 128]);
    assert.deepEqual(decodeEtypeInfo2(methods[0]!.value), [{ etype: 18, salt: 'CORP.EXAMPLE.COMAdministrator' }, { etype: 23 }]);
  });

  test('seq-number 2^32-1 is read as unsigned, and a negative (Windows 2000 style) one as its 32-bit pattern', () => {
    const base = { ctime: MIT_TIME, cusec: 0 };
    assert.equal(decodeEncApRepPart(encodeEncApRepPart({ ...base, seqNumber: 0xffffffff })).seqNumber, 0xffffffff);
    assert.equal(decodeEncApRepPart(encodeEncApRepPart({ ...base, seqNumber: -2 })).seqNumber, 0xfffffffe);
  });

  test('frameTcp prefixes the 4-byte big-endian length', () => {
    assert.equal(frameTcp(mit.AP_REP).toString('hex'), '00000035' + mit.AP_REP.toString('hex'));
  });

  test('krbErrorName names known codes and numbers unknown ones', () => {
    assert.equal(krbErrorName(24), 'KDC_ERR_PREAUTH_FAILED');
    assert.equal(krbErrorName(37), 'KRB_AP_ERR_SKEW');
    assert.equal(krbErrorName(1234), 'Kerberos error 1234');
  });
});

describe('decoders refuse what RFC 4120 does not allow, with KerberosFormatError naming the field', () => {
  const swap = (bytes: Buffer, from: string, to: string): Buffer => {
    const text = bytes.toString('hex');
    assert.ok(text.includes(from), `vector contains ${from}`);
    return hex(text.replace(from, to));
  };
  const refuses = (decode: () => unknown, message: RegExp): void => {
    assert.throws(decode, (error: unknown) => error instanceof KerberosFormatError && error.name === 'KerberosFormatError' && message.test(error.message));
  };

  test('trailing bytes after EncKDCRepPart, EncAPRepPart, or a message', () => {
    refuses(() => decodeEncKdcRepPart(Buffer.concat([mit.ENC_KDC_REP_PART, Buffer.of(0)])), /trailing/);
    refuses(() => decodeEncApRepPart(Buffer.concat([mit.AP_REP_ENC_PART, Buffer.alloc(4)])), /trailing/);
    refuses(() => decodeKdcRep(Buffer.concat([mit.AS_REP, Buffer.of(0)])), /trailing/);
    refuses(() => peekMessageType(hex('3000')), /APPLICATION/);
  });

  test('a field of the wrong type, a missing field, a repeated field, a wrong pvno or msg-type', () => {
    // crealm [3] as an OCTET STRING instead of a GeneralString
    refuses(() => decodeKdcRep(swap(mit.AS_REP_MINIMAL, 'a3101b0e', 'a310040e')), /AS-REP\.crealm/);
    refuses(() => decodeKrbError(swap(mit.KRB_ERROR_MINIMAL, 'a6030201', 'a7030201')), /error-code \[6\] is missing/);
    refuses(() => decodeApRep(swap(mit.AP_REP, 'a10302010f', 'a00302010f')), /twice/);
    refuses(() => decodeApRep(swap(mit.AP_REP, 'a003020105', 'a003020104')), /pvno/);
    refuses(() => decodeKdcRep(swap(mit.AS_REP_MINIMAL, 'a10302010b', 'a10302010d')), /msg-type/);
    refuses(() => decodeKdcRep(mit.KRB_ERROR), /expected AS-REP or TGS-REP/);
    refuses(() => decodeEncKdcRepPart(swap(mit.AP_REP_ENC_PART, '7b', '7c')), /APPLICATION 25/);
    refuses(() => decodeKrbError(swap(mit.KRB_ERROR_MINIMAL, 'a305020301e240', 'a30502030f4240')), /cusec.*microseconds/);
    refuses(() => decodeEtypeInfo2(hex('3000')), /no entries/);
  });

  test('an unknown context field is ignored', () => {
    const withField15 = tlv(0x6f, tlv(0x30, mit.AP_REP.subarray(4), hex('af03020100')));
    assert.deepEqual(decodeApRep(withField15), { encPart: MIT_ENC_DATA });
  });

  test('KerberosTime must be exactly YYYYMMDDHHMMSSZ and a real UTC second', () => {
    const withTime = (text: string): Buffer => tlv(0x7b, tlv(0x30, tlv(0xa0, tlv(0x18, Buffer.from(text, 'latin1'))), hex('a103020100')));
    assert.deepEqual(decodeEncApRepPart(withTime('20240229235959Z')).ctime, new Date('2024-02-29T23:59:59Z'));
    assert.deepEqual(decodeEncApRepPart(withTime('00010101000000Z')).ctime.getUTCFullYear(), 1);
    for (const bad of ['19940610060317.5Z', '19940610060317', '19940610060317+0000', '940610060317Z', '19941310060317Z', '20230229000000Z', '19940610240000Z', '19940610235960Z', '19940610060317z', '', '19940610060317Z ']) {
      refuses(() => decodeEncApRepPart(withTime(bad)), /EncAPRepPart\.ctime/);
    }
    // Encoding drops the milliseconds.
    assert.equal(encodeAuthenticator({ crealm: 'R', cname: { nameType: 1, nameString: ['a'] }, cusec: 0, ctime: new Date('2030-12-31T23:59:59.999Z') }).includes(Buffer.from('20301231235959Z')), true);
    assert.throws(() => encodePaEncTsEnc(new Date(Number.NaN)), RangeError);
  });

  test('KerberosFlags must be 32 bits with no unused bits; strings must be UTF-8; tags single-byte', () => {
    refuses(() => decodeEncKdcRepPart(swap(mit.ENC_KDC_REP_PART_MINIMAL, 'a40703050', 'a40703051')), /flags/);
    refuses(() => decodeKrbError(swap(mit.KRB_ERROR_MINIMAL, '415448454e41', 'ff5448454e41')), /realm.*UTF-8/);
    refuses(() => peekMessageType(hex('7f1e00')), /multi-byte/);
  });
});

describe('DER INTEGER: minimal two\'s complement in the 32-bit range', () => {
  const cases: Array<[number, string]> = [
    [0, '00'], [-1, 'ff'], [127, '7f'], [128, '0080'], [-128, '80'], [-129, 'ff7f'], [255, '00ff'], [256, '0100'],
    [2 ** 31 - 1, '7fffffff'], [-(2 ** 31), '80000000'], [2 ** 31, '0080000000'], [2 ** 32 - 1, '00ffffffff'],
  ];

  test('0, -1, 127, 128, 2^31-1, -2^31 and the unsigned 2^31 .. 2^32-1 encode and decode both ways', () => {
    for (const [value, content] of cases) {
      assert.equal(encodeInteger(value).toString('hex'), `02${(content.length / 2).toString(16).padStart(2, '0')}${content}`, String(value));
      assert.equal(decodeInteger(hex(content), 'n'), value, content);
    }
  });

  test('empty, non-minimal and over-long contents are refused on decode; out-of-range values on encode', () => {
    for (const bad of ['', '007f', 'ff80', '0000', '0100000000', '00ffffffffff', '000080000000']) assert.throws(() => decodeInteger(hex(bad), 'n'), DerFormatError, bad);
    for (const bad of [2 ** 32, -(2 ** 31) - 1, 1.5, Number.NaN]) assert.throws(() => encodeInteger(bad), RangeError, String(bad));
  });

  test('every truncation of every MIT reply is a KerberosFormatError, never a RangeError', () => {
    const decoders: Array<[Buffer, (b: Buffer) => unknown]> = [
      [mit.AS_REP, decodeKdcRep], [mit.TGS_REP, decodeKdcRep], [mit.KRB_ERROR, decodeKrbError], [mit.AP_REP, decodeApRep],
      [mit.ENC_KDC_REP_PART, decodeEncKdcRepPart], [mit.AP_REP_ENC_PART, decodeEncApRepPart], [mit.ETYPE_INFO2, decodeEtypeInfo2], [mit.PADATA_SEQUENCE, decodeMethodData],
    ];
    for (const [bytes, decode] of decoders) {
      for (let length = 0; length < bytes.length; length++) assert.throws(() => decode(bytes.subarray(0, length)), KerberosFormatError, `length ${length}`);
    }
  });

  test(`nested decoding stops past ${MAX_DEPTH} levels`, () => {
    assert.throws(() => Fields.of(mit.KEYBLOCK, 'deep', MAX_DEPTH + 1), /nested more than/);
    assert.equal(Fields.of(mit.KEYBLOCK, 'shallow', MAX_DEPTH).int(0, 'keytype'), 1);
  });
});

describe('GSS-API krb5 tokens (RFC 4121 §4.1) and SPNEGO with Kerberos (MS-SPNG 3.1.5.1)', () => {
  const KRB5_OID_DER = '06092a864886f712010202';
  const MS_KRB5_OID_DER = '06092a864882f712010202';

  test('wrapGssKrb5 is 0x60 len { krb5 OID, TOK_ID big-endian, body } and unwraps to its parts', () => {
    const token = wrapGssKrb5(GssTokId.AP_REQ, mit.AP_REQ);
    assert.equal(token.subarray(0, 16).toString('hex'), `6081ad${KRB5_OID_DER}0100`);
    assert.deepEqual(unwrapGssKrb5(token), { oid: KRB5_OID, tokId: 0x0100, body: mit.AP_REQ });
    const ms = wrapGssKrb5(GssTokId.AP_REP, mit.AP_REP, MS_KRB5_OID);
    assert.equal(ms.subarray(2, 13).toString('hex'), MS_KRB5_OID_DER);
    assert.deepEqual(unwrapGssKrb5(ms), { oid: MS_KRB5_OID, tokId: 0x0200, body: mit.AP_REP });
  });

  test('unwrapGssKrb5 refuses a token without TOK_ID, with trailing bytes, or not [APPLICATION 0]', () => {
    for (const bad of [`600b${KRB5_OID_DER}`, `600c${KRB5_OID_DER}01`, `600d${KRB5_OID_DER}010000`, `610d${KRB5_OID_DER}0200`, '']) {
      assert.throws(() => unwrapGssKrb5(hex(bad)), KerberosFormatError, bad);
    }
  });

  test('the 0x8003 checksum is Lgth 16 (LE), Bnd (16 bytes, zeros without bindings), Flags (LE)', () => {
    const flags = GssFlag.MUTUAL | GssFlag.REPLAY | GssFlag.SEQUENCE | GssFlag.CONF | GssFlag.INTEG;
    assert.equal(gssChecksum8003(flags).toString('hex'), `10000000${'00'.repeat(16)}3e000000`);
    const bindings = Buffer.alloc(16, 0xab);
    assert.equal(gssChecksum8003(GssFlag.MUTUAL, bindings).toString('hex'), `10000000${'ab'.repeat(16)}02000000`);
    assert.throws(() => gssChecksum8003(GssFlag.DELEG | GssFlag.MUTUAL), RangeError);
    assert.throws(() => gssChecksum8003(flags, Buffer.alloc(15)), RangeError);
  });

  test('a NegTokenInit offering MS-KRB5, KRB5, NTLMSSP with the AP-REQ decodes with the existing decoder', () => {
    const mechs = [MS_KRB5_OID, KRB5_OID, NTLMSSP_OID];
    assert.equal(encodeMechTypeList(mechs).toString('hex'), `3022${MS_KRB5_OID_DER}${KRB5_OID_DER}060a2b06010401823702020a`);
    const apReq = wrapGssKrb5(GssTokId.AP_REQ, mit.AP_REQ);
    assert.deepEqual(decodeNegTokenInit(encodeNegTokenInit(apReq, mechs)), { mechTypes: mechs, mechToken: apReq, mechTypesDer: encodeMechTypeList(mechs) });
    assert.deepEqual(decodeNegTokenInit(encodeNegTokenInit(apReq)).mechTypes, [NTLMSSP_OID]);
  });

  test('the server\'s NegTokenResp carries the GSS-wrapped AP-REP back to the client', () => {
    const resp = decodeNegTokenResp(encodeNegTokenResp(wrapGssKrb5(GssTokId.AP_REP, mit.AP_REP), undefined, NegState.ACCEPT_COMPLETED));
    const inner = unwrapGssKrb5(resp.responseToken ?? Buffer.alloc(0));
    assert.equal(inner.tokId, GssTokId.AP_REP);
    assert.deepEqual(decodeApRep(inner.body), { encPart: MIT_ENC_DATA });
  });
});
