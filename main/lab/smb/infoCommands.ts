// QUERY_INFO (MS-SMB2 3.3.5.20), SET_INFO (3.3.5.21) and QUERY_DIRECTORY (3.3.5.18) on ADMIN$
// and IPC$: the MS-FSCC classes smbclient, impacket and the console's client use — sizes, times,
// delete disposition, end of file, rename, directory listings with Windows wildcards.
import { SmbFormatError } from '../../smb/codec/wire.js';
import { Access, FileAttributes, FileInfoClass, InfoType, QueryDirectoryFlags } from '../../smb/codec/constants.js';
import { decodeQueryInfoRequest, decodeRenameInformation, decodeSetInfoRequest, encodeQueryInfoResponse, encodeSetInfoResponse } from '../../smb/codec/info.js';
import { chainDirectoryEntries, decodeQueryDirectoryRequest, encodeQueryDirectoryResponse } from '../../smb/codec/queryDirectory.js';
import { labPathKey } from '../hostState.js';
import { parentKey, validPath } from './adminShare.js';
import {
  DIRECTORY_CLASSES, decodeFileBasicInformation, decodeFileDisposition, decodeFileEndOfFile, directoryEntry, fileInformation, fileNameInformation, fsInformation, nullDaclSecurityDescriptor, type InfoAnswer, type NodeInfo,
} from '../../smb/codec/fscc.js';
import type { LabOpen, Request, Result } from './model.js';
import { Status } from '../../smb/ntstatus.js';
import type { CommandContext } from './treeCommands.js';
import { malformed } from './fileCommands.js';

const MAX_PATTERN = 512;
const VOLUME_SERIAL = 0x5aa5_1e10;

function pipeInfo(open: LabOpen): NodeInfo {
  return { id: open.id, creationTime: 0n, lastAccessTime: 0n, lastWriteTime: 0n, changeTime: 0n, allocationSize: 4096n, endOfFile: 0n, attributes: FileAttributes.NORMAL, directory: false, deletePending: true };
}

function answer(a: InfoAnswer | null, outputLength: number): Result {
  if (!a) return { status: Status.INVALID_INFO_CLASS };
  if (outputLength < a.minimum) return { status: Status.INFO_LENGTH_MISMATCH };
  if (a.data.length > outputLength) return { status: Status.BUFFER_OVERFLOW, body: encodeQueryInfoResponse(a.data.subarray(0, outputLength)) };
  return { status: Status.SUCCESS, body: encodeQueryInfoResponse(a.data) };
}

export function handleQueryInfo(ctx: CommandContext, req: Request): Result {
  let q;
  try {
    q = decodeQueryInfoRequest(req.message);
  } catch (error) {
    return malformed(error);
  }
  const open = req.open(q.fileId);
  if (typeof open === 'number') return { status: open };
  const share = ctx.host.share;
  const outputLength = Math.min(q.outputLength, ctx.negotiated.maxIoSize);
  switch (q.infoType) {
    case InfoType.FILE: {
      if (q.infoClass === FileInfoClass.ALTERNATE_NAME) return alternateName(ctx, open, outputLength);
      const info = open.pipe ? pipeInfo(open) : share.info(open.key);
      const fullName = open.pipe ? `\\${open.key}` : `\\${ctx.host.state.names.get(open.key) ?? open.key}`;
      return answer(fileInformation(q.infoClass, info, fullName, open.access), outputLength);
    }
    case InfoType.FILESYSTEM: {
      const quota = BigInt(share.quotaBytes) / 4096n;
      const free = BigInt(Math.max(0, share.quotaBytes - share.usedBytes())) / 4096n;
      return answer(fsInformation(q.infoClass, share.info('').creationTime, VOLUME_SERIAL, quota, free), outputLength);
    }
    case InfoType.SECURITY:
      return answer({ data: nullDaclSecurityDescriptor(), minimum: 20 }, outputLength);
    case InfoType.QUOTA:
      return { status: Status.NOT_SUPPORTED };
    default:
      return { status: Status.INVALID_PARAMETER };
  }
}

/**
 * FileAlternateNameInformation: NTFS with 8dot3 creation off (the default on new volumes) has a
 * short name only for names that are 8.3 already; others have none (STATUS_OBJECT_NAME_NOT_FOUND).
 */
function alternateName(ctx: CommandContext, open: LabOpen, outputLength: number): Result {
  const full = open.pipe ? open.key : ctx.host.state.names.get(open.key) ?? open.key;
  const leaf = full.slice(full.lastIndexOf('\\') + 1);
  if (!/^[^.\s]{1,8}(\.[^.\s]{1,3})?$/.test(leaf) || open.key === '') return { status: Status.OBJECT_NAME_NOT_FOUND };
  return answer({ data: fileNameInformation(leaf.toUpperCase()), minimum: 4 }, outputLength);
}

export function handleSetInfo(ctx: CommandContext, req: Request): Result {
  let s;
  try {
    s = decodeSetInfoRequest(req.message);
  } catch (error) {
    return malformed(error);
  }
  const open = req.open(s.fileId);
  if (typeof open === 'number') return { status: open };
  const ok: Result = { status: Status.SUCCESS, body: encodeSetInfoResponse() };
  if (s.infoType === InfoType.SECURITY) return ok;
  if (s.infoType !== InfoType.FILE) return { status: Status.NOT_SUPPORTED };
  if (open.pipe) return { status: Status.NOT_SUPPORTED };
  const share = ctx.host.share;
  try {
    switch (s.infoClass) {
      case FileInfoClass.DISPOSITION:
      case FileInfoClass.DISPOSITION_EX: {
        const flag = decodeFileDisposition(s.infoClass, s.buffer);
        if (!(open.access & Access.DELETE) || open.key === '') return { status: Status.ACCESS_DENIED };
        if (flag && share.kind(open.key) === 'dir' && share.hasChildren(open.key)) return { status: Status.DIRECTORY_NOT_EMPTY };
        share.setDeletePending(open.key, flag);
        return ok;
      }
      case FileInfoClass.END_OF_FILE: {
        const size = decodeFileEndOfFile(s.buffer);
        if (open.kind === 'dir') return { status: Status.INVALID_PARAMETER };
        if (!(open.access & Access.FILE_WRITE_DATA)) return { status: Status.ACCESS_DENIED };
        if (size > BigInt(share.quotaBytes) || !share.setEndOfFile(open.key, Number(size))) return { status: Status.DISK_FULL };
        return ok;
      }
      case FileInfoClass.BASIC: {
        if (!(open.access & Access.FILE_WRITE_ATTRIBUTES)) return { status: Status.ACCESS_DENIED };
        share.setBasic(open.key, decodeFileBasicInformation(s.buffer));
        return ok;
      }
      case FileInfoClass.RENAME:
        return rename(ctx, open, s.buffer);
      case FileInfoClass.ALLOCATION:
      case FileInfoClass.POSITION:
      case FileInfoClass.MODE:
        return ok;
      default:
        return { status: Status.INVALID_INFO_CLASS };
    }
  } catch (error) {
    if (error instanceof SmbFormatError) return { status: Status.INFO_LENGTH_MISMATCH };
    throw error;
  }
}

function rename(ctx: CommandContext, open: LabOpen, buffer: Buffer): Result {
  const target = decodeRenameInformation(buffer);
  if (!(open.access & Access.DELETE) || open.key === '') return { status: Status.ACCESS_DENIED };
  if (target.name.startsWith('\\') ? !validPath(target.name.slice(1)) : !validPath(target.name)) return { status: Status.OBJECT_NAME_INVALID };
  const share = ctx.host.share;
  const toKey = labPathKey(target.name);
  if (toKey === '' || toKey === open.key) return toKey === open.key ? { status: Status.SUCCESS, body: encodeSetInfoResponse() } : { status: Status.ACCESS_DENIED };
  if (toKey.startsWith(`${open.key}\\`)) return { status: Status.INVALID_PARAMETER };
  if (share.kind(parentKey(toKey)) !== 'dir') return { status: Status.OBJECT_PATH_NOT_FOUND };
  const existing = share.kind(toKey);
  if (existing !== null) {
    if (!target.replaceIfExists) return { status: Status.OBJECT_NAME_COLLISION };
    if (existing === 'dir') return { status: Status.ACCESS_DENIED };
    share.remove(toKey);
  }
  share.rename(open.key, toKey, target.name);
  open.key = toKey;
  return { status: Status.SUCCESS, body: encodeSetInfoResponse() };
}

/**
 * Windows wildcard match (FsRtlIsNameInExpression, case-insensitive): `*` any run, `?` one character,
 * and the DOS forms `<` `>` `"` read as `*` `?` `.`. Greedy with one backtrack point: O(n·m), no regex.
 */
export function wildcardMatch(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase().replace(/</g, '*').replace(/>/g, '?').replace(/"/g, '.');
  const n = name.toLowerCase();
  let pi = 0;
  let ni = 0;
  let star = -1;
  let mark = 0;
  while (ni < n.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === n[ni])) {
      pi++;
      ni++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ni;
    } else if (star >= 0) {
      pi = star + 1;
      ni = ++mark;
    } else return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

export function handleQueryDirectory(ctx: CommandContext, req: Request): Result {
  let q;
  try {
    q = decodeQueryDirectoryRequest(req.message);
  } catch (error) {
    return malformed(error);
  }
  const open = req.open(q.fileId);
  if (typeof open === 'number') return { status: open };
  if (open.kind !== 'dir') return { status: Status.INVALID_PARAMETER };
  if (!DIRECTORY_CLASSES.includes(q.infoClass)) return { status: Status.INVALID_INFO_CLASS };
  if (q.pattern.length > MAX_PATTERN) return { status: Status.OBJECT_NAME_INVALID };
  const share = ctx.host.share;
  const restart = (q.flags & (QueryDirectoryFlags.RESTART_SCANS | QueryDirectoryFlags.REOPEN)) !== 0;
  let firstQuery = false;
  if (!open.search || restart || (q.pattern !== '' && q.pattern !== open.search.pattern)) {
    const pattern = q.pattern === '' ? '*' : q.pattern;
    const all = [{ key: open.key, name: '.' }, { key: parentKey(open.key), name: '..' }, ...share.children(open.key)];
    open.search = { pattern, entries: all.filter((e) => wildcardMatch(pattern, e.name)), cursor: 0 };
    firstQuery = true;
  }
  const search = open.search;
  if (search.cursor >= search.entries.length) return { status: firstQuery ? Status.NO_SUCH_FILE : Status.NO_MORE_FILES };
  const limit = Math.min(q.outputLength, ctx.negotiated.maxIoSize);
  const parts: Buffer[] = [];
  let used = 0;
  while (search.cursor < search.entries.length) {
    const e = search.entries[search.cursor]!;
    const entry = directoryEntry(q.infoClass, share.info(e.key), e.name, 0);
    const pad = (8 - (used % 8)) % 8;
    if (used + pad + entry.length > limit) break;
    parts.push(entry);
    used += pad + entry.length;
    search.cursor++;
    if (q.flags & QueryDirectoryFlags.RETURN_SINGLE_ENTRY) break;
  }
  if (parts.length === 0) return { status: Status.INFO_LENGTH_MISMATCH };
  return { status: Status.SUCCESS, body: encodeQueryDirectoryResponse(chainDirectoryEntries(parts)) };
}
