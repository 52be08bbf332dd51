// MS-SMB2 2.2.5 SESSION_SETUP request, 2.2.6 response; 2.2.7/2.2.8 LOGOFF.
import { Writer, sliceAt } from './wire.js';
import { SMB2_HEADER_SIZE, responseBody } from './header.js';

export const SessionFlags = { IS_GUEST: 0x0001, IS_NULL: 0x0002, ENCRYPT_DATA: 0x0004 } as const;

export function encodeSessionSetupRequest(req: { securityMode: number; capabilities: number; securityBuffer: Buffer; previousSessionId?: bigint }): Buffer {
  return new Writer()
    .u16(25)
    .u8(0) // Flags: not a binding request
    .u8(req.securityMode)
    .u32(req.capabilities)
    .u32(0) // Channel
    .u16(SMB2_HEADER_SIZE + 24)
    .u16(req.securityBuffer.length)
    .u64(req.previousSessionId ?? 0n)
    .bytes(req.securityBuffer)
    .toBuffer();
}

export function decodeSessionSetupResponse(message: Buffer): { sessionFlags: number; securityBuffer: Buffer } {
  const r = responseBody(message, 9, 'SESSION_SETUP response');
  const sessionFlags = r.u16('SessionFlags');
  const offset = r.u16('SecurityBufferOffset');
  const length = r.u16('SecurityBufferLength');
  return { sessionFlags, securityBuffer: Buffer.from(sliceAt(message, offset, length, 'SESSION_SETUP security buffer')) };
}

/** LOGOFF, TREE_DISCONNECT and ECHO requests share this 4-byte body (StructureSize 4, Reserved). */
export function encodeEmptyRequest(): Buffer {
  return new Writer().u16(4).u16(0).toBuffer();
}
