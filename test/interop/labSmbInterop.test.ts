// The lab's SMB server against real peers (independent proof that the lab speaks the
// protocols): Samba's smbclient and impacket copy files to a lab host's ADMIN$ with signing
// required, and the console's own client copies 8 MiB under every dialect family and meets each
// SMB-side profile as the error class the engine must show. A missing smbclient or impacket fails
// these tests; it never skips them.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { LabHostState, type LabHostConfig, type LabProfile } from '../../main/lab/hostState.js';
import { labHostConfig } from '../support/labHost.js';
import type { PipeFactory } from '../../main/lab/pipe.js';
import { startLabSmbHost, type LabSmbHost } from '../../main/lab/smb/server.js';
import { SmbConnection } from '../../main/smb/connection.js';
import { SmbSession } from '../../main/smb/session.js';
import { SmbTree } from '../../main/smb/tree.js';
import { svcctlPipeFactory } from '../../main/lab/rpc/svcctlServer.js';
import { expectClass } from '../support/expectError.js';

const PORT = 14452; // one port per test file: files may run at once
const USER = 'pushadmin';
const PASSWORD = 'Secret-Pa55';
let nextAddress = 100;

interface LabHost {
  state: LabHostState;
  host: LabSmbHost;
  log: string[];
  config: LabHostConfig;
}

const started: LabSmbHost[] = [];
after(async () => {
  await Promise.all(started.map((h) => h.close()));
});

async function startHost(profile: LabProfile = 'healthy', extra: Partial<LabHostConfig> = {}, pipes: PipeFactory = () => null): Promise<LabHost> {
  const n = nextAddress++;
  const config = labHostConfig(n, '127.0.55', { port: PORT, accounts: [{ user: USER, password: PASSWORD, domain: '' }], profile, installTimeMs: 100, ...extra });
  const state = new LabHostState(config);
  const log: string[] = [];
  const host = await startLabSmbHost(state, { pipes, log: (line) => log.push(line), logonFailureDelayMs: 50 });
  started.push(host);
  return { state, host, log, config };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion under a hard bound; a missing program rejects (the test fails). */
function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${command} could not run (${error.message}): scripts/setup.sh installs it`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-labsmb-'));
after(() => fs.rmSync(workDir, { recursive: true, force: true }));

/** Debian's smbclient with a throwaway config; the domain is the host's name (a local account). */
async function smbclient(h: LabHost, commands: string, options: string[] = [], password = PASSWORD): Promise<Run> {
  const confDir = fs.mkdtempSync(path.join(workDir, 'conf-'));
  const conf = path.join(confDir, 'client.conf');
  fs.writeFileSync(conf, ['[global]', `\tlock directory = ${confDir}`, `\tstate directory = ${confDir}`, `\tcache directory = ${confDir}`, `\tprivate dir = ${confDir}`, ''].join('\n'));
  const args = [`//${h.config.address}/ADMIN$`, '-s', conf, '-p', String(PORT), '-W', h.config.name, '-U', USER, '-t', '20', ...options, '-c', commands];
  return run('smbclient', args, { env: { ...process.env, PASSWD: password }, cwd: workDir });
}

function writeRandom(name: string, bytes: number): { file: string; data: Buffer } {
  const data = crypto.randomBytes(bytes);
  const file = path.join(workDir, name);
  fs.writeFileSync(file, data);
  return { file, data };
}

function sha(b: Buffer): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

describe("Samba's smbclient against a lab host", () => {
  const cases: { name: string; options: string[]; dialect: RegExp; encrypts: boolean }[] = [
    { name: 'SMB 3.1.1, client signing required', options: ['-m', 'SMB3', '--option=client signing=required'], dialect: /negotiated 3\.1\.1, signing aes-gmac/, encrypts: false },
    { name: 'SMB 3.1.1, encrypted (--client-protection=encrypt)', options: ['-m', 'SMB3', '--client-protection=encrypt'], dialect: /negotiated 3\.1\.1/, encrypts: true },
    { name: 'SMB 3.1.1, AES-256-GCM encryption and AES-CMAC signing forced', options: ['-m', 'SMB3', '--option=client smb encrypt=required', '--option=client smb3 encryption algorithms=AES-256-GCM', '--option=client smb3 signing algorithms=AES-128-CMAC'], dialect: /negotiated 3\.1\.1, signing aes-cmac, cipher AES-256-GCM/, encrypts: true },
    { name: 'SMB 3.0, encrypted (AES-128-CCM)', options: ['-m', 'SMB3_00', '--client-protection=encrypt'], dialect: /negotiated 3\.0, signing aes-cmac, cipher AES-128-CCM/, encrypts: true },
    { name: 'SMB 2.1, signing required (HMAC-SHA256)', options: ['-m', 'SMB2_10', '--option=client signing=required'], dialect: /negotiated 2\.1, signing hmac-sha256/, encrypts: false },
    { name: 'SMB1 multi-protocol negotiate first (client min protocol = NT1), then SMB 3.1.1', options: ['--option=client min protocol=NT1', '-m', 'SMB3', '--option=client signing=required'], dialect: /SMB1 multi-protocol negotiate answered with dialect 0x2ff/, encrypts: false },
  ];
  for (const c of cases) {
    test(`puts, lists, gets and deletes a file on ADMIN$: ${c.name}`, async () => {
      const h = await startHost();
      const { data } = writeRandom('up.bin', 1024 * 1024 + 333);
      const put = await smbclient(h, 'mkdir PushInstall; put up.bin PushInstall\\agent.bin', c.options);
      assert.equal(put.code, 0, put.stdout + put.stderr);
      assert.equal(sha(h.state.files.get('pushinstall\\agent.bin') ?? Buffer.alloc(0)), sha(data), 'the bytes on the lab host are the bytes sent');
      assert.equal(h.state.names.get('pushinstall\\agent.bin'), 'PushInstall\\agent.bin', 'the original case is kept');
      const back = path.join(workDir, 'down.bin');
      fs.rmSync(back, { force: true });
      const rest = await smbclient(h, 'ls PushInstall\\*; get PushInstall\\agent.bin down.bin; del PushInstall\\agent.bin; rmdir PushInstall; ls', c.options);
      assert.equal(rest.code, 0, rest.stdout + rest.stderr);
      assert.match(rest.stdout, /agent\.bin\s+A\s+1048909/, 'ls lists the file with its size');
      assert.equal(sha(fs.readFileSync(back)), sha(data), 'get returns the bytes put');
      assert.deepEqual(h.state.leftovers(), { files: [], directories: [], services: [] }, 'del and rmdir leave nothing behind');
      assert.match(h.log.join('\n'), c.dialect);
      assert.equal(/encrypts \(/.test(h.log.join('\n')), c.encrypts, 'the client encrypted its requests (or not) as asked');
      assert.equal(h.state.counters.logons, 2);
      assert.equal(h.state.sessions, 0, 'smbclient logged off or disconnected: no session left');
    });
  }

  test('a wrong password is NT_STATUS_LOGON_FAILURE', async () => {
    const h = await startHost();
    const r = await smbclient(h, 'ls', ['-m', 'SMB3'], 'wrong-password');
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /NT_STATUS_LOGON_FAILURE/);
    assert.equal(h.state.counters.logonFailures, 1);
  });

  test('antivirus-blocks-copy: put of an .exe is NT_STATUS_VIRUS_INFECTED and the file does not stay', async () => {
    const h = await startHost('antivirus-blocks-copy');
    writeRandom('agent.exe', 70_000);
    const r = await smbclient(h, 'put agent.exe', ['-m', 'SMB3']);
    assert.match(r.stdout + r.stderr, /NT_STATUS_VIRUS_INFECTED/);
    assert.deepEqual(h.state.leftovers().files, []);
  });
});

describe('impacket against a lab host', () => {
  const script = `
import sys, io
from impacket.smbconnection import SMBConnection
from impacket import smb3structs
host, port, dialect = sys.argv[1], int(sys.argv[2]), sys.argv[3]
preferred = {'any': None, '3.0': smb3structs.SMB2_DIALECT_30, '2.1': smb3structs.SMB2_DIALECT_21, '2.0.2': smb3structs.SMB2_DIALECT_002}[dialect]
c = SMBConnection(host, host, sess_port=port, preferredDialect=preferred, timeout=20)
c.login('${USER}', '${PASSWORD}', '')
data = bytes((i * 7 + 3) % 251 for i in range(700000))
c.createDirectory('ADMIN$', 'PushInstall')
c.putFile('ADMIN$', 'PushInstall\\\\agent.bin', io.BytesIO(data).read)
out = io.BytesIO()
c.getFile('ADMIN$', 'PushInstall\\\\agent.bin', out.write)
names = sorted(f.get_longname() for f in c.listPath('ADMIN$', 'PushInstall\\\\*'))
print('dialect=%x signing=%s same=%s names=%s' % (c.getDialect(), c.isSigningRequired(), out.getvalue() == data, ','.join(names)))
c.deleteFile('ADMIN$', 'PushInstall\\\\agent.bin')
c.deleteDirectory('ADMIN$', 'PushInstall')
c.logoff()
`;
  for (const [dialect, hex] of [['any', '300'], ['2.1', '210'], ['2.0.2', '202']] as const) {
    test(`logs on with NTLMv2, puts a file, reads it back, lists and deletes (${dialect === 'any' ? 'its default: SMB1 negotiate, then 3.0' : dialect})`, async () => {
      const h = await startHost();
      const r = await run('/usr/bin/python3', ['-c', script, h.config.address, String(PORT), dialect]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`dialect=${hex} signing=True same=True names=\\.,\\.\\.,agent\\.bin`));
      assert.deepEqual(h.state.leftovers(), { files: [], directories: [], services: [] });
      assert.equal(h.state.counters.bytesWritten, 700_000);
    });
  }

  test("impacket's MS-SCMR client creates, queries and deletes a service through the lab's svcctl pipe", async () => {
    const h = await startHost('healthy', {}, svcctlPipeFactory(() => ({ startAgent: () => undefined })));
    const scmr = `
import sys
from impacket.dcerpc.v5 import transport, scmr
t = transport.SMBTransport(sys.argv[1], int(sys.argv[2]), r'\\svcctl', username='${USER}', password='${PASSWORD}')
dce = t.get_dce_rpc(); dce.connect(); dce.bind(scmr.MSRPC_UUID_SCMR)
sc = scmr.hROpenSCManagerW(dce)['lpScHandle']
svc = scmr.hRCreateServiceW(dce, sc, 'PushAgentLab\\x00', 'PushAgentLab\\x00', lpBinaryPathName='%SystemRoot%\\\\PushInstall\\\\agent.exe\\x00', dwStartType=scmr.SERVICE_DEMAND_START)['lpServiceHandle']
st = scmr.hRQueryServiceStatus(dce, svc)['lpServiceStatus']['dwCurrentState']
scmr.hRDeleteService(dce, svc); scmr.hRCloseServiceHandle(dce, svc); scmr.hRCloseServiceHandle(dce, sc)
print('state=%d' % st)
`;
    const r = await run('/usr/bin/python3', ['-c', scmr, h.config.address, String(PORT)]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /state=1/, 'a new service is STOPPED');
    assert.equal(h.state.counters.servicesCreated, 1);
    assert.equal(h.state.services.size, 0, 'deleted');
  });
});

async function logon(h: LabHost, options: { dialects?: number[]; encrypt?: boolean; password?: string; connectTimeoutMs?: number } = {}) {
  const connection = await SmbConnection.connect({ host: h.config.address, port: PORT, connectTimeoutMs: options.connectTimeoutMs ?? 3000, requestTimeoutMs: 20_000, ...(options.dialects ? { dialects: options.dialects } : {}) });
  try {
    const session = await SmbSession.setup(connection, { user: USER, password: options.password ?? PASSWORD }, { targetHost: h.config.address, encryptWhenSupported: options.encrypt ?? false });
    return { connection, session };
  } catch (error) {
    connection.close();
    throw error;
  }
}

describe("the console's SMB client against a lab host", () => {
  const COPY = 8 * 1024 * 1024;
  const payload = crypto.randomBytes(COPY);
  const matrix: { name: string; dialects?: number[]; encrypt: boolean; dialect: number; signing: string; encrypted: boolean }[] = [
    { name: 'SMB 3.1.1 signed (AES-GMAC)', encrypt: false, dialect: 0x0311, signing: 'aes-gmac', encrypted: false },
    { name: 'SMB 3.1.1 encrypted (AES-128-GCM)', encrypt: true, dialect: 0x0311, signing: 'aes-gmac', encrypted: true },
    { name: 'SMB 3.0.2 signed (AES-CMAC)', dialects: [0x0202, 0x0210, 0x0300, 0x0302], encrypt: false, dialect: 0x0302, signing: 'aes-cmac', encrypted: false },
    { name: 'SMB 2.1 signed (HMAC-SHA256)', dialects: [0x0202, 0x0210], encrypt: false, dialect: 0x0210, signing: 'hmac-sha256', encrypted: false },
  ];
  for (const c of matrix) {
    test(`writes 8 MiB (8 × 1 MiB in flight) and reads back identical bytes: ${c.name}`, async () => {
      const h = await startHost();
      const { connection, session } = await logon(h, { ...(c.dialects ? { dialects: c.dialects } : {}), encrypt: c.encrypt });
      try {
        assert.equal(connection.dialect, c.dialect);
        assert.equal(connection.signingAlgorithm, c.signing);
        assert.equal(session.encrypted, c.encrypted);
        const tree = await SmbTree.connect(session, h.config.address, 'ADMIN$');
        await tree.mkdir('PushInstall');
        const progress: number[] = [];
        const t0 = Date.now();
        assert.equal(await tree.writeFile('PushInstall\\agent.bin', payload, (done) => progress.push(done)), COPY);
        const writeMs = Date.now() - t0;
        assert.equal(sha(h.state.files.get('pushinstall\\agent.bin')!), sha(payload), 'the lab host holds the bytes sent');
        assert.ok(progress.length >= 9);
        const back = await tree.readFile('PushInstall\\agent.bin');
        assert.equal(sha(back), sha(payload), 'read returns the bytes written');
        console.log(`  ${c.name}: 8 MiB written in ${writeMs} ms, read back in ${Date.now() - t0 - writeMs} ms`);
        await tree.delete('PushInstall\\agent.bin');
        await tree.delete('PushInstall', { directory: true });
        assert.deepEqual(h.state.leftovers(), { files: [], directories: [], services: [] });
        await tree.disconnect();
        assert.equal(h.state.sessions, 1);
        await session.logoff();
        assert.equal(h.state.sessions, 0);
      } finally {
        connection.close();
      }
    });
  }

  test('a wrong password is logon-failure (STATUS_LOGON_FAILURE)', async () => {
    const h = await startHost();
    await expectClass(logon(h, { password: 'wrong' }), 'logon-failure', 'STATUS_LOGON_FAILURE');
    assert.equal(h.state.counters.logonFailures, 1);
    assert.equal(h.state.sessions, 0);
  });

  test("profile wrong-credentials refuses even the right password: logon-failure", async () => {
    const h = await startHost('wrong-credentials');
    await expectClass(logon(h), 'logon-failure', 'STATUS_LOGON_FAILURE');
  });

  test('profile uac-filtered: logon works, ADMIN$ is access-denied (STATUS_ACCESS_DENIED), IPC$ is not', async () => {
    const h = await startHost('uac-filtered');
    const { connection, session } = await logon(h);
    try {
      await expectClass(SmbTree.connect(session, h.config.address, 'ADMIN$'), 'access-denied', 'STATUS_ACCESS_DENIED');
      const ipc = await SmbTree.connect(session, h.config.address, 'IPC$');
      assert.ok(ipc.isPipeShare);
    } finally {
      connection.close();
    }
  });

  test('profile admin-share-missing: ADMIN$ is admin-share-missing (STATUS_BAD_NETWORK_NAME)', async () => {
    const h = await startHost('admin-share-missing');
    const { connection, session } = await logon(h);
    try {
      await expectClass(SmbTree.connect(session, h.config.address, 'ADMIN$'), 'admin-share-missing', 'STATUS_BAD_NETWORK_NAME');
    } finally {
      connection.close();
    }
  });

  test('profile antivirus-blocks-copy: copying the agent .exe is copy-blocked (STATUS_VIRUS_INFECTED), nothing stays; other files copy', async () => {
    const h = await startHost('antivirus-blocks-copy');
    const { connection, session } = await logon(h);
    try {
      const tree = await SmbTree.connect(session, h.config.address, 'ADMIN$');
      await expectClass(tree.writeFile('agent.exe', crypto.randomBytes(300_000)), 'copy-blocked', 'STATUS_VIRUS_INFECTED');
      assert.deepEqual(h.state.leftovers().files, []);
      await tree.writeFile('job.json', Buffer.from('{}'));
      assert.deepEqual(h.state.leftovers().files, ['job.json']);
    } finally {
      connection.close();
    }
  });

  test('profile cut-mid-copy: the connection drops after cutAfterBytes of the file: connection-lost', async () => {
    const h = await startHost('cut-mid-copy', { cutAfterBytes: 3 * 1024 * 1024 + 5 });
    const { connection, session } = await logon(h);
    try {
      const tree = await SmbTree.connect(session, h.config.address, 'ADMIN$');
      await expectClass(tree.writeFile('agent.exe', crypto.randomBytes(8 * 1024 * 1024)), 'connection-lost');
      assert.equal(h.state.files.get('agent.exe')?.length, 3 * 1024 * 1024 + 5, 'the part before the cut stays, as on a real host');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(h.state.sessions, 0, 'the dropped connection ended its session');
    } finally {
      connection.close();
    }
  });

  test('profile offline-refused: connect is refused at once (port-blocked)', async () => {
    const h = await startHost('offline-refused');
    const t0 = Date.now();
    await expectClass(logon(h, { connectTimeoutMs: 2000 }), 'port-blocked', 'ECONNREFUSED');
    assert.ok(Date.now() - t0 < 1000, 'refused, not timed out');
  });

  test('profile offline-silent: connect hangs until the client bound, then offline', async () => {
    const h = await startHost('offline-silent');
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      await expectClass(logon(h, { connectTimeoutMs: 1500 }), 'offline');
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 1400 && elapsed < 2500, `classified at the 1.5 s bound (took ${elapsed} ms)`);
    }
    assert.equal(h.state.counters.connections, 0, 'no connection reached the host');
  });
});
