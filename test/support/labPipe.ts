// An in-memory RpcPipe over a lab PipeEndpoint, behaving as a message-mode named pipe behind an
// SMB server does: each WRITE / transceive input goes to the endpoint; whatever it answers is
// queued as one message; a transceive or READ takes the next whole message (SmbPipe reads on
// after STATUS_BUFFER_OVERFLOW, so a client always sees whole messages). Lets our ScmrClient drive
// the lab's svcctl server without SMB in between.
import type { RpcPipe } from '../../main/rpc/rpcClient.js';
import type { PipeEndpoint } from '../../main/lab/pipe.js';

export class EndpointPipe implements RpcPipe {
  /** Every message the endpoint answered, in order (tests count fragments in them). */
  readonly answers: Buffer[] = [];
  /** Every message the client wrote. */
  readonly written: Buffer[] = [];
  private readonly queue: Buffer[] = [];

  constructor(readonly endpoint: PipeEndpoint) {}

  private async push(data: Buffer): Promise<void> {
    this.written.push(Buffer.from(data));
    const answer = await this.endpoint.write(Buffer.from(data));
    if (answer.length > 0) {
      this.queue.push(answer);
      this.answers.push(answer);
    }
  }

  private next(): Buffer {
    const message = this.queue.shift();
    // A real pipe would block here until the server writes; the lab server answers every complete call at once.
    if (!message) throw new Error('the pipe has no message to read');
    return message;
  }

  async transceive(data: Buffer): Promise<Buffer> {
    await this.push(data);
    return this.next();
  }

  async write(data: Buffer): Promise<void> {
    await this.push(data);
  }

  async read(): Promise<Buffer> {
    return this.next();
  }

  close(): void {
    this.endpoint.close();
  }
}

/** Splits a message into the PDUs it carries, by frag_length. */
export function pdusOf(message: Buffer): Buffer[] {
  const pdus: Buffer[] = [];
  for (let at = 0; at + 16 <= message.length; ) {
    const length = message.readUInt16LE(at + 8);
    if (length < 16) throw new Error(`frag_length ${length} at ${at}`);
    pdus.push(message.subarray(at, at + length));
    at += length;
  }
  return pdus;
}
