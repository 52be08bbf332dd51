// The two KDC exchanges of RFC 4120 §3.1–3.3 as a Windows client runs them (MS-KILE 3.1.5):
// the AS exchange, answering KDC_ERR_PREAUTH_REQUIRED with PA-ENC-TIMESTAMP under the key the
// KDC's ETYPE-INFO2 salts (RFC 4120 §5.2.7.2, §5.2.7.5), and the TGS exchange for a service
// (`cifs/<host>`), whose authenticator carries the checksum of the request body (RFC 4120
// §5.5.1, key usage 6; Samba's KDC requires it), following referral TGTs a bounded number of times.
import crypto from 'node:crypto';
import {
  checksum, checksumTypeFor, decrypt, encrypt, etypeName, isSupportedEtype, stringToKey, type KerberosKey,
} from './crypto.js';
import { KerberosError, fromKrbError, kerberosProtocolError } from './errors.js';
import { sendToKdc, type KdcAddress } from './kdcTransport.js';
import {
  KdcOption, KerberosFormatError, KrbErrorCode, MessageType, NameType, PaType,
  decodeEncKdcRepPart, decodeEtypeInfo2, decodeKdcRep, decodeKrbError, decodeMethodData, encodeApReq, encodeAuthenticator, encodeEncryptedData,
  encodeKdcReq, encodeKdcReqBody, encodePaEncTsEnc, encodePaPacRequest, peekMessageType,
  type EncKdcRepPart, type EtypeInfo2Entry, type KdcRep, type PaData, type PrincipalName, type Ticket,
} from './messages.js';

// RFC 4120 §7.5.1 key usages.
const USAGE_PA_ENC_TIMESTAMP = 1;
const USAGE_AS_REP_ENC_PART = 3;
const USAGE_TGS_REQ_AUTH_CKSUM = 6;
const USAGE_TGS_REQ_AUTH = 7;
const USAGE_TGS_REP_ENC_PART_SESSION_KEY = 8;

/** MS-KILE 3.1.5.2: Windows asks for tickets `till` 2037-09-13T02:48:05Z and lets the KDC cap them. */
const TILL = new Date(Date.UTC(2037, 8, 13, 2, 48, 5));
/** Referral TGTs followed before giving up (MS-KILE 3.1.5.4 leaves the bound to the client). */
export const MAX_REFERRALS = 5;

/** A ticket with the key and times the KDC gave with it. */
export interface Credential {
  readonly ticket: Ticket;
  readonly key: KerberosKey;
  readonly part: EncKdcRepPart;
  readonly crealm: string;
  readonly cname: PrincipalName;
}

export interface ExchangeContext {
  readonly realm: string;
  readonly kdcs: (realm: string) => Promise<readonly KdcAddress[]>;
  readonly timeoutMs: number;
  readonly etypes: readonly number[];
  readonly now: () => number;
  /** Counts each request sent to a KDC (the ticket cache's tests count them). */
  readonly onRequest?: (kind: 'AS-REQ' | 'TGS-REQ') => void;
}

const nonce = () => crypto.randomBytes(4).readUInt32BE(0) & 0x7fffffff;

async function send(ctx: ExchangeContext, realm: string, kind: 'AS-REQ' | 'TGS-REQ', request: Buffer): Promise<Buffer> {
  ctx.onRequest?.(kind);
  return sendToKdc(request, await ctx.kdcs(realm), ctx.timeoutMs, realm);
}

/** Decodes a KDC reply: the KDC_REP, or the KRB-ERROR as the error the admin sees (thrown). */
function readReply(reply: Buffer, expected: 11 | 13): KdcRep | { error: ReturnType<typeof decodeKrbError> } {
  try {
    const type = peekMessageType(reply);
    if (type === MessageType.KRB_ERROR) return { error: decodeKrbError(reply) };
    if (type !== expected) throw kerberosProtocolError(`The KDC answered with Kerberos message type ${type} where ${expected} was expected.`);
    return decodeKdcRep(reply);
  } catch (error) {
    if (error instanceof KerberosFormatError) throw kerberosProtocolError(`The KDC's reply is malformed: ${error.message}.`);
    throw error;
  }
}

function decryptPart(key: KerberosKey, usage: number, rep: KdcRep, expectNonce: number): EncKdcRepPart {
  if (rep.encPart.etype !== key.etype) throw kerberosProtocolError(`The KDC encrypted its reply with ${etypeName(rep.encPart.etype)}, not the ${etypeName(key.etype)} key it was asked for.`);
  let part: EncKdcRepPart;
  try {
    part = decodeEncKdcRepPart(decrypt(key, usage, rep.encPart.cipher));
  } catch (error) {
    if ((error as { code?: string }).code === 'integrity') throw new KerberosError('logon-failure', 'The KDC\'s reply does not decrypt with the account\'s key: the password is wrong.', 'Check the password set for this account (Set Credentials…).', 'KRB_AP_ERR_BAD_INTEGRITY');
    throw kerberosProtocolError(`The KDC's encrypted reply is malformed: ${(error as Error).message}.`);
  }
  // RFC 4120 §3.1.5: the nonce must be the request's, else the reply is a replay or not ours.
  if (part.nonce !== expectNonce) throw kerberosProtocolError('The KDC\'s reply does not carry the request\'s nonce.');
  if (!isSupportedEtype(part.key.etype)) throw new KerberosError('kerberos-etype', `The KDC gave a session key of ${etypeName(part.key.etype)}, which the console does not use.`, 'Enable AES for the account and the computer (msDS-SupportedEncryptionTypes).', 'KDC_ERR_ETYPE_NOSUPP');
  return part;
}

/** The first ETYPE-INFO2 entry the console supports, in the KDC's order of preference. */
function chooseEtype(padata: readonly PaData[]): EtypeInfo2Entry | null {
  const info = padata.find((p) => p.type === PaType.ETYPE_INFO2);
  if (!info) return null;
  return decodeEtypeInfo2(info.value).find((e) => isSupportedEtype(e.etype)) ?? null;
}

/** AS exchange for the TGT `krbtgt/REALM` with the password (RFC 4120 §3.1; MS-KILE 3.1.5.1). */
export async function requestTgt(ctx: ExchangeContext, user: string, password: string): Promise<Credential> {
  const cname: PrincipalName = { nameType: NameType.PRINCIPAL, nameString: [user] };
  const principal = `${user}@${ctx.realm}`;
  const sname: PrincipalName = { nameType: NameType.SRV_INST, nameString: ['krbtgt', ctx.realm] };
  const pac: PaData = { type: PaType.PAC_REQUEST, value: encodePaPacRequest(true) };
  const body = (n: number) => encodeKdcReqBody({ kdcOptions: KdcOption.FORWARDABLE | KdcOption.RENEWABLE | KdcOption.CANONICALIZE | KdcOption.RENEWABLE_OK, cname, realm: ctx.realm, sname, till: TILL, nonce: n, etypes: [...ctx.etypes] });

  // First without pre-authentication: the KDC answers PREAUTH_REQUIRED with the salt and etypes.
  let n = nonce();
  let reply = readReply(await send(ctx, ctx.realm, 'AS-REQ', encodeKdcReq(MessageType.AS_REQ, [pac], body(n))), MessageType.AS_REP);
  let key: KerberosKey | null = null;
  if ('error' in reply) {
    if (reply.error.errorCode !== KrbErrorCode.KDC_ERR_PREAUTH_REQUIRED) throw fromKrbError(reply.error, { principal, now: ctx.now() });
    const chosen = chooseEtype(reply.error.eData ? decodeMethodData(reply.error.eData) : []);
    if (!chosen) throw fromKrbError({ ...reply.error, errorCode: KrbErrorCode.KDC_ERR_ETYPE_NOSUPP }, { principal, now: ctx.now() });
    key = stringToKey(chosen.etype, password, chosen.salt ?? `${ctx.realm}${user}`, chosen.s2kParams);
    const now = ctx.now();
    const timestamp = encrypt(key, USAGE_PA_ENC_TIMESTAMP, encodePaEncTsEnc(new Date(now)));
    const encTs: PaData = { type: PaType.ENC_TIMESTAMP, value: encodeEncryptedData({ etype: key.etype, cipher: timestamp }) };
    n = nonce();
    reply = readReply(await send(ctx, ctx.realm, 'AS-REQ', encodeKdcReq(MessageType.AS_REQ, [encTs, pac], body(n))), MessageType.AS_REP);
    if ('error' in reply) throw fromKrbError(reply.error, { principal, now: ctx.now() });
  }
  // A KDC that needs no pre-authentication (DONT_REQ_PREAUTH) salts its reply's key in its padata.
  if (!key || key.etype !== reply.encPart.etype) {
    const chosen = chooseEtype(reply.padata);
    key = stringToKey(reply.encPart.etype, password, chosen?.etype === reply.encPart.etype && chosen.salt !== undefined ? chosen.salt : `${ctx.realm}${user}`, chosen?.s2kParams);
  }
  const part = decryptPart(key, USAGE_AS_REP_ENC_PART, reply, n);
  return { ticket: reply.ticket, key: part.key as KerberosKey, part, crealm: reply.crealm, cname: reply.cname };
}

/** TGS exchange for `service/host` with a TGT, following referrals (RFC 4120 §3.3; MS-KILE 3.1.5.4). */
export async function requestServiceTicket(ctx: ExchangeContext, tgt: Credential, service: string, host: string): Promise<Credential> {
  const spn = `${service}/${host}`;
  const principal = `${tgt.cname.nameString.join('/')}@${tgt.crealm}`;
  let current = tgt;
  for (let hop = 0; hop <= MAX_REFERRALS; hop++) {
    const realm = current.ticket.sname.nameString[1] ?? current.ticket.realm;
    const sname: PrincipalName = { nameType: NameType.SRV_INST, nameString: [service, host] };
    const n = nonce();
    const bodyBytes = encodeKdcReqBody({ kdcOptions: KdcOption.FORWARDABLE | KdcOption.RENEWABLE | KdcOption.CANONICALIZE, realm, sname, till: TILL, nonce: n, etypes: [...ctx.etypes] });
    const now = ctx.now();
    const authenticator = encodeAuthenticator({
      crealm: current.crealm,
      cname: current.cname,
      cksum: { type: checksumTypeFor(current.key.etype), value: checksum(current.key, USAGE_TGS_REQ_AUTH_CKSUM, bodyBytes) },
      ctime: new Date(Math.floor(now / 1000) * 1000),
      cusec: (now % 1000) * 1000,
    });
    const apReq = encodeApReq(0, current.ticket.raw, { etype: current.key.etype, cipher: encrypt(current.key, USAGE_TGS_REQ_AUTH, authenticator) });
    const request = encodeKdcReq(MessageType.TGS_REQ, [{ type: PaType.TGS_REQ, value: apReq }, { type: PaType.PAC_REQUEST, value: encodePaPacRequest(true) }], bodyBytes);
    const reply = readReply(await send(ctx, realm, 'TGS-REQ', request), MessageType.TGS_REP);
    if ('error' in reply) throw fromKrbError(reply.error, { principal, spn, now: ctx.now() });
    const part = decryptPart(current.key, USAGE_TGS_REP_ENC_PART_SESSION_KEY, reply, n);
    const got: Credential = { ticket: reply.ticket, key: part.key as KerberosKey, part, crealm: reply.crealm, cname: reply.cname };
    // What the KDC says it issued is read from the encrypted (authenticated) part, not the ticket's clear sname.
    const [first, second] = part.sname.nameString;
    // A referral: a TGT for another realm instead of the service (MS-KILE 3.1.5.4).
    if (first?.toLowerCase() === 'krbtgt' && service !== 'krbtgt' && second !== undefined && second.toUpperCase() !== realm.toUpperCase()) {
      current = got;
      continue;
    }
    // RFC 4120 §3.3.5 (with name canonicalization, RFC 6806 §5): the ticket must be for the service asked for.
    if (part.sname.nameString.length !== 2 || first?.toLowerCase() !== service.toLowerCase() || second?.toLowerCase() !== host.toLowerCase()) {
      throw kerberosProtocolError(`The KDC issued a ticket for ${part.sname.nameString.join('/')} where ${spn} was asked for.`);
    }
    return got;
  }
  throw kerberosProtocolError(`More than ${MAX_REFERRALS} referrals were needed to reach ${spn}.`);
}
