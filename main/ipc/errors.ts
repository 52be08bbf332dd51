// Errors are data with context: every failure that crosses IPC is reduced to
// `{class, code, message, advice}`; the renderer shows the advice, never a stack trace.
import type { IpcError } from './contract.js';
import { defaultAdvice, isErrorClass, type ErrorClass } from './errorClasses.js';

export { defaultAdvice, ERROR_CLASSES, isErrorClass, type ErrorClass } from './errorClasses.js';

export class ConsoleError extends Error {
  readonly errorClass: ErrorClass;
  readonly code: string | null;
  readonly advice: string;

  /** Without advice (or with an empty one) the error carries its class's default (errorClasses.ts). */
  constructor(errorClass: ErrorClass, message: string, advice?: string, code: string | null = null) {
    super(message);
    this.name = 'ConsoleError';
    this.errorClass = errorClass;
    this.code = code;
    this.advice = advice || defaultAdvice(errorClass);
  }

  toIpcError(): IpcError {
    return { class: this.errorClass, code: this.code, message: this.message, advice: this.advice };
  }

  static fromIpcError(error: IpcError): ConsoleError {
    // A class from across the wire that this build does not know is kept as 'internal' with its message.
    return new ConsoleError(isErrorClass(error.class) ? error.class : 'internal', error.message, error.advice, error.code);
  }
}

/** Anything thrown by a handler becomes an IpcError; unknown errors keep their message only. */
export function toIpcError(error: unknown): IpcError {
  if (error instanceof ConsoleError) return error.toIpcError();
  const message = error instanceof Error ? error.message : String(error);
  return {
    class: 'internal',
    code: null,
    message,
    advice: defaultAdvice('internal'),
  };
}
