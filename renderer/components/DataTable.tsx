// A dense, virtualised grid: only the rows in view (plus a margin) are in the DOM, so 5 000
// targets scroll and update as fast as 50. Fixed row height and table layout keep columns still
// while rows come and go. Selection: click, Ctrl+click, Shift+click, Ctrl+A, arrow keys; Enter
// or a double-click opens Properties; Delete and the context menu go to the owner. Columns are
// defined once per window as a stable constant. A column with a sortValue sorts on a header click
// (again: descending), as a Windows list view does; text compares digit runs as numbers, so
// 10.0.0.9 comes before 10.0.0.10 and PC-2 before PC-10.
import { Box, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';
import { sortRows } from './sortRows';

export interface Column<T> {
  readonly key: string;
  readonly header: string;
  readonly width?: number | string;
  readonly align?: 'left' | 'right' | 'center';
  readonly render: (row: T) => ReactNode;
  /** Plain text for the cell's tooltip when it is cut off. */
  readonly title?: (row: T) => string | null;
  /** What the column sorts by; without it the header is not a sort button. Nulls sort last. */
  readonly sortValue?: (row: T) => string | number | null;
}

type Sort = { readonly key: string; readonly descending: boolean };

export const ROW_HEIGHT = 30;
const OVERSCAN = 8;

export function DataTable<T extends { id: number }>(props: {
  label: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  selected: readonly number[];
  onSelect: (ids: number[]) => void;
  onOpen?: (row: T) => void;
  onDelete?: () => void;
  onContextMenu?: (event: MouseEvent, row: T | null) => void;
  onFocus?: () => void;
  multiSelect?: boolean;
  empty: ReactNode;
  testId?: string;
}) {
  const { selected, onSelect, multiSelect = true } = props;
  const [sort, setSort] = useState<Sort | null>(null);
  const rows = useMemo(
    () => (sort ? sortRows(props.rows, props.columns.find((c) => c.key === sort.key), sort.descending) : props.rows),
    [props.rows, props.columns, sort],
  );
  const anchor = useRef<number | null>(null);
  const cursor = useRef<number | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const selectedSet = useMemo(() => new Set(selected), [selected]);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    setHeight(el.clientHeight || 600);
    const observer = new ResizeObserver(() => setHeight(el.clientHeight || 600));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Rows removed under the scroll position: keep the window inside the list.
  useEffect(() => {
    const el = box.current;
    if (el && scrollTop > rows.length * ROW_HEIGHT) el.scrollTop = Math.max(0, rows.length * ROW_HEIGHT - height);
  }, [rows.length, scrollTop, height]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const visible = rows.slice(first, last);

  const click = (event: MouseEvent, row: T, index: number) => {
    box.current?.focus({ preventScroll: true });
    props.onFocus?.();
    cursor.current = index;
    if (multiSelect && event.shiftKey && anchor.current !== null) {
      const [a, b] = [anchor.current, index].sort((x, y) => x - y) as [number, number];
      onSelect(rows.slice(a, b + 1).map((r) => r.id));
      return;
    }
    anchor.current = index;
    if (multiSelect && (event.ctrlKey || event.metaKey)) {
      onSelect(selectedSet.has(row.id) ? selected.filter((id) => id !== row.id) : [...selected, row.id]);
    } else {
      onSelect([row.id]);
    }
  };

  const moveTo = (index: number, extend: boolean) => {
    const i = Math.max(0, Math.min(rows.length - 1, index));
    const row = rows[i];
    if (!row) return;
    cursor.current = i;
    if (extend && multiSelect && anchor.current !== null) {
      const [a, b] = [anchor.current, i].sort((x, y) => x - y) as [number, number];
      onSelect(rows.slice(a, b + 1).map((r) => r.id));
    } else {
      anchor.current = i;
      onSelect([row.id]);
    }
    const el = box.current;
    if (el) {
      const top = i * ROW_HEIGHT;
      const header = ROW_HEIGHT;
      if (top < el.scrollTop) el.scrollTop = top;
      else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight - header) el.scrollTop = top + ROW_HEIGHT - el.clientHeight + header;
    }
  };

  const keyDown = (event: KeyboardEvent) => {
    const ctrl = event.ctrlKey || event.metaKey;
    const current = cursor.current ?? rows.findIndex((r) => selectedSet.has(r.id));
    if (multiSelect && ctrl && event.key.toLowerCase() === 'a') {
      event.preventDefault();
      event.stopPropagation();
      onSelect(rows.map((r) => r.id));
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      moveTo(current < 0 ? 0 : current + (event.key === 'ArrowDown' ? 1 : -1), event.shiftKey);
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      moveTo(event.key === 'Home' ? 0 : rows.length - 1, event.shiftKey);
    } else if (event.key === 'PageDown' || event.key === 'PageUp') {
      event.preventDefault();
      const page = Math.max(1, Math.floor(height / ROW_HEIGHT) - 1);
      moveTo((current < 0 ? 0 : current) + (event.key === 'PageDown' ? page : -page), event.shiftKey);
    } else if (event.key === 'Enter' && props.onOpen) {
      const row = rows.find((r) => selectedSet.has(r.id));
      if (row) {
        event.preventDefault();
        props.onOpen(row);
      }
    } else if (event.key === 'Delete' && props.onDelete && selected.length > 0) {
      event.preventDefault();
      props.onDelete();
    }
  };

  const cell = { whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', py: 0, px: 1, height: ROW_HEIGHT } as const;

  return (
    <Box
      ref={box}
      data-testid={props.testId}
      sx={{ flex: 1, minHeight: 120, overflow: 'auto', border: 1, borderColor: 'divider', bgcolor: 'background.paper', outline: 'none', '&:focus-visible': { borderColor: 'primary.main' } }}
      tabIndex={0}
      onKeyDown={keyDown}
      onFocus={props.onFocus}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      onContextMenu={(e) => {
        if (props.onContextMenu && (e.target as HTMLElement).closest('tbody') === null) {
          e.preventDefault();
          props.onContextMenu(e, null);
        }
      }}
    >
      <Table stickyHeader aria-label={props.label} aria-multiselectable={multiSelect} aria-rowcount={rows.length + 1} sx={{ tableLayout: 'fixed', minWidth: 640 }}>
        <TableHead>
          <TableRow sx={{ height: ROW_HEIGHT }}>
            {props.columns.map((c) => {
              const sorted = sort?.key === c.key ? (sort.descending ? 'descending' : 'ascending') : undefined;
              return (
                <TableCell
                  key={c.key}
                  align={c.align}
                  aria-sort={c.sortValue ? (sorted ?? 'none') : undefined}
                  sx={{ ...cell, width: c.width, ...(c.sortValue ? { cursor: 'pointer', '&:hover': { bgcolor: 'action.hover' } } : {}) }}
                  onClick={c.sortValue ? () => setSort((s) => ({ key: c.key, descending: s?.key === c.key ? !s.descending : false })) : undefined}
                  title={c.sortValue ? `Sort by ${c.header.toLowerCase()}` : undefined}
                >
                  {c.header}
                  {sorted && <span aria-hidden>{sorted === 'ascending' ? ' ▲' : ' ▼'}</span>}
                </TableCell>
              );
            })}
          </TableRow>
        </TableHead>
        <TableBody>
          {first > 0 && <tr aria-hidden style={{ height: first * ROW_HEIGHT }} />}
          {visible.map((row, offset) => {
            const index = first + offset;
            const isSelected = selectedSet.has(row.id);
            return (
              <TableRow
                key={row.id}
                hover
                selected={isSelected}
                aria-selected={isSelected}
                aria-rowindex={index + 2}
                data-row-id={row.id}
                onClick={(e) => click(e, row, index)}
                onDoubleClick={() => props.onOpen?.(row)}
                onContextMenu={(e) => {
                  if (!props.onContextMenu) return;
                  e.preventDefault();
                  if (!isSelected) onSelect([row.id]);
                  props.onContextMenu(e, row);
                }}
                sx={{ cursor: 'default', userSelect: 'none', height: ROW_HEIGHT }}
              >
                {props.columns.map((c) => (
                  <TableCell key={c.key} align={c.align} sx={cell} title={c.title?.(row) ?? undefined}>
                    {c.render(row)}
                  </TableCell>
                ))}
              </TableRow>
            );
          })}
          {last < rows.length && <tr aria-hidden style={{ height: (rows.length - last) * ROW_HEIGHT }} />}
        </TableBody>
      </Table>
      {rows.length === 0 && (
        <Typography sx={{ p: 3, color: 'text.secondary', textAlign: 'center' }} data-testid="empty-state">
          {props.empty}
        </Typography>
      )}
    </Box>
  );
}
