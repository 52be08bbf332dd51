// MS-SMB2 2.2.31 IOCTL request, 2.2.32 response (FSCTL_PIPE_TRANSCEIVE for DCE/RPC on a pipe).
import { Writer, sliceAt } from './wire.js';
import { SMB2_HEADER_SIZE, responseBody } from './header.js';
import { writeFileId, type FileId } from './create.js';

export const FSCTL_PIPE_TRANSCEIVE = 0x0011c017;
export const SMB2_0_IOCTL_IS_FSCTL = 0x00000001;

export function encodeIoctlRequest(req: { ctlCode: number; fileId: FileId; input: Uint8Array; maxOutputResponse: number }): Buffer {
  const w = new Writer().u16(57).u16(0).u32(req.ctlCode);
  writeFileId(w, req.fileId)
    .u32(req.input.length ? SMB2_HEADER_SIZE + 56 : 0)
    .u32(req.input.length)
    .u32(0) // MaxInputResponse
    .u32(0)
    .u32(0)
    .u32(req.maxOutputResponse)
    .u32(SMB2_0_IOCTL_IS_FSCTL)
    .u32(0)
    .bytes(req.input);
  return w.toBuffer();
}

export function decodeIoctlResponse(message: Buffer): { ctlCode: number; output: Buffer } {
  const r = responseBody(message, 49, 'IOCTL response');
  r.u16('Reserved');
  const ctlCode = r.u32('CtlCode');
  r.skip(16, 'FileId');
  r.u32('InputOffset');
  r.u32('InputCount');
  const outputOffset = r.u32('OutputOffset');
  const outputCount = r.u32('OutputCount');
  return { ctlCode, output: sliceAt(message, outputOffset, outputCount, 'IOCTL output') };
}
