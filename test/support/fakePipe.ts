// An in-memory RpcPipe that answers each transceive/read with the next scripted reply, and keeps
// what the client sent — for codec, fragmentation and fuzz tests of the DCE/RPC client.
import type { RpcPipe } from '../../main/rpc/rpcClient.js';

export class ScriptedPipe implements RpcPipe {
  readonly sent: Buffer[] = [];
  constructor(
    private readonly replies: Buffer[],
    /** What running out of replies looks like; a real pipe would time out or close. */
    private readonly exhausted: () => Error = () => new Error('the scripted pipe has no more replies'),
  ) {}

  private next(): Buffer {
    const reply = this.replies.shift();
    if (!reply) throw this.exhausted();
    return reply;
  }

  async transceive(data: Buffer): Promise<Buffer> {
    this.sent.push(Buffer.from(data));
    return this.next();
  }

  async write(data: Buffer): Promise<void> {
    this.sent.push(Buffer.from(data));
  }

  async read(): Promise<Buffer> {
    return this.next();
  }
}
