// The Kerberos messages (RFC 4120 §5.4–5.9, MS-KILE 2.2) a client sends and reads, in one module:
// the KDC exchanges (kdc.ts), the AP exchange (ap.ts), GSS-API krb5 tokens (gss.ts) over the
// building blocks of asn1.ts; and here the outer-tag peek and TCP framing.
import { applicationNumber, kerberosDecode } from './asn1.js';

export * from './constants.js';
export * from './kdc.js';
export * from './ap.js';
export * from './gss.js';
export { KerberosFormatError, encodeEncryptedData } from './asn1.js';
export type { Checksum, EncryptedData, EncryptionKey, PaData, PrincipalName, Ticket } from './asn1.js';

// ---- framing ----

/** The n of the [APPLICATION n] element that is the whole of `bytes`. */
export function peekMessageType(bytes: Buffer): number {
  return kerberosDecode(() => applicationNumber(bytes, 'Kerberos message'));
}

/** RFC 4120 §7.2.2: a 4-byte big-endian length (high bit clear) before the message. */
export function frameTcp(message: Buffer): Buffer {
  if (message.length > 0x7fffffff) throw new RangeError('a Kerberos message over TCP is at most 2^31-1 bytes');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length, 0);
  return Buffer.concat([length, message]);
}

