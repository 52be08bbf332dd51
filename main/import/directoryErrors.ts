// What a failed directory search tells the user: whatever ldapts, the socket or TLS throws becomes
// a ConsoleError with a class (logon, base, unreachable, tls, timeout, closed, protocol) and advice.
import { InvalidCredentialsError, NoSuchObjectError, ResultCodeError } from 'ldapts';
import { ConsoleError } from '../ipc/errors.js';

/** The parts of a directory query an error message names. */
interface QueryNames {
  readonly url: string;
  readonly baseDn: string;
  readonly bindDn: string;
  readonly ou?: string | undefined;
}

const protocolAdvice = 'The server at this address does not answer as an LDAP directory should. Check the URL (ldap:// and port 389, or ldaps:// and port 636) and that it is a domain controller or LDAP server.';

export function protocolError(what: string): ConsoleError {
  return new ConsoleError('directory-protocol', `The directory sent a malformed answer: ${what}.`, protocolAdvice);
}

export function asConsoleError(error: unknown, q: QueryNames): ConsoleError {
  if (error instanceof ConsoleError) return error;
  if (error instanceof InvalidCredentialsError) {
    return new ConsoleError('directory-logon', `The directory refused the bind account ${q.bindDn || '(anonymous)'}.`, 'Check the account (a DN, or user@domain for Active Directory) and its password.', 'LDAP 49');
  }
  if (error instanceof NoSuchObjectError) {
    return new ConsoleError('directory-base', `The directory has no entry ${q.ou || q.baseDn}.`, 'Check the base DN (e.g. DC=corp,DC=example) and the OU.', 'LDAP 32');
  }
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 300);
  if (error instanceof ResultCodeError) {
    return new ConsoleError('directory', `The directory refused the search: ${message}`, 'Check the base DN, the OU and that the bind account may read computer objects.', `LDAP ${error.code}`);
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const errno = typeof code === 'string' ? code : null;
  if (errno === 'ECONNREFUSED' || errno === 'ETIMEDOUT' || errno === 'ENOTFOUND' || errno === 'EHOSTUNREACH' || errno === 'ENETUNREACH' || errno === 'EAI_AGAIN' || /^Connection timeout$/.test(message)) {
    return new ConsoleError('directory-unreachable', `The directory server ${q.url} did not answer (${errno ?? message}).`, 'Check the server name and port (389 for LDAP, 636 for LDAPS) and that a firewall lets the console reach it.', errno);
  }
  if (/certificate|self[- ]signed|CERT_/i.test(message) || (errno ?? '').startsWith('ERR_SSL') || (errno ?? '').startsWith('ERR_TLS')) {
    return new ConsoleError('directory-tls', `The directory's certificate is not trusted or TLS failed: ${message}`, 'Install the directory\'s CA certificate on this computer, or allow an untrusted certificate for a lab directory. Check that ldaps:// goes to the LDAPS port (636).', errno);
  }
  if (/Operation timed out/i.test(message)) {
    return new ConsoleError('directory-timeout', `The directory server ${q.url} accepted the connection but did not answer in time.`, 'Check that the address is the directory\'s LDAP port and that the server is not overloaded; narrow the search with an OU.', null);
  }
  if (errno === 'ECONNRESET' || errno === 'EPIPE' || /Connection closed|Socket error|Socket connection not established/i.test(message)) {
    return new ConsoleError('directory-closed', `The directory server ${q.url} closed the connection before it answered.`, 'Check the URL: ldap:// on port 389 or ldaps:// on port 636 (LDAPS on 389 or LDAP on 636 is closed by the server), and the server\'s logs.', errno);
  }
  // Whatever else ldapts throws comes from decoding the server's answer.
  return protocolError(message || 'unreadable message');
}
