// Per-session protection of SMB2 messages: signing (MS-SMB2 3.2.4.1.1) and encryption (3.2.4.1.8)
// of requests, decryption (3.2.5.1.1.1) and verification (3.2.5.1.3) of responses, and how what a
// server's bytes make a decoder or a cipher throw becomes a typed protocol error.
import { decryptMessage, encryptMessage, isTransformHeader, transformSessionId, type CipherId } from './crypto/encryption.js';
import { signMessage, verifySignature, type SigningAlgorithm } from './crypto/signing.js';
import { Command, HeaderFlags, type Smb2Header } from './codec/header.js';
import { SessionFlags } from './codec/constants.js';
import { decodeSessionSetupResponse } from './codec/sessionSetup.js';
import { SmbIntegrityError } from './crypto/errors.js';
import { ConsoleError } from '../ipc/errors.js';
import { SmbNegotiateError, SmbProtocolError } from './errors.js';
import { Status } from './ntstatus.js';

/** What a session contributes to its messages once it is established (MS-SMB2 3.2.1.3). */
export interface SessionSecurity {
  readonly sessionId: bigint;
  signingKey: Buffer | null;
  signingAlgorithm: SigningAlgorithm;
  /** Sign requests and require signed responses. */
  signingRequired: boolean;
  encryptData: boolean;
  encryptionKey: Buffer | null;
  decryptionKey: Buffer | null;
}

/** The connection's cipher and its nonces, once NEGOTIATE chose one. */
export interface MessageEncryption {
  readonly cipher: CipherId;
  readonly nextNonce: () => Buffer;
}

/** What the integrity check of a response needs to know about its request. */
export interface SentRequest {
  readonly command: number;
  readonly session: SessionSecurity | undefined;
  readonly encrypted: boolean;
}

/**
 * The bytes to send for a plaintext request: encrypted when its session (or `forceEncrypt`, for a
 * share that requires it) asks for it, else signed when the session requires signing. NEGOTIATE
 * and SESSION_SETUP go in clear; signing writes the signature into `message` itself. A
 * compounded message is encrypted whole, or each of its `parts` signed (MS-SMB2 3.2.4.1.4).
 */
export function protectRequest(
  message: Buffer,
  command: number,
  session: SessionSecurity | undefined,
  forceEncrypt: boolean,
  encryption: MessageEncryption | null,
  parts: readonly Buffer[] = [message],
): { wire: Buffer; encrypted: boolean } {
  const encrypt = session !== undefined && command !== Command.SESSION_SETUP && command !== Command.NEGOTIATE && (session.encryptData || forceEncrypt);
  if (encrypt) {
    if (!session.encryptionKey || !encryption) {
      throw new SmbNegotiateError('Encryption is required but the server offers no cipher the console shares.', 'Enable SMB 3 encryption (AES-128-GCM/CCM or AES-256) on the computer, or turn off "Encrypt SMB traffic" in Configuration.');
    }
    return { wire: encryptMessage(encryption.cipher, session.encryptionKey, session.sessionId, encryption.nextNonce(), message), encrypted: true };
  }
  if (session?.signingKey && session.signingRequired && command !== Command.SESSION_SETUP) {
    for (const part of parts) signMessage(session.signingAlgorithm, session.signingKey, part);
  }
  return { wire: message, encrypted: false };
}

/** The plaintext of a message from the server: a transform header is decrypted with its session's key. */
export function unprotectResponse(
  raw: Buffer,
  sessions: ReadonlyMap<bigint, SessionSecurity>,
  encryption: MessageEncryption | null,
): { message: Buffer; encrypted: boolean } {
  if (!isTransformHeader(raw)) return { message: raw, encrypted: false };
  const session = sessions.get(transformSessionId(raw));
  if (!session?.decryptionKey || !encryption) throw new SmbProtocolError('The computer sent an encrypted message for a session without keys.');
  return { message: decryptMessage(encryption.cipher, session.decryptionKey, raw).message, encrypted: true };
}

/** MS-SMB2 3.2.5.1.3: an established session's responses are signed (or encrypted) and verify. */
export function responseIntegrityProblem(
  sent: SentRequest,
  sessions: ReadonlyMap<bigint, SessionSecurity>,
  header: Smb2Header,
  message: Buffer,
  encrypted: boolean,
): Error | null {
  if (sent.encrypted && !encrypted) {
    return new SmbProtocolError('The computer answered an encrypted request in clear text.', 'smb-integrity', 'Something between the console and the computer tampers with SMB traffic; check the network path.');
  }
  if (encrypted) return null;
  const session = sessions.get(header.sessionId) ?? sent.session;
  if (!session?.signingKey || !session.signingRequired) return null;
  if (!(header.flags & HeaderFlags.SIGNED)) {
    if (sent.command === Command.SESSION_SETUP && header.status !== Status.SUCCESS) return null;
    if (unsignedAsWindowsSendsIt(sent.command, header, message)) return null;
    return new SmbProtocolError(`The computer's ${commandName(sent.command)} response is not signed although signing is required.`, 'smb-integrity', 'Something between the console and the computer strips SMB signatures; check the network path.');
  }
  if (!verifySignature(session.signingAlgorithm, session.signingKey, message)) {
    return new SmbProtocolError(`The computer's ${commandName(sent.command)} response has a bad signature.`, 'smb-integrity', 'The credentials do not match the session keys, or something tampers with SMB traffic; check the account, then the network path.');
  }
  return null;
}

/**
 * Unsigned answers Windows sends where signing is required, each reported for what it is rather
 * than as tampering (forging one only ends the push, as a TCP reset could):
 * - STATUS_USER_SESSION_DELETED and STATUS_NETWORK_SESSION_EXPIRED: the session, and with it the
 *   key a signature needs, is gone on the server (MS-SMB2 3.3.5.2.9; 3.3.4.1.1 signs only for a
 *   session the server still holds) — the status then becomes an smb-session error;
 * - the final SESSION_SETUP of a guest or anonymous logon (SessionFlags IS_GUEST / IS_NULL,
 *   2.2.6): such a session has no key to sign with (3.3.5.5.3) — the session layer then refuses
 *   the guest logon as logon-failure.
 */
function unsignedAsWindowsSendsIt(command: number, header: Smb2Header, message: Buffer): boolean {
  if (header.status === Status.USER_SESSION_DELETED || header.status === Status.NETWORK_SESSION_EXPIRED) return true;
  if (command !== Command.SESSION_SETUP || header.status !== Status.SUCCESS) return false;
  try {
    return (decodeSessionSetupResponse(message).sessionFlags & (SessionFlags.IS_GUEST | SessionFlags.IS_NULL)) !== 0;
  } catch {
    return false; // malformed: not a guest logon; the signature check fails it
  }
}

/** Whatever a server's bytes make a decoder or a cipher throw becomes a typed protocol error. */
export function asProtocolError(error: unknown): ConsoleError {
  if (error instanceof ConsoleError) return error;
  if (error instanceof SmbIntegrityError) {
    return new SmbProtocolError(`An encrypted message from the computer does not verify: ${error.message}`, 'smb-integrity', 'Something between the console and the computer tampers with SMB traffic; check the network path.');
  }
  return new SmbProtocolError(`The computer sent a malformed message: ${error instanceof Error ? error.message : String(error)}`);
}

const commandNames = new Map<number, string>(Object.entries(Command).map(([k, v]) => [v, k]));
export function commandName(command: number): string {
  return commandNames.get(command) ?? `0x${command.toString(16)}`;
}
