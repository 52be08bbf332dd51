// A real PostgreSQL for the server-mode store's tests: Debian's `postgresql` binaries
// (/usr/lib/postgresql/<version>/bin), a cluster made by initdb in a temp folder, one postgres
// process in the foreground on a 127.x address and a free port, its Unix socket in the same temp
// folder, password logon (SCRAM) for one role, stopped by its PID. initdb and postgres refuse to
// run as root, so as root they run as the `postgres` user (setpriv: the process keeps its PID);
// otherwise as the current user. A cluster that cannot start fails the test with postgres' log.
// A restart: halt (or haltSync, for a thread that cannot await) stops postgres by its PID and keeps
// the cluster; spawnAgain starts it on the same folder and port and returns at once; ready waits.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { findBinary, freePort, killAtExit, readProc, run, signal, tcpAccepts } from './processes.js';
import { removeDir } from './tempDir.js';

export const POSTGRES_USER = 'pushconsole';

export interface RunningPostgres {
  readonly host: string;
  readonly port: number;
  /** The running postgres' PID (a new one after spawnAgain). */
  readonly pid: number;
  /** Whether the postgres last spawned is still running (not halted, not exited). */
  readonly running: boolean;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** postgres://user:password@host:port/database */
  readonly url: string;
  readonly dataDir: string;
  /** What postgres wrote to its log so far. */
  log(): string;
  /** Stops the server by its PID (fast shutdown, then SIGKILL) and removes the cluster. */
  stop(): Promise<void>;
  /** Stops the server by its PID (fast shutdown, SIGKILL after 10 s) and keeps the cluster for spawnAgain. */
  halt(): Promise<void>;
  /** CREATE DATABASE name [clause] on the server (a test's own database); its URL. */
  createDatabase(name: string, clause?: string): Promise<string>;
  /**
   * halt without the event loop: returns once the postmaster has exited (read from /proc), for a
   * test whose thread cannot await — inside a synchronous transaction of the store.
   */
  haltSync(timeoutMs?: number): void;
  /** Starts postgres again on the same cluster, address and port, and returns at once (see ready). */
  spawnAgain(): void;
  /** Resolves once the running postgres accepts connections (its log says so and TCP connects). */
  ready(timeoutMs?: number): Promise<void>;
}

/** The folder of Debian's PostgreSQL binaries (the newest version installed). */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const dir = path.join(root, version, 'bin');
    if (fs.existsSync(path.join(dir, 'postgres')) && fs.existsSync(path.join(dir, 'initdb'))) return dir;
  }
  const onPath = findBinary('postgres');
  if (onPath && findBinary('initdb')) return path.dirname(onPath);
  throw new Error('PostgreSQL is not installed: the server-mode store tests need Debian\'s postgresql package (scripts/setup.sh installs it; apt-get install -y postgresql)');
}

/** As root: run as the postgres user, keeping the PID (setpriv execs); else as we are. */
function asPostgres(command: string, args: readonly string[]): { command: string; args: string[] } {
  if (process.getuid?.() !== 0) return { command, args: [...args] };
  return { command: 'setpriv', args: ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args] };
}

function ownBy(dir: string): void {
  if (process.getuid?.() !== 0) return;
  const uid = Number(fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'))?.split(':')[2] ?? NaN);
  if (!Number.isInteger(uid)) throw new Error('running as root, but there is no postgres user to run PostgreSQL as (the postgresql package makes it)');
  fs.chownSync(dir, uid, -1);
}

export async function startPostgres(options: { host?: string; port?: number; database?: string; timeoutMs?: number } = {}): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const host = options.host ?? '127.0.0.1';
  const database = options.database ?? 'pushconsole';
  const password = crypto.randomBytes(12).toString('base64url');
  // Under /tmp (not a folder only root may enter), owned by the user postgres runs as.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-pg-'));
  fs.chmodSync(root, 0o755);
  ownBy(root);
  const dataDir = path.join(root, 'data');
  const pwFile = path.join(root, 'pw');
  fs.writeFileSync(pwFile, password, { mode: 0o600 });
  ownBy(pwFile);
  const removeCluster = () => removeDir(root);
  try {
    const initdb = asPostgres(path.join(bin, 'initdb'), ['-D', dataDir, '-U', POSTGRES_USER, '--pwfile', pwFile, '--auth', 'scram-sha-256', '-E', 'UTF8', '--locale', 'C', '--no-sync']);
    const made = await run(initdb.command, initdb.args, { timeoutMs: 60_000 });
    if (made.code !== 0) throw new Error(`initdb failed (${made.code}): ${made.stderr.trim() || made.stdout.trim()}`);
  } catch (error) {
    removeCluster();
    throw error;
  }
  fs.rmSync(pwFile, { force: true });

  const port = options.port ?? (await freePort(host));
  const logFile = path.join(root, 'postgres.log');
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const postgres = asPostgres(path.join(bin, 'postgres'), [
    '-D', dataDir, '-c', `listen_addresses=${host}`, '-p', String(port), '-c', `unix_socket_directories=${root}`,
    '-c', 'fsync=on', '-c', 'logging_collector=off',
  ]);

  /** One postgres process on the cluster: its PID, whether it exited, and where its run's log starts. */
  interface Run { readonly pid: number; exited: boolean; readonly exit: Promise<void>; readonly logFrom: number }
  let current: Run | null = null;
  let removed = false;
  const spawnRun = (): Run => {
    const logFd = fs.openSync(logFile, 'a');
    ownBy(logFile);
    const logFrom = fs.fstatSync(logFd).size;
    const child: ChildProcess = spawn(postgres.command, postgres.args, { stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    let resolveExit!: () => void;
    const exit = new Promise<void>((resolve) => (resolveExit = resolve));
    const r: Run = { pid: child.pid!, exited: false, exit, logFrom };
    child.once('exit', () => {
      r.exited = true;
      resolveExit();
    });
    return r;
  };
  current = spawnRun();
  const forget = killAtExit(() => current && !current.exited && signal(current.pid, 'SIGKILL'));
  const runLog = () => log().slice(current?.logFrom ?? 0);

  /** Fast shutdown by PID (SIGKILL after 10 s); the cluster stays. */
  const halt = async (): Promise<void> => {
    const r = current;
    if (!r || r.exited) return;
    signal(r.pid, 'SIGINT'); // fast shutdown: roll back open transactions, close connections
    const slow = setTimeout(() => signal(r.pid, 'SIGKILL'), 10_000);
    await r.exit;
    clearTimeout(slow);
  };

  const haltSync = (timeoutMs = 10_000): void => {
    const r = current;
    if (!r || r.exited) return;
    signal(r.pid, 'SIGINT');
    const deadline = Date.now() + timeoutMs;
    const nap = new Int32Array(new SharedArrayBuffer(4));
    // Until the postmaster is gone or a zombie (it is reaped once this thread runs its event loop again).
    for (;;) {
      const state = readProc(r.pid)?.state;
      if (state === undefined || state === 'Z' || state === 'X') return;
      if (Date.now() > deadline) {
        signal(r.pid, 'SIGKILL');
        throw new Error(`PostgreSQL (PID ${r.pid}) did not stop within ${timeoutMs} ms of SIGINT; killed`);
      }
      Atomics.wait(nap, 0, 0, 10);
    }
  };

  const stop = async (): Promise<void> => {
    await halt();
    forget();
    if (!removed) {
      removed = true;
      removeCluster();
    }
  };

  const spawnAgain = (): void => {
    if (removed) throw new Error('the PostgreSQL cluster was removed (stop()); it cannot start again');
    if (current && !current.exited && readProc(current.pid)?.state !== 'Z') throw new Error(`PostgreSQL still runs (PID ${current.pid}): halt it first`);
    current = spawnRun();
  };

  // Ready when it accepts TCP on its address and this run says so in its log.
  const ready = async (timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = current!;
      if (r.exited) throw new Error(`PostgreSQL exited before it accepted connections on ${host}:${port}:\n${runLog().trim()}`);
      if (/ready to accept connections/.test(runLog()) && (await tcpAccepts(host, port, 500))) return;
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections on ${host}:${port} within the bound:\n${runLog().trim()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  try {
    await ready(options.timeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  // The database the tests use, owned by the role (the cluster has only postgres and template DBs).
  const createdb = await run(path.join(bin, 'createdb'), ['-h', host, '-p', String(port), '-U', POSTGRES_USER, database], { env: { ...process.env, PGPASSWORD: password } });
  if (createdb.code !== 0) {
    await stop();
    throw new Error(`createdb failed (${createdb.code}): ${createdb.stderr.trim()}`);
  }
  const url = `postgres://${POSTGRES_USER}:${encodeURIComponent(password)}@${host}:${port}/${database}`;
  const createDatabase = async (name: string, clause = ''): Promise<string> => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}${clause ? ` ${clause}` : ''}`);
    } finally {
      await admin.end();
    }
    return url.replace(/\/[^/]+$/, `/${name}`);
  };
  return {
    host, port, user: POSTGRES_USER, password, database, url, dataDir, log, stop, halt, haltSync, spawnAgain, ready, createDatabase,
    get pid() {
      return current!.pid;
    },
    get running() {
      const r = current!;
      return !r.exited && (readProc(r.pid)?.state ?? 'Z') !== 'Z';
    },
  };
}
