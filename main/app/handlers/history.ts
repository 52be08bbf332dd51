// The History tab's exports: a task's results as CSV and its logs as a ZIP, with every form of
// its credentials' secrets — and the LAPS passwords read for its targets — scrubbed out
// (main/app/historyExport.ts).
import { exportCsv, exportLogsZip } from '../historyExport.js';
import { lapsScope } from '../../engine/lapsSecrets.js';
import { scopedSecretForms } from '../../smb/auth/secretRegistry.js';
import type { DomainHandlers, HandlerDeps } from './common.js';

export function createHistoryHandlers(deps: HandlerDeps): DomainHandlers<'history'> {
  return {
    'history.exportCsv': ({ taskId }) => exportCsv(exportDeps(deps), taskId),
    'history.exportLogs': async ({ taskId, targetIds }) => {
      const zip = await exportLogsZip(exportDeps(deps), taskId, targetIds);
      return { fileName: zip.fileName, base64: zip.data.toString('base64'), bytes: zip.data.length, entries: zip.entries };
    },
  };
}

function exportDeps(deps: HandlerDeps) {
  return {
    tasks: deps.tasks,
    secretsOf: (ids: readonly number[]) => [...new Set(ids)].flatMap((id) => deps.vault.scrubForms(id)),
    // The LAPS passwords read for a target live in no store: the secret register knows them by target.
    targetSecrets: (targetId: number) => scopedSecretForms(lapsScope(targetId)),
  };
}
