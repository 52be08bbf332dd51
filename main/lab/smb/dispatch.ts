// Which handler answers one request of a chain (MS-SMB2 3.3.5.2): NEGOTIATE, SESSION_SETUP and
// ECHO need no session; every other command needs an established session and a good signature
// (3.3.5.2.4) unless it came encrypted, and all but LOGOFF and TREE_CONNECT a tree.
import { Command, HeaderFlags } from '../../smb/codec/header.js';
import { encodeEmptyBody } from '../../smb/codec/errorBody.js';
import { cipherName, dialectName } from '../../smb/hostInfo.js';
import type { ChainState, Element } from './compound.js';
import { handleClose, handleFlush, handleRead, handleWrite } from './fileCommands.js';
import { handleCreate } from './createCommand.js';
import { handleQueryDirectory, handleQueryInfo, handleSetInfo } from './infoCommands.js';
import { handleIoctl } from './ioctlCommand.js';
import { signedBy } from './messageSecurity.js';
import type { Outcome, Request } from './model.js';
import { DIALECT_WILDCARD, handleNegotiate, type NegotiatedConnection } from './negotiate.js';
import type { OpenTable } from './openTable.js';
import { handleSessionSetup, type SessionSetupConnection } from './sessionSetup.js';
import { Status } from '../../smb/ntstatus.js';
import { windowsLike } from '../hostState.js';
import { handleLogoff, handleTreeConnect, handleTreeDisconnect, type CommandContext } from './treeCommands.js';

/** What dispatching needs of the connection beyond what the handlers need. */
export interface DispatchConnection extends CommandContext, SessionSetupConnection {
  /** Set by the NEGOTIATE. */
  negotiated: NegotiatedConnection;
  readonly remote: string;
  readonly opens: OpenTable;
}

export async function dispatchRequest(conn: DispatchConnection, el: Element, sessionId: bigint, treeId: number, chain: ChainState, encrypted: boolean): Promise<Outcome> {
  const h = el.header;
  if (h.command === Command.NEGOTIATE) {
    if (conn.negotiated.dialect !== 0 && conn.negotiated.dialect !== DIALECT_WILDCARD) return { status: Status.INVALID_PARAMETER, drop: true };
    return handleNegotiate(el.bytes, { serverGuid: conn.host.serverGuid, personality: conn.host.state.config.personality }, (n) => {
      conn.negotiated = n;
      conn.host.log(`${conn.remote}: negotiated ${dialectName(n.dialect)}, signing ${n.signingAlgorithm}, cipher ${cipherName(n.cipher) ?? 'none'}`);
    });
  }
  if (h.command === Command.SESSION_SETUP) return handleSessionSetup(conn, { sessionId }, el.bytes);
  if (h.command === Command.ECHO) return { status: Status.SUCCESS, body: encodeEmptyBody() };
  const session = conn.sessions.get(sessionId);
  if (!session || session.phase !== 'established') return { status: Status.USER_SESSION_DELETED };
  // MS-SMB2 3.3.5.2.4: signing is required, so an unsigned or badly signed request is refused.
  if (!encrypted && !signedBy(session, h, el.bytes)) {
    conn.host.log(`${conn.remote}: ${h.flags & HeaderFlags.SIGNED ? 'bad signature' : 'unsigned request'} (command ${h.command})`);
    return { status: Status.ACCESS_DENIED };
  }
  const tree = session.trees.get(treeId) ?? null;
  const related = (h.flags & HeaderFlags.RELATED_OPERATIONS) !== 0;
  const request: Request = { header: h, message: el.bytes, encrypted, session, tree, open: (id) => conn.opens.resolve(id, session, tree, chain, related) };
  return slowOnDisk(conn, request, handleCommand(conn, request));
}

/**
 * A host whose disk is slow (LabHostConfig.fileLatencyMs, the windows personality): a CREATE or
 * WRITE on a disk share completes that much later. Windows' srv2 answers a request whose file
 * system operation pends with an interim STATUS_PENDING and the final response when it completes
 * (MS-SMB2 3.3.4.2), so such a request goes asynchronous; smbd answers when done, in order.
 */
function slowOnDisk(conn: DispatchConnection, request: Request, outcome: Outcome): Outcome {
  const { config } = conn.host.state;
  const latency = config.fileLatencyMs ?? 0;
  if (latency <= 0 || !windowsLike(config) || 'pending' in outcome || request.tree?.kind !== 'disk') return outcome;
  const command = request.header.command;
  if (command !== Command.CREATE && command !== Command.WRITE) return outcome;
  return { pending: new Promise((resolve) => setTimeout(() => resolve(outcome), latency)) };
}

function handleCommand(ctx: CommandContext, request: Request): Outcome {
  switch (request.header.command) {
    case Command.LOGOFF:
      return handleLogoff(ctx, request);
    case Command.TREE_CONNECT:
      return handleTreeConnect(ctx, request);
  }
  if (!request.tree) return { status: Status.NETWORK_NAME_DELETED };
  switch (request.header.command) {
    case Command.TREE_DISCONNECT:
      return handleTreeDisconnect(ctx, request);
    case Command.CREATE:
      return handleCreate(ctx, request);
    case Command.CLOSE:
      return handleClose(ctx, request);
    case Command.FLUSH:
      return handleFlush(ctx, request);
    case Command.READ:
      return handleRead(ctx, request);
    case Command.WRITE:
      return handleWrite(ctx, request);
    case Command.IOCTL:
      return handleIoctl(ctx, request);
    case Command.QUERY_DIRECTORY:
      return handleQueryDirectory(ctx, request);
    case Command.QUERY_INFO:
      return handleQueryInfo(ctx, request);
    case Command.SET_INFO:
      return handleSetInfo(ctx, request);
    case Command.LOCK:
    case Command.CHANGE_NOTIFY:
      return { status: Status.NOT_SUPPORTED };
    default:
      return { status: Status.INVALID_PARAMETER };
  }
}
