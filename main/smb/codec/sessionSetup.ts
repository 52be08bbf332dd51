// MS-SMB2 2.2.5 / 2.2.6 SESSION_SETUP: request and response, each encoded and decoded (the client
// sends the request, the lab answers it). LOGOFF (2.2.7/2.2.8) is the empty body of errorBody.ts.
import { Writer, sliceAt } from './wire.js';
import { SMB2_HEADER_SIZE, fixedBody } from './header.js';

export { SessionFlags } from './constants.js';

export interface SessionSetupRequest {
  /** SMB2_SESSION_FLAG_BINDING (0x01) for a channel binding; 0 otherwise. */
  flags?: number;
  securityMode: number;
  capabilities: number;
  securityBuffer: Buffer;
  previousSessionId?: bigint;
}

export interface SessionSetupResponse {
  sessionFlags: number;
  securityBuffer: Buffer;
}

/** The security buffer sits right after the 24-byte fixed part (offset 88 from the header). */
export function encodeSessionSetupRequest(req: SessionSetupRequest): Buffer {
  return new Writer()
    .u16(25)
    .u8(req.flags ?? 0)
    .u8(req.securityMode)
    .u32(req.capabilities)
    .u32(0) // Channel
    .u16(SMB2_HEADER_SIZE + 24)
    .u16(req.securityBuffer.length)
    .u64(req.previousSessionId ?? 0n)
    .bytes(req.securityBuffer)
    .toBuffer();
}

export function decodeSessionSetupRequest(message: Buffer): Required<SessionSetupRequest> {
  const r = fixedBody(message, 25, 'SESSION_SETUP request');
  const flags = r.u8('Flags');
  const securityMode = r.u8('SecurityMode');
  const capabilities = r.u32('Capabilities');
  r.u32('Channel');
  const offset = r.u16('SecurityBufferOffset');
  const length = r.u16('SecurityBufferLength');
  const previousSessionId = r.u64('PreviousSessionId');
  const securityBuffer = Buffer.from(sliceAt(message, offset, length, 'SESSION_SETUP security buffer'));
  return { flags, securityMode, capabilities, securityBuffer, previousSessionId };
}

/** The security buffer after the 8-byte fixed part; StructureSize 9 counts one byte of it, sent even when empty. */
export function encodeSessionSetupResponse(res: SessionSetupResponse): Buffer {
  const w = new Writer().u16(9).u16(res.sessionFlags).u16(SMB2_HEADER_SIZE + 8).u16(res.securityBuffer.length).bytes(res.securityBuffer);
  if (res.securityBuffer.length === 0) w.u8(0);
  return w.toBuffer();
}

export function decodeSessionSetupResponse(message: Buffer): SessionSetupResponse {
  const r = fixedBody(message, 9, 'SESSION_SETUP response');
  const sessionFlags = r.u16('SessionFlags');
  const offset = r.u16('SecurityBufferOffset');
  const length = r.u16('SecurityBufferLength');
  return { sessionFlags, securityBuffer: Buffer.from(sliceAt(message, offset, length, 'SESSION_SETUP security buffer')) };
}
