// CLOSE (MS-SMB2 3.3.5.10), FLUSH (3.3.5.11), READ (3.3.5.12) and WRITE (3.3.5.13) on ADMIN$ (in
// memory) and on IPC$ named pipes, with the profiles that act on file data: 'antivirus-blocks-copy'
// (an .exe written → STATUS_VIRUS_INFECTED, the file goes) and 'cut-mid-copy' (the connection is
// cut once cutAfterBytes of one file are written). Also what CREATE and IOCTL share with them.
import { Access, CloseFlags, Dialect, FileAttributes, WRITE_END_OF_FILE } from '../../smb/codec/constants.js';
import { decodeCloseRequest, encodeCloseResponse } from '../../smb/codec/close.js';
import { encodeEmptyBody } from '../../smb/codec/errorBody.js';
import { decodeFlushRequest } from '../../smb/codec/flush.js';
import { decodeReadRequest, decodeWriteRequest, encodeReadResponse, encodeWriteResponse } from '../../smb/codec/readWrite.js';
import { SmbFormatError } from '../../smb/codec/wire.js';
import type { LabOpen, Outcome, Request, Result } from './model.js';
import { Status } from '../../smb/ntstatus.js';
import type { CommandContext } from './treeCommands.js';

/** What a pipe's CREATE and CLOSE report as its file information. */
export const PIPE_INFO = { creationTime: 0n, lastAccessTime: 0n, lastWriteTime: 0n, changeTime: 0n, allocationSize: 4096n, endOfFile: 0n, attributes: FileAttributes.NORMAL };

/** MS-DTYP 2.4.3 generic mapping for files; an administrator is granted all it asks for. */
export function grantedAccess(desired: number): number {
  let access = desired & Access.FILE_ALL_ACCESS;
  if (desired & (Access.GENERIC_ALL | Access.MAXIMUM_ALLOWED)) access |= Access.FILE_ALL_ACCESS;
  if (desired & Access.GENERIC_READ) access |= Access.FILE_GENERIC_READ;
  if (desired & Access.GENERIC_WRITE) access |= Access.FILE_GENERIC_WRITE;
  if (desired & Access.GENERIC_EXECUTE) access |= Access.FILE_GENERIC_EXECUTE;
  return access >>> 0;
}

/** A body that does not decode is STATUS_INVALID_PARAMETER; anything else thrown is a bug and goes on up. */
export function malformed(error: unknown): Result {
  if (error instanceof SmbFormatError) return { status: Status.INVALID_PARAMETER };
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
    return Status.SUCCESS;
  }
  if (open.deleteOnClose) share.setDeletePending(open.key, true);
  const last = share.closed(open.key);
  let status: number = Status.SUCCESS;
  if (open.scanned && !open.blocked && (ctx.host.state.files.get(open.key)?.length ?? 0) > 0) {
    share.remove(open.key);
    ctx.host.log(`antivirus removed ${open.key}`);
    status = Status.VIRUS_INFECTED;
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
  if (status !== Status.SUCCESS) return { status };
  const postQuery = (c.flags & CloseFlags.POSTQUERY_ATTRIB) !== 0;
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
  return { status: Status.SUCCESS, body: encodeEmptyBody() };
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
  if (r.length > ctx.negotiated.maxIoSize || !chargeCovers(ctx, req, r.length)) return { status: Status.INVALID_PARAMETER };
  if (open.pipe) {
    const pipe = open.pipe;
    return { pending: pipe.read(r.length).then(({ status, data }) => (status === Status.PIPE_BROKEN ? { status } : { status, body: encodeReadResponse({ data, remaining: 0 }) })) };
  }
  if (open.kind === 'dir') return { status: Status.INVALID_DEVICE_REQUEST };
  if (!(open.access & (Access.FILE_READ_DATA | Access.FILE_EXECUTE))) return { status: Status.ACCESS_DENIED };
  const size = ctx.host.state.files.get(open.key)?.length ?? 0;
  if (r.length > 0 && r.offset >= BigInt(size)) return { status: Status.END_OF_FILE };
  const data = ctx.host.share.read(open.key, Number(r.offset), r.length);
  if (data.length < r.minimumCount) return { status: Status.END_OF_FILE };
  return { status: Status.SUCCESS, body: encodeReadResponse({ data, remaining: 0 }) };
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
  if (length > ctx.negotiated.maxIoSize || !chargeCovers(ctx, req, length)) return { status: Status.INVALID_PARAMETER };
  if (open.pipe) {
    const pipe = open.pipe;
    return { pending: pipe.write(w.data).then((status) => (status === Status.SUCCESS ? { status, body: encodeWriteResponse({ count: length }) } : { status })) };
  }
  if (open.kind === 'dir') return { status: Status.INVALID_DEVICE_REQUEST };
  if (!(open.access & (Access.FILE_WRITE_DATA | Access.FILE_APPEND_DATA))) return { status: Status.ACCESS_DENIED };
  const share = ctx.host.share;
  const config = ctx.host.state.config;
  if (open.blocked) return { status: Status.VIRUS_INFECTED };
  if (open.scanned && length > 0) {
    // Real-time protection finds the agent in the first bytes written and deletes it.
    open.blocked = true;
    share.remove(open.key);
    ctx.host.log(`antivirus blocked ${open.key}`);
    return { status: Status.VIRUS_INFECTED };
  }
  const end = w.offset === WRITE_END_OF_FILE ? BigInt(ctx.host.state.files.get(open.key)?.length ?? 0) : w.offset;
  if (end + BigInt(length) > BigInt(share.quotaBytes)) return { status: Status.DISK_FULL };
  let data = w.data;
  let cut = false;
  if (config.profile === 'cut-mid-copy') {
    const limit = config.cutAfterBytes ?? 64 * 1024;
    if (open.bytesWritten + length >= limit) {
      data = data.subarray(0, Math.max(0, limit - open.bytesWritten));
      cut = true;
    }
  }
  if (!share.write(open.key, Number(end), data)) return { status: Status.DISK_FULL };
  open.bytesWritten += data.length;
  ctx.host.state.counters.bytesWritten += data.length;
  if (cut) {
    ctx.host.log(`cut-mid-copy: connection cut after ${open.bytesWritten} bytes of ${open.key}`);
    return { status: Status.SUCCESS, drop: true };
  }
  return { status: Status.SUCCESS, body: encodeWriteResponse({ count: length }) };
}
