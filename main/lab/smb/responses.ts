// Server-side encoders of SMB2 response bodies (MS-SMB2 2.2.4 … 2.2.40): the bytes after the
// 64-byte header. Offsets written into them count from the header's start.
import { Writer } from '../../smb/codec/wire.js';
import { SMB2_HEADER_SIZE } from '../../smb/codec/header.js';
import { ContextType, HASH_SHA512, type NegotiateResponse } from '../../smb/codec/negotiate.js';
import { writeFileId, type FileId } from '../../smb/codec/create.js';

/** MS-SMB2 2.2.2 ERROR response: StructureSize 9, no error contexts, one byte of ErrorData. */
export function encodeErrorBody(): Buffer {
  return Buffer.from([9, 0, 0, 0, 0, 0, 0, 0, 0]);
}

/** StructureSize 4 bodies: LOGOFF, TREE_DISCONNECT, FLUSH, ECHO responses (2.2.8, 2.2.12, 2.2.18, 2.2.29). */
export function encodeEmptyBody(): Buffer {
  return Buffer.from([4, 0, 0, 0]);
}

/** The response's fixed fields as the client decodes them (codec/negotiate.ts), plus the 3.1.1 contexts the server picked. */
export type NegotiateResponseInfo = Omit<NegotiateResponse, 'preauthHashAlgorithm' | 'cipher' | 'signingAlgorithm'> & {
  /** 3.1.1 only: the selected cipher (0 = none in common) and signing algorithm (null: context not sent). */
  contexts?: { salt: Buffer; cipher: number; signingAlgorithm: number | null };
};

/** MS-SMB2 2.2.4 NEGOTIATE response with 2.2.3.1 contexts (each 8-byte aligned) for 3.1.1. */
export function encodeNegotiateResponse(n: NegotiateResponseInfo): Buffer {
  const securityOffset = SMB2_HEADER_SIZE + 64;
  const contexts: [number, Buffer][] = [];
  if (n.contexts) {
    contexts.push([ContextType.PREAUTH_INTEGRITY, new Writer().u16(1).u16(n.contexts.salt.length).u16(HASH_SHA512).bytes(n.contexts.salt).toBuffer()]);
    contexts.push([ContextType.ENCRYPTION, new Writer().u16(1).u16(n.contexts.cipher).toBuffer()]);
    if (n.contexts.signingAlgorithm !== null) contexts.push([ContextType.SIGNING, new Writer().u16(1).u16(n.contexts.signingAlgorithm).toBuffer()]);
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
    .u64(0n)
    .u16(securityOffset)
    .u16(n.securityBuffer.length)
    .u32(contextOffset)
    .bytes(n.securityBuffer);
  for (const [type, data] of contexts) w.align(8).u16(type).u16(data.length).u32(0).bytes(data);
  if (w.length === 64) w.u8(0);
  return w.toBuffer();
}

/** MS-SMB2 2.2.6 SESSION_SETUP response. */
export function encodeSessionSetupResponse(sessionFlags: number, securityBuffer: Buffer): Buffer {
  const w = new Writer().u16(9).u16(sessionFlags).u16(SMB2_HEADER_SIZE + 8).u16(securityBuffer.length).bytes(securityBuffer);
  if (securityBuffer.length === 0) w.u8(0);
  return w.toBuffer();
}

/** MS-SMB2 2.2.10 TREE_CONNECT response. */
export function encodeTreeConnectResponse(shareType: number, shareFlags: number, maximalAccess: number): Buffer {
  return new Writer().u16(16).u8(shareType).u8(0).u32(shareFlags).u32(0).u32(maximalAccess).toBuffer();
}

/** Times, sizes and attributes of an open, as CREATE, CLOSE and the FSCC classes report them. */
export interface FileAttributesInfo {
  creationTime: bigint;
  lastAccessTime: bigint;
  lastWriteTime: bigint;
  changeTime: bigint;
  allocationSize: bigint;
  endOfFile: bigint;
  attributes: number;
}

/** MS-SMB2 2.2.14 CREATE response, no create contexts (the lab grants no lease, durable handle or oplock). */
export function encodeCreateResponse(createAction: number, info: FileAttributesInfo, id: FileId): Buffer {
  const w = new Writer()
    .u16(89)
    .u8(0) // OplockLevel: none
    .u8(0)
    .u32(createAction)
    .u64(info.creationTime)
    .u64(info.lastAccessTime)
    .u64(info.lastWriteTime)
    .u64(info.changeTime)
    .u64(info.allocationSize)
    .u64(info.endOfFile)
    .u32(info.attributes)
    .u32(0);
  return writeFileId(w, id).u32(0).u32(0).u8(0).toBuffer();
}

/** MS-SMB2 2.2.16 CLOSE response; attributes only with SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB. */
export function encodeCloseResponse(info: FileAttributesInfo | null): Buffer {
  const w = new Writer().u16(60).u16(info ? 1 : 0).u32(0);
  if (!info) return w.zeros(52).toBuffer();
  return w
    .u64(info.creationTime)
    .u64(info.lastAccessTime)
    .u64(info.lastWriteTime)
    .u64(info.changeTime)
    .u64(info.allocationSize)
    .u64(info.endOfFile)
    .u32(info.attributes)
    .toBuffer();
}

/** MS-SMB2 2.2.20 READ response: the data right after the 16-byte fixed part. */
export function encodeReadResponse(data: Buffer): Buffer {
  const fixed = new Writer().u16(17).u8(SMB2_HEADER_SIZE + 16).u8(0).u32(data.length).u32(0).u32(0).toBuffer();
  return Buffer.concat([fixed, data.length ? data : Buffer.alloc(1)]);
}

/** MS-SMB2 2.2.22 WRITE response. */
export function encodeWriteResponse(count: number): Buffer {
  return new Writer().u16(17).u16(0).u32(count).u32(0).u16(0).u16(0).u8(0).toBuffer();
}

/** MS-SMB2 2.2.32 IOCTL response; output right after the 48-byte fixed part. */
export function encodeIoctlResponse(ctlCode: number, id: FileId, output: Buffer): Buffer {
  const at = SMB2_HEADER_SIZE + 48;
  const w = new Writer().u16(49).u16(0).u32(ctlCode);
  return writeFileId(w, id).u32(at).u32(0).u32(output.length ? at : 0).u32(output.length).u32(0).u32(0).bytes(output).toBuffer();
}

/** MS-SMB2 2.2.32.6 VALIDATE_NEGOTIATE_INFO response (the IOCTL output). */
export function encodeValidateNegotiateInfo(capabilities: number, serverGuid: Buffer, securityMode: number, dialect: number): Buffer {
  return new Writer().u32(capabilities).bytes(serverGuid).u16(securityMode).u16(dialect).toBuffer();
}

/** QUERY_DIRECTORY (2.2.34) and QUERY_INFO (2.2.38) responses share this layout. */
export function encodeOutputBufferResponse(output: Buffer): Buffer {
  const w = new Writer().u16(9).u16(SMB2_HEADER_SIZE + 8).u32(output.length).bytes(output);
  if (output.length === 0) w.u8(0);
  return w.toBuffer();
}

/** MS-SMB2 2.2.40 SET_INFO response. */
export function encodeSetInfoResponse(): Buffer {
  return Buffer.from([2, 0]);
}
