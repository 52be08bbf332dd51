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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`pushctl: ${redact(error instanceof Error ? error.message : String(error))}\n`);
    process.exit(1);
  },
);
