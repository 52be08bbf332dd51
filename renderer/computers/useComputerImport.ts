// Add Computers' state and its two steps: Preview (main parses the names, ranges or file) and Add
// (shows problems not seen yet first, then adds and reports the ids of what was added or listed).
// Up to 50 000 computers: Add sends them in batches of ADD_BATCH, and the dialog shows how many are
// in after each answer (each batch is one short write in main, and one message well under the
// browser bridge's 1 MB).
import { useState } from 'react';
import type { ComputerImportPreview, IpcError } from '../../main/ipc/contract';
import { reloadComputers, request } from '../state/actions';
import { useConsole } from '../state/store';
import { hostWithPort } from './hostWithPort';

export type ImportMode = 'paste' | 'file';

export function useComputerImport(onDone: (computerIds: number[]) => void) {
  const [mode, setModeState] = useState<ImportMode>('paste');
  const [text, setTextState] = useState('');
  const [file, setFileState] = useState('');
  const [group, setGroup] = useState('');
  const [preview, setPreview] = useState<ComputerImportPreview | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);
  /** While Add runs: how many of how many computers are in. */
  const [progress, setProgress] = useState<AddProgress | null>(null);

  const runPreview = async (): Promise<ComputerImportPreview | null> => {
    setError(null);
    const r = mode === 'paste' ? await request('computers.preview', { text }) : await request('computers.previewFile', { path: file });
    if (!r.ok) {
      setError(r.error);
      setPreview(null);
      return null;
    }
    setPreview(r.result);
    return r.result;
  };

  const add = async () => {
    setBusy(true);
    try {
      const seen = preview;
      const p = seen ?? (await runPreview());
      if (!p) return;
      // Problems the admin has not seen yet are shown first; Add again goes ahead.
      if (!seen && (p.invalid.length > 0 || p.entries.length === 0)) return;
      const ids = await addPreviewed(p, group.trim(), setError, setProgress);
      if (ids) onDone(ids);
    } finally {
      setBusy(false);
      setProgress(null);
    }
  };

  return {
    mode,
    setMode: (m: ImportMode) => { setModeState(m); setPreview(null); setError(null); },
    text,
    setText: (t: string) => { setTextState(t); setPreview(null); },
    file,
    setFile: (f: string) => { setFileState(f); setPreview(null); },
    group,
    setGroup,
    preview,
    error,
    busy,
    progress,
    empty: mode === 'paste' ? text.trim() === '' : file.trim() === '',
    runPreview,
    add,
  };
}

/** Computers per computers.add call (the progress steps of a big add). */
export const ADD_BATCH = 2_500;

export type AddProgress = { readonly done: number; readonly total: number };

/** Adds what the preview found (with its group) in batches; the ids of those added and of the duplicates, or null on an error. */
async function addPreviewed(p: ComputerImportPreview, group: string, setError: (e: IpcError) => void, onProgress: (p: AddProgress) => void): Promise<number[] | null> {
  const names = p.entries.map((e) => e.name);
  // The port goes with the name (host:port), as typed.
  const all = p.entries.map((e) => hostWithPort(e.name, e.port));
  for (let from = 0; from < all.length; from += ADD_BATCH) {
    onProgress({ done: from, total: all.length });
    const entries = all.slice(from, from + ADD_BATCH);
    const r = await request('computers.add', group ? { entries, groupName: group } : { entries });
    if (!r.ok) {
      setError(r.error);
      // What earlier batches added is listed.
      if (from > 0) await reloadComputers();
      return null;
    }
  }
  onProgress({ done: all.length, total: all.length });
  await reloadComputers();
  const byName = new Map(useConsole.getState().computers.map((c) => [c.name.toLowerCase(), c.id]));
  const ids = [...names, ...p.duplicates.map((d) => d.entry)].flatMap((n) => {
    const id = byName.get(n.toLowerCase());
    return id === undefined ? [] : [id];
  });
  return [...new Set(ids)];
}
