// Small charts of outcomes: a stacked bar per task in the grid, and for the selected task a bar
// with a legend by outcome and error class.
import { Box, Stack, Tooltip, Typography } from '@mui/material';
import type { TaskSummary, TaskTarget } from '../../main/ipc/contract';

export const OUTCOME_COLORS = {
  succeeded: '#2e7d32',
  reboot: '#66bb6a',
  failed: '#c62828',
  running: '#1565c0',
  queued: '#b0bec5',
  /** Waiting for credentials: not failed, but nothing moves until the admin acts. */
  waiting: '#f9a825',
  cancelled: '#ef6c00',
  interrupted: '#8d6e63',
} as const;

type Part = { key: string; label: string; count: number; color: string };

function Bar(props: { parts: Part[]; total: number; height: number; testId?: string }) {
  return (
    <Box sx={{ display: 'flex', height: props.height, width: '100%', bgcolor: '#eceff1', borderRadius: 0.5, overflow: 'hidden' }} data-testid={props.testId} role="img" aria-label={props.parts.map((p) => `${p.count} ${p.label}`).join(', ')}>
      {props.parts
        .filter((p) => p.count > 0)
        .map((p) => (
          <Tooltip key={p.key} title={`${p.count} ${p.label}`}>
            <Box sx={{ width: `${(100 * p.count) / Math.max(1, props.total)}%`, bgcolor: p.color }} />
          </Tooltip>
        ))}
    </Box>
  );
}

export function TaskOutcomeBar(props: { task: TaskSummary }) {
  const t = props.task;
  const rest = Math.max(0, t.targets - t.succeeded - t.failed - t.running - t.waiting);
  return (
    <Bar
      height={10}
      total={t.targets}
      parts={[
        { key: 's', label: 'succeeded', count: t.succeeded, color: OUTCOME_COLORS.succeeded },
        { key: 'f', label: 'failed', count: t.failed, color: OUTCOME_COLORS.failed },
        { key: 'r', label: 'running', count: t.running, color: OUTCOME_COLORS.running },
        { key: 'w', label: 'waiting for credentials', count: t.waiting, color: OUTCOME_COLORS.waiting },
        { key: 'q', label: t.status === 'finished' || t.status === 'cancelled' ? 'cancelled or interrupted' : 'queued, cancelled or interrupted', count: rest, color: OUTCOME_COLORS.queued },
      ]}
    />
  );
}

export function TargetOutcomeChart(props: { targets: readonly TaskTarget[] }) {
  const counts = new Map<string, Part>();
  const bump = (key: string, label: string, color: string) => {
    const p = counts.get(key) ?? { key, label, count: 0, color };
    p.count += 1;
    counts.set(key, p);
  };
  const failedClasses = new Map<string, number>();
  for (const t of props.targets) {
    if (t.state === 'waiting-for-credentials') bump('waiting', 'waiting for credentials', OUTCOME_COLORS.waiting);
    else if (t.state !== 'done') bump(t.state === 'queued' ? 'queued' : 'running', t.state === 'queued' ? 'queued' : 'running', t.state === 'queued' ? OUTCOME_COLORS.queued : OUTCOME_COLORS.running);
    else if (t.outcome === 'succeeded') bump('succeeded', 'succeeded', OUTCOME_COLORS.succeeded);
    else if (t.outcome === 'succeeded-reboot-required') bump('reboot', 'succeeded, reboot required', OUTCOME_COLORS.reboot);
    else if (t.outcome === 'failed') {
      bump('failed', 'failed', OUTCOME_COLORS.failed);
      // The class arrives with the target's reload a moment after its outcome event.
      if (t.errorClass) failedClasses.set(t.errorClass, (failedClasses.get(t.errorClass) ?? 0) + 1);
    } else if (t.outcome === 'cancelled') bump('cancelled', 'cancelled', OUTCOME_COLORS.cancelled);
    else bump('interrupted', 'interrupted', OUTCOME_COLORS.interrupted);
  }
  const order = ['succeeded', 'reboot', 'failed', 'cancelled', 'interrupted', 'running', 'waiting', 'queued'];
  const parts = order.flatMap((k) => (counts.has(k) ? [counts.get(k)!] : []));
  const classes = [...failedClasses].sort((a, b) => b[1] - a[1]).slice(0, 4);
  return (
    <Box sx={{ minWidth: 260 }} data-testid="outcome-chart">
      <Bar parts={parts} total={props.targets.length} height={14} />
      <Stack direction="row" spacing={1.5} sx={{ mt: 0.5, flexWrap: 'wrap' }}>
        {parts.map((p) => (
          <Typography key={p.key} variant="caption" sx={{ display: 'flex', alignItems: 'center', gap: 0.5 }}>
            <Box component="span" sx={{ width: 10, height: 10, bgcolor: p.color, display: 'inline-block', borderRadius: 0.25 }} />
            {p.count} {p.label}
          </Typography>
        ))}
        {classes.length > 0 && (
          <Typography variant="caption" color="error">
            {classes.map(([c, n]) => `${n} ${c}`).join(' · ')}
          </Typography>
        )}
      </Stack>
    </Box>
  );
}
