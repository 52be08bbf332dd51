// A grid column's sort (renderer/components/sortRows.ts): what an admin expects of a list of
// computers — addresses and numbered names in numeric order, blanks last, ties kept in place.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sortRows } from '../../renderer/components/sortRows.js';

type Row = { id: number; name: string; address: string | null };
const rows: Row[] = [
  { id: 1, name: 'PC-10', address: '10.0.0.10' },
  { id: 2, name: 'pc-2', address: null },
  { id: 3, name: 'PC-1', address: '10.0.0.9' },
  { id: 4, name: 'PC-2', address: '10.0.0.100' },
  { id: 5, name: 'PC-3', address: '9.255.0.1' },
];
const by = (key: 'name' | 'address') => ({ sortValue: (r: Row) => r[key] });

test('addresses sort by their numbers, not as text, and a computer without one comes last both ways', () => {
  assert.deepEqual(sortRows(rows, by('address'), false).map((r) => r.id), [5, 3, 1, 4, 2]);
  assert.deepEqual(sortRows(rows, by('address'), true).map((r) => r.id), [4, 1, 3, 5, 2]);
});

test('names with numbers sort PC-1, PC-2, PC-10; equal names (case aside) keep their order', () => {
  assert.deepEqual(sortRows(rows, by('name'), false).map((r) => r.id), [3, 2, 4, 5, 1]);
});

test('a column without a sort value leaves the rows as they are (the same array)', () => {
  assert.equal(sortRows(rows, {}, false), rows);
  assert.equal(sortRows(rows, undefined, true), rows);
});
