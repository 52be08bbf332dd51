// The KDC exchanges (main/smb/auth/kerberos/exchanges.ts), the KDC transport (kdcTransport.ts)
// and the ticket cache (logon.ts) against a scripted KDC stand-in on loopback
// (test/support/kdcStandIn.ts): the edge cases a real domain controller cannot produce on demand —
// a reply for another nonce, an enc-part under another key, a KDC that is silent, hangs up or
// sends an absurd length, referral chains — and the cache's reuse and renewal with an injected
// clock. The same client against a real DC: test/interop/kerberosAdDc.test.ts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REFERRALS, requestServiceTicket, requestTgt, type ExchangeContext } from '../../main/smb/auth/kerberos/exchanges.js';
import { MAX_KDC_REPLY, type KdcAddress } from '../../main/smb/auth/kerberos/kdcTransport.js';
import { KerberosLogon, UNREACHABLE_KEPT_MS, kerberosPrincipal, type KerberosSettings } from '../../main/smb/auth/kerberos/logon.js';
import { stringToKey } from '../../main/smb/auth/kerberos/crypto.js';
import { KrbErrorCode, NameType, peekMessageType } from '../../main/smb/auth/kerberos/messages.js';
import { expectClass } from '../support/expectError.js';
import { readKdcReq, refusedAddress, scriptedKdc, startKdc, type Answer, type KdcScript, type KdcStandIn } from '../support/kdcStandIn.js';

const REALM = 'PUSH.TEST';
const USER = 'pushadmin';
const PASSWORD = 'Push-Pa55word!';
const T0 = Date.UTC(2026, 11, 7, 6, 0, 0);
const HOUR = 3600_000;
const MINUTE = 60_000;

const standIns: KdcStandIn[] = [];
after(async () => {
  await Promise.all(standIns.map((kdc) => kdc.close()));
});

async function kdc(answer: (request: Buffer, index: number) => Answer): Promise<KdcStandIn> {
  const standIn = await startKdc(answer);
  standIns.push(standIn);
  return standIn;
}

const script = (extra: Partial<KdcScript> = {}): KdcScript => ({ realm: REALM, user: USER, password: PASSWORD, now: () => T0, ...extra });

function context(kdcs: readonly KdcAddress[] | ((realm: string) => readonly KdcAddress[]), extra: Partial<ExchangeContext> = {}): ExchangeContext {
  return { realm: REALM, kdcs: async (realm) => (typeof kdcs === 'function' ? kdcs(realm) : kdcs), timeoutMs: 300, etypes: [18, 17], now: () => T0, ...extra };
}

const named = (address: KdcAddress): RegExp => new RegExp(`${address.host}:${address.port}: `);

describe('the AS and TGS exchanges refuse replies that are not the answer to the request', () => {
  test('an AS-REP or TGS-REP whose nonce is not the request\'s is kerberos-protocol', async () => {
    const asKdc = await kdc(scriptedKdc(script({ replyNonce: (n) => n + 1 })));
    const error = await expectClass(requestTgt(context([asKdc.address]), USER, PASSWORD), 'kerberos-protocol');
    assert.match(error.message, /nonce/);
    assert.equal(asKdc.requests.length, 2, 'PREAUTH_REQUIRED, then the AS-REP with the wrong nonce');

    let wrongTgsNonce = false;
    const tgsKdc = await kdc(scriptedKdc(script({ replyNonce: (n) => (wrongTgsNonce ? (n + 1) & 0x7fffffff : n) })));
    const tgt = await requestTgt(context([tgsKdc.address]), USER, PASSWORD);
    wrongTgsNonce = true;
    await expectClass(requestServiceTicket(context([tgsKdc.address]), tgt, 'cifs', 'pc1.push.test'), 'kerberos-protocol');
  });

  test('an AS-REP whose enc-part does not decrypt with the password\'s key is logon-failure KRB_AP_ERR_BAD_INTEGRITY', async () => {
    const standIn = await kdc(scriptedKdc(script({ asReplyKey: stringToKey(18, 'another password', `${REALM}${USER}`) })));
    await expectClass(requestTgt(context([standIn.address]), USER, PASSWORD), 'logon-failure', 'KRB_AP_ERR_BAD_INTEGRITY');
  });

  test('the stand-in is a faithful KDC: requestTgt then requestServiceTicket give cifs/pc1.push.test, and the second AS-REQ carries PA-ENC-TIMESTAMP and PA-PAC-REQUEST', async () => {
    const standIn = await kdc(scriptedKdc(script()));
    const tgt = await requestTgt(context([standIn.address]), USER, PASSWORD);
    assert.deepEqual(tgt.ticket.sname.nameString, ['krbtgt', REALM]);
    const ticket = await requestServiceTicket(context([standIn.address]), tgt, 'cifs', 'pc1.push.test');
    assert.deepEqual(ticket.ticket.sname.nameString, ['cifs', 'pc1.push.test']);
    assert.equal(ticket.key.value.length, 32);
    assert.deepEqual(standIn.requests.map((r) => readKdcReq(r).padata.map((p) => p.type)), [[128], [2, 128], [1, 128]]);
  });
});

describe('the KDC transport gives up on a KDC that does not answer properly and tries the next', () => {
  const cases: Array<[string, Answer, RegExp]> = [
    ['answers nothing within the bound', 'silent', /no answer within 0\.3 s/],
    ['closes the connection without a reply', 'close', /closed the connection before its reply was complete/],
    ['closes after part of its reply', { raw: Buffer.concat([Buffer.from([0, 0, 0, 100]), Buffer.alloc(10)]) }, /closed the connection before its reply was complete/],
    ['sends a length with the high bit set', { raw: Buffer.from([0x80, 0, 0, 16]) }, /reserved high bit/],
    [`sends a length over ${MAX_KDC_REPLY} bytes`, { raw: Buffer.from([0, 4, 0, 1]) }, /262145 bytes is larger than a KDC sends/],
  ];
  for (const [what, answer, reason] of cases) {
    test(`a KDC that ${what} is kdc-unreachable naming the KDC`, async () => {
      const standIn = await kdc(() => answer);
      const started = Date.now();
      const error = await expectClass(requestTgt(context([standIn.address]), USER, PASSWORD), 'kdc-unreachable', 'KDC_UNREACHABLE');
      assert.match(error.message, named(standIn.address));
      assert.match(error.message, reason);
      assert.match(error.message, /PUSH\.TEST/);
      assert.ok(Date.now() - started < 2000, 'within the bound');
    });
  }

  test('a refused connection is kdc-unreachable naming the KDC', async () => {
    const refused = await refusedAddress();
    const error = await expectClass(requestTgt(context([refused]), USER, PASSWORD), 'kdc-unreachable');
    assert.match(error.message, new RegExp(`${refused.host}:${refused.port}: connection refused`));
  });

  test('with two KDCs the second answers after the first is silent, and after the first refuses', async () => {
    const silent = await kdc(() => 'silent');
    const good = await kdc(scriptedKdc(script()));
    const tgt = await requestTgt(context([silent.address, good.address]), USER, PASSWORD);
    assert.deepEqual(tgt.ticket.sname.nameString, ['krbtgt', REALM]);
    assert.equal(silent.requests.length, 2, 'each AS-REQ went to the silent KDC first');
    assert.equal(good.requests.length, 2);
    const refused = await refusedAddress();
    await requestTgt(context([refused, good.address]), USER, PASSWORD);
    assert.equal(good.requests.length, 4);
  });
});

describe('referrals', () => {
  test('a TGS-REP with krbtgt/OTHER.REALM is followed to OTHER.REALM\'s KDC, which gives the service ticket', async () => {
    const home = await kdc(scriptedKdc(script({ referral: () => 'OTHER.REALM' })));
    const other = await kdc(scriptedKdc(script({ realm: 'OTHER.REALM' })));
    const asked: string[] = [];
    const ctx = context((realm) => {
      asked.push(realm);
      return realm === 'OTHER.REALM' ? [other.address] : [home.address];
    });
    const tgt = await requestTgt(ctx, USER, PASSWORD);
    const ticket = await requestServiceTicket(ctx, tgt, 'cifs', 'pc9.other.realm');
    assert.deepEqual(ticket.ticket.sname.nameString, ['cifs', 'pc9.other.realm']);
    assert.equal(ticket.ticket.realm, 'OTHER.REALM');
    assert.deepEqual(asked, [REALM, REALM, REALM, 'OTHER.REALM']);
    assert.deepEqual(readKdcReq(other.requests[0]!).body.sname.nameString, ['cifs', 'pc9.other.realm']);
    assert.equal(readKdcReq(other.requests[0]!).body.realm, 'OTHER.REALM');
  });

  test('a ticket for another service than the one asked for (even a TGT of the home realm) is kerberos-protocol, read from the encrypted part', async () => {
    const standIn = await kdc(scriptedKdc(script({ issuedFor: () => ({ nameType: NameType.SRV_INST, nameString: ['krbtgt', REALM] }) })));
    const ctx = context([standIn.address]);
    const tgt = await requestTgt(ctx, USER, PASSWORD);
    const error = await expectClass(requestServiceTicket(ctx, tgt, 'cifs', 'pc1.push.test'), 'kerberos-protocol');
    assert.match(error.message, /issued a ticket for krbtgt\/PUSH.TEST where cifs\/pc1.push.test was asked for/);
  });

  test(`more than ${MAX_REFERRALS} referrals are kerberos-protocol`, async () => {
    const standIn = await kdc(scriptedKdc(script({ referral: (_sname, i) => `R${i}.TEST` })));
    const ctx = context([standIn.address]);
    const tgt = await requestTgt(ctx, USER, PASSWORD);
    const error = await expectClass(requestServiceTicket(ctx, tgt, 'cifs', 'pc1.push.test'), 'kerberos-protocol');
    assert.match(error.message, /referrals/);
    assert.equal(standIn.requests.filter((r) => peekMessageType(r) === 12).length, MAX_REFERRALS + 1);
  });
});

describe('KerberosLogon\'s ticket cache', () => {
  async function logonWith(answer: (request: Buffer, index: number) => Answer, clock: { now: number }, password = PASSWORD) {
    const standIn = await kdc(answer);
    const settings: KerberosSettings = { kdcs: [standIn.address], realms: { PUSH: REALM }, timeoutMs: 300, now: () => clock.now };
    return { standIn, logon: new KerberosLogon('PUSH\\pushadmin', () => password, settings) };
  }
  const count = (standIn: KdcStandIn) => ({
    'AS-REQ': standIn.requests.filter((r) => peekMessageType(r) === 10).length,
    'TGS-REQ': standIn.requests.filter((r) => peekMessageType(r) === 12).length,
  });

  test('KDCs found by DNS SRV are looked up once per realm for a logon\'s AS and TGS requests, and again after a failed lookup', async () => {
    const clock = { now: T0 };
    const standIn = await kdc(scriptedKdc(script({ now: () => clock.now })));
    const lookups: string[] = [];
    let failNext = true;
    const resolveSrv = async (name: string) => {
      lookups.push(name);
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('querySrv ETIMEOUT'), { code: 'ETIMEOUT' });
      }
      return [{ name: standIn.address.host, port: standIn.address.port, priority: 0, weight: 0 }];
    };
    const logon = new KerberosLogon('PUSH\\pushadmin', () => PASSWORD, { kdcs: [], realms: { PUSH: REALM }, timeoutMs: 300, now: () => clock.now, resolveSrv });
    await expectClass(logon.initiate('pc1.push.test'), 'kdc-unreachable', 'KDC_NOT_FOUND');
    clock.now += UNREACHABLE_KEPT_MS + 1000;
    await logon.initiate('pc1.push.test');
    await logon.initiate('pc2.push.test');
    assert.deepEqual(count(standIn), { 'AS-REQ': 2, 'TGS-REQ': 2 });
    assert.deepEqual(lookups, ['_kerberos._tcp.push.test', '_kerberos._tcp.push.test'], 'the failed lookup, then one for every request after it');
  });

  test('the TGT and a service ticket are reused while valid and fetched again once within 5 minutes of their endtime', async () => {
    const clock = { now: T0 };
    const { standIn, logon } = await logonWith(scriptedKdc(script({ now: () => clock.now, tgtLifetimeMs: 10 * HOUR, serviceLifetimeMs: HOUR })), clock);
    const expect = (as: number, tgs: number, when: string) => {
      assert.deepEqual(logon.requests, { 'AS-REQ': as, 'TGS-REQ': tgs }, when);
      assert.deepEqual(count(standIn), logon.requests, `${when}: what the KDC saw`);
    };
    await logon.initiate('pc1.push.test');
    expect(2, 1, 'first logon: PREAUTH_REQUIRED, AS-REP, TGS-REP');
    clock.now = T0 + 30 * MINUTE;
    await logon.initiate('PC1.push.test');
    expect(2, 1, 'both tickets reused (host names compared without case)');
    await logon.initiate('pc2.push.test');
    expect(2, 2, 'another target: the TGT reused, a new service ticket');
    clock.now = T0 + HOUR - 6 * MINUTE;
    await logon.initiate('pc1.push.test');
    expect(2, 2, '6 minutes before the service ticket ends: still reused');
    clock.now = T0 + HOUR - 4 * MINUTE;
    await logon.initiate('pc1.push.test');
    expect(2, 3, '4 minutes before it ends: a new service ticket, the TGT still reused');
    await logon.initiate('pc1.push.test');
    expect(2, 3, 'and the new one is reused');
    clock.now = T0 + 10 * HOUR - 4 * MINUTE;
    await logon.initiate('pc1.push.test');
    expect(4, 4, '4 minutes before the TGT ends: a new TGT and a new service ticket');
  });

  test('KDC_ERR_PREAUTH_FAILED is kept: asked once, the same refusal for every later target (no lockout)', async () => {
    const clock = { now: T0 };
    const { standIn, logon } = await logonWith(scriptedKdc(script()), clock, 'Wrong-Pa55word!');
    const first = await expectClass(logon.initiate('pc1.push.test'), 'logon-failure', 'KDC_ERR_PREAUTH_FAILED');
    assert.equal((first as { krbCode?: number }).krbCode, KrbErrorCode.KDC_ERR_PREAUTH_FAILED);
    await expectClass(logon.initiate('pc2.push.test'), 'logon-failure', 'KDC_ERR_PREAUTH_FAILED');
    await expectClass(logon.initiate('pc1.push.test'), 'logon-failure', 'KDC_ERR_PREAUTH_FAILED');
    assert.deepEqual(count(standIn), { 'AS-REQ': 2, 'TGS-REQ': 0 });
  });

  test(`kdc-unreachable stands for ${UNREACHABLE_KEPT_MS / 1000} s (the next computers fall back at once), then the KDC is asked again and answers`, async () => {
    const clock = { now: T0 };
    const kdcAnswer = scriptedKdc(script());
    const { standIn, logon } = await logonWith((request, index) => (index === 0 ? 'close' : kdcAnswer(request)), clock);
    await expectClass(logon.initiate('pc1.push.test'), 'kdc-unreachable', 'KDC_UNREACHABLE');
    assert.deepEqual(count(standIn), { 'AS-REQ': 1, 'TGS-REQ': 0 });
    clock.now += UNREACHABLE_KEPT_MS - 1000;
    await expectClass(logon.initiate('pc2.push.test'), 'kdc-unreachable', 'KDC_UNREACHABLE');
    assert.deepEqual(count(standIn), { 'AS-REQ': 1, 'TGS-REQ': 0 }, 'kept: not asked again yet');
    clock.now += 2000;
    await logon.initiate('pc1.push.test');
    assert.deepEqual(count(standIn), { 'AS-REQ': 3, 'TGS-REQ': 1 });
  });
});

describe('kerberosPrincipal: which realm, and never the domain\'s KDC for a local account', () => {
  const none = { realms: {} };
  test('user@corp.example.com is realm CORP.EXAMPLE.COM', () => {
    assert.deepEqual(kerberosPrincipal('user@corp.example.com', none, 'pc1.corp.example.com'), { user: 'user', realm: 'CORP.EXAMPLE.COM' });
  });
  test('CORP\\user pushing to pc1.corp.example.com is realm CORP.EXAMPLE.COM (the target\'s DNS suffix)', () => {
    assert.deepEqual(kerberosPrincipal('CORP\\user', none, 'pc1.corp.example.com'), { user: 'user', realm: 'CORP.EXAMPLE.COM' });
  });
  test('PC1\\Administrator to pc1.corp.example.com is a local account (null), as is .\\admin; CORP\\user to an IP address or a bare name has no realm', () => {
    assert.equal(kerberosPrincipal('PC1\\Administrator', none, 'pc1.corp.example.com'), null);
    assert.equal(kerberosPrincipal('user@', none, 'pc1.corp.example.com'), null, 'no realm after the @');
    assert.equal(kerberosPrincipal('CORP\\', none, 'pc1.corp.example.com'), null, 'no user after the domain');
    assert.equal(kerberosPrincipal('.\\admin', none, 'pc1.corp.example.com'), null);
    assert.equal(kerberosPrincipal('admin', none, 'pc1.corp.example.com'), null);
    assert.equal(kerberosPrincipal('CORP\\user', none, '10.0.0.5'), null);
    assert.equal(kerberosPrincipal('CORP\\user', none, 'pc1'), null);
  });
  test('a realm map entry wins over the DNS suffix and over the name after @', () => {
    const map = { realms: { CORP: 'AD.CORP.EXAMPLE', PC1: 'PC1.REALM' } };
    assert.deepEqual(kerberosPrincipal('corp\\user', map, 'pc1.corp.example.com'), { user: 'user', realm: 'AD.CORP.EXAMPLE' });
    assert.deepEqual(kerberosPrincipal('PC1\\Administrator', map, 'pc1.corp.example.com'), { user: 'Administrator', realm: 'PC1.REALM' });
    assert.deepEqual(kerberosPrincipal('user@corp', map, 'pc1.corp.example.com'), { user: 'user', realm: 'AD.CORP.EXAMPLE' });
    assert.deepEqual(kerberosPrincipal('corp.example.com\\user', map, 'x'), { user: 'user', realm: 'CORP.EXAMPLE.COM' });
  });
});
