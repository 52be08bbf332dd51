// Properties' remote-install diagnostics of one target: every step with its time, result and
// code; a result of several lines (the agent's own log) keeps its lines, wraps and scrolls.
import { Box, Table, TableBody, TableCell, TableHead, TableRow } from '@mui/material';
import { useEffect } from 'react';
import type { TaskTarget } from '../../main/ipc/contract';
import { loadTargetLogs } from '../state/actions';
import { useConsole } from '../state/store';

/** The remote-install diagnostics of one target: every step with its time, result and code. */
export function StepTable(props: { target: TaskTarget }) {
  const entries = useConsole((s) => s.logsByTarget[props.target.id]);
  useEffect(() => {
    void loadTargetLogs([props.target.id]);
  }, [props.target.id, props.target.state]);
  return (
    <Box sx={{ overflow: 'auto', flex: 1, minHeight: 0, border: 1, borderColor: 'divider' }}>
      <Table size="small" stickyHeader aria-label={`Steps of ${props.target.computerName}`} data-testid="step-table">
        <TableHead>
          <TableRow>
            <TableCell sx={{ width: 110 }}>Time</TableCell>
            <TableCell sx={{ width: 130 }}>Step</TableCell>
            <TableCell>Result</TableCell>
            <TableCell sx={{ width: 190 }}>Code</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {(entries ?? []).map((e) => (
            <TableRow key={e.id}>
              <TableCell>{new Date(e.at).toLocaleTimeString(undefined, { hour12: false })}.{e.at.slice(20, 23)}</TableCell>
              <TableCell>{e.step}</TableCell>
              <TableCell sx={{ wordBreak: 'break-word' }}>{e.detail.includes('\n') ? <StepText step={e.step} text={e.detail} /> : e.detail}</TableCell>
              <TableCell sx={{ fontFamily: 'monospace', fontSize: 12 }}>{e.code ?? ''}</TableCell>
            </TableRow>
          ))}
          {entries && entries.length === 0 && (
            <TableRow>
              <TableCell colSpan={4}>No steps yet: the computer is waiting in the queue.</TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
    </Box>
  );
}

/** A step's text of several lines (the agent's own log): its line breaks kept, long lines wrapped, scrolled past a dozen lines. */
function StepText(props: { step: string; text: string }) {
  return (
    <Box
      component="pre"
      data-testid={props.step === 'agent-log' ? 'agent-log' : 'step-text'}
      sx={{ m: 0, px: 1, py: 0.5, maxHeight: '16em', overflowY: 'auto', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', bgcolor: '#f6f8fa', borderRadius: 0.5, fontFamily: '"DejaVu Sans Mono", Consolas, monospace', fontSize: 12 }}
    >
      {props.text.replace(/\r\n?/g, '\n').replace(/\n+$/, '')}
    </Box>
  );
}
