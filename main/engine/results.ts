// What an agent's result code means for the admin (agent/README.md "Exit codes",
// docs/ARCHITECTURE.md §7): the outcome, the error class, the raw code and one sentence of advice.
// msiexec's own codes (carried as 100000 + N) get their Windows Installer meaning.
import type { TaskTarget } from '../ipc/contract.js';
import type { PushAction, RestartReport } from '../server/agentProtocol.js';
import { defaultAdvice, type ErrorClass } from '../ipc/errorClasses.js';

export type Outcome = NonNullable<TaskTarget['outcome']>;

export interface PushVerdict {
  readonly outcome: Outcome;
  readonly errorClass: ErrorClass | null;
  readonly code: string | null;
  readonly message: string;
  readonly advice: string;
  readonly rebootRequired: boolean;
}

/** Windows Installer exit codes (MsiExec.exe and InstMsi.exe error messages). */
export const MSI_CODES: Readonly<Record<number, { meaning: string; advice: string }>> = {
  1601: { meaning: 'the Windows Installer service could not be accessed', advice: 'Start the "Windows Installer" service on the computer (or repair it), then retry.' },
  1602: { meaning: 'the installation was cancelled', advice: 'Something on the computer cancelled the installation; retry.' },
  1603: { meaning: 'a fatal error occurred during installation', advice: 'Open the MSI log (View Selected Logs) and search for "Return value 3" to find the failing action.' },
  1605: { meaning: 'the product is not installed', advice: 'Nothing to change on this computer for this action.' },
  1612: { meaning: 'the installation source is not available', advice: 'Retry; the package may have been removed from the console meanwhile.' },
  1618: { meaning: 'another installation is already in progress', advice: 'Wait until the other installation (often Windows Update) finishes, then retry failed.' },
  1619: { meaning: 'the installation package could not be opened', advice: 'The package is damaged or unreadable; recreate it from the original .msi.' },
  1620: { meaning: 'the installation package could not be opened (invalid package)', advice: 'The file is not a valid Windows Installer package; recreate it from the original .msi.' },
  1627: { meaning: 'the function failed during execution (Wine reports this where Windows says 1603 or 1620)', advice: 'Open the MSI log (View Selected Logs) to find the failing action or the damaged package.' },
  1624: { meaning: 'the transform could not be applied', advice: 'Check the TRANSFORMS parameter of the package.' },
  1625: { meaning: 'the installation is forbidden by system policy', advice: 'A Group Policy forbids this installation; ask your domain administrator.' },
  1633: { meaning: 'the package is not supported on this platform', advice: 'Use the package built for this computer\'s architecture (x64/x86/ARM64).' },
  1638: { meaning: 'another version of this product is already installed', advice: 'Uninstall the other version first, or use a package that upgrades it.' },
  1639: { meaning: 'the command line is invalid', advice: 'Check the package\'s command-line parameters.' },
  1641: { meaning: 'the installation succeeded and a restart was started', advice: 'The computer is restarting.' },
  3010: { meaning: 'the installation succeeded; a restart is required', advice: 'Restart the computer to finish the installation.' },
};

export function msiMeaning(code: number): string {
  return MSI_CODES[code]?.meaning ?? `Windows Installer error ${code}`;
}

/** The agent's own codes; without advice, the class's default (errorClasses.ts) applies. */
const AGENT_CODES: Readonly<Record<number, { errorClass: ErrorClass; message: string; advice?: string }>> = {
  1: { errorClass: 'agent-internal', message: 'The agent failed internally (out of memory or a system call).' },
  2: { errorClass: 'service-start', message: 'The agent was not started as a service.', advice: 'Retry the push; check the computer\'s event log (Service Control Manager events).' },
  10: { errorClass: 'agent-job', message: 'The agent could not read its job file.' },
  11: { errorClass: 'agent-no-callback', message: 'The agent could not reach the console on the callback port.' },
  12: { errorClass: 'agent-certificate', message: 'The agent reached a server whose certificate is not the console\'s.' },
  13: { errorClass: 'integrity', message: 'The package the agent received does not match its SHA-256; nothing was installed.' },
  14: { errorClass: 'cancelled', message: 'The agent was stopped before it finished.' },
  15: { errorClass: 'agent-token', message: 'The console refused the agent\'s token (expired or already used).' },
  16: { errorClass: 'download', message: 'The agent could not download the package.' },
  17: { errorClass: 'already-done', message: 'This run already finished on the computer; the agent did not install twice.' },
  18: { errorClass: 'msi-launch', message: 'The agent could not start msiexec under the chosen account.' },
  19: { errorClass: 'cancelled', message: 'The agent was stopped while it waited for the restart: the pending restart was cancelled (AbortSystemShutdownW).', advice: 'Restart Computers… in Installation History when the computer may restart.' },
};

/** The codes whose words differ when the package came over SMB (the smb transport, or auto after it switched). */
const SMB_AGENT_CODES: Readonly<Record<number, { message: string; advice: string }>> = {
  11: { message: 'The agent reached no console and no package arrived over SMB while it waited.', advice: 'Check the copy step in the log (the computer\'s free space, its antivirus), then retry; or allow TCP 2224 to the console.' },
  13: { message: 'A package file copied to the computer does not match its SHA-256; nothing was installed.', advice: 'Something changed the copy on the computer (an antivirus scan?) or the package changed on the console during the push; retry.' },
  16: { message: 'The agent could not read the package copied beside it.', advice: 'See the agent\'s log in the step log (a file missing or locked); retry.' },
};

/** What a successful run did, per action: "Installed." / "Removed." / "Repaired.". */
const DONE: Readonly<Record<PushAction, string>> = { install: 'Installed', uninstall: 'Removed', repair: 'Repaired', restart: 'Restart scheduled' };

/** A reboot code's meaning and advice, in the words of the action. */
const REBOOT: Readonly<Record<PushAction, Readonly<Record<3010 | 1641, { meaning: string; advice: string }>>>> = {
  install: { 3010: MSI_CODES[3010]!, 1641: MSI_CODES[1641]! },
  uninstall: {
    3010: { meaning: 'the product was removed; a restart is required', advice: 'Restart the computer to finish the removal.' },
    1641: { meaning: 'the product was removed and a restart was started', advice: 'The computer is restarting.' },
  },
  repair: {
    3010: { meaning: 'the repair succeeded; a restart is required', advice: 'Restart the computer to finish the repair.' },
    1641: { meaning: 'the repair succeeded and a restart was started', advice: 'The computer is restarting.' },
  },
  // A restart task runs no msiexec: these codes do not come back from it.
  restart: { 3010: MSI_CODES[3010]!, 1641: MSI_CODES[1641]! },
};

/**
 * The verdict for an agent result code (0, 10..18, 100000 + msiexec code) of a run with this
 * action. 1605 (ERROR_UNKNOWN_PRODUCT: the package's product is not installed) depends on it: an
 * uninstall of a product that is not there has nothing to do and succeeds (idempotent, as PDQ
 * Deploy counts it), a repair of it fails with the class `not-installed`.
 */
export function verdictForAgentCode(code: number, action: PushAction = 'install', carriedBy: 'callback' | 'smb' = 'callback'): PushVerdict {
  if (code === 0) return { outcome: 'succeeded', errorClass: null, code: '0', message: `${DONE[action]}.`, advice: '', rebootRequired: false };
  if (code >= 100000) {
    const msi = code - 100000;
    const meaning = MSI_CODES[msi];
    if (msi === 3010 || msi === 1641) {
      const reboot = REBOOT[action][msi];
      return { outcome: 'succeeded-reboot-required', errorClass: null, code: `MSI ${msi}`, message: `${DONE[action]}; msiexec returned ${msi}: ${reboot.meaning}.`, advice: reboot.advice, rebootRequired: true };
    }
    if (msi === 1605 && action === 'uninstall') {
      return { outcome: 'succeeded', errorClass: null, code: 'MSI 1605', message: 'The product was not installed: nothing to remove.', advice: '', rebootRequired: false };
    }
    if (msi === 1605 && action === 'repair') {
      return {
        outcome: 'failed', errorClass: 'not-installed', code: 'MSI 1605',
        message: 'msiexec returned 1605: the product is not installed, so there is nothing to repair.',
        advice: defaultAdvice('not-installed'),
        rebootRequired: false,
      };
    }
    return {
      outcome: 'failed',
      errorClass: 'msi-failed',
      code: `MSI ${msi}`,
      message: `msiexec returned ${msi}: ${msiMeaning(msi)}.`,
      advice: meaning?.advice ?? defaultAdvice('msi-failed'),
      rebootRequired: false,
    };
  }
  const known = AGENT_CODES[code];
  if (known) {
    const words = (carriedBy === 'smb' ? SMB_AGENT_CODES[code] : undefined) ?? { message: known.message, advice: known.advice ?? defaultAdvice(known.errorClass) };
    return { outcome: known.errorClass === 'cancelled' ? 'cancelled' : 'failed', errorClass: known.errorClass, code: `AGENT ${code}`, ...words, rebootRequired: false };
  }
  return { outcome: 'failed', errorClass: 'agent-internal', code: `AGENT ${code}`, message: `The agent ended with an unknown code ${code}.`, advice: 'The agent on the computer may be from another console version; retry.', rebootRequired: false };
}

/** The verdict with what the agent did about the restart: scheduled (the advice no longer asks the admin to restart it), refused, left to msiexec. */
export function withRestart(verdict: PushVerdict, restart: RestartReport | null): PushVerdict {
  if (!restart) return verdict;
  const at = restart.at ? new Date(restart.at).toISOString().slice(11, 16) : null;
  if (restart.state === 'scheduled') {
    const how = restart.asked ? `the logged-on user was asked; it restarts at ${at ?? '?'} UTC at the latest` : `it restarts at ${at ?? '?'} UTC`;
    return { ...verdict, message: `${verdict.message} Restart scheduled: ${how}.`, advice: 'Nothing to do: History follows the restart; Cancel Restart stops it.' };
  }
  if (restart.state === 'refused') {
    return { ...verdict, message: `${verdict.message} Windows refused the restart (Win32 ${restart.win32 ?? '?'}${restart.win32 === 1115 ? ': a shutdown is already in progress' : ''}).`, advice: 'Restart the computer later (Restart Computers… in History).' };
  }
  return verdict;
}
