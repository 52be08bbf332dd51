// The columns of a task's targets, shared by Installation History and the Properties window.
import { Box, Chip, LinearProgress, Typography } from '@mui/material';
import type { Credential, TaskTarget } from '../../main/ipc/contract';
import type { Column } from '../components/DataTable';
import { useConsole } from '../state/store';
import { OUTCOME_COLORS } from './OutcomeChart';

const pad = (n: number) => String(n).padStart(2, '0');

/** Compact, sortable-looking times for dense grids: "22:58:07" today, "2026-11-21 22:58" before. */
export function when(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time.slice(0, 5)}`;
}

export function duration(from: string | null, to: string | null): string {
  if (!from || !to) return '—';
  const s = Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
  return s < 60 ? `${s.toFixed(1)} s` : s < 3600 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export const STATE_LABELS: Readonly<Record<TaskTarget['state'], string>> = {
  queued: 'queued',
  probing: 'probing',
  connecting: 'connecting',
  authenticating: 'authenticating',
  copying: 'copying',
  'copying-package': 'copying package',
  starting: 'starting service',
  'waiting-for-agent': 'waiting for agent',
  downloading: 'downloading',
  installing: 'installing',
  'cleaning-up': 'cleaning up',
  'waiting-for-credentials': 'waiting for credentials',
  done: 'done',
};

/** A target's state in words (Properties, exports): "waiting for credentials", "done: failed". */
export function stateLabel(t: Pick<TaskTarget, 'state' | 'outcome' | 'progress'>): string {
  if (t.state === 'done') return `done: ${t.outcome ?? ''}`;
  return `${STATE_LABELS[t.state]}${t.progress !== null ? ` (${Math.round(t.progress)} %)` : ''}`;
}

/**
 * Whether the target's credential is gone (deleted, or its secret not held since a restart), when
 * that matters: it waits, is queued, or ended leaving something that only its credential can clean.
 */
export function lacksCredentials(t: Pick<TaskTarget, 'state' | 'leftovers' | 'credentialId'>, credentials: readonly Pick<Credential, 'id' | 'available'>[]): boolean {
  const matters = t.state === 'queued' || t.state === 'waiting-for-credentials' || (t.state === 'done' && t.leftovers !== null);
  if (!matters) return false;
  if (t.credentialId === null) return true;
  const c = credentials.find((x) => x.id === t.credentialId);
  // Not in the list (yet): say nothing rather than something wrong.
  return c !== undefined && !c.available;
}

function NoCredentialsMarker(props: { target: TaskTarget }) {
  const credentials = useConsole((s) => s.credentials);
  if (props.target.state === 'waiting-for-credentials' || !lacksCredentials(props.target, credentials)) return null;
  return (
    <Chip
      size="small"
      variant="outlined"
      color="warning"
      label="no credentials"
      data-testid="no-credentials"
      title="The credentials of this computer are not held any more: use Set Credentials… on it."
      sx={{ ml: 1, height: 18, fontSize: 11 }}
    />
  );
}

function outcomeColor(t: TaskTarget): string {
  if (t.outcome === 'succeeded') return OUTCOME_COLORS.succeeded;
  if (t.outcome === 'succeeded-reboot-required') return OUTCOME_COLORS.reboot;
  if (t.outcome === 'failed') return OUTCOME_COLORS.failed;
  if (t.outcome === 'cancelled') return OUTCOME_COLORS.cancelled;
  return OUTCOME_COLORS.interrupted;
}

export function TargetState(props: { target: TaskTarget }) {
  const t = props.target;
  if (t.state === 'done') {
    return (
      <>
        <Typography component="span" sx={{ color: outcomeColor(t), fontWeight: 600, fontSize: 'inherit' }} data-testid="target-outcome">
          {t.outcome === 'succeeded-reboot-required' ? 'succeeded (reboot)' : t.outcome ?? 'done'}
        </Typography>
        <NoCredentialsMarker target={t} />
      </>
    );
  }
  if (t.state === 'waiting-for-credentials') {
    return (
      <Typography component="span" sx={{ color: OUTCOME_COLORS.waiting, fontWeight: 600, fontSize: 'inherit' }} data-testid="target-waiting" title={t.errorMessage ?? undefined}>
        {STATE_LABELS[t.state]}
      </Typography>
    );
  }
  const determinate = (t.state === 'copying' || t.state === 'copying-package' || t.state === 'downloading') && t.progress !== null;
  const busy = t.state !== 'queued';
  return (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
      <Typography component="span" sx={{ fontSize: 'inherit', width: 118, flexShrink: 0 }}>
        {STATE_LABELS[t.state]}
        {determinate ? ` ${Math.round(t.progress!)} %` : ''}
        {t.state === 'queued' && t.queuePosition !== null ? ` #${t.queuePosition}` : ''}
      </Typography>
      {!busy && <NoCredentialsMarker target={t} />}
      {busy && <LinearProgress sx={{ flex: 1, minWidth: 40 }} variant={determinate ? 'determinate' : 'indeterminate'} value={determinate ? t.progress! : undefined} />}
    </Box>
  );
}

/** Reboot required, and not restarted since (the reboot policy's restart came back). */
const stillNeedsReboot = (t: Pick<TaskTarget, 'rebootRequired' | 'restart'>) => t.rebootRequired && t.restart !== 'restarted';

/** A target's restart in a few words: "scheduled 14:05", "restarting", "back online", "not back"… */
export function restartLabel(t: Pick<TaskTarget, 'restart' | 'restartAt'>): string {
  switch (t.restart) {
    case null:
    case 'not-needed':
      return '—';
    case 'scheduled':
      return t.restartAt ? `scheduled ${when(t.restartAt)}` : 'scheduled';
    case 'restarted':
      return 'back online';
    case 'left-to-msiexec':
      return 'by msiexec';
    default:
      return t.restart.replace('-', ' ');
  }
}

export const targetColumns: readonly Column<TaskTarget>[] = [
  { key: 'computer', header: 'Computer', width: '12%', render: (t) => t.computerName, sortValue: (t) => t.computerName },
  { key: 'state', header: 'State', width: '16%', render: (t) => <TargetState target={t} /> },
  { key: 'queue', header: 'Queue', width: '5%', align: 'right', render: (t) => (t.queuePosition === null ? '' : t.queuePosition) },
  { key: 'class', header: 'Error class', width: '10%', render: (t) => t.errorClass ?? (stillNeedsReboot(t) ? 'reboot required' : '—'), sortValue: (t) => t.errorClass ?? (stillNeedsReboot(t) ? 'reboot required' : null) },
  { key: 'advice', header: 'Advice', render: (t) => t.advice ?? t.errorMessage ?? '', title: (t) => [t.errorMessage, t.advice].filter(Boolean).join('\n') || null },
  { key: 'code', header: 'Code', width: '9%', render: (t) => t.errorCode ?? (t.exitCode !== null ? String(t.exitCode) : '—'), sortValue: (t) => t.errorCode ?? (t.exitCode !== null ? String(t.exitCode) : null) },
  { key: 'restart', header: 'Restart', width: '9%', render: (t) => restartLabel(t), title: (t) => t.restartDetail, sortValue: (t) => t.restart },
  {
    key: 'transport', header: 'Transport', width: '7%', render: (t) => (t.transport === 'smb' ? 'SMB' : t.transport ?? '—'), sortValue: (t) => t.transport,
    title: (t) => (t.transport === 'smb' ? 'The package was copied over SMB (ADMIN$) and the result read back from there.' : t.transport === 'callback' ? 'The agent downloaded the package from the console and reported back on the package server port.' : null),
  },
  {
    key: 'logon', header: 'Logon', width: '6%', render: (t) => (t.authMechanism === 'kerberos' ? 'Kerberos' : t.authMechanism === 'ntlm' ? 'NTLM' : '—'), sortValue: (t) => t.authMechanism,
    title: (t) => (t.authMechanism === 'kerberos' ? 'Logged on with Kerberos (a ticket for cifs/<name> from the domain controller).' : t.authMechanism === 'ntlm' ? 'Logged on with NTLMv2 (the computer was named by address, the account is local, or Kerberos could not be had: see the step log).' : null),
  },
  { key: 'started', header: 'Started', width: '9%', render: (t) => when(t.startedAt), title: (t) => (t.startedAt ? new Date(t.startedAt).toLocaleString() : null), sortValue: (t) => t.startedAt },
  { key: 'duration', header: 'Duration', width: '7%', align: 'right', render: (t) => duration(t.startedAt, t.finishedAt) },
];
