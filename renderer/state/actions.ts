// What the user does, as calls to main through the contract; results land in the store as
// events. Errors become the store's `{class, code, message, advice}` for the error notice.
import { ConsoleError } from '../../main/ipc/errors';
import type { ChannelName, IpcError, RequestOf, ResultOf, Settings } from '../../main/ipc/contract';
import { api } from '../api';
import { useConsole, type ProgressEvent } from './store';

export function asIpcError(error: unknown): IpcError {
  if (error instanceof ConsoleError) return error.toIpcError();
  return { class: 'internal', code: null, message: String(error), advice: 'Reload the window; if it happens again, report it.' };
}

/** Runs a call; on failure raises the error notice and resolves to undefined. */
async function attempt<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    useConsole.getState().errorRaised(asIpcError(error));
    return undefined;
  }
}

/** One call whose failure the caller shows itself (inside a dialog): never raises the global notice. */
export async function request<C extends ChannelName>(channel: C, body: RequestOf<C>): Promise<{ ok: true; result: ResultOf<C> } | { ok: false; error: IpcError }> {
  try {
    return { ok: true, result: await api.invoke(channel, body) };
  } catch (error) {
    return { ok: false, error: asIpcError(error) };
  }
}

/** A call whose failure raises the global error notice. */
export function invoke<C extends ChannelName>(channel: C, body: RequestOf<C>): Promise<ResultOf<C> | undefined> {
  return attempt(() => api.invoke(channel, body));
}

export async function loadAll(): Promise<void> {
  const s = useConsole.getState();
  const [info, computers, tasks, packages, settings, credentials] = await Promise.all([
    attempt(() => api.invoke('app.info', {})),
    attempt(() => api.invoke('computers.list', {})),
    attempt(() => api.invoke('tasks.list', {})),
    attempt(() => api.invoke('packages.list', {})),
    attempt(() => api.invoke('settings.get', {})),
    attempt(() => api.invoke('credentials.list', {})),
  ]);
  if (info) s.appInfoReceived(info);
  if (computers) s.computersLoaded(computers);
  if (tasks) s.tasksLoaded(tasks);
  if (packages) s.packagesLoaded(packages);
  if (settings) s.settingsLoaded(settings);
  if (credentials) s.credentialsLoaded(credentials);
}

// ---- live progress, batched ------------------------------------------------------------
// A push of 5 000 targets sends tens of thousands of task.progress events. Each event only
// lands in a buffer (the latest per target); once per animation frame the buffer is applied to
// the store in one update, so React renders once per frame whatever the event rate. Finished
// targets (an outcome) bring their error class and advice with a throttled reload of the task.

const progressBuffer = new Map<number, ProgressEvent>();
let flushScheduled = false;
/** Targets that finished since the last reload, by task: their error class and advice are fetched. */
const finishedByTask = new Map<number, Set<number>>();
let reloadTimer: ReturnType<typeof setTimeout> | null = null;
let reloading = false;
let computersReloadedAt = 0;
const RELOAD_MS = 400;
const RELOAD_SLICE = 500;

function flushProgress(): void {
  flushScheduled = false;
  if (progressBuffer.size === 0) return;
  const events = [...progressBuffer.values()];
  progressBuffer.clear();
  const s = useConsole.getState();
  s.targetsProgressed(events);
  for (const e of events) {
    // Finished targets, and those that start waiting for credentials: their why and advice are fetched.
    if (e.outcome === null && e.state !== 'waiting-for-credentials') continue;
    const set = finishedByTask.get(e.taskId) ?? new Set<number>();
    set.add(e.targetId);
    finishedByTask.set(e.taskId, set);
  }
  // Counts in the task grid (running, succeeded, failed) come from main: reloaded at most every 400 ms.
  scheduleReload();
}

function scheduleReload(): void {
  reloadTimer ??= setTimeout(() => void reloadChanged(), RELOAD_MS);
}

/** How often a finished target was fetched before main's journal had its result (bounded). */
const refetches = new Map<number, number>();
const MAX_REFETCHES = 10;

function refetchLater(taskId: number, targetId: number): void {
  const n = refetches.get(targetId) ?? 0;
  if (n >= MAX_REFETCHES) return;
  refetches.set(targetId, n + 1);
  const set = finishedByTask.get(taskId) ?? new Set<number>();
  set.add(targetId);
  finishedByTask.set(taskId, set);
}

async function reloadChanged(): Promise<void> {
  if (reloading) {
    reloadTimer = null;
    scheduleReload();
    return;
  }
  reloading = true;
  try {
    const finished = [...finishedByTask].map(([taskId, ids]) => ({ taskId, targetIds: [...ids] }));
    finishedByTask.clear();
    const tasks = await request('tasks.list', {});
    if (tasks.ok) useConsole.getState().tasksLoaded(tasks.result);
    for (const { taskId, targetIds } of finished) {
      const s = useConsole.getState();
      // The task's list is not loaded (yet: Finish opens it a moment after the first events):
      // its ids wait a few rounds for it, then are dropped (a list loaded later is read fresh).
      if (!s.targetsByTask[taskId]) {
        for (const id of targetIds) refetchLater(taskId, id);
        continue;
      }
      // In slices: a cancel ends thousands of targets at once, and one 5 000-row answer would
      // hold the page for tens of milliseconds; 500 rows parse and merge in a few.
      for (let i = 0; i < targetIds.length; i += RELOAD_SLICE) {
        const r = await request('tasks.targetsById', { taskId, targetIds: targetIds.slice(i, i + RELOAD_SLICE) });
        if (!r.ok) continue;
        useConsole.getState().targetsUpdated(taskId, r.result);
        // Main journals in batches: a result not written yet is fetched again on the next round.
        for (const t of r.result) {
          const journaled = t.state === 'done' ? !(t.outcome === 'failed' && t.errorClass === null) : t.state === 'waiting-for-credentials' && t.errorClass !== null;
          if (!journaled) refetchLater(taskId, t.id);
          else refetches.delete(t.id);
        }
      }
    }
    // Last results: only while Computers is on screen, and at most every 2 s (5 000 rows cost).
    if (finished.length > 0 && useConsole.getState().activeTab === 'computers' && Date.now() - computersReloadedAt > 2000) {
      computersReloadedAt = Date.now();
      const computers = await request('computers.list', {});
      if (computers.ok) useConsole.getState().computersLoaded(computers.result);
    }
  } finally {
    reloading = false;
    reloadTimer = null;
    if (finishedByTask.size > 0) scheduleReload();
  }
}

export function progressReceived(event: ProgressEvent): void {
  progressBuffer.set(event.targetId, event);
  if (flushScheduled) return;
  flushScheduled = true;
  // A hidden page gets no animation frames: a timer flushes then, at a slower pace.
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    flushProgress();
  };
  requestAnimationFrame(once);
  setTimeout(once, 250);
}

export function subscribeToMain(): () => void {
  const s = useConsole.getState();
  const offs = [
    api.on('log.line', (line) => s.logLineReceived(line)),
    api.on('task.progress', progressReceived),
    api.on('menu.command', ({ command }) => {
      if (command === 'properties') useConsole.getState().propertiesRequested();
      else if (command === 'leftovers') useConsole.getState().leftoversOpened();
      else useConsole.getState().tabChosen(command.slice('tab.'.length) as 'computers');
    }),
  ];
  return () => offs.forEach((off) => off());
}

// ---- computers ---------------------------------------------------------------------------

export async function reloadComputers(): Promise<void> {
  const computers = await attempt(() => api.invoke('computers.list', {}));
  if (computers) useConsole.getState().computersLoaded(computers);
}

export async function addComputers(entries: string[], groupName?: string) {
  const result = await attempt(() => api.invoke('computers.add', groupName ? { entries, groupName } : { entries }));
  if (!result) return undefined;
  await reloadComputers();
  return result;
}

export async function removeComputers(ids: number[]): Promise<void> {
  if ((await attempt(() => api.invoke('computers.remove', { ids }))) === undefined) return;
  await reloadComputers();
}

// ---- history -----------------------------------------------------------------------------

export async function reloadTasks(): Promise<void> {
  const tasks = await attempt(() => api.invoke('tasks.list', {}));
  if (tasks) useConsole.getState().tasksLoaded(tasks);
}

export async function openTask(taskId: number): Promise<void> {
  useConsole.getState().taskSelected(taskId);
  const targets = await attempt(() => api.invoke('tasks.targets', { taskId }));
  if (targets) useConsole.getState().targetsLoaded(taskId, targets);
}

/** The selected task's targets again (after an action changed some of them); the selection stays. */
export async function reloadSelectedTask(): Promise<void> {
  const taskId = useConsole.getState().selectedTaskId;
  if (taskId === null) return;
  const targets = await attempt(() => api.invoke('tasks.targets', { taskId }));
  if (targets) useConsole.getState().targetsLoaded(taskId, targets);
}

export async function loadTargetLogs(targetIds: number[], withMsiLog = false): Promise<void> {
  await Promise.all(
    targetIds.map(async (targetId) => {
      const entries = await attempt(() => api.invoke('targets.log', { targetId }));
      if (entries) useConsole.getState().targetLogLoaded(targetId, entries);
      if (withMsiLog) {
        const msi = await attempt(() => api.invoke('targets.msiLog', { targetId }));
        if (msi) useConsole.getState().msiLogLoaded(targetId, msi.log);
      }
    }),
  );
}

// ---- credentials, packages, settings --------------------------------------------------------

/** Which targets Set Credentials… gives a credential to: exactly one scope (see credentials.rebind). */
export type RebindScope = { readonly targetIds: number[] } | { readonly taskId: number } | { readonly computerIds: number[] };

/**
 * Set Credentials… on targets, a task or computers: main gives them the credential, queues the
 * waiting ones again and cleans what ended pushes left. History's lists are fresh afterwards.
 */
export async function rebindCredentials(credentialId: number, scope: RebindScope) {
  const r = await request('credentials.rebind', { credentialId, ...scope });
  if (r.ok) {
    await reloadTasks();
    await reloadSelectedTask();
  }
  return r;
}

/** What Set Credentials… did, as the notice says it. */
/** Remove Leftovers on each target in turn: how many were cleaned, still hold something, lack credentials, or failed (with why). */
export async function removeLeftoversOf<T extends { readonly id: number; readonly computerName: string }>(
  targets: readonly T[],
): Promise<{ cleaned: number; remaining: number; missing: T[]; problems: string[] }> {
  let cleaned = 0;
  let remaining = 0;
  const missing: T[] = [];
  const problems: string[] = [];
  for (const t of targets) {
    const r = await request('targets.removeLeftovers', { targetId: t.id });
    if (r.ok) {
      if (r.result.remaining) remaining += 1;
      else cleaned += 1;
    } else if (r.error.class === 'credentials-missing') missing.push(t);
    else problems.push(`${t.computerName}: ${r.error.class} — ${r.error.message}`);
  }
  return { cleaned, remaining, missing, problems };
}

export function rebindSummary(r: ResultOf<'credentials.rebind'>, what = 'computer(s)'): string {
  if (r.rebound === 0) return 'Nothing to do: none of them waits for credentials or has something left to clean.';
  return `Credentials set for ${r.rebound} ${what}: ${r.resumed} resumed, ${r.cleaning} being cleaned.`;
}

export async function reloadCredentials(): Promise<void> {
  const credentials = await attempt(() => api.invoke('credentials.list', {}));
  if (credentials) useConsole.getState().credentialsLoaded(credentials);
}

export async function reloadPackages(): Promise<void> {
  const packages = await attempt(() => api.invoke('packages.list', {}));
  if (packages) useConsole.getState().packagesLoaded(packages);
}

export async function saveSettings(changes: Partial<Settings>): Promise<boolean> {
  const settings = await attempt(() => api.invoke('settings.update', changes));
  if (!settings) return false;
  useConsole.getState().settingsLoaded(settings);
  return true;
}

/** Saves text or bytes as a download (the browser shell and Electron alike). */
export function saveFile(fileName: string, content: string | Uint8Array, type: string): void {
  const blob = new Blob([typeof content === 'string' ? content : new Uint8Array(content)], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
