// MS-SMB2 2.2.3 / 2.2.4 NEGOTIATE: the request with its 2.2.3.1 negotiate contexts and the
// response with the contexts the server selected, each encoded and decoded (the client sends the
// request, the lab answers it). Offsets count from the header's start; every length and offset is
// checked before it is read.
import { Reader, SmbFormatError, Writer, sliceAt, utf16 } from './wire.js';
import { SMB2_HEADER_SIZE, fixedBody } from './header.js';
import { ContextType, Dialect, HASH_SHA512 } from './constants.js';

export { ALL_DIALECTS, Capabilities, Cipher, ContextType, Dialect, HASH_SHA512, SecurityMode, SigningAlg } from './constants.js';

const MAX_DIALECTS = 64;
const MAX_CONTEXTS = 64;

export interface NegotiateRequest {
  dialects: readonly number[];
  securityMode: number;
  capabilities: number;
  clientGuid: Buffer;
  /** 3.1.1 contexts, sent only when 0x0311 is offered; null (decoded): the context was absent. */
  preauthSalt: Buffer | null;
  /** HashAlgorithms of the preauth context; SHA-512 alone when not given. */
  preauthHashes?: readonly number[] | null;
  ciphers: readonly number[] | null;
  signingAlgorithms: readonly number[] | null;
  netname?: string | null;
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
  /** 0 when not given (Windows sends its boot time, the lab 0). */
  serverStartTime?: bigint;
  securityBuffer: Buffer;
  /** From 3.1.1 contexts; null when absent (and the preauth context carries the salt). */
  preauthHashAlgorithm: number | null;
  preauthSalt?: Buffer | null;
  /** 0: no cipher in common (the context is sent with 0). */
  cipher: number | null;
  signingAlgorithm: number | null;
}

function u16List(values: readonly number[]): Buffer {
  return values.reduce((w, v) => w.u16(v), new Writer().u16(values.length)).toBuffer();
}

function readU16List(data: Reader, what: string): number[] {
  const count = data.u16(`${what}Count`);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(data.u16(what));
  return out;
}

function preauthContext(hashes: readonly number[], salt: Buffer): Buffer {
  return hashes.reduce((w, h) => w.u16(h), new Writer().u16(hashes.length).u16(salt.length)).bytes(salt).toBuffer();
}

function readPreauthContext(data: Reader): { hashes: number[]; salt: Buffer } {
  const count = data.u16('HashAlgorithmCount');
  const saltLength = data.u16('SaltLength');
  const hashes: number[] = [];
  for (let i = 0; i < count; i++) hashes.push(data.u16('HashAlgorithms'));
  return { hashes, salt: Buffer.from(data.bytes(saltLength, 'Salt')) };
}

/** 2.2.3.1 contexts, each after 8-byte alignment (counted from the header's start). */
function writeContexts(w: Writer, contexts: [number, Buffer][]): Writer {
  for (const [type, data] of contexts) w.align(8).u16(type).u16(data.length).u32(0).bytes(data);
  return w;
}

/** The contexts at `offset`, each as its type and a Reader over its data; a repeated type is malformed. */
function readContexts(message: Buffer, offset: number, count: number): Map<number, Reader> {
  if (count > MAX_CONTEXTS) throw new SmbFormatError(`NEGOTIATE carries ${count} contexts`);
  const out = new Map<number, Reader>();
  const r = new Reader(message).seek(offset, 'NegotiateContextOffset');
  for (let i = 0; i < count; i++) {
    if (i > 0) r.skip(Math.min((8 - (r.offset % 8)) % 8, message.length - r.offset), 'context padding');
    const type = r.u16('ContextType');
    const length = r.u16('DataLength');
    r.u32('Reserved');
    const data = new Reader(Buffer.from(r.bytes(length, `context 0x${type.toString(16)} data`)));
    if (out.has(type)) throw new SmbFormatError(`NEGOTIATE repeats context 0x${type.toString(16)}`);
    out.set(type, data);
  }
  return out;
}

/** MS-SMB2 2.2.3 request body; the 3.1.1 contexts sit 8-byte aligned after the dialects. */
export function encodeNegotiateRequest(req: NegotiateRequest): Buffer {
  if (req.clientGuid.length !== 16) throw new SmbFormatError('ClientGuid must be 16 bytes');
  const contexts: [number, Buffer][] = [];
  if (req.dialects.includes(Dialect.SMB311)) {
    if (req.preauthSalt) contexts.push([ContextType.PREAUTH_INTEGRITY, preauthContext(req.preauthHashes ?? [HASH_SHA512], req.preauthSalt)]);
    if (req.ciphers) contexts.push([ContextType.ENCRYPTION, u16List(req.ciphers)]);
    if (req.signingAlgorithms) contexts.push([ContextType.SIGNING, u16List(req.signingAlgorithms)]);
    if (req.netname) contexts.push([ContextType.NETNAME, utf16(req.netname)]);
  }
  const dialectsEnd = SMB2_HEADER_SIZE + 36 + 2 * req.dialects.length;
  const contextOffset = contexts.length ? dialectsEnd + ((8 - (dialectsEnd % 8)) % 8) : 0;
  const w = new Writer().u16(36).u16(req.dialects.length).u16(req.securityMode).u16(0).u32(req.capabilities).bytes(req.clientGuid);
  // NegotiateContextOffset/Count with 3.1.1, ClientStartTime (0) without.
  if (req.dialects.includes(Dialect.SMB311)) w.u32(contextOffset).u16(contexts.length).u16(0);
  else w.u64(0n);
  for (const d of req.dialects) w.u16(d);
  return writeContexts(w, contexts).toBuffer();
}

/** MS-SMB2 2.2.3 request (whole message) with its contexts; a repeated context is malformed (3.3.5.4). */
export function decodeNegotiateRequest(message: Buffer): Required<NegotiateRequest> & { dialects: number[] } {
  const r = fixedBody(message, 36, 'NEGOTIATE request');
  const dialectCount = r.u16('DialectCount');
  const securityMode = r.u16('SecurityMode');
  r.u16('Reserved');
  const capabilities = r.u32('Capabilities');
  const clientGuid = Buffer.from(r.bytes(16, 'ClientGuid'));
  const contextOffset = r.u32('NegotiateContextOffset');
  const contextCount = r.u16('NegotiateContextCount');
  r.u16('Reserved2');
  if (dialectCount > MAX_DIALECTS) throw new SmbFormatError(`NEGOTIATE offers ${dialectCount} dialects`);
  const dialects: number[] = [];
  for (let i = 0; i < dialectCount; i++) dialects.push(r.u16('Dialects'));
  const out: Required<NegotiateRequest> & { dialects: number[] } = { dialects, securityMode, capabilities, clientGuid, preauthSalt: null, preauthHashes: null, ciphers: null, signingAlgorithms: null, netname: null };
  if (!dialects.includes(Dialect.SMB311) || contextCount === 0) return out;
  const contexts = readContexts(message, contextOffset, contextCount);
  const preauth = contexts.get(ContextType.PREAUTH_INTEGRITY);
  if (preauth) ({ hashes: out.preauthHashes, salt: out.preauthSalt } = readPreauthContext(preauth));
  const ciphers = contexts.get(ContextType.ENCRYPTION);
  if (ciphers) out.ciphers = readU16List(ciphers, 'Cipher');
  const signing = contexts.get(ContextType.SIGNING);
  if (signing) out.signingAlgorithms = readU16List(signing, 'SigningAlgorithm');
  const netname = contexts.get(ContextType.NETNAME);
  if (netname) out.netname = netname.buf.toString('utf16le');
  return out;
}

/** MS-SMB2 2.2.4 response body: the security buffer after the 64-byte fixed part, then the 3.1.1 contexts. */
export function encodeNegotiateResponse(n: NegotiateResponse): Buffer {
  const securityOffset = SMB2_HEADER_SIZE + 64;
  const contexts: [number, Buffer][] = [];
  if (n.preauthHashAlgorithm !== null) {
    contexts.push([ContextType.PREAUTH_INTEGRITY, preauthContext([n.preauthHashAlgorithm], n.preauthSalt ?? Buffer.alloc(0))]);
    if (n.cipher !== null) contexts.push([ContextType.ENCRYPTION, u16List([n.cipher])]);
    if (n.signingAlgorithm !== null) contexts.push([ContextType.SIGNING, u16List([n.signingAlgorithm])]);
  }
  const afterSecurity = securityOffset + n.securityBuffer.length;
  const contextOffset = contexts.length ? afterSecurity + ((8 - (afterSecurity % 8)) % 8) : 0;
  const w = new Writer()
    .u16(65)
    .u16(n.securityMode)
    .u16(n.dialect)
    .u16(contexts.length)
    .bytes(n.serverGuid)
    .u32(n.capabilities)
    .u32(n.maxTransactSize)
    .u32(n.maxReadSize)
    .u32(n.maxWriteSize)
    .u64(n.systemTime)
    .u64(n.serverStartTime ?? 0n)
    .u16(securityOffset)
    .u16(n.securityBuffer.length)
    .u32(contextOffset)
    .bytes(n.securityBuffer);
  writeContexts(w, contexts);
  // StructureSize 65 counts one byte of Buffer: an empty one still sends it.
  if (w.length === SMB2_HEADER_SIZE + 64) w.u8(0);
  return w.toBuffer();
}

/** Decodes a whole NEGOTIATE response message (header included); 3.1.1 needs exactly one of each choice. */
export function decodeNegotiateResponse(message: Buffer): NegotiateResponse {
  const r = fixedBody(message, 65, 'NEGOTIATE response');
  const securityMode = r.u16('SecurityMode');
  const dialect = r.u16('DialectRevision');
  const contextCount = r.u16('NegotiateContextCount');
  const serverGuid = Buffer.from(r.bytes(16, 'ServerGuid'));
  const capabilities = r.u32('Capabilities');
  const maxTransactSize = r.u32('MaxTransactSize');
  const maxReadSize = r.u32('MaxReadSize');
  const maxWriteSize = r.u32('MaxWriteSize');
  const systemTime = r.u64('SystemTime');
  const serverStartTime = r.u64('ServerStartTime');
  const secOffset = r.u16('SecurityBufferOffset');
  const secLength = r.u16('SecurityBufferLength');
  const contextOffset = r.u32('NegotiateContextOffset');
  const securityBuffer = Buffer.from(sliceAt(message, secOffset, secLength, 'NEGOTIATE security buffer'));
  const out: NegotiateResponse = {
    securityMode, dialect, serverGuid, capabilities, maxTransactSize, maxReadSize, maxWriteSize, systemTime, serverStartTime, securityBuffer,
    preauthHashAlgorithm: null, preauthSalt: null, cipher: null, signingAlgorithm: null,
  };
  if (dialect !== Dialect.SMB311) return out;
  const contexts = readContexts(message, contextOffset, contextCount);
  const one = (list: number[], what: string): number => {
    if (list.length !== 1) throw new SmbFormatError(`server selected ${list.length} ${what}, expected 1`);
    return list[0]!;
  };
  const preauth = contexts.get(ContextType.PREAUTH_INTEGRITY);
  if (!preauth) throw new SmbFormatError('SMB 3.1.1 NEGOTIATE response without a preauth integrity context');
  const { hashes, salt } = readPreauthContext(preauth);
  out.preauthHashAlgorithm = one(hashes, 'preauth hash algorithms');
  out.preauthSalt = salt;
  const ciphers = contexts.get(ContextType.ENCRYPTION);
  if (ciphers) out.cipher = one(readU16List(ciphers, 'Cipher'), 'ciphers');
  const signing = contexts.get(ContextType.SIGNING);
  if (signing) out.signingAlgorithm = one(readU16List(signing, 'SigningAlgorithm'), 'signing algorithms');
  return out;
}
