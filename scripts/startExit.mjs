// How `npm start` ends when its console ends (scripts/start.mjs): 0 only for a clean exit (code 0,
// or the console stopped on the SIGINT/SIGTERM npm start was sent and passed on); the console's own
// non-zero code, said in one line; or, for a signal nobody asked for (SIGKILL, SIGSEGV…), one line
// naming it and the crash-report folder, and 128 + the signal's number, as a shell reports it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The signals start.mjs passes on to the console; the console ending on one of them is a clean stop. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM'];

// The same as main/app/dataDir.ts (DATA_DIR_ENV, APP_FOLDER) and main/app/crashReport.ts
// (CRASH_REPORT_FOLDER); test/unit/startExit.test.ts checks they agree.
const DATA_DIR_ENV = 'PUSHCONSOLE_DATA_DIR';
const APP_FOLDER = 'push-install-console';
const CRASH_REPORT_FOLDER = 'crash-reports';

function productName() {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    return pkg.productName || pkg.name || APP_FOLDER;
  } catch {
    return APP_FOLDER;
  }
}

/**
 * The console's data folder as resolveDataDir (main/app/dataDir.ts) finds it: PUSHCONSOLE_DATA_DIR
 * wins; the browser shell uses the XDG data folder (on Windows Electron's, %APPDATA%\<productName>); Electron its userData
 * (<appData>/<productName>: ~/.config on Linux, ~/Library/Application Support on macOS, %APPDATA%).
 */
export function consoleDataDir(options = {}) {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = options.home ?? os.homedir();
  const override = env[DATA_DIR_ENV];
  if (override && override.trim() !== '') return path.resolve(override);
  const appData = env.APPDATA && path.win32.isAbsolute(env.APPDATA) ? env.APPDATA : path.join(home, 'AppData', 'Roaming');
  if (options.shell === 'electron') {
    const name = options.productName ?? productName();
    if (platform === 'win32') return path.join(appData, name);
    if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', name);
    const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
    return path.join(config, name);
  }
  // Windows: the browser shell and pushctl share Electron's folder, %APPDATA%\<productName> (main/app/dataDir.ts).
  if (platform === 'win32') return path.join(appData, options.productName ?? productName());
  const xdg = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(home, '.local', 'share');
  return path.join(xdg, APP_FOLDER);
}

/** <data folder>/crash-reports, as crashReportDir (main/app/crashReport.ts) names it. */
export function consoleCrashReportDir(options = {}) {
  return path.join(consoleDataDir(options), CRASH_REPORT_FOLDER);
}

/**
 * Pure: how npm start exits after the console exited with `code` or died of `signal`, given the
 * signal npm start itself received and passed on (null: none).
 */
export function consoleExitDecision({ code, signal, forwardedSignal = null, crashReportDir }) {
  const stopAsked = forwardedSignal !== null;
  if (signal) {
    if (stopAsked && FORWARDED_SIGNALS.includes(signal)) return { exitCode: 0, message: null };
    const number = os.constants.signals[signal];
    return {
      exitCode: number ? 128 + number : 1,
      message: `The console stopped unexpectedly (signal ${signal}). Crash reports are kept in ${crashReportDir}.`,
    };
  }
  if (code === 0 || code === null) return { exitCode: 0, message: null };
  // A console that ends itself on the stop signal the way a shell reports it (130, 143) stopped as asked.
  if (stopAsked && FORWARDED_SIGNALS.some((s) => code === 128 + os.constants.signals[s])) return { exitCode: 0, message: null };
  return { exitCode: code, message: `The console exited with code ${code}.` };
}

/**
 * Passes SIGINT/SIGTERM on to `child`, and when it ends, prints consoleExitDecision's line (if
 * any) on stderr and exits with its code. `options.exit` and `options.stderr` are for tests.
 */
export function superviseConsole(child, options = {}) {
  const { crashReportDir = consoleCrashReportDir(), exit = (code) => process.exit(code), stderr = process.stderr } = options;
  let forwardedSignal = null;
  for (const signal of FORWARDED_SIGNALS) {
    process.on(signal, () => {
      forwardedSignal = signal;
      child.kill(signal);
    });
  }
  child.on('error', (error) => {
    stderr.write(`The console could not be started: ${error.message}\n`);
    exit(1);
  });
  child.on('exit', (code, signal) => {
    const decision = consoleExitDecision({ code, signal, forwardedSignal, crashReportDir });
    if (decision.message) stderr.write(`${decision.message}\n`);
    exit(decision.exitCode);
  });
}
