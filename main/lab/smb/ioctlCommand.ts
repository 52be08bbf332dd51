// IOCTL (MS-SMB2 3.3.5.15): VALIDATE_NEGOTIATE_INFO checked against what the connection negotiated
// (a mismatch ends it), the named-pipe FSCTLs (wait, transceive through the RPC server) and a
// DFS referral refused as a host without DFS refuses it.
import { Dialect, Fsctl, IoctlFlags } from '../../smb/codec/constants.js';
import { decodeIoctlRequest, decodeValidateNegotiateInfoRequest, encodeIoctlResponse, encodeValidateNegotiateInfoResponse } from '../../smb/codec/ioctl.js';
import { malformed } from './fileCommands.js';
import type { Outcome, Request } from './model.js';
import { SERVER_SECURITY_MODE } from './negotiate.js';
import { Status } from '../../smb/ntstatus.js';
import type { CommandContext } from './treeCommands.js';

export function handleIoctl(ctx: CommandContext, req: Request): Outcome {
  let io;
  try {
    io = decodeIoctlRequest(req.message);
  } catch (error) {
    return malformed(error);
  }
  const n = ctx.negotiated;
  if (io.ctlCode === Fsctl.VALIDATE_NEGOTIATE_INFO) {
    // MS-SMB2 3.3.5.15.12: any mismatch, or 3.1.1 (which has preauth integrity instead), ends the connection.
    if (n.dialect === Dialect.SMB311 || io.maxOutputResponse < 24) return { status: Status.ACCESS_DENIED, drop: true };
    let v;
    try {
      v = decodeValidateNegotiateInfoRequest(io.input);
    } catch {
      return { status: Status.ACCESS_DENIED, drop: true };
    }
    const same =
      v.guid.equals(n.clientGuid) &&
      v.securityMode === n.clientSecurityMode &&
      v.capabilities === n.clientCapabilities &&
      v.dialects.length === n.clientDialects.length &&
      v.dialects.every((d, i) => d === n.clientDialects[i]);
    if (!same) return { status: Status.ACCESS_DENIED, drop: true };
    const output = encodeValidateNegotiateInfoResponse({ capabilities: n.serverCapabilities, guid: ctx.host.serverGuid, securityMode: SERVER_SECURITY_MODE, dialect: n.dialect });
    return { status: Status.SUCCESS, body: encodeIoctlResponse({ ctlCode: io.ctlCode, fileId: io.fileId, output }) };
  }
  if (!(io.flags & IoctlFlags.IS_FSCTL)) return { status: Status.NOT_SUPPORTED };
  if (io.ctlCode === Fsctl.DFS_GET_REFERRALS || io.ctlCode === Fsctl.DFS_GET_REFERRALS_EX) return { status: Status.NOT_FOUND };
  if (io.ctlCode === Fsctl.PIPE_WAIT) {
    return req.tree?.kind === 'pipe' ? { status: Status.SUCCESS, body: encodeIoctlResponse({ ctlCode: io.ctlCode, fileId: io.fileId, output: Buffer.alloc(0) }) } : { status: Status.INVALID_DEVICE_REQUEST };
  }
  if (io.ctlCode !== Fsctl.PIPE_TRANSCEIVE) return { status: Status.INVALID_DEVICE_REQUEST };
  const open = req.open(io.fileId);
  if (typeof open === 'number') return { status: open };
  if (!open.pipe) return { status: Status.INVALID_DEVICE_REQUEST };
  if (io.maxOutputResponse > n.maxIoSize) return { status: Status.INVALID_PARAMETER };
  const fileId = { persistent: open.id, volatile: open.id };
  const ctlCode = io.ctlCode;
  return {
    pending: open.pipe
      .transceive(io.input, io.maxOutputResponse)
      .then(({ status, data }) => (status === Status.PIPE_BROKEN ? { status } : { status, body: encodeIoctlResponse({ ctlCode, fileId, output: data }) })),
  };
}
