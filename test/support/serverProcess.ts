// `pushctl server` as its own process (the engine over a shared PostgreSQL, HTTPS on a free port),
// its output kept; ready once it prints PUSHSERVER_URL and PUSHSERVER_FINGERPRINT; stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { REPO_ROOT } from './childProcess.js';
import { writeRendererFixture } from './http.js';
import { stopChild, until } from './labProcess.js';
import { killAtExit, signal } from './processes.js';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly fingerprint: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `pushctl server` as its own process; ready once it prints its URL and fingerprint. Its stdout
 * and stderr go to `logFile` when given (a test that scans it), else are kept in memory.
 */
export async function startServerProcess(dbUrl: string, dataDir: string, host: string, agent: string, options: { logFile?: string; rendererRoot?: string; args?: readonly string[] } = {}): Promise<ServerProcess> {
  const fd = options.logFile ? fs.openSync(options.logFile, 'a') : null;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'main/cli/entry.ts', '--data', dataDir, 'server', '--db', dbUrl, '--listen', `${host}:0`, '--package-port', '0', '--renderer', writeRendererFixture(options.rendererRoot ?? dataDir), ...(options.args ?? [])],
    { cwd: REPO_ROOT, stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'], env: { ...process.env, PUSHCONSOLE_KEYCHAIN: 'off', PUSHCONSOLE_AGENT: agent, PUSHCONSOLE_LAB: '0' } },
  );
  if (fd !== null) fs.closeSync(fd);
  const forget = killAtExit(() => child.pid && signal(child.pid, 'SIGKILL'));
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const output = () => (options.logFile ? fs.readFileSync(options.logFile, 'utf8') : out);
  const server: ServerProcess = {
    child,
    get url() {
      return /PUSHSERVER_URL=(\S+)/.exec(output())?.[1]?.replace(/\/$/, '') ?? '';
    },
    get fingerprint() {
      return /PUSHSERVER_FINGERPRINT=(\S+)/.exec(output())?.[1] ?? '';
    },
    output,
    stop: async () => {
      await stopChild(child);
      forget();
    },
  };
  await until(`pushctl server on ${host} to start`, 60_000, async () => {
    if (child.exitCode !== null) throw new Error(`pushctl server exited ${child.exitCode}:\n${output()}`);
    return server.url !== '' && server.fingerprint !== '';
  });
  return server;
}

