// What a push creates on a computer and how it is removed: the run folder under
// ADMIN$\\PushInstall, the agent and the files it may leave beside itself, and the agent's
// service. Cleanup always runs after a push, and again from Remove Leftovers and crash recovery
// (docs/crash-recovery.md) with only the record of what may be there.
import { SmbStatusError } from '../smb/errors.js';
import { Status } from '../smb/ntstatus.js';
import { SmbTree } from '../smb/tree.js';
import type { Handle } from '../rpc/scmr.js';
import { stopAndDelete } from '../rpc/serviceLifecycle.js';
import { closeRemote, connect, openScm, verdictOf, type Remote, type RemoteHost } from './remoteHost.js';

export const REMOTE_ROOT = 'PushInstall';
export const AGENT_FILE = 'PushInstallAgent.exe';
/** Files beside the agent, removed by name: the job, its log and done marker, and the SMB transport's manifest, progress and result (and their half-written .tmp). */
const AGENT_SIDE_FILES = ['.job', '.log', '.done', '.pkg', '.progress', '.result', '.progress.tmp', '.result.tmp'];
/** The SMB transport's package folder inside the run folder. */
const PACKAGE_DIR = 'package';

export interface Leftovers {
  service: string | null;
  files: string[];
  directories: string[];
}

/** What cleanup tells as it goes: step log lines, and the record of what is still there. */
export interface CleanupHooks {
  step(step: string, detail: string, code?: string | null): void;
  /** Called whenever what is on the target changes, so a crash leaves a true record. */
  remote(leftovers: Leftovers, serviceName: string | null): void;
  /**
   * What cleanup removed, when it need not be committed at once (default: remote): a crash before
   * the next commit only leaves a record naming something already gone, which a later cleanup finds gone.
   */
  gone?(leftovers: Leftovers): void;
}

export interface RemotePaths {
  readonly dir: string;
  readonly exe: string;
  readonly sideFiles: string[];
  /** SMB transport: the package files' folder, the manifest the console writes, the progress and result the agent writes. */
  readonly packageDir: string;
  readonly manifest: string;
  readonly progress: string;
  readonly result: string;
}

/** The remote paths of one run, relative to ADMIN$. */
export function remotePaths(runId: string): RemotePaths {
  const dir = `${REMOTE_ROOT}\\${runId}`;
  const exe = `${dir}\\${AGENT_FILE}`;
  return {
    dir, exe, sideFiles: AGENT_SIDE_FILES.map((suffix) => exe + suffix),
    packageDir: `${dir}\\${PACKAGE_DIR}`, manifest: `${exe}.pkg`, progress: `${exe}.progress`, result: `${exe}.result`,
  };
}

/** Everything the push may have created on the target, for a cleanup after a crash. */
export function everythingOf(runId: string, serviceName: string | null): Leftovers {
  const paths = remotePaths(runId);
  return { service: serviceName, files: [paths.exe, ...paths.sideFiles], directories: [paths.dir] };
}

/** The leftovers in words, as the step log and the Leftovers window say them. */
export function describeLeftovers(l: Leftovers): string {
  return leftoverItems(l).join(', ');
}

/** Each thing left, one string each: `service X`, `ADMIN$\\PushInstall\\r…\\PushInstallAgent.exe`, `ADMIN$\\PushInstall\\r…\\`. */
export function leftoverItems(l: Leftovers): string[] {
  return [l.service ? `service ${l.service}` : null, ...l.files.map((f) => `ADMIN$\\${f}`), ...l.directories.map((d) => `ADMIN$\\${d}\\`)].filter((x): x is string => x !== null);
}

/**
 * Stops and deletes the service, reads the agent's log, deletes the files and folders; reconnects
 * once if the connection died. When the agent's service is known to have stopped (`stopped`: its
 * process has exited and holds no file), the service and the files are removed at the same time.
 */
export async function cleanup(spec: RemoteHost, hooks: CleanupHooks, existing: Remote | null, service: Handle | null, created: Leftovers, stopped = false): Promise<Leftovers | null> {
  const left: Leftovers = { service: created.service, files: [...created.files], directories: [...created.directories] };
  let remote = existing;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      if (!remote || remote.connection.isClosed) {
        closeRemote(remote);
        remote = null;
        remote = await connect(spec);
        service = null;
        hooks.step('cleanup', 'reconnected to clean up');
      }
      const removingService = left.service ? removeService(spec, hooks, remote, left, left.service, service) : null;
      if (removingService && !(stopped && attempt === 0)) await removingService;
      const removingFiles = left.files.length || left.directories.length ? removeFiles(spec, hooks, remote, left) : null;
      const [s, f] = await Promise.allSettled([removingService, removingFiles]);
      service = null;
      if (s.status === 'rejected') throw s.reason;
      if (f.status === 'rejected') throw f.reason;
      closeRemote(remote);
      return null;
    } catch (error) {
      const v = verdictOf(error);
      hooks.step('cleanup', `attempt ${attempt + 1}: ${v.message}`, v.code);
      if (remote) remote.connection.close();
      remote = null;
      service = null;
    }
  }
  hooks.step('cleanup', `left on the computer: ${describeLeftovers(left)}; use "Remove leftovers" later`, 'LEFTOVERS');
  return left;
}

/** Stops and deletes the service `name` (through `service` when the push still holds it open), then records it gone. */
async function removeService(spec: RemoteHost, hooks: CleanupHooks, remote: Remote, left: Leftovers, name: string, service: Handle | null): Promise<void> {
  const { scmr, scm } = await openScm(remote, spec.host);
  const handle = service ?? (await scmr.openService(scm, name));
  if (handle) await stopAndDelete(scmr, handle, name, { stopTimeoutMs: spec.timeouts.serviceStopMs, pollIntervalMs: spec.timeouts.pollMs });
  hooks.step('cleanup', handle ? `service ${name} stopped and deleted` : `service ${name} was not there`);
  left.service = null;
  if (hooks.gone) hooks.gone(left);
  else hooks.remote(left, null);
}

/**
 * Reads the agent's log into the step log, then deletes the files and folders still in `left`
 * (and the shared folder when empty). Each recorded folder is listed and emptied of whatever is
 * in it, recorded or not (a log msiexec left, a file a newer agent writes): nothing of the run
 * stays, and side files the agent never wrote cost no request.
 */
async function removeFiles(spec: RemoteHost, hooks: CleanupHooks, remote: Remote, left: Leftovers): Promise<void> {
  remote.admin ??= await SmbTree.connect(remote.session, spec.host, 'ADMIN$');
  const admin = remote.admin;
  const agentLog = left.files.find((f) => f.endsWith('.exe.log'));
  const [log, found] = await Promise.all([agentLog ? admin.readFileIfThere(agentLog) : null, listFolders(admin, left.directories)]);
  if (log) {
    const text = log.toString('utf8');
    hooks.step('agent-log', text.length > 8192 ? `…${text.slice(-8192)}` : text);
  }
  // Recorded files in a folder that was listed are gone unless listed; the others are deleted by name.
  const inListed = (file: string) => found.listed.some((dir) => file.toLowerCase().startsWith(`${dir.toLowerCase()}\\`));
  const files = [...new Set([...found.files, ...left.files.filter((f) => !inListed(f))])];
  // The files at once (each CREATE with delete-on-close + CLOSE is one round trip), then the
  // folders, inner first (the package folder inside the run folder).
  await Promise.all(files.map((file) => deletePatiently(admin, file, false)));
  left.files.length = 0;
  for (const dir of [...new Set([...found.directories, ...left.directories])].sort((a, b) => b.length - a.length)) {
    await deletePatiently(admin, dir, true);
    const i = left.directories.indexOf(dir);
    if (i >= 0) left.directories.splice(i, 1);
  }
  // The shared PushInstall folder goes too once no other run uses it.
  await admin.deleteIfThere(REMOTE_ROOT, { directory: true }).catch(() => undefined);
  hooks.step('cleanup', 'agent files and folder deleted');
  if (hooks.gone) hooks.gone(left);
  else hooks.remote(left, null);
}

/** Folders nested deeper than this under a run folder are not looked into (the run makes one level). */
const LIST_DEPTH = 4;

/** Everything under the folders (each listed with its subfolders); a folder not there is skipped. */
async function listFolders(admin: SmbTree, folders: readonly string[]): Promise<{ listed: string[]; files: string[]; directories: string[] }> {
  const found = { listed: [] as string[], files: [] as string[], directories: [] as string[] };
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await admin.list(dir);
    if (!entries) return;
    found.listed.push(dir);
    const subfolders: string[] = [];
    for (const e of entries) (e.directory ? subfolders : found.files).push(`${dir}\\${e.name}`);
    found.directories.push(...subfolders);
    if (depth < LIST_DEPTH) await Promise.all(subfolders.map((sub) => walk(sub, depth + 1)));
  };
  await Promise.all(folders.map((dir) => walk(dir, 1)));
  return found;
}

/**
 * Handles the computer is still closing hold what cleanup deletes for a moment: after a cancel or
 * a lost connection the server closes the old connection's opens only once it notices the reset,
 * so a file is in use (STATUS_SHARING_VIOLATION), delete-pending (STATUS_DELETE_PENDING) or keeps
 * its folder from emptying (STATUS_DIRECTORY_NOT_EMPTY) until then (MS-FSA 2.1.5.4: a file goes
 * when its last open closes). Those are asked again after 0.1, 0.2, 0.4, 0.8 and 1.6 s.
 */
const STILL_CLOSING: readonly number[] = [Status.SHARING_VIOLATION, Status.DELETE_PENDING, Status.DIRECTORY_NOT_EMPTY];

async function deletePatiently(admin: SmbTree, path: string, directory: boolean): Promise<void> {
  await retryOnStatus(STILL_CLOSING, [100, 200, 400, 800, 1600], async () => void (await admin.deleteIfThere(path, { directory })));
}

/** "Remove leftovers" and crash recovery: cleans what a push may have left, without a push. */
export function removeLeftovers(host: RemoteHost, leftovers: Leftovers, hooks: CleanupHooks): Promise<Leftovers | null> {
  return cleanup(host, hooks, null, null, leftovers);
}

/**
 * ADMIN$\PushInstall\<run>: the shared root, then this run's folder. Another push to the same
 * computer (a second task, another console) may be removing the root as it empties — Windows then
 * answers STATUS_DELETE_PENDING until its handle closes, or the root is already gone
 * (STATUS_OBJECT_PATH_NOT_FOUND): both pass within moments, so the pair is made again.
 */
export async function makeRunFolder(admin: SmbTree, dir: string): Promise<void> {
  await retryOnStatus([Status.DELETE_PENDING, Status.OBJECT_PATH_NOT_FOUND], [50, 100, 150, 200], async () => {
    await admin.mkdir(REMOTE_ROOT);
    await admin.mkdir(dir);
  });
}

/** Runs `attempt`; when it fails with one of `statuses`, waits the next of `waitsMs` and runs it again, the last failure thrown. */
async function retryOnStatus(statuses: readonly number[], waitsMs: readonly number[], attempt: () => Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof SmbStatusError && statuses.includes(error.status)) || i >= waitsMs.length) throw error;
      await new Promise((resolve) => setTimeout(resolve, waitsMs[i]));
    }
  }
}
