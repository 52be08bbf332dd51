// The console as an installed copy, for tests that run its browser shell on Windows Node under Wine
// (test/windows/browserShellOnWindows.test.ts) and, for comparison, on Linux Node:
//
//   const app = await stageConsole(dir);     // scripts/build.mjs --out <dir>/dist, package.json,
//                                            // node_modules (a link to this tree's), the agent
//   const shell = startLinuxShell(app.dir, ['--host', '127.0.191.2', …], env, outDir);
//   const { url, ms } = await waitForShellUrl(shell, 30_000);   // ms: from the spawn to the URL line
//   linuxPaths(text, [prefix])               // the Linux paths (/tmp/…, /work/…) a text names
//
// Why a copy: the shell serves the renderer's files from beside its bundle for as long as it
// runs, and scripts/build.mjs empties dist/ first — another test of this tree rebuilding dist/
// meanwhile would pull the page from under it. The copy is built for this test alone.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './childProcess.js';

export interface StagedConsole {
  /** The copy's root: package.json, dist/, node_modules, agent/dist/PushInstallAgent.exe. */
  readonly dir: string;
  /** dist/browser/main.js in it. */
  readonly browserMain: string;
  /** How long scripts/build.mjs --out took. */
  readonly buildMs: number;
}

/**
 * Builds the console into `dir` (created; must not exist or be empty) as an installed copy: the
 * package.json the console finds its root by, the bundles and renderer, this tree's node_modules
 * (a symbolic link: the bundles keep their packages external) and a stand-in agent at the path
 * the console looks for it (the simulated lab runs its own agent; nothing executes this file).
 */
export async function stageConsole(dir: string): Promise<StagedConsole> {
  fs.mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  const build = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs'), '--out', path.join(dir, 'dist')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  build.stdout.on('data', (d: Buffer) => (output += d.toString()));
  build.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => build.kill('SIGKILL'), 120_000);
  const status = await new Promise<number | null>((resolve, reject) => {
    build.once('error', reject);
    build.once('exit', (code) => resolve(code));
  }).finally(() => clearTimeout(timer));
  if (status !== 0) throw new Error(`node scripts/build.mjs --out ${dir}/dist exited ${status}:\n${output}`);
  const buildMs = Date.now() - t0;
  fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(dir, 'agent', 'dist'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'agent', 'dist', 'PushInstallAgent.exe'), Buffer.concat([Buffer.from('MZ'), Buffer.alloc(32 * 1024 - 2, 0x90)]));
  const browserMain = path.join(dir, 'dist', 'browser', 'main.js');
  if (!fs.existsSync(browserMain)) throw new Error(`${browserMain} is missing after the build:\n${output}`);
  return { dir, browserMain, buildMs };
}

/** A shell process whose stdout and stderr go to files (as node.exe's do under Wine). */
export interface ShellProcess {
  readonly pid: number;
  output(): { stdout: string; stderr: string };
  exited(): Promise<{ status: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL by PID if it is still running. */
  kill(): void;
}

/**
 * The browser shell of the copy on this (Linux) Node, its output to files in `outDir` — the same
 * way the Windows side is read, so the two start times are measured alike. Only `env` and what
 * Node needs (PATH, HOME) reach it.
 */
export function startLinuxShell(browserMain: string, args: readonly string[], env: Readonly<Record<string, string>>, outDir: string): ShellProcess {
  fs.mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, 'linux-shell.out');
  const errFile = path.join(outDir, 'linux-shell.err');
  const out = fs.openSync(outFile, 'w');
  const err = fs.openSync(errFile, 'w');
  const child = spawn(process.execPath, [browserMain, ...args], {
    cwd: path.dirname(browserMain),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.homedir(), ...env },
    stdio: ['ignore', out, err],
  });
  fs.closeSync(out);
  fs.closeSync(err);
  if (child.pid === undefined) throw new Error(`could not start ${process.execPath} ${browserMain}`);
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (status, signal) => resolve({ status, signal }));
  });
  return {
    pid: child.pid,
    output: () => ({ stdout: read(outFile), stderr: read(errFile) }),
    exited: () => exited,
    kill: () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

/**
 * The URL the shell prints (PUSHCONSOLE_URL=…), read from its output every 20 ms; `ms` is from
 * `startedAt` (the spawn) to the first read that has it. Rejects with the output when the shell
 * exits first or after timeoutMs.
 */
export async function waitForShellUrl(
  shell: { output(): { stdout: string; stderr: string }; exited(): Promise<unknown> },
  startedAt: number,
  timeoutMs: number,
): Promise<{ url: string; ms: number }> {
  let exited = false;
  void shell.exited().then(() => (exited = true), () => (exited = true));
  for (;;) {
    const { stdout, stderr } = shell.output();
    const match = /^PUSHCONSOLE_URL=(\S+)$/m.exec(stdout);
    if (match) return { url: match[1]!, ms: Date.now() - startedAt };
    if (exited || Date.now() - startedAt > timeoutMs) {
      throw new Error(`the browser shell ${exited ? 'exited' : `printed no URL in ${timeoutMs} ms`}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The Linux paths a text names: /tmp/…, /work/…, /home/… and the like, this tree, and any of `roots`. */
export function linuxPaths(text: string, roots: readonly string[] = []): string[] {
  const hits = new Set<string>();
  for (const m of text.matchAll(/(?<![\w.\\:/-])\/(?:tmp|work|root|home|usr|etc|var|proc|dev|run|opt|srv|mnt)(?![\w.-])[^\s"'`]*/g)) hits.add(m[0]);
  for (const p of [REPO_ROOT, os.tmpdir() + '/', ...roots]) if (text.includes(p)) hits.add(p);
  return [...hits];
}
