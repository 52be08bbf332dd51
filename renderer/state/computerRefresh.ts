// Computers' "last result" kept fresh while pushes run: when targets end, only their computers are
// read again (computers.list with ids) and merged into the list by id — never the whole list of
// 50 000 again for a few changed rows. Computers are found by name (a target carries its
// computer's name; names are unique in Computers, case aside).
import type { Computer } from '../../main/ipc/contract';
import { request } from './calls';
import { useConsole } from './store';

/** Ids per computers.list call. */
const SLICE = 5_000;
/** Each loaded list's ids by lower-case name, made once per list. */
const idsByName = new WeakMap<readonly Computer[], Map<string, number>>();

function idsOf(computers: readonly Computer[]): Map<string, number> {
  let map = idsByName.get(computers);
  if (!map) {
    map = new Map(computers.map((c) => [c.name.toLowerCase(), c.id]));
    idsByName.set(computers, map);
  }
  return map;
}

/** Fresh rows replace their computers by id; the others keep their objects (so their grid rows do not change). */
export function mergeComputers(fresh: readonly Computer[]): void {
  if (fresh.length === 0) return;
  const byId = new Map(fresh.map((c) => [c.id, c]));
  useConsole.setState((s) => ({ computers: s.computers.map((c) => byId.get(c.id) ?? c) }));
}

/** Reads again the listed computers with these names (those whose targets just ended). */
export async function refreshComputersNamed(names: ReadonlySet<string>): Promise<void> {
  if (names.size === 0) return;
  const byName = idsOf(useConsole.getState().computers);
  const ids = [...new Set([...names].flatMap((n) => byName.get(n.toLowerCase()) ?? []))];
  for (let i = 0; i < ids.length; i += SLICE) {
    const r = await request('computers.list', { ids: ids.slice(i, i + SLICE) });
    if (!r.ok) return;
    mergeComputers(r.result);
  }
}
