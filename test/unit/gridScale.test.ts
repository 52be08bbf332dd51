// The grids at 50 000 rows, below the window: a column sorts 50 000 computer names or addresses in
// the collator's order on precomputed keys (times printed), and a sorted grid whose rows were
// replaced by an update with unchanged sort values keeps its order without sorting again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asciiSortKey, sortRows } from '../../renderer/components/sortRows.js';
import { reuseOrder } from '../../renderer/components/useSortedRows.js';

type Row = { id: number; name: string; address: string | null };
const N = 50_000;
const rows: Row[] = Array.from({ length: N }, (_, k) => {
  const i = (k * 7919) % N + 1;
  return { id: k + 1, name: `PC-${i}`, address: i % 97 === 0 ? null : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
});
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

test('keys order ASCII text as the numeric collator does: digit runs by value, case aside, marks before digits before letters', () => {
  const texts = ['PC-10', 'pc-2', 'PC-1', 'a b', 'a-b', 'a_b', 'a1', 'aa', 'A', '10.0.0.9', '10.0.0.10', '9.255.0.1', 'x007', 'x7', '-', '~', 'Z'];
  const byKey = [...texts].sort((a, b) => (asciiSortKey(a) < asciiSortKey(b) ? -1 : asciiSortKey(a) > asciiSortKey(b) ? 1 : 0));
  const byCollator = [...texts].sort((a, b) => collator.compare(a, b));
  assert.deepEqual(byKey.map((t) => t.toLowerCase()), byCollator.map((t) => t.toLowerCase()));
});

test('50 000 names and addresses sort in the collator\'s order, nulls last both ways (times printed)', () => {
  for (const key of ['name', 'address'] as const) {
    const t0 = performance.now();
    const asc = sortRows(rows, { sortValue: (r: Row) => r[key] }, false);
    const ms = performance.now() - t0;
    const desc = sortRows(rows, { sortValue: (r: Row) => r[key] }, true);
    console.log(`sorting ${N} rows by ${key}: ${ms.toFixed(0)} ms`);
    const present = asc.filter((r) => r[key] !== null).map((r) => r[key]!);
    assert.deepEqual(present, rows.flatMap((r) => (r[key] === null ? [] : [r[key]!])).sort((a, b) => collator.compare(a, b)));
    assert.equal(asc.at(-1)![key] === null, key === 'address');
    assert.equal(desc.at(-1)![key] === null, key === 'address');
    assert.equal(desc[0]![key], present.at(-1));
  }
  assert.equal(sortRows(rows, { sortValue: (r: Row) => r.name }, false)[0]!.name, 'PC-1');
});

test('an update that keeps every sort value reuses the order; a changed value, a new row or a missing one does not', () => {
  const value = (r: Row) => r.name;
  const sorted = sortRows(rows, { sortValue: value }, false);
  const updated = rows.map((r, i) => (i % 1000 === 0 ? { ...r, address: 'changed' } : r));
  const t0 = performance.now();
  const reused = reuseOrder(sorted, updated, value);
  console.log(`reusing the order of ${N} rows after an update: ${(performance.now() - t0).toFixed(1)} ms`);
  assert.ok(reused);
  assert.deepEqual(reused.map((r) => r.id), sorted.map((r) => r.id));
  assert.equal(reused.find((r) => r.id === 1)!.address, 'changed');
  assert.equal(reuseOrder(sorted, rows.map((r, i) => (i === 5 ? { ...r, name: 'ZZ' } : r)), value), null);
  assert.equal(reuseOrder(sorted, rows.slice(1), value), null);
  assert.equal(reuseOrder(sorted, [...rows.slice(1), { id: N + 1, name: 'new', address: null }], value), null);
});
