// A grid's rows in the order of the clicked column (sortRows.ts), kept across updates: when new
// rows arrive (a batch of progress events replaces a few row objects) and none of the replaced
// rows changed its sort value, the previous order is reused with the new objects — a pass over the
// rows, not a new sort of 50 000. Anything else (rows added or gone, a value changed, another
// column or direction) sorts again.
import { useMemo, useRef } from 'react';
import { sortRows } from './sortRows.js';

/** What of a DataTable column and sort this needs (DataTableParts.tsx's Column and Sort fit). */
type SortColumn<T> = { readonly key: string; readonly sortValue?: ((row: T) => string | number | null) | undefined };
type Sort = { readonly key: string; readonly descending: boolean };

interface Sorted<T> {
  readonly input: readonly T[];
  readonly key: string;
  readonly descending: boolean;
  readonly output: readonly T[];
}

/** The previous order with each row's new object, or null when it no longer holds. */
export function reuseOrder<T extends { id: number }>(previous: readonly T[], rows: readonly T[], value: (row: T) => string | number | null): T[] | null {
  if (previous.length !== rows.length) return null;
  const byId = new Map<number, T>();
  for (const r of rows) byId.set(r.id, r);
  const out: T[] = new Array<T>(previous.length);
  for (let i = 0; i < previous.length; i++) {
    const old = previous[i]!;
    const fresh = byId.get(old.id);
    if (fresh === undefined) return null;
    if (fresh !== old && value(fresh) !== value(old)) return null;
    out[i] = fresh;
  }
  return out;
}

export function useSortedRows<T extends { id: number }>(rows: readonly T[], columns: readonly SortColumn<T>[], sort: Sort | null): readonly T[] {
  const last = useRef<Sorted<T> | null>(null);
  return useMemo(() => {
    const column = sort ? columns.find((c) => c.key === sort.key) : undefined;
    if (!sort || !column?.sortValue) {
      last.current = null;
      return rows;
    }
    const prev = last.current;
    const same = prev !== null && prev.key === sort.key && prev.descending === sort.descending;
    const output = same && prev.input === rows ? prev.output : ((same && reuseOrder(prev.output, rows, column.sortValue)) || sortRows(rows, column, sort.descending));
    last.current = { input: rows, key: sort.key, descending: sort.descending, output };
    return output;
  }, [rows, columns, sort]);
}
