// One zustand store in slices (STYLE.md habit 7). Actions are named as events — what happened,
// not which field to set — and components read through the selectors at the bottom.
import { create, type StateCreator } from 'zustand';
import type {
  AppInfo,
  Computer,
  EventPayloadOf,
  IpcError,
  Package,
  Settings,
  StepLogEntry,
  TaskSummary,
  TaskTarget,
} from '../../main/ipc/contract';

export type TabId = 'computers' | 'history' | 'packages' | 'configuration';
export type LogLine = EventPayloadOf<'log.line'>;
export type ProgressEvent = EventPayloadOf<'task.progress'>;

interface ShellSlice {
  info: AppInfo | null;
  activeTab: TabId;
  error: IpcError | null;
  activity: LogLine[];
  propertiesOpen: boolean;
  appInfoReceived(info: AppInfo): void;
  tabChosen(tab: TabId): void;
  errorRaised(error: IpcError): void;
  errorDismissed(): void;
  logLineReceived(line: LogLine): void;
  propertiesRequested(): void;
  propertiesClosed(): void;
}

interface ComputersSlice {
  computers: Computer[];
  selectedComputerIds: number[];
  computerFilter: string;
  computersLoaded(computers: Computer[]): void;
  computersSelected(ids: number[]): void;
  computerFilterChanged(filter: string): void;
}

interface HistorySlice {
  tasks: TaskSummary[];
  selectedTaskId: number | null;
  targetsByTask: Record<number, TaskTarget[]>;
  logsByTarget: Record<number, StepLogEntry[]>;
  tasksLoaded(tasks: TaskSummary[]): void;
  taskSelected(taskId: number | null): void;
  targetsLoaded(taskId: number, targets: TaskTarget[]): void;
  targetLogLoaded(targetId: number, entries: StepLogEntry[]): void;
  targetProgressed(event: ProgressEvent): void;
}

interface PackagesSlice {
  packages: Package[];
  selectedPackageId: number | null;
  packagesLoaded(packages: Package[]): void;
  packageSelected(id: number | null): void;
}

interface SettingsSlice {
  settings: Settings | null;
  settingsLoaded(settings: Settings): void;
}

export type ConsoleState = ShellSlice & ComputersSlice & HistorySlice & PackagesSlice & SettingsSlice;
type Slice<T> = StateCreator<ConsoleState, [], [], T>;

const MAX_ACTIVITY = 200;

const shellSlice: Slice<ShellSlice> = (set) => ({
  info: null,
  activeTab: 'computers',
  error: null,
  activity: [],
  propertiesOpen: false,
  appInfoReceived: (info) => set({ info }),
  tabChosen: (tab) => set({ activeTab: tab, propertiesOpen: false }),
  errorRaised: (error) => set({ error }),
  errorDismissed: () => set({ error: null }),
  logLineReceived: (line) => set((s) => ({ activity: [...s.activity, line].slice(-MAX_ACTIVITY) })),
  propertiesRequested: () => set({ propertiesOpen: true }),
  propertiesClosed: () => set({ propertiesOpen: false }),
});

const computersSlice: Slice<ComputersSlice> = (set) => ({
  computers: [],
  selectedComputerIds: [],
  computerFilter: '',
  computersLoaded: (computers) =>
    set((s) => ({
      computers,
      selectedComputerIds: s.selectedComputerIds.filter((id) => computers.some((c) => c.id === id)),
    })),
  computersSelected: (ids) => set({ selectedComputerIds: ids }),
  computerFilterChanged: (computerFilter) => set({ computerFilter }),
});

const historySlice: Slice<HistorySlice> = (set) => ({
  tasks: [],
  selectedTaskId: null,
  targetsByTask: {},
  logsByTarget: {},
  tasksLoaded: (tasks) => set({ tasks }),
  taskSelected: (selectedTaskId) => set({ selectedTaskId }),
  targetsLoaded: (taskId, targets) => set((s) => ({ targetsByTask: { ...s.targetsByTask, [taskId]: targets } })),
  targetLogLoaded: (targetId, entries) => set((s) => ({ logsByTarget: { ...s.logsByTarget, [targetId]: entries } })),
  targetProgressed: (e) =>
    set((s) => {
      const targets = s.targetsByTask[e.taskId];
      if (!targets) return {};
      const next = targets.map((t) =>
        t.id === e.targetId ? { ...t, state: e.state, outcome: e.outcome, progress: e.progress } : t,
      );
      return { targetsByTask: { ...s.targetsByTask, [e.taskId]: next } };
    }),
});

const packagesSlice: Slice<PackagesSlice> = (set) => ({
  packages: [],
  selectedPackageId: null,
  packagesLoaded: (packages) => set({ packages }),
  packageSelected: (selectedPackageId) => set({ selectedPackageId }),
});

const settingsSlice: Slice<SettingsSlice> = (set) => ({
  settings: null,
  settingsLoaded: (settings) => set({ settings }),
});

export const useConsole = create<ConsoleState>()((...a) => ({
  ...shellSlice(...a),
  ...computersSlice(...a),
  ...historySlice(...a),
  ...packagesSlice(...a),
  ...settingsSlice(...a),
}));

// ---- selectors -------------------------------------------------------------------------

/** Not a selector: it builds a new array, so components call it inside useMemo. */
export const filterComputers = (computers: Computer[], filter: string): Computer[] => {
  const q = filter.trim().toLowerCase();
  if (!q) return computers;
  return computers.filter((c) =>
    [c.name, c.address, c.domain, c.os, c.groupName].some((v) => v?.toLowerCase().includes(q)),
  );
};

export const selectSelectedTask = (s: ConsoleState): TaskSummary | null =>
  s.tasks.find((t) => t.id === s.selectedTaskId) ?? null;

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
