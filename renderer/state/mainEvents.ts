// What main pushes to the window: log lines, menu commands, live task progress, and the connection
// to a Push Install Server (its status; data.reload when the lists come from another store). Progress is
// batched: a push of 5 000 targets sends tens of thousands of task.progress events. Each event only
// lands in a buffer (the latest per target); once per animation frame the buffer is applied to
// the store in one update, so React renders once per frame whatever the event rate. Finished
// targets (an outcome) bring their error class and advice with a throttled reload of the task,
// and their computers' last results with a read of those computers only (computerRefresh.ts).
import { api } from '../api';
import { request } from './calls';
import { refreshComputersNamed } from './computerRefresh';
import { isPaging } from './historyActions';
import { selectMayAudit, useConsole, type MenuCommandName, type ProgressEvent } from './store';
import { disconnectServer, reloadEverything } from './serverActions';

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
    /** The computers whose targets ended this round: their last results are read again. */
    const ended = new Set<string>();
    let unknownComputers = false;
    for (const { taskId, targetIds } of finished) {
      const s = useConsole.getState();
      // The task's list is not loaded (yet: Finish opens it a moment after the first events):
      // its ids wait a few rounds for it, then are dropped (a list loaded later is read fresh).
      if (!s.targetsByTask[taskId]) {
        for (const id of targetIds) refetchLater(taskId, id);
        unknownComputers = true;
        continue;
      }
      // In slices: a cancel ends thousands of targets at once, and one 5 000-row answer would
      // hold the page for tens of milliseconds; 500 rows parse and merge in a few.
      for (let i = 0; i < targetIds.length; i += RELOAD_SLICE) {
        const r = await request('tasks.targetsById', { taskId, targetIds: targetIds.slice(i, i + RELOAD_SLICE) });
        if (!r.ok) continue;
        useConsole.getState().targetsUpdated(taskId, r.result);
        // A task read page by page (historyActions.ts): rows of pages not in yet are fetched again later.
        const listed = isPaging(taskId) ? new Set(useConsole.getState().targetsByTask[taskId]?.map((t) => t.id)) : null;
        // Main journals in batches: a result not written yet is fetched again on the next round.
        for (const t of r.result) {
          if (listed && !listed.has(t.id)) {
            refetchLater(taskId, t.id);
            continue;
          }
          const journaled = t.state === 'done' ? !(t.outcome === 'failed' && t.errorClass === null) : t.state === 'waiting-for-credentials' && t.errorClass !== null;
          if (!journaled) refetchLater(taskId, t.id);
          else {
            refetches.delete(t.id);
            if (t.state === 'done') ended.add(t.computerName);
          }
        }
      }
    }
    // Last results: only the computers whose targets ended, merged by id.
    await refreshComputersNamed(ended);
    // Targets of a task whose list is not loaded name no computer: while Computers is on screen
    // the whole list is read again, at most every 2 s.
    if (unknownComputers && useConsole.getState().activeTab === 'computers' && Date.now() - computersReloadedAt > 2000) {
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

/** What a menu command (Electron's menu, the window's File menu, a shortcut) does. */
export function menuCommand(command: MenuCommandName): void {
  const s = useConsole.getState();
  if (command === 'properties') s.propertiesRequested();
  else if (command === 'leftovers') s.leftoversOpened();
  else if (command === 'server.connect') s.connectOpened();
  else if (command === 'server.disconnect') void disconnectServer();
  else if (command === 'audit') {
    if (selectMayAudit(s)) s.auditOpened();
    else s.logLineReceived({ at: new Date().toISOString(), level: 'info', message: 'The Audit Trail is kept by a Push Install Server: connect to one as an administrator (File → Connect to Server…).' });
  }
  else if (command === 'sites') s.sitesOpened();
  else if (command === 'workers') s.workersOpened();
  else s.tabChosen(command.slice('tab.'.length) as 'computers');
}

/** `load` reads every list (actions.ts loadAll), passed in so this module does not import its importer. */
export function subscribeToMain(load: () => Promise<void>, loadLists: (lists: readonly ('computers' | 'credentials' | 'packages' | 'tasks' | 'settings' | 'sites')[]) => Promise<void>): () => void {
  const s = useConsole.getState();
  const offs = [
    api.on('log.line', (line) => s.logLineReceived(line)),
    api.on('task.progress', progressReceived),
    api.on('menu.command', ({ command }) => menuCommand(command)),
    api.on('server.status', (status) => useConsole.getState().serverStatusReceived(status)),
    api.on('data.reload', () => {
      // Progress buffered for the old store's targets means nothing in the new one.
      progressBuffer.clear();
      finishedByTask.clear();
      void reloadEverything(load);
    }),
    // Another console changed the server's lists: read those again (the open task's targets come by progress).
    api.on('data.changed', ({ lists }) => void loadLists(lists)),
  ];
  return () => offs.forEach((off) => off());
}
