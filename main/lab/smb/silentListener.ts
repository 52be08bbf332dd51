// The 'offline-silent' profile: TCP connects to the host's address must hang (SYNs unanswered)
// until the client's own bound, as with a powered-off computer behind a dropping firewall — on
// loopback, without iptables. The way: a listening socket nobody ever accept()s, its accept queue
// filled by the lab's own connections, so the kernel drops every further SYN (Linux:
// tcp_v4_conn_request → sk_acceptq_is_full → drop; the client retransmits until it gives up).
//
// Node accepts on every listening socket its event loop polls, so the listeners live in one
// worker thread per process that never returns to its event loop: it sits in Atomics.wait and
// takes commands (add a listener, close one, exit) through shared memory, creating a listener
// in the same run of next-tick callbacks (dns.lookup of an IP literal → listen → 'listening') and
// blocking again before libuv could poll. All silent hosts of a lab share that one thread.
// In a shared-listener lab (sharedListener.ts) the listener takes SO_REUSEPORT, as the wildcard
// listener on the same port does: Linux lets both LISTEN then and prefers this exact-address one.
import net from 'node:net';
import { Worker } from 'node:worker_threads';

const ADDRESS_AT = 64;
const ADDRESS_MAX = 200;
const Cmd = { ADD: 1, CLOSE: 2, EXIT: 3 } as const;
/** A loopback connect completes in well under a millisecond; one that has not after this was dropped. */
const PROBE_MS = 150;
const MAX_FILLERS = 16;

const WORKER_SOURCE = `
'use strict';
const net = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const ctl = new Int32Array(workerData.sab);
const bytes = new Uint8Array(workerData.sab);
const servers = new Map();
let seen = 0;
function reply(id, error) { parentPort.postMessage({ seq: seen, id, error }); }
function serve() {
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    const cmd = ctl[1], id = ctl[2];
    if (cmd === ${Cmd.ADD}) {
      const host = Buffer.from(bytes.subarray(${ADDRESS_AT}, ${ADDRESS_AT} + ctl[4])).toString('latin1');
      const server = net.createServer();
      server.once('error', (e) => { reply(id, String(e && e.code || e)); serve(); });
      server.listen({ host, port: ctl[3], backlog: 1, reusePort: ctl[5] === 1 }, () => { servers.set(id, server); reply(id, null); serve(); });
      return; // the listen completes in this run of next-tick callbacks, whose last one blocks again
    }
    if (cmd === ${Cmd.CLOSE}) {
      const server = servers.get(id);
      servers.delete(id);
      if (server) server.close(); // uv_close closes the socket at once, before any poll
      reply(id, null);
      continue;
    }
    for (const server of servers.values()) server.close();
    reply(id, null);
    process.exit(0);
  }
}
serve();
`;

class SilentListenerPool {
  private worker: Worker | null = null;
  private readonly sab = new SharedArrayBuffer(ADDRESS_AT + ADDRESS_MAX);
  private readonly ctl = new Int32Array(this.sab);
  private readonly bytes = new Uint8Array(this.sab);
  private seq = 0;
  private nextId = 1;
  private live = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** Pending replies by sequence number, with the worker they were sent to. */
  private readonly replies = new Map<number, { worker: Worker; resolve: (error: string | null) => void }>();

  /** Serialised: the worker takes one command at a time and blocks between them. */
  private command(cmd: number, id: number, address = '', port = 0, reusePort = false): Promise<string | null> {
    const run = this.queue.then(() => this.exec(cmd, id, address, port, reusePort));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private exec(cmd: number, id: number, address: string, port: number, reusePort: boolean): Promise<string | null> {
    if (!this.worker) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sab: this.sab } });
      worker.unref();
      worker.on('message', (m: { seq: number; error: string | null }) => {
        this.replies.get(m.seq)?.resolve(m.error);
        this.replies.delete(m.seq);
      });
      worker.on('error', () => undefined);
      worker.on('exit', () => {
        if (this.worker === worker) this.worker = null;
        // Only this worker's commands fail: an old worker may exit after a new one took over.
        for (const [seq, pending] of this.replies) {
          if (pending.worker !== worker) continue;
          pending.resolve('the silent-listener thread exited');
          this.replies.delete(seq);
        }
      });
      this.worker = worker;
    }
    const addr = Buffer.from(address, 'latin1');
    if (addr.length > ADDRESS_MAX) return Promise.resolve('address too long');
    this.bytes.set(addr, ADDRESS_AT);
    Atomics.store(this.ctl, 1, cmd);
    Atomics.store(this.ctl, 2, id);
    Atomics.store(this.ctl, 3, port);
    Atomics.store(this.ctl, 4, addr.length);
    Atomics.store(this.ctl, 5, reusePort ? 1 : 0);
    const seq = ++this.seq;
    const worker = this.worker;
    const reply = new Promise<string | null>((resolve) => this.replies.set(seq, { worker, resolve }));
    Atomics.store(this.ctl, 0, seq);
    Atomics.notify(this.ctl, 0);
    return reply;
  }

  async add(address: string, port: number, reusePort: boolean): Promise<{ close(): Promise<void> }> {
    const id = this.nextId++;
    this.live++; // counted before the command, so a concurrent close of the last listener keeps the thread
    const error = await this.command(Cmd.ADD, id, address, port, reusePort);
    if (error !== null) {
      this.live--;
      throw new Error(`offline-silent listener on ${address}:${port}: ${error}`);
    }
    let fillers: net.Socket[] = [];
    try {
      fillers = await fillAcceptQueue(address, port);
    } catch (e) {
      await this.close(id);
      throw e;
    }
    let closed = false;
    return {
      close: async () => {
        if (closed) return;
        closed = true;
        for (const s of fillers) s.destroy();
        await this.close(id);
      },
    };
  }

  private async close(id: number): Promise<void> {
    await this.command(Cmd.CLOSE, id);
    this.live--;
    if (this.live === 0 && this.worker) {
      await this.command(Cmd.EXIT, 0);
      this.worker = null;
    }
  }
}

/** A connected socket, 'hung' when the connect did not complete within `ms`, or 'failed'. */
function connectWithin(address: string, port: number, ms: number): Promise<net.Socket | 'hung' | 'failed'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('hung');
    }, ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.on('error', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('failed');
    });
  });
}

/** Connects until a connect hangs: the queue is then full (Linux: backlog 1 holds two). */
async function fillAcceptQueue(address: string, port: number): Promise<net.Socket[]> {
  const fillers: net.Socket[] = [];
  for (let i = 0; i < MAX_FILLERS; i++) {
    const socket = await connectWithin(address, port, PROBE_MS);
    if (socket === 'hung') return fillers;
    if (socket === 'failed') break;
    socket.on('error', () => undefined);
    fillers.push(socket);
  }
  for (const s of fillers) s.destroy();
  throw new Error(`offline-silent: ${address}:${port} kept accepting or refused connections (this OS does not drop SYNs on a full accept queue)`);
}

const pool = new SilentListenerPool();

/**
 * Makes `address:port` silent: connects hang. Close to release the address. `reusePort`: beside a
 * shared (wildcard, SO_REUSEPORT) listener on the same port.
 */
export function startSilentListener(address: string, port: number, options: { reusePort?: boolean } = {}): Promise<{ close(): Promise<void> }> {
  return pool.add(address, port, options.reusePort ?? false);
}
