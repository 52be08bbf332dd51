// Awaits a promise that must fail with a ConsoleError of the given class (and code), with advice.
import assert from 'node:assert/strict';
import { ConsoleError } from '../../main/ipc/errors.js';

export async function expectClass(promise: Promise<unknown>, errorClass: string, code?: string): Promise<ConsoleError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConsoleError, `expected a ConsoleError, got ${String(error)}`);
    assert.equal(error.errorClass, errorClass, error.message);
    if (code) assert.equal(error.code, code, error.message);
    assert.ok(error.advice.length > 10, 'carries advice');
    return error;
  }
  assert.fail(`expected ${errorClass}, but it succeeded`);
}
