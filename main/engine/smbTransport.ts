// The SMB transport (docs/ARCHITECTURE.md §3a, agent/README.md "Transports"): no callback port.
// The console copies the package into ADMIN$\PushInstall\<run>\package\ with pipelined writes
// (through the shared copy gate: at most N copies at once, one disk read per chunk), then writes
// the manifest <exe>.pkg — the same JSON the package server answers to GET /v1/job — last, so the
// agent finds the files complete when the manifest is there. The agent verifies every file's
// SHA-256, installs from the local copy as SYSTEM and writes <exe>.progress and <exe>.result, each
// written whole and then renamed; the console reads them over the SMB session it holds.
import { ConsoleError } from '../ipc/errors.js';
import { jobAnswer, parseRestartReport, type RestartReport } from '../server/agentProtocol.js';
import type { SmbTree } from '../smb/tree.js';
import { remotePaths, type Leftovers } from './cleanup.js';
import type { PackageCopies } from './packageCopies.js';
import type { PushTargetHooks, PushTargetSpec } from './pushTarget.js';

/** What the agent wrote beside itself so far. */
export interface AgentFiles {
  /** `<exe>.progress`'s stage: waiting-for-package, verifying, installing; null before the first. */
  readonly stage: string | null;
  /** `<exe>.result`: the agent's result and its log (its own lines, then the MSI log's tail). */
  readonly result: { readonly exitCode: number; readonly log: string | null; readonly restart: RestartReport | null } | null;
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/**
 * Copies every package file into the run's package folder, each recorded before it is created
 * (write-ahead, as the agent is), through the shared gate. STATUS_DISK_FULL becomes
 * target-disk-full with the room the package needs.
 */
export async function copyPackage(
  spec: PushTargetSpec,
  hooks: PushTargetHooks,
  admin: SmbTree,
  created: Leftovers,
  record: () => Promise<void>,
  copies: PackageCopies,
  signal: AbortSignal,
): Promise<void> {
  const paths = remotePaths(spec.runId);
  const total = spec.files.reduce((sum, f) => sum + f.size, 0);
  hooks.state('copying-package', 0);
  await copies.run(
    signal,
    async () => {
      created.directories.push(paths.packageDir);
      created.files.push(...spec.files.map((f) => `${paths.packageDir}\\${f.name}`));
      await record();
      await admin.mkdir(paths.packageDir);
      const t0 = Date.now();
      let before = 0;
      let lastPercent = -1;
      for (const file of spec.files) {
        const source = copies.source(file.path, file.size, signal);
        try {
          await admin.writeFile(`${paths.packageDir}\\${file.name}`, source, (done) => {
            const percent = total === 0 ? 100 : Math.floor(((before + done) / total) * 100);
            if (percent !== lastPercent) hooks.state('copying-package', (lastPercent = percent));
          });
        } catch (error) {
          throw diskFull(error, total) ?? error;
        } finally {
          source.release();
        }
        before += file.size;
      }
      hooks.step('copy', `package copied to ADMIN$\\${paths.packageDir}\\ (${spec.files.length} file${spec.files.length === 1 ? '' : 's'}, ${mb(total)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    },
    (ahead) => hooks.step('copy', `waiting for a package copy slot (${ahead} push${ahead === 1 ? '' : 'es'} ahead; Configuration sets how many copies run at once)`),
  );
}

function diskFull(error: unknown, total: number): ConsoleError | null {
  if (!(error instanceof ConsoleError) || error.errorClass !== 'target-disk-full') return null;
  return new ConsoleError(
    'target-disk-full',
    `The computer's system drive has no room for the package (${mb(total)} MB).`,
    `Free at least ${mb(total)} MB on the computer's system drive (the package is copied to %SystemRoot%\\PushInstall), then retry.`,
    error.code,
  );
}

/** The manifest the agent waits for, written after the files: the job (as GET /v1/job answers it), always as SYSTEM. */
export async function writeManifest(spec: PushTargetSpec, admin: SmbTree, created: Leftovers, record: () => Promise<void>): Promise<void> {
  const paths = remotePaths(spec.runId);
  if (!created.files.includes(paths.manifest)) {
    created.files.push(paths.manifest);
    await record();
  }
  const answer = jobAnswer({ runId: spec.runId, parameters: spec.parameters, runAs: 'system', action: spec.action, files: spec.files, restart: spec.restart });
  await admin.writeFile(paths.manifest, Buffer.from(JSON.stringify(answer), 'utf8'));
}

/** Reads `<exe>.progress` and `<exe>.result` (each whole: the agent renames them into place). */
export async function readAgentFiles(admin: SmbTree, runId: string): Promise<AgentFiles> {
  const paths = remotePaths(runId);
  const result = parseResult(await admin.readFileIfThere(paths.result));
  const stage = result ? 'done' : parseStage(await admin.readFileIfThere(paths.progress));
  return { stage, result };
}

function parseStage(data: Buffer | null): string | null {
  if (!data) return null;
  try {
    const v = JSON.parse(data.toString('utf8')) as { stage?: unknown };
    return typeof v?.stage === 'string' ? v.stage : null;
  } catch {
    return null;
  }
}

function parseResult(data: Buffer | null): AgentFiles['result'] {
  if (!data) return null;
  let v: { exitCode?: unknown; log?: unknown; restart?: unknown };
  try {
    v = JSON.parse(data.toString('utf8')) as typeof v;
  } catch {
    throw new ConsoleError('agent-internal', 'The agent\'s result file is not JSON.', 'Retry; if it repeats, send the task\'s logs to support.');
  }
  if (!Number.isSafeInteger(v?.exitCode)) throw new ConsoleError('agent-internal', 'The agent\'s result file has no exit code.', 'Retry; if it repeats, send the task\'s logs to support.');
  return { exitCode: v.exitCode as number, log: typeof v.log === 'string' ? v.log : null, restart: parseRestartReport(v.restart) };
}
