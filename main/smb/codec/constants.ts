// The one home of SMB2 wire constants for both directions: the client (main/smb) and the lab's
// server (main/lab/smb) import them from here. NTSTATUS values live in main/smb/ntstatus.ts
// (Status); everything else a message carries as a named number is here. The per-command codec
// modules re-export what their callers used to import from them.

/** MS-SMB2 2.2.1.2 Command. */
export const Command = {
  NEGOTIATE: 0x0000,
  SESSION_SETUP: 0x0001,
  LOGOFF: 0x0002,
  TREE_CONNECT: 0x0003,
  TREE_DISCONNECT: 0x0004,
  CREATE: 0x0005,
  CLOSE: 0x0006,
  FLUSH: 0x0007,
  READ: 0x0008,
  WRITE: 0x0009,
  LOCK: 0x000a,
  IOCTL: 0x000b,
  CANCEL: 0x000c,
  ECHO: 0x000d,
  QUERY_DIRECTORY: 0x000e,
  CHANGE_NOTIFY: 0x000f,
  QUERY_INFO: 0x0010,
  SET_INFO: 0x0011,
  OPLOCK_BREAK: 0x0012,
} as const;
export type CommandCode = (typeof Command)[keyof typeof Command];

/** MS-SMB2 2.2.3 Dialects. */
export const Dialect = { SMB202: 0x0202, SMB210: 0x0210, SMB300: 0x0300, SMB302: 0x0302, SMB311: 0x0311 } as const;
/** MS-SMB2 2.2.4 DialectRevision 0x02FF: the answer to an SMB1 multi-protocol negotiate naming "SMB 2.???" (3.3.5.3.1). */
export const DIALECT_WILDCARD = 0x02ff;
export const ALL_DIALECTS = [Dialect.SMB202, Dialect.SMB210, Dialect.SMB300, Dialect.SMB302, Dialect.SMB311];

/** MS-SMB2 2.2.3 / 2.2.5 SecurityMode. */
export const SecurityMode = { SIGNING_ENABLED: 0x0001, SIGNING_REQUIRED: 0x0002 } as const;

/** MS-SMB2 2.2.3 / 2.2.4 Capabilities. */
export const Capabilities = {
  DFS: 0x01,
  LEASING: 0x02,
  LARGE_MTU: 0x04,
  MULTI_CHANNEL: 0x08,
  PERSISTENT_HANDLES: 0x10,
  DIRECTORY_LEASING: 0x20,
  ENCRYPTION: 0x40,
} as const;

/** MS-SMB2 2.2.3.1 ContextType, and the algorithm ids of 2.2.3.1.1, 2.2.3.1.2, 2.2.3.1.7. */
export const ContextType = { PREAUTH_INTEGRITY: 0x0001, ENCRYPTION: 0x0002, COMPRESSION: 0x0003, NETNAME: 0x0005, SIGNING: 0x0008 } as const;
export const HASH_SHA512 = 0x0001;
export const Cipher = { AES128_CCM: 0x0001, AES128_GCM: 0x0002, AES256_CCM: 0x0003, AES256_GCM: 0x0004 } as const;
export const SigningAlg = { HMAC_SHA256: 0x0000, AES_CMAC: 0x0001, AES_GMAC: 0x0002 } as const;

/** MS-SMB2 2.2.6 SessionFlags. */
export const SessionFlags = { IS_GUEST: 0x0001, IS_NULL: 0x0002, ENCRYPT_DATA: 0x0004 } as const;

/** MS-SMB2 2.2.10 ShareType and ShareFlags (NO_CACHING is the 0x30 value of the caching bits). */
export const ShareType = { DISK: 0x01, PIPE: 0x02, PRINT: 0x03 } as const;
export const ShareFlags = { NO_CACHING: 0x00000030, ENCRYPT_DATA: 0x00008000 } as const;

/**
 * MS-SMB2 2.2.13.1.1 File_Pipe_Printer_Access_Mask, with MS-DTYP 2.4.3 generic rights and the
 * generic mapping for files (FILE_GENERIC_*, FILE_ALL_ACCESS, MS-DTYP 2.4.3 / winnt.h).
 */
export const Access = {
  FILE_READ_DATA: 0x00000001,
  FILE_WRITE_DATA: 0x00000002,
  FILE_APPEND_DATA: 0x00000004,
  FILE_READ_EA: 0x00000008,
  FILE_WRITE_EA: 0x00000010,
  FILE_EXECUTE: 0x00000020,
  FILE_READ_ATTRIBUTES: 0x00000080,
  FILE_WRITE_ATTRIBUTES: 0x00000100,
  DELETE: 0x00010000,
  READ_CONTROL: 0x00020000,
  SYNCHRONIZE: 0x00100000,
  MAXIMUM_ALLOWED: 0x02000000,
  GENERIC_ALL: 0x10000000,
  GENERIC_EXECUTE: 0x20000000,
  GENERIC_WRITE: 0x40000000,
  GENERIC_READ: 0x80000000,
  FILE_GENERIC_READ: 0x00120089,
  FILE_GENERIC_WRITE: 0x00120116,
  FILE_GENERIC_EXECUTE: 0x001200a0,
  FILE_ALL_ACCESS: 0x001f01ff,
} as const;

/** MS-SMB2 2.2.13 ShareAccess, CreateDisposition, CreateOptions, ImpersonationLevel. */
export const ShareAccess = { READ: 0x1, WRITE: 0x2, DELETE: 0x4 } as const;
export const Disposition = { SUPERSEDE: 0, OPEN: 1, CREATE: 2, OPEN_IF: 3, OVERWRITE: 4, OVERWRITE_IF: 5 } as const;
export const CreateOptions = {
  DIRECTORY_FILE: 0x00000001,
  WRITE_THROUGH: 0x00000002,
  NON_DIRECTORY_FILE: 0x00000040,
  DELETE_ON_CLOSE: 0x00001000,
} as const;
export const ImpersonationLevel = { IMPERSONATION: 2 } as const;
/** MS-SMB2 2.2.14 CreateAction. */
export const CreateAction = { SUPERSEDED: 0, OPENED: 1, CREATED: 2, OVERWRITTEN: 3 } as const;
/** MS-SMB2 2.2.15 Flags. */
export const CloseFlags = { POSTQUERY_ATTRIB: 0x0001 } as const;

/** MS-FSCC 2.6 file attributes. */
export const FileAttributes = { DIRECTORY: 0x00000010, ARCHIVE: 0x00000020, NORMAL: 0x00000080 } as const;

/** MS-SMB2 2.2.31 CtlCode (MS-FSCC 2.3 FSCTLs) and Flags. */
export const Fsctl = {
  DFS_GET_REFERRALS: 0x00060194,
  DFS_GET_REFERRALS_EX: 0x000601b0,
  PIPE_WAIT: 0x00110018,
  PIPE_TRANSCEIVE: 0x0011c017,
  VALIDATE_NEGOTIATE_INFO: 0x00140204,
} as const;
export const IoctlFlags = { IS_FSCTL: 0x00000001 } as const;

/** MS-SMB2 2.2.33 Flags. */
export const QueryDirectoryFlags = { RESTART_SCANS: 0x01, RETURN_SINGLE_ENTRY: 0x02, INDEX_SPECIFIED: 0x04, REOPEN: 0x10 } as const;

/** MS-SMB2 2.2.37 InfoType. */
export const InfoType = { FILE: 0x01, FILESYSTEM: 0x02, SECURITY: 0x03, QUOTA: 0x04 } as const;

/** MS-FSCC 2.4 FileInformationClass. */
export const FileInfoClass = {
  DIRECTORY: 1,
  FULL_DIRECTORY: 2,
  BOTH_DIRECTORY: 3,
  BASIC: 4,
  STANDARD: 5,
  INTERNAL: 6,
  EA: 7,
  ACCESS: 8,
  NAME: 9,
  RENAME: 10,
  NAMES: 12,
  DISPOSITION: 13,
  POSITION: 14,
  MODE: 16,
  ALIGNMENT: 17,
  ALL: 18,
  ALLOCATION: 19,
  END_OF_FILE: 20,
  ALTERNATE_NAME: 21,
  STREAM: 22,
  NETWORK_OPEN: 34,
  ATTRIBUTE_TAG: 35,
  ID_BOTH_DIRECTORY: 37,
  ID_FULL_DIRECTORY: 38,
  DISPOSITION_EX: 64,
} as const;

/** MS-FSCC 2.5 FsInformationClass. */
export const FsInfoClass = { VOLUME: 1, SIZE: 3, DEVICE: 4, ATTRIBUTE: 5, FULL_SIZE: 7, SECTOR_SIZE: 11 } as const;

/** MS-SMB2 3.3.5.13: a WRITE at Offset 0xFFFFFFFFFFFFFFFF appends at the end of the file (a handle opened for append). */
export const WRITE_END_OF_FILE = 0xffff_ffff_ffff_ffffn;
/** MS-FSCC 2.4.12 FileDispositionInformationEx Flags. */
export const DispositionExFlags = { DELETE: 0x00000001 } as const;
