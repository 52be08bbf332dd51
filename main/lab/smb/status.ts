// NTSTATUS values the lab's SMB server answers with (MS-ERREF 2.3.1): the client's table plus the
// ones only a server produces (file-system and handle errors the push never meets from Windows).
import { Status } from '../../smb/ntstatus.js';

export const LabStatus = {
  ...Status,
  INVALID_INFO_CLASS: 0xc0000003,
  INFO_LENGTH_MISMATCH: 0xc0000004,
  INVALID_HANDLE: 0xc0000008,
  NO_SUCH_FILE: 0xc000000f,
  INVALID_DEVICE_REQUEST: 0xc0000010,
  OBJECT_NAME_INVALID: 0xc0000033,
  DIRECTORY_NOT_EMPTY: 0xc0000101,
  NOT_A_DIRECTORY: 0xc0000103,
  FILE_CLOSED: 0xc0000128,
  NETWORK_NAME_DELETED: 0xc00000c9,
  INTERNAL_ERROR: 0xc00000e5,
  NO_PREAUTH_INTEGRITY_HASH_OVERLAP: 0xc05d0000,
} as const;

/** Statuses whose response carries the command's normal body, not the error body (MS-SMB2 3.3.4.4). */
export function hasNormalBody(status: number): boolean {
  return status === LabStatus.SUCCESS || status === LabStatus.BUFFER_OVERFLOW || status === LabStatus.MORE_PROCESSING_REQUIRED;
}
