// The browser shell's file chooser: a page cannot learn a local file's path from a
// file input, so main lists a folder for it — names, kinds and sizes only, never contents —
// bounded to 5 000 entries. The same listing serves Electron when its native dialog is not used.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FolderListing } from '../ipc/contract.js';
import { ConsoleError } from '../ipc/errors.js';

export const MAX_LISTED_ENTRIES = 5000;

export function listFolder(folder: string | undefined, extensions: readonly string[] | undefined, places: { label: string; path: string }[]): FolderListing {
  const target = path.resolve(folder ?? os.homedir());
  let dirents: fs.Dirent[];
  try {
    dirents = fs.readdirSync(target, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? null;
    throw new ConsoleError(
      'file',
      `The folder ${target} cannot be listed${code ? ` (${code})` : ''}.`,
      code === 'ENOTDIR' ? 'That is a file; choose the folder that holds it.' : 'Choose another folder, or check the console may read this one.',
      code,
    );
  }
  const wanted = extensions?.map((e) => `.${e.toLowerCase()}`);
  const entries: FolderListing['entries'] = [];
  for (const d of dirents) {
    if (d.name.startsWith('.')) continue;
    let kind: 'file' | 'folder' | null = d.isDirectory() ? 'folder' : d.isFile() ? 'file' : null;
    let size: number | null = null;
    if (d.isSymbolicLink() || kind === 'file') {
      try {
        const stat = fs.statSync(path.join(target, d.name));
        kind = stat.isDirectory() ? 'folder' : stat.isFile() ? 'file' : null;
        size = stat.isFile() ? stat.size : null;
      } catch {
        kind = null;
      }
    }
    if (kind === null) continue;
    if (kind === 'file' && wanted && !wanted.some((w) => d.name.toLowerCase().endsWith(w))) continue;
    entries.push({ name: d.name, kind, size });
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'folder' ? -1 : 1));
  const parent = path.dirname(target);
  return {
    path: target,
    parent: parent === target ? null : parent,
    entries: entries.slice(0, MAX_LISTED_ENTRIES),
    places,
    truncated: entries.length > MAX_LISTED_ENTRIES,
  };
}
