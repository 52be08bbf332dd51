/** Types for startExit.mjs (npm start's exit status and message when its console ends). */
import type { ChildProcess } from 'node:child_process';

export const FORWARDED_SIGNALS: readonly ['SIGINT', 'SIGTERM'];

export interface ConsoleDataDirOptions {
  /** Electron keeps its data in userData; the browser shell in the XDG data folder. Default: browser. */
  shell?: 'electron' | 'browser';
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
  /** Electron's app name (package.json productName). */
  productName?: string;
}

/** The console's data folder, as main/app/dataDir.ts resolves it. */
export function consoleDataDir(options?: ConsoleDataDirOptions): string;
/** <data folder>/crash-reports. */
export function consoleCrashReportDir(options?: ConsoleDataDirOptions): string;

export interface ConsoleExitDecision {
  exitCode: number;
  /** The line for stderr, or null for a clean exit. */
  message: string | null;
}

export function consoleExitDecision(input: {
  code: number | null;
  signal: NodeJS.Signals | string | null;
  /** The signal npm start received and passed on to the console, or null. */
  forwardedSignal?: string | null;
  crashReportDir: string;
}): ConsoleExitDecision;

export function superviseConsole(
  child: ChildProcess,
  options?: { crashReportDir?: string; exit?: (code: number) => void; stderr?: { write(text: string): unknown } },
): void;
