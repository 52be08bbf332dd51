// `pushctl worker` as its own process (a push worker on a shared PostgreSQL), its output kept;
// ready once it prints PUSHWORKER_ID; stopped by PID (SIGTERM, then SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './childProcess.js';
import { stopChild, until } from './labProcess.js';
import { killAtExit, signal } from './processes.js';

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly id: string;
  output(): string;
  stop(): Promise<void>;
}

/** `pushctl --data DIR worker --db URL …args`; the data folder must hold the servers' key file. */
export async function startWorkerProcess(dbUrl: string, dataDir: string, agent: string, args: readonly string[]): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli/entry.ts', '--data', dataDir, 'worker', '--db', dbUrl, '--port', '0', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PUSHCONSOLE_KEYCHAIN: 'off', PUSHCONSOLE_AGENT: agent, PUSHCONSOLE_LAB: '0' },
  });
  const forget = killAtExit(() => child.pid && signal(child.pid, 'SIGKILL'));
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const worker: WorkerProcess = {
    child,
    get id() {
      return /PUSHWORKER_ID=(\S+)/.exec(out)?.[1] ?? '';
    },
    output: () => out,
    stop: async () => {
      // A stopped (SIGSTOP) worker would not see SIGTERM.
      if (child.pid) signal(child.pid, 'SIGCONT');
      await stopChild(child);
      forget();
    },
  };
  await until(`pushctl worker ${args.join(' ')} to start`, 60_000, async () => {
    if (child.exitCode !== null) throw new Error(`pushctl worker exited ${child.exitCode}:\n${out}`);
    return worker.id !== '';
  });
  return worker;
}
