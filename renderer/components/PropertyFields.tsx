// Properties' label/value table: one row per field, an empty value shown as a dash.
import { Table, TableBody, TableCell, TableRow } from '@mui/material';

export function Fields(props: { rows: [string, string | number | null][]; label?: string }) {
  return (
    <Table aria-label={props.label ?? 'Properties'} size="small">
      <TableBody>
        {props.rows.map(([label, value]) => (
          <TableRow key={label}>
            <TableCell component="th" sx={{ width: 200, fontWeight: 600 }}>
              {label}
            </TableCell>
            <TableCell sx={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>{value === null || value === '' ? '—' : value}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
