// CREATE (MS-SMB2 3.3.5.9), CLOSE (3.3.5.10), FLUSH (3.3.5.11), READ (3.3.5.12), WRITE (3.3.5.13)
// and IOCTL (3.3.5.15) on ADMIN$ (in memory) and on IPC$ named pipes, with the profiles that act
// on file data: 'antivirus-blocks-copy' (an .exe written → STATUS_VIRUS_INFECTED, the file goes)
// and 'cut-mid-copy' (the connection is cut once cutAfterBytes of one file are written).
import { CreateOptions, Disposition, type FileId } from '../../smb/codec/create.js';
import { FSCTL_PIPE_TRANSCEIVE, SMB2_0_IOCTL_IS_FSCTL } from '../../smb/codec/ioctl.js';
import { Dialect } from '../../smb/codec/negotiate.js';
import { SmbFormatError } from '../../smb/codec/wire.js';
import { labPathKey } from '../hostState.js';
import { displayPath, parentKey, validPath } from './adminShare.js';
import { FileAttribute } from './fileInfo.js';
import type { LabOpen, Outcome, Request, Result } from './model.js';
import { NamedPipeOpen } from './namedPipe.js';
import {
  decodeCloseRequest, decodeCreateRequest, decodeFlushRequest, decodeIoctlRequest, decodeReadRequest, decodeValidateNegotiateInfo, decodeWriteRequest,
} from './requests.js';
import {
  encodeCloseResponse, encodeCreateResponse, encodeEmptyBody, encodeIoctlResponse, encodeReadResponse, encodeValidateNegotiateInfo, encodeWriteResponse,
} from './responses.js';
import { LabStatus } from './status.js';
import { ALL_ONES_FILE_ID, FILE_ALL_ACCESS, type CommandContext } from './treeCommands.js';
import { SERVER_SECURITY_MODE } from './negotiate.js';

const FSCTL_VALIDATE_NEGOTIATE_INFO = 0x00140204;
const FSCTL_PIPE_WAIT = 0x00110018;
const FSCTL_DFS_GET_REFERRALS = 0x00060194;
const FSCTL_DFS_GET_REFERRALS_EX = 0x000601b0;

const Access = {
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

const CreateAction = { SUPERSEDED: 0, OPENED: 1, CREATED: 2, OVERWRITTEN: 3 } as const;
const PIPE_INFO = { creationTime: 0n, lastAccessTime: 0n, lastWriteTime: 0n, changeTime: 0n, allocationSize: 4096n, endOfFile: 0n, attributes: FileAttribute.NORMAL };

/** MS-DTYP 2.4.3 generic mapping for files; an administrator is granted all it asks for. */
export function grantedAccess(desired: number): number {
  let access = desired & FILE_ALL_ACCESS;
  if (desired & (Access.GENERIC_ALL | Access.MAXIMUM_ALLOWED)) access |= FILE_ALL_ACCESS;
  if (desired & Access.GENERIC_READ) access |= 0x00120089;
  if (desired & Access.GENERIC_WRITE) access |= 0x00120116;
  if (desired & Access.GENERIC_EXECUTE) access |= 0x001200a0;
  return access >>> 0;
}

export const isAllOnes = (id: FileId): boolean => id.persistent === ALL_ONES_FILE_ID.persistent && id.volatile === ALL_ONES_FILE_ID.volatile;

function malformed(error: unknown): Result {
  if (error instanceof SmbFormatError) return { status: LabStatus.INVALID_PARAMETER };
  throw error;
}

/** MS-SMB2 3.3.5.2.5 credit charge check for large reads and writes (LARGE_MTU dialects). */
function chargeCovers(ctx: CommandContext, req: Request, bytes: number): boolean {
  if (ctx.negotiated.dialect === Dialect.SMB202) return bytes <= 65536;
  return Math.max(1, req.header.creditCharge) * 65536 >= bytes;
}

export function handleCreate(ctx: CommandContext, req: Request): Result {
  let c;
  try {
    c = decodeCreateRequest(req.message);
  } catch (error) {
    return malformed(error);
  }
  if (!req.tree) return { status: LabStatus.NETWORK_NAME_DELETED };
  if (req.tree.kind === 'pipe') return createPipe(ctx, req, c.name);
  if (c.disposition > Disposition.OVERWRITE_IF) return { status: LabStatus.INVALID_PARAMETER };
  const options = c.createOptions;
  const wantDir = (options & CreateOptions.DIRECTORY_FILE) !== 0;
  const wantFile = (options & CreateOptions.NON_DIRECTORY_FILE) !== 0;
  if (wantDir && wantFile) return { status: LabStatus.INVALID_PARAMETER };
  // Windows refuses a name starting with a separator on a share (MS-SMB2 3.3.5.9).
  if (c.name.startsWith('\\')) return { status: LabStatus.INVALID_PARAMETER };
  if (!validPath(c.name)) return { status: LabStatus.OBJECT_NAME_INVALID };
  const share = ctx.host.share;
  const key = labPathKey(c.name);
  const kind = share.kind(key);
  const access = grantedAccess(c.desiredAccess);
  const deleteOnClose = (options & CreateOptions.DELETE_ON_CLOSE) !== 0;
  if (deleteOnClose && !(access & Access.DELETE)) return { status: LabStatus.ACCESS_DENIED };
  if (share.isDeletePending(key)) return { status: LabStatus.DELETE_PENDING };

  let action: number = CreateAction.OPENED;
  let createKind: 'file' | 'dir' | null = null;
  if (kind === null) {
    if (share.kind(parentKey(key)) !== 'dir') return { status: LabStatus.OBJECT_PATH_NOT_FOUND };
    if (c.disposition === Disposition.OPEN || c.disposition === Disposition.OVERWRITE) return { status: LabStatus.OBJECT_NAME_NOT_FOUND };
    if (wantDir && c.disposition !== Disposition.CREATE && c.disposition !== Disposition.OPEN_IF) return { status: LabStatus.INVALID_PARAMETER };
    createKind = wantDir ? 'dir' : 'file';
    action = CreateAction.CREATED;
  } else {
    if (c.disposition === Disposition.CREATE) return { status: LabStatus.OBJECT_NAME_COLLISION };
    if (kind === 'dir' && wantFile) return { status: LabStatus.FILE_IS_A_DIRECTORY };
    if (kind === 'file' && wantDir) return { status: LabStatus.NOT_A_DIRECTORY };
    const overwrite = c.disposition === Disposition.SUPERSEDE || c.disposition === Disposition.OVERWRITE || c.disposition === Disposition.OVERWRITE_IF;
    if (kind === 'dir' && overwrite) return { status: LabStatus.INVALID_PARAMETER };
    if (kind === 'dir' && deleteOnClose && (key === '' || share.hasChildren(key))) return { status: key === '' ? LabStatus.ACCESS_DENIED : LabStatus.DIRECTORY_NOT_EMPTY };
    if (overwrite) action = c.disposition === Disposition.SUPERSEDE ? CreateAction.SUPERSEDED : CreateAction.OVERWRITTEN;
  }
  const nodeKind = createKind ?? kind ?? 'file';
  const profile = ctx.host.state.config.profile;
  const writing = (access & (Access.WRITE_DATA | Access.APPEND_DATA)) !== 0;
  const open = ctx.addOpen({
    session: req.session,
    tree: req.tree,
    kind: nodeKind,
    key,
    access,
    deleteOnClose,
    bytesWritten: 0,
    scanned: profile === 'antivirus-blocks-copy' && nodeKind === 'file' && writing && key.endsWith('.exe'),
    blocked: false,
    search: null,
    pipe: null,
  });
  if (!open) return { status: LabStatus.INSUFFICIENT_RESOURCES };
  if (createKind) share.create(key, displayPath(c.name), createKind, c.fileAttributes);
  else if (action === CreateAction.OVERWRITTEN || action === CreateAction.SUPERSEDED) share.setEndOfFile(key, 0);
  share.opened(key);
  const fileId = { persistent: open.id, volatile: open.id };
  return { status: LabStatus.SUCCESS, body: encodeCreateResponse(action, share.info(key), fileId), fileId };
}

function createPipe(ctx: CommandContext, req: Request, rawName: string): Result {
  const name = rawName.toLowerCase().replace(/^\\+/, '').replace(/^pipe\\/, '');
  if (name === '' || name.length > 256 || /[\\/\0]/.test(name)) return { status: LabStatus.OBJECT_NAME_INVALID };
  let endpoint = null;
  try {
    endpoint = ctx.host.pipes(name, ctx.host.state, { user: req.session.user, domain: req.session.domain });
  } catch (error) {
    ctx.host.log(`pipe factory failed for ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!endpoint) return { status: LabStatus.OBJECT_NAME_NOT_FOUND };
  const pipe = new NamedPipeOpen(name, endpoint);
  const open = ctx.addOpen({
    session: req.session, tree: req.tree!, kind: 'pipe', key: name, access: FILE_ALL_ACCESS, deleteOnClose: false,
    bytesWritten: 0, scanned: false, blocked: false, search: null, pipe,
  });
  if (!open) {
    pipe.close();
    return { status: LabStatus.INSUFFICIENT_RESOURCES };
  }
  const fileId = { persistent: open.id, volatile: open.id };
  return { status: LabStatus.SUCCESS, body: encodeCreateResponse(CreateAction.OPENED, PIPE_INFO, fileId), fileId };
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

export function handleIoctl(ctx: CommandContext, req: Request): Outcome {
  let io;
  try {
    io = decodeIoctlRequest(req.message);
  } catch (error) {
    return malformed(error);
  }
  const n = ctx.negotiated;
  if (io.ctlCode === FSCTL_VALIDATE_NEGOTIATE_INFO) {
    // MS-SMB2 3.3.5.15.12: any mismatch, or 3.1.1 (which has preauth integrity instead), ends the connection.
    if (n.dialect === Dialect.SMB311 || io.maxOutputResponse < 24) return { status: LabStatus.ACCESS_DENIED, drop: true };
    let v;
    try {
      v = decodeValidateNegotiateInfo(io.input);
    } catch {
      return { status: LabStatus.ACCESS_DENIED, drop: true };
    }
    const same =
      v.guid.equals(n.clientGuid) &&
      v.securityMode === n.clientSecurityMode &&
      v.capabilities === n.clientCapabilities &&
      v.dialects.length === n.clientDialects.length &&
      v.dialects.every((d, i) => d === n.clientDialects[i]);
    if (!same) return { status: LabStatus.ACCESS_DENIED, drop: true };
    const output = encodeValidateNegotiateInfo(n.serverCapabilities, ctx.host.serverGuid, SERVER_SECURITY_MODE, n.dialect);
    return { status: LabStatus.SUCCESS, body: encodeIoctlResponse(io.ctlCode, io.fileId, output) };
  }
  if (!(io.flags & SMB2_0_IOCTL_IS_FSCTL)) return { status: LabStatus.NOT_SUPPORTED };
  if (io.ctlCode === FSCTL_DFS_GET_REFERRALS || io.ctlCode === FSCTL_DFS_GET_REFERRALS_EX) return { status: LabStatus.NOT_FOUND };
  if (io.ctlCode === FSCTL_PIPE_WAIT) {
    return req.tree?.kind === 'pipe' ? { status: LabStatus.SUCCESS, body: encodeIoctlResponse(io.ctlCode, io.fileId, Buffer.alloc(0)) } : { status: LabStatus.INVALID_DEVICE_REQUEST };
  }
  if (io.ctlCode !== FSCTL_PIPE_TRANSCEIVE) return { status: LabStatus.INVALID_DEVICE_REQUEST };
  const open = req.open(io.fileId);
  if (typeof open === 'number') return { status: open };
  if (!open.pipe) return { status: LabStatus.INVALID_DEVICE_REQUEST };
  if (io.maxOutputResponse > n.maxIoSize) return { status: LabStatus.INVALID_PARAMETER };
  const fileId = { persistent: open.id, volatile: open.id };
  const ctlCode = io.ctlCode;
  return {
    pending: open.pipe
      .transceive(io.input, io.maxOutputResponse)
      .then(({ status, data }) => (status === LabStatus.PIPE_BROKEN ? { status } : { status, body: encodeIoctlResponse(ctlCode, fileId, data) })),
  };
}
