// MS-SMB2 2.2.13 / 2.2.14 CREATE: request and response, each encoded and decoded (the client
// opens, the lab answers). Create contexts are neither sent nor granted; a request's contexts are
// bounds-checked and read past.
import { Writer, sliceAt, utf16, utf16At } from './wire.js';
import { SMB2_HEADER_SIZE, fixedBody } from './header.js';
import { ImpersonationLevel } from './constants.js';
import { readFileAttributesInfo, readFileId, writeFileAttributesInfo, writeFileId, type FileAttributesInfo, type FileId } from './openInfo.js';

export { Access, CreateAction, CreateOptions, Disposition, FileAttributes, ImpersonationLevel, ShareAccess } from './constants.js';
export { writeFileId, type FileAttributesInfo, type FileId } from './openInfo.js';
export { encodeCloseRequest } from './close.js';

export interface CreateRequest {
  name: string;
  desiredAccess: number;
  fileAttributes: number;
  shareAccess: number;
  disposition: number;
  createOptions: number;
  /** RequestedOplockLevel; none (0) when not given. */
  oplockLevel?: number;
}

export interface CreateResponse extends FileAttributesInfo {
  oplockLevel: number;
  createAction: number;
  fileId: FileId;
}

/** The name right after the 56-byte fixed part (offset 120); at least one byte of Buffer even for an empty name. */
export function encodeCreateRequest(req: CreateRequest): Buffer {
  const name = utf16(req.name);
  const w = new Writer()
    .u16(57)
    .u8(0) // SecurityFlags
    .u8(req.oplockLevel ?? 0)
    .u32(ImpersonationLevel.IMPERSONATION)
    .u64(0n) // SmbCreateFlags
    .u64(0n) // Reserved
    .u32(req.desiredAccess)
    .u32(req.fileAttributes)
    .u32(req.shareAccess)
    .u32(req.disposition)
    .u32(req.createOptions)
    .u16(SMB2_HEADER_SIZE + 56)
    .u16(name.length)
    .u32(0) // CreateContextsOffset
    .u32(0) // CreateContextsLength
    .bytes(name);
  if (name.length === 0) w.u8(0);
  return w.toBuffer();
}

export function decodeCreateRequest(message: Buffer): Required<CreateRequest> {
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
  const name = utf16At(message, nameOffset, nameLength, 'CREATE name');
  return { name, desiredAccess, fileAttributes, shareAccess, disposition, createOptions, oplockLevel };
}

/** No create contexts (CreateContextsOffset/Length 0) and the one byte of Buffer StructureSize 89 counts. */
export function encodeCreateResponse(res: CreateResponse): Buffer {
  const w = new Writer().u16(89).u8(res.oplockLevel).u8(0).u32(res.createAction);
  writeFileAttributesInfo(w, res).u32(0);
  return writeFileId(w, res.fileId).u32(0).u32(0).u8(0).toBuffer();
}

export function decodeCreateResponse(message: Buffer): CreateResponse {
  const r = fixedBody(message, 89, 'CREATE response');
  const oplockLevel = r.u8('OplockLevel');
  r.u8('Flags');
  const createAction = r.u32('CreateAction');
  const info = readFileAttributesInfo(r);
  r.u32('Reserved2');
  return { oplockLevel, createAction, ...info, fileId: readFileId(r) };
}
