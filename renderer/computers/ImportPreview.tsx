// Add Computers' preview: how many will be added, the duplicates skipped and the invalid lines
// with their numbers and reasons, before anything changes.
import { Alert, Box } from '@mui/material';
import type { ComputerImportPreview } from '../../main/ipc/contract';
import { hostWithPort } from './hostWithPort';

/** Lines listed per kind: 50 000 would be 50 000 elements in the dialog. */
const SHOWN = 200;

export function ImportPreview(props: { preview: ComputerImportPreview }) {
  const { preview } = props;
  const existing = preview.duplicates.filter((d) => d.existing).length;
  return (
    <Box data-testid="import-preview">
      <Alert severity={preview.entries.length ? 'info' : 'warning'} sx={{ mb: 1 }}>
        {preview.entries.length} computer(s) will be added
        {preview.duplicates.length ? `; ${preview.duplicates.length} duplicate(s) skipped (${existing} already listed)` : ''}
        {preview.invalid.length ? `; ${preview.invalid.length} invalid` : ''}.
      </Alert>
      <Box sx={{ maxHeight: 160, overflow: 'auto', fontSize: 12, fontFamily: 'monospace', border: 1, borderColor: 'divider', p: 1 }}>
        {preview.entries.slice(0, SHOWN).map((e) => (
          <div key={`a${e.line}-${e.name}`}>+ {hostWithPort(e.name, e.port)}</div>
        ))}
        {preview.entries.length > SHOWN && <div>… and {preview.entries.length - SHOWN} more</div>}
        {preview.duplicates.slice(0, SHOWN).map((d) => (
          <div key={`d${d.line}-${d.entry}`} style={{ color: '#8a6d00' }}>
            = line {d.line}: {d.entry} ({d.existing ? 'already in Computers' : 'listed twice'})
          </div>
        ))}
        {preview.duplicates.length > SHOWN && <div>… and {preview.duplicates.length - SHOWN} more duplicate(s)</div>}
        {preview.invalid.slice(0, SHOWN).map((i) => (
          <div key={`i${i.line}-${i.entry}`} style={{ color: '#b00020' }} data-testid="invalid-line">
            ✗ line {i.line}: {i.entry} — {i.reason}
          </div>
        ))}
        {preview.invalid.length > SHOWN && <div>… and {preview.invalid.length - SHOWN} more invalid line(s)</div>}
      </Box>
    </Box>
  );
}
