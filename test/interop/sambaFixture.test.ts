// Proves the Samba fixture (test/support/samba.ts) with Samba's own client, before our SMB client
// is tested against it: signing, authentication, share rights, encryption, several hosts on
// loopback, and a clean stop.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { smbclient, startSamba, type SambaServer } from '../support/samba.js';
import { tempDirFor } from '../support/tempDir.js';

const ADMIN = { name: 'pushadmin', password: 'Secret-Pa55' };
const PLAIN_USER = { name: 'pushuser', password: 'Plain-Pa55' };

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function randomFile(dir: string, name: string, bytes: number): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, crypto.randomBytes(bytes));
  return file;
}

function output(result: { stdout: string; stderr: string }): string {
  return `${result.stdout}\n${result.stderr}`;
}

function describe(server: SambaServer, result: { code: number; stdout: string; stderr: string }): string {
  return `smbclient exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}\n${server.logs().slice(-4000)}`;
}

/** Resolves true if a TCP connection is accepted, false if refused or silent for 2 s. */
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

/** `smbclient -L`: lists shares through IPC$ and the srvsvc pipe (samba-dcerpcd on demand). */
function listShares(server: SambaServer, user: { name: string; password: string }): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('smbclient', ['-L', `//${server.address}`, '-p', String(server.port), '-U', user.name, '-s', '/dev/null', '-t', '10'], {
      env: { ...process.env, PASSWD: user.password, PATH: `${process.env.PATH ?? ''}:/usr/bin:/usr/sbin` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}

test('smbclient puts a file into ADMIN$ over SMB 3.1.1 with mandatory signing and it lands in shareDir with the same SHA-256', async (t) => {
  const server = await startSamba({ address: '127.0.0.2', signing: 'mandatory', maxProtocol: 'SMB3_11' });
  t.after(() => server.stop());
  const local = randomFile(tempDirFor(t), 'payload.bin', 300_000);

  const result = await smbclient(server, {
    share: 'ADMIN$',
    commands: `put ${local} payload.bin`,
    maxProtocol: 'SMB3_11',
    signing: 'required',
  });

  assert.equal(result.code, 0, describe(server, result));
  const remote = path.join(server.shareDir('ADMIN$'), 'payload.bin');
  assert.ok(fs.existsSync(remote), describe(server, result));
  assert.equal(sha256(remote), sha256(local));
});

test('a wrong password is refused with NT_STATUS_LOGON_FAILURE', async (t) => {
  const server = await startSamba({ address: '127.0.0.2' });
  t.after(() => server.stop());

  const result = await smbclient(server, { share: 'ADMIN$', user: ADMIN.name, password: 'Wrong-Pa55', commands: 'ls' });

  assert.notEqual(result.code, 0, describe(server, result));
  assert.match(output(result), /NT_STATUS_LOGON_FAILURE/, describe(server, result));
});

test('a user without write rights gets NT_STATUS_ACCESS_DENIED putting into a read-only share, and nothing is written', async (t) => {
  const server = await startSamba({ address: '127.0.0.2', users: [ADMIN, PLAIN_USER] });
  t.after(() => server.stop());
  const local = randomFile(tempDirFor(t), 'denied.bin', 1_000);

  const result = await smbclient(server, { share: 'public', user: PLAIN_USER.name, commands: `put ${local} denied.bin` });

  assert.match(output(result), /NT_STATUS_ACCESS_DENIED/, describe(server, result));
  assert.ok(!fs.existsSync(path.join(server.shareDir('public'), 'denied.bin')));
  // The same user can still read the share: the refusal is about writing, not logging on.
  const listing = await smbclient(server, { share: 'public', user: PLAIN_USER.name, commands: 'ls' });
  assert.equal(listing.code, 0, describe(server, listing));
});

test('a user outside ADMIN$ valid users is refused at tree connect with NT_STATUS_ACCESS_DENIED, like a non-admin on Windows', async (t) => {
  const server = await startSamba({ address: '127.0.0.2', users: [ADMIN, PLAIN_USER] });
  t.after(() => server.stop());

  const result = await smbclient(server, { share: 'ADMIN$', user: PLAIN_USER.name, commands: 'ls' });

  assert.notEqual(result.code, 0, describe(server, result));
  assert.match(output(result), /NT_STATUS_ACCESS_DENIED/, describe(server, result));
});

test('IPC$ is served: smbclient -L lists ADMIN$, public and IPC$ through the srvsvc pipe', async (t) => {
  const server = await startSamba({ address: '127.0.0.2' });
  t.after(() => server.stop());

  const result = await listShares(server, ADMIN);

  assert.equal(result.code, 0, `${result.out}\n${server.logs()}`);
  for (const share of ['ADMIN$', 'public', 'IPC$']) assert.match(result.out, new RegExp(`^\\s*${share.replace('$', '\\$')}\\s+(Disk|IPC)`, 'm'), result.out);
});

test('with smb encrypt = required an encrypting SMB 3.1.1 client transfers a file, and an SMB 2.1 client (no encryption) is refused', async (t) => {
  const server = await startSamba({ address: '127.0.0.2', encrypt: 'required', ciphers: 'AES-128-GCM, AES-128-CCM' });
  t.after(() => server.stop());
  const local = randomFile(tempDirFor(t), 'sealed.bin', 200_000);

  const sealed = await smbclient(server, {
    share: 'ADMIN$',
    commands: `put ${local} sealed.bin`,
    maxProtocol: 'SMB3_11',
    signing: 'required',
    encrypt: 'required',
  });
  assert.equal(sealed.code, 0, describe(server, sealed));
  assert.equal(sha256(path.join(server.shareDir('ADMIN$'), 'sealed.bin')), sha256(local));

  const smb21 = await smbclient(server, { share: 'ADMIN$', commands: 'ls', maxProtocol: 'SMB2_10' });
  assert.notEqual(smb21.code, 0, describe(server, smb21));
  assert.match(output(smb21), /NT_STATUS_ACCESS_DENIED/, describe(server, smb21));
});

test('two instances on 127.0.0.2 and 127.0.0.3 run at once on the same port, each serving its own folder', async (t) => {
  const first = await startSamba({ address: '127.0.0.2' });
  t.after(() => first.stop());
  const second = await startSamba({ address: '127.0.0.3', port: first.port });
  t.after(() => second.stop());
  assert.equal(second.port, first.port);
  const dir = tempDirFor(t);
  const a = randomFile(dir, 'a.bin', 5_000);
  const b = randomFile(dir, 'b.bin', 5_000);

  const [ra, rb] = await Promise.all([
    smbclient(first, { share: 'ADMIN$', commands: `put ${a} host.bin` }),
    smbclient(second, { share: 'ADMIN$', commands: `put ${b} host.bin` }),
  ]);

  assert.equal(ra.code, 0, describe(first, ra));
  assert.equal(rb.code, 0, describe(second, rb));
  assert.equal(sha256(path.join(first.shareDir('ADMIN$'), 'host.bin')), sha256(a));
  assert.equal(sha256(path.join(second.shareDir('ADMIN$'), 'host.bin')), sha256(b));
  assert.notEqual(first.shareDir('ADMIN$'), second.shareDir('ADMIN$'));
});

test('stop() ends smbd, its per-connection children and its RPC helpers, the port then refuses connections, and a second stop() is harmless', async (t) => {
  const server = await startSamba({ address: '127.0.0.2' });
  t.after(() => server.stop());
  // A share listing starts samba-dcerpcd + rpcd_* (their own sessions); an open TCP connection
  // keeps a forked smbd child alive while we stop.
  assert.equal((await listShares(server, ADMIN)).code, 0, server.logs());
  const held = net.connect({ host: server.address, port: server.port });
  held.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    held.once('connect', () => resolve());
    held.once('error', reject);
  });
  t.after(() => held.destroy());
  const deadline = Date.now() + 5_000;
  while (server.processes().length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const pids = server.processes();
  assert.ok(pids.includes(server.pid));
  assert.ok(pids.length >= 4, `expected smbd, a connection child and RPC helpers, got ${pids.join(', ')}`);

  await server.stop();

  const left = pids.filter((pid) => fs.existsSync(`/proc/${pid}`));
  const describeLeft = left.map((pid) => {
    try {
      return `${pid}: ${fs.readFileSync(`/proc/${pid}/stat`, 'utf8')}`;
    } catch {
      return `${pid}: gone`;
    }
  });
  assert.deepEqual(left, [], `processes left after stop(): ${describeLeft.join('\n')}`);
  assert.equal(await tcpAccepts(server.address, server.port), false, 'the port still accepts connections');
  assert.ok(!fs.existsSync(server.dir), 'the temp folder was not removed');
  await server.stop();
});
