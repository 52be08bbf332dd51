// Child process for test/unit/crashReport.test.ts: installs the crash reporter, registers the
// secret it is given (environment PIC_CRASH_SECRET), then crashes with it in the error.
//
//   node --import tsx test/support/crashReportChild.ts <reports dir> <keep> throw|reject
//
// throw:  an uncaught LeakyError whose message holds the password, whose properties hold its
//         base64 and NT hash, and whose cause holds its UTF-16LE form and a `password=` pair of a
//         second, unregistered password (PIC_CRASH_UNREGISTERED).
// reject: an unhandled rejection whose message holds the password and a JSON `"password":"…"`
//         of the unregistered one.
import { installCrashReporter } from '../../main/app/crashReport.js';
import { registerSecret } from '../../main/smb/auth/secretRegistry.js';
import { ntHash } from '../../main/smb/auth/ntlm/client.js';

const [dir, keep, mode] = process.argv.slice(2);
const secret = process.env.PIC_CRASH_SECRET;
const other = process.env.PIC_CRASH_UNREGISTERED;
if (!dir || !keep || !secret || !other || (mode !== 'throw' && mode !== 'reject')) {
  process.stderr.write('usage: crashReportChild.ts <dir> <keep> throw|reject (PIC_CRASH_SECRET, PIC_CRASH_UNREGISTERED set)\n');
  process.exit(2);
}
installCrashReporter({ dir, shell: 'pushctl', keep: Number(keep) });
registerSecret(secret);

class LeakyError extends Error {
  constructor(message: string, readonly detail: Record<string, string>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LeakyError';
  }
}

function connectWith(password: string): never {
  const cause = new TypeError(`logon refused for LAB\\admin with ${Buffer.from(password, 'utf16le').toString('latin1')}; retried with password=${other}`);
  throw new LeakyError(`could not log on with password ${password}`, { base64: Buffer.from(password).toString('base64'), nt: ntHash(password).toString('hex').toUpperCase() }, { cause });
}

if (mode === 'throw') {
  setTimeout(() => connectWith(secret), 10);
} else {
  void Promise.reject(new RangeError(`request {"user":"admin","password":"${other}"} for ${secret} failed`, { cause: { code: 'E_LEAK', value: secret } }));
}
// Keeps the event loop alive; the reporter ends the process.
setTimeout(() => process.exit(0), 30_000);
