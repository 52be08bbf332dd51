// Process helpers the peer fixtures share (Samba's smbd, the Samba AD DC, the KDC proxy): finding
// a Debian binary, running a command to completion under a hard timeout, reading /proc to tell
// which processes belong to an instance, signalling by PID, and loopback ports.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { probe } from '../../main/import/networkScan.js';

const SYSTEM_BIN_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];
const DEFAULT_COMMAND_TIMEOUT_MS = 15_000;

/** The executable `name` on PATH or in the system's bin folders (sbin too: smbd, samba). */
export function findBinary(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== ''), ...SYSTEM_BIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export function requireBinary(name: string, missingMessage: string): string {
  const found = findBinary(name);
  if (found === null) throw new Error(missingMessage);
  return found;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Default 15 s. */
  timeoutMs?: number;
  cwd?: string;
}

/** Runs a command to completion with a hard timeout (SIGKILL by PID, then rejects). */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${command}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`${command} ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        return;
      }
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
    child.stdin.on('error', () => {
      // the command may exit before reading its input
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  args: string[];
}

export function readProc(pid: number): ProcInfo | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let args: string[] = [];
    try {
      args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    } catch {
      // gone or a zombie
    }
    return { pid, ppid: Number(fields[1]), state: fields[0] ?? '?', args };
  } catch {
    return null;
  }
}

function listProcs(): ProcInfo[] {
  const result: ProcInfo[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProc(Number(entry));
    if (info) result.push(info);
  }
  return result;
}

/** The root PID, every process started with this config file, and all their descendants (zombies included). */
export function instanceProcs(rootPid: number, configPath: string): ProcInfo[] {
  const procs = listProcs();
  const ours = new Set<number>();
  for (const p of procs) {
    if (p.pid === rootPid || p.args.some((a) => a === configPath || a.endsWith(`=${configPath}`))) ours.add(p.pid);
  }
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs) {
      if (!ours.has(p.pid) && ours.has(p.ppid)) {
        ours.add(p.pid);
        grew = true;
      }
    }
  }
  return procs.filter((p) => ours.has(p.pid));
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** A port nothing listens on at `address` now (the kernel's choice). */
export function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen({ host: address, port: 0, exclusive: true }, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether a TCP connection to address:port opens within the timeout (the Network scan's probe). */
export function tcpAccepts(address: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return probe(address, port, timeoutMs);
}

const atExit = new Set<() => void>();
let atExitHooked = false;

/**
 * The last resort of a fixture whose test forgot to stop it: `killNow` runs (synchronously) when
 * the test process exits. Returns the function that takes it off again once the fixture stopped.
 */
export function killAtExit(killNow: () => void): () => void {
  if (!atExitHooked) {
    atExitHooked = true;
    process.on('exit', () => {
      for (const kill of atExit) kill();
    });
  }
  atExit.add(killNow);
  return () => void atExit.delete(killNow);
}
