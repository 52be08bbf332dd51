// The LAPS reader against a real directory server: Debian's slapd (test/support/slapd.ts) with
// computer objects carrying Windows LAPS's and legacy LAPS's attributes under Microsoft's OIDs,
// an ACL that hides the password attributes (not their expiration times) from one account as AD
// hides a confidential attribute, LDAPS and StartTLS with the server's own certificate as the CA.
// Address block 127.0.192.0/24 only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import util from 'node:util';
import { dateToFileTime, readLapsPassword, type LapsDirectory, type LapsTarget } from '../../main/import/lapsReader.js';
import { ConsoleError } from '../../main/ipc/errors.js';
import { expectClass } from '../support/expectError.js';
import { BASE_DN, LAPS_DENIED_DN, LAPS_DENIED_PASSWORD, READER_DN, READER_PASSWORD, startSlapd, type DirectoryComputerSeed, type RunningSlapd } from '../support/slapd.js';

const HOST = '127.0.192.1';
const DAY = 24 * 3600 * 1000;
const future = dateToFileTime(new Date(Date.now() + 30 * DAY));
const past = dateToFileTime(new Date(Date.now() - 2 * DAY));
const UPDATED = new Date('2025-03-04T05:06:07.000Z');
const updatedHex = BigInt(dateToFileTime(UPDATED)).toString(16);

const PW = {
  windows: 'Win-Laps-pw-1!"\\{}',
  both: 'Both-wins-pw-2',
  legacy: 'Legacy-pw-3#',
  expired: 'Expired-pw-4',
  kiosk: 'Kiosk-pw-5',
  twin: 'Twin-pw-6',
  dup: 'Dup-pw-7',
  leak: 'Leak-me-pw-8',
};
const windowsJson = (n: string, p: string) => JSON.stringify({ n, t: updatedHex, p });

const COMPUTERS: DirectoryComputerSeed[] = [
  { cn: 'WS-WIN', ou: 'Workstations', dnsName: 'ws-win.corp.example', sAMAccountName: 'WS-WIN$', attributes: { 'msLAPS-Password': windowsJson('LapsAdmin', PW.windows), 'msLAPS-PasswordExpirationTime': future } },
  { cn: 'WS-LEGACY', ou: 'Workstations', dnsName: 'ws-legacy.corp.example', sAMAccountName: 'WS-LEGACY$', attributes: { 'ms-Mcs-AdmPwd': PW.legacy, 'ms-Mcs-AdmPwdExpirationTime': future } },
  {
    cn: 'WS-BOTH',
    ou: 'Workstations',
    dnsName: 'ws-both.corp.example',
    attributes: { 'msLAPS-Password': windowsJson('Administrator', PW.both), 'msLAPS-PasswordExpirationTime': future, 'ms-Mcs-AdmPwd': 'Old-legacy-pw', 'ms-Mcs-AdmPwdExpirationTime': past },
  },
  { cn: 'WS-NONE', ou: 'Workstations', dnsName: 'ws-none.corp.example' },
  { cn: 'WS-ENC', ou: 'Workstations', dnsName: 'ws-enc.corp.example', attributes: { 'msLAPS-EncryptedPassword': Buffer.from('0102030405060708100000000000000000aabbccddeeff00112233445566778899', 'hex'), 'msLAPS-PasswordExpirationTime': future } },
  { cn: 'WS-OLD', ou: 'Workstations', dnsName: 'ws-old.corp.example', attributes: { 'msLAPS-Password': windowsJson('Administrator', PW.expired), 'msLAPS-PasswordExpirationTime': past } },
  { cn: 'WS-BAD', ou: 'Workstations', dnsName: 'ws-bad.corp.example', attributes: { 'msLAPS-Password': `{"n":"Administrator","p":"${PW.leak}"`, 'msLAPS-PasswordExpirationTime': future } },
  // cn and sAMAccountName differ: found by either.
  { cn: 'KIOSK-07', ou: 'Kiosks', sAMAccountName: 'KIOSK07$', attributes: { 'ms-Mcs-AdmPwd': PW.kiosk, 'ms-Mcs-AdmPwdExpirationTime': future } },
  // Two objects named TWIN: the one whose sAMAccountName is TWIN$ is the computer.
  { cn: 'TWIN', ou: 'Workstations', sAMAccountName: 'TWIN$', attributes: { 'ms-Mcs-AdmPwd': PW.twin } },
  { cn: 'TWIN', ou: 'Kiosks', sAMAccountName: 'TWIN-OLD$', attributes: { 'ms-Mcs-AdmPwd': 'Not-this-one' } },
  // Two objects named DUP and nothing to tell them apart.
  { cn: 'DUP', ou: 'Workstations', attributes: { 'ms-Mcs-AdmPwd': PW.dup } },
  { cn: 'DUP', ou: 'Kiosks', attributes: { 'ms-Mcs-AdmPwd': PW.dup } },
];

const ALL_SECRETS = [...Object.values(PW), 'Old-legacy-pw', 'Not-this-one', READER_PASSWORD, LAPS_DENIED_PASSWORD];

/** A failure's text (message, advice, code, stack, inspect) holds none of the passwords. */
function assertNoSecret(error: ConsoleError): void {
  const text = [error.message, error.advice, error.code ?? '', error.stack ?? '', util.inspect(error), JSON.stringify(error.toIpcError())].join('\n');
  for (const secret of ALL_SECRETS) assert.ok(!text.includes(secret), `${error.errorClass}: its text holds a password`);
}

describe('the LAPS reader against slapd', () => {
  let slapd: RunningSlapd;
  let ldaps: LapsDirectory;

  const read = (target: LapsTarget, over: Partial<LapsDirectory> = {}) => readLapsPassword({ ...ldaps, ...over }, target);
  const fails = async (target: LapsTarget, errorClass: string, over: Partial<LapsDirectory> = {}) => {
    const error = await expectClass(read(target, over), errorClass);
    assertNoSecret(error);
    return error;
  };

  before(async () => {
    slapd = await startSlapd(COMPUTERS, HOST);
    ldaps = { url: slapd.ldapsUrl, baseDn: BASE_DN, bindDn: READER_DN, password: READER_PASSWORD, ca: slapd.certificatePem, timeoutMs: 5000 };
  });
  after(async () => {
    await slapd?.stop();
  });

  test('Windows LAPS: msLAPS-Password\'s account, password and update time, with its expiration time', async () => {
    const s = await read({ dnsName: 'ws-win.corp.example' });
    assert.equal(s.attribute, 'msLAPS-Password');
    assert.equal(s.account, 'LapsAdmin');
    assert.equal(s.password, PW.windows);
    assert.equal(s.updatedAt?.toISOString(), UPDATED.toISOString());
    assert.ok(s.expiresAt && Math.abs(s.expiresAt.getTime() - (Date.now() + 30 * DAY)) < 60_000);
    assert.equal(s.expired, false);
    assert.equal(s.dn, `cn=WS-WIN,ou=Workstations,${BASE_DN}`);
    // Logged by mistake, the secret shows no password.
    assert.ok(!JSON.stringify(s).includes(PW.windows) && !util.inspect(s).includes(PW.windows) && !`${util.format('%o', s)}`.includes(PW.windows));
  });

  test('legacy LAPS: ms-Mcs-AdmPwd for the built-in Administrator (or its given name)', async () => {
    const s = await read({ dnsName: 'WS-LEGACY.corp.example.' });
    assert.deepEqual({ attribute: s.attribute, account: s.account, password: s.password, updatedAt: s.updatedAt, expired: s.expired }, { attribute: 'ms-Mcs-AdmPwd', account: 'Administrator', password: PW.legacy, updatedAt: null, expired: false });
    assert.ok(s.expiresAt);
    assert.equal((await read({ dnsName: 'ws-legacy.corp.example' }, { legacyAccount: 'LocalBoss' })).account, 'LocalBoss');
  });

  test('both: Windows LAPS wins over legacy', async () => {
    const s = await read({ dnsName: 'ws-both.corp.example' });
    assert.deepEqual([s.attribute, s.password], ['msLAPS-Password', PW.both]);
  });

  test('an expired password comes back with expired: true', async () => {
    const s = await read({ dnsName: 'ws-old.corp.example' });
    assert.equal(s.password, PW.expired);
    assert.equal(s.expired, true);
    assert.ok(s.expiresAt && s.expiresAt.getTime() < Date.now());
  });

  test('by NetBIOS name: as cn or as sAMAccountName NAME$; NAME$ picks one of two same-named objects', async () => {
    assert.equal((await read({ netbiosName: 'KIOSK-07' })).password, PW.kiosk);
    assert.equal((await read({ netbiosName: 'kiosk07' })).password, PW.kiosk);
    assert.equal((await read({ netbiosName: 'WS-WIN' })).password, PW.windows);
    const twin = await read({ netbiosName: 'TWIN' });
    assert.deepEqual([twin.password, twin.dn], [PW.twin, `cn=TWIN,ou=Workstations,${BASE_DN}`]);
    // A DNS name nobody has, then the NetBIOS name.
    assert.equal((await read({ dnsName: 'ws-win.elsewhere.example', netbiosName: 'WS-WIN' })).password, PW.windows);
    await fails({ netbiosName: 'DUP' }, 'laps-ambiguous');
  });

  test('no LAPS attribute: laps-missing; only the encrypted one: laps-encrypted; unusable JSON: laps-malformed, without quoting it', async () => {
    await fails({ dnsName: 'ws-none.corp.example' }, 'laps-missing');
    const encrypted = await fails({ dnsName: 'ws-enc.corp.example' }, 'laps-encrypted');
    assert.match(encrypted.advice, /MS-GKDI/);
    await fails({ dnsName: 'ws-bad.corp.example' }, 'laps-malformed');
  });

  test('an account the ACL denies the password attributes sees the expiration time: laps-denied; with no expiration time either, laps-missing', async () => {
    const denied = { bindDn: LAPS_DENIED_DN, password: LAPS_DENIED_PASSWORD };
    for (const dnsName of ['ws-win.corp.example', 'ws-legacy.corp.example', 'ws-enc.corp.example', 'ws-both.corp.example']) {
      const e = await fails({ dnsName }, 'laps-denied', denied);
      assert.match(e.message, /ExpirationTime is set/);
    }
    await fails({ dnsName: 'ws-none.corp.example' }, 'laps-missing', denied);
  });

  test('an unknown computer, and a filter-injection name, find nothing', async () => {
    await fails({ dnsName: 'nobody.corp.example' }, 'laps-not-found');
    await fails({ netbiosName: 'NOBODY' }, 'laps-not-found');
    const injected = await fails({ netbiosName: '*)(cn=*' }, 'laps-not-found');
    assert.match(injected.message, /\*\)\(cn=\*/);
    await fails({ dnsName: '*)(dNSHostName=*' }, 'laps-not-found');
    await fails({ netbiosName: '*' }, 'laps-not-found');
    await fails({}, 'invalid-request');
  });

  test('LDAPS: the server\'s certificate is checked against the given CA (or a file), refused without it unless allowed', async () => {
    await fails({ dnsName: 'ws-win.corp.example' }, 'directory-tls', { ca: undefined });
    assert.equal((await read({ dnsName: 'ws-win.corp.example' }, { ca: undefined, allowUntrusted: true })).password, PW.windows);
    await fails({ dnsName: 'ws-win.corp.example' }, 'file', { ca: undefined, caFile: '/nonexistent/ca.pem' });
  });

  test('StartTLS: ldap:// is upgraded before the bind and checked as LDAPS is; plain LDAP is refused', async () => {
    const s = await read({ dnsName: 'ws-legacy.corp.example' }, { url: slapd.ldapUrl, startTls: true });
    assert.equal(s.password, PW.legacy);
    await fails({ dnsName: 'ws-win.corp.example' }, 'directory-tls', { url: slapd.ldapUrl, startTls: true, ca: undefined });
    assert.equal((await read({ netbiosName: 'WS-WIN' }, { url: slapd.ldapUrl, startTls: true, ca: undefined, allowUntrusted: true })).password, PW.windows);
    await fails({ dnsName: 'ws-win.corp.example' }, 'invalid-request', { url: slapd.ldapUrl });
    await fails({ dnsName: 'ws-win.corp.example' }, 'invalid-request', { startTls: true });
  });

  test('StartTLS on the wire: the first thing sent is the StartTLS request, and neither the bind password nor the LAPS password crosses in clear', async () => {
    const upstream = new URL(slapd.ldapUrl);
    const wire: Buffer[] = [];
    const open = new Set<net.Socket>();
    const tap = net.createServer((client) => {
      const server = net.connect(Number(upstream.port), upstream.hostname);
      open.add(client).add(server);
      client.on('data', (d: Buffer) => (wire.push(d), server.write(d)));
      server.on('data', (d: Buffer) => (wire.push(d), client.write(d)));
      for (const s of [client, server]) {
        s.on('error', () => undefined);
        s.on('close', () => (client.destroy(), server.destroy(), open.delete(s)));
      }
    });
    await new Promise<void>((resolve) => tap.listen(0, HOST, resolve));
    try {
      const url = `ldap://${HOST}:${(tap.address() as net.AddressInfo).port}`;
      const s = await read({ dnsName: 'ws-win.corp.example' }, { url, startTls: true });
      assert.equal(s.password, PW.windows);
      const all = Buffer.concat(wire);
      assert.ok(wire[0]!.includes('1.3.6.1.4.1.1466.20037'), 'the StartTLS extended request comes first');
      for (const clear of [READER_PASSWORD, PW.windows, 'ws-win.corp.example', 'msLAPS-Password']) assert.equal(all.indexOf(clear), -1, `${clear} crossed in clear`);
    } finally {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => tap.close(() => resolve()));
    }
  });

  test('the directory-* classes for the bind and the connection, without the bind password', async () => {
    await fails({ dnsName: 'ws-win.corp.example' }, 'directory-logon', { password: 'wrong-reader-pw' });
    await fails({ dnsName: 'ws-win.corp.example' }, 'directory-logon', { url: slapd.ldapUrl, startTls: true, password: 'wrong-reader-pw' });
    await fails({ dnsName: 'ws-win.corp.example' }, 'directory-base', { baseDn: 'dc=nowhere,dc=example' });
    await fails({ dnsName: 'ws-win.corp.example' }, 'directory-unreachable', { url: `ldaps://${HOST}:9` });
  });

  test('a cancel (the push\'s) ends the read at once, before or during it', async () => {
    await expectClass(readLapsPassword(ldaps, { dnsName: 'ws-win.corp.example' }, { signal: AbortSignal.abort() }), 'cancelled');
    // A listener that accepts and never answers: only the cancel ends the read.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, HOST, resolve));
    try {
      const controller = new AbortController();
      const started = Date.now();
      const reading = readLapsPassword({ ...ldaps, url: `ldaps://${HOST}:${(silent.address() as net.AddressInfo).port}` }, { dnsName: 'ws-win.corp.example' }, { signal: controller.signal });
      setTimeout(() => controller.abort(), 200);
      await expectClass(reading, 'cancelled');
      assert.ok(Date.now() - started < 2000);
    } finally {
      silent.close();
    }
  });
});
