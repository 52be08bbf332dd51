// How the lab's SMB server (main/lab/smb/) hands a named pipe's bytes to the RPC server behind it
// (main/lab/rpc/). One PipeEndpoint per open of the pipe (CREATE of `svcctl` on IPC$).
import type { LabHostState } from './hostState.js';

export interface PipeEndpoint {
  /**
   * The bytes the client wrote (an SMB2 WRITE, or the input of FSCTL_PIPE_TRANSCEIVE). Resolves
   * with the bytes the client will read next (empty while a multi-fragment request is incomplete).
   * The SMB server queues them and serves them to READ / the transceive output, in message mode
   * (a read smaller than the queued message gets STATUS_BUFFER_OVERFLOW and the rest stays queued).
   */
  write(data: Buffer): Promise<Buffer>;
  /** The client closed the pipe (CLOSE, LOGOFF, TREE_DISCONNECT or the connection dropped). */
  close(): void;
}

/** Returns the endpoint for `pipeName` (lower case, no `\pipe\` prefix), or null → STATUS_OBJECT_NAME_NOT_FOUND. */
export type PipeFactory = (pipeName: string, host: LabHostState, session: { user: string; domain: string }) => PipeEndpoint | null;
