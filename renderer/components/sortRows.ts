// The order of a grid's rows when a column header is clicked (DataTable.tsx): text compares digit
// runs as numbers (10.0.0.9 before 10.0.0.10, PC-2 before PC-10), numbers as numbers, nulls last in
// both directions, and equal values keep the owner's order.
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compareValues(a: string | number | null, b: string | number | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return collator.compare(String(a), String(b));
}

/** The rows in the column's order (stable: equal values keep the owner's order). */
export function sortRows<T>(rows: readonly T[], column: { readonly sortValue?: ((row: T) => string | number | null) | undefined } | undefined, descending: boolean): readonly T[] {
  const value = column?.sortValue;
  if (!value) return rows;
  const keyed = rows.map((row, index) => ({ row, index, v: value(row) }));
  keyed.sort((x, y) => {
    // Nulls stay last in both directions.
    if (x.v === null || y.v === null) return compareValues(x.v, y.v) || x.index - y.index;
    return (descending ? -1 : 1) * compareValues(x.v, y.v) || x.index - y.index;
  });
  return keyed.map((k) => k.row);
}

