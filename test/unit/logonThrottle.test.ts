// Logon throttling (main/serverMode/logonThrottle.ts) on a clock the test moves: five failures
// within 15 minutes lock a name (any case) or an address for 30 s, each further failure doubles
// the lock up to 15 minutes, a success clears the name's count and not the address's, a quiet
// window forgives, IPv6 is counted per /64, and memory stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressKey, lockDurationMs, LogonThrottle, throttledError } from '../../main/serverMode/logonThrottle.js';

function clocked(maxEntries?: number) {
  let now = Date.UTC(2025, 0, 1);
  const throttle = new LogonThrottle({ now: () => now, ...(maxEntries ? { maxEntries } : {}) });
  return { throttle, advance: (ms: number) => (now += ms) };
}

test('four failures lock nothing; the fifth within 15 minutes locks the name for 30 s, in any case of the name', () => {
  const { throttle, advance } = clocked();
  for (let i = 0; i < 4; i++) {
    throttle.failure('Alice', `10.0.0.${i + 1}`);
    advance(60_000);
  }
  assert.equal(throttle.check('alice', '10.9.9.9'), null);
  throttle.failure('ALICE', '10.0.0.5');
  assert.deepEqual(throttle.check('alice', '10.9.9.9'), { retryAfterSeconds: 30, scope: 'user' });
  advance(29_500);
  assert.deepEqual(throttle.check('aLiCe', '10.9.9.9'), { retryAfterSeconds: 1, scope: 'user' });
  advance(500);
  assert.equal(throttle.check('alice', '10.9.9.9'), null, 'the lock ends after 30 s');
});

test('five failures spread over more than 15 minutes lock nothing (the window slides)', () => {
  const { throttle, advance } = clocked();
  for (let i = 0; i < 10; i++) {
    throttle.failure('bob', `10.0.${i}.1`);
    advance(4 * 60_000);
  }
  assert.equal(throttle.check('bob', '10.1.1.1'), null);
});

test('each failure after the lockout doubles it: 30 s, 60, 120, 240, 480, then 15 minutes at most', () => {
  const { throttle, advance } = clocked();
  for (let i = 0; i < 5; i++) throttle.failure('carol', `192.0.2.${i}`);
  const seen: number[] = [];
  for (let i = 0; i < 8; i++) {
    const verdict = throttle.check('carol', '198.51.100.1');
    assert.ok(verdict);
    seen.push(verdict.retryAfterSeconds);
    advance(verdict.retryAfterSeconds * 1000);
    assert.equal(throttle.check('carol', '198.51.100.1'), null);
    throttle.failure('carol', `192.0.2.${10 + i}`);
  }
  assert.deepEqual(seen, [30, 60, 120, 240, 480, 900, 900, 900]);
  assert.deepEqual([1, 2, 6, 40].map(lockDurationMs), [30_000, 60_000, 900_000, 900_000]);
});

test('an escalated name is forgiven only after 15 quiet minutes past its lock: then five failures are needed again', () => {
  const { throttle, advance } = clocked();
  for (let i = 0; i < 6; i++) throttle.failure('dave', `203.0.113.${i}`);
  assert.equal(throttle.check('dave', '198.51.100.1')?.retryAfterSeconds, 60);
  advance(60_000 + 14 * 60_000);
  throttle.failure('dave', '203.0.113.50');
  assert.equal(throttle.check('dave', '198.51.100.1')?.retryAfterSeconds, 120, 'not yet quiet for 15 minutes: still escalating');
  advance(120_000 + 15 * 60_000);
  throttle.failure('dave', '203.0.113.51');
  assert.equal(throttle.check('dave', '198.51.100.1'), null, 'quiet for 15 minutes: the count starts again');
});

test('an address that guesses at many names is locked for every name; a name is not locked by others\' guesses from it', () => {
  const { throttle } = clocked();
  for (const name of ['a1', 'a2', 'a3', 'a4', 'a5']) throttle.failure(name, '198.51.100.7');
  assert.deepEqual(throttle.check('someone-else', '198.51.100.7'), { retryAfterSeconds: 30, scope: 'address' });
  assert.equal(throttle.check('a1', '198.51.100.8'), null, 'the names each failed once');
});

test('a success clears the name\'s count but not the address\'s', () => {
  const { throttle } = clocked();
  for (let i = 0; i < 4; i++) throttle.failure('erin', '198.51.100.9');
  throttle.success('erin', '198.51.100.9');
  throttle.failure('erin', '198.51.100.10');
  assert.equal(throttle.check('erin', '198.51.100.10'), null, 'the name starts from one failure');
  throttle.failure('other', '198.51.100.9');
  assert.deepEqual(throttle.check('anyone', '198.51.100.9'), { retryAfterSeconds: 30, scope: 'address' }, 'the address kept its four');
});

test('when the name and the address are both locked, the longer wait is answered', () => {
  const { throttle, advance } = clocked();
  for (let i = 0; i < 6; i++) throttle.failure('frank', `10.1.0.${i}`);
  advance(1000);
  for (let i = 0; i < 5; i++) throttle.failure(`n${i}`, '10.2.0.1');
  assert.deepEqual(throttle.check('frank', '10.2.0.1'), { retryAfterSeconds: 59, scope: 'user' });
  assert.deepEqual(throttle.check('nobody', '10.2.0.1'), { retryAfterSeconds: 30, scope: 'address' });
});

test('IPv6 addresses count per /64 and an IPv4-mapped address as its IPv4 address', () => {
  assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(addressKey('[2001:DB8:1:2:ffff:ffff:ffff:ffff]'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(addressKey('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(addressKey('192.0.2.1'), '192.0.2.1');
  const { throttle } = clocked();
  for (let i = 1; i <= 5; i++) throttle.failure(`u${i}`, `2001:db8:1:2::${i}`);
  assert.equal(throttle.check('x', '2001:db8:1:2:dead:beef::9')?.scope, 'address', 'another host of the same /64');
  assert.equal(throttle.check('x', '2001:db8:1:3::1'), null);
});

test('memory is bounded: past maxEntries the quiet and unlocked go first, and a locked name survives a flood of other names', () => {
  const { throttle, advance } = clocked(100);
  for (let i = 0; i < 5; i++) throttle.failure('target', `10.3.0.${i}`);
  for (let i = 0; i < 10_000; i++) {
    throttle.failure(`spray${i}`, `10.4.${i >> 8}.${i & 255}`);
    if (i % 1000 === 0) advance(1);
  }
  const size = throttle.size();
  assert.ok(size.users <= 100 && size.addresses <= 100, JSON.stringify(size));
  assert.equal(throttle.check('target', '10.9.9.9')?.scope, 'user', 'the lock was not evicted');
});

test('a throttled logon answers logon-throttled with the wait in its message', () => {
  const e = throttledError({ retryAfterSeconds: 30, scope: 'user' });
  assert.equal(e.errorClass, 'logon-throttled');
  assert.match(e.message, /this account: try again in 30 seconds/);
  assert.match(throttledError({ retryAfterSeconds: 900, scope: 'address' }).message, /this address: try again in 15 minutes/);
});
