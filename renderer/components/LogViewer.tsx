// The log viewer behind View All Logs / View Selected Logs: each chosen target's step log and,
// when the agent sent one, its MSI verbose log. Search narrows to matching lines (the count is
// shown), Copy puts what is shown on the clipboard, Save writes it to a .log file.
import { Box, Button, Chip, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Stack, Switch, TextField, Typography } from '@mui/material';
import { useEffect, useMemo, useState } from 'react';
import { loadTargetLogs, saveFile } from '../state/actions';
import { useConsole } from '../state/store';

export interface LogSource {
  readonly targetId: number;
  readonly computerName: string;
}

const MAX_SHOWN_LINES = 20_000;

/** The sources' logs loaded from main, as lines: each step log, then (withMsi) each MSI log, under a heading. */
function useLogLines(sources: readonly LogSource[], withMsi: boolean) {
  const logs = useConsole((s) => s.logsByTarget);
  const msiLogs = useConsole((s) => s.msiLogsByTarget);
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    let live = true;
    void loadTargetLogs(sources.map((s) => s.targetId), true).then(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [sources]);
  const lines = useMemo(() => {
    const out: string[] = [];
    for (const source of sources) {
      out.push(`==== ${source.computerName} — step log ====`);
      for (const e of logs[source.targetId] ?? []) out.push(`${e.at}  ${source.computerName}  ${e.step}  ${e.detail}${e.code ? `  [${e.code}]` : ''}`);
      const msi = msiLogs[source.targetId];
      if (withMsi) {
        out.push(`==== ${source.computerName} — MSI log ====`);
        if (msi) out.push(...msi.split(/\r?\n/));
        else out.push('(no MSI log: msiexec did not run on this computer, or the agent sent none)');
      }
    }
    return out;
  }, [sources, logs, msiLogs, withMsi]);
  return { loading, lines };
}

export function LogViewer(props: { title: string; sources: readonly LogSource[]; onClose: () => void }) {
  const [query, setQuery] = useState('');
  const [withMsi, setWithMsi] = useState(true);
  const { loading, lines } = useLogLines(props.sources, withMsi);
  const q = query.trim().toLowerCase();
  const shown = q ? lines.filter((l) => l.toLowerCase().includes(q)) : lines;
  const text = shown.slice(0, MAX_SHOWN_LINES).join('\n');

  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="lg" aria-label="Log viewer">
      <DialogTitle>{props.title}</DialogTitle>
      <DialogContent dividers>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 1 }}>
          <TextField autoFocus placeholder="Search the logs" value={query} onChange={(e) => setQuery(e.target.value)} sx={{ width: 320 }} slotProps={{ htmlInput: { 'data-testid': 'log-search' } }} />
          <Chip size="small" label={q ? `${shown.length} of ${lines.length} lines match` : `${lines.length} lines`} data-testid="log-count" />
          <FormControlLabel control={<Switch checked={withMsi} onChange={(e) => setWithMsi(e.target.checked)} />} label="MSI logs" />
          <Box sx={{ flex: 1 }} />
          <CopySaveButtons text={text} shown={shown} />
        </Stack>
        <Box
          component="pre"
          data-testid="log-view"
          sx={{ height: '60vh', overflow: 'auto', bgcolor: '#1e1e1e', color: '#e0e0e0', p: 1, m: 0, fontSize: 12, fontFamily: '"DejaVu Sans Mono", Consolas, monospace' }}
        >
          {loading ? 'Loading logs…' : text || 'No line matches the search.'}
        </Box>
        {shown.length > MAX_SHOWN_LINES && <Typography variant="caption">The first {MAX_SHOWN_LINES} lines are shown; Save writes them all.</Typography>}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}

/** Copy (what is shown, to the clipboard) and Save… (every matching line, to a .log file). */
function CopySaveButtons(props: { text: string; shown: readonly string[] }) {
  const [copied, setCopied] = useState(false);
  return (
    <>
      <Button onClick={() => void navigator.clipboard?.writeText(props.text).then(() => setCopied(true), () => setCopied(false))}>{copied ? 'Copied' : 'Copy'}</Button>
      <Button onClick={() => saveFile(`push-install-logs-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.log`, `${props.shown.join('\r\n')}\r\n`, 'text/plain')}>
        Save…
      </Button>
    </>
  );
}
