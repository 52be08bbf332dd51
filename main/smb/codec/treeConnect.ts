// MS-SMB2 2.2.9 / 2.2.10 TREE_CONNECT: request and response, each encoded and decoded. TREE_DISCONNECT
// (2.2.11/2.2.12) is the empty body of errorBody.ts.
import { Writer, utf16, utf16At } from './wire.js';
import { SMB2_HEADER_SIZE, fixedBody } from './header.js';

export { ShareFlags, ShareType } from './constants.js';

export interface TreeConnectRequest {
  flags: number;
  /** `\\server\share`. */
  path: string;
}

export interface TreeConnectResponse {
  shareType: number;
  shareFlags: number;
  capabilities: number;
  maximalAccess: number;
}

/** The UTF-16LE path right after the 8-byte fixed part (offset 72); a bare string is the path with Flags 0. */
export function encodeTreeConnectRequest(req: TreeConnectRequest | string): Buffer {
  const { flags, path } = typeof req === 'string' ? { flags: 0, path: req } : req;
  const name = utf16(path);
  return new Writer().u16(9).u16(flags).u16(SMB2_HEADER_SIZE + 8).u16(name.length).bytes(name).toBuffer();
}

export function decodeTreeConnectRequest(message: Buffer): TreeConnectRequest {
  const r = fixedBody(message, 9, 'TREE_CONNECT request');
  const flags = r.u16('Flags');
  const offset = r.u16('PathOffset');
  const length = r.u16('PathLength');
  return { flags, path: utf16At(message, offset, length, 'TREE_CONNECT path') };
}

export function encodeTreeConnectResponse(res: TreeConnectResponse): Buffer {
  return new Writer().u16(16).u8(res.shareType).u8(0).u32(res.shareFlags).u32(res.capabilities).u32(res.maximalAccess).toBuffer();
}

export function decodeTreeConnectResponse(message: Buffer): TreeConnectResponse {
  const r = fixedBody(message, 16, 'TREE_CONNECT response');
  const shareType = r.u8('ShareType');
  r.u8('Reserved');
  return { shareType, shareFlags: r.u32('ShareFlags'), capabilities: r.u32('Capabilities'), maximalAccess: r.u32('MaximalAccess') };
}
