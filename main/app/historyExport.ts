// Installation History exports: the results of a task as CSV (one row per target, what the
// admin reads in the grid) and a ZIP of each target's step log and MSI log. Neither ever holds a
// password: secrets never enter step logs, and every text is also scrubbed of the task's own
// credential secrets before it is written, in case a remote message echoed one back.
import type { TasksRepo, TargetRecord } from '../store/tasksRepo.js';
import { ConsoleError } from '../ipc/errors.js';
import { replaceForms } from '../smb/auth/secretRegistry.js';
import { ZipBuilder } from './zipWriter.js';

export const REDACTED = '********';

const CSV_COLUMNS = [
  'Computer', 'Address', 'State', 'Outcome', 'Error class', 'Error code', 'Message', 'Advice', 'Exit code',
  'Reboot required', 'Attempts', 'Started', 'Finished', 'Duration (s)', 'Leftovers', 'Transport', 'Logon', 'Restart', 'Restart at', 'Restart detail',
] as const;

/** RFC 4180 quoting, and a leading quote mark on cells a spreadsheet would run as a formula. */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function durationSeconds(t: TargetRecord): number | null {
  if (!t.started_at || !t.finished_at) return null;
  return Math.round((Date.parse(t.finished_at) - Date.parse(t.started_at)) / 100) / 10;
}

export function scrub(text: string, secrets: readonly string[]): string {
  return replaceForms(text, secrets, REDACTED);
}

function safeFilePart(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 60) || 'target';
}

export interface ExportDeps {
  readonly tasks: TasksRepo;
  /** The passwords of the credentials the task's targets used (to scrub, never to write). */
  readonly secretsOf: (credentialIds: readonly number[]) => string[];
  /** A target's own secrets besides its credential's: the LAPS passwords this console read for it (to scrub). */
  readonly targetSecrets?: (targetId: number) => string[];
}

function taskOrThrow(deps: ExportDeps, taskId: number) {
  const task = deps.tasks.task(taskId);
  if (!task) throw new ConsoleError('not-found', `Task ${taskId} does not exist.`, 'Refresh Installation History.');
  return task;
}

/** Rows per piece of the CSV: each piece is built and scrubbed on its own (50 000 rows are 50 pieces, not one string scrubbed whole). */
export const CSV_CHUNK_ROWS = 1_000;

/** The CSV's text in pieces of CSV_CHUNK_ROWS rows (the header first), each scrubbed of the task's and the rows' own secrets. */
function csvPieces(deps: ExportDeps, targets: readonly TargetRecord[], secrets: readonly string[]): string[] {
  const pieces = [`${CSV_COLUMNS.join(',')}\r\n`];
  for (let from = 0; from < targets.length; from += CSV_CHUNK_ROWS) {
    let piece = '';
    for (const t of targets.slice(from, from + CSV_CHUNK_ROWS)) {
      const row = [
        t.computer_name, t.address, t.state, t.outcome, t.error_class, t.error_code, t.error_message, t.advice, t.exit_code,
        t.reboot_required === 1, t.attempts, t.started_at, t.finished_at, durationSeconds(t), t.leftovers, t.transport, t.auth_mechanism, t.restart_state, t.restart_at, t.restart_detail,
      ].map(csvCell).join(',');
      piece += `${scrub(row, deps.targetSecrets?.(t.id) ?? [])}\r\n`;
    }
    pieces.push(scrub(piece, secrets));
  }
  return pieces;
}

function credentialIds(targets: readonly TargetRecord[]): number[] {
  return targets.flatMap((t) => (t.credential_id === null ? [] : [t.credential_id]));
}

export function exportCsv(deps: ExportDeps, taskId: number): { fileName: string; text: string } {
  const task = taskOrThrow(deps, taskId);
  const targets = deps.tasks.targetRecords(taskId);
  // The contract answers one string; it is joined once from the scrubbed pieces.
  const text = csvPieces(deps, targets, deps.secretsOf(credentialIds(targets))).join('');
  return { fileName: `task-${taskId}-${safeFilePart(task.name)}-results.csv`, text };
}

/** Targets written into the ZIP between two yields to the event loop (50 000 take seconds: main keeps answering meanwhile). */
export const ZIP_CHUNK_TARGETS = 500;

export async function exportLogsZip(deps: ExportDeps, taskId: number, targetIds?: readonly number[]): Promise<{ fileName: string; data: Buffer; entries: number }> {
  const task = taskOrThrow(deps, taskId);
  const wanted = targetIds ? new Set(targetIds) : null;
  const all = deps.tasks.targetRecords(taskId);
  const targets = wanted ? all.filter((t) => wanted.has(t.id)) : all;
  const secrets = deps.secretsOf(credentialIds(targets));
  const zip = new ZipBuilder();
  const text = (s: string, own: readonly string[] = []) => Buffer.from(scrub(scrub(s, own), secrets), 'utf8');
  // results.csv (every target, as Export CSV) from its scrubbed pieces, each scrubbed again with the chosen targets' secrets.
  const csv = csvPieces(deps, all, deps.secretsOf(credentialIds(all)));
  zip.add({ name: 'results.csv', data: Buffer.concat(csv.map((piece) => text(piece))) });
  for (const [index, t] of targets.entries()) {
    if (index > 0 && index % ZIP_CHUNK_TARGETS === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const folder = `${safeFilePart(t.computer_name)}-${t.id}`;
    const own = deps.targetSecrets?.(t.id) ?? [];
    const steps = deps.tasks.log(t.id).map((e) => `${e.at}\t${e.step}\t${e.detail}${e.code ? `\t[${e.code}]` : ''}`);
    zip.add({ name: `${folder}/steps.log`, data: text(`${steps.join('\r\n')}\r\n`, own) });
    if (t.msi_log) zip.add({ name: `${folder}/msi.log`, data: text(t.msi_log, own) });
  }
  zip.add({
    name: 'README.txt',
    data: Buffer.from(`Push Install Console: logs of task ${taskId} "${task.name}", ${targets.length} computer(s), exported ${new Date().toISOString()}.\r\nEach folder holds a computer's step log (steps.log) and, when the agent sent one, the MSI verbose log (msi.log).\r\n`, 'utf8'),
  });
  const entries = zip.entries;
  return { fileName: `task-${taskId}-${safeFilePart(task.name)}-logs.zip`, data: zip.finish(), entries };
}
