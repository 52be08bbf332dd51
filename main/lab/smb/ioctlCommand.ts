// IOCTL (MS-SMB2 3.3.5.15): VALIDATE_NEGOTIATE_INFO checked against what the connection negotiated
// (a mismatch ends it), the named-pipe FSCTLs (wait, transceive through the RPC server) and a
// DFS referral refused as a host without DFS refuses it.
import { FSCTL_PIPE_TRANSCEIVE, SMB2_0_IOCTL_IS_FSCTL } from '../../smb/codec/ioctl.js';
import { Dialect } from '../../smb/codec/negotiate.js';
import { malformed } from './fileCommands.js';
import type { Outcome, Request } from './model.js';
import { SERVER_SECURITY_MODE } from './negotiate.js';
import { decodeIoctlRequest, decodeValidateNegotiateInfo } from './requests.js';
import { encodeIoctlResponse, encodeValidateNegotiateInfo } from './responses.js';
import { LabStatus } from './status.js';
import type { CommandContext } from './treeCommands.js';

const FSCTL_VALIDATE_NEGOTIATE_INFO = 0x00140204;
const FSCTL_PIPE_WAIT = 0x00110018;
const FSCTL_DFS_GET_REFERRALS = 0x00060194;
const FSCTL_DFS_GET_REFERRALS_EX = 0x000601b0;

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
