// One open of a named pipe on IPC$ (`svcctl`), in message mode: each answer the endpoint gives to
// a write is one message; a READ or a transceive smaller than the message gets its first part with
// STATUS_BUFFER_OVERFLOW and the rest stays for the next READ (MS-SMB2 3.3.5.12, 3.3.5.15.8). A
// READ with nothing queued waits for the next answer, as a blocking pipe read does on Windows.
import type { PipeEndpoint } from '../pipe.js';
import { Status } from '../../smb/ntstatus.js';

/** Reads waiting on an empty pipe, and writes queued behind a busy endpoint, per open (hostile-client bound). */
const MAX_WAITING_READS = 16;
const MAX_QUEUED_WRITES = 64;

export interface PipeRead {
  status: number;
  data: Buffer;
}

export class NamedPipeOpen {
  private readonly messages: Buffer[] = [];
  private writes: Promise<void> = Promise.resolve();
  private waiters: (() => void)[] = [];
  private broken = false;
  private closed = false;
  private queuedWrites = 0;

  constructor(readonly name: string, private readonly endpoint: PipeEndpoint) {}

  /** Hands `data` to the endpoint; the answer (if any) is queued as one message. Writes keep their order. */
  write(data: Buffer): Promise<number> {
    if (this.queuedWrites >= MAX_QUEUED_WRITES) return Promise.resolve(Status.INSUFFICIENT_RESOURCES);
    this.queuedWrites++;
    const done = this.writes.then(async () => {
      if (this.broken) return Status.PIPE_BROKEN;
      try {
        const answer = await this.endpoint.write(Buffer.from(data));
        if (answer.length > 0) this.messages.push(answer);
        return Status.SUCCESS;
      } catch {
        this.broken = true;
        return Status.PIPE_BROKEN;
      } finally {
        this.queuedWrites--;
        this.wake();
      }
    });
    this.writes = done.then(() => undefined);
    return done;
  }

  /** The next message, or its first `max` bytes with STATUS_BUFFER_OVERFLOW. */
  async read(max: number): Promise<PipeRead> {
    for (;;) {
      const next = this.messages[0];
      if (next) {
        if (next.length <= max) {
          this.messages.shift();
          return { status: Status.SUCCESS, data: next };
        }
        this.messages[0] = next.subarray(max);
        return { status: Status.BUFFER_OVERFLOW, data: next.subarray(0, max) };
      }
      if (this.broken) return { status: Status.PIPE_BROKEN, data: Buffer.alloc(0) };
      if (this.waiters.length >= MAX_WAITING_READS) return { status: Status.INSUFFICIENT_RESOURCES, data: Buffer.alloc(0) };
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** FSCTL_PIPE_TRANSCEIVE: write, then read the answer. */
  async transceive(input: Buffer, max: number): Promise<PipeRead> {
    const status = await this.write(input);
    if (status !== Status.SUCCESS) return { status, data: Buffer.alloc(0) };
    // An incomplete multi-fragment request has no answer yet: the transceive returns nothing.
    if (this.messages.length === 0) return { status: Status.SUCCESS, data: Buffer.alloc(0) };
    return this.read(max);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.broken = true;
    this.messages.length = 0;
    this.wake();
    try {
      this.endpoint.close();
    } catch {
      // The endpoint's own failure does not concern the SMB side.
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
