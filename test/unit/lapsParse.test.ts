// What the LAPS reader makes of a computer object's attributes (main/import/lapsParse.ts), hostile
// ones included: msLAPS-Password's JSON, FILETIME times, RFC 4515 filter escaping, which attribute
// wins, and missing vs denied. Every bad input ends in a ConsoleError with a laps-* class and
// advice — never another exception — and no error's text holds the password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import util from 'node:util';
import { AndFilter, EqualityFilter, FilterParser, OrFilter } from 'ldapts';
import {
  dateToFileTime,
  escapeFilterValue,
  fileTimeToDate,
  hexFileTimeToDate,
  lapsSearches,
  lapsSecretFromEntry,
  parseWindowsLapsJson,
  pickComputer,
  type LapsEntry,
} from '../../main/import/lapsParse.js';
import { ConsoleError } from '../../main/ipc/errors.js';
import { prng } from '../support/prng.js';

const DN = 'CN=WS01,OU=Workstations,DC=corp,DC=example';
const NOW = new Date('2026-01-15T12:00:00.000Z');
const LATER = dateToFileTime(new Date('2026-02-01T00:00:00.000Z'));
const EARLIER = dateToFileTime(new Date('2026-01-01T00:00:00.000Z'));
const SECRET = 'S3cret-Pw!';

function entry(attributes: Record<string, string | Buffer | (string | Buffer)[]>, dn = DN): LapsEntry {
  return { dn, attributes: new Map(Object.entries(attributes).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v : [v]])) };
}

/** Runs fn, which must throw a ConsoleError of the class, with advice, its text free of `secret`. */
function throwsClass(fn: () => unknown, errorClass: string, secret = SECRET): ConsoleError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConsoleError, `expected a ConsoleError, got ${String(error)}`);
    assert.equal(error.errorClass, errorClass, error.message);
    assert.ok(error.advice.length > 10);
    assert.ok(!`${error.message} ${error.advice} ${error.stack}`.includes(secret), `${errorClass}: the text holds the password`);
    return error;
  }
  assert.fail(`expected ${errorClass}`);
}

test('FILETIME: decimal (expiration times) and hexadecimal ("t"), 0…2^63−1 only; anything else is null', () => {
  assert.equal(fileTimeToDate('0')?.toISOString(), '1601-01-01T00:00:00.000Z');
  assert.equal(fileTimeToDate('116444736000000000')?.toISOString(), '1970-01-01T00:00:00.000Z');
  assert.equal(fileTimeToDate(' 133801632000000000 ')?.toISOString(), '2025-01-01T00:00:00.000Z');
  // Microsoft's example value (MS-ADA2 2.64), checked against Python's datetime.
  assert.equal(hexFileTimeToDate('1d8161b41c41cde')?.toISOString(), '2022-01-30T20:52:13.072Z');
  assert.equal(fileTimeToDate('9223372036854775807')?.getUTCFullYear(), 30828);
  assert.equal(hexFileTimeToDate('7FFFFFFFFFFFFFFF')?.getUTCFullYear(), 30828);
  for (const bad of ['9223372036854775808', '99999999999999999999', '1'.repeat(10_000), '-1', '', ' ', '1e5', '12abc', '0x10', '１２３', '1.5']) {
    assert.equal(fileTimeToDate(bad), null, bad.slice(0, 30));
  }
  for (const bad of ['8000000000000000', 'ffffffffffffffffff', 'f'.repeat(100_000), '-1', '', 'xyz', '0x10', '1d8161b41c41cdé']) {
    assert.equal(hexFileTimeToDate(bad), null, bad.slice(0, 30));
  }
  const d = new Date('2024-07-08T09:10:11.123Z');
  assert.equal(fileTimeToDate(dateToFileTime(d))?.toISOString(), d.toISOString());
});

test('msLAPS-Password JSON: "n", "p" and "t" as Windows LAPS writes them', () => {
  const ok = parseWindowsLapsJson('{"n":"Administrator","t":"1d8161b41c41cde","p":"A6a3#7%eb!5"}', DN);
  assert.deepEqual({ ...ok, updatedAt: ok.updatedAt?.toISOString() }, { account: 'Administrator', password: 'A6a3#7%eb!5', updatedAt: '2022-01-30T20:52:13.072Z' });
  // Extra fields are ignored; a missing or unreadable "t" only loses the update time.
  assert.equal(parseWindowsLapsJson(JSON.stringify({ n: 'a', p: 'b', x: [1, { y: 2 }] }), DN).updatedAt, null);
  assert.equal(parseWindowsLapsJson(JSON.stringify({ n: 'a', p: 'b', t: 'f'.repeat(5000) }), DN).updatedAt, null);
  assert.equal(parseWindowsLapsJson(JSON.stringify({ n: 'a', p: 'b', t: 123 }), DN).updatedAt, null);
  assert.equal(parseWindowsLapsJson(JSON.stringify({ n: 'Adm', p: 'pässwörd ☃ \u{1F600}' }), DN).password, 'pässwörd ☃ \u{1F600}');
});

test('hostile msLAPS-Password values are laps-malformed, and the error never quotes the value (JSON.parse\'s own message does)', () => {
  const cases: [string, RegExp][] = [
    [`{"n":"Administrator","p":"${SECRET}"`, /not JSON/],
    [`{"n":"Administrator","p":"${SECRET}",}`, /not JSON/],
    [`${SECRET}`, /not JSON/],
    ['', /not JSON/],
    [`["${SECRET}"]`, /not a JSON object/],
    ['null', /not a JSON object/],
    ['42', /not a JSON object/],
    [`"${SECRET}"`, /not a JSON object/],
    ['{"n":"Administrator"}', /no password/],
    ['{"n":"Administrator","p":""}', /no password/],
    ['{"n":"Administrator","p":12345}', /no password/],
    [`{"n":"Administrator","p":["${SECRET}"]}`, /no password/],
    [`{"n":"Administrator","__proto__":{"p":"${SECRET}"}}`, /no password/],
    [`{"p":"${SECRET}"}`, /no account name/],
    [`{"n":"","p":"${SECRET}"}`, /no account name/],
    [`{"n":{"x":1},"p":"${SECRET}"}`, /no account name/],
    [`{"n":"Admin\\r\\nFAKE LOG LINE","p":"${SECRET}"}`, /not a Windows account name/],
    [JSON.stringify({ n: 'A'.repeat(300), p: SECRET }), /not a Windows account name/],
    [JSON.stringify({ n: 'A', p: `${SECRET}${'x'.repeat(2000)}` }), /over 1024 characters/],
    [JSON.stringify({ n: 'A', p: SECRET, pad: 'x'.repeat(9000) }), /more than LAPS writes/],
    ['['.repeat(200_000), /more than LAPS writes/],
    [`${'['.repeat(4000)}${']'.repeat(4000)}`, /not a JSON object/],
    [`{"n":"A","p":"${SECRET}","n":7}`, /no account name/],
  ];
  for (const [value, why] of cases) {
    const e = throwsClass(() => parseWindowsLapsJson(value, DN), 'laps-malformed');
    assert.match(e.message, why, value.slice(0, 60));
  }
});

test('which attribute wins: msLAPS-Password, then msLAPS-EncryptedPassword (refused), then ms-Mcs-AdmPwd', () => {
  const windows = JSON.stringify({ n: 'LapsAdmin', t: '1d8161b41c41cde', p: SECRET });
  const w = lapsSecretFromEntry(entry({ 'msLAPS-Password': windows, 'msLAPS-PasswordExpirationTime': LATER, 'ms-Mcs-AdmPwd': 'legacy', 'ms-Mcs-AdmPwdExpirationTime': LATER }), { now: NOW });
  assert.deepEqual([w.attribute, w.account, w.password, w.expired, w.expiresAt?.toISOString(), w.dn], ['msLAPS-Password', 'LapsAdmin', SECRET, false, '2026-02-01T00:00:00.000Z', DN]);

  const encrypted = throwsClass(() => lapsSecretFromEntry(entry({ 'msLAPS-EncryptedPassword': Buffer.alloc(64, 7), 'msLAPS-PasswordExpirationTime': LATER, 'ms-Mcs-AdmPwd': SECRET }), { now: NOW }), 'laps-encrypted');
  assert.match(encrypted.advice, /MS-GKDI key service/);

  const legacy = lapsSecretFromEntry(entry({ 'ms-Mcs-AdmPwd': SECRET, 'ms-Mcs-AdmPwdExpirationTime': EARLIER }), { now: NOW });
  assert.deepEqual([legacy.attribute, legacy.account, legacy.password, legacy.expired, legacy.updatedAt], ['ms-Mcs-AdmPwd', 'Administrator', SECRET, true, null]);
  assert.equal(lapsSecretFromEntry(entry({ 'ms-Mcs-AdmPwd': SECRET }), { legacyAccount: ' Boss ' }).account, 'Boss');
  assert.equal(lapsSecretFromEntry(entry({ 'ms-Mcs-AdmPwd': SECRET }), { legacyAccount: '  ' }).account, 'Administrator');
  // Attribute names as the server spells them, in any case.
  assert.equal(lapsSecretFromEntry(entry({ 'MS-MCS-ADMPWD': SECRET })).password, SECRET);
});

test('missing vs denied: a visible expiration time without a password is laps-denied; nothing at all is laps-missing', () => {
  throwsClass(() => lapsSecretFromEntry(entry({ cn: 'WS01', dNSHostName: 'ws01.corp.example' })), 'laps-missing');
  throwsClass(() => lapsSecretFromEntry(entry({})), 'laps-missing');
  throwsClass(() => lapsSecretFromEntry(entry({ 'msLAPS-PasswordExpirationTime': LATER })), 'laps-denied');
  throwsClass(() => lapsSecretFromEntry(entry({ 'ms-Mcs-AdmPwdExpirationTime': LATER })), 'laps-denied');
  throwsClass(() => lapsSecretFromEntry(entry({ 'ms-Mcs-AdmPwdExpirationTime': 'garbage' })), 'laps-denied');
  // Windows LAPS manages the computer (its expiration time is later than legacy's, or legacy has
  // none): the readable legacy password is a stale copy, not used.
  throwsClass(() => lapsSecretFromEntry(entry({ 'msLAPS-PasswordExpirationTime': LATER, 'ms-Mcs-AdmPwd': SECRET, 'ms-Mcs-AdmPwdExpirationTime': EARLIER })), 'laps-denied');
  throwsClass(() => lapsSecretFromEntry(entry({ 'msLAPS-PasswordExpirationTime': LATER, 'ms-Mcs-AdmPwd': SECRET })), 'laps-denied');
  throwsClass(() => lapsSecretFromEntry(entry({ 'msLAPS-PasswordExpirationTime': 'junk', 'ms-Mcs-AdmPwd': SECRET, 'ms-Mcs-AdmPwdExpirationTime': LATER })), 'laps-denied');
  // Legacy LAPS took over again (its expiration time is the later one): legacy is current.
  assert.equal(lapsSecretFromEntry(entry({ 'msLAPS-PasswordExpirationTime': EARLIER, 'ms-Mcs-AdmPwd': SECRET, 'ms-Mcs-AdmPwdExpirationTime': LATER }), { now: NOW }).password, SECRET);
});

test('expiry: past or now is expired, future is not, unreadable or absent is unknown (null, not expired)', () => {
  const at = (exp: string | undefined) => lapsSecretFromEntry(entry({ 'ms-Mcs-AdmPwd': SECRET, ...(exp === undefined ? {} : { 'ms-Mcs-AdmPwdExpirationTime': exp }) }), { now: NOW });
  assert.equal(at(EARLIER).expired, true);
  assert.equal(at(dateToFileTime(NOW)).expired, true);
  assert.equal(at('0').expired, true, 'AD\'s "expire now"');
  assert.equal(at(LATER).expired, false);
  for (const odd of [undefined, 'soon', '-1', '99999999999999999999999']) {
    const s = at(odd);
    assert.deepEqual([s.expiresAt, s.expired], [null, false], String(odd));
  }
});

test('hostile entries: multi-valued, empty or oversized password attributes are laps-malformed', () => {
  throwsClass(() => lapsSecretFromEntry(entry({ 'msLAPS-Password': [JSON.stringify({ n: 'a', p: SECRET }), JSON.stringify({ n: 'b', p: SECRET })] })), 'laps-malformed');
  throwsClass(() => lapsSecretFromEntry(entry({ 'ms-Mcs-AdmPwd': [SECRET, 'other'] })), 'laps-malformed');
  throwsClass(() => lapsSecretFromEntry(entry({ 'ms-Mcs-AdmPwd': SECRET, 'ms-Mcs-AdmPwdExpirationTime': [LATER, EARLIER] })), 'laps-malformed');
  throwsClass(() => lapsSecretFromEntry(entry({ 'ms-Mcs-AdmPwd': '' })), 'laps-malformed');
  throwsClass(() => lapsSecretFromEntry(entry({ 'ms-Mcs-AdmPwd': SECRET.repeat(200) })), 'laps-malformed');
  const odd = throwsClass(() => lapsSecretFromEntry(entry({ 'msLAPS-Password': 'x' }, 'CN=evil\r\nINJECTED,DC=x')), 'laps-malformed');
  assert.ok(!/[\r\n]/.test(odd.message), 'a DN from the server cannot add lines to a log');
});

test('a secret shows no password when logged by mistake (JSON, util.inspect); a copy keeps it', () => {
  const s = lapsSecretFromEntry(entry({ 'ms-Mcs-AdmPwd': SECRET }));
  assert.ok(!JSON.stringify(s).includes(SECRET));
  assert.match(JSON.stringify(s), /\[redacted\]/);
  assert.ok(!util.inspect(s).includes(SECRET));
  assert.ok(!util.format('%o %O %j', s, s, s).includes(SECRET));
  assert.equal({ ...s }.password, SECRET);
  assert.deepEqual(Object.keys(s).sort(), ['account', 'attribute', 'dn', 'expired', 'expiresAt', 'password', 'updatedAt']);
});

test('RFC 4515 escaping: special characters become \\XX and survive ldapts\'s filter parser as the same value', () => {
  assert.equal(escapeFilterValue('*)(cn=*'), '\\2a\\29\\28cn=\\2a');
  assert.equal(escapeFilterValue('a\\b\u0000c\nd'), 'a\\5cb\\00c\\0ad');
  assert.equal(escapeFilterValue('Bürö-PC'), 'Bürö-PC');
  for (const name of ['*)(cn=*', '*', '\\', 'a)(|(objectClass=*', 'x\u0000y', 'Bürö-PC', '(', '\\2a']) {
    const [, byNetbios] = lapsSearches({ dnsName: name, netbiosName: name });
    const parsed = FilterParser.parseString(byNetbios!.filter);
    assert.ok(parsed instanceof AndFilter);
    const or = parsed.filters[1];
    assert.ok(or instanceof OrFilter);
    const [cn, sam] = or.filters as EqualityFilter[];
    assert.deepEqual([cn!.attribute, cn!.value, sam!.attribute, sam!.value], ['cn', name, 'sAMAccountName', `${name}$`], name);
    const dns = FilterParser.parseString(lapsSearches({ dnsName: name })[0]!.filter) as AndFilter;
    assert.equal((dns.filters[1] as EqualityFilter).value, name);
  }
});

test('the searches: by DNS name (a trailing dot dropped), then by NetBIOS name; a target without either, or with an overlong name, is refused', () => {
  assert.deepEqual(
    lapsSearches({ dnsName: ' ws01.corp.example. ', netbiosName: 'WS01' }).map((s) => [s.by, s.filter]),
    [
      ['DNS name', '(&(objectClass=computer)(dNSHostName=ws01.corp.example))'],
      ['NetBIOS name', '(&(objectClass=computer)(|(cn=WS01)(sAMAccountName=WS01$)))'],
    ],
  );
  assert.deepEqual(lapsSearches({ netbiosName: 'WS01' }).map((s) => s.by), ['NetBIOS name']);
  throwsClass(() => lapsSearches({}), 'invalid-request');
  throwsClass(() => lapsSearches({ dnsName: '  ', netbiosName: '' }), 'invalid-request');
  throwsClass(() => lapsSearches({ dnsName: 'a'.repeat(256) }), 'invalid-request');
  throwsClass(() => lapsSearches({ netbiosName: 'N'.repeat(65) }), 'invalid-request');
});

test('several objects for one name: NAME$ decides a NetBIOS search; otherwise laps-ambiguous, never a guess', () => {
  const [byDns, byNetbios] = lapsSearches({ dnsName: 'ws01.corp.example', netbiosName: 'WS01' });
  const a = entry({ cn: 'WS01', sAMAccountName: 'ws01$' }, 'CN=WS01,OU=A');
  const b = entry({ cn: 'WS01', sAMAccountName: 'WS01-OLD$' }, 'CN=WS01,OU=B');
  assert.equal(pickComputer(byNetbios!, []), null);
  assert.equal(pickComputer(byNetbios!, [b]), b);
  assert.equal(pickComputer(byNetbios!, [b, a]), a);
  throwsClass(() => pickComputer(byNetbios!, [b, entry({ cn: 'WS01' }, 'CN=WS01,OU=C')]), 'laps-ambiguous');
  throwsClass(() => pickComputer(byNetbios!, [a, entry({ cn: 'WS01', sAMAccountName: 'WS01$' }, 'CN=WS01,OU=C')]), 'laps-ambiguous');
  throwsClass(() => pickComputer(byDns!, [a, b]), 'laps-ambiguous');
});

test('10 000 random attribute sets: a secret or a laps-* ConsoleError with advice, nothing else, and no password in any error', () => {
  const next = prng(0x1a95);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  const randomText = (max: number) => Buffer.from(Array.from({ length: next() % max }, () => next() & 0xff)).toString(pick(['latin1', 'utf8', 'hex', 'base64'] as const));
  const jsonish = () =>
    pick([
      () => JSON.stringify({ n: pick(['Administrator', '', 7, null, 'x'.repeat(300)]), t: pick(['1d8161b41c41cde', 'zz', 'f'.repeat(40), 5]), p: pick([SECRET, '', 0, [SECRET], { p: SECRET }]) }),
      () => JSON.stringify({ n: 'A', p: SECRET }).slice(0, next() % 30),
      () => `{"n":"A","p":"${SECRET}"${randomText(20)}`,
      () => randomText(200),
      () => pick(['[', '{', '"']).repeat(next() % 20_000),
    ])();
  const classes = new Map<string, number>();
  for (let i = 0; i < 10_000; i++) {
    const attrs: Record<string, string | Buffer | (string | Buffer)[]> = {};
    if (next() % 2) attrs['msLAPS-Password'] = next() % 10 ? jsonish() : [jsonish(), jsonish()];
    if (next() % 5 === 0) attrs['msLAPS-EncryptedPassword'] = Buffer.from(randomText(50));
    if (next() % 3 === 0) attrs['ms-Mcs-AdmPwd'] = pick([SECRET, '', randomText(40), SECRET.repeat(300)]);
    if (next() % 3 === 0) attrs['msLAPS-PasswordExpirationTime'] = pick([LATER, EARLIER, '0', '-1', randomText(30), '9'.repeat(40)]);
    if (next() % 3 === 0) attrs['ms-Mcs-AdmPwdExpirationTime'] = pick([LATER, EARLIER, randomText(30), [LATER, LATER]]);
    let label: string;
    try {
      const s = lapsSecretFromEntry(entry(attrs, pick([DN, randomText(40)])), { now: NOW });
      assert.ok(s.password.length > 0 && s.account.length > 0);
      assert.ok(s.expiresAt === null || Number.isFinite(s.expiresAt.getTime()));
      assert.ok(s.updatedAt === null || Number.isFinite(s.updatedAt.getTime()));
      label = `ok ${s.attribute}`;
    } catch (error) {
      assert.ok(error instanceof ConsoleError, `run ${i}: ${String(error)}`);
      assert.match(error.errorClass, /^laps-/);
      assert.ok(error.advice.length > 10);
      assert.ok(!error.message.includes(SECRET), `run ${i}: ${error.errorClass} quotes the password`);
      label = error.errorClass;
    }
    classes.set(label, (classes.get(label) ?? 0) + 1);
  }
  for (const expected of ['ok msLAPS-Password', 'ok ms-Mcs-AdmPwd', 'laps-malformed', 'laps-encrypted', 'laps-denied', 'laps-missing']) assert.ok(classes.has(expected), `${expected} never came up: ${[...classes]}`);
});
