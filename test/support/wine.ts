// A throwaway Wine prefix for tests that run Windows programs (the agent, sc, msiexec) under
// Debian's wine64 (docs/TESTING.md §4): created per test file, kept alive by a keeper process, and
// torn down — every process it started killed by PID, then `wineserver -k` — even when the test
// fails.
//
//   const wine = await createWinePrefix();          // ~5-10 s: wineboot -i, winecfg /v win10
//   t.after(() => wine.close());
//   const r = await wine.run('sc', ['query', 'Foo']); // resolves on exit; stdout/stderr via files
//   spawn(...wine.argv('C:\\pia\\PushInstallAgent.exe', ['--console']), { env: wine.env })
//
// Wine facts this module is built around (Wine 8, Debian 12):
// - When the last non-system process of a prefix exits, wineserver shuts the prefix's system
//   processes down and services.exe kills running services (seen: a service in the middle of its
//   work ended STOPPED with 1077). The keeper (`wine cmd.exe` reading a stdin pipe nobody writes)
//   keeps the prefix up for the whole test.
// - A `wine` process that starts the prefix's system processes (services.exe, winedevice.exe,
//   explorer.exe ...) hands its stdio to them. With stdio pipes, Node's 'close' event then waits for
//   those daemons (seen: 30 s and more after the program itself had exited). So every program runs
//   with its stdout and stderr redirected to files, and a run ends on 'exit', not 'close'; the
//   prefix is booted (wineboot) and kept up before anything else runs in it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeDir } from './tempDir.js';

export interface WineRun {
  /** The program's exit code as Unix sees it: Wine passes only the low 8 bits. */
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface WineProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited, with its output so far. */
  exited(): Promise<WineRun>;
  /** Its output so far (the files it writes to). */
  output(): { stdout: string; stderr: string };
  /** SIGKILL by PID if still running. */
  kill(): void;
}

export interface WineStartOptions {
  /** The whole environment (default the prefix's `env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** The Unix folder the program starts in (default this process's). */
  readonly cwd?: string;
}

export interface WinePrefix {
  /** WINEPREFIX: the Unix folder of this prefix. */
  readonly prefix: string;
  /** The Unix path of its C: drive (`<prefix>/drive_c`). */
  readonly driveC: string;
  /** The environment to spawn Wine programs in this prefix with. */
  readonly env: NodeJS.ProcessEnv;
  /** The argv that runs a Windows program (a C:\ path or a builtin such as `sc`) in this prefix:
   * spawn(argv[0], argv.slice(1), { env: prefix.env }). */
  argv(program: string, args?: readonly string[]): string[];
  /** The Unix path of a Windows path on C: in this prefix (`C:\pia\x.exe` -> `<driveC>/pia/x.exe`). */
  unixPath(windowsPath: string): string;
  /** Starts a Windows program; its stdout and stderr go to files; it is killed on close(). */
  start(program: string, args?: readonly string[], options?: WineStartOptions): WineProcess;
  /** Runs a Windows program to its end; kills it by PID (and rejects, with its output so far) after timeoutMs. */
  run(program: string, args?: readonly string[], options?: WineStartOptions & { timeoutMs?: number }): Promise<WineRun>;
  /** Kills every process this prefix started (by PID), then `wineserver -k`, and removes the prefix. */
  close(): Promise<void>;
}

const TOOLS = ['wine', 'wineserver', 'wineboot'];

/** Fails loudly (throws) when a tool is missing: the tests that need Wine must not skip. */
export function requireTools(tools: readonly string[] = TOOLS): void {
  const missing = tools.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (missing.length > 0) {
    throw new Error(
      `missing: ${missing.join(', ')}. Install Debian's packages with scripts/setup.sh ` +
        '(wine wine64 gcc-mingw-w64-x86-64-win32 wixl, see scripts/debian-packages.txt).',
    );
  }
}

/** Prefixes not closed yet, with the processes each started. */
const live = new Map<WinePrefix, Set<ChildProcess>>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test process that dies without running its after() hooks still takes its Wine down.
  process.on('exit', () => {
    for (const [p, children] of live) {
      for (const child of children) killPid(child.exitCode === null && child.signalCode === null ? child.pid : undefined);
      spawnSync('wineserver', ['-k'], { env: p.env, timeout: 10_000, killSignal: 'SIGKILL' });
    }
  });
}

function killPid(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export async function createWinePrefix(options: { windowsVersion?: string; bootTimeoutMs?: number } = {}): Promise<WinePrefix> {
  requireTools();
  const prefix = makeTempDir('pic-wine-');
  const outDir = path.join(prefix, '.pic-output');
  fs.mkdirSync(outDir);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WINEPREFIX: prefix,
    WINEDEBUG: '-all',
    // No Mono or Gecko installer prompts, no menu entries written into the user's desktop.
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
    DISPLAY: '',
  };
  const children = new Set<ChildProcess>();
  let seq = 0;
  let closed = false;

  const argv = (program: string, args: readonly string[] = []): string[] => ['wine', program, ...args];

  const start = (program: string, args: readonly string[] = [], startOptions: WineStartOptions = {}): WineProcess => {
    if (closed) throw new Error('the Wine prefix is closed');
    const n = ++seq;
    const outFile = path.join(outDir, `${n}.out`);
    const errFile = path.join(outDir, `${n}.err`);
    const out = fs.openSync(outFile, 'w');
    const err = fs.openSync(errFile, 'w');
    const t0 = Date.now();
    const [cmd, ...rest] = argv(program, args);
    const child = spawn(cmd!, rest, { env: startOptions.env ?? env, ...(startOptions.cwd ? { cwd: startOptions.cwd } : {}), stdio: ['ignore', out, err] });
    fs.closeSync(out);
    fs.closeSync(err);
    children.add(child);
    const read = (file: string): string => {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch {
        return '';
      }
    };
    const output = () => ({ stdout: read(outFile), stderr: read(errFile) });
    const exited = new Promise<WineRun>((resolve, reject) => {
      child.once('error', (e) => {
        children.delete(child);
        reject(e);
      });
      child.once('exit', (status, signal) => {
        children.delete(child);
        resolve({ status, signal, ...output(), ms: Date.now() - t0 });
      });
    });
    if (child.pid === undefined) throw new Error(`could not start wine ${program}`);
    return { pid: child.pid, child, exited: () => exited, output, kill: () => killPid(child.exitCode === null && child.signalCode === null ? child.pid : undefined) };
  };

  const run = async (program: string, args: readonly string[] = [], runOptions: WineStartOptions & { timeoutMs?: number } = {}): Promise<WineRun> => {
    const timeoutMs = runOptions.timeoutMs ?? 60_000;
    const p = start(program, args, runOptions);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        p.kill();
        const { stdout, stderr } = p.output();
        reject(new Error(`wine ${program} ${args.join(' ')}: still running after ${timeoutMs} ms (killed)\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([p.exited(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  const wine: WinePrefix = {
    prefix,
    driveC: path.join(prefix, 'drive_c'),
    env,
    argv,
    unixPath: (windowsPath) => {
      const m = /^[Cc]:\\?(.*)$/.exec(windowsPath);
      if (!m) throw new Error(`not a C: path: ${windowsPath}`);
      return path.join(prefix, 'drive_c', ...(m[1] ?? '').split('\\').filter(Boolean));
    },
    start,
    run,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const child of children) killPid(child.exitCode === null ? child.pid : undefined);
      spawnSync('wineserver', ['-k'], { env, timeout: 30_000, killSignal: 'SIGKILL' });
      spawnSync('wineserver', ['-w'], { env, timeout: 30_000, killSignal: 'SIGKILL' });
      live.delete(wine);
      removeDir(prefix);
    },
  };
  live.set(wine, children);
  installExitHook();

  try {
    const bootMs = options.bootTimeoutMs ?? 180_000;
    const boot = await run('wineboot', ['-i'], { timeoutMs: bootMs });
    if (boot.status !== 0) throw new Error(`wineboot -i exited ${boot.status}:\n${boot.stderr}`);
    // wineboot's exit leaves the prefix with no user process: wineserver is shutting its system
    // processes down. Let that finish before the keeper starts them again — a keeper started in the
    // middle of it left services.exe answering some calls and not others (sc start: 1060).
    const idle = spawnSync('wineserver', ['-w'], { env, timeout: 60_000, killSignal: 'SIGKILL', stdio: 'ignore' });
    if (idle.status !== 0) throw new Error(`wineserver -w after wineboot: ${idle.error?.message ?? `exit ${idle.status}`}`);
    // The keeper: holds the prefix (and so services.exe and its services) up until close().
    const keeper = spawn('wine', ['cmd.exe'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
    children.add(keeper);
    keeper.once('exit', () => children.delete(keeper));
    const cfg = await run('winecfg', ['/v', options.windowsVersion ?? 'win10'], { timeoutMs: 60_000 });
    if (cfg.status !== 0) throw new Error(`winecfg /v exited ${cfg.status}:\n${cfg.stderr}`);
    // Warm-up: one trivial program, so the first real one finds every system process running.
    const warm = await run('cmd.exe', ['/c', 'exit', '0'], { timeoutMs: 60_000 });
    if (warm.status !== 0) throw new Error(`wine cmd /c exit 0 exited ${warm.status}:\n${warm.stderr}`);
  } catch (error) {
    await wine.close();
    throw error;
  }
  return wine;
}
