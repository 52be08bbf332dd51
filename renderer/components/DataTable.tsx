// A dense, sortable-by-column-definition table with row selection (click, Ctrl+click,
// Shift+click, Ctrl+A) and a double-click that opens Properties. Columns are defined once per
// tab as a stable constant.
import { Box, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { useRef, type KeyboardEvent, type ReactNode } from 'react';

export interface Column<T> {
  readonly key: string;
  readonly header: string;
  readonly width?: number | string;
  readonly render: (row: T) => ReactNode;
}

export function DataTable<T extends { id: number }>(props: {
  label: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  selected: readonly number[];
  onSelect: (ids: number[]) => void;
  onOpen?: (row: T) => void;
  multiSelect?: boolean;
  empty: ReactNode;
}) {
  const anchor = useRef<number | null>(null);
  const { rows, selected, onSelect, multiSelect = true } = props;

  const click = (event: React.MouseEvent, row: T, index: number) => {
    if (multiSelect && event.shiftKey && anchor.current !== null) {
      const [a, b] = [anchor.current, index].sort((x, y) => x - y) as [number, number];
      onSelect(rows.slice(a, b + 1).map((r) => r.id));
      return;
    }
    anchor.current = index;
    if (multiSelect && (event.ctrlKey || event.metaKey)) {
      onSelect(selected.includes(row.id) ? selected.filter((id) => id !== row.id) : [...selected, row.id]);
    } else {
      onSelect([row.id]);
    }
  };

  const keyDown = (event: KeyboardEvent) => {
    if (multiSelect && (event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'a') {
      event.preventDefault();
      onSelect(rows.map((r) => r.id));
    }
  };

  return (
    <Box sx={{ flex: 1, overflow: 'auto', border: 1, borderColor: 'divider', bgcolor: 'background.paper' }} tabIndex={0} onKeyDown={keyDown}>
      <Table stickyHeader aria-label={props.label} aria-multiselectable={multiSelect}>
        <TableHead>
          <TableRow>
            {props.columns.map((c) => (
              <TableCell key={c.key} sx={{ width: c.width }}>
                {c.header}
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((row, index) => (
            <TableRow
              key={row.id}
              hover
              selected={selected.includes(row.id)}
              aria-selected={selected.includes(row.id)}
              onClick={(e) => click(e, row, index)}
              onDoubleClick={() => props.onOpen?.(row)}
              sx={{ cursor: 'default', userSelect: 'none' }}
            >
              {props.columns.map((c) => (
                <TableCell key={c.key}>{c.render(row)}</TableCell>
              ))}
            </TableRow>
          ))}
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
