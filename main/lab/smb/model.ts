// The server's abstract data model for one simulated host (MS-SMB2 3.3.1): what a host shares
// between its connections (LabHostContext), and per connection its sessions (3.3.1.8), tree
// connects (3.3.1.9) and opens (3.3.1.10). Requests and results are what the connection hands to
// the command handlers and gets back.
import type { FileId } from '../../smb/codec/create.js';
import type { Smb2Header } from '../../smb/codec/header.js';
import type { SigningAlgorithm } from '../../smb/crypto/signing.js';
import type { LabHostState } from '../hostState.js';
import type { PipeFactory } from '../pipe.js';
import type { AdminShare } from './adminShare.js';
import type { NamedPipeOpen } from './namedPipe.js';
import type { LinkThrottle } from './throttle.js';

export interface LabHostContext {
  readonly state: LabHostState;
  readonly pipes: PipeFactory;
  /** Disk share names in upper case (ADMIN$ and any extra ones); IPC$ is always there. */
  readonly diskShares: ReadonlySet<string>;
  readonly share: AdminShare;
  readonly serverGuid: Buffer;
  readonly throttle: LinkThrottle | null;
  readonly logonFailureDelayMs: number;
  log(line: string): void;
  newSessionId(): bigint;
}

export interface LabSession {
  readonly id: bigint;
  phase: 'new' | 'challenged' | 'established';
  /** 3.1.1: Session.PreauthIntegrityHashValue (MS-SMB2 3.3.5.5). */
  preauth: Buffer;
  ntlm: {
    negotiate: Buffer;
    challenge: Buffer;
    serverChallenge: Buffer;
    /** The client's DER MechTypeList, null when it sent raw NTLMSSP (no mechListMIC then). */
    mechTypesDer: Buffer | null;
    spnego: boolean;
  } | null;
  /** From a NegTokenInit whose optimistic token was not NTLM: the MechTypeList, kept for the MIC. */
  pendingMechTypesDer: Buffer | null;
  user: string;
  domain: string;
  signingKey: Buffer | null;
  signingAlgorithm: SigningAlgorithm;
  /** Server → client (the client's DecryptionKey). */
  encryptKey: Buffer | null;
  /** Client → server (the client's EncryptionKey). */
  decryptKey: Buffer | null;
  nextNonce: (() => Buffer) | null;
  /** The client has sent an encrypted request (it then gets encrypted answers). */
  clientEncrypts: boolean;
  readonly trees: Map<number, LabTree>;
  nextTreeId: number;
}

export interface LabTree {
  readonly id: number;
  readonly kind: 'disk' | 'pipe';
  readonly name: string;
}

export interface DirectorySearch {
  pattern: string;
  entries: { key: string; name: string }[];
  cursor: number;
}

export interface LabOpen {
  readonly id: bigint;
  readonly session: LabSession;
  readonly tree: LabTree;
  readonly kind: 'file' | 'dir' | 'pipe';
  /** ADMIN$ key (labPathKey) or the pipe name. */
  key: string;
  readonly access: number;
  readonly deleteOnClose: boolean;
  bytesWritten: number;
  /** antivirus-blocks-copy: an .exe opened for writing; the "scan" removes it. */
  readonly scanned: boolean;
  blocked: boolean;
  search: DirectorySearch | null;
  readonly pipe: NamedPipeOpen | null;
}

export interface Request {
  readonly header: Smb2Header;
  /** The request's bytes (one element of a compound chain). */
  readonly message: Buffer;
  readonly encrypted: boolean;
  readonly session: LabSession;
  readonly tree: LabTree | null;
  /** Resolves a FileId, honouring the related-compound placeholder; a number is the failure status. */
  open(id: FileId): LabOpen | number;
}

export interface Result {
  status: number;
  /** Omitted for failures: the error body is sent. */
  body?: Buffer;
  sessionId?: bigint;
  treeId?: number;
  /** Sign with this session although the request's session is not (yet, or any longer) the signer. */
  signWith?: LabSession;
  /** Sees the response as sent, before encryption (3.1.1 preauth integrity hash). */
  sent?: (response: Buffer) => void;
  /** The FileId a CREATE generated, for related operations that follow it. */
  fileId?: FileId;
  /** End the connection without answering. */
  drop?: boolean;
}

/** A handler's answer: at once, or later (a pipe read waits for the RPC server) → STATUS_PENDING first. */
export type Outcome = Result | { pending: Promise<Result> };
