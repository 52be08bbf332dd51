// The opens of one connection (MS-SMB2 3.3.1.10) by FileId, a bounded number of them, and how a
// request's FileId finds its open: in a related request the all-ones FileId means the one the
// chain's last CREATE produced or used (3.3.5.2.7.2).
import type { FileId } from '../../smb/codec/create.js';
import type { ChainState } from './compound.js';
import type { LabOpen, LabSession, LabTree } from './model.js';
import { Status } from '../../smb/ntstatus.js';
import { ALL_ONES_FILE_ID } from './treeCommands.js';

const MAX_OPENS = 1024;

export const isAllOnes = (id: FileId): boolean => id.persistent === ALL_ONES_FILE_ID.persistent && id.volatile === ALL_ONES_FILE_ID.volatile;

export class OpenTable {
  private readonly opens = new Map<bigint, LabOpen>();
  private nextOpenId = 1n;

  /** Registers an open under a new FileId; null when the connection holds too many. */
  add(fields: Omit<LabOpen, 'id'>): LabOpen | null {
    if (this.opens.size >= MAX_OPENS) return null;
    const open: LabOpen = { id: this.nextOpenId++, ...fields };
    this.opens.set(open.id, open);
    return open;
  }

  /** Forgets an open; false when it was not (or no longer) there. */
  delete(open: LabOpen): boolean {
    return this.opens.delete(open.id);
  }

  /** Every open of the session, or only those of one of its trees. */
  of(session: LabSession, tree: LabTree | null): LabOpen[] {
    return [...this.opens.values()].filter((open) => open.session === session && (tree === null || open.tree === tree));
  }

  /** The open a request names, or the status that refuses it; the chain remembers the FileId used. */
  resolve(id: FileId, session: LabSession, tree: LabTree | null, chain: ChainState, related: boolean): LabOpen | number {
    let fileId = id;
    if (related && isAllOnes(id)) {
      if (chain.fileIdError) return chain.fileIdError;
      if (!chain.fileId) return Status.INVALID_HANDLE;
      fileId = chain.fileId;
    }
    const open = this.opens.get(fileId.volatile);
    if (!open || open.id !== fileId.persistent || open.session !== session || open.tree !== tree) return Status.FILE_CLOSED;
    chain.fileId = fileId;
    return open;
  }
}
