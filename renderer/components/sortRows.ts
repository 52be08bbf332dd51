// The order of a grid's rows when a column header is clicked (DataTable.tsx): text compares digit
// runs as numbers (10.0.0.9 before 10.0.0.10, PC-2 before PC-10), numbers as numbers, nulls last in
// both directions, and equal values keep the owner's order.
// 50 000 rows: Intl.Collator's numeric compare costs about a microsecond a call, and a sort makes
// some 800 000 of them — a frame of half a second. So a column whose texts are all ASCII sorts on
// keys built once per row (lower case, each digit run after its length, punctuation below digits
// as the collator has it), compared as plain strings; other texts go through the collator.
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

type Value = string | number | null;

function compareValues(a: Value, b: Value): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return collator.compare(String(a), String(b));
}

/** Digit runs longer than this compare by their digits alone (no computer name holds such a number); 48 + 48 is '`', below the letters. */
const MAX_DIGITS = 48;
const NOT_ASCII = /[^\x20-\x7e]/;
/** The printable marks (space, punctuation, symbols) in the collator's own order, each mapped to 0x01, 0x02…: all below '0'. */
const MARKS: Record<number, string> = {};
Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
  .filter((ch) => !/[0-9A-Za-z]/.test(ch))
  .sort((a, b) => collator.compare(a, b) || a.charCodeAt(0) - b.charCodeAt(0))
  .forEach((ch, n) => (MARKS[ch.charCodeAt(0)] = String.fromCharCode(n + 1)));

/**
 * An ASCII text's sort key: lower case; a digit run without its leading zeros, after a character
 * that says its length (so that plain comparison orders it by value); the other marks moved below
 * the digits as the collator orders them (space first, then the marks, then digits, then letters).
 */
export function asciiSortKey(text: string): string {
  let key = '';
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      let j = i;
      while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
      let start = i;
      while (start < j - 1 && text.charCodeAt(start) === 48) start++;
      // Its length first ('1' for one digit, '2' for two…): a longer number is a larger one.
      key += String.fromCharCode(48 + Math.min(j - start, MAX_DIGITS)) + text.slice(start, j);
      i = j;
      continue;
    }
    if (c >= 65 && c <= 90) key += String.fromCharCode(c + 32);
    else if (c >= 97 && c <= 122) key += text[i];
    else key += MARKS[c] ?? text[i];
    i++;
  }
  return key;
}

/** Each row's key per column (per sortValue function, a stable constant): the other direction and a sort after an update reuse them. */
const keysByColumn = new WeakMap<object, WeakMap<object, { v: Value; k: string }>>();

function cachedKey(cache: WeakMap<object, { v: Value; k: string }>, row: unknown, v: Value): string {
  const text = String(v);
  if (typeof row !== 'object' || row === null) return asciiSortKey(text);
  const hit = cache.get(row);
  if (hit && hit.v === v) return hit.k;
  const k = asciiSortKey(text);
  cache.set(row, { v, k });
  return k;
}

/** The rows in the column's order (stable: equal values keep the owner's order). */
export function sortRows<T>(rows: readonly T[], column: { readonly sortValue?: ((row: T) => string | number | null) | undefined } | undefined, descending: boolean): readonly T[] {
  const value = column?.sortValue;
  if (!value) return rows;
  const keyed = rows.map((row, index) => ({ row, index, v: value(row) as Value, k: '' }));
  const ascii = keyed.every((x) => typeof x.v !== 'string' || !NOT_ASCII.test(x.v));
  const texts = keyed.some((x) => typeof x.v === 'string');
  const sign = descending ? -1 : 1;
  if (ascii && texts) {
    let cache = keysByColumn.get(value);
    if (!cache) keysByColumn.set(value, (cache = new WeakMap()));
    for (const x of keyed) if (x.v !== null) x.k = cachedKey(cache, x.row, x.v);
    keyed.sort((x, y) => {
      if (x.v === null || y.v === null) return compareValues(x.v, y.v) || x.index - y.index;
      return (x.k < y.k ? -sign : x.k > y.k ? sign : 0) || x.index - y.index;
    });
  } else {
    keyed.sort((x, y) => {
      // Nulls stay last in both directions.
      if (x.v === null || y.v === null) return compareValues(x.v, y.v) || x.index - y.index;
      return sign * compareValues(x.v, y.v) || x.index - y.index;
    });
  }
  return keyed.map((k) => k.row);
}
