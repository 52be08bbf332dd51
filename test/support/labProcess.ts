// `pushctl lab` in its own process (it survives a console's or server's death, as real computers
// do), and a bounded wait for a condition; shared by the crash and server takeover tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './childProcess.js';

export interface LabDoc {
  port: number;
  account: { user: string; password: string };
  hosts: { name: string; address: string }[];
}
export interface LabProcess extends LabDoc {
  stop(): Promise<void>;
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, 'SIGTERM');
  const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export interface LabProcessOptions {
  /** --profile: a profile name or a profile file (default healthy). */
  readonly profile?: string;
  /** The administrator's password on every host (given to the lab through --password-env). */
  readonly password?: string;
}

/** `pushctl lab` in its own process: it survives the console's death, as real computers do. */
export async function startLabProcess(hosts: number, first: string, port: number, installMs: number, options: LabProcessOptions = {}): Promise<LabProcess> {
  const passwordArgs = options.password !== undefined ? ['--password-env', 'PUSHCTL_LAB_PASSWORD'] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli/entry.ts', 'lab', '--hosts', String(hosts), '--first', first, '--port', String(port), '--profile', options.profile ?? 'healthy', '--install-ms', String(installMs), ...passwordArgs, '--json'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.password !== undefined ? { env: { ...process.env, PUSHCTL_LAB_PASSWORD: options.password } } : {}),
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pushctl lab printed nothing in 30 s: ${err}`)), 30_000);
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(out.split('\n')[0]!);
        }
      });
      child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`pushctl lab exited ${code}: ${err}`))));
    });
    child.removeAllListeners('exit');
    return { ...(JSON.parse(line) as LabDoc), stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** Polls `probe` every 200 ms until it answers something, or fails after `timeoutMs` saying what it waited for. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

