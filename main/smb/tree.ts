// MS-SMB2 3.2.1.4 TreeConnect and 3.2.1.6 Open: a share (ADMIN$, IPC$) and the file operations
// the push needs — create/overwrite and write with pipelined large writes, read, size, delete on
// close, folders — plus named pipes on IPC$ (FSCTL_PIPE_TRANSCEIVE, READ after BUFFER_OVERFLOW).
import fs from 'node:fs/promises';
import { Command, SMB2_HEADER_SIZE } from './codec/header.js';
import { encodeEmptyBody } from './codec/errorBody.js';
import { ShareFlags, ShareType, decodeTreeConnectResponse, encodeTreeConnectRequest } from './codec/treeConnect.js';
import {
  Access, CreateOptions, Disposition, FileAttributes, ShareAccess, decodeCreateResponse, encodeCloseRequest, encodeCreateRequest,
  type CreateRequest, type FileId,
} from './codec/create.js';
import { WRITE_FIXED_SIZE, decodeReadResponse, decodeWriteResponse, encodeReadRequest, encodeWriteRequest, writeWriteRequestFixed } from './codec/readWrite.js';
import { FSCTL_PIPE_TRANSCEIVE, decodeIoctlResponse, encodeIoctlRequest } from './codec/ioctl.js';
import { QueryDirectoryFlags, decodeQueryDirectoryResponse, encodeQueryDirectoryRequest } from './codec/queryDirectory.js';
import { decodeFileDirectoryInformation, decodeFileStandardInformation, type DirectoryEntry } from './codec/fscc.js';
import { FileInfoClass, decodeQueryInfoResponse, encodeQueryInfoRequest } from './codec/info.js';
import type { RequestOptions, Response } from './connection.js';
import { ConsoleError } from '../ipc/errors.js';
import { isNotThere, SmbProtocolError, SmbStatusError } from './errors.js';
import { Status, statusMeaning } from './ntstatus.js';
import type { SmbSession } from './session.js';

export type CopyProgress = (bytesDone: number, bytesTotal: number) => void;
/** Puts a file's bytes [offset, offset + length) into `target` at `at`. */
type Fill = (target: Buffer, at: number, offset: number, length: number) => Promise<void>;

/** Where a copy's bytes come from when not a Buffer or a path: a size, and a fill of one chunk (the engine's shared package reads). */
export interface CopySource {
  readonly size: number;
  fill(target: Buffer, at: number, offset: number, length: number): Promise<void>;
}

/** How many WRITE requests a copy keeps in flight (credits permitting). */
const WRITES_IN_FLIGHT = 8;
/**
 * The slowest link a copy is expected to survive, in bytes per second. A pipelined WRITE's answer
 * waits behind the bytes sent before it, so its bound is the request timeout plus the time those
 * bytes take at this rate (8 MiB ahead on a 256 KiB/s branch-office link is 32 s). A stalled
 * computer is still found within the request timeout: the oldest WRITE has nothing ahead of it.
 */
const SLOWEST_LINK_BYTES_PER_SEC = 32 * 1024;
const WRITE_CHUNK_CAP = 1024 * 1024;
/** MS-SMB2 2.2.1.2 / 3.2.4.1.4: the FileId of a related request — the file the CREATE before it opened. */
/** The output buffer of one QUERY_DIRECTORY: a run folder's few entries fit many times over. */
const LIST_BYTES = 65536;
const RELATED_FILE_ID: FileId = { persistent: 0xffff_ffff_ffff_ffffn, volatile: 0xffff_ffff_ffff_ffffn };

/** A request between a compound's CREATE and CLOSE, on the file the CREATE opened. */
/** A request's bounds (RequestOptions). */
type Bounds = Pick<RequestOptions, 'timeoutMs' | 'acceptedTimeoutMs'>;

export interface PipeOptions {
  /** SmbPipe.acceptedTimeoutMs. */
  readonly acceptedTimeoutMs?: number;
  /** Waits before each new try while every pipe instance is busy; default 0.25, 0.5 and 1 s. */
  readonly busyWaitsMs?: readonly number[];
  /** Told of each busy answer before its wait (the step log). */
  readonly onBusy?: (tries: number, waitMs: number) => void;
}

/** MS-SMB2 3.2.4.5 says nothing of busy pipes; Windows' own clients wait with WaitNamedPipe: a few short waits. */
const PIPE_BUSY_WAITS_MS = [250, 500, 1000];

interface OnFileRequest {
  readonly command: number;
  readonly body: Buffer;
  readonly what: string;
  readonly payloadSize?: number;
  readonly headerRoom?: boolean;
  /** Statuses besides SUCCESS that are answers, not failures. */
  readonly allowed?: readonly number[];
}

export class SmbTree {
  private constructor(
    readonly session: SmbSession,
    readonly path: string,
    readonly treeId: number,
    readonly shareType: number,
    readonly encryptData: boolean,
  ) {}

  /** `share` is `ADMIN$`, `IPC$`, …; the path sent is `\\host\share`. */
  static async connect(session: SmbSession, host: string, share: string): Promise<SmbTree> {
    const path = `\\\\${host}\\${share}`;
    const response = await session.connection.request(Command.TREE_CONNECT, encodeTreeConnectRequest(path), { session: session.security });
    if (response.header.status !== Status.SUCCESS) throw new SmbStatusError(response.header.status, 'TREE_CONNECT', path);
    const tc = decodeTreeConnectResponse(response.message);
    const encrypt = (tc.shareFlags & ShareFlags.ENCRYPT_DATA) !== 0;
    if (encrypt && !session.security.encryptionKey) {
      throw new SmbProtocolError(`${path} requires encryption, which this session cannot do.`, 'smb-negotiate', 'Enable SMB 3 on the computer; the share requires encryption.');
    }
    return new SmbTree(session, path, response.header.treeId, tc.shareType, encrypt);
  }

  get isPipeShare(): boolean {
    return this.shareType === ShareType.PIPE;
  }

  async disconnect(): Promise<void> {
    if (this.session.connection.isClosed) return;
    await this.request(Command.TREE_DISCONNECT, encodeEmptyBody());
  }

  async request(command: number, body: Buffer, payloadSize = 0, headerRoom = false, bounds: Bounds = {}): Promise<Response> {
    return this.session.connection.request(command, body, { session: this.session.security, treeId: this.treeId, encrypt: this.encryptData, payloadSize, headerRoom, ...bounds });
  }

  private async expect(command: number, body: Buffer, what: string, payloadSize = 0, allowed: readonly number[] = [], headerRoom = false, bounds: Bounds = {}): Promise<Response> {
    const response = await this.request(command, body, payloadSize, headerRoom, bounds);
    const status = response.header.status;
    if (status !== Status.SUCCESS && !allowed.includes(status)) throw new SmbStatusError(status, what, this.path);
    return response;
  }

  /**
   * CREATE, the requests on the file it opens, and CLOSE, as one compounded message (MS-SMB2
   * 3.2.4.1.4): one round trip. Resolves with the responses between CREATE and CLOSE, or with the
   * CREATE's status when it failed (the server fails the related requests with it, 3.3.5.2.7.2);
   * any other failure throws.
   */
  private async onFile(req: CreateRequest, middle: readonly OnFileRequest[] = []): Promise<Response[] | number> {
    const responses = await this.session.connection.compound(
      [{ command: Command.CREATE, body: encodeCreateRequest(req) }, ...middle, { command: Command.CLOSE, body: encodeCloseRequest(RELATED_FILE_ID) }],
      { session: this.session.security, treeId: this.treeId, encrypt: this.encryptData },
    );
    const created = responses[0]!.header.status;
    if (created !== Status.SUCCESS) return created;
    middle.forEach((m, i) => {
      const status = responses[i + 1]!.header.status;
      if (status !== Status.SUCCESS && !(m.allowed ?? []).includes(status)) throw new SmbStatusError(status, m.what, this.path);
    });
    const closed = responses[responses.length - 1]!.header.status;
    if (closed !== Status.SUCCESS) throw new SmbStatusError(closed, 'CLOSE', this.path);
    return responses.slice(1, -1);
  }

  /** onFile, with a failed CREATE thrown as SmbStatusError. */
  private async onFileOrThrow(req: CreateRequest, middle: readonly OnFileRequest[] = []): Promise<Response[]> {
    const result = await this.onFile(req, middle);
    if (typeof result === 'number') throw new SmbStatusError(result, `CREATE ${req.name}`, this.path);
    return result;
  }

  async create(req: CreateRequest): Promise<FileId> {
    const response = await this.expect(Command.CREATE, encodeCreateRequest(req), `CREATE ${req.name}`);
    return decodeCreateResponse(response.message).fileId;
  }

  async close(fileId: FileId): Promise<void> {
    await this.expect(Command.CLOSE, encodeCloseRequest(fileId), 'CLOSE');
  }

  /** Creates or overwrites `name` with `data` (a Buffer, a local file's path, or a CopySource). */
  async writeFile(name: string, data: Buffer | { path: string } | CopySource, onProgress?: CopyProgress): Promise<number> {
    const request: CreateRequest = {
      name,
      desiredAccess: Access.GENERIC_WRITE | Access.GENERIC_READ | Access.DELETE,
      fileAttributes: FileAttributes.NORMAL,
      shareAccess: ShareAccess.READ,
      disposition: Disposition.OVERWRITE_IF,
      createOptions: CreateOptions.NON_DIRECTORY_FILE,
    };
    if (!Buffer.isBuffer(data) && !('fill' in data)) return this.writeLocalFile(request, data.path, onProgress);
    const fill: Fill = Buffer.isBuffer(data) ? async (target, at, offset, length) => void data.copy(target, at, offset, offset + length) : (target, at, offset, length) => data.fill(target, at, offset, length);
    return this.writeFrom(request, Buffer.isBuffer(data) ? data.length : data.size, fill, onProgress);
  }

  private async writeLocalFile(request: CreateRequest, localPath: string, onProgress?: CopyProgress): Promise<number> {
    const handle = await fs.open(localPath, 'r');
    try {
      const { size } = await handle.stat();
      return await this.writeFrom(
        request,
        size,
        async (target, at, offset, length) => {
          const { bytesRead } = await handle.read(target, at, length, offset);
          if (bytesRead !== length) throw new SmbProtocolError(`${localPath} changed while it was copied`, 'copy-failed', 'Do not change the package while it is being pushed; retry.');
        },
        onProgress,
      );
    } finally {
      await handle.close();
    }
  }

  /** A file that fits in one WRITE (the agent, its job) goes as CREATE + WRITE + CLOSE in one round trip; a larger one as pipelined WRITEs. */
  private async writeFrom(request: CreateRequest, size: number, fill: Fill, onProgress?: CopyProgress): Promise<number> {
    if (size <= this.writeChunkSize()) return this.writeSmallFile(request, size, fill, onProgress);
    const fileId = await this.create(request);
    try {
      return await this.writeAll(fileId, size, fill, onProgress);
    } finally {
      await this.close(fileId);
    }
  }

  private async writeSmallFile(request: CreateRequest, length: number, fill: Fill, onProgress?: CopyProgress): Promise<number> {
    const message = Buffer.allocUnsafe(SMB2_HEADER_SIZE + WRITE_FIXED_SIZE + length);
    writeWriteRequestFixed(message, SMB2_HEADER_SIZE, { fileId: RELATED_FILE_ID, offset: 0n, length });
    await fill(message, SMB2_HEADER_SIZE + WRITE_FIXED_SIZE, 0, length);
    onProgress?.(0, length);
    const middle: OnFileRequest[] = length === 0 ? [] : [{ command: Command.WRITE, body: message, what: 'WRITE', payloadSize: length, headerRoom: true }];
    const [written] = await this.onFileOrThrow(request, middle);
    const count = written ? decodeWriteResponse(written.message).count : 0;
    if (count !== length) throw new SmbProtocolError(`WRITE wrote ${count} of ${length} bytes at offset 0.`, 'copy-blocked', 'The computer accepted only part of the file (disk full or quota); free space and retry.');
    onProgress?.(length, length);
    return length;
  }

  /**
   * Pipelined WRITEs (MS-SMB2 3.2.4.7): several chunks of up to MaxWriteSize in flight at once.
   * `fill` puts a chunk's bytes straight into the request buffer, behind its header and fixed part.
   */
  private async writeAll(
    fileId: FileId,
    total: number,
    fill: Fill,
    onProgress?: CopyProgress,
  ): Promise<number> {
    const chunkSize = this.writeChunkSize();
    const baseTimeoutMs = this.session.connection.requestTimeoutMs;
    let next = 0;
    let done = 0;
    let inFlight = 0;
    onProgress?.(0, total);
    const worker = async () => {
      while (next < total) {
        const offset = next;
        const length = Math.min(chunkSize, total - offset);
        next += length;
        const message = Buffer.allocUnsafe(SMB2_HEADER_SIZE + WRITE_FIXED_SIZE + length);
        writeWriteRequestFixed(message, SMB2_HEADER_SIZE, { fileId, offset: BigInt(offset), length });
        await fill(message, SMB2_HEADER_SIZE + WRITE_FIXED_SIZE, offset, length);
        const timeoutMs = baseTimeoutMs + Math.ceil((inFlight * 1000) / SLOWEST_LINK_BYTES_PER_SEC);
        inFlight += length;
        let response: Response;
        try {
          response = await this.expect(Command.WRITE, message, 'WRITE', length, [], true, { timeoutMs });
        } finally {
          inFlight -= length;
        }
        const { count } = decodeWriteResponse(response.message);
        if (count !== length) throw new SmbProtocolError(`WRITE wrote ${count} of ${length} bytes at offset ${offset}.`, 'copy-blocked', 'The computer accepted only part of the file (disk full or quota); free space and retry.');
        done += length;
        onProgress?.(done, total);
      }
    };
    await Promise.all(Array.from({ length: total === 0 ? 0 : WRITES_IN_FLIGHT }, worker));
    return done;
  }

  /** The bytes one WRITE carries on this connection (MaxWriteSize, 1 MiB at most; 64 KiB without large MTU). */
  writeChunkSize(): number {
    const connection = this.session.connection;
    return connection.largeMtu ? Math.min(connection.maxWriteSize, WRITE_CHUNK_CAP) : Math.min(connection.maxWriteSize, 65536);
  }

  /** The file's content, or null when it is not there (STATUS_OBJECT_NAME_NOT_FOUND): a poll for a file another side writes. */
  async readFileIfThere(name: string): Promise<Buffer | null> {
    return this.readFileOr(name, (status) => {
      if (isNotThere(status)) return null;
      throw new SmbStatusError(status, `CREATE ${name}`, this.path);
    });
  }

  async readFile(name: string): Promise<Buffer> {
    return this.readFileOr(name, (status): never => {
      throw new SmbStatusError(status, `CREATE ${name}`, this.path);
    });
  }

  /**
   * CREATE + READ of one chunk + CLOSE in one round trip: a file shorter than the chunk (a log, a
   * result, a job) is read whole. A longer one is opened again and read on in chunks.
   */
  private async readFileOr<T>(name: string, notOpened: (status: number) => T): Promise<Buffer | T> {
    const request: CreateRequest = {
      name,
      desiredAccess: Access.GENERIC_READ,
      fileAttributes: 0,
      shareAccess: ShareAccess.READ | ShareAccess.WRITE,
      disposition: Disposition.OPEN,
      createOptions: CreateOptions.NON_DIRECTORY_FILE,
    };
    const chunkSize = this.readChunkSize();
    const result = await this.onFile(request, [
      { command: Command.READ, body: encodeReadRequest({ fileId: RELATED_FILE_ID, offset: 0n, length: chunkSize }), what: 'READ', payloadSize: chunkSize, allowed: [Status.END_OF_FILE] },
    ]);
    if (typeof result === 'number') return notOpened(result);
    const read = result[0]!;
    const first = read.header.status === Status.END_OF_FILE ? Buffer.alloc(0) : Buffer.from(decodeReadResponse(read.message).data);
    if (first.length < chunkSize) return first;
    const fileId = await this.create(request);
    try {
      const size = Number(await this.querySize(fileId));
      const chunks: Buffer[] = [first];
      for (let offset = first.length; offset < size; ) {
        const length = Math.min(chunkSize, size - offset);
        const response = await this.expect(Command.READ, encodeReadRequest({ fileId, offset: BigInt(offset), length }), 'READ', length, [Status.END_OF_FILE]);
        if (response.header.status === Status.END_OF_FILE) break;
        const { data } = decodeReadResponse(response.message);
        if (data.length === 0) break;
        chunks.push(Buffer.from(data));
        offset += data.length;
      }
      return Buffer.concat(chunks);
    } finally {
      await this.close(fileId);
    }
  }

  /** The bytes one READ asks for on this connection (MaxReadSize, 1 MiB at most; 64 KiB without large MTU). */
  private readChunkSize(): number {
    return Math.min(this.session.connection.maxReadSize, this.session.connection.largeMtu ? WRITE_CHUNK_CAP : 65536);
  }

  async querySize(fileId: FileId): Promise<bigint> {
    const response = await this.expect(Command.QUERY_INFO, encodeQueryInfoRequest({ fileId, infoClass: FileInfoClass.STANDARD, outputLength: 24 }), 'QUERY_INFO');
    return decodeFileStandardInformation(decodeQueryInfoResponse(response.message)).endOfFile;
  }

  async fileSize(name: string): Promise<bigint> {
    const [info] = await this.onFileOrThrow({ name, desiredAccess: Access.FILE_READ_ATTRIBUTES, fileAttributes: 0, shareAccess: ShareAccess.READ | ShareAccess.WRITE | ShareAccess.DELETE, disposition: Disposition.OPEN, createOptions: 0 }, [
      { command: Command.QUERY_INFO, body: encodeQueryInfoRequest({ fileId: RELATED_FILE_ID, infoClass: FileInfoClass.STANDARD, outputLength: 24 }), what: 'QUERY_INFO' },
    ]);
    return decodeFileStandardInformation(decodeQueryInfoResponse(info!.message)).endOfFile;
  }

  /**
   * Deletes a file or an empty folder: CREATE with FILE_DELETE_ON_CLOSE and DELETE access (MS-SMB2
   * 2.2.13, MS-FSA 2.1.5.1) and CLOSE, compounded: one round trip. A folder with something in it
   * is refused at the CREATE (STATUS_DIRECTORY_NOT_EMPTY).
   */
  async delete(name: string, options: { directory?: boolean } = {}): Promise<void> {
    if (!(await this.deleteIfThere(name, options))) throw new SmbStatusError(Status.OBJECT_NAME_NOT_FOUND, `CREATE ${name}`, this.path);
  }

  /** delete, except that a file or folder already gone (name or path not found) is false, not an error. */
  async deleteIfThere(name: string, options: { directory?: boolean } = {}): Promise<boolean> {
    const result = await this.onFile({
      name,
      desiredAccess: Access.DELETE | Access.FILE_READ_ATTRIBUTES,
      fileAttributes: 0,
      shareAccess: ShareAccess.READ | ShareAccess.WRITE | ShareAccess.DELETE,
      disposition: Disposition.OPEN,
      createOptions: (options.directory ? CreateOptions.DIRECTORY_FILE : CreateOptions.NON_DIRECTORY_FILE) | CreateOptions.DELETE_ON_CLOSE,
    });
    if (typeof result !== 'number') return true;
    if (isNotThere(result)) return false;
    throw new SmbStatusError(result, `CREATE ${name}`, this.path);
  }

  /** Creates a folder, or opens it when it exists already (CREATE + CLOSE, compounded). */
  async mkdir(name: string): Promise<void> {
    await this.onFileOrThrow({
      name,
      desiredAccess: Access.FILE_READ_ATTRIBUTES | Access.SYNCHRONIZE,
      fileAttributes: FileAttributes.DIRECTORY,
      shareAccess: ShareAccess.READ | ShareAccess.WRITE | ShareAccess.DELETE,
      disposition: Disposition.OPEN_IF,
      createOptions: CreateOptions.DIRECTORY_FILE,
    });
  }

  /**
   * What is in a folder (not `.` and `..`), or null when the folder is not there: CREATE, two
   * QUERY_DIRECTORY (MS-SMB2 3.2.4.17: the second answers STATUS_NO_MORE_FILES once the first held
   * everything) and CLOSE, compounded. A folder with more than two answers' worth is read on.
   */
  async list(dir: string): Promise<DirectoryEntry[] | null> {
    const request: CreateRequest = {
      name: dir,
      desiredAccess: Access.FILE_READ_DATA | Access.FILE_READ_ATTRIBUTES | Access.SYNCHRONIZE,
      fileAttributes: 0,
      shareAccess: ShareAccess.READ | ShareAccess.WRITE | ShareAccess.DELETE,
      disposition: Disposition.OPEN,
      createOptions: CreateOptions.DIRECTORY_FILE,
    };
    const query = (flags: number): OnFileRequest => ({
      command: Command.QUERY_DIRECTORY,
      body: encodeQueryDirectoryRequest({ fileId: RELATED_FILE_ID, pattern: '*', flags, outputLength: LIST_BYTES }),
      what: 'QUERY_DIRECTORY',
      payloadSize: LIST_BYTES,
      allowed: [Status.NO_MORE_FILES, Status.NO_SUCH_FILE],
    });
    const result = await this.onFile(request, [query(QueryDirectoryFlags.RESTART_SCANS), query(0)]);
    if (typeof result === 'number') {
      if (isNotThere(result)) return null;
      throw new SmbStatusError(result, `CREATE ${dir}`, this.path);
    }
    const entriesOf = (r: Response) => (r.header.status === Status.SUCCESS ? decodeFileDirectoryInformation(decodeQueryDirectoryResponse(r.message)) : []);
    const entries = result.flatMap(entriesOf);
    if (result[1]!.header.status !== Status.SUCCESS) return entries;
    // More than two answers' worth: open again and query until STATUS_NO_MORE_FILES.
    const fileId = await this.create(request);
    try {
      const all: DirectoryEntry[] = [];
      for (let flags: number = QueryDirectoryFlags.RESTART_SCANS; ; flags = 0) {
        const r = await this.expect(Command.QUERY_DIRECTORY, encodeQueryDirectoryRequest({ fileId, pattern: '*', flags, outputLength: LIST_BYTES }), 'QUERY_DIRECTORY', LIST_BYTES, [Status.NO_MORE_FILES, Status.NO_SUCH_FILE]);
        if (r.header.status !== Status.SUCCESS) return all;
        all.push(...entriesOf(r));
      }
    } finally {
      await this.close(fileId);
    }
  }

  /**
   * Opens a named pipe on IPC$ (`svcctl`, `srvsvc`) as impacket does (docs/PROTOCOLS.md §2.5).
   * Every instance busy (STATUS_PIPE_BUSY, or STATUS_PIPE_NOT_AVAILABLE: both are Win32
   * ERROR_PIPE_BUSY, MS-ERREF 2.3.1) is asked again after each of `busyWaitsMs`, as
   * WaitNamedPipe lets a Windows client wait for an instance, then reported as pipe-busy.
   */
  async openPipe(name: string, options: PipeOptions = {}): Promise<SmbPipe> {
    const waits = options.busyWaitsMs ?? PIPE_BUSY_WAITS_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const fileId = await this.create({
          name,
          desiredAccess: 0x0012019f,
          fileAttributes: FileAttributes.NORMAL,
          shareAccess: ShareAccess.READ | ShareAccess.WRITE,
          disposition: Disposition.OPEN,
          createOptions: CreateOptions.NON_DIRECTORY_FILE,
        });
        return new SmbPipe(this, fileId, name, options.acceptedTimeoutMs);
      } catch (error) {
        const busy = error instanceof SmbStatusError && (error.status === Status.PIPE_BUSY || error.status === Status.PIPE_NOT_AVAILABLE);
        if (!busy) throw error;
        const wait = waits[attempt];
        if (wait === undefined) {
          throw new ConsoleError('pipe-busy', `Every instance of \\pipe\\${name} on the computer stayed busy (${error.code}, ${attempt + 1} tries over ${(waits.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s).`, statusMeaning(Status.PIPE_BUSY).advice, error.code);
        }
        options.onBusy?.(attempt + 1, wait);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** @internal used by SmbPipe */
  pipeRequest(command: number, body: Buffer, what: string, payloadSize: number, acceptedTimeoutMs?: number): Promise<Response> {
    return this.expect(command, body, what, payloadSize, [Status.BUFFER_OVERFLOW], false, acceptedTimeoutMs === undefined ? {} : { acceptedTimeoutMs });
  }
}

/** A named pipe: one transceive per DCE/RPC call, reassembling answers larger than one response. */
export class SmbPipe {
  /**
   * @param acceptedTimeoutMs how long a call the server accepted (interim STATUS_PENDING) may take:
   * an RStartServiceW waits for the service as long as the SCM's start wait (Windows: 30 s).
   */
  constructor(readonly tree: SmbTree, readonly fileId: FileId, readonly name: string, readonly acceptedTimeoutMs?: number) {}

  async transceive(request: Buffer, maxResponse = 65536): Promise<Buffer> {
    const response = await this.tree.pipeRequest(
      Command.IOCTL,
      encodeIoctlRequest({ ctlCode: FSCTL_PIPE_TRANSCEIVE, fileId: this.fileId, input: request, maxOutputResponse: maxResponse }),
      `IOCTL ${this.name}`,
      Math.max(request.length, maxResponse),
      this.acceptedTimeoutMs,
    );
    const first = Buffer.from(decodeIoctlResponse(response.message).output);
    // STATUS_BUFFER_OVERFLOW: the answer continues; READ the rest (MS-SMB2 3.3.5.15.9 / 3.2.5.14).
    if (response.header.status !== Status.BUFFER_OVERFLOW) return first;
    return Buffer.concat([first, await this.read(maxResponse)]);
  }

  /** Writes one message into the pipe (a DCE/RPC fragment that is not the last). */
  async write(data: Buffer): Promise<void> {
    const response = await this.tree.pipeRequest(Command.WRITE, encodeWriteRequest({ fileId: this.fileId, offset: 0n, data }), `WRITE ${this.name}`, data.length, this.acceptedTimeoutMs);
    const { count } = decodeWriteResponse(response.message);
    if (count !== data.length) throw new SmbProtocolError(`the ${this.name} pipe took ${count} of ${data.length} bytes`);
  }

  /** Reads the next message from the pipe, all of it (READ again after STATUS_BUFFER_OVERFLOW). */
  async read(maxResponse = 65536): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let rounds = 0; ; rounds++) {
      if (rounds > 1024) throw new SmbProtocolError(`the ${this.name} pipe never finished its message`);
      const response = await this.tree.pipeRequest(Command.READ, encodeReadRequest({ fileId: this.fileId, offset: 0n, length: maxResponse }), `READ ${this.name}`, maxResponse, this.acceptedTimeoutMs);
      parts.push(Buffer.from(decodeReadResponse(response.message).data));
      if (response.header.status !== Status.BUFFER_OVERFLOW) return Buffer.concat(parts);
    }
  }

  async close(): Promise<void> {
    if (this.tree.session.connection.isClosed) return;
    await this.tree.close(this.fileId);
  }
}
