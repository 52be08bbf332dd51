// How a lab's hosts listen: a listener per host on its own loopback address (small labs, as
// always), or one shared listener per port for all of them (smb/sharedListener.ts) when the hosts
// would not fit a file descriptor each. LabOptions.listen chooses; 'auto' shares above
// SHARED_ABOVE_HOSTS hosts.
import net from 'node:net';
import type { LabHostState } from './hostState.js';
import { labPipeFactory } from './agent/labPipes.js';
import { startLabSmbHost, type LabSmbHostOptions } from './smb/server.js';
import { startSharedLabSmb } from './smb/sharedListener.js';

export type LabListenMode = 'shared' | 'per-host';
/** The most hosts a lab holds: 65 000 loopback addresses, one process. */
export const MAX_LAB_HOSTS = 65_000;
/** Above this many hosts 'auto' shares one listener (a listener per host is a file descriptor per host). */
export const SHARED_ABOVE_HOSTS = 2000;

export function listenMode(option: 'auto' | LabListenMode | undefined, hosts: number): LabListenMode {
  if (option === 'shared' || option === 'per-host') return option;
  return hosts > SHARED_ABOVE_HOSTS ? 'shared' : 'per-host';
}

export interface LabListenOptions {
  readonly mode: LabListenMode;
  readonly port: number;
  readonly adminShareBytes?: number;
  readonly logonFailureDelayMs?: number;
  readonly log?: (line: string) => void;
}

/** Starts every host's SMB service; when one fails, what was started is closed and the error thrown. */
export async function startLabListeners(hosts: readonly LabHostState[], options: LabListenOptions): Promise<{ close(): Promise<void> }> {
  const pipes = labPipeFactory({ agent: { retry: { rounds: 2, backoffMs: 200 }, ...(options.log ? { log: options.log } : {}) } });
  const smb: LabSmbHostOptions = {
    pipes,
    ...(options.adminShareBytes !== undefined ? { maxShareBytes: options.adminShareBytes } : {}),
    ...(options.logonFailureDelayMs !== undefined ? { logonFailureDelayMs: options.logonFailureDelayMs } : {}),
    ...(options.log ? { log: options.log } : {}),
  };
  if (options.mode === 'shared') return startSharedLabSmb(hosts, options.port, smb);
  const servers: { close(): Promise<void> }[] = [];
  const close = async () => {
    await Promise.all(servers.map((s) => s.close()));
  };
  try {
    // Start in batches: a thousand listeners at once is fine, but errors stay readable.
    for (let i = 0; i < hosts.length; i += 100) {
      servers.push(...(await Promise.all(hosts.slice(i, i + 100).map((state) => startLabSmbHost(state, smb)))));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { close };
}

/** Throws unless a connect to address:port is refused at once (a shared lab's refused hosts' port). */
export function checkNothingListens(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const fail = (why: string) => {
      socket.destroy();
      reject(new Error(`the refused hosts' port ${port} is not free on ${address}: ${why} (pick another refusedPort)`));
    };
    const timer = setTimeout(() => fail('a connect there hangs'), 2000);
    socket.once('connect', () => {
      clearTimeout(timer);
      fail('something listens there');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ECONNREFUSED') resolve();
      else fail(error.message);
    });
  });
}
