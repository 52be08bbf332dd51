// RFC 4511's grammar for the answers the console can get from a directory (bind, search and
// extended responses, entries, references, controls), checked on each whole BER message, found by
// messageLength(), before ldapts decodes it: then none of ldapts's decoding loops can spin.
import { MAX_DIRECTORY_MESSAGE_BYTES } from './directoryLimits.js';

/** One BER element inside a message: tag, content [start, end). */
interface Element {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

/** Bytes that break the grammar; its message says where. */
export class Malformed extends Error {}

export const LDAP_BIND_RESPONSE = 0x61;
export const LDAP_SEARCH_ENTRY = 0x64;
export const LDAP_SEARCH_DONE = 0x65;
export const LDAP_SEARCH_REFERENCE = 0x73;
export const LDAP_EXTENDED_RESPONSE = 0x78;
const PAGED_RESULTS = '1.2.840.113556.1.4.319';
/** Response controls ldapts decodes by type; none is asked for, so none may come. */
const UNREQUESTED_CONTROLS = new Set(['2.16.840.1.113730.3.4.7', '2.16.840.1.113730.3.4.3', '1.2.840.113556.1.4.473']);

/** The length of a message from its first bytes: null when more are needed. */
export function messageLength(b: Buffer): number | null {
  if (b.length < 2) return null;
  if (b[0] !== 0x30) throw new Malformed(`a message starting with tag 0x${b[0]!.toString(16)} instead of a SEQUENCE`);
  const l = b[1]!;
  if (l < 0x80) return 2 + l;
  const n = l & 0x7f;
  if (n === 0) throw new Malformed('an indefinite length, which LDAP forbids');
  if (n > 4) throw new Malformed(`a length field of ${n} bytes`);
  if (b.length < 2 + n) return null;
  const length = b.readUIntBE(2, n);
  if (length > MAX_DIRECTORY_MESSAGE_BYTES) throw new Malformed(`a message of ${length} bytes (at most ${MAX_DIRECTORY_MESSAGE_BYTES} are read)`);
  return 2 + n + length;
}

/** The elements that exactly fill [start, end): definite lengths only, none running past the end. */
export function elements(b: Buffer, start: number, end: number): Element[] {
  const out: Element[] = [];
  for (let at = start; at < end; ) {
    if (at + 2 > end) throw new Malformed('an element cut short');
    const tag = b[at]!;
    const l = b[at + 1]!;
    let length = l;
    let content = at + 2;
    if (l >= 0x80) {
      const n = l & 0x7f;
      if (n === 0 || n > 4 || content + n > end) throw new Malformed(`a bad length (0x${l.toString(16)}) in element 0x${tag.toString(16)}`);
      length = b.readUIntBE(content, n);
      content += n;
    }
    if (length > end - content) throw new Malformed(`element 0x${tag.toString(16)} of ${length} bytes where ${end - content} remain`);
    out.push({ tag, start: content, end: content + length });
    at = content + length;
  }
  return out;
}

function expect(e: Element | undefined, tag: number, what: string): Element {
  if (!e || e.tag !== tag) throw new Malformed(`${what} is ${e ? `tag 0x${e.tag.toString(16)}` : 'missing'}, not 0x${tag.toString(16)}`);
  return e;
}

function expectInteger(e: Element | undefined, tag: number, what: string): void {
  const n = expect(e, tag, what);
  if (n.end - n.start < 1 || n.end - n.start > 4) throw new Malformed(`${what} of ${n.end - n.start} bytes`);
}

function allOctetStrings(b: Buffer, e: Element, what: string): void {
  for (const v of elements(b, e.start, e.end)) expect(v, 0x04, what);
}

/** LDAPResult (RFC 4511 §4.1.9) and the optional fields an operation may add after it. */
function ldapResult(b: Buffer, parts: Element[], optional: readonly number[]): void {
  expectInteger(parts[0], 0x0a, 'the result code');
  expect(parts[1], 0x04, 'the matched DN');
  expect(parts[2], 0x04, 'the diagnostic message');
  let next = 0;
  for (const extra of parts.slice(3)) {
    const at = optional.indexOf(extra.tag);
    if (at < next) throw new Malformed(`an unexpected field 0x${extra.tag.toString(16)} in a result`);
    next = at + 1;
    if (extra.tag === 0xa3) allOctetStrings(b, extra, 'a referral URI');
  }
}

function controls(b: Buffer, e: Element): void {
  for (const control of elements(b, e.start, e.end)) {
    const parts = elements(b, expect(control, 0x30, 'a control').start, control.end);
    const type = b.toString('latin1', expect(parts[0], 0x04, 'a control type').start, parts[0]!.end);
    let i = 1;
    if (parts[i]?.tag === 0x01) {
      if (parts[i]!.end - parts[i]!.start !== 1) throw new Malformed('a criticality that is not one byte');
      i++;
    }
    const value = parts[i] ? expect(parts[i], 0x04, 'a control value') : null;
    if (parts.length > i + (value ? 1 : 0)) throw new Malformed('a control with extra fields');
    if (UNREQUESTED_CONTROLS.has(type)) throw new Malformed(`control ${type}, which the console never asked for`);
    if (type === PAGED_RESULTS && value) {
      const [sequence, ...more] = elements(b, value.start, value.end);
      if (more.length) throw new Malformed('a paged-results value with extra fields');
      const fields = elements(b, expect(sequence, 0x30, 'the paged-results value').start, sequence!.end);
      expectInteger(fields[0], 0x02, 'the paged-results size');
      expect(fields[1], 0x04, 'the paged-results cookie');
      if (fields.length !== 2) throw new Malformed('a paged-results value with extra fields');
    }
  }
}

/** SearchResultEntry (RFC 4511 §4.5.2): a DN and attributes, each a type and a set of values. */
function searchEntry(b: Buffer, parts: Element[]): void {
  expect(parts[0], 0x04, 'the entry\'s DN');
  const attributes = expect(parts[1], 0x30, 'the entry\'s attributes');
  if (parts.length !== 2) throw new Malformed('an entry with extra fields');
  for (const attribute of elements(b, attributes.start, attributes.end)) {
    const [type, values, ...more] = elements(b, expect(attribute, 0x30, 'an attribute').start, attribute.end);
    expect(type, 0x04, 'an attribute type');
    allOctetStrings(b, expect(values, 0x31, 'an attribute\'s values'), 'an attribute value');
    if (more.length) throw new Malformed('an attribute with extra fields');
  }
}

/**
 * Checks one whole message against the grammar of the answers the console can get (RFC 4511):
 * what ldapts then decodes is well-formed, so none of its decoding loops can spin (a BindResponse
 * whose last string overruns the message made ldapts push empty strings until V8 aborted the
 * process; an overrun inside an entry or a control made it loop for ever).
 */
export function validate(b: Buffer): { id: number; op: number } {
  const [outer, ...after] = elements(b, 0, b.length);
  if (after.length || !outer || outer.tag !== 0x30) throw new Malformed('bytes after a message');
  const [id, op, control, ...extra] = elements(b, outer.start, outer.end);
  expectInteger(id, 0x02, 'the message id');
  if (!op) throw new Malformed('a message without an operation');
  if (control) controls(b, expect(control, 0xa0, 'the controls'));
  if (extra.length) throw new Malformed('a message with extra fields');
  const parts = op.tag & 0x20 ? elements(b, op.start, op.end) : [];
  switch (op.tag) {
    case LDAP_BIND_RESPONSE:
      ldapResult(b, parts, [0xa3, 0x87]);
      break;
    case LDAP_SEARCH_DONE:
      ldapResult(b, parts, [0xa3]);
      break;
    case LDAP_EXTENDED_RESPONSE:
      ldapResult(b, parts, [0xa3, 0x8a, 0x8b]);
      break;
    case LDAP_SEARCH_REFERENCE:
      if (!parts.length) throw new Malformed('a search reference without a URI');
      allOctetStrings(b, op, 'a reference URI');
      break;
    case LDAP_SEARCH_ENTRY:
      searchEntry(b, parts);
      break;
    default:
      throw new Malformed(`operation 0x${op.tag.toString(16)}, which is not an answer to a bind or a search`);
  }
  return { id: b.readIntBE(id!.start, id!.end - id!.start), op: op.tag };
}
