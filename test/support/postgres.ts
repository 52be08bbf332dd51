// A real PostgreSQL for the server-mode store's tests: Debian's `postgresql` binaries
// (/usr/lib/postgresql/<version>/bin), a cluster made by initdb in a temp folder, one postgres
// process in the foreground on a 127.x address and a free port, its Unix socket in the same temp
// folder, password logon (SCRAM) for one role, stopped by its PID. initdb and postgres refuse to
// run as root, so as root they run as the `postgres` user (setpriv: the process keeps its PID);
// otherwise as the current user. A cluster that cannot start fails the test with postgres' log.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findBinary, freePort, killAtExit, run, signal, tcpAccepts } from './processes.js';
import { removeDir } from './tempDir.js';

export const POSTGRES_USER = 'pushconsole';

export interface RunningPostgres {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
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
  const logFd = fs.openSync(logFile, 'a');
  ownBy(logFile);
  const postgres = asPostgres(path.join(bin, 'postgres'), [
    '-D', dataDir, '-c', `listen_addresses=${host}`, '-p', String(port), '-c', `unix_socket_directories=${root}`,
    '-c', 'fsync=on', '-c', 'logging_collector=off',
  ]);
  const child: ChildProcess = spawn(postgres.command, postgres.args, { stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  const pid = child.pid!;
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const forget = killAtExit(() => signal(pid, 'SIGKILL'));

  const stop = async (): Promise<void> => {
    if (!exited) {
      signal(pid, 'SIGINT'); // fast shutdown: roll back open transactions, close connections
      const slow = setTimeout(() => signal(pid, 'SIGKILL'), 10_000);
      await exit;
      clearTimeout(slow);
    }
    forget();
    removeCluster();
  };

  // Ready when it accepts TCP on its address and says so in its log.
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (exited) {
      const text = log();
      removeCluster();
      forget();
      throw new Error(`PostgreSQL exited before it accepted connections on ${host}:${port}:\n${text.trim()}`);
    }
    if (/ready to accept connections/.test(log()) && (await tcpAccepts(host, port, 500))) break;
    if (Date.now() > deadline) {
      const text = log();
      await stop();
      throw new Error(`PostgreSQL did not accept connections on ${host}:${port} within the bound:\n${text.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The database the tests use, owned by the role (the cluster has only postgres and template DBs).
  const createdb = await run(path.join(bin, 'createdb'), ['-h', host, '-p', String(port), '-U', POSTGRES_USER, database], { env: { ...process.env, PGPASSWORD: password } });
  if (createdb.code !== 0) {
    await stop();
    throw new Error(`createdb failed (${createdb.code}): ${createdb.stderr.trim()}`);
  }
  const url = `postgres://${POSTGRES_USER}:${encodeURIComponent(password)}@${host}:${port}/${database}`;
  return { host, port, pid, user: POSTGRES_USER, password, database, url, dataDir, log, stop };
}
