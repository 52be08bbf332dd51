// Installation History's filter of a task's computers: what an admin looking at thousands of
// targets asks for — only the failed ones, only those still running (or waiting for credentials),
// those whose push left something on the computer, or those whose name, error class, code or
// advice contains a text (e.g. "logon-failure", "1603", "LAB-PC-01").
import type { TaskTarget } from '../../main/ipc/contract.js';

export type TargetShow = 'all' | 'failed' | 'succeeded' | 'open' | 'waiting' | 'leftovers';

export const TARGET_SHOW_LABELS: Readonly<Record<TargetShow, string>> = {
  all: 'All computers',
  failed: 'Failed or cancelled',
  succeeded: 'Succeeded',
  open: 'Not finished',
  waiting: 'Waiting for credentials',
  leftovers: 'With leftovers',
};

function shown(t: TaskTarget, show: TargetShow): boolean {
  switch (show) {
    case 'all':
      return true;
    case 'failed':
      return t.outcome === 'failed' || t.outcome === 'cancelled' || t.outcome === 'interrupted';
    case 'succeeded':
      return t.outcome === 'succeeded' || t.outcome === 'succeeded-reboot-required';
    case 'open':
      // Queued, running, and waiting for credentials.
      return t.state !== 'done';
    case 'waiting':
      return t.state === 'waiting-for-credentials';
    case 'leftovers':
      return t.state === 'done' && t.leftovers !== null;
  }
}

/** Each target's searched text in lower case, made once per target object (a task of 50 000 is filtered on every keystroke). */
const searched = new WeakMap<TaskTarget, string>();

function searchedText(t: TaskTarget): string {
  let text = searched.get(t);
  if (text === undefined) {
    // Joined by line breaks, which a typed filter never holds: no match spans two fields.
    text = [t.computerName, t.errorClass, t.errorCode, t.exitCode === null ? null : String(t.exitCode), t.advice, t.errorMessage].join('\n').toLowerCase();
    searched.set(t, text);
  }
  return text;
}

/** The targets to show, in their order; the same array when nothing filters. */
export function filterTargets(targets: readonly TaskTarget[], text: string, show: TargetShow): readonly TaskTarget[] {
  const needle = text.trim().toLowerCase();
  if (!needle && show === 'all') return targets;
  return targets.filter((t) => shown(t, show) && (!needle || searchedText(t).includes(needle)));
}
