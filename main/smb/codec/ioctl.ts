// MS-SMB2 2.2.31 / 2.2.32 IOCTL: request and response, each encoded and decoded (FSCTL_PIPE_TRANSCEIVE
// carries DCE/RPC on a pipe), and the 2.2.31.4 / 2.2.32.6 VALIDATE_NEGOTIATE_INFO input and output.
import { SmbFormatError, Reader, Writer, sliceAt } from './wire.js';
import { SMB2_HEADER_SIZE, fixedBody } from './header.js';
import { Fsctl, IoctlFlags } from './constants.js';
import { readFileId, writeFileId, type FileId } from './openInfo.js';

export { Fsctl, IoctlFlags } from './constants.js';
export const FSCTL_PIPE_TRANSCEIVE = Fsctl.PIPE_TRANSCEIVE;
export const SMB2_0_IOCTL_IS_FSCTL = IoctlFlags.IS_FSCTL;

const MAX_DIALECTS = 64;
/** Input or output right after the 56-byte request / 48-byte response fixed part. */
const REQUEST_BUFFER_AT = SMB2_HEADER_SIZE + 56;
const RESPONSE_BUFFER_AT = SMB2_HEADER_SIZE + 48;

export interface IoctlRequest {
  ctlCode: number;
  fileId: FileId;
  input: Uint8Array;
  maxOutputResponse: number;
  /** SMB2_0_IOCTL_IS_FSCTL when not given. */
  flags?: number;
}

export interface IoctlResponse {
  ctlCode: number;
  fileId: FileId;
  output: Buffer;
}

export function encodeIoctlRequest(req: IoctlRequest): Buffer {
  const w = new Writer().u16(57).u16(0).u32(req.ctlCode);
  return writeFileId(w, req.fileId)
    .u32(req.input.length ? REQUEST_BUFFER_AT : 0)
    .u32(req.input.length)
    .u32(0) // MaxInputResponse
    .u32(0) // OutputOffset
    .u32(0) // OutputCount
    .u32(req.maxOutputResponse)
    .u32(req.flags ?? IoctlFlags.IS_FSCTL)
    .u32(0) // Reserved2
    .bytes(req.input)
    .toBuffer();
}

/** `input` is a view into the message. */
export function decodeIoctlRequest(message: Buffer): Required<IoctlRequest> & { input: Buffer } {
  const r = fixedBody(message, 57, 'IOCTL request');
  r.u16('Reserved');
  const ctlCode = r.u32('CtlCode');
  const fileId = readFileId(r);
  const inputOffset = r.u32('InputOffset');
  const inputCount = r.u32('InputCount');
  r.u32('MaxInputResponse');
  r.u32('OutputOffset');
  r.u32('OutputCount');
  const maxOutputResponse = r.u32('MaxOutputResponse');
  const flags = r.u32('Flags');
  return { ctlCode, fileId, input: sliceAt(message, inputOffset, inputCount, 'IOCTL input'), maxOutputResponse, flags };
}

export function encodeIoctlResponse(res: IoctlResponse): Buffer {
  const w = new Writer().u16(49).u16(0).u32(res.ctlCode);
  return writeFileId(w, res.fileId)
    .u32(RESPONSE_BUFFER_AT) // InputOffset (InputCount 0)
    .u32(0)
    .u32(RESPONSE_BUFFER_AT) // OutputOffset: where the buffer would start, even when empty, as Windows writes it (FSCTL_PIPE_WAIT in the PsExec recording, test/fixtures/windows/)
    .u32(res.output.length)
    .u32(0) // Flags
    .u32(0) // Reserved2
    .bytes(res.output)
    .toBuffer();
}

export function decodeIoctlResponse(message: Buffer): IoctlResponse {
  const r = fixedBody(message, 49, 'IOCTL response');
  r.u16('Reserved');
  const ctlCode = r.u32('CtlCode');
  const fileId = readFileId(r);
  r.u32('InputOffset');
  r.u32('InputCount');
  const outputOffset = r.u32('OutputOffset');
  const outputCount = r.u32('OutputCount');
  return { ctlCode, fileId, output: sliceAt(message, outputOffset, outputCount, 'IOCTL output') };
}

export interface ValidateNegotiateInfoRequest {
  capabilities: number;
  guid: Buffer;
  securityMode: number;
  dialects: number[];
}

export interface ValidateNegotiateInfoResponse {
  capabilities: number;
  guid: Buffer;
  securityMode: number;
  dialect: number;
}

export function encodeValidateNegotiateInfoRequest(v: ValidateNegotiateInfoRequest): Buffer {
  return v.dialects.reduce((w, d) => w.u16(d), new Writer().u32(v.capabilities).bytes(v.guid).u16(v.securityMode).u16(v.dialects.length)).toBuffer();
}

export function decodeValidateNegotiateInfoRequest(input: Buffer): ValidateNegotiateInfoRequest {
  const r = new Reader(input);
  const capabilities = r.u32('Capabilities');
  const guid = Buffer.from(r.bytes(16, 'Guid'));
  const securityMode = r.u16('SecurityMode');
  const count = r.u16('DialectCount');
  if (count > MAX_DIALECTS) throw new SmbFormatError(`VALIDATE_NEGOTIATE_INFO lists ${count} dialects`);
  const dialects: number[] = [];
  for (let i = 0; i < count; i++) dialects.push(r.u16('Dialects'));
  return { capabilities, guid, securityMode, dialects };
}

export function encodeValidateNegotiateInfoResponse(v: ValidateNegotiateInfoResponse): Buffer {
  return new Writer().u32(v.capabilities).bytes(v.guid).u16(v.securityMode).u16(v.dialect).toBuffer();
}

export function decodeValidateNegotiateInfoResponse(output: Buffer): ValidateNegotiateInfoResponse {
  const r = new Reader(output);
  return { capabilities: r.u32('Capabilities'), guid: Buffer.from(r.bytes(16, 'Guid')), securityMode: r.u16('SecurityMode'), dialect: r.u16('Dialect') };
}
