// The SMB2/3 client against a real peer: Debian's Samba smbd, started per configuration on its own
// 127.0.0.x address and stopped after (test/support/samba.ts). A missing Samba fails these tests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { SmbConnection } from '../../main/smb/connection.js';
import { getHostInfo } from '../../main/smb/hostInfo.js';
import { SmbSession } from '../../main/smb/session.js';
import { SmbTree } from '../../main/smb/tree.js';
import { ntHash } from '../../main/smb/auth/ntlm/client.js';
import { ScmrClient } from '../../main/rpc/scmr.js';
import { checkScmAccess } from '../../main/rpc/serviceLifecycle.js';
import { removeLeftovers } from '../../main/engine/cleanup.js';
import { startSamba, type SambaOptions, type SambaServer } from '../support/samba.js';
import { expectClass } from '../support/expectError.js';
import { writeRandomFile } from '../support/payload.js';

const COPY_BYTES = 100 * 1024 * 1024;
let payloadPath = '';
let payloadSha = '';

before(() => {
  // 100 MB of incompressible bytes, written once, copied under every configuration.
  payloadPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pic-smb-payload-')), 'payload.bin');
  payloadSha = writeRandomFile(payloadPath, COPY_BYTES);
});

after(() => {
  if (payloadPath) fs.rmSync(path.dirname(payloadPath), { recursive: true, force: true });
});

function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

async function open(server: SambaServer, options: { user?: string; password?: string; encryptWhenSupported?: boolean } = {}) {
  const connection = await SmbConnection.connect({ host: server.address, port: server.port, connectTimeoutMs: 3000, requestTimeoutMs: 20_000 });
  try {
    const session = await SmbSession.setup(
      connection,
      { user: options.user ?? server.users[0]!.name, password: options.password ?? server.users[0]!.password },
      { targetHost: server.address, encryptWhenSupported: options.encryptWhenSupported ?? false },
    );
    return { connection, session };
  } catch (error) {
    connection.close();
    throw error;
  }
}

interface MatrixCase {
  name: string;
  samba: SambaOptions;
  encryptWhenSupported: boolean;
  dialect: number;
  signing: string;
  cipher: number | null;
  encrypted: boolean;
}

const matrix: MatrixCase[] = [
  { name: 'SMB 2.1, signing mandatory (HMAC-SHA256)', samba: { maxProtocol: 'SMB2_10' }, encryptWhenSupported: true, dialect: 0x0210, signing: 'hmac-sha256', cipher: null, encrypted: false },
  { name: 'SMB 3.0, signing mandatory (AES-CMAC), encryption required (AES-128-CCM)', samba: { maxProtocol: 'SMB3_00', encrypt: 'required' }, encryptWhenSupported: false, dialect: 0x0300, signing: 'aes-cmac', cipher: 1, encrypted: true },
  { name: 'SMB 3.1.1, signing mandatory (AES-GMAC), no encryption', samba: { maxProtocol: 'SMB3_11' }, encryptWhenSupported: false, dialect: 0x0311, signing: 'aes-gmac', cipher: null, encrypted: false },
  { name: 'SMB 3.1.1, signing AES-CMAC, encryption required AES-128-CCM', samba: { encrypt: 'required', ciphers: 'AES-128-CCM', signingAlgorithms: 'AES-128-CMAC' }, encryptWhenSupported: false, dialect: 0x0311, signing: 'aes-cmac', cipher: 1, encrypted: true },
  { name: 'SMB 3.1.1, encryption required AES-128-GCM', samba: { encrypt: 'required', ciphers: 'AES-128-GCM' }, encryptWhenSupported: false, dialect: 0x0311, signing: 'aes-gmac', cipher: 2, encrypted: true },
  { name: 'SMB 3.1.1, encryption required AES-256-GCM', samba: { encrypt: 'required', ciphers: 'AES-256-GCM' }, encryptWhenSupported: false, dialect: 0x0311, signing: 'aes-gmac', cipher: 4, encrypted: true },
  { name: 'SMB 3.1.1, server only desires encryption, the console encrypts because its setting asks', samba: { encrypt: 'desired', ciphers: 'AES-256-CCM' }, encryptWhenSupported: true, dialect: 0x0311, signing: 'aes-gmac', cipher: 3, encrypted: true },
];

describe('interop matrix against smbd: 100 MB to ADMIN$, SHA-256 compared on the server side', () => {
  matrix.forEach((c, i) => {
    test(c.name, async (t) => {
      const server = await startSamba({ address: `127.0.0.${20 + i}`, signing: 'mandatory', ...c.samba });
      t.after(() => server.stop());
      const { connection, session } = await open(server, { encryptWhenSupported: c.encryptWhenSupported });
      t.after(() => connection.close());
      assert.equal(connection.dialect, c.dialect, 'dialect');
      assert.equal(connection.signingAlgorithm, c.signing, 'signing algorithm');
      if (c.cipher !== null) assert.equal(connection.cipher, c.cipher, 'cipher');
      assert.equal(session.encrypted, c.encrypted, 'session encryption');

      const tree = await SmbTree.connect(session, server.address, 'ADMIN$');
      await tree.mkdir('PushInstall');
      const progress: number[] = [];
      const written = await tree.writeFile('PushInstall\\payload.bin', { path: payloadPath }, (done) => progress.push(done));
      assert.equal(written, COPY_BYTES);
      assert.equal(progress.at(-1), COPY_BYTES, 'progress reaches the total');
      assert.ok(progress.length > 10, 'progress is reported along the way');
      const onServer = path.join(server.shareDir('ADMIN$'), 'PushInstall', 'payload.bin');
      assert.equal(sha256File(onServer), payloadSha, 'the bytes on the server are the bytes sent');
      assert.equal(await tree.fileSize('PushInstall\\payload.bin'), BigInt(COPY_BYTES));

      // A file that fits one WRITE or one READ, a delete, a folder: one compounded message each
      // (MS-SMB2 3.2.4.1.4), signed request by request or encrypted whole.
      const roundTrips = async (what: () => Promise<unknown>) => {
        const before = connection.messagesSent;
        await what();
        return connection.messagesSent - before;
      };
      const small = crypto.randomBytes(300_000);
      assert.equal(await roundTrips(() => tree.writeFile('PushInstall\\job.json', small)), 1, 'CREATE + WRITE + CLOSE in one message');
      let read: Buffer = Buffer.alloc(0);
      assert.equal(await roundTrips(async () => (read = await tree.readFile('PushInstall\\job.json'))), 1, 'CREATE + READ + CLOSE in one message');
      assert.deepEqual(read, small, 'read returns what was written');
      assert.equal(await roundTrips(() => tree.mkdir('PushInstall\\run')), 1, 'CREATE + CLOSE of a folder in one message');
      assert.equal(await tree.readFileIfThere('PushInstall\\run\\absent.result'), null, 'a file not there reads as null');
      assert.equal(await tree.deleteIfThere('PushInstall\\run\\absent.result'), false, 'a file not there deletes as false');
      // Longer than one READ: the compounded first chunk, then the rest read on.
      const longer = crypto.randomBytes(tree.writeChunkSize() + 200_000);
      await tree.writeFile('PushInstall\\run\\longer.bin', longer);
      assert.deepEqual(await tree.readFile('PushInstall\\run\\longer.bin'), longer, 'a file longer than one READ is read whole');
      let listed: Awaited<ReturnType<SmbTree['list']>> = null;
      assert.equal(await roundTrips(async () => (listed = await tree.list('PushInstall'))), 1, 'CREATE + QUERY_DIRECTORY ×2 + CLOSE in one message');
      assert.deepEqual(
        [...listed!].sort((a, b) => a.name.localeCompare(b.name)),
        [{ name: 'job.json', directory: false, endOfFile: 300_000n }, { name: 'payload.bin', directory: false, endOfFile: BigInt(COPY_BYTES) }, { name: 'run', directory: true, endOfFile: 0n }],
        'the folder lists its files and subfolder, without . and ..',
      );
      assert.equal(await tree.list('PushInstall\\absent'), null, 'a folder not there lists as null');

      assert.equal(await roundTrips(() => tree.delete('PushInstall\\payload.bin')), 1, 'CREATE (delete on close) + CLOSE in one message');
      await tree.delete('PushInstall\\job.json');
      await tree.delete('PushInstall\\run\\longer.bin');
      await tree.delete('PushInstall\\run', { directory: true });
      await tree.delete('PushInstall', { directory: true });
      assert.deepEqual(fs.readdirSync(server.shareDir('ADMIN$')), [], 'nothing left behind');
      await tree.disconnect();
      await session.logoff();
    });
  });
});

describe('errors from a real peer map to the console\'s classes', () => {
  let server: SambaServer;
  before(async () => {
    server = await startSamba({
      address: '127.0.0.40',
      users: [
        { name: 'pushadmin', password: 'Secret-Pa55' },
        { name: 'pushviewer', password: 'Viewer-Pa55' },
      ],
      shares: [{ name: 'ADMIN$', writableBy: ['pushadmin'] }, { name: 'public', readOnly: true }],
      // Samba's svcctl lets only administrators create services; this makes pushadmin one.
      globalOptions: { 'admin users': 'pushadmin' },
    });
  });
  after(() => server?.stop());

  test('Remove Leftovers with a record naming the run folder empties it of what the record does not name, subfolders too, and leaves another run alone', async () => {
    const { connection, session } = await open(server);
    try {
      const tree = await SmbTree.connect(session, server.address, 'ADMIN$');
      for (const dir of ['PushInstall', 'PushInstall\\r-9', 'PushInstall\\r-9\\package', 'PushInstall\\r-8']) await tree.mkdir(dir);
      const staged = ['r-9\\PushInstallAgent.exe', 'r-9\\PushInstallAgent.exe.log', 'r-9\\PushInstall-msi.log', 'r-9\\package\\big.msi', 'r-8\\PushInstallAgent.exe'];
      for (const file of staged) await tree.writeFile(`PushInstall\\${file}`, Buffer.from(`${file}\r\n`));
    } finally {
      connection.close();
    }
    const steps: string[] = [];
    const left = await removeLeftovers(
      { host: server.address, port: server.port, credentials: { user: 'pushadmin', password: 'Secret-Pa55' }, encryptWhenSupported: false, timeouts: { connectMs: 3000, serviceStopMs: 5000, pollMs: 100 } },
      // As a record written before the copy names them: the folder and the agent's log, not the MSI log or the package.
      { service: null, files: ['PushInstall\\r-9\\PushInstallAgent.exe.log'], directories: ['PushInstall\\r-9'] },
      { step: (step, detail) => steps.push(`${step}: ${detail}`), remote: () => undefined },
    );
    assert.equal(left, null, steps.join('\n'));
    assert.ok(steps.includes('agent-log: r-9\\PushInstallAgent.exe.log\r\n'), 'the agent log is read into the step log first');
    const root = path.join(server.shareDir('ADMIN$'), 'PushInstall');
    assert.deepEqual(fs.readdirSync(root), ['r-8'], 'the run folder is gone with everything in it; the other run and the shared folder stay');
    assert.deepEqual(fs.readdirSync(path.join(root, 'r-8')), ['PushInstallAgent.exe']);
    fs.rmSync(root, { recursive: true });
  });

  test('a wrong password is logon-failure with STATUS_LOGON_FAILURE', async () => {
    await expectClass(open(server, { password: 'wrong' }), 'logon-failure', 'STATUS_LOGON_FAILURE');
  });

  test('the NT hash works in place of the password, in DOMAIN\\user and user@domain forms', async () => {
    for (const user of ['PICSMB\\pushadmin', 'pushadmin@picsmb']) {
      const connection = await SmbConnection.connect({ host: server.address, port: server.port, connectTimeoutMs: 3000 });
      try {
        const session = await SmbSession.setup(connection, { user, ntHash: ntHash('Secret-Pa55') }, { targetHost: server.address });
        await session.logoff();
      } finally {
        connection.close();
      }
    }
  });

  test('a missing share is admin-share-missing with STATUS_BAD_NETWORK_NAME', async () => {
    const { connection, session } = await open(server);
    try {
      await expectClass(SmbTree.connect(session, server.address, 'NOSUCH$'), 'admin-share-missing', 'STATUS_BAD_NETWORK_NAME');
    } finally {
      connection.close();
    }
  });

  test('a user without write rights is access-denied, with the UAC advice', async () => {
    const { connection, session } = await open(server, { user: 'pushviewer', password: 'Viewer-Pa55' });
    try {
      const tree = await SmbTree.connect(session, server.address, 'ADMIN$');
      const error = await expectClass(tree.writeFile('probe.tmp', Buffer.from('x')), 'access-denied', 'STATUS_ACCESS_DENIED');
      assert.match(error.advice, /LocalAccountTokenFilterPolicy/);
      assert.equal(fs.existsSync(path.join(server.shareDir('ADMIN$'), 'probe.tmp')), false);
    } finally {
      connection.close();
    }
  });

  test('a DCE/RPC bind to srvsvc over IPC$ gets a bind_ack (FSCTL_PIPE_TRANSCEIVE)', async () => {
    const { connection, session } = await open(server);
    try {
      const ipc = await SmbTree.connect(session, server.address, 'IPC$');
      assert.ok(ipc.isPipeShare);
      const pipe = await ipc.openPipe('srvsvc');
      // MS-RPCE 2.2.2.13 bind: call id 1, max frags 4280, srvsvc 4b324fc8-1670-01d3-1278-5a47bf6ee188 v3.0, NDR 2.0.
      const bind = Buffer.from(
        '05000b03100000004800000001000000b810b810000000000100000000000100c84f324b7016d30112785a47bf6ee18803000000045d888aeb1cc9119fe808002b10486002000000',
        'hex',
      );
      const ack = await pipe.transceive(bind);
      assert.equal(ack[0], 5, 'rpc_vers 5');
      assert.equal(ack[2], 12, 'PTYPE bind_ack');
      assert.equal(ack.readUInt16LE(8), ack.length, 'frag_length covers the answer');
      assert.equal(ack.readUInt32LE(12), 1, 'call id echoed');
      const secAddrLen = ack.readUInt16LE(24);
      const resultsAt = 26 + secAddrLen + ((4 - ((26 + secAddrLen) % 4)) % 4);
      assert.equal(ack[resultsAt], 1, 'one result');
      assert.equal(ack.readUInt16LE(resultsAt + 4), 0, 'acceptance');
      await pipe.close();
    } finally {
      connection.close();
    }
  });

  test('Samba\'s svcctl: OpenSCManager works for an administrator, is access-denied for another user, and CreateServiceW is service-create', async () => {
    for (const [user, password, expectDenied] of [['pushadmin', 'Secret-Pa55', false], ['pushviewer', 'Viewer-Pa55', true]] as const) {
      const { connection, session } = await open(server, { user, password });
      try {
        const ipc = await SmbTree.connect(session, server.address, 'IPC$');
        const scmr = await ScmrClient.bind(await ipc.openPipe('svcctl'));
        if (expectDenied) {
          await expectClass(checkScmAccess(scmr), 'access-denied', 'ERROR_ACCESS_DENIED');
          continue;
        }
        await checkScmAccess(scmr);
        const scm = await scmr.openSCManager();
        assert.equal(await scmr.openService(scm, 'PushInstallAgent-none'), null, 'a missing service opens as null (1060)');
        const error = await expectClass(scmr.createService({ scm, serviceName: 'PushInstallAgent-x', displayName: 'x', binaryPath: '%SystemRoot%\\x.exe' }), 'service-create');
        assert.match(error.message, /nca_s_op_rng_error/);
        await scmr.closeServiceHandle(scm);
      } finally {
        connection.close();
      }
    }
  });

  test('Get Info reads dialect, signing, names and OS version without credentials', async () => {
    const info = await getHostInfo({ host: server.address, port: server.port, connectTimeoutMs: 3000 });
    assert.equal(info.dialect, '3.1.1');
    assert.equal(info.signingRequired, true);
    assert.ok(info.netbiosName && /^[A-Z0-9-]+$/.test(info.netbiosName), `NetBIOS name ${info.netbiosName}`);
    assert.match(info.osVersion ?? '', /^\d+\.\d+\.\d+$/);
  });

  test('pushctl diagnose reports every check as JSON and exits 0; a wrong password exits 1 with logon-failure', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-pushctl-'));
    try {
      const run = (password: string) =>
        spawnSync(process.execPath, ['bin/pushctl.mjs', '--data', dataDir, 'diagnose', `${server.address}:${server.port}`, '--user', 'pushadmin', '--password-env', 'PIC_TEST_PASSWORD', '--json'], {
          cwd: path.resolve(import.meta.dirname, '../..'),
          env: { ...process.env, PIC_TEST_PASSWORD: password },
          encoding: 'utf8',
          timeout: 60_000,
        });
      const good = run('Secret-Pa55');
      assert.equal(good.status, 0, good.stderr + good.stdout);
      const [report] = JSON.parse(good.stdout) as [{ reachable: boolean; dialect: string; authentication: string; adminShareWritable: boolean; signingRequired: boolean; errors: unknown[] }];
      assert.equal(report.reachable, true);
      assert.equal(report.dialect, '3.1.1');
      assert.equal(report.signingRequired, true);
      assert.equal(report.authentication, 'ok');
      assert.equal(report.adminShareWritable, true);
      assert.equal((report as { scmAccess?: boolean }).scmAccess, true);
      assert.deepEqual(report.errors, []);
      assert.deepEqual(fs.readdirSync(server.shareDir('ADMIN$')), [], 'the probe file was deleted');
      assert.ok(!good.stdout.includes('Secret-Pa55') && !good.stderr.includes('Secret-Pa55'), 'the password is never printed');

      const bad = run('wrong');
      assert.equal(bad.status, 1);
      const [failed] = JSON.parse(bad.stdout) as [{ authentication: string; errors: { class: string; code: string }[] }];
      assert.equal(failed.authentication, 'failed');
      assert.equal(failed.errors[0]?.class, 'logon-failure');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('unreachable computers are classified fast', () => {
  test('a closed port is port-blocked at once', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.41', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const started = Date.now();
    await expectClass(SmbConnection.connect({ host: '127.0.0.41', port, connectTimeoutMs: 5000 }), 'port-blocked');
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  test('a silent address (SYNs dropped) is offline within the connect bound, not a 60 s hang', async (t) => {
    // A listener that never accepts, with its backlog filled: the kernel drops further SYNs.
    const silent = spawn('python3', ['-c', [
      'import socket, sys, time',
      's = socket.socket(); s.bind(("127.0.0.42", 0)); s.listen(0)',
      'print(s.getsockname()[1], flush=True)',
      'fillers = []',
      'for _ in range(8):',
      '    c = socket.socket(); c.setblocking(False)',
      '    try: c.connect(s.getsockname())',
      '    except BlockingIOError: pass',
      '    fillers.append(c)',
      'time.sleep(30)',
    ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => silent.kill('SIGKILL'));
    const port = await new Promise<number>((resolve) => silent.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await expectClass(SmbConnection.connect({ host: '127.0.0.42', port, connectTimeoutMs: 1500 }), 'offline');
    const took = Date.now() - started;
    assert.ok(took >= 1400 && took < 3000, `took ${took} ms`);
  });
});
