// The console's answer to GET /v1/job as the agent checks it, and the msiexec parameters it
// carries with %PUSHINSTALL_DIR% expanded to the run's work folder, within the native agent's bound.
import { PUSH_ACTIONS, type PushAction } from '../../server/agentProtocol.js';
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
}

export function parseListing(value: unknown): JobListing {
  const v = value as Partial<JobListing> | null;
  const files = Array.isArray(v?.files) ? v.files : null;
  if (
    !v || typeof v.runId !== 'string' || typeof v.parameters !== 'string' || (v.runAs !== 'admin' && v.runAs !== 'system') || !files ||
    !files.every((f) => f && typeof f.name === 'string' && Number.isSafeInteger(f.size) && f.size >= 0 && typeof f.sha256 === 'string' && typeof f.role === 'string')
  ) {
    throw new AgentStop(AgentExit.DOWNLOAD, 'the console\'s job answer is malformed');
  }
  // action: absent or null = install (a console from before the action); anything else → 16, as the native agent.
  const action = (v as { action?: unknown }).action ?? 'install';
  if (!(PUSH_ACTIONS as readonly unknown[]).includes(action)) throw new AgentStop(AgentExit.DOWNLOAD, 'the console\'s job is not understood: action must be "install", "uninstall" or "repair"');
  return { runId: v.runId, parameters: v.parameters, runAs: v.runAs, action: action as PushAction, files };
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
