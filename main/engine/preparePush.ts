// From a queued target to what one push needs, or to the verdict that ends it before any
// connection: the credential (its problem already judged), the package and its files, the
// callback, the bounds. Pure but for the file reads it is handed (cached hashing in the engine).
import { ConsoleError } from '../ipc/errors.js';
import type { Settings } from '../ipc/contract.js';
import type { PackageFile } from '../server/grants.js';
import { MSIEXEC_SWITCH, type RestartPolicy } from '../server/agentProtocol.js';
import type { TargetRecord } from '../store/tasksRepo.js';
import type { PackagesRepo } from '../store/packagesRepo.js';
import { hashOnlyRefusal, qualifiedUser, type LogonCredential } from './credentials.js';
import type { CredentialProblem } from './credentialBinding.js';
import type { PushTargetSpec, PushTimeouts } from './pushTarget.js';
import { effectiveRunAs, type TaskOptions } from './engineTypes.js';
import type { ErrorClass } from '../ipc/errorClasses.js';
import type { SmbCredentials } from '../smb/session.js';

export type PackageSource = NonNullable<ReturnType<PackagesRepo['source']>>;

/** A push ended before it began: the target's outcome, class, message and advice. */
export interface EarlyVerdict {
  readonly outcome: 'failed';
  readonly errorClass: ErrorClass;
  readonly code: string | null;
  readonly message: string;
  readonly advice: string;
}

export interface PushInputs {
  readonly target: TargetRecord;
  readonly packageId: number | null;
  readonly options: TaskOptions;
  readonly settings: Settings;
  readonly credential: LogonCredential;
  /** The logon material (with the credential's Kerberos identity for the task); default: the NT hash alone. */
  readonly smbCredentials?: SmbCredentials;
  /** Only a hash-only problem reaches here: a missing credential makes the target wait instead. */
  readonly problem: CredentialProblem | null;
  readonly source: PackageSource | undefined;
  /** The package's files with size and SHA-256 (reads the disk); throws when one cannot be read. */
  readonly readFiles: (source: PackageSource) => PackageFile[];
  readonly runId: string;
  readonly attempts: number;
  readonly agentPath: string;
  readonly callback: { readonly port: number; readonly fingerprint: string };
  readonly timeouts: PushTimeouts;
}

export type PreparedPush = { readonly spec: Omit<PushTargetSpec, 'probedAhead'>; readonly startLine: string } | { readonly verdict: EarlyVerdict };

/** The words a logged-on user sees when the message is left empty. */
export const DEFAULT_RESTART_MESSAGE = 'Your computer restarts to finish installing {package}. Save your work.';

/**
 * The least notice a restart gets: the agent reports what it scheduled right after scheduling it,
 * and that report (a POST, or the result file the console polls every few seconds with the SMB
 * transport) must reach the console before Windows goes down. "Restart now" is restart in 15 s.
 */
export const MIN_RESTART_NOTICE_SECONDS = 15;

/** The task's reboot policy as the agent takes it (seconds, the message with the package's name); null for none. */
export function restartPolicy(options: TaskOptions, packageName: string): RestartPolicy | null {
  const r = options.reboot;
  if (!r || r.policy === 'none') return null;
  const message = (r.message.trim() || DEFAULT_RESTART_MESSAGE).replaceAll('{package}', packageName).slice(0, 512);
  return { policy: r.policy, graceSeconds: Math.max(MIN_RESTART_NOTICE_SECONDS, r.graceMinutes * 60), forceAfterSeconds: r.forceAfterMinutes * 60, message };
}

export function preparePush(i: PushInputs): PreparedPush {
  if (i.problem?.kind === 'hash-only') return { verdict: { outcome: 'failed', code: null, ...hashOnlyRefusal([qualifiedUser(i.credential)]) } };
  if (!i.source) return { verdict: { outcome: 'failed', errorClass: 'package', code: null, message: 'The task\'s package no longer exists.', advice: 'Create the package again and redeploy.' } };
  let files: PackageFile[];
  try {
    files = i.readFiles(i.source);
  } catch (error) {
    const e = error instanceof ConsoleError ? error : new ConsoleError('package', `A file the push needs cannot be read: ${(error as Error).message}`, 'Check the package files and that the agent is built (npm run build:agent).');
    return { verdict: { outcome: 'failed', errorClass: e.errorClass, code: e.code, message: e.message, advice: e.advice } };
  }
  const host = i.target.address ?? i.target.computer_name;
  const port = i.target.port ?? 445;
  const action = i.options.action ?? 'install';
  const user = qualifiedUser(i.credential);
  const transport = i.options.transport ?? 'callback';
  const startLine = `${action === 'install' ? '' : action === 'restart' ? 'restart (no msiexec): ' : `${action} (msiexec ${MSIEXEC_SWITCH[action]}): `}push ${i.attempts > 1 ? `attempt ${i.attempts} ` : ''}to ${host}${port !== 445 ? `:${port}` : ''} as ${user} (run ${i.runId}; transport ${transport}${transport === 'smb' ? ', installing as SYSTEM' : ''})`;
  const callbackHosts = i.settings.callbackAddress.trim() ? i.settings.callbackAddress.split(/[,\s]+/).filter(Boolean) : [];
  return {
    startLine,
    spec: {
      targetId: i.target.id, host, logonName: i.target.computer_name, port, runId: i.runId,
      credentials: i.smbCredentials ?? { user, ntHash: i.credential.ntHash },
      agentPath: i.agentPath,
      packageId: `pkg-${i.packageId}`,
      files,
      parameters: i.source.parameters,
      runAs: effectiveRunAs(i.options),
      action,
      transport,
      ...(restartPolicy(i.options, i.source.name) ? { restart: restartPolicy(i.options, i.source.name)! } : {}),
      callbackHosts,
      callbackPort: i.callback.port,
      fingerprint: i.callback.fingerprint,
      timeouts: i.timeouts,
      encryptWhenSupported: i.settings.encryptWhenSupported,
      auth: i.settings.authentication,
    },
  };
}
