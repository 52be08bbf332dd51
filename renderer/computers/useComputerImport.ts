// Add Computers' state and its two steps: Preview (main parses the names, ranges or file) and Add
// (shows problems not seen yet first, then adds and reports the ids of what was added or listed).
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
      const ids = await addPreviewed(p, group.trim(), setError);
      if (ids) onDone(ids);
    } finally {
      setBusy(false);
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
    empty: mode === 'paste' ? text.trim() === '' : file.trim() === '',
    runPreview,
    add,
  };
}

/** Adds what the preview found (with its group); the ids of those added and of the duplicates, or null on an error. */
async function addPreviewed(p: ComputerImportPreview, group: string, setError: (e: IpcError) => void): Promise<number[] | null> {
  const names = p.entries.map((e) => e.name);
  // The port goes with the name (host:port), as typed.
  const entries = p.entries.map((e) => hostWithPort(e.name, e.port));
  if (entries.length > 0) {
    const r = await request('computers.add', group ? { entries, groupName: group } : { entries });
    if (!r.ok) {
      setError(r.error);
      return null;
    }
  }
  await reloadComputers();
  const byName = new Map(useConsole.getState().computers.map((c) => [c.name.toLowerCase(), c.id]));
  const ids = [...names, ...p.duplicates.map((d) => d.entry)].flatMap((n) => {
    const id = byName.get(n.toLowerCase());
    return id === undefined ? [] : [id];
  });
  return [...new Set(ids)];
}
