// One zustand store in slices. Actions are named as events — what happened, not which field to
// set — so the store decides what follows from it (choosing a tab closes Properties, a new group
// filter clears the selection); components read through the selectors at the bottom.
import { create, type StateCreator } from 'zustand';
import type {
  AppInfo,
  Computer,
  Credential,
  EventPayloadOf,
  IpcError,
  MenuCommand,
  Package,
  ServerStatus,
  Settings,
  StepLogEntry,
  TaskSummary,
  TaskTarget,
} from '../../main/ipc/contract.js';

export type TabId = 'computers' | 'history' | 'packages' | 'configuration';
export type LogLine = EventPayloadOf<'log.line'>;
export type ProgressEvent = EventPayloadOf<'task.progress'>;
export type MenuCommandName = MenuCommand;
/** Which History grid F4 describes: the task, or the targets selected under it. */
export type HistoryFocus = 'task' | 'target';

interface ShellSlice {
  info: AppInfo | null;
  activeTab: TabId;
  error: IpcError | null;
  activity: LogLine[];
  propertiesOpen: boolean;
  /** On History: whether the open Properties window describes the task or a target (fixed when it opens). */
  propertiesFocus: HistoryFocus;
  /** The computers the New Installation Task wizard opened with; null when it is closed. */
  wizardComputerIds: number[] | null;
  /** The Leftovers window (what pushes left on computers), opened from Computers, History or Ctrl+Shift+L. */
  leftoversOpen: boolean;
  appInfoReceived(info: AppInfo): void;
  tabChosen(tab: TabId): void;
  errorRaised(error: IpcError): void;
  errorDismissed(): void;
  logLineReceived(line: LogLine): void;
  propertiesRequested(): void;
  propertiesClosed(): void;
  wizardOpened(computerIds: number[]): void;
  wizardClosed(): void;
  leftoversOpened(): void;
  leftoversClosed(): void;
}

interface ComputersSlice {
  computers: Computer[];
  selectedComputerIds: number[];
  computerFilter: string;
  /** null: every group; '' : computers in no group. */
  groupFilter: string | null;
  computersLoaded(computers: Computer[]): void;
  computersSelected(ids: number[]): void;
  computerFilterChanged(filter: string): void;
  groupFilterChanged(group: string | null): void;
}

interface HistorySlice {
  tasks: TaskSummary[];
  selectedTaskId: number | null;
  selectedTargetIds: number[];
  historyFocus: HistoryFocus;
  targetsByTask: Record<number, TaskTarget[]>;
  logsByTarget: Record<number, StepLogEntry[]>;
  msiLogsByTarget: Record<number, string | null>;
  tasksLoaded(tasks: TaskSummary[]): void;
  taskSelected(taskId: number | null): void;
  targetsSelected(ids: number[]): void;
  historyFocused(focus: HistoryFocus): void;
  targetsLoaded(taskId: number, targets: TaskTarget[]): void;
  /** Some targets of a task reloaded (those that just finished): merged by id. */
  targetsUpdated(taskId: number, targets: TaskTarget[]): void;
  targetLogLoaded(targetId: number, entries: StepLogEntry[]): void;
  msiLogLoaded(targetId: number, log: string | null): void;
  targetProgressed(event: ProgressEvent): void;
  /** A batch of progress events (coalesced per animation frame by actions.ts) applied at once. */
  targetsProgressed(events: readonly ProgressEvent[]): void;
}

interface PackagesSlice {
  packages: Package[];
  selectedPackageId: number | null;
  packagesLoaded(packages: Package[]): void;
  packageSelected(id: number | null): void;
}

/** The directory the last Active Directory import searched (never its password): Set Credentials… → Use LAPS starts from it. */
export interface DirectoryConnection {
  readonly url: string;
  readonly baseDn: string;
  readonly bindDn: string;
  readonly allowUntrusted: boolean;
}

interface CredentialsSlice {
  credentials: Credential[];
  lastDirectory: DirectoryConnection | null;
  credentialsLoaded(credentials: Credential[]): void;
  directorySearched(directory: DirectoryConnection): void;
}

interface SettingsSlice {
  settings: Settings | null;
  settingsLoaded(settings: Settings): void;
}

/** The connection to a Push Install Server (File → Connect to Server…) and its windows. */
interface ServerSlice {
  /** null until main has said (app start). */
  serverStatus: ServerStatus | null;
  connectOpen: boolean;
  /** The Audit Trail window (a server's administrators). */
  auditOpen: boolean;
  /** The Sites window, and a count bumped when another console changed the server's sites (the window reads them again). */
  sitesOpen: boolean;
  sitesRevision: number;
  /** The Workers window: the push workers and their heartbeats. */
  workersOpen: boolean;
  serverStatusReceived(status: ServerStatus): void;
  connectOpened(): void;
  connectClosed(): void;
  auditOpened(): void;
  auditClosed(): void;
  sitesOpened(): void;
  sitesClosed(): void;
  sitesChanged(): void;
  workersOpened(): void;
  workersClosed(): void;
  /**
   * The lists now come from another store (connected, reconnected, disconnected): the ids of
   * what was selected or cached mean other things there, so they are dropped before the lists
   * are read again, and the windows built on them close.
   */
  dataReplaced(): void;
}

export type ConsoleState = ShellSlice & ComputersSlice & HistorySlice & PackagesSlice & CredentialsSlice & SettingsSlice & ServerSlice;
type Slice<T> = StateCreator<ConsoleState, [], [], T>;

const MAX_ACTIVITY = 200;

const shellSlice: Slice<ShellSlice> = (set) => ({
  info: null,
  activeTab: 'computers',
  error: null,
  activity: [],
  propertiesOpen: false,
  propertiesFocus: 'task',
  wizardComputerIds: null,
  leftoversOpen: false,
  appInfoReceived: (info) => set({ info }),
  tabChosen: (tab) => set({ activeTab: tab, propertiesOpen: false }),
  errorRaised: (error) => set({ error }),
  errorDismissed: () => set({ error: null }),
  logLineReceived: (line) => set((s) => ({ activity: [...s.activity, line].slice(-MAX_ACTIVITY) })),
  propertiesRequested: () => set((s) => ({ propertiesOpen: true, propertiesFocus: s.historyFocus })),
  propertiesClosed: () => set({ propertiesOpen: false }),
  wizardOpened: (computerIds) => set({ wizardComputerIds: computerIds }),
  wizardClosed: () => set({ wizardComputerIds: null }),
  leftoversOpened: () => set({ leftoversOpen: true }),
  leftoversClosed: () => set({ leftoversOpen: false }),
});

const computersSlice: Slice<ComputersSlice> = (set) => ({
  computers: [],
  selectedComputerIds: [],
  computerFilter: '',
  groupFilter: null,
  computersLoaded: (computers) =>
    set((s) => {
      const ids = new Set(computers.map((c) => c.id));
      return { computers, selectedComputerIds: s.selectedComputerIds.filter((id) => ids.has(id)) };
    }),
  computersSelected: (ids) => set({ selectedComputerIds: ids }),
  computerFilterChanged: (computerFilter) => set({ computerFilter }),
  groupFilterChanged: (groupFilter) => set({ groupFilter, selectedComputerIds: [] }),
});

/**
 * Applies progress events to the loaded tasks' targets: one array copy per changed task, whatever
 * the batch size. Targets that leave the queue move everyone behind them forward (the engine's
 * queue is one line across tasks), so queue positions stay right between reloads.
 */
export function applyProgress(targetsByTask: Record<number, TaskTarget[]>, events: readonly ProgressEvent[]): Record<number, TaskTarget[]> {
  const byTask = new Map<number, Map<number, ProgressEvent>>();
  for (const e of events) {
    if (!targetsByTask[e.taskId]) continue;
    let latest = byTask.get(e.taskId);
    if (!latest) byTask.set(e.taskId, (latest = new Map()));
    latest.set(e.targetId, e);
  }
  if (byTask.size === 0) return targetsByTask;
  const left: number[] = [];
  for (const [taskId, latest] of byTask) {
    for (const t of targetsByTask[taskId]!) {
      const e = latest.get(t.id);
      if (e && e.state !== 'queued' && t.queuePosition !== null) left.push(t.queuePosition);
    }
  }
  left.sort((a, b) => a - b);
  /** How many of the positions that left are ahead of `p`. */
  const ahead = (p: number) => {
    let lo = 0;
    let hi = left.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (left[mid]! < p) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const next = { ...targetsByTask };
  for (const [taskId, targets] of Object.entries(targetsByTask)) {
    const latest = byTask.get(Number(taskId));
    if (!latest && left.length === 0) continue;
    let changed = false;
    const updated = targets.map((t) => {
      const e = latest?.get(t.id);
      if (e) {
        changed = true;
        // A target leaving "waiting for credentials" no longer waits: its why and advice go with it.
        const resumed = t.state === 'waiting-for-credentials' && e.state !== t.state ? { errorClass: null, errorMessage: null, advice: null } : {};
        return { ...t, ...resumed, state: e.state, outcome: e.outcome, progress: e.progress, queuePosition: e.state === 'queued' ? t.queuePosition : null };
      }
      if (t.queuePosition !== null && left.length > 0) {
        const shift = ahead(t.queuePosition);
        if (shift > 0) {
          changed = true;
          return { ...t, queuePosition: t.queuePosition - shift };
        }
      }
      return t;
    });
    if (changed) next[Number(taskId)] = updated;
  }
  return next;
}

/** Merges reloaded targets into a task's list by id. */
export function mergeTargets(current: readonly TaskTarget[], fresh: readonly TaskTarget[]): TaskTarget[] {
  const byId = new Map(fresh.map((t) => [t.id, t]));
  return current.map((t) => byId.get(t.id) ?? t);
}

const historySlice: Slice<HistorySlice> = (set) => ({
  tasks: [],
  selectedTaskId: null,
  selectedTargetIds: [],
  historyFocus: 'task',
  targetsByTask: {},
  logsByTarget: {},
  msiLogsByTarget: {},
  tasksLoaded: (tasks) => set({ tasks }),
  taskSelected: (selectedTaskId) =>
    set((s) => (s.selectedTaskId === selectedTaskId ? { historyFocus: 'task' } : { selectedTaskId, selectedTargetIds: [], historyFocus: 'task' })),
  targetsSelected: (selectedTargetIds) => set({ selectedTargetIds, historyFocus: 'target' }),
  historyFocused: (historyFocus) => set({ historyFocus }),
  targetsLoaded: (taskId, targets) => set((s) => ({ targetsByTask: { ...s.targetsByTask, [taskId]: targets } })),
  targetsUpdated: (taskId, targets) =>
    set((s) => (s.targetsByTask[taskId] ? { targetsByTask: { ...s.targetsByTask, [taskId]: mergeTargets(s.targetsByTask[taskId]!, targets) } } : {})),
  targetLogLoaded: (targetId, entries) => set((s) => ({ logsByTarget: { ...s.logsByTarget, [targetId]: entries } })),
  msiLogLoaded: (targetId, log) => set((s) => ({ msiLogsByTarget: { ...s.msiLogsByTarget, [targetId]: log } })),
  targetProgressed: (e) => set((s) => ({ targetsByTask: applyProgress(s.targetsByTask, [e]) })),
  targetsProgressed: (events) => set((s) => ({ targetsByTask: applyProgress(s.targetsByTask, events) })),
});

const packagesSlice: Slice<PackagesSlice> = (set) => ({
  packages: [],
  selectedPackageId: null,
  packagesLoaded: (packages) => set({ packages }),
  packageSelected: (selectedPackageId) => set({ selectedPackageId }),
});

const credentialsSlice: Slice<CredentialsSlice> = (set) => ({
  credentials: [],
  lastDirectory: null,
  credentialsLoaded: (credentials) => set({ credentials }),
  directorySearched: (lastDirectory) => set({ lastDirectory }),
});

const settingsSlice: Slice<SettingsSlice> = (set) => ({
  settings: null,
  settingsLoaded: (settings) => set({ settings }),
});

const serverSlice: Slice<ServerSlice> = (set) => ({
  serverStatus: null,
  connectOpen: false,
  auditOpen: false,
  // The Audit Trail is a server's: it closes when the console is no longer connected to one.
  serverStatusReceived: (serverStatus) => set((s) => ({ serverStatus, auditOpen: s.auditOpen && serverStatus.state !== 'local' })),
  connectOpened: () => set({ connectOpen: true }),
  connectClosed: () => set({ connectOpen: false }),
  auditOpened: () => set({ auditOpen: true }),
  auditClosed: () => set({ auditOpen: false }),
  sitesOpen: false,
  sitesOpened: () => set({ sitesOpen: true }),
  sitesClosed: () => set({ sitesOpen: false }),
  sitesRevision: 0,
  sitesChanged: () => set((s) => ({ sitesRevision: s.sitesRevision + 1 })),
  workersOpen: false,
  workersOpened: () => set({ workersOpen: true }),
  workersClosed: () => set({ workersOpen: false }),
  dataReplaced: () =>
    set({
      selectedComputerIds: [],
      selectedTaskId: null,
      selectedTargetIds: [],
      historyFocus: 'task',
      targetsByTask: {},
      logsByTarget: {},
      msiLogsByTarget: {},
      selectedPackageId: null,
      propertiesOpen: false,
      wizardComputerIds: null,
      leftoversOpen: false,
      sitesOpen: false,
      workersOpen: false,
    }),
});

export const useConsole = create<ConsoleState>()((...a) => ({
  ...shellSlice(...a),
  ...computersSlice(...a),
  ...historySlice(...a),
  ...packagesSlice(...a),
  ...credentialsSlice(...a),
  ...settingsSlice(...a),
  ...serverSlice(...a),
}));

/** "<user> on <server>" while connected to a Push Install Server (also while reconnecting); null on the console's own store. */
export const selectServerLabel = (s: ConsoleState): string | null => {
  const st = s.serverStatus;
  if (!st || st.state === 'local' || !st.user || !st.url) return null;
  return `${st.user} on ${serverHost(st.url)}`;
};

/** host:port of a server's address (https:// dropped). */
export const serverHost = (url: string): string => url.replace(/^https:\/\//i, '').replace(/\/$/, '');

/** Whether the Audit Trail is there for this account: connected as a server administrator. */
export const selectMayAudit = (s: ConsoleState): boolean => s.serverStatus?.state === 'connected' && s.serverStatus.role === 'administrator';

/** Whether this account may change the sites' rules: on the console's own store, or a server's administrator (the server checks again). */
export const selectMayManageSites = (s: ConsoleState): boolean => !s.serverStatus || s.serverStatus.state === 'local' || s.serverStatus.role === 'administrator';

/** Whether this account may change computers (Set Site…): anyone but a server's viewer (the server checks again). */
export const selectMayChangeComputers = (s: ConsoleState): boolean => !s.serverStatus || s.serverStatus.state === 'local' || s.serverStatus.role !== 'viewer';

// ---- selectors -------------------------------------------------------------------------

/** Each computer's searched text in lower case, made once per computer object: 50 000 rows are filtered on every keystroke. */
const searched = new WeakMap<Computer, string>();
const searchedText = (c: Computer) => searched.get(c) ?? searched.set(c, [c.name, c.address, c.domain, c.os, c.groupName, c.lastResult].join('\n').toLowerCase()).get(c)!;

/** Not a selector: it builds a new array, so components call it inside useMemo. */
export const filterComputers = (computers: Computer[], filter: string, group: string | null = null): Computer[] => {
  const q = filter.trim().toLowerCase();
  return computers.filter((c) => (group === null || (group === '' ? c.groupName === null : c.groupName === group)) && (!q || searchedText(c).includes(q)));
};

/** Not a selector either (new array): the groups in use, sorted. */
export const groupsOf = (computers: Computer[]): string[] =>
  [...new Set(computers.flatMap((c) => (c.groupName ? [c.groupName] : [])))].sort((a, b) => a.localeCompare(b));

export const selectSelectedTask = (s: ConsoleState): TaskSummary | null =>
  s.tasks.find((t) => t.id === s.selectedTaskId) ?? null;

const NO_TARGETS: TaskTarget[] = [];
export const selectSelectedTaskTargets = (s: ConsoleState): TaskTarget[] =>
  s.selectedTaskId === null ? NO_TARGETS : s.targetsByTask[s.selectedTaskId] ?? NO_TARGETS;

/** Whether F4 has something to show on the current tab. */
export const selectHasPropertiesTarget = (s: ConsoleState): boolean => {
  switch (s.activeTab) {
    case 'computers':
      return s.selectedComputerIds.length > 0;
    case 'history':
      return s.selectedTaskId !== null;
    case 'packages':
      return s.selectedPackageId !== null;
    case 'configuration':
      return false;
  }
};
