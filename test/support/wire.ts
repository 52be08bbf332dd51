// expectWire (STYLE.md, after smb-rs): one helper compares an encoder's bytes with hex written
// from the spec or a peer's capture, spaces and line breaks in the hex ignored.
import assert from 'node:assert/strict';

export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/[\s|]/g, ''), 'hex');
}

export function expectWire(actual: Buffer, expectedHex: string, what: string): void {
  const expected = hex(expectedHex);
  assert.equal(actual.toString('hex'), expected.toString('hex'), `${what}: bytes differ from the vector`);
}
