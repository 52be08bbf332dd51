// Errors of the SMB crypto layer, as classes the caller acts on (an integrity failure ends the
// connection) rather than messages it would have to parse.

/**
 * A message failed an integrity check: a bad AEAD tag or a malformed SMB2 TRANSFORM_HEADER
 * (MS-SMB2 2.2.41, 3.2.5.1.1.1). The connection treats it as fatal, as MS-SMB2 3.2.5.1.1.1 asks:
 * the client MUST disconnect when decryption fails.
 */
export class SmbIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmbIntegrityError';
  }
}
