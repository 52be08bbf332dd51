// TREE_CONNECT (MS-SMB2 3.3.5.7), TREE_DISCONNECT (3.3.5.8) and LOGOFF (3.3.5.6). ADMIN$ answers
// as the host's profile says: 'uac-filtered' → STATUS_ACCESS_DENIED (a filtered token, KB951016),
// 'admin-share-missing' → STATUS_BAD_NETWORK_NAME (AutoShareWks = 0).
import { Access, ShareFlags, ShareType } from '../../smb/codec/constants.js';
import { decodeEmptyBody, encodeEmptyBody } from '../../smb/codec/errorBody.js';
import { decodeTreeConnectRequest, encodeTreeConnectResponse } from '../../smb/codec/treeConnect.js';
import { SmbFormatError } from '../../smb/codec/wire.js';
import type { FileId } from '../../smb/codec/openInfo.js';
import type { LabHostContext, LabOpen, LabSession, LabTree, Request, Result } from './model.js';
import type { NegotiatedConnection } from './negotiate.js';
import { Status } from '../../smb/ntstatus.js';

const MAX_TREES_PER_SESSION = 64;

/** What the command handlers need of their connection. */
export interface CommandContext {
  readonly host: LabHostContext;
  readonly negotiated: NegotiatedConnection;
  /** Registers an open under a new FileId; null when the connection holds too many. */
  addOpen(fields: Omit<LabOpen, 'id'>): LabOpen | null;
  /** Closes one open (pipe endpoint, delete-on-close, antivirus) and forgets it; returns CLOSE's status. */
  closeOpen(open: LabOpen): number;
  /** Closes every open of `tree` (or of the whole session) and forgets the tree(s). */
  closeTrees(session: LabSession, tree: LabTree | null): void;
  /** Ends an established session: its trees, opens, and the host's session count. */
  logoff(session: LabSession): void;
}

export const ALL_ONES_FILE_ID: FileId = { persistent: 0xffff_ffff_ffff_ffffn, volatile: 0xffff_ffff_ffff_ffffn };

export function handleTreeConnect(ctx: CommandContext, req: Request): Result {
  let path: string;
  try {
    path = decodeTreeConnectRequest(req.message).path;
  } catch (error) {
    if (error instanceof SmbFormatError) return { status: Status.INVALID_PARAMETER };
    throw error;
  }
  const shareName = path.slice(path.lastIndexOf('\\') + 1).toUpperCase();
  const profile = ctx.host.state.config.profile;
  let kind: LabTree['kind'];
  if (shareName === 'IPC$') kind = 'pipe';
  else if (ctx.host.diskShares.has(shareName)) {
    if (shareName === 'ADMIN$' && profile === 'uac-filtered') return { status: Status.ACCESS_DENIED };
    if (shareName === 'ADMIN$' && profile === 'admin-share-missing') return { status: Status.BAD_NETWORK_NAME };
    kind = 'disk';
  } else return { status: Status.BAD_NETWORK_NAME };
  if (req.session.trees.size >= MAX_TREES_PER_SESSION) return { status: Status.INSUFFICIENT_RESOURCES };
  const tree: LabTree = { id: req.session.nextTreeId, kind, name: shareName };
  req.session.nextTreeId = (req.session.nextTreeId % 0xffff_fffe) + 1;
  req.session.trees.set(tree.id, tree);
  ctx.host.log(`tree connect ${path} as ${req.session.domain}\\${req.session.user}`);
  return {
    status: Status.SUCCESS,
    body: encodeTreeConnectResponse({ shareType: kind === 'pipe' ? ShareType.PIPE : ShareType.DISK, shareFlags: kind === 'pipe' ? ShareFlags.NO_CACHING : 0, capabilities: 0, maximalAccess: Access.FILE_ALL_ACCESS }),
    treeId: tree.id,
  };
}

export function handleTreeDisconnect(ctx: CommandContext, req: Request): Result {
  try {
    decodeEmptyBody(req.message, 'TREE_DISCONNECT request');
  } catch {
    return { status: Status.INVALID_PARAMETER };
  }
  if (!req.tree) return { status: Status.NETWORK_NAME_DELETED };
  ctx.closeTrees(req.session, req.tree);
  return { status: Status.SUCCESS, body: encodeEmptyBody() };
}

export function handleLogoff(ctx: CommandContext, req: Request): Result {
  try {
    decodeEmptyBody(req.message, 'LOGOFF request');
  } catch {
    return { status: Status.INVALID_PARAMETER };
  }
  ctx.logoff(req.session);
  // Signed with the session's key although the session is gone once the response is built.
  return { status: Status.SUCCESS, body: encodeEmptyBody(), signWith: req.session };
}
