// The Leftovers window's data and what it does: the list (loaded while the window is open), the
// highlighted rows, Remove, and Set Credentials… followed until the cleaned computers leave the list.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Credential, Leftover } from '../../main/ipc/contract';
import { credentialLabel } from '../credentials/credentialLabel';
import { useCredentialsPrompt } from '../credentials/useCredentialsPrompt';
import { rebindCredentials, rebindSummary, reloadSelectedTask, reloadTasks, removeLeftoversOf, request } from '../state/actions';
import type { LeftoverRow } from './leftoverColumns';

export type LeftoversNotice = { severity: 'info' | 'warning' | 'error'; text: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** How long the window follows a cleanup before it says the computer may be out of reach. */
const WATCH_MS = 20_000;

/** The leftovers, reloaded on demand while the window is open (`open`: false once it closed). */
function useLeftoverList(setNotice: (notice: LeftoversNotice) => void) {
  const [rows, setRows] = useState<LeftoverRow[] | null>(null);
  const [selected, setSelected] = useState<number[]>([]);
  const open = useRef(true);
  useEffect(() => {
    open.current = true;
    return () => void (open.current = false);
  }, []);
  const load = useCallback(async (): Promise<Leftover[] | null> => {
    const r = await request('leftovers.list', {});
    if (!open.current) return null;
    if (!r.ok) {
      setNotice({ severity: 'error', text: `${r.error.class}: ${r.error.message} ${r.error.advice}` });
      return null;
    }
    const ids = new Set(r.result.map((l) => l.targetId));
    setRows(r.result.map((l) => ({ ...l, id: l.targetId })));
    setSelected((s) => s.filter((id) => ids.has(id)));
    return r.result;
  }, [setNotice]);
  useEffect(() => {
    void load();
  }, [load]);
  return { rows, selected, setSelected, load, open };
}

export function useLeftovers() {
  const [notice, setNotice] = useState<LeftoversNotice | null>(null);
  const [busy, setBusy] = useState(false);
  const [credentialsDialog, askCredentials] = useCredentialsPrompt();
  const list = useLeftoverList(setNotice);
  const { load, open } = list;

  /** Gives the credential to these targets: their leftovers are cleaned at once, and followed until gone. */
  const rebind = async (targets: readonly LeftoverRow[], credential: Credential) => {
    const ids = targets.map((t) => t.id);
    setBusy(true);
    const r = await rebindCredentials(credential.id, { targetIds: ids });
    setBusy(false);
    if (!r.ok) return setNotice({ severity: 'error', text: `${r.error.class}: ${r.error.message} ${r.error.advice}` });
    const summary = rebindSummary(r.result);
    setNotice({ severity: 'info', text: `${summary}${r.result.cleaning > 0 ? ' Cleaning…' : ''}` });
    if (r.result.cleaning > 0) {
      const gone = await watchUntilGone(ids, load, open);
      if (open.current) {
        setNotice(
          gone
            ? { severity: 'info', text: `${summary} Nothing is left on them now (as ${credentialLabel(credential)}).` }
            : { severity: 'warning', text: `${summary} Some are still listed: a computer may be out of reach; its step log says why. Try Remove later.` },
        );
      }
    } else await load();
    await afterChange();
  };

  const setCredentials = (targets: readonly LeftoverRow[]) => {
    const names = [...new Set(targets.map((t) => t.computerName))];
    askCredentials({
      scope: `${names.length} computer(s) (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}) whose pushes left something: it is removed with these credentials at once`,
      then: (credential) => rebind(targets, credential),
    });
  };

  const remove = async (targets: readonly LeftoverRow[]) => {
    if (targets.length === 0) return;
    setBusy(true);
    setNotice({ severity: 'info', text: `Removing what ${targets.length} push(es) left…` });
    const { cleaned, remaining, missing, problems } = await removeLeftoversOf(targets);
    setBusy(false);
    await load();
    await afterChange();
    if (!open.current) return;
    const parts = [`Leftovers removed on ${cleaned} of ${targets.length} computer(s).`];
    if (remaining) parts.push(`${remaining} still hold something: their step log says what and why.`);
    if (missing.length) parts.push(`${missing.length} could not be tried: their credentials are not held any more.`);
    parts.push(...problems);
    setNotice({ severity: problems.length || remaining ? 'warning' : 'info', text: parts.join(' ') });
    if (missing.length) setCredentials(missing);
  };

  return { ...list, notice, setNotice, busy, credentialsDialog, setCredentials, remove };
}

/** Follows cleanups under way until the targets leave the list (true), or the time is up or the window closed (false). */
async function watchUntilGone(ids: readonly number[], load: () => Promise<Leftover[] | null>, open: { readonly current: boolean }): Promise<boolean> {
  const until = Date.now() + WATCH_MS;
  while (open.current) {
    const leftovers = await load();
    if (leftovers && !leftovers.some((l) => ids.includes(l.targetId))) return true;
    if (Date.now() > until) return false;
    await sleep(700);
  }
  return false;
}

/** History's tasks and the selected task's targets again: their leftovers changed. */
async function afterChange(): Promise<void> {
  await reloadTasks();
  await reloadSelectedTask();
}
