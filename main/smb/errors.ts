// The SMB layer's errors. Each is a ConsoleError, so it already carries the
// class, code and advice the UI shows; the engine adds the host and the step.
import { ConsoleError } from '../ipc/errors.js';
import { Status, statusMeaning, statusName } from './ntstatus.js';
import type { ErrorClass } from '../ipc/errorClasses.js';

/** The server answered a request with a failure NTSTATUS. */
export class SmbStatusError extends ConsoleError {
  readonly status: number;
  readonly command: string;

  constructor(status: number, command: string, detail = '') {
    const meaning = statusMeaning(status);
    super(meaning.errorClass, `${command} failed with ${statusName(status)}${detail ? ` (${detail})` : ''}.`, meaning.advice, statusName(status));
    this.name = 'SmbStatusError';
    this.status = status >>> 0;
    this.command = command;
  }
}

/** The file or its folder is not there (STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND): a delete already done, a file not written yet. */
export function isNotThere(status: number): boolean {
  return status === Status.OBJECT_NAME_NOT_FOUND || status === Status.OBJECT_PATH_NOT_FOUND;
}

/** TCP-level failures: refused, silent, reset, closed. */
export class SmbTransportError extends ConsoleError {
  constructor(errorClass: 'offline' | 'port-blocked' | 'name-not-resolved' | 'connection-lost' | 'timeout', message: string, advice: string, code: string | null = null) {
    super(errorClass, message, advice, code);
    this.name = 'SmbTransportError';
  }
}

/** The server's bytes break the protocol: malformed, unsigned where signing is required, bad signature. */
export class SmbProtocolError extends ConsoleError {
  constructor(message: string, errorClass: ErrorClass = 'smb-protocol', advice = 'The computer sent something the console cannot accept; check that it is a Windows computer or a compatible SMB server, then report it.') {
    super(errorClass, message, advice);
    this.name = 'SmbProtocolError';
  }
}

export class SmbNegotiateError extends ConsoleError {
  constructor(message: string, advice: string) {
    super('smb-negotiate', message, advice);
    this.name = 'SmbNegotiateError';
  }
}
