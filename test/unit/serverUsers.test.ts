// The Push Install Server's accounts (main/serverMode/users.ts) on SQLite: names and passwords
// checked, names unique whatever their case, scrypt hashes in the documented format and never
// listed, verification that refuses unknown, disabled and wrong without saying which (and costs a
// scrypt each time), roles and passwords changed, and the last administrator kept.
// test/interop/serverAccountsPg.test.ts runs the same repository on PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { ConsoleError } from '../../main/ipc/errors.js';
import { openDatabase } from '../../main/store/database.js';
import { hashPassword, logonFailedError, passwordMatches, SCRYPT, UsersRepo } from '../../main/serverMode/users.js';

const PASSWORD = 'correct horse battery';

function repo(): UsersRepo {
  const db = openDatabase({ location: ':memory:' });
  return new UsersRepo(db, () => new Date('2025-01-02T03:04:05.000Z'));
}

function rejectsWith(code: string, cls = 'invalid-request') {
  return (error: unknown) => error instanceof ConsoleError && error.errorClass === cls && error.code === code;
}

test('a hash is scrypt$32768$8$1$salt$hash with a 16-byte random salt; it matches its password only, and two hashes of one password differ', async () => {
  const a = await hashPassword(PASSWORD);
  const b = await hashPassword(PASSWORD);
  const m = /^scrypt\$32768\$8\$1\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(a);
  assert.ok(m, a);
  assert.equal(Buffer.from(m[1]!, 'base64').length, SCRYPT.saltLength);
  const expected = crypto.scryptSync(PASSWORD, Buffer.from(m[1]!, 'base64'), Buffer.from(m[2]!, 'base64').length, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  assert.equal(m[2], expected.toString('base64'), 'RFC 7914 scrypt with the stored parameters');
  assert.notEqual(a, b);
  assert.equal(await passwordMatches(PASSWORD, a), true);
  assert.equal(await passwordMatches(`${PASSWORD}!`, a), false);
  assert.equal(await passwordMatches(PASSWORD, 'scrypt$1073741824$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='), false, 'a hash asking for a gigabyte matches nothing');
  assert.equal(await passwordMatches(PASSWORD, 'not a hash'), false);
});

test('a password is compared in NFC: the same password typed composed or decomposed logs on', async () => {
  const users = repo();
  await users.add('alice', 'viewer', 'caf\u00e9 au lait, please');
  assert.ok(await users.verify('alice', 'cafe\u0301 au lait, please'));
});

test('add checks the name (1–64 letters, digits, . _ -, starting with a letter or digit) and the password (12 characters or more)', async () => {
  const users = repo();
  for (const bad of ['', 'a'.repeat(65), 'has space', 'semi;colon', '-starts-with-dash', 'caf\u00e9', 'x@y']) {
    await assert.rejects(users.add(bad, 'viewer', PASSWORD), rejectsWith('invalid-name'), JSON.stringify(bad));
  }
  for (const good of ['a', 'A'.repeat(64), 'first.last', 'svc_push-01', '9lives']) assert.equal((await users.add(good, 'viewer', PASSWORD)).name, good);
  await assert.rejects(users.add('bob', 'viewer', 'elevenchars'), rejectsWith('weak-password'));
  await assert.rejects(users.add('bob', 'root' as never, PASSWORD), rejectsWith('invalid-role'));
  assert.equal((await users.add('bob', 'operator', 'twelve chars')).role, 'operator');
});

test('a name taken in any case is refused with a clear error, and the first account is kept', async () => {
  const users = repo();
  const alice = await users.add('Alice', 'administrator', PASSWORD);
  await assert.rejects(users.add('alice', 'viewer', 'another password'), (e: unknown) => rejectsWith('duplicate-name')(e) && /already exists/.test((e as Error).message));
  assert.deepEqual(users.list(), [alice]);
  assert.deepEqual(users.find('ALICE'), alice);
});

test('verify answers who a right name and password are, in any case of the name; null for a wrong password, an unknown name and a disabled account', async () => {
  const users = repo();
  const admin = await users.add('admin', 'administrator', PASSWORD);
  const carol = await users.add('Carol', 'operator', PASSWORD);
  assert.deepEqual(await users.verify('carol', PASSWORD), { id: carol.id, name: 'Carol', role: 'operator' });
  assert.equal(await users.verify('carol', `${PASSWORD} `), null);
  assert.equal(await users.verify('nobody', PASSWORD), null);
  assert.equal(await users.verify('not a valid name', PASSWORD), null);
  users.setDisabled(carol.id);
  assert.equal(await users.verify('carol', PASSWORD), null, 'disabled');
  users.setDisabled(carol.id, false);
  assert.ok(await users.verify('carol', PASSWORD), 'enabled again');
  assert.ok(await users.verify('admin', PASSWORD));
  assert.equal(admin.role, 'administrator');
  assert.match(logonFailedError().message, /name or password is wrong/);
  assert.equal(logonFailedError().errorClass, 'logon-failed');
});

test('an unknown or disabled name costs one scrypt like a wrong password does, so the time does not tell which names exist', async () => {
  const users = repo();
  const dave = await users.add('dave', 'viewer', PASSWORD);
  await users.add('erin', 'viewer', PASSWORD);
  users.setDisabled(dave.id);
  const original = crypto.scrypt;
  const calls: string[] = [];
  (crypto as { scrypt: unknown }).scrypt = (...args: unknown[]) => {
    calls.push(String(args[0]));
    return (original as (...a: unknown[]) => void)(...args);
  };
  try {
    for (const [name, password] of [['erin', 'wrong password!'], ['nobody', PASSWORD], ['dave', PASSWORD], ['bad name!', PASSWORD]] as const) {
      calls.length = 0;
      assert.equal(await users.verify(name, password), null, name);
      assert.equal(calls.length, 1, `${name}: one scrypt`);
    }
  } finally {
    (crypto as { scrypt: unknown }).scrypt = original;
  }
});

test('list shows every account by name with its role, creation time and whether it is disabled, never a hash', async () => {
  const users = repo();
  await users.add('zed', 'viewer', PASSWORD);
  await users.add('Amy', 'administrator', PASSWORD);
  const listed = users.list();
  assert.deepEqual(listed.map((u) => [u.name, u.role, u.createdAt, u.disabled]), [
    ['Amy', 'administrator', '2025-01-02T03:04:05.000Z', false],
    ['zed', 'viewer', '2025-01-02T03:04:05.000Z', false],
  ]);
  assert.doesNotMatch(JSON.stringify(listed), /scrypt|hash/i);
  assert.equal(users.count(), 2);
});

test('setRole and setPassword change the account; the old password no longer logs on; an id that is not there is not-found', async () => {
  const users = repo();
  await users.add('root', 'administrator', PASSWORD);
  const frank = await users.add('frank', 'viewer', PASSWORD);
  assert.equal(users.setRole(frank.id, 'operator').role, 'operator');
  assert.equal(users.byId(frank.id)?.role, 'operator');
  await users.setPassword(frank.id, 'a brand new password');
  assert.equal(await users.verify('frank', PASSWORD), null);
  assert.deepEqual(await users.verify('frank', 'a brand new password'), { id: frank.id, name: 'frank', role: 'operator' });
  await assert.rejects(users.setPassword(frank.id, 'short'), rejectsWith('weak-password'));
  assert.throws(() => users.setRole(999, 'viewer'), rejectsWith('no-such-account', 'not-found'));
  await assert.rejects(users.setPassword(999, PASSWORD), rejectsWith('no-such-account', 'not-found'));
  assert.equal(users.remove(frank.id), true);
  assert.equal(users.remove(frank.id), false);
  assert.equal(await users.verify('frank', 'a brand new password'), null);
});

test('the last enabled administrator cannot be demoted, disabled or removed; with a second one each is possible', async () => {
  const users = repo();
  const first = await users.add('first', 'administrator', PASSWORD);
  const lastAdmin = rejectsWith('last-administrator', 'forbidden');
  assert.throws(() => users.setRole(first.id, 'operator'), lastAdmin);
  assert.throws(() => users.setDisabled(first.id), lastAdmin);
  assert.throws(() => users.remove(first.id), lastAdmin);
  const second = await users.add('second', 'administrator', PASSWORD);
  users.setDisabled(second.id);
  assert.throws(() => users.remove(first.id), lastAdmin, 'a disabled administrator does not count');
  users.setDisabled(second.id, false);
  assert.equal(users.setRole(first.id, 'viewer').role, 'viewer');
  assert.throws(() => users.remove(second.id), lastAdmin);
  assert.deepEqual(users.list().map((u) => [u.name, u.role]), [['first', 'viewer'], ['second', 'administrator']]);
});
