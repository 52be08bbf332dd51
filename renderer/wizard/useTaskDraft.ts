// The New Installation Task wizard's state: the step, the draft (kept while the wizard is open, so
// Back loses nothing), Test's results, what keeps a step from continuing, and Finish.
import { useMemo, useState } from 'react';
import { installsAs, type CredentialCheck, type IpcError, type Package } from '../../main/ipc/contract';
import { openTask, reloadTasks, request } from '../state/actions';
import { useConsole } from '../state/store';
import { draftProblem, type TaskDraft } from './draftProblem';
import { ACTION_WORDS, inAMinute } from './taskWords';
import { NO_RESTART } from '../components/RebootPolicyFields';

export function useTaskDraft(computerIds: number[]) {
  const packages = useConsole((s) => s.packages);
  const credentials = useConsole((s) => s.credentials);
  const computers = useConsole((s) => s.computers);
  const [step, setStep] = useState(0);
  const [draft, setDraft] = useState<TaskDraft>(() => initialDraft(computerIds, packages));
  const [checks, setChecks] = useState<Record<number, CredentialCheck | 'testing'>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);

  /** Changes the draft; `clearProblem`: the change answers what kept the step from continuing. */
  const change = (patch: Partial<TaskDraft>, clearProblem = false) => {
    setDraft((d) => ({ ...d, ...patch }));
    if (clearProblem) setProblem(null);
  };
  const words = ACTION_WORDS[draft.action];
  const pkg = packages.find((p) => p.id === draft.packageId) ?? null;
  const defaultName = useMemo(() => (pkg ? `${words.verb} ${pkg.name} ${words.onto} ${draft.rows.length} computer${draft.rows.length === 1 ? '' : 's'}` : ''), [pkg, draft.rows.length, words]);
  const problemAt = (s: number) => draftProblem(s, { draft, pkg, packages, credentials, computers, words, defaultName });

  const next = () => {
    const p = problemAt(step);
    setProblem(p);
    if (p === null) setStep(step + 1);
  };
  const back = () => {
    setProblem(null);
    setStep(step - 1);
  };
  const finish = async () => {
    for (const s of [1, 2, 3]) {
      const p = problemAt(s);
      if (p) {
        setStep(s);
        setProblem(p);
        return;
      }
    }
    setBusy(true);
    setError(null);
    const r = await createTask(draft, pkg!.id, defaultName);
    setBusy(false);
    if (!r.ok) return setError(r.error);
    const s = useConsole.getState();
    s.wizardClosed();
    // History opens on the new task (not on the newest of those listed before it).
    s.taskSelected(r.result.taskId);
    s.tabChosen('history');
    await reloadTasks();
    await openTask(r.result.taskId);
  };

  return { step, draft, change, checks, setChecks, pkg, words, defaultName, problem, error, busy, next, back, finish };
}

/** Install on the selected computers, none with credentials yet, the only package if there is one, now. */
function initialDraft(computerIds: readonly number[], packages: readonly Package[]): TaskDraft {
  return {
    kind: 'push',
    action: 'install',
    rows: computerIds.map((computerId) => ({ computerId, credentialId: null })),
    packageId: packages.length === 1 ? packages[0]!.id : null,
    runAs: 'admin',
    transport: 'auto',
    reboot: NO_RESTART,
    name: '',
    when: 'now',
    at: inAMinute(),
  };
}

function createTask(draft: TaskDraft, packageId: number, defaultName: string) {
  return request('tasks.create', {
    name: draft.name.trim() || defaultName,
    packageId,
    scheduledAt: draft.when === 'now' ? null : new Date(draft.at).toISOString(),
    runAs: installsAs(draft.runAs, draft.transport),
    action: draft.action,
    transport: draft.transport,
    // The policy applies to installs and repairs (msiexec's 3010); an uninstall's restart is the admin's call.
    ...(draft.reboot.policy !== 'none' && draft.action !== 'uninstall' ? { reboot: draft.reboot } : {}),
    targets: draft.rows.map((row) => ({ computerId: row.computerId, credentialId: row.credentialId! })),
  });
}
