// Where the console finds a realm's KDCs (main/smb/auth/kerberos/kdcTransport.ts): the addresses
// configured (host, host:port, [v6]:port; 88 by default), else DNS SRV _kerberos._tcp.<realm> by
// priority then weight (RFC 2782); no record is kdc-unreachable with advice, within the bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locateKdcs, parseKdcAddress } from '../../main/smb/auth/kerberos/kdcTransport.js';
import { KerberosError } from '../../main/smb/auth/kerberos/errors.js';

test('KDC addresses parse as host, host:port and [v6]:port, port 88 by default; a bad port or text is refused', () => {
  assert.deepEqual(parseKdcAddress('dc1.corp.example.com'), { host: 'dc1.corp.example.com', port: 88 });
  assert.deepEqual(parseKdcAddress(' 10.0.0.5:1088 '), { host: '10.0.0.5', port: 1088 });
  assert.deepEqual(parseKdcAddress('[::1]:88'), { host: '::1', port: 88 });
  assert.deepEqual(parseKdcAddress('[fe80::1]'), { host: 'fe80::1', port: 88 });
  assert.throws(() => parseKdcAddress('dc1:0'), (e: unknown) => e instanceof KerberosError && e.errorClass === 'kdc-unreachable');
  assert.throws(() => parseKdcAddress('dc1 dc2'), KerberosError);
});

test('configured KDCs win over DNS; otherwise SRV records are tried by priority, then by weight, for the lower-case realm', async () => {
  const asked: string[] = [];
  const resolveSrv = async (name: string) => {
    asked.push(name);
    return [
      { name: 'dc3.corp.example.com', port: 88, priority: 10, weight: 0 },
      { name: 'dc1.corp.example.com', port: 88, priority: 0, weight: 10 },
      { name: 'dc2.corp.example.com', port: 1088, priority: 0, weight: 50 },
    ];
  };
  assert.deepEqual(await locateKdcs('CORP.EXAMPLE.COM', { kdcs: [{ host: '10.0.0.5', port: 88 }], timeoutMs: 1000, resolveSrv }), [{ host: '10.0.0.5', port: 88 }]);
  assert.deepEqual(asked, [], 'no DNS lookup when KDCs are configured');
  assert.deepEqual((await locateKdcs('CORP.EXAMPLE.COM', { kdcs: [], timeoutMs: 1000, resolveSrv })).map((k) => `${k.host}:${k.port}`), ['dc2.corp.example.com:1088', 'dc1.corp.example.com:88', 'dc3.corp.example.com:88']);
  assert.deepEqual(asked, ['_kerberos._tcp.corp.example.com']);
});

test('a realm DNS knows nothing of is kdc-unreachable (KDC_NOT_FOUND) with the advice to set the domain controllers, within the bound', async () => {
  const notFound = async () => {
    throw Object.assign(new Error('querySrv ENOTFOUND'), { code: 'ENOTFOUND' });
  };
  await assert.rejects(locateKdcs('NOWHERE.INVALID', { kdcs: [], timeoutMs: 1000, resolveSrv: notFound }), (e: unknown) => {
    assert.ok(e instanceof KerberosError);
    assert.deepEqual([e.errorClass, e.code], ['kdc-unreachable', 'KDC_NOT_FOUND']);
    assert.match(e.message, /_kerberos\._tcp\.nowhere\.invalid record \(ENOTFOUND\)/);
    assert.match(e.advice, /Configuration → Authentication/);
    return true;
  });
  // The system's resolver, bounded: an .invalid name (RFC 6761) never resolves, and the answer comes within the bound.
  const t0 = Date.now();
  await assert.rejects(locateKdcs('NOWHERE.INVALID', { kdcs: [], timeoutMs: 1500 }), (e: unknown) => e instanceof KerberosError && e.errorClass === 'kdc-unreachable');
  assert.ok(Date.now() - t0 < 8000, `answered in ${Date.now() - t0} ms`);
});
