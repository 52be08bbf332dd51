// expectWire: the one helper every byte-exact test uses to compare an encoder's bytes with hex
// written from the spec or a peer's capture. Spaces, line breaks and `|` in the hex are ignored,
// so a vector can be laid out field by field as its source shows it.
import assert from 'node:assert/strict';

export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/[\s|]/g, ''), 'hex');
}

export function expectWire(actual: Buffer, expectedHex: string, what: string): void {
  const expected = hex(expectedHex);
  assert.equal(actual.toString('hex'), expected.toString('hex'), `${what}: bytes differ from the vector`);
}
