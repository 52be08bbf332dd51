// How a grid's selection follows the mouse and the keyboard, as a Windows list view does: click,
// Ctrl+click, Shift+click, Ctrl+A, arrows, Home/End, Page Up/Down (scrolling the row into view),
// Enter to open and Delete for the owner.
import { useRef, type KeyboardEvent, type MouseEvent, type RefObject } from 'react';
import { ROW_HEIGHT } from './useVirtualRows';

export interface GridSelectionOptions<T extends { id: number }> {
  readonly rows: readonly T[];
  readonly selected: readonly number[];
  readonly selectedSet: ReadonlySet<number>;
  readonly onSelect: (ids: number[]) => void;
  readonly multiSelect: boolean;
  readonly box: RefObject<HTMLDivElement | null>;
  /** The grid's height in pixels (a page for Page Up/Down). */
  readonly height: number;
  readonly onOpen?: ((row: T) => void) | undefined;
  readonly onDelete?: (() => void) | undefined;
  readonly onFocus?: (() => void) | undefined;
}

export function useGridSelection<T extends { id: number }>(o: GridSelectionOptions<T>) {
  const { rows, selected, selectedSet, onSelect, multiSelect, box } = o;
  const anchor = useRef<number | null>(null);
  const cursor = useRef<number | null>(null);
  const range = (a: number, b: number) => {
    const [from, to] = [a, b].sort((x, y) => x - y) as [number, number];
    onSelect(rows.slice(from, to + 1).map((r) => r.id));
  };

  const click = (event: MouseEvent, row: T, index: number) => {
    box.current?.focus({ preventScroll: true });
    o.onFocus?.();
    cursor.current = index;
    if (multiSelect && event.shiftKey && anchor.current !== null) return range(anchor.current, index);
    anchor.current = index;
    if (multiSelect && (event.ctrlKey || event.metaKey)) onSelect(selectedSet.has(row.id) ? selected.filter((id) => id !== row.id) : [...selected, row.id]);
    else onSelect([row.id]);
  };

  const moveTo = (index: number, extend: boolean) => {
    const i = Math.max(0, Math.min(rows.length - 1, index));
    const row = rows[i];
    if (!row) return;
    cursor.current = i;
    if (extend && multiSelect && anchor.current !== null) range(anchor.current, i);
    else {
      anchor.current = i;
      onSelect([row.id]);
    }
    scrollIntoView(box.current, i);
  };

  const keyDown = (event: KeyboardEvent) => {
    const ctrl = event.ctrlKey || event.metaKey;
    const current = cursor.current ?? rows.findIndex((r) => selectedSet.has(r.id));
    const from = current < 0 ? 0 : current;
    const page = Math.max(1, Math.floor(o.height / ROW_HEIGHT) - 1);
    const move = (index: number) => {
      event.preventDefault();
      moveTo(index, event.shiftKey);
    };
    if (multiSelect && ctrl && event.key.toLowerCase() === 'a') {
      event.preventDefault();
      event.stopPropagation();
      onSelect(rows.map((r) => r.id));
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') move(current < 0 ? 0 : current + (event.key === 'ArrowDown' ? 1 : -1));
    else if (event.key === 'Home' || event.key === 'End') move(event.key === 'Home' ? 0 : rows.length - 1);
    else if (event.key === 'PageDown' || event.key === 'PageUp') move(from + (event.key === 'PageDown' ? page : -page));
    else if (event.key === 'Enter' && o.onOpen) {
      const row = rows.find((r) => selectedSet.has(r.id));
      if (row) {
        event.preventDefault();
        o.onOpen(row);
      }
    } else if (event.key === 'Delete' && o.onDelete && selected.length > 0) {
      event.preventDefault();
      o.onDelete();
    }
  };

  return { click, keyDown };
}

/** Scrolls the grid so that row `i` is in view under the sticky header. */
function scrollIntoView(el: HTMLDivElement | null, i: number): void {
  if (!el) return;
  const top = i * ROW_HEIGHT;
  const header = ROW_HEIGHT;
  if (top < el.scrollTop) el.scrollTop = top;
  else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight - header) el.scrollTop = top + ROW_HEIGHT - el.clientHeight + header;
}
