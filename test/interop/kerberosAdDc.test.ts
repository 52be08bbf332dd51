// The console's Kerberos initiator (main/smb/auth/kerberos/, main/smb/sessionKerberos.ts) against
// a real Active Directory domain controller: Samba's AD DC from Debian (test/support/sambaAdDc.ts),
// provisioned and started by this file on 127.0.204.10, its KDC on TCP 88 and its SMB server with
// signing required. The name dc1.push.test resolves to it through the console's test hook
// (setHostOverrides), never through /etc/hosts or the real DNS. MIT kinit and smbclient prove the
// same DC with clients we did not write (test/interop/sambaAdDcFixture.test.ts).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { startSambaAdDc, type SambaAdDc } from '../support/sambaAdDc.js';
import { KerberosLogon, type KerberosSettings } from '../../main/smb/auth/kerberos/logon.js';
import { SmbConnection } from '../../main/smb/connection.js';
import { SmbSession, type AuthPolicy, type SmbCredentials } from '../../main/smb/session.js';
import { SmbTree } from '../../main/smb/tree.js';
import { setHostOverrides } from '../../main/smb/hostNames.js';
import { Dialect } from '../../main/smb/codec/negotiate.js';
import { ConsoleError } from '../../main/ipc/errors.js';
import { Etype } from '../../main/smb/auth/kerberos/crypto.js';
import { DceRpcClient } from '../../main/rpc/rpcClient.js';

const ADDRESS = '127.0.204.10';
let dc: SambaAdDc;

before(async () => {
  dc = await startSambaAdDc({ address: ADDRESS });
  setHostOverrides({ [dc.dcHostName]: ADDRESS });
});
after(async () => {
  setHostOverrides(null);
  await dc?.stop();
});

function logonFor(user: string, password: string, extra: Partial<KerberosSettings> = {}): KerberosLogon {
  return new KerberosLogon(user, () => password, { kdcs: [{ host: ADDRESS, port: dc.kdcPort }], realms: { PUSH: 'PUSH.TEST' }, timeoutMs: 5000, ...extra });
}

async function session(credentials: SmbCredentials, host: string = dc.dcHostName, auth: AuthPolicy = 'kerberos-only', dialects?: number[]): Promise<SmbSession> {
  const connection = await SmbConnection.connect({ host, port: dc.smbPort, connectTimeoutMs: 5000, ...(dialects ? { dialects } : {}) });
  try {
    return await SmbSession.setup(connection, credentials, { targetHost: host, encryptWhenSupported: true, auth });
  } catch (error) {
    connection.close();
    throw error;
  }
}

async function roundTrip(s: SmbSession, share: string): Promise<void> {
  const tree = await SmbTree.connect(s, dc.dcHostName, share);
  const name = `kerberos-${crypto.randomBytes(4).toString('hex')}.bin`;
  const data = crypto.randomBytes(200_000);
  await tree.writeFile(name, data);
  assert.deepEqual(await tree.readFile(name), data, 'the file reads back as written');
  await tree.delete(name);
  assert.equal(await tree.readFileIfThere(name), null, 'and is gone after the delete');
  await tree.disconnect();
}

async function close(s: SmbSession): Promise<void> {
  await s.logoff().catch(() => undefined);
  s.connection.close();
}

async function rejects(promise: Promise<unknown>, errorClass: string, code?: RegExp): Promise<ConsoleError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConsoleError, `a ConsoleError, got ${(error as Error).stack}`);
    assert.equal(error.errorClass, errorClass, `${error.errorClass}: ${error.message}`);
    if (code) assert.match(error.code ?? '', code);
    return error;
  }
  assert.fail(`expected ${errorClass}, but it succeeded`);
}

test('pushadmin logs on with Kerberos (SMB 3.1.1, signing required, encryption on) and copies a file to ADMIN$ and removes it', async () => {
  const s = await session({ user: 'PUSH\\pushadmin', kerberos: logonFor('PUSH\\pushadmin', 'Push-Pa55word!') });
  try {
    assert.equal(s.mechanism, 'kerberos');
    assert.equal(s.connection.dialect, Dialect.SMB311);
    assert.equal(s.encrypted, true, 'encryptWhenSupported: the session is encrypted');
    await roundTrip(s, 'ADMIN$');
  } finally {
    await close(s);
  }
});

test('the encrypted share opens and \\pipe\\lsarpc binds on a Kerberos session of each AES account (aes128user, aes256user) and of an SMB 3.0.2 and 2.1 connection', async () => {
  const cases: [string, string, number[] | undefined, number[] | undefined][] = [
    ['aes128user@push.test', 'Aes128-Pa55word!', [Etype.AES128_CTS_HMAC_SHA1_96], undefined],
    ['aes256user@PUSH.TEST', 'Aes256-Pa55word!', [Etype.AES256_CTS_HMAC_SHA1_96], undefined],
    ['PUSH\\pushadmin', 'Push-Pa55word!', undefined, [Dialect.SMB302]],
    ['PUSH\\pushadmin', 'Push-Pa55word!', undefined, [Dialect.SMB210]],
  ];
  for (const [user, password, etypes, dialects] of cases) {
    const kerberos = logonFor(user, password, etypes ? { etypes } : {});
    const s = await session({ user, kerberos }, dc.dcHostName, 'kerberos-only', dialects);
    try {
      assert.equal(s.mechanism, 'kerberos', user);
      const expected = etypes?.[0] ?? Etype.AES256_CTS_HMAC_SHA1_96;
      assert.deepEqual(kerberos.lastEtypes, { tgt: expected, service: expected }, `${user}: the session keys are of the etype asked for`);
      if (!dialects || dialects[0]! >= Dialect.SMB300) await roundTrip(s, 'pushshare');
      const ipc = await SmbTree.connect(s, dc.dcHostName, 'IPC$');
      const pipe = await ipc.openPipe('lsarpc');
      // MS-LSAD 1.9: the lsarpc interface 12345778-1234-abcd-ef00-0123456789ab v0.0; the DC accepts the bind.
      const rpc = await DceRpcClient.bind(pipe, { uuid: '12345778-1234-abcd-ef00-0123456789ab', major: 0, minor: 0 });
      assert.ok(rpc.maxXmitFrag >= 1024, 'bind_ack negotiated a fragment size');
      await pipe.close();
      await ipc.disconnect();
    } finally {
      await close(s);
    }
  }
});

test('the ticket cache: three sessions (ADMIN$, pushshare, IPC$) cost one AS exchange (two AS-REQs: the pre-authentication round trip) and one TGS-REQ', async () => {
  const kerberos = logonFor('PUSH\\pushadmin', 'Push-Pa55word!');
  for (let i = 0; i < 3; i++) {
    const s = await session({ user: 'PUSH\\pushadmin', kerberos });
    await close(s);
  }
  assert.deepEqual(kerberos.requests, { 'AS-REQ': 2, 'TGS-REQ': 1 });
  // Concurrent first logons share one fetch, too.
  const fresh = logonFor('PUSH\\pushadmin', 'Push-Pa55word!');
  const sessions = await Promise.all([1, 2, 3, 4].map(() => session({ user: 'PUSH\\pushadmin', kerberos: fresh })));
  await Promise.all(sessions.map(close));
  assert.deepEqual(fresh.requests, { 'AS-REQ': 2, 'TGS-REQ': 1 });
});

test('a wrong password is logon-failure from KDC_ERR_PREAUTH_FAILED, and asked once for any number of computers (no lockout)', async () => {
  const kerberos = logonFor('PUSH\\pushadmin', 'Wrong-Pa55word!');
  const error = await rejects(session({ user: 'PUSH\\pushadmin', kerberos }), 'logon-failure', /KDC_ERR_PREAUTH_FAILED/);
  assert.match(error.message, /refused the password/);
  await rejects(session({ user: 'PUSH\\pushadmin', kerberos }), 'logon-failure', /KDC_ERR_PREAUTH_FAILED/);
  assert.equal(kerberos.requests['AS-REQ'], 2, 'the refusal is kept: the second computer does not ask the KDC again');
});

test('an unknown account is kerberos-principal-unknown; an unknown computer name is kerberos-no-spn with the DNS-name advice', async () => {
  await rejects(session({ user: 'nosuchuser@push.test', kerberos: logonFor('nosuchuser@push.test', 'x') }), 'kerberos-principal-unknown', /KDC_ERR_C_PRINCIPAL_UNKNOWN/);
  setHostOverrides({ [dc.dcHostName]: ADDRESS, 'pc-not-in-domain.push.test': ADDRESS });
  const error = await rejects(session({ user: 'PUSH\\pushadmin', kerberos: logonFor('PUSH\\pushadmin', 'Push-Pa55word!') }, 'pc-not-in-domain.push.test'), 'kerberos-no-spn', /KDC_ERR_S_PRINCIPAL_UNKNOWN/);
  assert.match(error.advice, /DNS name/);
});

test('kerberos-only against an address fails with the SPN advice before any NTLM is sent; negotiate logs on to the address with NTLM', async () => {
  const kerberos = logonFor('PUSH\\pushadmin', 'Push-Pa55word!');
  const error = await rejects(session({ user: 'PUSH\\pushadmin', password: 'Push-Pa55word!', kerberos }, ADDRESS, 'kerberos-only'), 'kerberos-no-spn');
  assert.match(error.advice, /DNS name/);
  assert.deepEqual(kerberos.requests, { 'AS-REQ': 0, 'TGS-REQ': 0 });
  const s = await session({ user: 'PUSH\\pushadmin', password: 'Push-Pa55word!', kerberos }, ADDRESS, 'negotiate');
  try {
    assert.equal(s.mechanism, 'ntlm');
    await roundTrip(s, 'ADMIN$');
  } finally {
    await close(s);
  }
});

test('a console clock 20 minutes off is the clock-skew class with the difference in seconds', async () => {
  const kerberos = logonFor('PUSH\\pushadmin', 'Push-Pa55word!', { now: () => Date.now() + 20 * 60_000 });
  const error = await rejects(session({ user: 'PUSH\\pushadmin', kerberos }), 'clock-skew', /KRB_AP_ERR_SKEW/);
  const seconds = Number(/by (\d+) s/.exec(error.message)?.[1]);
  assert.ok(Math.abs(seconds - 1200) <= 5, error.message);
});

test('negotiate falls back to NTLM when no KDC answers (and says why); kerberos-only then fails as kdc-unreachable', async () => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, ADDRESS, resolve));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const kerberos = logonFor('PUSH\\pushadmin', 'Push-Pa55word!', { kdcs: [{ host: ADDRESS, port }] });
  const s = await session({ user: 'PUSH\\pushadmin', password: 'Push-Pa55word!', kerberos }, dc.dcHostName, 'negotiate');
  try {
    assert.equal(s.mechanism, 'ntlm');
    assert.match(s.fallback ?? '', /No KDC of the realm PUSH.TEST answered/);
  } finally {
    await close(s);
  }
  await rejects(session({ user: 'PUSH\\pushadmin', password: 'Push-Pa55word!', kerberos }, dc.dcHostName, 'kerberos-only'), 'kdc-unreachable', /KDC_UNREACHABLE/);
});
