// How the connection protects messages: a request in a transform header is decrypted
// (MS-SMB2 3.3.5.2.1.1), a plain one's signature checked (3.3.5.2.4), and a response signed
// (3.3.4.1.1) or encrypted (3.3.4.1.4) for the right session.
import { Command, HeaderFlags, SMB2_HEADER_SIZE, type Smb2Header } from '../../smb/codec/header.js';
import { TRANSFORM_HEADER_BYTES, decryptMessage, encryptMessage, transformSessionId } from '../../smb/crypto/encryption.js';
import { verifySignature } from '../../smb/crypto/signing.js';
import { ConnectionDropped } from './compound.js';
import type { LabSession, Result } from './model.js';
import type { NegotiatedConnection } from './negotiate.js';
import { Status } from '../../smb/ntstatus.js';

/** The SMB2 message inside a transform header, and the session whose key decrypted it. */
export function decryptRequest(frame: Buffer, sessions: ReadonlyMap<bigint, LabSession>, cipher: NegotiatedConnection['cipher']): { message: Buffer; session: LabSession } {
  if (frame.length < TRANSFORM_HEADER_BYTES + SMB2_HEADER_SIZE) throw new ConnectionDropped('a transform header without a message');
  const session = sessions.get(transformSessionId(frame));
  if (!session?.decryptKey || cipher === null) throw new ConnectionDropped('an encrypted message for a session without keys');
  try {
    return { message: decryptMessage(cipher, session.decryptKey, frame).message, session };
  } catch {
    throw new ConnectionDropped('a message that does not decrypt');
  }
}

/** Whether a request came signed with its session's key. */
export function signedBy(session: LabSession, header: Smb2Header, bytes: Buffer): boolean {
  return (header.flags & HeaderFlags.SIGNED) !== 0 && session.signingKey !== null && verifySignature(session.signingAlgorithm, session.signingKey, bytes);
}

/** MS-SMB2 3.3.4.1.1: responses of an established session are signed; so is the final SESSION_SETUP. */
export function signerFor(sessions: ReadonlyMap<bigint, LabSession>, result: Result, sessionId: bigint, request: Smb2Header): LabSession | null {
  if (result.signWith) return result.signWith;
  if (request.command === Command.NEGOTIATE || request.command === Command.SESSION_SETUP) return null;
  const session = sessions.get(sessionId);
  if (!session || session.phase !== 'established') return null;
  // A request that failed its own signature check is answered unsigned.
  if (result.status === Status.ACCESS_DENIED && !(request.flags & HeaderFlags.SIGNED)) return null;
  return session;
}

export function encryptResponse(cipher: NegotiatedConnection['cipher'], session: LabSession, message: Buffer): Buffer {
  if (cipher === null || !session.encryptKey || !session.nextNonce) throw new ConnectionDropped('no encryption key for the response');
  return encryptMessage(cipher, session.encryptKey, session.id, session.nextNonce(), message);
}
