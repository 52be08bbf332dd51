// A session with one computer, as a push and its cleanup hold it: the SMB connection and logon,
// the ADMIN$ and IPC$ trees, and the Service Control Manager over \\pipe\\svcctl, each opened
// when first needed. Also the verdict an error becomes (cancelled, a console error, or a bug).
import { ConsoleError } from '../ipc/errors.js';
import { SmbConnection } from '../smb/connection.js';
import { SmbSession, type AuthPolicy, type SmbCredentials } from '../smb/session.js';
import { SmbTree, type SmbPipe } from '../smb/tree.js';
import { ScmrClient, type Handle } from '../rpc/scmr.js';
import type { PushVerdict } from './results.js';

/** What reaching a computer takes: where, as whom, and the bounds for connecting and stopping a service. */
export interface RemoteHost {
  readonly host: string;
  /** The computer's name when it has one (not an address): the name Kerberos asks a ticket for (`cifs/<name>`); default host. */
  readonly logonName?: string;
  readonly port: number;
  readonly credentials: SmbCredentials;
  readonly encryptWhenSupported: boolean;
  /** Default negotiate (Kerberos for a name with a domain credential, else NTLM). */
  readonly auth?: AuthPolicy;
  readonly timeouts: {
    readonly connectMs: number;
    readonly serviceStopMs: number;
    readonly pollMs: number;
    /** How long START_PENDING may last; default 30 s (Windows' service start wait). */
    readonly serviceStartMs?: number;
    /** One SMB request's answer; default 30 s. */
    readonly requestMs?: number;
  };
}

/**
 * How long an SCM call the computer accepted (interim STATUS_PENDING) may take: RStartServiceW
 * and RControlService wait on the service as long as the SCM's start or stop wait (Windows: 30 s,
 * ServicesPipeTimeout), and answer 1053 after it — so the bound is that wait plus a request's.
 */
export function serviceCallMs(timeouts: RemoteHost['timeouts']): number {
  return Math.max(timeouts.serviceStartMs ?? 30_000, timeouts.serviceStopMs) + (timeouts.requestMs ?? 30_000);
}

export interface Remote {
  connection: SmbConnection;
  session: SmbSession;
  admin: SmbTree | null;
  ipc: SmbTree | null;
  pipe: SmbPipe | null;
  scmr: ScmrClient | null;
  scm: Handle | null;
  /** serviceCallMs of the host's timeouts. */
  readonly serviceCallMs: number;
}

export async function connect(spec: RemoteHost): Promise<Remote> {
  const { requestMs } = spec.timeouts;
  const connection = await SmbConnection.connect({ host: spec.host, port: spec.port, connectTimeoutMs: spec.timeouts.connectMs, ...(requestMs !== undefined ? { requestTimeoutMs: requestMs } : {}) });
  try {
    const session = await SmbSession.setup(connection, spec.credentials, { targetHost: spec.logonName ?? spec.host, encryptWhenSupported: spec.encryptWhenSupported, ...(spec.auth ? { auth: spec.auth } : {}) });
    return { connection, session, admin: null, ipc: null, pipe: null, scmr: null, scm: null, serviceCallMs: serviceCallMs(spec.timeouts) };
  } catch (error) {
    connection.close();
    throw error;
  }
}

export async function openScm(remote: Remote, host: string): Promise<{ scmr: ScmrClient; scm: Handle }> {
  if (remote.scmr && remote.scm) return { scmr: remote.scmr, scm: remote.scm };
  remote.ipc ??= await SmbTree.connect(remote.session, host, 'IPC$');
  remote.pipe = await remote.ipc.openPipe('svcctl', { acceptedTimeoutMs: remote.serviceCallMs });
  remote.scmr = await ScmrClient.bind(remote.pipe);
  remote.scm = await remote.scmr.openSCManager();
  return { scmr: remote.scmr, scm: remote.scm };
}

export function closeRemote(remote: Remote | null): void {
  if (!remote) return;
  void remote.session.logoff().catch(() => undefined).finally(() => remote.connection.close());
}

export class Cancelled extends ConsoleError {
  constructor() {
    super('cancelled', 'The push was cancelled.', 'Retry when ready.');
  }
}

export function verdictOf(error: unknown): PushVerdict {
  if (error instanceof Cancelled) return { outcome: 'cancelled', errorClass: 'cancelled', code: null, message: error.message, advice: error.advice, rebootRequired: false };
  if (error instanceof ConsoleError) return { outcome: 'failed', errorClass: error.errorClass, code: error.code, message: error.message, advice: error.advice, rebootRequired: false };
  const message = error instanceof Error ? error.message : String(error);
  return { outcome: 'failed', errorClass: 'internal', code: null, message, advice: 'This is a bug in the console; export the task\'s logs and report it.', rebootRequired: false };
}

