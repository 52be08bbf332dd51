// Crash reports. The browser shell, the Electron main process and pushctl install this
// reporter first thing: an uncaught exception or an unhandled rejection writes one report file —
// crash-<ISO time>-<pid>.txt, mode 0600, in <data folder>/crash-reports/, the newest `keep`
// kept — with the time, version, shell, Node version, platform and the error (class, message,
// stack, properties, cause chain), says on stderr where it is, and exits non-zero. Every report
// passes through the secret register (main/smb/auth/secretRegistry.ts) and the password-pattern
// redaction before it is written or printed: no password or NT hash reaches the disk this way.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { PRODUCT_NAME, PRODUCT_VERSION } from './product.js';
import { redact as redactKnown } from '../smb/auth/secretRegistry.js';

export const CRASH_REPORT_FOLDER = 'crash-reports';
/** The exit code after a crash (EX_SOFTWARE): distinct from pushctl's 1 (a check failed) and 2 (usage). */
export const CRASH_EXIT_CODE = 70;
export const DEFAULT_KEEP = 10;
const NAME = /^crash-.+-\d+(?:-\d+)?\.txt$/;
const MAX_CAUSES = 8;

export type CrashShell = 'electron' | 'browser' | 'pushctl';
export type CrashKind = 'uncaughtException' | 'unhandledRejection';

export interface CrashReporterOptions {
  /** The folder reports go to: crashReportDir(dataDir). Created (0700) at the first crash only. */
  readonly dir: string;
  readonly shell: CrashShell;
  /** How many reports to keep, newest first (default 10). */
  readonly keep?: number;
  /** More redaction, applied after the secret register's and the password patterns'. */
  readonly redact?: (text: string) => string;
  /** Ends the process (default process.exit). */
  readonly exit?: (code: number) => void;
  /** Where the one-line notice goes (default: stderr, written synchronously). */
  readonly notify?: (line: string) => void;
}

export interface CrashReporter {
  /** Removes the handlers (tests). */
  uninstall(): void;
}

export function crashReportDir(dataDir: string): string {
  return path.join(dataDir, CRASH_REPORT_FOLDER);
}

function describeValue(value: unknown): string {
  return util.inspect(value, { depth: 3, breakLength: 100, maxArrayLength: 20, maxStringLength: 2000 });
}

function className(error: Error): string {
  const ctor = (error as { constructor?: { name?: unknown } }).constructor;
  const fromCtor = typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : null;
  return fromCtor && fromCtor !== error.name ? `${fromCtor} (name ${error.name})` : (fromCtor ?? error.name);
}

/** Own properties an error carries besides message, stack and cause (code, errno, syscall…). */
function extraProperties(error: Error): string | null {
  const extra: Record<string, unknown> = {};
  for (const key of Object.keys(error)) if (!['message', 'stack', 'cause', 'name', 'errors'].includes(key)) extra[key] = (error as unknown as Record<string, unknown>)[key];
  return Object.keys(extra).length ? describeValue(extra) : null;
}

/** The error, its properties and its cause chain (and an AggregateError's errors) as text. */
export function describeError(value: unknown): string {
  const out: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = value;
  for (let depth = 0; depth <= MAX_CAUSES; depth++) {
    const head = depth === 0 ? '' : 'Caused by — ';
    if (seen.has(current)) {
      out.push(`${head}(the same object again: a cycle)`);
      break;
    }
    seen.add(current);
    if (current instanceof Error) {
      out.push(`${head}Error class: ${className(current)}`);
      out.push(`Message: ${current.message}`);
      out.push('Stack:');
      out.push(...(current.stack ?? '(none)').split('\n').map((l) => `  ${l}`));
      const extra = extraProperties(current);
      if (extra) out.push(`Properties: ${extra}`);
      if (current instanceof AggregateError) {
        current.errors.forEach((e: unknown, i: number) => out.push(`Aggregated error ${i + 1}: ${e instanceof Error ? `${className(e)}: ${e.stack ?? e.message}` : describeValue(e)}`));
      }
      if (!('cause' in current) || current.cause === undefined) break;
      current = current.cause;
      out.push('');
    } else {
      out.push(`${head}A value that is not an Error (${current === null ? 'null' : typeof current}): ${describeValue(current)}`);
      break;
    }
    if (depth === MAX_CAUSES) out.push(`(the cause chain goes on past ${MAX_CAUSES} causes)`);
  }
  return out.join('\n');
}

/** The report's text before redaction. */
export function formatCrashReport(error: unknown, kind: CrashKind, shell: CrashShell, at: Date = new Date()): string {
  const versions = process.versions as NodeJS.ProcessVersions & { electron?: string };
  return [
    `${PRODUCT_NAME} crash report`,
    `Time: ${at.toISOString()}`,
    `Version: ${PRODUCT_VERSION}`,
    `Shell: ${shell}`,
    `Node: ${process.version}${versions.electron ? ` (Electron ${versions.electron})` : ''}`,
    `Platform: ${process.platform} ${process.arch} (${os.release()})`,
    `Process: ${process.pid}`,
    `What happened: ${kind === 'uncaughtException' ? 'an uncaught exception' : 'an unhandled promise rejection'}`,
    '',
    describeError(error),
    '',
  ].join('\n');
}

/** Keeps the `keep` newest reports in `dir` (by name: the ISO time sorts), deletes the rest. */
export function pruneCrashReports(dir: string, keep: number): string[] {
  const reports = fs.readdirSync(dir).filter((f) => NAME.test(f)).sort().reverse();
  const removed = reports.slice(Math.max(0, keep));
  for (const f of removed) {
    try {
      fs.rmSync(path.join(dir, f), { force: true });
    } catch {
      // One that cannot be removed stays; the next crash tries again.
    }
  }
  return removed;
}

/** Writes one redacted report (0600) and prunes the folder; returns its path. */
export function writeCrashReport(error: unknown, kind: CrashKind, options: Pick<CrashReporterOptions, 'dir' | 'shell' | 'keep' | 'redact'>): string {
  const at = new Date();
  const extra = options.redact ?? ((t: string) => t);
  const text = extra(redactKnown(formatCrashReport(error, kind, options.shell, at)));
  fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  // Colons are not allowed in Windows file names: 2025-01-31T12-00-00.000Z.
  const stem = `crash-${at.toISOString().replace(/:/g, '-')}-${process.pid}`;
  for (let n = 0; ; n++) {
    const file = path.join(options.dir, `${stem}${n === 0 ? '' : `-${n}`}.txt`);
    try {
      fs.writeFileSync(file, text, { encoding: 'utf8', mode: 0o600, flag: 'wx' });
      fs.chmodSync(file, 0o600);
      pruneCrashReports(options.dir, Math.max(1, options.keep ?? DEFAULT_KEEP));
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 100) throw e;
    }
  }
}

let installed: CrashReporter | null = null;

/**
 * Installs the process's uncaughtException and unhandledRejection handlers (once: a second call
 * returns the first reporter). Nothing is written until something crashes.
 */
export function installCrashReporter(options: CrashReporterOptions): CrashReporter {
  if (installed) return installed;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const notify =
    options.notify ??
    ((line: string) => {
      try {
        fs.writeSync(2, `${line}\n`);
      } catch {
        // stderr is gone: the report is all there is.
      }
    });
  const scrub = (text: string) => (options.redact ?? ((t: string) => t))(redactKnown(text));
  let crashing = false;
  const crash = (error: unknown, kind: CrashKind) => {
    if (crashing) return; // a second failure while reporting the first: the first one's exit follows
    crashing = true;
    const summary = scrub(error instanceof Error ? `${error.name}: ${error.message}` : describeValue(error)).split('\n')[0]!.slice(0, 500);
    try {
      const file = writeCrashReport(error, kind, options);
      notify(`${PRODUCT_NAME} stopped after an unexpected error (${summary}). A crash report was written to ${file} — attach it when you report the problem.`);
    } catch (writeError) {
      notify(`${PRODUCT_NAME} stopped after an unexpected error (${summary}). The crash report could not be written to ${options.dir}: ${scrub(writeError instanceof Error ? writeError.message : String(writeError))}`);
      notify(scrub(formatCrashReport(error, kind, options.shell)));
    }
    exit(CRASH_EXIT_CODE);
  };
  const onException = (error: unknown) => crash(error, 'uncaughtException');
  const onRejection = (reason: unknown) => crash(reason, 'unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  installed = {
    uninstall: () => {
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
      installed = null;
    },
  };
  return installed;
}
