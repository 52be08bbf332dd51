// A dense, virtualised grid: only the rows in view (plus a margin) are in the DOM, so 50 000
// targets scroll and update as fast as 50 (a sorted grid keeps its order across updates:
// useSortedRows.ts). Fixed row height and table layout keep columns still
// while rows come and go. Selection: click, Ctrl+click, Shift+click, Ctrl+A, arrow keys; Enter
// or a double-click opens Properties; Delete and the context menu go to the owner. Columns are
// defined once per window as a stable constant. A column with a sortValue sorts on a header click
// (again: descending), as a Windows list view does; text compares digit runs as numbers, so
// 10.0.0.9 comes before 10.0.0.10 and PC-2 before PC-10.
// The header and rows are in DataTableParts.tsx, the window of rows in useVirtualRows.ts, the
// selection by mouse and keyboard in useGridSelection.ts.
import { Box, Table, TableBody, Typography } from '@mui/material';
import { useLayoutEffect, useMemo, useRef, useState, type MouseEvent, type ReactNode } from 'react';
import { DataTableHeader, DataTableRow, type Column, type RowEvents, type Sort } from './DataTableParts';
import { useSortedRows } from './useSortedRows';
import { useGridSelection } from './useGridSelection';
import { ROW_HEIGHT, useVirtualRows } from './useVirtualRows';

export type { Column } from './DataTableParts';
export { ROW_HEIGHT } from './useVirtualRows';

export interface DataTableProps<T> {
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
}

const GRID_SX = { flex: 1, minHeight: 120, overflow: 'auto', border: 1, borderColor: 'divider', bgcolor: 'background.paper', outline: 'none', '&:focus-visible': { borderColor: 'primary.main' } } as const;

export function DataTable<T extends { id: number }>(props: DataTableProps<T>) {
  const { selected, onSelect, multiSelect = true, onContextMenu } = props;
  const [sort, setSort] = useState<Sort | null>(null);
  const rows = useSortedRows(props.rows, props.columns, sort);
  const selectedSet = useMemo(() => new Set(selected), [selected]);
  const { box, height, first, last, onScroll } = useVirtualRows(rows.length);
  /** A row's context menu: the row is selected first unless it is already. */
  const rowMenu = (row: T) =>
    onContextMenu &&
    ((e: MouseEvent) => {
      e.preventDefault();
      if (!selectedSet.has(row.id)) onSelect([row.id]);
      onContextMenu(e, row);
    });
  const { click, keyDown } = useGridSelection({ rows, selected, selectedSet, onSelect, multiSelect, box, height, onOpen: props.onOpen, onDelete: props.onDelete, onFocus: props.onFocus });
  // The rows get one stable events object that calls this render's handlers: a row re-renders
  // only when its own row, place or selection changes (DataTableRow is memoised).
  const latest = useRef({ click, open: props.onOpen, rowMenu });
  useLayoutEffect(() => {
    latest.current = { click, open: props.onOpen, rowMenu };
  });
  const events = useMemo<RowEvents<T>>(
    () => ({
      click: (e, row, index) => latest.current.click(e, row, index),
      open: (row) => latest.current.open?.(row),
      menu: (e, row) => latest.current.rowMenu(row)?.(e),
    }),
    [],
  );

  return (
    <Box
      ref={box}
      data-testid={props.testId}
      sx={GRID_SX}
      tabIndex={0}
      onKeyDown={keyDown}
      onFocus={props.onFocus}
      onScroll={(e) => onScroll(e.currentTarget.scrollTop)}
      onContextMenu={(e) => {
        if (onContextMenu && (e.target as HTMLElement).closest('tbody') === null) {
          e.preventDefault();
          onContextMenu(e, null);
        }
      }}
    >
      <Table stickyHeader aria-label={props.label} aria-multiselectable={multiSelect} aria-rowcount={rows.length + 1} sx={{ tableLayout: 'fixed', minWidth: 640 }}>
        <DataTableHeader columns={props.columns} sort={sort} onSort={(key) => setSort((s) => ({ key, descending: s?.key === key ? !s.descending : false }))} />
        <TableBody>
          {first > 0 && <tr aria-hidden style={{ height: first * ROW_HEIGHT }} />}
          {rows.slice(first, last).map((row, offset) => (
            <DataTableRow key={row.id} row={row} index={first + offset} columns={props.columns} isSelected={selectedSet.has(row.id)} events={events} hasMenu={onContextMenu !== undefined} />
          ))}
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
