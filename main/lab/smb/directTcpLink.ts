// The direct-TCP side of one lab connection (MS-SMB2 2.1): messages cut out of the byte stream by
// their 4-byte length under a size cap, reading paused while too much waits, and the 'slow-link'
// throttle on both directions. The connection decides what the messages mean.
import type net from 'node:net';
import { directTcpLength, directTcpPrefix } from '../../smb/transport.js';
import type { LinkThrottle } from './throttle.js';

/** Requests read ahead or responses waiting for the socket beyond this pause reading. */
const MAX_BUFFERED = 16 * 1024 * 1024;

export class DirectTcpLink {
  /** Set once the connection ends: nothing more is read, sent or scheduled. */
  closed = false;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private expected: number | null = null;
  private frames: Buffer[] = [];
  private frameBytes = 0;
  private throttledUntil = 0;
  private throttleTimer: NodeJS.Timeout | null = null;
  private outQueue: { at: number; data: Buffer }[] = [];
  private outBytes = 0;
  private outTimer: NodeJS.Timeout | null = null;

  constructor(private readonly socket: net.Socket, private readonly throttle: LinkThrottle | null) {}

  /** Takes bytes read off the socket and cuts whole messages (at most `cap` bytes) out of them; a string says why the connection must end. */
  receive(chunk: Buffer, cap: number): string | null {
    if (this.throttle) {
      const wait = this.throttle.book('in', chunk.length);
      if (wait > 1) this.throttledUntil = Date.now() + wait;
    }
    this.chunks.push(chunk);
    this.chunkBytes += chunk.length;
    for (;;) {
      if (this.expected === null) {
        if (this.chunkBytes < 4) break;
        const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : Buffer.concat(this.chunks, this.chunkBytes);
        const length = directTcpLength(head);
        if (length === null) return `not a direct-TCP message (type 0x${head[0]!.toString(16)})`;
        if (length > cap) return `a ${length}-byte message exceeds the ${cap}-byte cap`;
        if (length < 4) return `a ${length}-byte message`;
        this.expected = length;
      }
      if (this.chunkBytes < 4 + this.expected) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.chunkBytes);
      const frame = all.subarray(4, 4 + this.expected);
      const rest = all.subarray(4 + this.expected);
      this.chunks = rest.length ? [rest] : [];
      this.chunkBytes = rest.length;
      this.expected = null;
      this.frames.push(frame);
      this.frameBytes += frame.length;
    }
    return null;
  }

  get hasFrames(): boolean {
    return this.frames.length > 0;
  }

  /** The oldest whole message not yet handled. */
  nextFrame(): Buffer | undefined {
    const frame = this.frames.shift();
    if (frame) this.frameBytes -= frame.length;
    return frame;
  }

  /** Pauses or resumes reading: the slow link's pace, and too much read ahead or waiting to go out. */
  flow(): void {
    if (this.closed) return;
    const throttled = this.throttledUntil - Date.now();
    if (throttled > 0 && !this.throttleTimer) {
      // slow-link: reading resumes when the bytes already read would have crossed the link.
      this.throttleTimer = setTimeout(() => {
        this.throttleTimer = null;
        this.flow();
      }, throttled);
    }
    const pause = throttled > 0 || this.frameBytes > MAX_BUFFERED || this.socket.writableLength > MAX_BUFFERED || this.outBytes > MAX_BUFFERED;
    if (pause && !this.socket.isPaused()) this.socket.pause();
    else if (!pause && this.socket.isPaused()) this.socket.resume();
  }

  /** Sends one message with its length in front; on a slow link it waits its turn. */
  send(message: Buffer): void {
    if (this.closed) return;
    const framed = directTcpPrefix(message.length);
    const throttle = this.throttle;
    if (!throttle) {
      this.socket.cork();
      this.socket.write(framed);
      this.socket.write(message);
      this.socket.uncork();
      this.flow();
      return;
    }
    const wait = throttle.book('out', message.length + 4);
    this.outQueue.push({ at: Date.now() + wait, data: Buffer.concat([framed, message]) });
    this.outBytes += message.length + 4;
    this.scheduleOut();
    this.flow();
  }

  /** The connection ended: the timers stop and nothing read or queued is kept. */
  stop(): void {
    this.closed = true;
    if (this.throttleTimer) clearTimeout(this.throttleTimer);
    if (this.outTimer) clearTimeout(this.outTimer);
    this.outQueue = [];
    this.frames = [];
    this.chunks = [];
  }

  private scheduleOut(): void {
    if (this.outTimer || this.outQueue.length === 0 || this.closed) return;
    this.outTimer = setTimeout(() => {
      this.outTimer = null;
      while (this.outQueue.length > 0 && this.outQueue[0]!.at <= Date.now() + 1) {
        const next = this.outQueue.shift()!;
        this.outBytes -= next.data.length;
        if (!this.closed) this.socket.write(next.data);
      }
      this.scheduleOut();
      this.flow();
    }, Math.max(0, this.outQueue[0]!.at - Date.now()));
  }
}
