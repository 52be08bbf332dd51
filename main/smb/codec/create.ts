// MS-SMB2 2.2.13 CREATE request, 2.2.14 response; 2.2.15/2.2.16 CLOSE.
import { Writer, utf16 } from './wire.js';
import { SMB2_HEADER_SIZE, responseBody } from './header.js';

export const Access = {
  FILE_READ_DATA: 0x00000001,
  FILE_WRITE_DATA: 0x00000002,
  FILE_APPEND_DATA: 0x00000004,
  FILE_READ_EA: 0x00000008,
  FILE_WRITE_EA: 0x00000010,
  FILE_READ_ATTRIBUTES: 0x00000080,
  FILE_WRITE_ATTRIBUTES: 0x00000100,
  DELETE: 0x00010000,
  READ_CONTROL: 0x00020000,
  SYNCHRONIZE: 0x00100000,
  MAXIMUM_ALLOWED: 0x02000000,
  GENERIC_ALL: 0x10000000,
  GENERIC_WRITE: 0x40000000,
  GENERIC_READ: 0x80000000,
} as const;

export const ShareAccess = { READ: 0x1, WRITE: 0x2, DELETE: 0x4 } as const;
export const Disposition = { SUPERSEDE: 0, OPEN: 1, CREATE: 2, OPEN_IF: 3, OVERWRITE: 4, OVERWRITE_IF: 5 } as const;
export const CreateOptions = {
  DIRECTORY_FILE: 0x00000001,
  WRITE_THROUGH: 0x00000002,
  NON_DIRECTORY_FILE: 0x00000040,
  DELETE_ON_CLOSE: 0x00001000,
} as const;
export const FileAttributes = { NORMAL: 0x00000080, DIRECTORY: 0x00000010 } as const;
export const ImpersonationLevel = { IMPERSONATION: 2 } as const;

export interface FileId {
  persistent: bigint;
  volatile: bigint;
}

export interface CreateRequest {
  name: string;
  desiredAccess: number;
  fileAttributes: number;
  shareAccess: number;
  disposition: number;
  createOptions: number;
}

export function encodeCreateRequest(req: CreateRequest): Buffer {
  const name = utf16(req.name);
  const w = new Writer()
    .u16(57)
    .u8(0) // SecurityFlags
    .u8(0) // RequestedOplockLevel: none
    .u32(ImpersonationLevel.IMPERSONATION)
    .u64(0n)
    .u64(0n)
    .u32(req.desiredAccess)
    .u32(req.fileAttributes)
    .u32(req.shareAccess)
    .u32(req.disposition)
    .u32(req.createOptions)
    .u16(SMB2_HEADER_SIZE + 56)
    .u16(name.length)
    .u32(0)
    .u32(0)
    .bytes(name);
  // The Buffer must hold at least one byte even for an empty name (2.2.13).
  if (name.length === 0) w.u8(0);
  return w.toBuffer();
}

export interface CreateResponse {
  createAction: number;
  endOfFile: bigint;
  fileAttributes: number;
  fileId: FileId;
}

export function decodeCreateResponse(message: Buffer): CreateResponse {
  const r = responseBody(message, 89, 'CREATE response');
  r.u8('OplockLevel');
  r.u8('Flags');
  const createAction = r.u32('CreateAction');
  r.skip(32, 'timestamps');
  r.u64('AllocationSize');
  const endOfFile = r.u64('EndofFile');
  const fileAttributes = r.u32('FileAttributes');
  r.u32('Reserved2');
  const fileId = { persistent: r.u64('FileId.Persistent'), volatile: r.u64('FileId.Volatile') };
  return { createAction, endOfFile, fileAttributes, fileId };
}

export function writeFileId(w: Writer, id: FileId): Writer {
  return w.u64(id.persistent).u64(id.volatile);
}

export function encodeCloseRequest(fileId: FileId): Buffer {
  return writeFileId(new Writer().u16(24).u16(0).u32(0), fileId).toBuffer();
}
