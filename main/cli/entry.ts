// The pushctl process: runs main() and turns its result into the exit code.
import { parseArgs } from 'node:util';
import { crashReportDir, installCrashReporter } from '../app/crashReport.js';
import { resolveDataDir } from '../app/dataDir.js';
import { redact, registerSecret } from '../smb/auth/secretRegistry.js';
import { main } from './pushctl.js';

// A crash leaves a redacted report in <data folder>/crash-reports/ (the --data folder
// when given) and exit code 70. The password pushctl reads from --password-env is registered so
// that no report carries it.
{
  const { values } = parseArgs({ args: process.argv.slice(2), allowPositionals: true, strict: false, options: { data: { type: 'string' }, 'password-env': { type: 'string' } } });
  installCrashReporter({ dir: crashReportDir(typeof values.data === 'string' ? values.data : resolveDataDir()), shell: 'pushctl' });
  const variable = values['password-env'];
  if (typeof variable === 'string') registerSecret(process.env[variable]);
}

/**
 * process.exit() once stdout and stderr have passed on everything written to them (an empty write's
 * callback runs after the writes queued before it). Writes to a terminal are asynchronous on
 * Windows, and to a pipe on Linux: an exit right after the --json report dropped what was still
 * queued (seen on Linux: 64 KiB of a 1 MB write reached `| slow-reader`), so a large report was cut.
 * A reader that never reads does not hold pushctl forever: it exits after 10 s regardless; nor does
 * one that went away (EPIPE) turn the exit into a crash.
 */
function exitWhenWritten(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  setTimeout(() => process.exit(code), 10_000).unref();
  process.stdout.once('error', () => process.exit(code));
  process.stderr.once('error', () => process.exit(code));
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main(process.argv.slice(2)).then(
  (code) => exitWhenWritten(code),
  (error: unknown) => {
    process.stderr.write(`pushctl: ${redact(error instanceof Error ? error.message : String(error))}\n`);
    exitWhenWritten(1);
  },
);
