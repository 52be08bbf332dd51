// What every SMB logon ends with, whichever mechanism: the keys of MS-SMB2 3.2.5.3.1 from the GSS
// session key (2.x signs with its first 16 bytes; 3.x derives signing and cipher keys, 3.1.1 over
// the preauth integrity hash extended with the last SESSION_SETUP request), and the checks of the
// final SESSION_SETUP response (3.2.5.3: no guest or anonymous session; encryption when required).
import { deriveSmb3Keys } from './crypto/kdf.js';
import { Cipher, Dialect } from './codec/negotiate.js';
import { SessionFlags } from './codec/sessionSetup.js';
import { extendPreauthHash, type SessionSecurity, type SmbConnection } from './connection.js';
import { SmbProtocolError, SmbStatusError } from './errors.js';
import { Status } from './ntstatus.js';

/** MS-SMB2 3.2.5.3.1: Session.SigningKey, EncryptionKey, DecryptionKey from the GSS key. */
export function deriveSessionKeys(connection: SmbConnection, security: SessionSecurity, sessionKey: Buffer, preauth: Buffer, lastRequest: Buffer): void {
  const dialect = connection.dialect;
  if (dialect < Dialect.SMB300) {
    // Session.SessionKey: the first 16 bytes of the GSS key (a Kerberos AES-256 subkey has 32).
    security.signingKey = Buffer.from(sessionKey.subarray(0, 16));
    return;
  }
  const cipher = connection.cipher;
  const keys = deriveSmb3Keys({
    dialect: dialect as 0x0300 | 0x0302 | 0x0311,
    sessionKey,
    ...(dialect === Dialect.SMB311 ? { preauthHash: extendPreauthHash(preauth, lastRequest) } : {}),
    cipherKeyBits: cipher === Cipher.AES256_CCM || cipher === Cipher.AES256_GCM ? 256 : 128,
  });
  security.signingKey = keys.signingKey;
  security.encryptionKey = keys.encryptionKey;
  security.decryptionKey = keys.decryptionKey;
}

/** The final SESSION_SETUP response's flags: never a guest or anonymous session; encryption as the server or the console wants it. */
export function acceptSessionFlags(connection: SmbConnection, security: SessionSecurity, sessionFlags: number, user: string, encryptWhenSupported: boolean): void {
  if (sessionFlags & (SessionFlags.IS_GUEST | SessionFlags.IS_NULL)) {
    throw new SmbStatusError(Status.LOGON_FAILURE, 'SESSION_SETUP', `the server logged ${user} on as a guest`);
  }
  const serverWantsEncryption = (sessionFlags & SessionFlags.ENCRYPT_DATA) !== 0;
  security.encryptData = serverWantsEncryption || (encryptWhenSupported && connection.cipher !== null && security.encryptionKey !== null);
  if (serverWantsEncryption && (connection.cipher === null || !security.encryptionKey)) {
    throw new SmbProtocolError('The server requires encryption but shares no cipher with the console.', 'smb-negotiate', 'Enable AES-128-GCM/CCM or AES-256 SMB encryption on the computer.');
  }
}
