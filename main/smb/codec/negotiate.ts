// MS-SMB2 2.2.3 NEGOTIATE request, 2.2.3.1 negotiate contexts, 2.2.4 NEGOTIATE response.
import { Reader, SmbFormatError, Writer, sliceAt, utf16 } from './wire.js';
import { SMB2_HEADER_SIZE, responseBody } from './header.js';

export const Dialect = { SMB202: 0x0202, SMB210: 0x0210, SMB300: 0x0300, SMB302: 0x0302, SMB311: 0x0311 } as const;
export const ALL_DIALECTS = [Dialect.SMB202, Dialect.SMB210, Dialect.SMB300, Dialect.SMB302, Dialect.SMB311];

export const SecurityMode = { SIGNING_ENABLED: 0x0001, SIGNING_REQUIRED: 0x0002 } as const;

export const Capabilities = {
  DFS: 0x01,
  LEASING: 0x02,
  LARGE_MTU: 0x04,
  MULTI_CHANNEL: 0x08,
  PERSISTENT_HANDLES: 0x10,
  DIRECTORY_LEASING: 0x20,
  ENCRYPTION: 0x40,
} as const;

export const ContextType = { PREAUTH_INTEGRITY: 0x0001, ENCRYPTION: 0x0002, COMPRESSION: 0x0003, NETNAME: 0x0005, SIGNING: 0x0008 } as const;
export const HASH_SHA512 = 0x0001;
export const Cipher = { AES128_CCM: 0x0001, AES128_GCM: 0x0002, AES256_CCM: 0x0003, AES256_GCM: 0x0004 } as const;
export const SigningAlg = { HMAC_SHA256: 0x0000, AES_CMAC: 0x0001, AES_GMAC: 0x0002 } as const;

export interface NegotiateRequest {
  dialects: readonly number[];
  securityMode: number;
  capabilities: number;
  clientGuid: Buffer;
  /** 3.1.1 contexts; sent only when 0x0311 is offered. */
  preauthSalt: Buffer;
  ciphers: readonly number[];
  signingAlgorithms: readonly number[];
  netname?: string;
}

function encodeContexts(req: NegotiateRequest): { count: number; bytes: Buffer } {
  const contexts: [number, Buffer][] = [
    [ContextType.PREAUTH_INTEGRITY, new Writer().u16(1).u16(req.preauthSalt.length).u16(HASH_SHA512).bytes(req.preauthSalt).toBuffer()],
    [ContextType.ENCRYPTION, req.ciphers.reduce((w, c) => w.u16(c), new Writer().u16(req.ciphers.length)).toBuffer()],
    [ContextType.SIGNING, req.signingAlgorithms.reduce((w, a) => w.u16(a), new Writer().u16(req.signingAlgorithms.length)).toBuffer()],
  ];
  if (req.netname) contexts.push([ContextType.NETNAME, utf16(req.netname)]);
  const w = new Writer();
  contexts.forEach(([type, data], i) => {
    if (i > 0) w.align(8);
    w.u16(type).u16(data.length).u32(0).bytes(data);
  });
  return { count: contexts.length, bytes: w.toBuffer() };
}

/** The request body (after the 64-byte header). Offsets in it count from the header's start. */
export function encodeNegotiateRequest(req: NegotiateRequest): Buffer {
  if (req.clientGuid.length !== 16) throw new SmbFormatError('ClientGuid must be 16 bytes');
  const with311 = req.dialects.includes(Dialect.SMB311);
  const fixed = 36;
  const dialectsEnd = SMB2_HEADER_SIZE + fixed + 2 * req.dialects.length;
  const contextOffset = with311 ? dialectsEnd + ((8 - (dialectsEnd % 8)) % 8) : 0;
  const contexts = with311 ? encodeContexts(req) : { count: 0, bytes: Buffer.alloc(0) };
  const w = new Writer()
    .u16(36)
    .u16(req.dialects.length)
    .u16(req.securityMode)
    .u16(0)
    .u32(req.capabilities)
    .bytes(req.clientGuid);
  if (with311) w.u32(contextOffset).u16(contexts.count).u16(0);
  else w.u64(0n);
  for (const d of req.dialects) w.u16(d);
  if (with311) {
    w.zeros(contextOffset - dialectsEnd);
    w.bytes(contexts.bytes);
  }
  return w.toBuffer();
}

export interface NegotiateResponse {
  securityMode: number;
  dialect: number;
  serverGuid: Buffer;
  capabilities: number;
  maxTransactSize: number;
  maxReadSize: number;
  maxWriteSize: number;
  systemTime: bigint;
  securityBuffer: Buffer;
  /** From 3.1.1 contexts; null when absent. */
  preauthHashAlgorithm: number | null;
  cipher: number | null;
  signingAlgorithm: number | null;
}

/** Decodes a whole NEGOTIATE response message (header included). */
export function decodeNegotiateResponse(message: Buffer): NegotiateResponse {
  const r = responseBody(message, 65, 'NEGOTIATE response');
  const securityMode = r.u16('SecurityMode');
  const dialect = r.u16('DialectRevision');
  const contextCount = r.u16('NegotiateContextCount');
  const serverGuid = Buffer.from(r.bytes(16, 'ServerGuid'));
  const capabilities = r.u32('Capabilities');
  const maxTransactSize = r.u32('MaxTransactSize');
  const maxReadSize = r.u32('MaxReadSize');
  const maxWriteSize = r.u32('MaxWriteSize');
  const systemTime = r.u64('SystemTime');
  r.u64('ServerStartTime');
  const secOffset = r.u16('SecurityBufferOffset');
  const secLength = r.u16('SecurityBufferLength');
  const contextOffset = r.u32('NegotiateContextOffset');
  const securityBuffer = Buffer.from(sliceAt(message, secOffset, secLength, 'NEGOTIATE security buffer'));
  const out: NegotiateResponse = {
    securityMode, dialect, serverGuid, capabilities, maxTransactSize, maxReadSize, maxWriteSize, systemTime, securityBuffer,
    preauthHashAlgorithm: null, cipher: null, signingAlgorithm: null,
  };
  if (dialect !== Dialect.SMB311) return out;
  if (contextCount > 64) throw new SmbFormatError(`NEGOTIATE response claims ${contextCount} contexts`);
  const cr = new Reader(message).seek(contextOffset, 'NegotiateContextOffset');
  for (let i = 0; i < contextCount; i++) {
    if (i > 0) {
      const pad = (8 - (cr.offset % 8)) % 8;
      cr.skip(Math.min(pad, message.length - cr.offset), 'context padding');
    }
    const type = cr.u16('ContextType');
    const length = cr.u16('DataLength');
    cr.u32('Reserved');
    const data = new Reader(Buffer.from(cr.bytes(length, `context 0x${type.toString(16)} data`)));
    if (type === ContextType.PREAUTH_INTEGRITY) {
      const count = data.u16('HashAlgorithmCount');
      data.u16('SaltLength');
      if (count !== 1) throw new SmbFormatError(`server selected ${count} preauth hash algorithms, expected 1`);
      out.preauthHashAlgorithm = data.u16('HashAlgorithm');
    } else if (type === ContextType.ENCRYPTION) {
      const count = data.u16('CipherCount');
      if (count !== 1) throw new SmbFormatError(`server selected ${count} ciphers, expected 1`);
      out.cipher = data.u16('Cipher');
    } else if (type === ContextType.SIGNING) {
      const count = data.u16('SigningAlgorithmCount');
      if (count !== 1) throw new SmbFormatError(`server selected ${count} signing algorithms, expected 1`);
      out.signingAlgorithm = data.u16('SigningAlgorithm');
    }
  }
  if (out.preauthHashAlgorithm === null) throw new SmbFormatError('SMB 3.1.1 NEGOTIATE response without a preauth integrity context');
  return out;
}
