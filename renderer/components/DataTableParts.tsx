// A DataTable's header (each sortable column a button that sorts, again: descending) and one of
// its rows (selected, opened, its context menu), with the cell style they share.
import { TableCell, TableHead, TableRow } from '@mui/material';
import { memo, type MouseEvent, type ReactNode } from 'react';
import { ROW_HEIGHT } from './useVirtualRows';

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

export type Sort = { readonly key: string; readonly descending: boolean };

const ROW_SX = { cursor: 'default', userSelect: 'none', height: ROW_HEIGHT } as const;
const cell = { whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', py: 0, px: 1, height: ROW_HEIGHT } as const;

export function DataTableHeader<T>(props: { columns: readonly Column<T>[]; sort: Sort | null; onSort: (key: string) => void }) {
  const { sort } = props;
  return (
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
              onClick={c.sortValue ? () => props.onSort(c.key) : undefined}
              title={c.sortValue ? `Sort by ${c.header.toLowerCase()}` : undefined}
            >
              {c.header}
              {sorted && <span aria-hidden>{sorted === 'ascending' ? ' ▲' : ' ▼'}</span>}
            </TableCell>
          );
        })}
      </TableRow>
    </TableHead>
  );
}

/** What a row does on a click, a double click and its context menu: one stable object per grid, so rows re-render only when they change. */
export interface RowEvents<T> {
  click(event: MouseEvent, row: T, index: number): void;
  open(row: T): void;
  menu(event: MouseEvent, row: T): void;
}

/**
 * One row; memoised: while a grid of 50 000 scrolls only the rows that come into view render, those
 * still in view (same row, same place, same selection) are left alone.
 */
export const DataTableRow = memo(function DataTableRow<T extends { id: number }>(props: {
  row: T;
  index: number;
  columns: readonly Column<T>[];
  isSelected: boolean;
  events: RowEvents<T>;
  hasMenu: boolean;
}) {
  const { row, index, isSelected, events } = props;
  return (
    <TableRow
      hover
      selected={isSelected}
      aria-selected={isSelected}
      aria-rowindex={index + 2}
      data-row-id={row.id}
      onClick={(e) => events.click(e, row, index)}
      onDoubleClick={() => events.open(row)}
      onContextMenu={props.hasMenu ? (e) => events.menu(e, row) : undefined}
      sx={ROW_SX}
    >
      {props.columns.map((c) => (
        <TableCell key={c.key} align={c.align} sx={cell} title={c.title?.(row) ?? undefined}>
          {c.render(row)}
        </TableCell>
      ))}
    </TableRow>
  );
}) as <T extends { id: number }>(props: { row: T; index: number; columns: readonly Column<T>[]; isSelected: boolean; events: RowEvents<T>; hasMenu: boolean }) => ReactNode;
