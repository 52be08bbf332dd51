// Small charts of outcomes: a stacked bar per task in the grid (the task's counts), and for the
// selected task a bar with a legend by outcome and error class (its targets' counts, outcomeCounts.ts).
import { Box, Stack, Tooltip, Typography } from '@mui/material';
import type { TaskSummary } from '../../main/ipc/contract';
import { classLegend, type OutcomeCounts } from './outcomeCounts';

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

/** The selected task's outcomes as a bar with a legend, and its failures by error class (every one counted). */
export function TargetOutcomeChart(props: { counts: OutcomeCounts }) {
  const c = props.counts;
  const parts: Part[] = [
    { key: 'succeeded', label: 'succeeded', count: c.succeeded, color: OUTCOME_COLORS.succeeded },
    { key: 'reboot', label: 'succeeded, reboot required', count: c.reboot, color: OUTCOME_COLORS.reboot },
    { key: 'failed', label: 'failed', count: c.failed, color: OUTCOME_COLORS.failed },
    { key: 'cancelled', label: 'cancelled', count: c.cancelled, color: OUTCOME_COLORS.cancelled },
    { key: 'interrupted', label: 'interrupted', count: c.interrupted, color: OUTCOME_COLORS.interrupted },
    { key: 'running', label: 'running', count: c.running, color: OUTCOME_COLORS.running },
    { key: 'waiting', label: 'waiting for credentials', count: c.waiting, color: OUTCOME_COLORS.waiting },
    { key: 'queued', label: 'queued', count: c.queued, color: OUTCOME_COLORS.queued },
  ].filter((p) => p.count > 0);
  const classes = classLegend(c.failedClasses);
  return (
    <Box sx={{ minWidth: 260 }} data-testid="outcome-chart">
      <Bar parts={parts} total={c.total} height={14} />
      <Stack direction="row" spacing={1.5} sx={{ mt: 0.5, flexWrap: 'wrap', rowGap: 0.25 }}>
        {parts.map((p) => (
          <Typography key={p.key} variant="caption" sx={{ display: 'flex', alignItems: 'center', gap: 0.5, whiteSpace: 'nowrap' }}>
            <Box component="span" sx={{ width: 10, height: 10, bgcolor: p.color, display: 'inline-block', borderRadius: 0.25 }} />
            {p.count} {p.label}
          </Typography>
        ))}
        {classes.length > 0 && (
          <Typography variant="caption" color="error" data-testid="outcome-classes">
            {classes.map((k, i) => (
              <span key={k.label} title={k.title}>
                {i > 0 ? ' · ' : ''}
                {k.count} {k.label}
              </span>
            ))}
          </Typography>
        )}
      </Stack>
    </Box>
  );
}
