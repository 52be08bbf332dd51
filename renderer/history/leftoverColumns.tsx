// The Leftovers window's grid: one row per push that left something, with its computer, task,
// what is left, since when, and whether its credentials are held.
import type { Leftover } from '../../main/ipc/contract';
import type { Column } from '../components/DataTable';
import { when } from './targetColumns';

/** A leftover as a grid row (its target's id). */
export type LeftoverRow = Leftover & { readonly id: number };

export const leftoverColumns: readonly Column<LeftoverRow>[] = [
  { key: 'computer', header: 'Computer', width: '16%', render: (r) => r.computerName, sortValue: (r) => r.computerName },
  { key: 'task', header: 'Task', width: '20%', render: (r) => r.taskName, title: (r) => r.taskName, sortValue: (r) => r.taskName },
  { key: 'items', header: 'What is left', render: (r) => r.items.join(', '), title: (r) => r.items.join('\n'), sortValue: (r) => r.items.join(', ') },
  { key: 'since', header: 'Since', width: '13%', render: (r) => when(r.since), title: (r) => (r.since ? new Date(r.since).toLocaleString() : null), sortValue: (r) => r.since },
  {
    key: 'credentials',
    header: 'Credentials',
    width: '11%',
    render: (r) => (r.credentialAvailable ? 'held' : <span style={{ color: '#c62828', fontWeight: 600 }}>missing</span>),
    title: (r) => (r.credentialAvailable ? 'Remove can clean it now.' : 'Not held any more: Set Credentials… cleans it.'),
    sortValue: (r) => (r.credentialAvailable ? 'held' : 'missing'),
  },
];
