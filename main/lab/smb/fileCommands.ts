// CLOSE (MS-SMB2 3.3.5.10), FLUSH (3.3.5.11), READ (3.3.5.12) and WRITE (3.3.5.13) on ADMIN$ (in
// memory) and on IPC$ named pipes, with the profiles that act on file data: 'antivirus-blocks-copy'
// (an .exe written → STATUS_VIRUS_INFECTED, the file goes) and 'cut-mid-copy' (the connection is
// cut once cutAfterBytes of one file are written). Also what CREATE and IOCTL share with them.
import { Dialect } from '../../smb/codec/negotiate.js';
import { SmbFormatError } from '../../smb/codec/wire.js';
import { FileAttribute } from './fileInfo.js';
import type { LabOpen, Outcome, Request, Result } from './model.js';
import { decodeCloseRequest, decodeFlushRequest, decodeReadRequest, decodeWriteRequest } from './requests.js';
import { encodeCloseResponse, encodeEmptyBody, encodeReadResponse, encodeWriteResponse } from './responses.js';
import { LabStatus } from './status.js';
import { FILE_ALL_ACCESS, type CommandContext } from './treeCommands.js';

export const Access = {
  READ_DATA: 0x1,
  WRITE_DATA: 0x2,
  APPEND_DATA: 0x4,
  EXECUTE: 0x20,
  DELETE: 0x10000,
  MAXIMUM_ALLOWED: 0x02000000,
  GENERIC_ALL: 0x10000000,
  GENERIC_EXECUTE: 0x20000000,
  GENERIC_WRITE: 0x40000000,
  GENERIC_READ: 0x80000000,
} as const;

/** What a pipe's CREATE and CLOSE report as its file information. */
export const PIPE_INFO = { creationTime: 0n, lastAccessTime: 0n, lastWriteTime: 0n, changeTime: 0n, allocationSize: 4096n, endOfFile: 0n, attributes: FileAttribute.NORMAL };

/** MS-DTYP 2.4.3 generic mapping for files; an administrator is granted all it asks for. */
export function grantedAccess(desired: number): number {
  let access = desired & FILE_ALL_ACCESS;
  if (desired & (Access.GENERIC_ALL | Access.MAXIMUM_ALLOWED)) access |= FILE_ALL_ACCESS;
  if (desired & Access.GENERIC_READ) access |= 0x00120089;
  if (desired & Access.GENERIC_WRITE) access |= 0x00120116;
  if (desired & Access.GENERIC_EXECUTE) access |= 0x001200a0;
  return access >>> 0;
}

/** A body that does not decode is STATUS_INVALID_PARAMETER; anything else thrown is a bug and goes on up. */
export function malformed(error: unknown): Result {
  if (error instanceof SmbFormatError) return { status: LabStatus.INVALID_PARAMETER };
  throw error;
}

/** MS-SMB2 3.3.5.2.5 credit charge check for large reads and writes (LARGE_MTU dialects). */
function chargeCovers(ctx: CommandContext, req: Request, bytes: number): boolean {
  if (ctx.negotiated.dialect === Dialect.SMB202) return bytes <= 65536;
  return Math.max(1, req.header.creditCharge) * 65536 >= bytes;
}

/**
 * The file-system side of closing an open: delete-on-close and a pending delete take effect at the
 * last close; an .exe the antivirus watched does not stay.
 */
export function finishFileOpen(ctx: CommandContext, open: LabOpen): number {
  const share = ctx.host.share;
  if (open.kind === 'pipe') {
    open.pipe?.close();
    return LabStatus.SUCCESS;
  }
  if (open.deleteOnClose) share.setDeletePending(open.key, true);
  const last = share.closed(open.key);
  let status: number = LabStatus.SUCCESS;
  if (open.scanned && !open.blocked && (ctx.host.state.files.get(open.key)?.length ?? 0) > 0) {
    share.remove(open.key);
    ctx.host.log(`antivirus removed ${open.key}`);
    status = LabStatus.VIRUS_INFECTED;
  }
  if (last && share.isDeletePending(open.key)) {
    if (open.key !== '' && !(share.kind(open.key) === 'dir' && share.hasChildren(open.key))) share.remove(open.key);
    else share.setDeletePending(open.key, false);
  }
  return status;
}

export function handleClose(ctx: CommandContext, req: Request): Result {
  let c;
  try {
    c = decodeCloseRequest(req.message);
  } catch (error) {
    return malformed(error);
  }
  const open = req.open(c.fileId);
  if (typeof open === 'number') return { status: open };
  const status = ctx.closeOpen(open);
  if (status !== LabStatus.SUCCESS) return { status };
  const postQuery = (c.flags & 1) !== 0;
  const exists = open.kind !== 'pipe' && ctx.host.share.kind(open.key) !== null;
  return { status, body: encodeCloseResponse(postQuery ? (exists ? ctx.host.share.info(open.key) : open.kind === 'pipe' ? PIPE_INFO : null) : null) };
}

export function handleFlush(_ctx: CommandContext, req: Request): Result {
  let f;
  try {
    f = decodeFlushRequest(req.message);
  } catch (error) {
    return malformed(error);
  }
  const open = req.open(f.fileId);
  if (typeof open === 'number') return { status: open };
  return { status: LabStatus.SUCCESS, body: encodeEmptyBody() };
}

export function handleRead(ctx: CommandContext, req: Request): Outcome {
  let r;
  try {
    r = decodeReadRequest(req.message);
  } catch (error) {
    return malformed(error);
  }
  const open = req.open(r.fileId);
  if (typeof open === 'number') return { status: open };
  if (r.length > ctx.negotiated.maxIoSize || !chargeCovers(ctx, req, r.length)) return { status: LabStatus.INVALID_PARAMETER };
  if (open.pipe) {
    const pipe = open.pipe;
    return { pending: pipe.read(r.length).then(({ status, data }) => (status === LabStatus.PIPE_BROKEN ? { status } : { status, body: encodeReadResponse(data) })) };
  }
  if (open.kind === 'dir') return { status: LabStatus.INVALID_DEVICE_REQUEST };
  if (!(open.access & (Access.READ_DATA | Access.EXECUTE))) return { status: LabStatus.ACCESS_DENIED };
  const size = ctx.host.state.files.get(open.key)?.length ?? 0;
  if (r.length > 0 && r.offset >= BigInt(size)) return { status: LabStatus.END_OF_FILE };
  const data = ctx.host.share.read(open.key, Number(r.offset), r.length);
  if (data.length < r.minimumCount) return { status: LabStatus.END_OF_FILE };
  return { status: LabStatus.SUCCESS, body: encodeReadResponse(data) };
}

export function handleWrite(ctx: CommandContext, req: Request): Outcome {
  let w;
  try {
    w = decodeWriteRequest(req.message);
  } catch (error) {
    return malformed(error);
  }
  const open = req.open(w.fileId);
  if (typeof open === 'number') return { status: open };
  const length = w.data.length;
  if (length > ctx.negotiated.maxIoSize || !chargeCovers(ctx, req, length)) return { status: LabStatus.INVALID_PARAMETER };
  if (open.pipe) {
    const pipe = open.pipe;
    return { pending: pipe.write(w.data).then((status) => (status === LabStatus.SUCCESS ? { status, body: encodeWriteResponse(length) } : { status })) };
  }
  if (open.kind === 'dir') return { status: LabStatus.INVALID_DEVICE_REQUEST };
  if (!(open.access & (Access.WRITE_DATA | Access.APPEND_DATA))) return { status: LabStatus.ACCESS_DENIED };
  const share = ctx.host.share;
  const config = ctx.host.state.config;
  if (open.blocked) return { status: LabStatus.VIRUS_INFECTED };
  if (open.scanned && length > 0) {
    // Real-time protection finds the agent in the first bytes written and deletes it.
    open.blocked = true;
    share.remove(open.key);
    ctx.host.log(`antivirus blocked ${open.key}`);
    return { status: LabStatus.VIRUS_INFECTED };
  }
  const end = w.offset === 0xffff_ffff_ffff_ffffn ? BigInt(ctx.host.state.files.get(open.key)?.length ?? 0) : w.offset;
  if (end + BigInt(length) > BigInt(share.quotaBytes)) return { status: LabStatus.DISK_FULL };
  let data = w.data;
  let cut = false;
  if (config.profile === 'cut-mid-copy') {
    const limit = config.cutAfterBytes ?? 64 * 1024;
    if (open.bytesWritten + length >= limit) {
      data = data.subarray(0, Math.max(0, limit - open.bytesWritten));
      cut = true;
    }
  }
  if (!share.write(open.key, Number(end), data)) return { status: LabStatus.DISK_FULL };
  open.bytesWritten += data.length;
  ctx.host.state.counters.bytesWritten += data.length;
  if (cut) {
    ctx.host.log(`cut-mid-copy: connection cut after ${open.bytesWritten} bytes of ${open.key}`);
    return { status: LabStatus.SUCCESS, drop: true };
  }
  return { status: LabStatus.SUCCESS, body: encodeWriteResponse(length) };
}
