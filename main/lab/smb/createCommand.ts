// CREATE (MS-SMB2 3.3.5.9) on ADMIN$ (in memory) and on IPC$ named pipes: the disposition against
// what is there, the access granted, and the open registered; the 'antivirus-blocks-copy' profile
// marks an .exe opened for writing to be scanned.
import { Access, CreateAction, CreateOptions, Disposition } from '../../smb/codec/constants.js';
import { decodeCreateRequest, encodeCreateResponse, type CreateRequest } from '../../smb/codec/create.js';
import { labPathKey } from '../hostState.js';
import { displayPath, parentKey, validPath, type AdminShare, type NodeKind } from './adminShare.js';
import { PIPE_INFO, grantedAccess, malformed } from './fileCommands.js';
import type { Request, Result } from './model.js';
import { NamedPipeOpen } from './namedPipe.js';
import { Status } from '../../smb/ntstatus.js';
import type { CommandContext } from './treeCommands.js';

export function handleCreate(ctx: CommandContext, req: Request): Result {
  let c;
  try {
    c = decodeCreateRequest(req.message);
  } catch (error) {
    return malformed(error);
  }
  if (!req.tree) return { status: Status.NETWORK_NAME_DELETED };
  if (req.tree.kind === 'pipe') return createPipe(ctx, req, c.name);
  if (c.disposition > Disposition.OVERWRITE_IF) return { status: Status.INVALID_PARAMETER };
  const options = c.createOptions;
  if ((options & CreateOptions.DIRECTORY_FILE) !== 0 && (options & CreateOptions.NON_DIRECTORY_FILE) !== 0) return { status: Status.INVALID_PARAMETER };
  // Windows refuses a name starting with a separator on a share (MS-SMB2 3.3.5.9).
  if (c.name.startsWith('\\')) return { status: Status.INVALID_PARAMETER };
  if (!validPath(c.name)) return { status: Status.OBJECT_NAME_INVALID };
  const share = ctx.host.share;
  const key = labPathKey(c.name);
  const kind = share.kind(key);
  const access = grantedAccess(c.desiredAccess);
  const deleteOnClose = (options & CreateOptions.DELETE_ON_CLOSE) !== 0;
  if (deleteOnClose && !(access & Access.DELETE)) return { status: Status.ACCESS_DENIED };
  if (share.isDeletePending(key)) return { status: Status.DELETE_PENDING };
  const plan = dispositionOf(share, key, kind, c, deleteOnClose);
  if (typeof plan === 'number') return { status: plan };
  const { action, createKind } = plan;
  const nodeKind = createKind ?? kind ?? 'file';
  const profile = ctx.host.state.config.profile;
  const writing = (access & (Access.FILE_WRITE_DATA | Access.FILE_APPEND_DATA)) !== 0;
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
  if (!open) return { status: Status.INSUFFICIENT_RESOURCES };
  if (createKind) share.create(key, displayPath(c.name), createKind, c.fileAttributes);
  else if (action === CreateAction.OVERWRITTEN || action === CreateAction.SUPERSEDED) share.setEndOfFile(key, 0);
  share.opened(key);
  const fileId = { persistent: open.id, volatile: open.id };
  return { status: Status.SUCCESS, body: encodeCreateResponse({ ...share.info(key), oplockLevel: 0, createAction: action, fileId }), fileId };
}

/** What CREATE's disposition does with the name, given what is there: the action and the kind it creates, or the status that refuses it. */
function dispositionOf(share: AdminShare, key: string, kind: NodeKind | null, c: CreateRequest, deleteOnClose: boolean): { action: number; createKind: NodeKind | null } | number {
  const wantDir = (c.createOptions & CreateOptions.DIRECTORY_FILE) !== 0;
  const wantFile = (c.createOptions & CreateOptions.NON_DIRECTORY_FILE) !== 0;
  if (kind === null) {
    if (share.kind(parentKey(key)) !== 'dir') return Status.OBJECT_PATH_NOT_FOUND;
    if (c.disposition === Disposition.OPEN || c.disposition === Disposition.OVERWRITE) return Status.OBJECT_NAME_NOT_FOUND;
    if (wantDir && c.disposition !== Disposition.CREATE && c.disposition !== Disposition.OPEN_IF) return Status.INVALID_PARAMETER;
    return { action: CreateAction.CREATED, createKind: wantDir ? 'dir' : 'file' };
  }
  if (c.disposition === Disposition.CREATE) return Status.OBJECT_NAME_COLLISION;
  if (kind === 'dir' && wantFile) return Status.FILE_IS_A_DIRECTORY;
  if (kind === 'file' && wantDir) return Status.NOT_A_DIRECTORY;
  const overwrite = c.disposition === Disposition.SUPERSEDE || c.disposition === Disposition.OVERWRITE || c.disposition === Disposition.OVERWRITE_IF;
  if (kind === 'dir' && overwrite) return Status.INVALID_PARAMETER;
  if (kind === 'dir' && deleteOnClose && (key === '' || share.hasChildren(key))) return key === '' ? Status.ACCESS_DENIED : Status.DIRECTORY_NOT_EMPTY;
  if (!overwrite) return { action: CreateAction.OPENED, createKind: null };
  return { action: c.disposition === Disposition.SUPERSEDE ? CreateAction.SUPERSEDED : CreateAction.OVERWRITTEN, createKind: null };
}

function createPipe(ctx: CommandContext, req: Request, rawName: string): Result {
  const name = rawName.toLowerCase().replace(/^\\+/, '').replace(/^pipe\\/, '');
  if (name === '' || name.length > 256 || /[\\/\0]/.test(name)) return { status: Status.OBJECT_NAME_INVALID };
  if (name === 'svcctl' && svcctlBusy(ctx)) return { status: Status.PIPE_BUSY };
  let endpoint = null;
  try {
    endpoint = ctx.host.pipes(name, ctx.host.state, { user: req.session.user, domain: req.session.domain });
  } catch (error) {
    ctx.host.log(`pipe factory failed for ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!endpoint) return { status: Status.OBJECT_NAME_NOT_FOUND };
  const pipe = new NamedPipeOpen(name, endpoint);
  const open = ctx.addOpen({
    session: req.session, tree: req.tree!, kind: 'pipe', key: name, access: Access.FILE_ALL_ACCESS, deleteOnClose: false,
    bytesWritten: 0, scanned: false, blocked: false, search: null, pipe,
  });
  if (!open) {
    pipe.close();
    return { status: Status.INSUFFICIENT_RESOURCES };
  }
  const fileId = { persistent: open.id, volatile: open.id };
  return { status: Status.SUCCESS, body: encodeCreateResponse({ ...PIPE_INFO, oplockLevel: 0, createAction: CreateAction.OPENED, fileId }), fileId };
}

/**
 * pipe-busy: every instance of \\pipe\\svcctl is taken (another tool holds them), so the open
 * answers STATUS_PIPE_BUSY (the NTSTATUS the NPFS gives when no instance is listening; Win32
 * ERROR_PIPE_BUSY, MS-ERREF 2.3.1) — the first `busyPipeOpens` opens, or all of them.
 */
function svcctlBusy(ctx: CommandContext): boolean {
  const { config, counters } = ctx.host.state;
  if (config.profile !== 'pipe-busy') return false;
  if (config.busyPipeOpens !== undefined && counters.pipeBusyAnswers >= config.busyPipeOpens) return false;
  counters.pipeBusyAnswers++;
  return true;
}
