// ADMIN$ of one simulated host, in memory: files in LabHostState.files and folders in
// LabHostState.directories (keys from labPathKey), so the RPC server, the agent and the tests see
// the same tree. This module adds what a file system keeps besides bytes — times, attributes,
// ids, open counts, delete-pending — and grows file storage by doubling, so a large copy in
// 1 MiB writes is not quadratic. Another component may add or remove entries in `state` directly;
// every lookup re-reads it.
import type { LabHostState } from '../hostState.js';
import { FileAttributes } from '../../smb/codec/constants.js';
import { filetimeNow } from '../../smb/codec/wire.js';
import type { NodeInfo } from '../../smb/codec/fscc.js';

const CLUSTER = 4096n;

interface NodeMeta {
  id: bigint;
  creationTime: bigint;
  lastAccessTime: bigint;
  lastWriteTime: bigint;
  changeTime: bigint;
  attributes: number;
  /** Backing store with spare capacity; `state.files` holds the `size`-byte view of it. */
  storage?: Buffer;
  view?: Buffer;
}

export type NodeKind = 'file' | 'dir';

export function parentKey(key: string): string {
  const at = key.lastIndexOf('\\');
  return at < 0 ? '' : key.slice(0, at);
}

function leaf(path: string): string {
  const at = path.lastIndexOf('\\');
  return at < 0 ? path : path.slice(at + 1);
}

/** The client's path with backslashes, no leading or trailing separators, original case. */
export function displayPath(name: string): string {
  return name.replace(/\//g, '\\').replace(/^\\+/, '').replace(/\\+$/, '');
}

/** Windows refuses `.` and `..` components, empty components and the characters NTFS forbids. */
export function validPath(name: string): boolean {
  const path = displayPath(name);
  if (path === '') return true;
  return path.split('\\').every((part) => part !== '' && part !== '.' && part !== '..' && !/[\x00-\x1f"*:<>?|]/.test(part));
}

export class AdminShare {
  private readonly meta = new Map<string, NodeMeta>();
  private readonly opens = new Map<string, number>();
  private readonly deletePending = new Set<string>();
  private nextId = 1n;
  private readonly created = filetimeNow();

  constructor(readonly state: LabHostState, readonly quotaBytes: number) {}

  kind(key: string): NodeKind | null {
    if (key === '') return 'dir';
    if (this.state.files.has(key)) return 'file';
    if (this.state.directories.has(key)) return 'dir';
    return null;
  }

  private metaOf(key: string): NodeMeta {
    let m = this.meta.get(key);
    if (!m) {
      const t = key === '' ? this.created : filetimeNow();
      m = { id: this.nextId++, creationTime: t, lastAccessTime: t, lastWriteTime: t, changeTime: t, attributes: 0 };
      this.sweepMeta();
      this.meta.set(key, m);
    }
    return m;
  }

  /**
   * The simulated agent writes and deletes its progress and result files on the host's state
   * directly, not through this share: what the console read of them would stay here for good (a
   * long task's lab grew by every push). Entries whose file or folder is gone are dropped once
   * they outnumber the live ones — amortised, never per call.
   */
  /** Files and folders whose metadata the share holds (the sweep keeps it near the live count). */
  get trackedNodes(): number {
    return this.meta.size;
  }

  private sweepMeta(): void {
    if (this.meta.size < 64 + 2 * (this.state.files.size + this.state.directories.size)) return;
    for (const key of this.meta.keys()) if (key !== '' && this.kind(key) === null) this.meta.delete(key);
  }

  info(key: string): NodeInfo {
    const m = this.metaOf(key);
    const directory = this.kind(key) === 'dir';
    const size = BigInt(this.state.files.get(key)?.length ?? 0);
    return {
      id: m.id,
      creationTime: m.creationTime,
      lastAccessTime: m.lastAccessTime,
      lastWriteTime: m.lastWriteTime,
      changeTime: m.changeTime,
      allocationSize: directory ? 0n : ((size + CLUSTER - 1n) / CLUSTER) * CLUSTER,
      endOfFile: directory ? 0n : size,
      attributes: directory ? FileAttributes.DIRECTORY : m.attributes || FileAttributes.ARCHIVE,
      directory,
      deletePending: this.deletePending.has(key),
    };
  }

  usedBytes(): number {
    let total = 0;
    for (const data of this.state.files.values()) total += data.length;
    return total;
  }

  create(key: string, name: string, kind: NodeKind, attributes: number): void {
    const now = filetimeNow();
    this.meta.set(key, { id: this.nextId++, creationTime: now, lastAccessTime: now, lastWriteTime: now, changeTime: now, attributes: kind === 'dir' ? 0 : attributes & 0x27 });
    this.state.names.set(key, displayPath(name));
    if (kind === 'dir') this.state.directories.add(key);
    else this.state.files.set(key, Buffer.alloc(0));
  }

  remove(key: string): void {
    this.state.files.delete(key);
    this.state.directories.delete(key);
    this.state.names.delete(key);
    this.meta.delete(key);
    this.deletePending.delete(key);
  }

  /** The immediate children of folder `key`: [key, leaf name in original case, kind]. */
  children(key: string): { key: string; name: string; kind: NodeKind }[] {
    const out: { key: string; name: string; kind: NodeKind }[] = [];
    const add = (k: string, kind: NodeKind) => {
      if (k !== '' && parentKey(k) === key) out.push({ key: k, name: leaf(this.state.names.get(k) ?? k), kind });
    };
    for (const k of this.state.directories) add(k, 'dir');
    for (const k of this.state.files.keys()) add(k, 'file');
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  hasChildren(key: string): boolean {
    for (const k of this.state.directories) if (k !== key && parentKey(k) === key) return true;
    for (const k of this.state.files.keys()) if (parentKey(k) === key) return true;
    return false;
  }

  /** Writable storage for `key` of at least `size` bytes, adopting bytes someone else put into state.files. */
  private storageFor(key: string, size: number): Buffer {
    const m = this.metaOf(key);
    const current = this.state.files.get(key) ?? Buffer.alloc(0);
    if (!m.storage || m.view !== current) {
      m.storage = Buffer.alloc(Math.max(current.length, size));
      current.copy(m.storage);
    } else if (m.storage.length < size) {
      const grown = Buffer.alloc(Math.max(size, Math.min(m.storage.length * 2, size + 64 * 1024 * 1024)));
      m.storage.copy(grown, 0, 0, current.length);
      m.storage = grown;
    }
    return m.storage;
  }

  private setSize(key: string, storage: Buffer, size: number): void {
    const m = this.metaOf(key);
    m.view = storage.subarray(0, size);
    this.state.files.set(key, m.view);
    const now = filetimeNow();
    m.lastWriteTime = now;
    m.changeTime = now;
  }

  /** Writes `data` at `offset`; false when the quota would be exceeded (STATUS_DISK_FULL). */
  write(key: string, offset: number, data: Buffer): boolean {
    const current = this.state.files.get(key)?.length ?? 0;
    const end = Math.max(current, offset + data.length);
    if (end - current > this.quotaBytes - this.usedBytes()) return false;
    const storage = this.storageFor(key, end);
    if (offset > current) storage.fill(0, current, offset);
    data.copy(storage, offset);
    this.setSize(key, storage, end);
    return true;
  }

  /** Truncates or extends (with zeros) to `size`; false when the quota would be exceeded. */
  setEndOfFile(key: string, size: number): boolean {
    const current = this.state.files.get(key)?.length ?? 0;
    if (size > current && size - current > this.quotaBytes - this.usedBytes()) return false;
    const storage = size > current ? this.storageFor(key, size) : this.storageFor(key, current);
    if (size > current) storage.fill(0, current, size);
    this.setSize(key, storage, size);
    if (size === 0) this.metaOf(key).storage = undefined;
    return true;
  }

  read(key: string, offset: number, length: number): Buffer {
    const data = this.state.files.get(key) ?? Buffer.alloc(0);
    if (offset >= data.length) return Buffer.alloc(0);
    return data.subarray(offset, Math.min(data.length, offset + length));
  }

  setBasic(key: string, b: { creationTime: bigint; lastAccessTime: bigint; lastWriteTime: bigint; changeTime: bigint; attributes: number }): void {
    const m = this.metaOf(key);
    // MS-FSCC 2.4.7: 0 leaves a time unchanged, -1 (all ones) stops its automatic update.
    const set = (v: bigint, old: bigint): bigint => (v === 0n || v === 0xffff_ffff_ffff_ffffn || v === 0xffff_ffff_ffff_fffen ? old : v);
    m.creationTime = set(b.creationTime, m.creationTime);
    m.lastAccessTime = set(b.lastAccessTime, m.lastAccessTime);
    m.lastWriteTime = set(b.lastWriteTime, m.lastWriteTime);
    m.changeTime = set(b.changeTime, m.changeTime);
    if (b.attributes !== 0 && this.kind(key) === 'file') m.attributes = b.attributes & 0x27;
  }

  /** Moves a file or folder (and everything under it) to `toKey`. */
  rename(fromKey: string, toKey: string, toName: string): void {
    const moves: [string, string][] = [];
    const prefix = `${fromKey}\\`;
    for (const k of [...this.state.directories, ...this.state.files.keys()]) {
      if (k === fromKey) moves.push([k, toKey]);
      else if (k.startsWith(prefix)) moves.push([k, toKey + k.slice(fromKey.length)]);
    }
    const newDisplay = displayPath(toName);
    for (const [from, to] of moves) {
      const data = this.state.files.get(from);
      const isDir = this.state.directories.has(from);
      const display = from === fromKey ? newDisplay : newDisplay + (this.state.names.get(from) ?? from).slice(fromKey.length);
      const m = this.meta.get(from);
      this.state.files.delete(from);
      this.state.directories.delete(from);
      this.state.names.delete(from);
      this.meta.delete(from);
      if (data) this.state.files.set(to, data);
      if (isDir) this.state.directories.add(to);
      this.state.names.set(to, display);
      if (m) this.meta.set(to, m);
      if (this.opens.has(from)) {
        this.opens.set(to, this.opens.get(from) ?? 0);
        this.opens.delete(from);
      }
    }
  }

  opened(key: string): void {
    this.opens.set(key, (this.opens.get(key) ?? 0) + 1);
  }

  /** One open of `key` closed; true when it was the last one. */
  closed(key: string): boolean {
    const left = (this.opens.get(key) ?? 1) - 1;
    if (left > 0) {
      this.opens.set(key, left);
      return false;
    }
    this.opens.delete(key);
    return true;
  }

  isDeletePending(key: string): boolean {
    return this.deletePending.has(key);
  }

  setDeletePending(key: string, pending: boolean): void {
    if (pending) this.deletePending.add(key);
    else this.deletePending.delete(key);
  }
}
