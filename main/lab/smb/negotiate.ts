// NEGOTIATE as a Windows 11 24H2 server answers it (MS-SMB2 3.3.5.3, 3.3.5.4): the highest common
// dialect of 2.0.2 … 3.1.1, signing required, large MTU, 3.1.1 preauth integrity (SHA-512),
// encryption and signing capabilities, and the SMB1 multi-protocol negotiate answered with an SMB2
// NEGOTIATE response (dialect 2.??? or 2.0.2) so a client that starts with SMB1 moves on to SMB2.
import crypto from 'node:crypto';
import { Capabilities, Cipher, DIALECT_WILDCARD, Dialect, HASH_SHA512, SecurityMode, SigningAlg } from '../../smb/codec/constants.js';
import { decodeNegotiateRequest, encodeNegotiateResponse } from '../../smb/codec/negotiate.js';
import { decodeSmb1NegotiateDialects } from '../../smb/codec/smb1Negotiate.js';
import { filetimeNow } from '../../smb/codec/wire.js';
import { extendPreauthHash } from '../../smb/negotiation.js';
import { SmbFormatError } from '../../smb/codec/wire.js';
import type { CipherId } from '../../smb/crypto/encryption.js';
import type { SigningAlgorithm } from '../../smb/crypto/signing.js';
import { negotiateSecurityBuffer } from './spnegoServer.js';
import { windowsLike, type LabPersonality } from '../hostState.js';
import { Status } from '../../smb/ntstatus.js';
import type { Result } from './model.js';

export const SERVER_DIALECTS = [Dialect.SMB311, Dialect.SMB302, Dialect.SMB300, Dialect.SMB210, Dialect.SMB202] as const;
export { DIALECT_WILDCARD } from '../../smb/codec/constants.js';
export const MAX_IO_SIZE = 8 * 1024 * 1024;
export const SMB202_MAX_IO_SIZE = 65536;
export const SERVER_SECURITY_MODE = SecurityMode.SIGNING_ENABLED | SecurityMode.SIGNING_REQUIRED;

/** Server preference (MS-SMB2 3.3.5.4: the server picks among the client's ciphers). */
const CIPHER_PREFERENCE: readonly number[] = [Cipher.AES128_GCM, Cipher.AES128_CCM, Cipher.AES256_GCM, Cipher.AES256_CCM];
const SIGNING_PREFERENCE: readonly number[] = [SigningAlg.AES_GMAC, SigningAlg.AES_CMAC, SigningAlg.HMAC_SHA256];
const SIGNING_NAMES: Record<number, SigningAlgorithm> = {
  [SigningAlg.HMAC_SHA256]: 'hmac-sha256',
  [SigningAlg.AES_CMAC]: 'aes-cmac',
  [SigningAlg.AES_GMAC]: 'aes-gmac',
};

/** What NEGOTIATE settles for the connection (MS-SMB2 3.3.1.7 Connection). */
export interface NegotiatedConnection {
  dialect: number;
  clientDialects: number[];
  clientGuid: Buffer;
  clientSecurityMode: number;
  clientCapabilities: number;
  serverCapabilities: number;
  cipher: CipherId | null;
  /** 3.1.1 signing algorithm; 3.0/3.0.2 always sign with AES-CMAC, 2.x with HMAC-SHA256. */
  signingAlgorithm: SigningAlgorithm;
  maxIoSize: number;
  /** 3.1.1: SHA-512 over the NEGOTIATE request and response. */
  preauth: Buffer;
}

/** Who answers a NEGOTIATE: the host's server GUID and personality. */
export interface NegotiatingHost {
  readonly serverGuid: Buffer;
  readonly personality: LabPersonality | undefined;
}

/**
 * The capabilities a host answers with. Samba-like: LARGE_MTU above 2.0.2, ENCRYPTION at 3.0/3.0.2
 * when asked. Windows adds DFS, and LEASING and DIRECTORY_LEASING where the dialect has them, as
 * the recorded Windows NEGOTIATE responses in test/fixtures/windows/ show: 0x7 at 2.1 to a client
 * offering none (the PsExec recording), 0x67 at 3.0 and 0x27 at 3.1.1 to a client offering 0x77
 * (Windows Server 2016 in Wireshark's captures). No ENCRYPTION at 3.1.1 either way: its cipher is
 * negotiated in a context.
 */
function serverCapabilities(dialect: number, clientCapabilities: number, personality: LabPersonality | undefined): number {
  const windows = windowsLike({ personality });
  let caps = windows ? Capabilities.DFS : 0;
  if (dialect !== Dialect.SMB202 && dialect !== DIALECT_WILDCARD) caps |= Capabilities.LARGE_MTU | (windows ? Capabilities.LEASING : 0);
  // DIRECTORY_LEASING when the client offers it too, as ENCRYPTION (the Linux client of Wireshark's
  // captures offered 0x77 and Windows answered with it); a client that does not (impacket) gets none.
  if (windows && dialect >= Dialect.SMB300 && dialect !== DIALECT_WILDCARD && clientCapabilities & Capabilities.DIRECTORY_LEASING) caps |= Capabilities.DIRECTORY_LEASING;
  if ((dialect === Dialect.SMB300 || dialect === Dialect.SMB302) && clientCapabilities & Capabilities.ENCRYPTION) caps |= Capabilities.ENCRYPTION;
  return caps;
}

function responseBody(dialect: number, host: NegotiatingHost, caps: number, contexts?: { cipher: number; signingAlgorithm: number | null }): Buffer {
  const maxIo = dialect === Dialect.SMB202 || dialect === DIALECT_WILDCARD ? SMB202_MAX_IO_SIZE : MAX_IO_SIZE;
  return encodeNegotiateResponse({
    securityMode: SERVER_SECURITY_MODE,
    dialect,
    serverGuid: host.serverGuid,
    capabilities: caps,
    maxTransactSize: maxIo,
    maxReadSize: maxIo,
    maxWriteSize: maxIo,
    systemTime: filetimeNow(),
    securityBuffer: negotiateSecurityBuffer(host.personality),
    preauthHashAlgorithm: contexts ? HASH_SHA512 : null,
    preauthSalt: contexts ? crypto.randomBytes(32) : null,
    cipher: contexts?.cipher ?? null,
    signingAlgorithm: contexts?.signingAlgorithm ?? null,
  });
}

/**
 * The SMB2 NEGOTIATE request. `settle` receives the connection's negotiated state once the response
 * is sent (its bytes complete the 3.1.1 preauth hash).
 */
export function handleNegotiate(message: Buffer, host: NegotiatingHost, settle: (n: NegotiatedConnection) => void): Result {
  let req;
  try {
    req = decodeNegotiateRequest(message);
  } catch (error) {
    if (error instanceof SmbFormatError) return { status: Status.INVALID_PARAMETER };
    throw error;
  }
  if (req.dialects.length === 0) return { status: Status.INVALID_PARAMETER };
  const dialect = SERVER_DIALECTS.find((d) => req.dialects.includes(d));
  if (dialect === undefined) return { status: Status.NOT_SUPPORTED };
  const caps = serverCapabilities(dialect, req.capabilities, host.personality);
  let cipher: CipherId | null = null;
  let signingAlgorithm: SigningAlgorithm = dialect >= Dialect.SMB300 ? 'aes-cmac' : 'hmac-sha256';
  let contexts: { cipher: number; signingAlgorithm: number | null } | undefined;
  if (dialect === Dialect.SMB311) {
    if (req.preauthHashes === null) return { status: Status.INVALID_PARAMETER };
    if (!req.preauthHashes.includes(HASH_SHA512)) return { status: Status.NO_PREAUTH_INTEGRITY_HASH_OVERLAP };
    const offered = req.ciphers ?? [];
    const chosenCipher = CIPHER_PREFERENCE.find((c) => offered.includes(c)) ?? 0;
    cipher = chosenCipher === 0 ? null : (chosenCipher as CipherId);
    let chosenSigning: number | null = null;
    if (req.signingAlgorithms !== null) {
      const list = req.signingAlgorithms;
      chosenSigning = SIGNING_PREFERENCE.find((a) => list.includes(a)) ?? SigningAlg.AES_CMAC;
      signingAlgorithm = SIGNING_NAMES[chosenSigning] ?? 'aes-cmac';
    }
    contexts = { cipher: chosenCipher, signingAlgorithm: chosenSigning };
  } else if (caps & Capabilities.ENCRYPTION) {
    cipher = Cipher.AES128_CCM;
  }
  const body = responseBody(dialect, host, caps, contexts);
  const requestHash = dialect === Dialect.SMB311 ? extendPreauthHash(Buffer.alloc(64), message) : Buffer.alloc(64);
  return {
    status: Status.SUCCESS,
    body,
    sent: (response) =>
      settle({
        dialect,
        clientDialects: req.dialects,
        clientGuid: req.clientGuid,
        clientSecurityMode: req.securityMode,
        clientCapabilities: req.capabilities,
        serverCapabilities: caps,
        cipher,
        signingAlgorithm,
        maxIoSize: dialect === Dialect.SMB202 ? SMB202_MAX_IO_SIZE : MAX_IO_SIZE,
        preauth: dialect === Dialect.SMB311 ? extendPreauthHash(requestHash, response) : Buffer.alloc(64),
      }),
  };
}

/**
 * The SMB1 multi-protocol NEGOTIATE (MS-SMB2 3.3.5.3.1): "SMB 2.???" gets dialect 0x02FF (the client
 * follows with an SMB2 NEGOTIATE), "SMB 2.002" alone gets 2.0.2. Null: no SMB2 dialect offered, or
 * not a well-formed SMB_COM_NEGOTIATE — the connection ends, as on Windows without SMB1.
 */
export function smb1NegotiateDialect(frame: Buffer): number | null {
  const dialects = decodeSmb1NegotiateDialects(frame) ?? [];
  if (dialects.includes('SMB 2.???')) return DIALECT_WILDCARD;
  if (dialects.includes('SMB 2.002')) return Dialect.SMB202;
  return null;
}

/** The SMB2 NEGOTIATE response body to an SMB1 multi-protocol negotiate. */
export function smb1NegotiateResponseBody(dialect: number, host: NegotiatingHost): Buffer {
  return responseBody(dialect, host, serverCapabilities(dialect, 0, host.personality));
}
