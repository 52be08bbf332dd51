// What the Computers tab does with its selection: the action list of its context menu, Remove
// Leftovers and Set Credentials… (with what they report in the notice), and the dialog they open.
import { useState } from 'react';
import type { MenuAction } from '../components/ActionsMenu';
import { useCredentialsPrompt } from '../credentials/useCredentialsPrompt';
import { LEFTOVERS_SHORTCUT } from '../history/LeftoversDialog';
import { rebindCredentials, rebindSummary, request } from '../state/actions';
import { selectMayChangeComputers, useConsole } from '../state/store';
import type { ComputerDialogKind } from './ComputerDialogs';

/** What the last action did; `credentialsFor`: computers whose leftovers wait for credentials (offers Set Credentials…). */
export type ComputersNoticeState = { text: string; severity: 'info' | 'warning' | 'error'; credentialsFor?: number[] };

export function useComputerActions(selected: number[], openDialog: (dialog: ComputerDialogKind) => void) {
  const propertiesRequested = useConsole((s) => s.propertiesRequested);
  const wizardOpened = useConsole((s) => s.wizardOpened);
  const leftoversOpened = useConsole((s) => s.leftoversOpened);
  const [notice, setNotice] = useState<ComputersNoticeState | null>(null);
  const [credentialsDialog, askCredentials] = useCredentialsPrompt();
  const mayChange = useConsole(selectMayChangeComputers);
  const none = selected.length === 0;

  /** Set Credentials… for the pushes to these computers whose credentials are gone: waiting ones resume, leftovers are cleaned. */
  const setCredentials = (ids: number[]) =>
    askCredentials({
      scope: `the pushes to ${ids.length} computer(s) whose credentials are not held any more`,
      then: async (credential) => {
        const r = await rebindCredentials(credential.id, { computerIds: ids });
        setNotice(r.ok ? { severity: 'info', text: rebindSummary(r.result, 'push(es)') } : { severity: 'error', text: `${r.error.class}: ${r.error.message} ${r.error.advice}` });
      },
    });
  const actions: MenuAction[] = [
    { label: 'New Installation Task…', shortcut: 'Ctrl+N', disabled: none, run: () => wizardOpened(selected) },
    { label: 'Get Info', disabled: none, run: () => openDialog('info') },
    { label: 'Diagnostics…', disabled: none, run: () => openDialog('diagnose') },
    { label: 'Move to Group…', disabled: none, run: () => openDialog('group') },
    { label: 'Set Site…', disabled: none || !mayChange, run: () => openDialog('site') },
    { label: 'Set Credentials…', disabled: none, run: () => setCredentials(selected) },
    { label: 'Remove Leftovers', disabled: none, run: () => void removeLeftovers(selected, setNotice) },
    { label: 'Leftovers…', shortcut: LEFTOVERS_SHORTCUT, disabled: false, run: leftoversOpened },
    { label: 'Remove', shortcut: 'Delete', disabled: none, run: () => openDialog('remove') },
    { label: 'Properties', shortcut: 'F4', disabled: none, run: propertiesRequested },
  ];
  return { actions, notice, setNotice, setCredentials, credentialsDialog };
}

/** Remove Leftovers on the computers' pushes; says how many were cleaned, and which lack credentials. */
async function removeLeftovers(ids: number[], setNotice: (notice: ComputersNoticeState) => void): Promise<void> {
  const r = await request('computers.removeLeftovers', { ids });
  if (!r.ok) return setNotice({ severity: 'error', text: `${r.error.class}: ${r.error.message} ${r.error.advice}` });
  const { targets, cleaned, remaining, noCredentials } = r.result;
  if (targets === 0) return setNotice({ severity: 'info', text: 'No leftovers are recorded for the selected computers.' });
  const text = `Leftovers: ${cleaned} of ${targets} push(es) cleaned, ${remaining} remaining.`;
  if (noCredentials > 0) {
    return setNotice({
      severity: 'warning',
      text: `${text} ${noCredentials} of them could not be tried: their credentials are not held any more. Set Credentials… on these computers removes what is left at once.`,
      credentialsFor: ids,
    });
  }
  setNotice({ severity: remaining ? 'warning' : 'info', text });
}
