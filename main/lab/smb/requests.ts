// Server-side decoders of the SMB2 requests the lab answers (MS-SMB2 2.2.3 … 2.2.39). Each takes
// the whole request message (header first; offsets in it count from the header) and checks every
// length and offset before reading, throwing SmbFormatError — the server answers that with
// STATUS_INVALID_PARAMETER or drops the connection, never reads out of range.
import { Reader, SmbFormatError, sliceAt } from '../../smb/codec/wire.js';
import { responseBody as fixedBody } from '../../smb/codec/header.js';
import { ContextType } from '../../smb/codec/negotiate.js';
import type { FileId } from '../../smb/codec/create.js';

const MAX_DIALECTS = 64;
const MAX_CONTEXTS = 32;

function utf16At(message: Buffer, offset: number, length: number, what: string): string {
  if (length % 2 !== 0) throw new SmbFormatError(`${what}: odd UTF-16 length ${length}`);
  return sliceAt(message, offset, length, what).toString('utf16le');
}

function fileId(r: Reader): FileId {
  return { persistent: r.u64('FileId.Persistent'), volatile: r.u64('FileId.Volatile') };
}

function u16List(data: Reader, count: number, what: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(data.u16(what));
  return out;
}

export interface NegotiateRequestInfo {
  dialects: number[];
  securityMode: number;
  capabilities: number;
  clientGuid: Buffer;
  /** 3.1.1 contexts (MS-SMB2 2.2.3.1); null when the context is absent. */
  preauthHashes: number[] | null;
  ciphers: number[] | null;
  signingAlgorithms: number[] | null;
  duplicateContext: boolean;
}

/** MS-SMB2 2.2.3 NEGOTIATE request with its negotiate contexts. */
export function decodeNegotiateRequest(message: Buffer): NegotiateRequestInfo {
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
  const dialects = u16List(r, dialectCount, 'Dialects');
  const out: NegotiateRequestInfo = { dialects, securityMode, capabilities, clientGuid, preauthHashes: null, ciphers: null, signingAlgorithms: null, duplicateContext: false };
  if (!dialects.includes(0x0311) || contextCount === 0) return out;
  if (contextCount > MAX_CONTEXTS) throw new SmbFormatError(`NEGOTIATE carries ${contextCount} contexts`);
  const cr = new Reader(message).seek(contextOffset, 'NegotiateContextOffset');
  for (let i = 0; i < contextCount; i++) {
    if (i > 0) cr.skip(Math.min((8 - (cr.offset % 8)) % 8, message.length - cr.offset), 'context padding');
    const type = cr.u16('ContextType');
    const length = cr.u16('DataLength');
    cr.u32('Reserved');
    const data = new Reader(Buffer.from(cr.bytes(length, `context 0x${type.toString(16)}`)));
    const seen = (list: number[] | null): boolean => list !== null;
    if (type === ContextType.PREAUTH_INTEGRITY) {
      out.duplicateContext ||= seen(out.preauthHashes);
      const count = data.u16('HashAlgorithmCount');
      const saltLength = data.u16('SaltLength');
      out.preauthHashes = u16List(data, count, 'HashAlgorithms');
      data.bytes(saltLength, 'Salt');
    } else if (type === ContextType.ENCRYPTION) {
      out.duplicateContext ||= seen(out.ciphers);
      out.ciphers = u16List(data, data.u16('CipherCount'), 'Ciphers');
    } else if (type === ContextType.SIGNING) {
      out.duplicateContext ||= seen(out.signingAlgorithms);
      out.signingAlgorithms = u16List(data, data.u16('SigningAlgorithmCount'), 'SigningAlgorithms');
    }
  }
  return out;
}

/** MS-SMB2 2.2.5 SESSION_SETUP request. */
export function decodeSessionSetupRequest(message: Buffer): { flags: number; securityMode: number; securityBuffer: Buffer; previousSessionId: bigint } {
  const r = fixedBody(message, 25, 'SESSION_SETUP request');
  const flags = r.u8('Flags');
  const securityMode = r.u8('SecurityMode');
  r.u32('Capabilities');
  r.u32('Channel');
  const offset = r.u16('SecurityBufferOffset');
  const length = r.u16('SecurityBufferLength');
  const previousSessionId = r.u64('PreviousSessionId');
  return { flags, securityMode, securityBuffer: Buffer.from(sliceAt(message, offset, length, 'SESSION_SETUP security buffer')), previousSessionId };
}

/** MS-SMB2 2.2.9 TREE_CONNECT request: the path `\\server\share`. */
export function decodeTreeConnectRequest(message: Buffer): { path: string } {
  const r = fixedBody(message, 9, 'TREE_CONNECT request');
  r.u16('Flags');
  const offset = r.u16('PathOffset');
  const length = r.u16('PathLength');
  return { path: utf16At(message, offset, length, 'TREE_CONNECT path') };
}

export interface CreateRequestInfo {
  oplockLevel: number;
  desiredAccess: number;
  fileAttributes: number;
  shareAccess: number;
  disposition: number;
  createOptions: number;
  name: string;
}

/** MS-SMB2 2.2.13 CREATE request; create contexts are read past (the lab grants none). */
export function decodeCreateRequest(message: Buffer): CreateRequestInfo {
  const r = fixedBody(message, 57, 'CREATE request');
  r.u8('SecurityFlags');
  const oplockLevel = r.u8('RequestedOplockLevel');
  r.u32('ImpersonationLevel');
  r.skip(16, 'SmbCreateFlags, Reserved');
  const desiredAccess = r.u32('DesiredAccess');
  const fileAttributes = r.u32('FileAttributes');
  const shareAccess = r.u32('ShareAccess');
  const disposition = r.u32('CreateDisposition');
  const createOptions = r.u32('CreateOptions');
  const nameOffset = r.u16('NameOffset');
  const nameLength = r.u16('NameLength');
  const contextsOffset = r.u32('CreateContextsOffset');
  const contextsLength = r.u32('CreateContextsLength');
  sliceAt(message, contextsOffset, contextsLength, 'CREATE contexts');
  return { oplockLevel, desiredAccess, fileAttributes, shareAccess, disposition, createOptions, name: utf16At(message, nameOffset, nameLength, 'CREATE name') };
}

/** MS-SMB2 2.2.15 CLOSE request. */
export function decodeCloseRequest(message: Buffer): { flags: number; fileId: FileId } {
  const r = fixedBody(message, 24, 'CLOSE request');
  const flags = r.u16('Flags');
  r.u32('Reserved');
  return { flags, fileId: fileId(r) };
}

/** MS-SMB2 2.2.17 FLUSH request. */
export function decodeFlushRequest(message: Buffer): { fileId: FileId } {
  const r = fixedBody(message, 24, 'FLUSH request');
  r.u16('Reserved1');
  r.u32('Reserved2');
  return { fileId: fileId(r) };
}

/** MS-SMB2 2.2.19 READ request. */
export function decodeReadRequest(message: Buffer): { length: number; offset: bigint; fileId: FileId; minimumCount: number } {
  const r = fixedBody(message, 49, 'READ request');
  r.u8('Padding');
  r.u8('Flags');
  const length = r.u32('Length');
  const offset = r.u64('Offset');
  const id = fileId(r);
  const minimumCount = r.u32('MinimumCount');
  return { length, offset, fileId: id, minimumCount };
}

/** MS-SMB2 2.2.21 WRITE request; `data` is a view into the message. */
export function decodeWriteRequest(message: Buffer): { offset: bigint; fileId: FileId; data: Buffer } {
  const r = fixedBody(message, 49, 'WRITE request');
  const dataOffset = r.u16('DataOffset');
  const length = r.u32('Length');
  const offset = r.u64('Offset');
  const id = fileId(r);
  return { offset, fileId: id, data: sliceAt(message, dataOffset, length, 'WRITE data') };
}

export interface IoctlRequestInfo {
  ctlCode: number;
  fileId: FileId;
  input: Buffer;
  maxOutputResponse: number;
  flags: number;
}

/** MS-SMB2 2.2.31 IOCTL request. */
export function decodeIoctlRequest(message: Buffer): IoctlRequestInfo {
  const r = fixedBody(message, 57, 'IOCTL request');
  r.u16('Reserved');
  const ctlCode = r.u32('CtlCode');
  const id = fileId(r);
  const inputOffset = r.u32('InputOffset');
  const inputCount = r.u32('InputCount');
  r.u32('MaxInputResponse');
  r.u32('OutputOffset');
  r.u32('OutputCount');
  const maxOutputResponse = r.u32('MaxOutputResponse');
  const flags = r.u32('Flags');
  return { ctlCode, fileId: id, input: sliceAt(message, inputOffset, inputCount, 'IOCTL input'), maxOutputResponse, flags };
}

/** MS-SMB2 2.2.31.4 VALIDATE_NEGOTIATE_INFO request (the IOCTL input). */
export function decodeValidateNegotiateInfo(input: Buffer): { capabilities: number; guid: Buffer; securityMode: number; dialects: number[] } {
  const r = new Reader(input);
  const capabilities = r.u32('Capabilities');
  const guid = Buffer.from(r.bytes(16, 'Guid'));
  const securityMode = r.u16('SecurityMode');
  const count = r.u16('DialectCount');
  if (count > MAX_DIALECTS) throw new SmbFormatError(`VALIDATE_NEGOTIATE_INFO lists ${count} dialects`);
  return { capabilities, guid, securityMode, dialects: u16List(r, count, 'Dialects') };
}

export interface QueryDirectoryRequestInfo {
  infoClass: number;
  flags: number;
  fileId: FileId;
  pattern: string;
  outputLength: number;
}

/** MS-SMB2 2.2.33 QUERY_DIRECTORY request. */
export function decodeQueryDirectoryRequest(message: Buffer): QueryDirectoryRequestInfo {
  const r = fixedBody(message, 33, 'QUERY_DIRECTORY request');
  const infoClass = r.u8('FileInformationClass');
  const flags = r.u8('Flags');
  r.u32('FileIndex');
  const id = fileId(r);
  const nameOffset = r.u16('FileNameOffset');
  const nameLength = r.u16('FileNameLength');
  const outputLength = r.u32('OutputBufferLength');
  return { infoClass, flags, fileId: id, pattern: utf16At(message, nameOffset, nameLength, 'QUERY_DIRECTORY pattern'), outputLength };
}

/** MS-SMB2 2.2.37 QUERY_INFO request. */
export function decodeQueryInfoRequest(message: Buffer): { infoType: number; infoClass: number; outputLength: number; additionalInformation: number; fileId: FileId } {
  const r = fixedBody(message, 41, 'QUERY_INFO request');
  const infoType = r.u8('InfoType');
  const infoClass = r.u8('FileInfoClass');
  const outputLength = r.u32('OutputBufferLength');
  const inputOffset = r.u16('InputBufferOffset');
  r.u16('Reserved');
  const inputLength = r.u32('InputBufferLength');
  const additionalInformation = r.u32('AdditionalInformation');
  r.u32('Flags');
  const id = fileId(r);
  sliceAt(message, inputOffset, inputLength, 'QUERY_INFO input');
  return { infoType, infoClass, outputLength, additionalInformation, fileId: id };
}

/** MS-SMB2 2.2.39 SET_INFO request. */
export function decodeSetInfoRequest(message: Buffer): { infoType: number; infoClass: number; buffer: Buffer; fileId: FileId } {
  const r = fixedBody(message, 33, 'SET_INFO request');
  const infoType = r.u8('InfoType');
  const infoClass = r.u8('FileInfoClass');
  const length = r.u32('BufferLength');
  const offset = r.u16('BufferOffset');
  r.u16('Reserved');
  r.u32('AdditionalInformation');
  const id = fileId(r);
  return { infoType, infoClass, buffer: sliceAt(message, offset, length, 'SET_INFO buffer'), fileId: id };
}

/** LOGOFF, TREE_DISCONNECT, ECHO and CANCEL: StructureSize 4 and a reserved word. */
export function decodeEmptyRequest(message: Buffer, what: string): void {
  fixedBody(message, 4, what);
}

/** MS-FSCC 2.4.42 FileRenameInformation (the SMB2 form, TYPE_2): the target path relative to the share. */
export function decodeRenameInformation(buffer: Buffer): { replaceIfExists: boolean; name: string } {
  const r = new Reader(buffer);
  const replaceIfExists = r.u8('ReplaceIfExists') !== 0;
  r.skip(7, 'Reserved');
  r.u64('RootDirectory');
  const length = r.u32('FileNameLength');
  return { replaceIfExists, name: utf16At(buffer, r.offset, length, 'FileRenameInformation name') };
}
