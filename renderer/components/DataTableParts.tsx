// A DataTable's header (each sortable column a button that sorts, again: descending) and one of
// its rows (selected, opened, its context menu), with the cell style they share.
import { TableCell, TableHead, TableRow } from '@mui/material';
import type { MouseEvent, ReactNode } from 'react';
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

export function DataTableRow<T extends { id: number }>(props: {
  row: T;
  index: number;
  columns: readonly Column<T>[];
  isSelected: boolean;
  onClick: (event: MouseEvent) => void;
  onDoubleClick: () => void;
  onContextMenu?: ((event: MouseEvent) => void) | undefined;
}) {
  const { row, isSelected } = props;
  return (
    <TableRow
      hover
      selected={isSelected}
      aria-selected={isSelected}
      aria-rowindex={props.index + 2}
      data-row-id={row.id}
      onClick={props.onClick}
      onDoubleClick={props.onDoubleClick}
      onContextMenu={props.onContextMenu}
      sx={{ cursor: 'default', userSelect: 'none', height: ROW_HEIGHT }}
    >
      {props.columns.map((c) => (
        <TableCell key={c.key} align={c.align} sx={cell} title={c.title?.(row) ?? undefined}>
          {c.render(row)}
        </TableCell>
      ))}
    </TableRow>
  );
}
