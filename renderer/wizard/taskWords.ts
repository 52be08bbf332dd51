// The New Installation Task wizard's fixed words: its steps, how each action is named on the
// Package step and in the summary, and the default start time of a scheduled task.
import type { TaskAction } from '../../main/ipc/contract';

export const STEPS = ['Type', 'Logon', 'Package', 'Schedule'] as const;

export interface ActionWords {
  readonly verb: string;
  readonly title: string;
  readonly runAs: string;
  readonly summary: string;
  readonly onto: string;
}

/** The words of each action, for the Package step and the summary. */
export const ACTION_WORDS: Readonly<Record<TaskAction, ActionWords>> = {
  install: { verb: 'Install', title: 'Package to install', runAs: 'Install as', summary: 'install', onto: 'on' },
  uninstall: { verb: 'Uninstall', title: 'Package to remove', runAs: 'Remove as', summary: 'remove', onto: 'from' },
  repair: { verb: 'Repair', title: 'Package to repair', runAs: 'Repair as', summary: 'repair', onto: 'on' },
};

/** A local date-time for <input type="datetime-local">, a minute from now. */
export function inAMinute(): string {
  const d = new Date(Date.now() + 60_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
