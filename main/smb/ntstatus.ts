// NTSTATUS values (MS-ERREF 2.3.1): the one table for the client and the lab's server. The ones the
// push meets have the error class of docs/ARCHITECTURE.md §7 and one sentence of advice for the
// admin; anything without a meaning is class `smb-protocol`. The last group only a server
// produces (file-system and handle errors the push never meets from Windows); the lab answers them.
import type { ErrorClass } from '../ipc/errorClasses.js';
export const Status = {
  SUCCESS: 0x00000000,
  PENDING: 0x00000103,
  BUFFER_OVERFLOW: 0x80000005,
  NO_MORE_FILES: 0x80000006,
  END_OF_FILE: 0xc0000011,
  NO_SUCH_FILE: 0xc000000f,
  MORE_PROCESSING_REQUIRED: 0xc0000016,
  INVALID_PARAMETER: 0xc000000d,
  ACCESS_DENIED: 0xc0000022,
  OBJECT_NAME_NOT_FOUND: 0xc0000034,
  OBJECT_NAME_COLLISION: 0xc0000035,
  OBJECT_PATH_NOT_FOUND: 0xc000003a,
  SHARING_VIOLATION: 0xc0000043,
  DELETE_PENDING: 0xc0000056,
  DIRECTORY_NOT_EMPTY: 0xc0000101,
  NO_LOGON_SERVERS: 0xc000005e,
  NO_SUCH_USER: 0xc0000064,
  WRONG_PASSWORD: 0xc000006a,
  LOGON_FAILURE: 0xc000006d,
  ACCOUNT_RESTRICTION: 0xc000006e,
  INVALID_LOGON_HOURS: 0xc000006f,
  INVALID_WORKSTATION: 0xc0000070,
  PASSWORD_EXPIRED: 0xc0000071,
  ACCOUNT_DISABLED: 0xc0000072,
  DISK_FULL: 0xc000007f,
  INSUFFICIENT_RESOURCES: 0xc000009a,
  PIPE_NOT_AVAILABLE: 0xc00000ac,
  PIPE_BUSY: 0xc00000ae,
  PIPE_DISCONNECTED: 0xc00000b0,
  IO_TIMEOUT: 0xc00000b5,
  FILE_IS_A_DIRECTORY: 0xc00000ba,
  NOT_SUPPORTED: 0xc00000bb,
  NETWORK_ACCESS_DENIED: 0xc00000ca,
  BAD_NETWORK_NAME: 0xc00000cc,
  REQUEST_NOT_ACCEPTED: 0xc00000d0,
  CANCELLED: 0xc0000120,
  PIPE_BROKEN: 0xc000014b,
  TRUSTED_RELATIONSHIP_FAILURE: 0xc000018d,
  USER_SESSION_DELETED: 0xc0000203,
  PASSWORD_MUST_CHANGE: 0xc0000224,
  NOT_FOUND: 0xc0000225,
  ACCOUNT_LOCKED_OUT: 0xc0000234,
  NTLM_BLOCKED: 0xc0000418,
  NETWORK_SESSION_EXPIRED: 0xc000035c,
  VIRUS_INFECTED: 0xc0000906,
  VIRUS_DELETED: 0xc0000907,
  // What the lab's server answers besides the above.
  INVALID_INFO_CLASS: 0xc0000003,
  INFO_LENGTH_MISMATCH: 0xc0000004,
  INVALID_HANDLE: 0xc0000008,
  INVALID_DEVICE_REQUEST: 0xc0000010,
  OBJECT_NAME_INVALID: 0xc0000033,
  NOT_A_DIRECTORY: 0xc0000103,
  FILE_CLOSED: 0xc0000128,
  NETWORK_NAME_DELETED: 0xc00000c9,
  INTERNAL_ERROR: 0xc00000e5,
  NO_PREAUTH_INTEGRITY_HASH_OVERLAP: 0xc05d0000,
} as const;

/** Statuses whose response carries the command's normal body, not the ERROR body (MS-SMB2 3.3.4.4). */
export function hasNormalBody(status: number): boolean {
  return status === Status.SUCCESS || status === Status.BUFFER_OVERFLOW || status === Status.MORE_PROCESSING_REQUIRED;
}

const names = new Map<number, string>(Object.entries(Status).map(([k, v]) => [v, `STATUS_${k}`]));

export function statusName(status: number): string {
  return names.get(status >>> 0) ?? `0x${(status >>> 0).toString(16).padStart(8, '0').toUpperCase()}`;
}

export interface StatusMeaning {
  readonly errorClass: ErrorClass;
  readonly advice: string;
}

const LOGON: StatusMeaning = {
  errorClass: 'logon-failure',
  advice: 'Check the user name, domain and password set for this computer (Set Credentials…).',
};
const UAC_HINT =
  'Use an account in the computer\'s Administrators group. A local account other than the built-in Administrator gets a filtered token over the network (UAC remote restrictions): use a domain account, the built-in Administrator, or set LocalAccountTokenFilterPolicy=1.';

const meanings = new Map<number, StatusMeaning>([
  [Status.LOGON_FAILURE, LOGON],
  [Status.WRONG_PASSWORD, LOGON],
  [Status.NO_SUCH_USER, LOGON],
  [Status.NO_LOGON_SERVERS, { errorClass: 'logon-failure', advice: 'The computer could not reach a domain controller to check the account; check its domain connectivity or use a local administrator.' }],
  [Status.TRUSTED_RELATIONSHIP_FAILURE, { errorClass: 'logon-failure', advice: 'The computer has lost its trust with the domain; rejoin it to the domain or use a local administrator.' }],
  [Status.ACCOUNT_RESTRICTION, { errorClass: 'logon-failure', advice: 'The account may not log on over the network (a blank password, or a policy); give it a password or use another administrator.' }],
  [Status.INVALID_LOGON_HOURS, { errorClass: 'logon-failure', advice: 'The account may not log on at this time of day; use another administrator or push later.' }],
  [Status.INVALID_WORKSTATION, { errorClass: 'logon-failure', advice: 'The account may not log on from this console\'s computer; use another administrator.' }],
  [Status.PASSWORD_EXPIRED, { errorClass: 'logon-failure', advice: 'The account\'s password has expired; change it, then set the new one here.' }],
  [Status.PASSWORD_MUST_CHANGE, { errorClass: 'logon-failure', advice: 'The account must change its password before it can log on; change it, then set the new one here.' }],
  [Status.ACCOUNT_DISABLED, { errorClass: 'logon-failure', advice: 'The account is disabled on that computer or domain; enable it or use another administrator.' }],
  [Status.ACCOUNT_LOCKED_OUT, { errorClass: 'logon-failure', advice: 'The account is locked out after failed logons; unlock it and check the password before retrying.' }],
  // MS-ERREF 2.3.1: "The authentication failed since NTLM was blocked" — the server's "Network security:
  // Restrict NTLM: Incoming NTLM traffic" policy (Deny all) refuses the NTLM leg of SESSION_SETUP.
  [Status.NTLM_BLOCKED, { errorClass: 'ntlm-blocked', advice: 'The computer blocks incoming NTLM: push by its DNS name with a domain credential that keeps its password, so the console logs on with Kerberos.' }],
  [Status.ACCESS_DENIED, { errorClass: 'access-denied', advice: UAC_HINT }],
  [Status.NETWORK_ACCESS_DENIED, { errorClass: 'access-denied', advice: UAC_HINT }],
  [Status.BAD_NETWORK_NAME, { errorClass: 'admin-share-missing', advice: 'The share does not exist. ADMIN$ is removed when AutoShareWks/AutoShareServer is 0 under LanmanServer\\Parameters; restore it and restart the Server service.' }],
  [Status.VIRUS_INFECTED, { errorClass: 'copy-blocked', advice: 'The computer\'s antivirus blocked the agent. Allow the console\'s agent in the antivirus, or push with the antivirus vendor\'s tools.' }],
  [Status.VIRUS_DELETED, { errorClass: 'copy-blocked', advice: 'The computer\'s antivirus deleted the agent. Allow the console\'s agent in the antivirus, or push with the antivirus vendor\'s tools.' }],
  [Status.SHARING_VIOLATION, { errorClass: 'copy-blocked', advice: 'Another program has the file open on that computer (often an antivirus scan); retry in a minute.' }],
  [Status.DISK_FULL, { errorClass: 'target-disk-full', advice: 'The computer\'s system drive is full; free space on it and retry.' }],
  [Status.NOT_SUPPORTED, { errorClass: 'smb-negotiate', advice: 'The computer refused what the console asked for; check its SMB settings (minimum dialect, signing, encryption).' }],
  [Status.IO_TIMEOUT, { errorClass: 'timeout', advice: 'The computer did not complete the operation in time; check its load and the network, then retry.' }],
  [Status.USER_SESSION_DELETED, { errorClass: 'smb-session', advice: 'The computer ended the session (it restarted or the Server service did); retry.' }],
  [Status.NETWORK_SESSION_EXPIRED, { errorClass: 'smb-session', advice: 'The session expired; retry.' }],
  [Status.REQUEST_NOT_ACCEPTED, { errorClass: 'smb-session', advice: 'The computer accepts no more connections (a client edition\'s limit); retry later.' }],
  [Status.INSUFFICIENT_RESOURCES, { errorClass: 'smb-session', advice: 'The computer is short of resources; retry later.' }],
  [Status.OBJECT_NAME_NOT_FOUND, { errorClass: 'not-found', advice: 'The file or pipe does not exist on that computer.' }],
  [Status.OBJECT_PATH_NOT_FOUND, { errorClass: 'not-found', advice: 'The folder does not exist on that computer.' }],
  [Status.PIPE_NOT_AVAILABLE, { errorClass: 'not-found', advice: 'The named pipe is not available: the service behind it is not running.' }],
  [Status.PIPE_BUSY, { errorClass: 'pipe-busy', advice: 'Every instance of the named pipe is in use (another tool holds it); retry in a minute.' }],
]);

export function statusMeaning(status: number): StatusMeaning {
  return (
    meanings.get(status >>> 0) ?? {
      errorClass: 'smb-protocol',
      advice: 'The computer answered with an error the console does not expect; export the logs and report it.',
    }
  );
}
