// MS-SMB2 2.2.1: the 64-byte SMB2 packet header (sync 2.2.1.2 and async 2.2.1.1 forms).
import { Reader, SmbFormatError, Writer } from './wire.js';

export const SMB2_PROTOCOL_ID = Buffer.from([0xfe, 0x53, 0x4d, 0x42]);
/** The first four bytes of a frame read big-endian: what kind of message it is (2.2.1, 2.2.41, MS-CIFS 2.2.3.1). */
export const ProtocolId = { SMB2: 0xfe534d42, TRANSFORM: 0xfd534d42, SMB1: 0xff534d42 } as const;

export function protocolIdOf(frame: Buffer): number {
  return frame.length >= 4 ? frame.readUInt32BE(0) : 0;
}
export const SMB2_HEADER_SIZE = 64;
export const SIGNATURE_OFFSET = 48;

export { Command, type CommandCode } from './constants.js';

export const HeaderFlags = {
  SERVER_TO_REDIR: 0x00000001,
  ASYNC_COMMAND: 0x00000002,
  RELATED_OPERATIONS: 0x00000004,
  SIGNED: 0x00000008,
} as const;

export interface Smb2Header {
  creditCharge: number;
  /** NTSTATUS in responses; ChannelSequence/Reserved (0) in requests. */
  status: number;
  command: number;
  /** CreditRequest in a request, CreditResponse in a response. */
  credits: number;
  flags: number;
  nextCommand: number;
  messageId: bigint;
  /** Sync form only. */
  treeId: number;
  /**
   * Sync form only: the Reserved field (MS-SMB2 2.2.1.2, "SHOULD be 0"), which Windows fills with
   * 0xFEFF, its ProcessId from the SMB1 days (every sync message of the Windows recordings in
   * test/fixtures/windows/); absent when 0.
   */
  processId?: number;
  /** Async form only (ASYNC_COMMAND flag). */
  asyncId: bigint;
  sessionId: bigint;
  signature: Buffer;
}

export function encodeHeader(h: Smb2Header): Buffer {
  const w = new Writer()
    .bytes(SMB2_PROTOCOL_ID)
    .u16(SMB2_HEADER_SIZE)
    .u16(h.creditCharge)
    .u32(h.status)
    .u16(h.command)
    .u16(h.credits)
    .u32(h.flags)
    .u32(h.nextCommand)
    .u64(h.messageId);
  if (h.flags & HeaderFlags.ASYNC_COMMAND) w.u64(h.asyncId);
  else w.u32(h.processId ?? 0).u32(h.treeId);
  w.u64(h.sessionId);
  if (h.signature.length !== 16) throw new SmbFormatError('signature must be 16 bytes');
  w.bytes(h.signature);
  return w.toBuffer();
}

export function decodeHeader(message: Buffer): Smb2Header {
  const r = new Reader(message);
  const protocol = r.bytes(4, 'ProtocolId');
  if (!protocol.equals(SMB2_PROTOCOL_ID)) throw new SmbFormatError(`not an SMB2 message (ProtocolId ${protocol.toString('hex')})`);
  const structureSize = r.u16('StructureSize');
  if (structureSize !== SMB2_HEADER_SIZE) throw new SmbFormatError(`header StructureSize ${structureSize}, expected 64`);
  const creditCharge = r.u16('CreditCharge');
  const status = r.u32('Status');
  const command = r.u16('Command');
  const credits = r.u16('CreditResponse');
  const flags = r.u32('Flags');
  const nextCommand = r.u32('NextCommand');
  const messageId = r.u64('MessageId');
  let treeId = 0;
  let asyncId = 0n;
  let processId = 0;
  if (flags & HeaderFlags.ASYNC_COMMAND) asyncId = r.u64('AsyncId');
  else {
    processId = r.u32('Reserved');
    treeId = r.u32('TreeId');
  }
  const sessionId = r.u64('SessionId');
  const signature = Buffer.from(r.bytes(16, 'Signature'));
  return { creditCharge, status, command, credits, flags, nextCommand, messageId, treeId, asyncId, sessionId, signature, ...(processId ? { processId } : {}) };
}

/** One message of a compounded message, with its header. */
export interface ChainElement {
  header: Smb2Header;
  bytes: Buffer;
}

/**
 * The messages of a compounded message (MS-SMB2 3.2.4.1.4 requests, 3.3.4.1.3 responses): each
 * ends where its NextCommand says — a multiple of 8, at least a header, inside the message — and
 * the last has NextCommand 0. More than `max` of them, a header that does not decode or a bad
 * NextCommand throws SmbFormatError.
 */
export function splitCompound(message: Buffer, max = Number.POSITIVE_INFINITY): ChainElement[] {
  const elements: ChainElement[] = [];
  for (let at = 0; ; ) {
    if (elements.length >= max) throw new SmbFormatError(`a compound chain longer than ${max}`);
    const header = decodeHeader(at === 0 ? message : message.subarray(at));
    const next = header.nextCommand;
    if (next !== 0 && (next < SMB2_HEADER_SIZE || next % 8 !== 0 || at + next >= message.length)) throw new SmbFormatError(`bad NextCommand ${next}`);
    const end = next === 0 ? message.length : at + next;
    elements.push({ header, bytes: at === 0 && end === message.length ? message : message.subarray(at, end) });
    if (next === 0) return elements;
    at = end;
  }
}

/**
 * The body after the header of a request or a response, checked against the command's fixed
 * StructureSize (MS-SMB2 2.2.1: offsets in the body count from the header's start).
 */
export function fixedBody(message: Buffer, structureSize: number, what: string): Reader {
  const r = new Reader(message, SMB2_HEADER_SIZE);
  const size = r.u16(`${what} StructureSize`);
  if (size !== structureSize) throw new SmbFormatError(`${what}: StructureSize ${size}, expected ${structureSize}`);
  // An odd StructureSize counts one byte of the variable buffer (MS-SMB2 2.2): the fixed part is the even part.
  r.need((structureSize & ~1) - 2, `${what} fixed part`);
  return r;
}
