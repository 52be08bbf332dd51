// The console's answer to GET /v1/job as the agent checks it, and the msiexec parameters it
// carries with %PUSHINSTALL_DIR% expanded to the run's work folder, within the native agent's bound.
import { PUSH_ACTIONS, RESTART_POLICIES, type PushAction, type RestartPolicy, type RestartPolicyName } from '../../server/agentProtocol.js';
import { AgentExit, AgentStop } from './agentExit.js';

/** The native agent's work folder for a run (agent/src/files.c, workdir_create): where the MSI and
 * cfg.xml are downloaded, and what `%PUSHINSTALL_DIR%` in the parameters stands for. */
export const simWorkDir = (runId: string): string => `C:\\Windows\\Temp\\PushInstall-${runId}`;

/** Every `%PUSHINSTALL_DIR%` (ASCII case-insensitive) in the msiexec parameters → the work folder,
 * as the native agent does before it builds msiexec's command line (agent/README.md, "The msiexec
 * parameters"); the console writes `PROP="%PUSHINSTALL_DIR%\\cfg.xml"` (main/app/packageService.ts). */
export function expandWorkDir(parameters: string, workDir: string): { parameters: string; count: number } {
  let count = 0;
  const expanded = parameters.replace(/%pushinstall_dir%/gi, () => {
    count++;
    return workDir;
  });
  return { parameters: expanded, count };
}

/** The native agent's bound on the parameters, before and after the expansion (work.c MAX_PARAMETERS). */
const MAX_PARAMETERS = 8192;

export interface JobListing {
  runId: string;
  parameters: string;
  runAs: 'admin' | 'system';
  action: PushAction;
  files: { name: string; size: number; sha256: string; role: string }[];
  /** The console's restart policy (absent or null in the job = none; members absent take the defaults). */
  restart: RestartPolicy;
}

/** The native agent's bounds and defaults on the restart policy (agent/src/restart.h). */
export const RESTART_LIMITS = {
  graceMaxSeconds: 86_400,
  forceMinSeconds: 60,
  forceMaxSeconds: 604_800,
  /** graceSeconds absent or null. */
  defaultGraceSeconds: 300,
  /** forceAfterSeconds absent or null. */
  defaultForceSeconds: 28_800,
  /** Characters (code points) of the message. */
  messageMaxChars: 512,
} as const;

const notUnderstood = (why: string) => new AgentStop(AgentExit.DOWNLOAD, `the console's job is not understood: ${why}`);

/** C0 and C1 controls and the two Unicode line and paragraph separators (restart_spec.c read_message). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/**
 * `restart` by the native agent's rules (agent/src/restart_spec.c): absent or null = policy none;
 * not an object, a policy not one of the four, seconds out of bounds, a message that is not text of
 * at most 512 characters without control characters → 16 ("the console's job is not understood:
 * restart: …"). Members absent or null take their defaults; other members are ignored.
 */
export function parseRestartPolicy(value: unknown): RestartPolicy {
  const L = RESTART_LIMITS;
  const policy: RestartPolicy = { policy: 'none', graceSeconds: L.defaultGraceSeconds, forceAfterSeconds: L.defaultForceSeconds, message: '' };
  if (value === undefined || value === null) return policy;
  if (typeof value !== 'object' || Array.isArray(value)) throw notUnderstood('restart: expected an object {policy, graceSeconds, forceAfterSeconds, message} or null');
  const r = value as Record<string, unknown>;
  const name = r.policy ?? 'none';
  if (!(RESTART_POLICIES as readonly unknown[]).includes(name)) throw notUnderstood('restart: policy must be "none", "when-idle", "ask" or "now"');
  const seconds = (field: 'graceSeconds' | 'forceAfterSeconds', lo: number, hi: number, fallback: number): number => {
    const n = r[field] ?? fallback;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi) throw notUnderstood(`restart: ${field} must be a whole number of seconds from ${lo} to ${hi}`);
    return n;
  };
  const graceSeconds = seconds('graceSeconds', 0, L.graceMaxSeconds, L.defaultGraceSeconds);
  const forceAfterSeconds = seconds('forceAfterSeconds', L.forceMinSeconds, L.forceMaxSeconds, L.defaultForceSeconds);
  const message = r.message ?? '';
  if (typeof message !== 'string') throw notUnderstood(`restart: message: not a string, or longer than ${L.messageMaxChars} characters`);
  if (CONTROL.test(message)) throw notUnderstood('restart: message: control characters');
  if ([...message].length > L.messageMaxChars) throw notUnderstood(`restart: message: longer than ${L.messageMaxChars} characters`);
  return { policy: name as RestartPolicyName, graceSeconds, forceAfterSeconds, message };
}

export function parseListing(value: unknown): JobListing {
  const v = value as (Partial<Omit<JobListing, 'files'>> & { files?: unknown }) | null;
  const action = (v as { action?: unknown } | null)?.action ?? 'install';
  // The action restart needs no files: absent, null or empty (any given are checked, not used).
  const files = Array.isArray(v?.files) ? (v.files as JobListing['files']) : action === 'restart' && (v?.files === undefined || v?.files === null) ? [] : null;
  if (
    !v || typeof v.runId !== 'string' || typeof v.parameters !== 'string' || (v.runAs !== 'admin' && v.runAs !== 'system') || !files ||
    !files.every((f) => f && typeof f.name === 'string' && Number.isSafeInteger(f.size) && f.size >= 0 && typeof f.sha256 === 'string' && typeof f.role === 'string')
  ) {
    throw new AgentStop(AgentExit.DOWNLOAD, 'the console\'s job answer is malformed');
  }
  // action: absent or null = install (a console from before the action); anything else → 16, as the native agent.
  if (!(PUSH_ACTIONS as readonly unknown[]).includes(action)) throw notUnderstood('action must be "install", "uninstall" or "repair", or "restart"');
  const restart = parseRestartPolicy((v as { restart?: unknown }).restart);
  if (action === 'restart' && restart.policy === 'none') throw notUnderstood('restart: the action "restart" needs a policy other than "none"');
  return { runId: v.runId, parameters: v.parameters, runAs: v.runAs, action: action as PushAction, files, restart };
}

/** The parameters msiexec gets, expanded before any download as the native agent does: too long once expanded → 16, nothing downloaded. */
export function msiexecParameters(listing: JobListing, workDir: string, log: (line: string) => void): string {
  const expanded = expandWorkDir(listing.parameters, workDir);
  if (expanded.count > 0) {
    if (expanded.parameters.length >= MAX_PARAMETERS || Buffer.byteLength(expanded.parameters) >= MAX_PARAMETERS) {
      throw new AgentStop(AgentExit.DOWNLOAD, 'the console\'s job is not understood: parameters: longer than 8 KiB once %PUSHINSTALL_DIR% is expanded to the work folder');
    }
    log(`msiexec parameters with %PUSHINSTALL_DIR% expanded (${expanded.count} occurrence${expanded.count === 1 ? '' : 's'}): ${expanded.parameters}`);
  }
  return expanded.parameters;
}
