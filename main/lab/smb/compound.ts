// Compounded requests and responses (MS-SMB2 3.3.5.2.7): a message cut into its chained requests,
// what a related request inherits from the one before it, and the responses joined back into one
// message, 8-byte aligned and each signed. Also the error that ends a connection.
import { Command, HeaderFlags, SMB2_HEADER_SIZE, encodeHeader, splitCompound, type ChainElement, type Smb2Header } from '../../smb/codec/header.js';
import type { FileId } from '../../smb/codec/create.js';
import { signMessage } from '../../smb/crypto/signing.js';
import type { LabSession, Result } from './model.js';
import { encodeErrorBody } from '../../smb/codec/errorBody.js';
import { hasNormalBody } from '../../smb/ntstatus.js';

const MAX_CHAIN = 32;

/** Thrown to end the connection without an answer; the message is logged. */
export class ConnectionDropped extends Error {}

/** One request of a chain: its header and its bytes. */
export type Element = ChainElement;

/** What the elements of one compound chain pass on to the next (MS-SMB2 3.3.5.2.7.2). */
export interface ChainState {
  sessionId: bigint;
  treeId: number;
  fileId: FileId | null;
  /** The status of the CREATE that should have produced the FileId, when it failed. */
  fileIdError: number;
}

/** One response of a chain, before it is joined, signed and sent. */
export interface Outgoing {
  header: Smb2Header;
  body: Buffer;
  signer: LabSession | null;
  sent?: (response: Buffer) => void;
}

export function splitChain(message: Buffer): Element[] {
  let elements: Element[];
  try {
    elements = splitCompound(message, MAX_CHAIN);
  } catch (error) {
    throw new ConnectionDropped(`bad SMB2 chain: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (elements.some((el) => el.header.flags & HeaderFlags.SERVER_TO_REDIR)) throw new ConnectionDropped('a response sent as a request');
  return elements;
}

/** A request's result becomes what the next related request inherits: its session, tree and a CREATE's FileId. */
export function advanceChain(chain: ChainState, request: Smb2Header, result: Result, sessionId: bigint, treeId: number): void {
  chain.sessionId = result.sessionId ?? sessionId;
  chain.treeId = result.treeId ?? treeId;
  if (request.command === Command.CREATE) {
    chain.fileId = result.fileId ?? null;
    chain.fileIdError = result.fileId ? 0 : result.status;
  }
}

export function responseHeader(h: Smb2Header, status: number, credits: number, sessionId: bigint, treeId: number, asyncId?: bigint, processId = 0): Smb2Header {
  const related = h.flags & HeaderFlags.RELATED_OPERATIONS;
  return {
    ...(asyncId === undefined && processId ? { processId } : {}),
    creditCharge: h.creditCharge,
    status: status >>> 0,
    command: h.command,
    credits,
    flags: HeaderFlags.SERVER_TO_REDIR | related | (asyncId !== undefined ? HeaderFlags.ASYNC_COMMAND : 0),
    nextCommand: 0,
    messageId: h.messageId,
    treeId,
    asyncId: asyncId ?? 0n,
    sessionId,
    signature: Buffer.alloc(16),
  };
}

export function bodyOf(result: Result): Buffer {
  return hasNormalBody(result.status) && result.body ? result.body : encodeErrorBody();
}

/**
 * The responses as one message: each but the last padded to 8 bytes with its NextCommand set,
 * each signed by its signer unless the message will be encrypted, then shown to its `sent`.
 */
export function joinResponses(out: Outgoing[], encrypted: boolean): Buffer {
  const pieces: Buffer[] = [];
  const bounds: [number, number][] = [];
  let at = 0;
  out.forEach((o, i) => {
    // Each but the last padded to 8 bytes, its NextCommand the padded length (MS-SMB2 3.3.4.1.3).
    const size = SMB2_HEADER_SIZE + o.body.length;
    const pad = i < out.length - 1 ? (8 - (size % 8)) % 8 : 0;
    const header = i < out.length - 1 ? { ...o.header, nextCommand: size + pad } : o.header;
    const piece = Buffer.concat([encodeHeader(header), o.body, Buffer.alloc(pad)]);
    pieces.push(piece);
    bounds.push([at, at + piece.length]);
    at += piece.length;
  });
  const message = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  out.forEach((o, i) => {
    const [start, end] = bounds[i]!;
    const view = message.subarray(start, end);
    if (!encrypted && o.signer?.signingKey) signMessage(o.signer.signingAlgorithm, o.signer.signingKey, view);
    o.sent?.(view);
  });
  return message;
}

/** The promise's value if it settles within `ms` (0: by the next turn of the event loop), else null. */
export function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  return new Promise((resolve) => {
    let done = false;
    const timer = ms > 0 ? setTimeout(finish, ms) : null;
    const immediate = ms > 0 ? null : setImmediate(finish);
    function finish(): void {
      if (!done) resolve(null);
      done = true;
    }
    void promise.then((value) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      resolve(value);
    });
  });
}
