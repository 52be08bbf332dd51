// Win32 error codes an MS-SCMR call returns (values from MS-ERREF 2.2; docs/PROTOCOLS.md §6),
// each with the class of docs/ARCHITECTURE.md §7 for the step it failed in, and advice for the
// admin.
import { ConsoleError } from '../ipc/errors.js';
import type { ErrorClass } from '../ipc/errorClasses.js';

export const Win32 = {
  SUCCESS: 0,
  FILE_NOT_FOUND: 2,
  PATH_NOT_FOUND: 3,
  ACCESS_DENIED: 5,
  INVALID_HANDLE: 6,
  INVALID_PARAMETER: 87,
  INVALID_NAME: 123,
  BAD_EXE_FORMAT: 193,
  VIRUS_INFECTED: 225,
  SERVICE_REQUEST_TIMEOUT: 1053,
  SERVICE_ALREADY_RUNNING: 1056,
  SERVICE_DISABLED: 1058,
  SERVICE_DOES_NOT_EXIST: 1060,
  SERVICE_CANNOT_ACCEPT_CTRL: 1061,
  SERVICE_NOT_ACTIVE: 1062,
  SERVICE_LOGON_FAILED: 1069,
  SERVICE_MARKED_FOR_DELETE: 1072,
  SERVICE_EXISTS: 1073,
  SERVICE_NEVER_STARTED: 1077,
  DUPLICATE_SERVICE_NAME: 1078,
  SHUTDOWN_IN_PROGRESS: 1115,
} as const;

const names = new Map<number, string>(Object.entries(Win32).map(([k, v]) => [v, `ERROR_${k}`]));

export function win32Name(code: number): string {
  return names.get(code) ?? `WIN32_${code}`;
}

const UAC_ADVICE =
  'Use an account in the computer\'s Administrators group. A local account other than the built-in Administrator gets a filtered token over the network (UAC remote restrictions): use a domain account, the built-in Administrator, or set LocalAccountTokenFilterPolicy=1.';

const advice: Record<number, string> = {
  [Win32.ACCESS_DENIED]: UAC_ADVICE,
  [Win32.FILE_NOT_FOUND]: 'The agent file is gone from the computer, usually because its antivirus quarantined it; allow the agent in the antivirus and retry.',
  [Win32.PATH_NOT_FOUND]: 'The agent\'s folder is gone from the computer; retry, and check the antivirus if it happens again.',
  [Win32.BAD_EXE_FORMAT]: 'The agent copy is damaged or for another architecture; retry the push.',
  [Win32.VIRUS_INFECTED]: 'The computer\'s antivirus blocked the agent; allow it in the antivirus and retry.',
  [Win32.SERVICE_REQUEST_TIMEOUT]: 'The agent did not report to the Service Control Manager in time (error 1053); check the computer\'s event log (events 7009, 7000) and its antivirus.',
  [Win32.SERVICE_DISABLED]: 'The service is disabled on that computer; retry the push (it creates a new one).',
  [Win32.SERVICE_LOGON_FAILED]: 'The service could not log on; retry the push.',
  [Win32.SERVICE_MARKED_FOR_DELETE]: 'A previous agent service is still open (services.msc, or a handle held by another program); close it or restart the computer.',
  [Win32.SERVICE_EXISTS]: 'A service with this name exists already; remove leftovers and retry.',
  [Win32.SHUTDOWN_IN_PROGRESS]: 'The computer is shutting down; retry when it is back.',
};

/** An MS-SCMR call returned a Win32 error; the class depends on the step (create, start, …). */
export class Win32Error extends ConsoleError {
  readonly win32: number;
  readonly call: string;

  constructor(code: number, call: string, stepClass: ErrorClass, detail = '') {
    const errorClass = code === Win32.ACCESS_DENIED ? 'access-denied' : stepClass;
    super(errorClass, `${call} failed with ${win32Name(code)} (${code})${detail ? `: ${detail}` : ''}.`, advice[code] ?? 'The Service Control Manager refused the call; check the computer\'s event log.', win32Name(code));
    this.name = 'Win32Error';
    this.win32 = code;
    this.call = call;
  }
}
