// The GSS-API Kerberos initiator inside SPNEGO (RFC 4121, MS-KILE 3.2.5): the AP-REQ token with
// the 0x8003 authenticator checksum (RFC 4121 §4.1.1: mutual, replay, sequence, confidentiality
// and integrity asked for, as Windows' SMB client asks), a random subkey and mutual
// authentication required; the AP-REP verified (its ctime/cusec must echo ours, RFC 4120
// §3.2.5); the key SMB uses (RFC 4121 §2: the acceptor's subkey, else ours, else the ticket's
// session key); and the per-message MIC token for SPNEGO's mechListMIC (RFC 4121 §4.2.6.1).
import crypto from 'node:crypto';
import { checksum, decrypt, encrypt, randomKey, verifyChecksum, type KerberosKey } from './crypto.js';
import { fromKrbError, kerberosProtocolError } from './errors.js';
import type { Credential } from './exchanges.js';
import {
  ApOption, GssFlag, GssTokId, KerberosFormatError, MessageType,
  decodeApRep, decodeEncApRepPart, decodeKrbError, encodeApReq, encodeAuthenticator, gssChecksum8003, peekMessageType, unwrapGssKrb5, wrapGssKrb5,
} from './messages.js';

// RFC 4120 §7.5.1 and RFC 4121 §2 key usages.
const USAGE_AP_REQ_AUTH = 11;
const USAGE_AP_REP_ENC_PART = 12;
const KG_USAGE_ACCEPTOR_SIGN = 23;
const KG_USAGE_INITIATOR_SIGN = 25;
/** RFC 4121 §4.1.1.1: the authenticator checksum type that carries the GSS flags. */
const CHECKSUM_GSS = 0x8003;
const GSS_FLAGS = GssFlag.MUTUAL | GssFlag.REPLAY | GssFlag.SEQUENCE | GssFlag.CONF | GssFlag.INTEG;

/** A security context being established with one target. */
export interface KerberosContext {
  /** The GSS InitialContextToken (AP-REQ) for SPNEGO's mechToken. */
  readonly token: Buffer;
  /** Verifies the acceptor's AP-REP token and returns the context's key (RFC 4121 §2). */
  complete(replyToken: Buffer): EstablishedContext;
}

export interface EstablishedContext {
  /** The key SMB derives its session keys from (MS-SMB2 3.2.5.3: the GSS session key). */
  readonly sessionKey: Buffer;
  /** The key of per-message tokens, for mechListMIC. */
  readonly key: KerberosKey;
  readonly acceptorSubkey: boolean;
  /** RFC 4121 §4.2.6.1 MIC token of `data`, sent by the initiator (SPNEGO's mechListMIC, RFC 4178 §5). */
  mic(data: Buffer): Buffer;
  /** Whether `token` is the acceptor's valid MIC of `data`. */
  verifyMic(data: Buffer, token: Buffer): boolean;
}

export function initiateContext(service: Credential, now: number, random: (n: number) => Buffer = crypto.randomBytes): KerberosContext {
  const subkey = randomKey(service.key.etype, random);
  const sequence = random(4).readUInt32BE(0) & 0x3fffffff;
  const ctime = new Date(Math.floor(now / 1000) * 1000);
  const cusec = (now % 1000) * 1000;
  const authenticator = encodeAuthenticator({
    crealm: service.crealm,
    cname: service.cname,
    cksum: { type: CHECKSUM_GSS, value: gssChecksum8003(GSS_FLAGS) },
    ctime,
    cusec,
    subkey,
    seqNumber: sequence,
  });
  const apReq = encodeApReq(ApOption.MUTUAL_REQUIRED, service.ticket.raw, { etype: service.key.etype, cipher: encrypt(service.key, USAGE_AP_REQ_AUTH, authenticator) });
  return {
    token: wrapGssKrb5(GssTokId.AP_REQ, apReq),
    complete: (replyToken) => {
      const reply = readApRep(replyToken, service, now);
      let part;
      try {
        part = decodeEncApRepPart(decrypt(service.key, USAGE_AP_REP_ENC_PART, reply));
      } catch (error) {
        if (error instanceof KerberosFormatError) throw kerberosProtocolError(`The computer's AP-REP is malformed: ${error.message}.`);
        throw kerberosProtocolError(`The computer's AP-REP does not decrypt with the ticket's key (${(error as Error).message}): it is not the computer the ticket is for.`);
      }
      if (part.ctime.getTime() !== ctime.getTime() || part.cusec !== cusec) throw kerberosProtocolError('The computer\'s AP-REP does not echo the authenticator\'s time: mutual authentication failed.');
      const key = part.subkey ? { etype: part.subkey.etype, value: part.subkey.value } : subkey;
      return established(key, part.subkey !== undefined, sequence, part.seqNumber ?? 0);
    },
  };
}

/** The AP-REP's encrypted part: from a GSS token (tokId 0x0200), or the KRB-ERROR it carries instead. */
function readApRep(token: Buffer, service: Credential, now: number): Buffer {
  const spn = service.ticket.sname.nameString.join('/');
  try {
    let body = token;
    if (token[0] === 0x60) {
      const gss = unwrapGssKrb5(token);
      if (gss.tokId === GssTokId.KRB_ERROR) throw fromKrbError(decodeKrbError(gss.body), { principal: service.cname.nameString.join('/'), spn, now });
      if (gss.tokId !== GssTokId.AP_REP) throw kerberosProtocolError(`The computer answered with GSS token 0x${gss.tokId.toString(16)} where an AP-REP was expected.`);
      body = gss.body;
    }
    const type = peekMessageType(body);
    if (type === MessageType.KRB_ERROR) throw fromKrbError(decodeKrbError(body), { principal: service.cname.nameString.join('/'), spn, now });
    if (type !== MessageType.AP_REP) throw kerberosProtocolError(`The computer answered with Kerberos message type ${type} where an AP-REP was expected.`);
    const rep = decodeApRep(body);
    if (rep.encPart.etype !== service.key.etype) throw kerberosProtocolError('The computer\'s AP-REP is not encrypted with the ticket\'s session key type.');
    return rep.encPart.cipher;
  } catch (error) {
    if (error instanceof KerberosFormatError) throw kerberosProtocolError(`The computer's AP-REP is malformed: ${error.message}.`);
    throw error;
  }
}

function established(key: KerberosKey, acceptorSubkey: boolean, initiatorSeq: number, acceptorSeq: number): EstablishedContext {
  const header = (sentByAcceptor: boolean, seq: number) => {
    // RFC 4121 §4.2.6.1: TOK_ID 04 04, Flags (SentByAcceptor 1, AcceptorSubkey 4), five 0xFF, SND_SEQ (8 bytes BE).
    const h = Buffer.alloc(16, 0xff);
    h.writeUInt16BE(0x0404, 0);
    h[2] = (sentByAcceptor ? 1 : 0) | (acceptorSubkey ? 4 : 0);
    h.writeUInt32BE(0, 8);
    h.writeUInt32BE(seq >>> 0, 12);
    return h;
  };
  return {
    sessionKey: key.value,
    key,
    acceptorSubkey,
    mic(data) {
      const h = header(false, initiatorSeq);
      return Buffer.concat([h, checksum(key, KG_USAGE_INITIATOR_SIGN, Buffer.concat([data, h]))]);
    },
    verifyMic(data, token) {
      if (token.length !== 28) return false;
      const h = header(true, acceptorSeq);
      // The acceptor's sequence number is its own; compare the rest of the header, take its SND_SEQ.
      token.copy(h, 8, 8, 16);
      if (!token.subarray(0, 16).equals(h)) return false;
      return verifyChecksum(key, KG_USAGE_ACCEPTOR_SIGN, Buffer.concat([data, h]), token.subarray(16));
    },
  };
}
