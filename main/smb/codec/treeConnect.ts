// MS-SMB2 2.2.9 TREE_CONNECT request, 2.2.10 response.
import { Writer, utf16 } from './wire.js';
import { SMB2_HEADER_SIZE, responseBody } from './header.js';

export const ShareType = { DISK: 0x01, PIPE: 0x02, PRINT: 0x03 } as const;
export const ShareFlags = { ENCRYPT_DATA: 0x00008000 } as const;

export function encodeTreeConnectRequest(path: string): Buffer {
  const name = utf16(path);
  return new Writer().u16(9).u16(0).u16(SMB2_HEADER_SIZE + 8).u16(name.length).bytes(name).toBuffer();
}

export interface TreeConnectResponse {
  shareType: number;
  shareFlags: number;
  capabilities: number;
  maximalAccess: number;
}

export function decodeTreeConnectResponse(message: Buffer): TreeConnectResponse {
  const r = responseBody(message, 16, 'TREE_CONNECT response');
  const shareType = r.u8('ShareType');
  r.u8('Reserved');
  return { shareType, shareFlags: r.u32('ShareFlags'), capabilities: r.u32('Capabilities'), maximalAccess: r.u32('MaximalAccess') };
}
