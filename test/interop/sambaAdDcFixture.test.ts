// Proves the Samba AD DC fixture (test/support/sambaAdDc.ts) and the KDC proxy
// (test/support/kdcProxy.ts) with MIT kinit/klist and Samba's smbclient, before the console's
// Kerberos client is tested against them: TGTs and wrong passwords, Kerberos SMB with signing and
// with encryption, the address-instead-of-name failure, counted KDC exchanges, \pipe\svcctl
// forwarded to a test's own server, and a clean stop. Address block 127.0.204.0/24 (§6).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { replyEncPartEtype, startKdcProxy } from '../support/kdcProxy.js';
import { adSmbclient, kinit, renderKrb5Conf, run, startSambaAdDc, templateTimings, type RunResult, type SambaAdDc } from '../support/sambaAdDc.js';
import { tempDirFor } from '../support/tempDir.js';

const PASSWORD = 'Push-Pa55word!';
let dc: SambaAdDc;

before(async () => {
  const started = Date.now();
  dc = await startSambaAdDc({ address: '127.0.204.1' });
  const t = await templateTimings();
  process.stdout.write(`AD DC: provision ${t.provisionMs} ms, users ${t.usersMs} ms, whole start ${Date.now() - started} ms\n`);
});
after(async () => {
  await dc?.stop();
});

function describe(result: RunResult, withLogs = true): string {
  return `exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}${withLogs ? `\n${dc.logs().slice(-6000)}` : ''}`;
}

function klist(env: { KRB5_CONFIG: string; KRB5CCNAME: string }): Promise<RunResult> {
  return run('klist', ['-e'], { env: { ...process.env, ...env } });
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 2_000);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

test('MIT kinit gets a TGT for pushadmin@PUSH.TEST with the fixture krb5.conf (password on stdin), and klist shows krbtgt/PUSH.TEST@PUSH.TEST', async () => {
  const env = dc.env('tgt-ccache');
  const result = await kinit('pushadmin@PUSH.TEST', PASSWORD, env);
  assert.equal(result.code, 0, describe(result));
  assert.doesNotMatch(result.stderr + result.stdout, /expire/i, 'no password expiry warning (max-pwd-age=0)');
  const listed = await klist(env);
  assert.equal(listed.code, 0, describe(listed));
  assert.match(listed.stdout, /Default principal: pushadmin@PUSH\.TEST/);
  assert.match(listed.stdout, /krbtgt\/PUSH\.TEST@PUSH\.TEST/);
  assert.match(listed.stdout, /aes256-cts-hmac-sha1-96/);
});

test('a wrong password: kinit fails with "Password incorrect while getting initial credentials" (KDC_ERR_PREAUTH_FAILED) and no ticket is stored', async () => {
  const env = dc.env('wrong-ccache');
  const result = await kinit('pushadmin@PUSH.TEST', 'Wrong-Pa55word!', env);
  assert.notEqual(result.code, 0, describe(result));
  assert.match(result.stderr, /kinit: Password incorrect while getting initial credentials/, describe(result, false));
  assert.notEqual((await klist(env)).code, 0);
});

test('smbclient with the Kerberos ticket (--use-kerberos=required) puts, lists and removes a file on //dc1.push.test/ADMIN$ with signing mandatory, and the file lands in the share folder', async (t) => {
  const env = dc.env('smb-ccache');
  assert.equal((await kinit('pushadmin@PUSH.TEST', PASSWORD, env)).code, 0);
  const local = path.join(tempDirFor(t), 'payload.bin');
  fs.writeFileSync(local, crypto.randomBytes(200_000));

  const put = await adSmbclient(dc, { server: 'dc1.push.test', share: 'ADMIN$', commands: `put ${local} payload.bin; ls`, env });
  assert.equal(put.code, 0, describe(put));
  assert.match(put.stdout, /payload\.bin/);
  assert.equal(sha256(path.join(dc.shareDir('ADMIN$'), 'payload.bin')), sha256(local));

  const removed = await adSmbclient(dc, { server: 'dc1.push.test', share: 'ADMIN$', commands: 'rm payload.bin; ls', env });
  assert.equal(removed.code, 0, describe(removed));
  assert.ok(!fs.existsSync(path.join(dc.shareDir('ADMIN$'), 'payload.bin')));
});

test('pushshare (server smb encrypt = required): smbclient with Kerberos over SMB 3.1.1 and --client-protection=encrypt writes, an SMB 2.1 client is refused at tree connect', async (t) => {
  const env = dc.env('enc-ccache');
  assert.equal((await kinit('pushadmin@PUSH.TEST', PASSWORD, env)).code, 0);
  const local = path.join(tempDirFor(t), 'sealed.bin');
  fs.writeFileSync(local, crypto.randomBytes(100_000));

  const sealed = await adSmbclient(dc, {
    server: 'dc1.push.test',
    share: 'pushshare',
    commands: `put ${local} sealed.bin; ls; rm sealed.bin`,
    env,
    extraArgs: ['--client-protection=encrypt', '-m', 'SMB3_11'],
  });
  assert.equal(sealed.code, 0, describe(sealed));
  assert.match(sealed.stdout, /sealed\.bin/);

  const smb21 = await adSmbclient(dc, { server: 'dc1.push.test', share: 'pushshare', commands: 'ls', env, extraArgs: ['-m', 'SMB2_10'] });
  assert.notEqual(smb21.code, 0, describe(smb21));
  assert.match(smb21.stdout, /tree connect failed: NT_STATUS_ACCESS_DENIED/, describe(smb21, false));
});

test('a user outside Domain Admins (aes256user) is refused at ADMIN$ tree connect with NT_STATUS_ACCESS_DENIED, and writes to pushshare', async () => {
  const user = dc.user('aes256user');
  const env = dc.env('plain-ccache');
  assert.equal((await kinit(user.principal, user.password, env)).code, 0);

  const admin = await adSmbclient(dc, { server: 'dc1.push.test', share: 'ADMIN$', commands: 'ls', env });
  assert.notEqual(admin.code, 0, describe(admin));
  assert.match(admin.stdout, /tree connect failed: NT_STATUS_ACCESS_DENIED/, describe(admin, false));

  const share = await adSmbclient(dc, { server: 'dc1.push.test', share: 'pushshare', commands: 'mkdir plain-user-dir; rmdir plain-user-dir', env, extraArgs: ['--client-protection=encrypt'] });
  assert.equal(share.code, 0, describe(share));
});

test('Kerberos to the DC by address (//127.0.204.1/ADMIN$, no SPN for an address) fails: "Kerberos auth with … to access \'127.0.204.1\' not possible", NT_STATUS_ACCESS_DENIED', async () => {
  const env = dc.env('addr-ccache');
  assert.equal((await kinit('pushadmin@PUSH.TEST', PASSWORD, env)).code, 0);
  const result = await adSmbclient(dc, { server: '127.0.204.1', share: 'ADMIN$', commands: 'ls', env });
  assert.notEqual(result.code, 0, describe(result));
  assert.match(result.stderr, /Kerberos auth with 'pushadmin@PUSH\.TEST' \(.*\) to access '127\.0\.204\.1' not possible/, describe(result, false));
  assert.match(result.stdout, /session setup failed: NT_STATUS_ACCESS_DENIED/, describe(result, false));
});

test('through the KDC proxy: kinit is 2 AS-REQs (the first answered KDC_ERR_PREAUTH_REQUIRED, the second an AS-REP), then smbclient adds exactly 1 TGS-REQ for cifs/dc1.push.test and no AS-REQ', async (t) => {
  const proxy = await startKdcProxy(dc);
  t.after(() => proxy.stop());
  const env = proxy.env();

  const got = await kinit('pushadmin@PUSH.TEST', PASSWORD, env);
  assert.equal(got.code, 0, describe(got));
  const asFrames = proxy.frames().map((f) => `${f.direction} ${f.type}${f.errorCode !== undefined ? ` ${f.errorCode}` : ''}`);
  assert.deepEqual(asFrames, ['request AS-REQ', 'reply KRB-ERROR 25', 'request AS-REQ', 'reply AS-REP']);
  assert.equal(proxy.counts().asReq, 2);

  proxy.reset();
  const smb = await adSmbclient(dc, { server: 'dc1.push.test', share: 'ADMIN$', commands: 'ls', env });
  assert.equal(smb.code, 0, describe(smb));
  const counts = proxy.counts();
  assert.equal(counts.asReq, 0, 'the TGT came from the ccache');
  const requests = proxy.frames().filter((f) => f.direction === 'request');
  assert.deepEqual(requests.filter((f) => f.serviceName === 'cifs/dc1.push.test').length, 1);
  // Samba's (Heimdal) GSSAPI also asks for a forwarded TGT, as the DC is trusted for delegation;
  // kinit's TGT is not forwardable, so the KDC refuses it (KDC_ERR_BADOPTION, 13).
  for (const extra of requests.filter((f) => f.serviceName !== 'cifs/dc1.push.test')) {
    assert.equal(extra.serviceName, 'krbtgt/PUSH.TEST', `unexpected ${extra.type} for ${extra.serviceName ?? '?'}`);
    const reply = proxy.frames().find((f) => f.connection === extra.connection && f.direction === 'reply');
    assert.equal(reply?.errorCode, 13);
  }
});

test('msDS-SupportedEncryptionTypes 0x08 / 0x10 is set on aes128user / aes256user, but their AS-REP reply key follows the client: etype 17 when the client offers only aes128, 18 by default', async (t) => {
  const proxy = await startKdcProxy(dc);
  t.after(() => proxy.stop());
  const attrs = await run('/usr/bin/python3', ['-c', [
    'import sys, ldb',
    'from samba.auth import system_session',
    'from samba.param import LoadParm',
    'from samba.samdb import SamDB',
    'lp = LoadParm(); lp.load(sys.argv[1])',
    'db = SamDB(url=lp.private_path("sam.ldb"), session_info=system_session(), lp=lp)',
    'for n in ("aes128user", "aes256user"):',
    '    r = db.search(base=db.domain_dn(), expression="(sAMAccountName=%s)" % n, attrs=["msDS-SupportedEncryptionTypes"])',
    '    print(n, r[0]["msDS-SupportedEncryptionTypes"][0].decode())',
  ].join('\n'), dc.configPath]);
  assert.equal(attrs.code, 0, describe(attrs));
  assert.match(attrs.stdout, /aes128user 8\b/);
  assert.match(attrs.stdout, /aes256user 16\b/);

  const aes128Only = path.join(proxy.dir, 'aes128-only.conf');
  fs.writeFileSync(aes128Only, renderKrb5Conf(`${proxy.address}:${proxy.port}`, { enctypes: 'aes128-cts-hmac-sha1-96' }));
  const asRepEtype = async (name: string, conf: string): Promise<number | undefined> => {
    proxy.reset();
    const user = dc.user(name);
    const result = await kinit(user.principal, user.password, { KRB5_CONFIG: conf, KRB5CCNAME: `FILE:${path.join(proxy.dir, `${name}-${path.basename(conf)}`)}` });
    assert.equal(result.code, 0, describe(result));
    const reply = proxy.frames().find((f) => f.type === 'AS-REP');
    return reply === undefined ? undefined : replyEncPartEtype(reply.message);
  };
  assert.equal(await asRepEtype('aes128user', aes128Only), 17);
  assert.equal(await asRepEtype('aes128user', proxy.krb5ConfigPath), 18);
  assert.equal(await asRepEtype('aes256user', aes128Only), 17);
});

test('addUser creates a Domain Admin with samba-tool on the running DC who can kinit and write to ADMIN$; a password the complexity rules refuse is an error', async () => {
  const user = await dc.addUser('addeduser', 'Added-Pa55word!', { domainAdmin: true });
  const env = dc.env('added-ccache');
  assert.equal((await kinit(user.principal, user.password, env)).code, 0);
  const smb = await adSmbclient(dc, { server: 'dc1.push.test', share: 'ADMIN$', commands: 'mkdir added-dir; rmdir added-dir', env });
  assert.equal(smb.code, 0, describe(smb));
  await assert.rejects(dc.addUser('weakuser', 'short'), /password is too short/);
});

test('with svcctlSocket, \\pipe\\svcctl opened over Kerberos SMB reaches the test\'s own server at <ncalrpc dir>/np/svcctl: net rpc service create lands in the impacket svcctl peer', async (t) => {
  const second = await startSambaAdDc({ address: '127.0.204.2', svcctlSocket: true });
  t.after(() => second.stop());
  const socketPath = second.svcctlSocketPath;
  assert.ok(socketPath !== null && socketPath.endsWith(path.join('ncalrpc', 'np', 'svcctl')));
  const work = tempDirFor(t);
  fs.writeFileSync(path.join(work, 'config.json'), '{}\n');
  const journal = path.join(work, 'journal.jsonl');
  const peerScript = path.join(import.meta.dirname, '..', 'support', 'scmrPeer', 'svcctl_peer.py');
  const peer = spawn('/usr/bin/python3', [peerScript, '--socket', socketPath, '--config', path.join(work, 'config.json'), '--journal', journal, '--state', path.join(work, 'state.json'), '--domain-name', 'PUSH'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const peerExited = new Promise<void>((resolve) => peer.once('exit', () => resolve()));
  t.after(async () => {
    if (peer.pid !== undefined && peer.exitCode === null && peer.signalCode === null) process.kill(peer.pid, 'SIGKILL');
    await peerExited;
  });
  let peerOut = '';
  peer.stdout.setEncoding('utf8').on('data', (c: string) => (peerOut += c));
  peer.stderr.setEncoding('utf8').on('data', (c: string) => (peerOut += c));
  const deadline = Date.now() + 15_000;
  while (!/^ready$/m.test(peerOut) && peer.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  assert.match(peerOut, /^ready$/m, `the svcctl peer did not start:\n${peerOut}`);

  const env = second.env();
  assert.equal((await kinit('pushadmin@PUSH.TEST', PASSWORD, env)).code, 0);
  const clientConf = path.join(work, 'client.conf');
  fs.writeFileSync(clientConf, ['[global]', `\tprivate dir = ${work}`, `\tlock directory = ${work}`, `\tstate directory = ${work}`, `\tcache directory = ${work}`, '\trealm = PUSH.TEST', '\tworkgroup = PUSH', ''].join('\n'));
  const created = await run('net', ['rpc', 'service', 'create', 'PicAdDc', 'PicAdDc', 'C:\\pic.exe', '-S', 'dc1.push.test', '-I', second.address, '-s', clientConf, '--use-kerberos=required', `--use-krb5-ccache=${env.KRB5CCNAME}`], {
    env: { ...process.env, ...env },
  });
  assert.equal(created.code, 0, `${describe(created, false)}\n${peerOut}\n${second.logs().slice(-4000)}`);
  assert.match(created.stdout, /Successfully created Service: PicAdDc/);
  const calls = fs.readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; op?: string; args?: Record<string, unknown> });
  const create = calls.find((c) => c.kind === 'call' && c.op === 'RCreateServiceW');
  assert.ok(create, `no RCreateServiceW in the peer's journal:\n${calls.map((c) => JSON.stringify(c)).join('\n')}`);
  assert.match(JSON.stringify(create.args), /PicAdDc/);
});

test('stop() ends every process of the instance by PID (samba tasks, smbd, winbindd), ports 88/445/389 then refuse, the folder is gone, and a second stop() is harmless', async () => {
  const other = await startSambaAdDc({ address: '127.0.204.2' });
  const pids = other.processes();
  const names = pids.map((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      return '';
    }
  });
  try {
    assert.ok(pids.includes(other.pid));
    for (const kind of [/task\[kdc\]/, /task\[ldap\]/, /task\[rpc\]/, /\/smbd /, /\/winbindd /]) {
      assert.ok(names.some((n) => kind.test(n)), `no ${kind} among ${names.join('\n')}`);
    }
  } finally {
    await other.stop();
  }
  const left = pids.filter((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  });
  assert.deepEqual(left, [], `left after stop(): ${left.join(', ')}`);
  assert.deepEqual(other.processes(), []);
  for (const port of [88, 445, 389]) assert.equal(await tcpAccepts('127.0.204.2', port), false, `port ${port} still accepts`);
  assert.ok(!fs.existsSync(other.dir));
  await other.stop();
  // The first DC on .1 is untouched.
  assert.equal(await tcpAccepts('127.0.204.1', 88), true);
});
