// A scripted KDC stand-in on loopback for the exchange and ticket-cache tests: a net.Server on
// 127.0.0.1 (port 0) reading 4-byte-length-framed requests (RFC 4120 §7.2.2) and answering what
// the test scripts — a reply built with test/support/kerberosReplies.ts and crypto.ts, raw bytes,
// silence or a closed connection. It is a test double for the edge cases a real DC cannot produce
// on demand; the real DC is test/interop/kerberosAdDc.test.ts. `scriptedKdc` plays a plain realm:
// PREAUTH_REQUIRED with ETYPE-INFO2, the PA-ENC-TIMESTAMP checked against the password's key
// (else PREAUTH_FAILED), TGS-REQs checked (authenticator under the TGT's key, body checksum).
// Its tickets are opaque to the client: their enc-part is the session key under one stand-in key.
import net from 'node:net';
import { Tag, applicationTag, decodeInteger, expectWhole } from '../../main/smb/auth/der.js';
import { Fields, decodeEncryptedData, decodePaData, decodePrincipalName, decodeTicket } from '../../main/smb/auth/kerberos/asn1.js';
import { checksum, decrypt, encrypt, randomKey, stringToKey, type KerberosKey } from '../../main/smb/auth/kerberos/crypto.js';
import type { KdcAddress } from '../../main/smb/auth/kerberos/kdcTransport.js';
import { KrbErrorCode, MessageType, NameType, PaType, frameTcp, type KdcReqBody, type PaData, type PrincipalName } from '../../main/smb/auth/kerberos/messages.js';
import { encodeEncKdcRepPart, encodeEtypeInfo2, encodeKdcRep, encodeKrbError, encodePaDataList, encodeTicket } from './kerberosReplies.js';

/** What the stand-in does with one request: a reply (framed for it), raw bytes, nothing, or a hang-up. */
export type Answer = Buffer | { raw: Buffer } | 'silent' | 'close';

export interface KdcStandIn {
  readonly address: KdcAddress;
  /** Every complete request received, in order. */
  readonly requests: Buffer[];
  close(): Promise<void>;
}

export async function startKdc(answer: (request: Buffer, index: number) => Answer): Promise<KdcStandIn> {
  const requests: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 4 || buffered.length < 4 + buffered.readUInt32BE(0)) return;
      const request = buffered.subarray(4, 4 + buffered.readUInt32BE(0));
      requests.push(request);
      const reply = answer(request, requests.length - 1);
      if (reply === 'close') socket.destroy();
      else if (reply === 'silent') return;
      else socket.end(Buffer.isBuffer(reply) ? frameTcp(reply) : reply.raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: { host: '127.0.0.1', port },
    requests,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on (bound, then closed): connecting is refused. */
export async function refusedAddress(): Promise<KdcAddress> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return { host: '127.0.0.1', port };
}

/** A KDC-REQ read with der.ts / asn1.ts's Fields: its padata, the exact body bytes and the body's fields. */
export function readKdcReq(bytes: Buffer) {
  const msgType = bytes[0] === applicationTag(MessageType.AS_REQ) ? MessageType.AS_REQ : MessageType.TGS_REQ;
  const f = Fields.of(bytes, 'KDC-REQ', 0, applicationTag(msgType));
  const padata: PaData[] = f.optional(3) === undefined ? [] : f.sequenceOf(3, 'padata').map((e, i) => decodePaData(e, `padata[${i}]`, 1));
  const bodyBytes = f.required(4, 'req-body');
  const b = Fields.of(bodyBytes, 'KDC-REQ-BODY', 1);
  const cname = b.optionalNested(1, 'cname', decodePrincipalName);
  const body: KdcReqBody = {
    kdcOptions: b.flags(0, 'kdc-options'),
    ...(cname && { cname }),
    realm: b.string(2, 'realm'),
    sname: b.nested(3, 'sname', decodePrincipalName),
    till: b.time(5, 'till'),
    nonce: b.int(7, 'nonce') >>> 0,
    etypes: b.sequenceOf(8, 'etype').map((e) => decodeInteger(expectWhole(e, Tag.INTEGER, 'etype'), 'etype')),
  };
  const present = Array.from({ length: 12 }, (_, n) => n).filter((n) => b.optional(n) !== undefined);
  return { msgType, pvno: f.int(1, 'pvno'), declaredType: f.int(2, 'msg-type'), padata, bodyBytes, body, present };
}

/** The key the stand-in's tickets are under (a krbtgt / service key the client never sees). */
const TICKET_KEY = randomKey(18);
const USAGE_TICKET = 2;

export function issueTicket(realm: string, sname: PrincipalName, sessionKey: KerberosKey): Buffer {
  return encodeTicket({ realm, sname, encPart: { etype: 18, kvno: 1, cipher: encrypt(TICKET_KEY, USAGE_TICKET, sessionKey.value) } });
}

export function krbError(code: number, realm: string, now: number, eData?: Buffer): Buffer {
  const stime = new Date(Math.floor(now / 1000) * 1000);
  return encodeKrbError({ errorCode: code, stime, susec: 0, realm, sname: { nameType: NameType.SRV_INST, nameString: ['krbtgt', realm] }, ...(eData && { eData }) });
}

export interface KdcScript {
  readonly realm: string;
  readonly user: string;
  readonly password: string;
  readonly now: () => number;
  readonly tgtLifetimeMs?: number;
  readonly serviceLifetimeMs?: number;
  /** The nonce put in the reply for the request's (default: the same). */
  readonly replyNonce?: (nonce: number) => number;
  /** The key the AS-REP's enc-part is under (default: the password's). */
  readonly asReplyKey?: KerberosKey;
  /** For a TGS-REQ: the realm to refer the client to (a TGT krbtgt/<realm> in place of the ticket), or null. */
  readonly referral?: (sname: PrincipalName, tgsIndex: number) => string | null;
  /** For a TGS-REQ: the name the ticket is issued for in place of the one asked for (a KDC that answers with another service). */
  readonly issuedFor?: (sname: PrincipalName) => PrincipalName;
}

/** A plain realm's KDC (see the head of this file) as an answer function for startKdc. */
export function scriptedKdc(script: KdcScript): (request: Buffer) => Answer {
  const salt = `${script.realm}${script.user}`;
  const userKey = stringToKey(18, script.password, salt);
  let tgsIndex = 0;
  const reply = (msgType: 11 | 13, cname: PrincipalName, crealm: string, sname: PrincipalName, nonce: number, replyKey: KerberosKey, usage: number, lifetimeMs: number, padata: PaData[] = []) => {
    const now = script.now();
    const sessionKey = randomKey(18);
    const part = encodeEncKdcRepPart({
      key: sessionKey, nonce: (script.replyNonce ?? ((n) => n))(nonce) >>> 0, flags: 0x40e10000,
      authtime: new Date(now), endtime: new Date(now + lifetimeMs), srealm: script.realm, sname,
    }, msgType === 11 ? 25 : 26, [{ type: 0, value: new Date(now) }]);
    return encodeKdcRep({ msgType, padata, crealm, cname, ticket: issueTicket(script.realm, sname, sessionKey), encPart: { etype: replyKey.etype, cipher: encrypt(replyKey, usage, part) } });
  };
  return (request) => {
    const req = readKdcReq(request);
    const now = script.now();
    if (req.msgType === MessageType.AS_REQ) {
      const etypeInfo: PaData = { type: PaType.ETYPE_INFO2, value: encodeEtypeInfo2([{ etype: 18, salt, s2kParams: Buffer.from('00001000', 'hex') }]) };
      const encTs = req.padata.find((p) => p.type === PaType.ENC_TIMESTAMP);
      if (!encTs) return krbError(KrbErrorCode.KDC_ERR_PREAUTH_REQUIRED, script.realm, now, encodePaDataList([{ type: PaType.ENC_TIMESTAMP, value: Buffer.alloc(0) }, etypeInfo]));
      try {
        decrypt(userKey, 1, decodeEncryptedData(encTs.value, 'PA-ENC-TIMESTAMP', 0).cipher);
      } catch {
        return krbError(KrbErrorCode.KDC_ERR_PREAUTH_FAILED, script.realm, now);
      }
      return reply(11, req.body.cname!, script.realm, req.body.sname, req.body.nonce, script.asReplyKey ?? userKey, 3, script.tgtLifetimeMs ?? 10 * 3600_000, [etypeInfo]);
    }
    // TGS-REQ: the TGT's session key from its ticket, the authenticator under it, its body checksum.
    const apReq = Fields.of(req.padata.find((p) => p.type === PaType.TGS_REQ)!.value, 'AP-REQ', 0, applicationTag(MessageType.AP_REQ));
    const tgt = decodeTicket(apReq.required(3, 'ticket'), 'ticket', 1);
    const tgtKey: KerberosKey = { etype: 18, value: decrypt(TICKET_KEY, USAGE_TICKET, tgt.encPart.cipher) };
    const auth = Fields.of(decrypt(tgtKey, 7, apReq.nested(4, 'authenticator', decodeEncryptedData).cipher), 'Authenticator', 0, applicationTag(2));
    const cksum = Fields.of(auth.required(3, 'cksum'), 'cksum', 1).octets(1, 'checksum');
    if (!cksum.equals(checksum(tgtKey, 6, req.bodyBytes))) return krbError(KrbErrorCode.KRB_AP_ERR_MODIFIED, script.realm, now);
    const cname = auth.nested(2, 'cname', decodePrincipalName);
    const referTo = script.referral?.(req.body.sname, tgsIndex++) ?? null;
    const sname = referTo ? { nameType: NameType.SRV_INST, nameString: ['krbtgt', referTo] } : (script.issuedFor?.(req.body.sname) ?? req.body.sname);
    return reply(13, cname, auth.string(1, 'crealm'), sname, req.body.nonce, tgtKey, 8, referTo ? (script.tgtLifetimeMs ?? 10 * 3600_000) : (script.serviceLifetimeMs ?? 10 * 3600_000));
  };
}
