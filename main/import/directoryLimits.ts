// How much one directory search may bring back: the computers imported, and the entries, message
// size and bytes the wire guard lets through before it ends the search (a broken or hostile
// server must not make the console wait or buffer for ever).
export const MAX_DIRECTORY_COMPUTERS = 10_000;
/** Search entries and references accepted in one search: the size limit asked of the server. */
export const MAX_DIRECTORY_RESULTS = MAX_DIRECTORY_COMPUTERS + 1;
/** One LDAP message from the server; a computer entry with five attributes is well under 4 KiB. */
export const MAX_DIRECTORY_MESSAGE_BYTES = 256 * 1024;
/** Everything the server sends in one search (10 001 entries of up to ~3 KiB each). */
export const MAX_DIRECTORY_BYTES = 32 * 1024 * 1024;
