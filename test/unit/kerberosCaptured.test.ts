// The Kerberos codecs and crypto (main/smb/auth/kerberos/) against real KDC traffic: MIT krb5
// 1.20's kinit and kvno talking to Samba 4.17's AD DC (its embedded Heimdal KDC), captured by
// test/support/captureKerberos.ts into test/fixtures/kerberos/. The bytes are our own capture of
// our own throwaway test domain (realm PUSH.TEST, pushadmin / Push-Pa55word!); see the README
// there for how they were made and their licence (that of this repository).
//
// MIT's requests differ from the ones our client builds (exchanges.ts), so the encoders are
// checked field by field on MIT's values: MIT asks with kdc-options renewable-ok (AS) and
// renewable|canonicalize (TGS) where we add forwardable/renewable/canonicalize, `till` now + 1 day
// where we send 2037-09-13, eight etypes (18 17 20 19 16 23 25 26) where we offer 18 17, the
// service as name-type 1 where we send 2 (NT-SRV-INST), padata PA-AS-FRESHNESS (150) and
// PA-REQ-ENC-PA-REP (149) where we send PA-PAC-REQUEST (128); neither sends addresses or rtime.
// MIT's kvno also puts a subkey in its TGS authenticator and wraps the request in FAST (RFC 6113,
// PA-FX-FAST 136) because the KDC advertised it; our client does neither, so Samba answers it
// under the TGT session key with usage 8, and MIT under the FAST-strengthened subkey with usage 9.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tag, applicationTag, application, expectWhole, sequence, explicit, children, readTlv } from '../../main/smb/auth/der.js';
import { Fields, decodePrincipalName } from '../../main/smb/auth/kerberos/asn1.js';
import { aesCtsDecrypt, aesCtsEncrypt, checksum, decrypt, deriveKey, encrypt, stringToKey, type KerberosKey } from '../../main/smb/auth/kerberos/crypto.js';
import { fromKrbError } from '../../main/smb/auth/kerberos/errors.js';
import {
  KrbErrorCode, MessageType, PaType,
  decodeEncKdcRepPart, decodeEtypeInfo2, decodeKdcRep, decodeKrbError, decodeMethodData,
  encodeApReq, encodeAuthenticator, encodeEncryptedData, encodeKdcReq, encodeKdcReqBody, encodePaEncTsEnc,
} from '../../main/smb/auth/kerberos/messages.js';
import { encodeEncKdcRepPart, encodeEtypeInfo2, encodeKdcRep, encodeKrbError, encodePaDataList } from '../support/kerberosReplies.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { readKdcReq as readRequest } from '../support/kdcStandIn.js';

const DIR = join(REPO_ROOT, 'test', 'fixtures', 'kerberos');
const captured = (name: string): Buffer => Buffer.from(readFileSync(join(DIR, `${name}.hex`), 'utf8').trim(), 'hex');
const CAPTURED_AT = new Date((JSON.parse(readFileSync(join(DIR, 'capture.json'), 'utf8')) as { captured: string }).captured);
const AES256 = 18;

/** A captured KDC-REQ read just far enough (der.ts, asn1.ts's Fields) to re-encode it with our encoders. */
function readKdcReq(bytes: Buffer, msgType: 10 | 12): ReturnType<typeof readRequest> {
  const req = readRequest(bytes);
  assert.deepEqual([req.msgType, req.pvno, req.declaredType], [msgType, 5, msgType]);
  return req;
}

/** The confounder MIT chose: the first block of the CTS plaintext under Ke (RFC 3961 §5.3). */
function confounderOf(key: KerberosKey, usage: number, ciphertext: Buffer): Buffer {
  const constant = Buffer.alloc(5);
  constant.writeUInt32BE(usage, 0);
  constant[4] = 0xaa;
  return aesCtsDecrypt(deriveKey(key.value, constant), Buffer.alloc(16), ciphertext.subarray(0, ciphertext.length - 12)).output.subarray(0, 16);
}

/** RFC 3962 §6 PRF, RFC 6113 §5.1 PRF+ and KRB-FX-CF2 (aes256), from crypto.ts's DK and CTS. */
function prf(key: Buffer, octets: Buffer): Buffer {
  return aesCtsEncrypt(deriveKey(key, Buffer.from('prf')), Buffer.alloc(16), createHash('sha1').update(octets).digest().subarray(0, 16)).output;
}
function cf2(k1: Buffer, k2: Buffer, pepper1: string, pepper2: string): KerberosKey {
  const prfPlus = (k: Buffer, pepper: string) => Buffer.concat([1, 2].map((i) => prf(k, Buffer.concat([Buffer.of(i), Buffer.from(pepper)])))).subarray(0, 32);
  const a = prfPlus(k1, pepper1);
  const b = prfPlus(k2, pepper2);
  return { etype: AES256, value: Buffer.from(a.map((x, i) => x ^ b[i]!)) };
}

/** A SEQUENCE's [n] fields, for rebuilding one without a field our encoders do not write. */
function withoutField(element: Buffer, n: number): Buffer {
  const outer = readTlv(element, 0, 'outer');
  const inner = expectWhole(outer.value, Tag.SEQUENCE, 'inner');
  const kept = children(inner, 'fields').filter((c) => c.tag !== 0xa0 + n).map((c) => explicit(c.tag - 0xa0, c.value));
  return application(outer.tag - 0x60, sequence(...kept));
}

// What the tests share: the KDC's salt, the password's key, the TGT's session key.
const preauthRequired = decodeKrbError(captured('krb-error-preauth-required'));
const methodData = decodeMethodData(preauthRequired.eData!);
const etypeInfo2 = decodeEtypeInfo2(methodData.find((p) => p.type === PaType.ETYPE_INFO2)!.value);
const userKey = stringToKey(AES256, 'Push-Pa55word!', 'PUSH.TESTpushadmin', etypeInfo2[0]!.s2kParams);
const asRep = decodeKdcRep(captured('as-rep'));
const asRepPlain = decrypt(userKey, 3, asRep.encPart.cipher);
const asPart = decodeEncKdcRepPart(asRepPlain);
const tgtKey = asPart.key as KerberosKey;

describe('KRB-ERRORs of the Samba KDC', () => {
  test('PREAUTH_REQUIRED decodes to code 25 with METHOD-DATA whose ETYPE-INFO2 is etype 18, salt PUSH.TESTpushadmin, 4096 iterations, and re-encodes to the captured bytes', () => {
    assert.equal(preauthRequired.errorCode, KrbErrorCode.KDC_ERR_PREAUTH_REQUIRED);
    assert.equal(preauthRequired.realm, 'PUSH.TEST');
    assert.deepEqual(preauthRequired.sname.nameString, ['krbtgt', 'PUSH.TEST']);
    assert.deepEqual(preauthRequired.cname?.nameString, ['pushadmin']);
    assert.ok(methodData.some((p) => p.type === PaType.ENC_TIMESTAMP), 'offers PA-ENC-TIMESTAMP');
    assert.deepEqual(etypeInfo2, [{ etype: AES256, salt: 'PUSH.TESTpushadmin', s2kParams: Buffer.from('00001000', 'hex') }]);
    assert.deepEqual(encodeEtypeInfo2(etypeInfo2), methodData.find((p) => p.type === PaType.ETYPE_INFO2)!.value);
    assert.deepEqual(encodePaDataList(methodData), preauthRequired.eData);
    assert.deepEqual(encodeKrbError(preauthRequired), captured('krb-error-preauth-required'));
  });

  test('PREAUTH_FAILED decodes to code 24, re-encodes exactly, and fromKrbError makes it logon-failure KDC_ERR_PREAUTH_FAILED', () => {
    const failed = decodeKrbError(captured('krb-error-preauth-failed'));
    assert.equal(failed.errorCode, KrbErrorCode.KDC_ERR_PREAUTH_FAILED);
    assert.deepEqual(encodeKrbError(failed), captured('krb-error-preauth-failed'));
    const error = fromKrbError(failed, { principal: 'pushadmin@PUSH.TEST', now: CAPTURED_AT.getTime() });
    assert.equal(error.errorClass, 'logon-failure');
    assert.equal(error.code, 'KDC_ERR_PREAUTH_FAILED');
    assert.equal(error.krbCode, 24);
    assert.match(error.message, /pushadmin@PUSH\.TEST/);
  });
});

describe('AS exchange of kinit', () => {
  test('encodeKdcReqBody re-encodes both of MIT\'s AS-REQ bodies from their field values byte for byte, and encodeKdcReq with the same padata reproduces each AS-REQ', () => {
    for (const name of ['as-req-1', 'as-req-2']) {
      const bytes = captured(name);
      const req = readKdcReq(bytes, MessageType.AS_REQ);
      assert.deepEqual(req.present, [0, 1, 2, 3, 5, 7, 8], `${name}: no from, rtime, addresses, enc-authorization-data or additional-tickets`);
      assert.deepEqual(req.body.cname, { nameType: 1, nameString: ['pushadmin'] });
      assert.deepEqual(req.body.sname, { nameType: 2, nameString: ['krbtgt', 'PUSH.TEST'] });
      assert.deepEqual(encodeKdcReqBody(req.body), req.bodyBytes, name);
      assert.deepEqual(encodeKdcReq(MessageType.AS_REQ, req.padata, encodeKdcReqBody(req.body)), bytes, name);
    }
    assert.deepEqual(readKdcReq(captured('as-req-1'), MessageType.AS_REQ).padata.map((p) => p.type), [150, 149]);
    assert.deepEqual(readKdcReq(captured('as-req-2'), MessageType.AS_REQ).padata.map((p) => p.type), [PaType.ENC_TIMESTAMP, 150, 149]);
  });

  test('the PA-ENC-TIMESTAMP decrypts with stringToKey\'s key (usage 1) to the capture\'s time, and encrypt with MIT\'s confounder reproduces MIT\'s ciphertext byte for byte', () => {
    const pa = readKdcReq(captured('as-req-2'), MessageType.AS_REQ).padata[0]!;
    const f = Fields.of(pa.value, 'EncryptedData', 0);
    assert.equal(f.int(0, 'etype'), AES256);
    const cipher = f.octets(2, 'cipher');
    const plain = decrypt(userKey, 1, cipher);
    const ts = Fields.of(plain, 'PA-ENC-TS-ENC', 0);
    const time = ts.time(0, 'patimestamp').getTime() + ts.usec(1, 'pausec') / 1000;
    assert.ok(Math.abs(time - CAPTURED_AT.getTime()) < 5000, `the timestamp ${time} is the capture's time ${CAPTURED_AT.toISOString()}`);
    assert.equal(ts.time(0, 'patimestamp').getTime(), Date.UTC(2026, 11, 7, 6, 9, 9));
    const confounder = confounderOf(userKey, 1, cipher);
    assert.deepEqual(encrypt(userKey, 1, plain, confounder), cipher);
    assert.deepEqual(encodeEncryptedData({ etype: AES256, cipher: encrypt(userKey, 1, plain, confounder) }), pa.value);
    // Ours carries milliseconds: the same PA-ENC-TS-ENC but for pausec 65000 in place of MIT's 65419.
    assert.equal(ts.usec(1, 'pausec'), 65419);
    assert.deepEqual(encodePaEncTsEnc(new Date(Date.UTC(2026, 11, 7, 6, 9, 9, 65))), Buffer.from(plain.toString('hex').replace('0300ff8b', '0300fde8'), 'hex'));
  });

  test('the AS-REP decodes, its enc-part decrypts with the password\'s key (usage 3) to an EncASRepPart for krbtgt/PUSH.TEST with a 32-byte aes256 session key and as-req-2\'s nonce', () => {
    assert.equal(asRep.msgType, MessageType.AS_REP);
    assert.equal(asRep.crealm, 'PUSH.TEST');
    assert.deepEqual(asRep.cname, { nameType: 1, nameString: ['pushadmin'] });
    assert.deepEqual(asRep.ticket.sname, { nameType: 2, nameString: ['krbtgt', 'PUSH.TEST'] });
    assert.deepEqual(asRep.encPart.etype, AES256);
    assert.deepEqual(decodeEtypeInfo2(asRep.padata.find((p) => p.type === PaType.ETYPE_INFO2)!.value), etypeInfo2);
    assert.equal(asRepPlain[0], applicationTag(25), 'EncASRepPart [APPLICATION 25]');
    assert.equal(asPart.srealm, 'PUSH.TEST');
    assert.deepEqual(asPart.sname, { nameType: 2, nameString: ['krbtgt', 'PUSH.TEST'] });
    assert.equal(tgtKey.etype, AES256);
    assert.equal(tgtKey.value.length, 32);
    assert.equal(asPart.nonce, readKdcReq(captured('as-req-2'), MessageType.AS_REQ).body.nonce);
    assert.equal(asPart.endtime.getTime() - asPart.authtime.getTime(), 10 * 3600_000, 'a 10-hour TGT');
    assert.throws(() => decrypt(stringToKey(AES256, 'Wrong-Pa55word!', 'PUSH.TESTpushadmin'), 3, asRep.encPart.cipher), { code: 'integrity' });
  });

  test('the AS-REP and its EncASRepPart re-encode (test/support/kerberosReplies.ts) to the captured bytes, the EncASRepPart less the encrypted-pa-data [12] the encoder does not write', () => {
    assert.deepEqual(encodeKdcRep({ ...asRep, ticket: asRep.ticket.raw }), captured('as-rep'));
    // decodeEncKdcRepPart checks and drops last-req (Samba sends one entry, type 0 at the epoch)
    // and the RFC 6806 encrypted-pa-data [12] (Samba's PA-REQ-ENC-PA-REP and PA-FX-FAST).
    const lastReq = [{ type: 0, value: new Date(0) }];
    assert.deepEqual(encodeEncKdcRepPart(asPart, 25, lastReq), withoutField(asRepPlain, 12));
    assert.notDeepEqual(withoutField(asRepPlain, 12), asRepPlain, 'the captured part has a [12]');
  });
});

describe('TGS exchange of kvno', () => {
  const tgsReqBytes = captured('tgs-req');
  const tgsReq = readKdcReq(tgsReqBytes, MessageType.TGS_REQ);
  const apReqBytes = tgsReq.padata.find((p) => p.type === PaType.TGS_REQ)!.value;
  const ap = Fields.of(apReqBytes, 'AP-REQ', 0, applicationTag(MessageType.AP_REQ));
  const authEnc = Fields.of(ap.required(4, 'authenticator'), 'EncryptedData', 1);
  const authPlain = decrypt(tgtKey, 7, authEnc.octets(2, 'cipher'));
  const auth = Fields.of(authPlain, 'Authenticator', 0, applicationTag(2));
  const subkeyField = Fields.of(auth.required(6, 'subkey'), 'subkey', 1);
  const subkey: KerberosKey = { etype: subkeyField.int(0, 'keytype'), value: subkeyField.octets(1, 'keyvalue') };

  test('encodeKdcReqBody re-encodes MIT\'s TGS-REQ body byte for byte, encodeKdcReq the whole TGS-REQ, encodeApReq its AP-REQ around the TGT from the AS-REP verbatim', () => {
    assert.deepEqual(tgsReq.present, [0, 2, 3, 5, 7, 8]);
    assert.deepEqual(tgsReq.body.sname, { nameType: 1, nameString: ['cifs', 'dc1.push.test'] });
    assert.deepEqual(encodeKdcReqBody(tgsReq.body), tgsReq.bodyBytes);
    assert.deepEqual(encodeKdcReq(MessageType.TGS_REQ, tgsReq.padata, tgsReq.bodyBytes), tgsReqBytes);
    assert.deepEqual(tgsReq.padata.map((p) => p.type), [PaType.TGS_REQ, 136], 'PA-TGS-REQ, PA-FX-FAST');
    assert.deepEqual(ap.required(3, 'ticket'), asRep.ticket.raw);
    assert.deepEqual(encodeApReq(ap.flags(2, 'ap-options'), asRep.ticket.raw, { etype: authEnc.int(0, 'etype'), cipher: authEnc.octets(2, 'cipher') }), apReqBytes);
  });

  test('the authenticator decrypts with the TGT session key (usage 7), its checksum is our checksum (usage 6) of the request body, and encodeAuthenticator plus encrypt with MIT\'s confounder reproduce it', () => {
    const cksum = Fields.of(auth.required(3, 'cksum'), 'Checksum', 1);
    assert.equal(cksum.int(0, 'cksumtype'), 16, 'hmac-sha1-96-aes256');
    assert.deepEqual(cksum.octets(1, 'checksum'), checksum(tgtKey, 6, tgsReq.bodyBytes));
    assert.deepEqual(decodePrincipalName(auth.required(2, 'cname'), 'cname', 1), asRep.cname);
    assert.equal(auth.optional(7), undefined, 'no seq-number');
    const rebuilt = encodeAuthenticator({
      crealm: auth.string(1, 'crealm'), cname: asRep.cname, cksum: { type: 16, value: cksum.octets(1, 'checksum') },
      cusec: auth.usec(4, 'cusec'), ctime: auth.time(5, 'ctime'), subkey,
    });
    assert.deepEqual(rebuilt, authPlain);
    const cipher = authEnc.octets(2, 'cipher');
    assert.deepEqual(encrypt(tgtKey, 7, rebuilt, confounderOf(tgtKey, 7, cipher)), cipher);
  });

  test('the TGS-REP decodes and re-encodes exactly; its enc-part is not under the session key with usage 8 (MIT sent a subkey and FAST) but under the FAST-strengthened subkey with usage 9: cifs/dc1.push.test with the request\'s nonce', () => {
    const bytes = captured('tgs-rep');
    const rep = decodeKdcRep(bytes);
    assert.equal(rep.msgType, MessageType.TGS_REP);
    assert.deepEqual(rep.ticket.sname, { nameType: 1, nameString: ['cifs', 'dc1.push.test'] });
    assert.deepEqual(encodeKdcRep({ ...rep, ticket: rep.ticket.raw }), bytes);
    assert.throws(() => decrypt(tgtKey, 8, rep.encPart.cipher), { code: 'integrity' });
    assert.throws(() => decrypt(subkey, 9, rep.encPart.cipher), { code: 'integrity' });
    // RFC 6113 §5.4.1.1: TGS armor key = KRB-FX-CF2(subkey, TGT session key, "subkeyarmor", "ticketarmor").
    const armor = cf2(subkey.value, tgtKey.value, 'subkeyarmor', 'ticketarmor');
    const armoredReq = Fields.of(expectWhole(tgsReq.padata[1]!.value, 0xa0, 'PA-FX-FAST-REQUEST'), 'KrbFastArmoredReq', 0);
    assert.deepEqual(Fields.of(armoredReq.required(1, 'req-checksum'), 'Checksum', 1).octets(1, 'checksum'), checksum(armor, 50, apReqBytes), 'KEY_USAGE_FAST_REQ_CHKSUM over the AP-REQ');
    const armoredRep = Fields.of(expectWhole(rep.padata[0]!.value, 0xa0, 'PA-FX-FAST-REPLY'), 'KrbFastArmoredRep', 0);
    const fastRep = Fields.of(decrypt(armor, 52, Fields.of(armoredRep.required(0, 'enc-fast-rep'), 'EncryptedData', 1).octets(2, 'cipher')), 'KrbFastResponse', 0);
    assert.equal(fastRep.int(3, 'nonce'), tgsReq.body.nonce, 'the FAST reply names the request');
    const strengthen = Fields.of(fastRep.required(1, 'strengthen-key'), 'EncryptionKey', 1).octets(1, 'keyvalue');
    // RFC 6113 §5.4.3: reply key = KRB-FX-CF2(strengthen-key, subkey, "strengthenkey", "replykey").
    const plain = decrypt(cf2(strengthen, subkey.value, 'strengthenkey', 'replykey'), 9, rep.encPart.cipher);
    const part = decodeEncKdcRepPart(plain);
    assert.equal(part.srealm, 'PUSH.TEST');
    assert.deepEqual(part.sname, { nameType: 1, nameString: ['cifs', 'dc1.push.test'] });
    assert.equal(part.nonce, tgsReq.body.nonce);
    assert.equal(part.key.etype, AES256);
    assert.equal(part.key.value.length, 32);
    assert.deepEqual(encodeEncKdcRepPart(part, plain[0] === applicationTag(26) ? 26 : 25, [{ type: 0, value: new Date(0) }]), withoutField(plain, 12));
  });
});
