// The lab's SMB2/3 server, in process: what NEGOTIATE and SESSION_SETUP answer, which accounts
// log on, that signing is enforced, the ADMIN$ file semantics (dispositions, folders, delete),
// named pipes in message mode with STATUS_PENDING, compounds and credits, the slow-link cap, the
// host's session bookkeeping, and that hostile framing ends only the connection that sent it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { LabHostState, type LabHostConfig, type LabProfile } from '../../main/lab/hostState.js';
import { labHostConfig } from '../support/labHost.js';
import type { PipeEndpoint, PipeFactory } from '../../main/lab/pipe.js';
import { startLabSmbHost, type LabSmbHost, type LabSmbHostOptions } from '../../main/lab/smb/server.js';
import { wildcardMatch } from '../../main/lab/smb/infoCommands.js';
import { SmbConnection } from '../../main/smb/connection.js';
import { SmbSession } from '../../main/smb/session.js';
import { SmbTree } from '../../main/smb/tree.js';
import { getHostInfo } from '../../main/smb/hostInfo.js';
import { ntHash, NegotiateFlag } from '../../main/smb/auth/ntlm/client.js';
import { NEGOEX_OID, NTLMSSP_OID, decodeNegTokenInit } from '../../main/smb/auth/spnego.js';
import { Command, HeaderFlags, decodeHeader } from '../../main/smb/codec/header.js';
import { Capabilities, SecurityMode, decodeNegotiateResponse, encodeNegotiateRequest } from '../../main/smb/codec/negotiate.js';
import { Access, CreateOptions, Disposition, FileAttributes, ShareAccess, decodeCreateResponse, encodeCloseRequest, encodeCreateRequest } from '../../main/smb/codec/create.js';
import { encodeTreeConnectRequest } from '../../main/smb/codec/treeConnect.js';
import { encodeReadRequest, encodeWriteRequest } from '../../main/smb/codec/readWrite.js';
import { FileInfoClass, decodeQueryInfoResponse, encodeQueryInfoRequest, encodeSetInfoRequest } from '../../main/smb/codec/info.js';
import { decodeFileStandardInformation } from '../../main/smb/codec/fscc.js';
import { encodeEmptyBody } from '../../main/smb/codec/errorBody.js';
import { decodeIoctlResponse, encodeIoctlRequest } from '../../main/smb/codec/ioctl.js';
import { Status } from '../../main/smb/ntstatus.js';
import { SmbStatusError } from '../../main/smb/errors.js';
import { expectClass } from '../support/expectError.js';
import { RawSmb, framed } from '../support/labSmbRaw.js';

const PORT = 14450;
const USER = 'pushadmin';
const PASSWORD = 'Secret-Pa55';
let nextAddress = 1;
const hosts: LabSmbHost[] = [];
after(async () => {
  await Promise.all(hosts.map((h) => h.close()));
});

interface Host {
  state: LabHostState;
  config: LabHostConfig;
  log: string[];
  busyChanges: number[];
  close(): Promise<void>;
}

async function startHost(profile: LabProfile = 'healthy', extra: Partial<LabHostConfig> = {}, options: Partial<LabSmbHostOptions> = {}): Promise<Host> {
  const n = nextAddress++;
  const config = labHostConfig(n, '127.0.55', {
    port: PORT,
    accounts: [
      { user: USER, password: PASSWORD, domain: '' },
      { user: 'domadmin', password: 'Domain-Pa55', domain: 'LAB' },
    ],
    profile,
    installTimeMs: 100,
    ...extra,
  });
  const busyChanges: number[] = [];
  const state = new LabHostState(config, (h) => busyChanges.push(h.sessions));
  const log: string[] = [];
  const host = await startLabSmbHost(state, { pipes: () => null, log: (line) => log.push(line), logonFailureDelayMs: 0, ...options });
  hosts.push(host);
  return { state, config, log, busyChanges, close: () => host.close() };
}

async function logon(h: Host, user = USER, password = PASSWORD, dialects?: number[]) {
  const connection = await SmbConnection.connect({ host: h.config.address, port: PORT, connectTimeoutMs: 2000, requestTimeoutMs: 5000, ...(dialects ? { dialects } : {}) });
  try {
    const session = await SmbSession.setup(connection, { user, password }, { targetHost: h.config.address });
    return { connection, session };
  } catch (error) {
    connection.close();
    throw error;
  }
}

async function adminTree(h: Host) {
  const { connection, session } = await logon(h);
  return { connection, session, tree: await SmbTree.connect(session, h.config.address, 'ADMIN$') };
}

function negotiateBody(dialects: number[], ciphers = [2, 1, 4, 3], signing = [2, 1, 0]): Buffer {
  return encodeNegotiateRequest({ dialects, securityMode: SecurityMode.SIGNING_ENABLED, capabilities: Capabilities.LARGE_MTU | Capabilities.ENCRYPTION, clientGuid: crypto.randomBytes(16), preauthSalt: crypto.randomBytes(32), ciphers, signingAlgorithms: signing });
}

async function rawNegotiate(h: Host, dialects: number[], ciphers?: number[], signing?: number[]) {
  const raw = await RawSmb.connect(h.config.address, PORT);
  const response = await raw.request({ command: Command.NEGOTIATE, body: negotiateBody(dialects, ciphers, signing), creditCharge: 0 });
  raw.close();
  assert.ok(response, 'an answer');
  return response;
}

describe('NEGOTIATE', () => {
  test('picks the highest common dialect, requires signing, and answers 3.1.1 preauth, cipher and signing contexts', async () => {
    const h = await startHost();
    const r = await rawNegotiate(h, [0x0202, 0x0210, 0x0300, 0x0302, 0x0311]);
    const n = decodeNegotiateResponse(r.message);
    assert.equal(n.dialect, 0x0311);
    assert.equal(n.securityMode & SecurityMode.SIGNING_REQUIRED, SecurityMode.SIGNING_REQUIRED, 'signing required, as 24H2');
    assert.equal(n.preauthHashAlgorithm, 1, 'SHA-512');
    assert.equal(n.cipher, 2, 'AES-128-GCM first');
    assert.equal(n.signingAlgorithm, 2, 'AES-GMAC');
    assert.equal(n.maxWriteSize, 8 * 1024 * 1024);
    assert.ok(n.capabilities & Capabilities.LARGE_MTU);
    assert.deepEqual(decodeNegTokenInit(n.securityBuffer).mechTypes, [NEGOEX_OID, NTLMSSP_OID], 'a SPNEGO hint as Windows sends it: NEGOEX first, then NTLMSSP (no Kerberos in the lab)');
  });

  test('honours the client lists: AES-128-CCM and AES-CMAC when those are all it offers; no cipher in common is cipher 0', async () => {
    const h = await startHost();
    const a = decodeNegotiateResponse((await rawNegotiate(h, [0x0311], [1], [1])).message);
    assert.equal(a.cipher, 1);
    assert.equal(a.signingAlgorithm, 1);
    const b = decodeNegotiateResponse((await rawNegotiate(h, [0x0311], [0x99], [1])).message);
    assert.equal(b.cipher, 0);
  });

  test('2.x and 3.0.x: no contexts; 3.0 announces ENCRYPTION when the client does; 2.0.2 limits I/O to 64 KiB', async () => {
    const h = await startHost();
    const two = decodeNegotiateResponse((await rawNegotiate(h, [0x0202, 0x0210])).message);
    assert.equal(two.dialect, 0x0210);
    const three = decodeNegotiateResponse((await rawNegotiate(h, [0x0300, 0x0302])).message);
    assert.equal(three.dialect, 0x0302);
    assert.ok(three.capabilities & Capabilities.ENCRYPTION);
    const old = decodeNegotiateResponse((await rawNegotiate(h, [0x0202])).message);
    assert.equal(old.maxWriteSize, 65536);
  });

  test('no common dialect is STATUS_NOT_SUPPORTED; 3.1.1 without a preauth context is STATUS_INVALID_PARAMETER', async () => {
    const h = await startHost();
    assert.equal((await rawNegotiate(h, [0x0201])).header.status >>> 0, Status.NOT_SUPPORTED);
    const raw = await RawSmb.connect(h.config.address, PORT);
    const body = negotiateBody([0x0311]);
    body.writeUInt16LE(0, 32); // NegotiateContextCount
    const r = await raw.request({ command: Command.NEGOTIATE, body });
    raw.close();
    assert.equal(r?.header.status, Status.INVALID_PARAMETER);
  });

  test('an SMB1 multi-protocol NEGOTIATE naming SMB 2.??? gets an SMB2 answer with dialect 0x02FF, then SMB2 NEGOTIATE proceeds', async () => {
    const h = await startHost();
    const raw = await RawSmb.connect(h.config.address, PORT);
    raw.sendFrame(smb1Negotiate(['NT LM 0.12', 'SMB 2.002', 'SMB 2.???']));
    const got = await raw.next();
    assert.equal(got.kind, 'frame');
    const first = decodeNegotiateResponse((got as { data: Buffer }).data);
    assert.equal(first.dialect, 0x02ff);
    raw.nextMessageId = 1n;
    const second = await raw.request({ command: Command.NEGOTIATE, body: negotiateBody([0x0202, 0x0210, 0x0300, 0x0302, 0x0311]) });
    assert.equal(decodeNegotiateResponse(second!.message).dialect, 0x0311);
    raw.close();
  });

  test('SMB1 without an SMB2 dialect, a second NEGOTIATE, or a request before NEGOTIATE ends the connection', async () => {
    const h = await startHost();
    const smb1 = await RawSmb.connect(h.config.address, PORT);
    smb1.sendFrame(smb1Negotiate(['NT LM 0.12']));
    assert.equal((await smb1.next()).kind, 'closed');

    const twice = await RawSmb.connect(h.config.address, PORT);
    await twice.request({ command: Command.NEGOTIATE, body: negotiateBody([0x0210]) });
    twice.sendFrame(twice.message({ command: Command.NEGOTIATE, body: negotiateBody([0x0210]) }));
    assert.equal((await twice.next()).kind, 'closed');

    const early = await RawSmb.connect(h.config.address, PORT);
    early.sendFrame(early.message({ command: Command.ECHO, body: encodeEmptyBody() }));
    assert.equal((await early.next()).kind, 'closed');
  });
});

function smb1Negotiate(dialects: string[]): Buffer {
  const data = Buffer.concat(dialects.map((d) => Buffer.from(`\x02${d}\0`, 'latin1')));
  const header = Buffer.alloc(32);
  Buffer.from([0xff, 0x53, 0x4d, 0x42, 0x72]).copy(header);
  header.writeUInt8(0x18, 9);
  header.writeUInt16LE(0xc853, 10);
  const count = Buffer.alloc(3);
  count.writeUInt16LE(data.length, 1);
  return Buffer.concat([header, count, data]);
}

describe('SESSION_SETUP', () => {
  test("the NTLM CHALLENGE tells the host's NetBIOS and DNS names, domain and OS build (Get Info reads them)", async () => {
    const h = await startHost('healthy', { osVersion: { major: 10, minor: 0, build: 26100 } });
    const info = await getHostInfo({ host: h.config.address, port: PORT, connectTimeoutMs: 2000 });
    assert.deepEqual(info, {
      dialect: '3.1.1', signingRequired: true, cipher: 'AES-128-GCM', netbiosName: h.config.name, netbiosDomain: 'LAB',
      dnsName: `${h.config.name.toLowerCase()}.lab.example`, dnsDomain: 'lab.example', osVersion: '10.0.26100',
    });
  });

  test('local accounts log on as user, .\\user, HOST\\user (any case) and with the NT hash; domain accounts as LAB\\user and user@dns-domain', async () => {
    const h = await startHost();
    for (const user of ['pushadmin', 'PUSHADMIN', '.\\pushadmin', `${h.config.name}\\pushadmin`, `${h.config.name.toLowerCase()}\\PushAdmin`]) {
      const { connection, session } = await logon(h, user);
      await session.logoff();
      connection.close();
    }
    for (const user of ['LAB\\domadmin', 'domadmin@lab.example', 'domadmin']) {
      const { connection } = await logon(h, user, 'Domain-Pa55');
      connection.close();
    }
    const connection = await SmbConnection.connect({ host: h.config.address, port: PORT, connectTimeoutMs: 2000 });
    await SmbSession.setup(connection, { user: 'pushadmin', ntHash: ntHash(PASSWORD) }, { targetHost: 'x' });
    connection.close();
    assert.equal(h.state.counters.logons, 9);
    assert.equal(h.state.counters.logonFailures, 0);
  });

  test('a wrong password, a wrong domain or a local account named under another domain is STATUS_LOGON_FAILURE, after the rate-limiter delay', async () => {
    const h = await startHost('healthy', {}, { logonFailureDelayMs: 300 });
    const t0 = Date.now();
    await expectClass(logon(h, USER, 'nope'), 'logon-failure', 'STATUS_LOGON_FAILURE');
    assert.ok(Date.now() - t0 >= 290, 'Windows 24H2 answers a failed NTLM logon after a delay');
    await expectClass(logon(h, 'OTHER\\pushadmin'), 'logon-failure', 'STATUS_LOGON_FAILURE');
    await expectClass(logon(h, 'LAB\\pushadmin'), 'logon-failure', 'STATUS_LOGON_FAILURE');
    await expectClass(logon(h, 'nobody'), 'logon-failure', 'STATUS_LOGON_FAILURE');
    assert.equal(h.state.counters.logonFailures, 4);
    assert.equal(h.state.sessions, 0);
  });

  test('an empty user name (an anonymous logon) is refused', async () => {
    const h = await startHost();
    const raw = await RawSmb.connect(h.config.address, PORT);
    assert.equal(await raw.logon('', ''), Status.LOGON_FAILURE);
    raw.close();
  });

  test('sessions are counted on the host: up at logon, down at logoff and when the connection drops; each change is reported', async () => {
    const h = await startHost();
    const a = await logon(h);
    const b = await logon(h);
    assert.equal(h.state.sessions, 2);
    assert.ok(h.state.busy);
    await a.session.logoff();
    assert.equal(h.state.sessions, 1);
    b.connection.close();
    a.connection.close();
    for (let i = 0; i < 50 && h.state.sessions > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(h.state.sessions, 0);
    assert.deepEqual(h.busyChanges, [1, 2, 1, 0]);
    assert.equal(h.state.counters.connections, 2);
  });
});

describe('signing is enforced on every request of a session', () => {
  test('a request signed with the wrong key is STATUS_ACCESS_DENIED', async () => {
    const h = await startHost();
    const { connection, session } = await logon(h);
    try {
      const forged = { ...session.security, signingKey: crypto.randomBytes(16) };
      const r = await connection.request(Command.TREE_CONNECT, encodeTreeConnectRequest(`\\\\${h.config.address}\\ADMIN$`), { session: forged });
      assert.equal(r.header.status, Status.ACCESS_DENIED);
      assert.match(h.log.join('\n'), /bad signature/);
    } finally {
      connection.close();
    }
  });

  test('an unsigned request is refused (answered unsigned, so the client reports an integrity error)', async () => {
    const h = await startHost();
    const { connection, session } = await logon(h);
    try {
      const unsigned = { ...session.security, signingRequired: false };
      await expectClass(connection.request(Command.TREE_CONNECT, encodeTreeConnectRequest(`\\\\${h.config.address}\\ADMIN$`), { session: unsigned }), 'smb-integrity');
      assert.match(h.log.join('\n'), /unsigned request/);
    } finally {
      connection.close();
    }
  });
});

describe('ADMIN$ in memory', () => {
  async function status(promise: Promise<unknown>): Promise<number> {
    try {
      await promise;
      return 0;
    } catch (error) {
      assert.ok(error instanceof SmbStatusError, String(error));
      return error.status;
    }
  }
  const open = (name: string, disposition: number, createOptions: number = CreateOptions.NON_DIRECTORY_FILE, desiredAccess: number = Access.GENERIC_READ | Access.GENERIC_WRITE | Access.DELETE) => ({
    name, desiredAccess, fileAttributes: FileAttributes.NORMAL, shareAccess: ShareAccess.READ | ShareAccess.WRITE | ShareAccess.DELETE, disposition, createOptions,
  });

  test('create dispositions: CREATE collides, OPEN needs the file, OVERWRITE_IF truncates, a missing parent is OBJECT_PATH_NOT_FOUND', async () => {
    const h = await startHost();
    const { connection, tree } = await adminTree(h);
    try {
      await tree.writeFile('a.txt', Buffer.from('hello world'));
      assert.equal(await status(tree.create(open('a.txt', Disposition.CREATE))), Status.OBJECT_NAME_COLLISION);
      assert.equal(await status(tree.create(open('b.txt', Disposition.OPEN))), Status.OBJECT_NAME_NOT_FOUND);
      assert.equal(await status(tree.create(open('b.txt', Disposition.OVERWRITE))), Status.OBJECT_NAME_NOT_FOUND);
      assert.equal(await status(tree.create(open('nofolder\\a.txt', Disposition.OVERWRITE_IF))), Status.OBJECT_PATH_NOT_FOUND);
      assert.equal(await status(tree.create(open('a.txt\\x.txt', Disposition.OVERWRITE_IF))), Status.OBJECT_PATH_NOT_FOUND);
      assert.equal(await status(tree.create(open('..\\win.ini', Disposition.OPEN))), 0xc0000033, 'OBJECT_NAME_INVALID');
      const id = await tree.create(open('a.txt', Disposition.OVERWRITE_IF));
      await tree.close(id);
      assert.equal(h.state.files.get('a.txt')?.length, 0, 'truncated');
      const id2 = await tree.create(open('c.txt', Disposition.OPEN_IF));
      await tree.close(id2);
      assert.ok(h.state.files.has('c.txt'));
    } finally {
      connection.close();
    }
  });

  test('folders: FILE_DIRECTORY_FILE vs a file, a file open of a folder, delete of a non-empty folder is STATUS_DIRECTORY_NOT_EMPTY', async () => {
    const h = await startHost();
    const { connection, tree } = await adminTree(h);
    try {
      await tree.mkdir('PushInstall');
      await tree.mkdir('PushInstall\\Run-1');
      await tree.mkdir('PushInstall\\Run-1');
      await tree.writeFile('PushInstall\\Run-1\\agent.exe', Buffer.alloc(1000, 1));
      assert.deepEqual([...h.state.directories].sort(), ['pushinstall', 'pushinstall\\run-1']);
      assert.equal(await status(tree.create(open('PushInstall\\Run-1\\agent.exe', Disposition.OPEN, CreateOptions.DIRECTORY_FILE))), 0xc0000103, 'NOT_A_DIRECTORY');
      assert.equal(await status(tree.create(open('PushInstall', Disposition.OPEN))), Status.FILE_IS_A_DIRECTORY);
      assert.equal(await status(tree.delete('PushInstall\\Run-1', { directory: true })), 0xc0000101, 'DIRECTORY_NOT_EMPTY');
      await tree.delete('PushInstall\\Run-1\\agent.exe');
      await tree.delete('PushInstall\\Run-1', { directory: true });
      await tree.delete('PushInstall', { directory: true });
      assert.deepEqual(h.state.leftovers(), { files: [], directories: [], services: [] });
    } finally {
      connection.close();
    }
  });

  test('delete-on-close removes the file at the last close; a dropped connection closes its handles the same way', async () => {
    const h = await startHost();
    const { connection, tree } = await adminTree(h);
    try {
      await tree.writeFile('x.bin', Buffer.alloc(10));
      const keep = await tree.create(open('x.bin', Disposition.OPEN));
      const doomed = await tree.create(open('x.bin', Disposition.OPEN, CreateOptions.NON_DIRECTORY_FILE | CreateOptions.DELETE_ON_CLOSE));
      await tree.close(doomed);
      assert.ok(h.state.files.has('x.bin'), 'another handle is still open');
      assert.equal(await status(tree.create(open('x.bin', Disposition.OPEN))), Status.DELETE_PENDING);
      await tree.close(keep);
      assert.ok(!h.state.files.has('x.bin'), 'gone at the last close');
      await tree.writeFile('y.bin', Buffer.alloc(10));
      await tree.create(open('y.bin', Disposition.OPEN, CreateOptions.NON_DIRECTORY_FILE | CreateOptions.DELETE_ON_CLOSE));
    } finally {
      connection.close();
    }
    for (let i = 0; i < 50 && h.state.files.has('y.bin'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(!h.state.files.has('y.bin'), 'the handle closed with the connection');
  });

  test('files other lab components put into or take out of the host state are seen over SMB at once', async () => {
    const h = await startHost();
    const { connection, tree } = await adminTree(h);
    try {
      h.state.files.set('job.txt', Buffer.from('from the agent'));
      assert.equal((await tree.readFile('job.txt')).toString(), 'from the agent');
      h.state.files.delete('job.txt');
      assert.equal(await status(tree.readFile('job.txt')), Status.OBJECT_NAME_NOT_FOUND);
    } finally {
      connection.close();
    }
  });

  test('end of file, size queries and the ADMIN$ quota (STATUS_DISK_FULL → target-disk-full)', async () => {
    const h = await startHost('healthy', {}, { maxShareBytes: 1024 * 1024 });
    const { connection, tree } = await adminTree(h);
    try {
      const id = await tree.create(open('grow.bin', Disposition.OVERWRITE_IF));
      const set = await tree.request(Command.SET_INFO, encodeSetInfoRequest({ fileId: id, infoClass: FileInfoClass.END_OF_FILE, buffer: Buffer.from([0, 0x10, 0, 0, 0, 0, 0, 0]) }));
      assert.equal(set.header.status, 0);
      const q = await tree.request(Command.QUERY_INFO, encodeQueryInfoRequest({ fileId: id, infoClass: FileInfoClass.STANDARD, outputLength: 24 }));
      assert.equal(decodeFileStandardInformation(decodeQueryInfoResponse(q.message)).endOfFile, 4096n);
      await tree.close(id);
      await expectClass(tree.writeFile('big.bin', Buffer.alloc(2 * 1024 * 1024)), 'target-disk-full', 'STATUS_DISK_FULL');
    } finally {
      connection.close();
    }
  });

  test('Windows wildcards: * ? and the DOS forms < > ", case-insensitive, without backtracking blow-up', () => {
    assert.ok(wildcardMatch('*', 'anything'));
    assert.ok(wildcardMatch('*.EXE', 'agent.exe'));
    assert.ok(wildcardMatch('a?ent.*', 'Agent.exe'));
    assert.ok(wildcardMatch('<.exe', 'agent.exe'));
    assert.ok(!wildcardMatch('*.exe', 'agent.exe.log'));
    const t0 = Date.now();
    assert.ok(!wildcardMatch(`${'*a'.repeat(200)}b`, 'a'.repeat(255)));
    assert.ok(Date.now() - t0 < 200);
  });
});

class ScriptedEndpoint implements PipeEndpoint {
  writes: Buffer[] = [];
  closed = 0;
  constructor(private readonly answer: (data: Buffer) => Promise<Buffer> | Buffer) {}
  async write(data: Buffer): Promise<Buffer> {
    this.writes.push(data);
    return this.answer(data);
  }
  close(): void {
    this.closed++;
  }
}

describe('FSCTL_VALIDATE_NEGOTIATE_INFO', () => {
  function validateInput(connection: SmbConnection, dialects: number[], securityMode = SecurityMode.SIGNING_ENABLED): Buffer {
    const head = Buffer.alloc(24);
    head.writeUInt32LE(Capabilities.LARGE_MTU | Capabilities.ENCRYPTION, 0);
    connection.clientGuid.copy(head, 4);
    head.writeUInt16LE(securityMode, 20);
    head.writeUInt16LE(dialects.length, 22);
    const list = Buffer.alloc(2 * dialects.length);
    dialects.forEach((d, i) => list.writeUInt16LE(d, 2 * i));
    return Buffer.concat([head, list]);
  }
  const ALL_ONES = { persistent: 0xffff_ffff_ffff_ffffn, volatile: 0xffff_ffff_ffff_ffffn };
  const offered = [0x0202, 0x0210, 0x0300, 0x0302];

  test('on 3.0.2 it answers the server side of the NEGOTIATE (capabilities, GUID, signing required, dialect), signed', async () => {
    const h = await startHost();
    const { connection, session } = await logon(h, USER, PASSWORD, offered);
    try {
      const ipc = await SmbTree.connect(session, h.config.address, 'IPC$');
      const r = await ipc.request(Command.IOCTL, encodeIoctlRequest({ ctlCode: 0x00140204, fileId: ALL_ONES, input: validateInput(connection, offered), maxOutputResponse: 24 }));
      assert.equal(r.header.status, 0);
      const out = decodeIoctlResponse(r.message).output;
      assert.equal(out.readUInt32LE(0), connection.negotiated.capabilities);
      assert.deepEqual(out.subarray(4, 20), connection.negotiated.serverGuid);
      assert.equal(out.readUInt16LE(20), connection.negotiated.securityMode);
      assert.equal(out.readUInt16LE(22), 0x0302);
    } finally {
      connection.close();
    }
  });

  test('a mismatch (a downgraded dialect list) ends the connection, and so does any VALIDATE on 3.1.1 (MS-SMB2 3.3.5.15.12)', async () => {
    const h = await startHost();
    for (const [dialects, claimed] of [[offered, [0x0202, 0x0210]], [undefined, [0x0202, 0x0210, 0x0300, 0x0302, 0x0311]]] as const) {
      const { connection, session } = await logon(h, USER, PASSWORD, dialects ? [...dialects] : undefined);
      try {
        const ipc = await SmbTree.connect(session, h.config.address, 'IPC$');
        await expectClass(ipc.request(Command.IOCTL, encodeIoctlRequest({ ctlCode: 0x00140204, fileId: ALL_ONES, input: validateInput(connection, [...claimed]), maxOutputResponse: 24 })), 'connection-lost');
      } finally {
        connection.close();
      }
    }
  });
});

describe('named pipes on IPC$', () => {
  function pipeHost(endpoints: ScriptedEndpoint[], answer: (data: Buffer) => Promise<Buffer> | Buffer, seen: { name: string; user: string; domain: string }[] = []) {
    const pipes: PipeFactory = (name, _host, session) => {
      seen.push({ name, ...session });
      if (name !== 'svcctl') return null;
      const e = new ScriptedEndpoint(answer);
      endpoints.push(e);
      return e;
    };
    return startHost('healthy', {}, { pipes });
  }

  test('CREATE hands the pipe name and the session user to the factory; an unknown pipe is OBJECT_NAME_NOT_FOUND', async () => {
    const endpoints: ScriptedEndpoint[] = [];
    const seen: { name: string; user: string; domain: string }[] = [];
    const h = await pipeHost(endpoints, (d) => d, seen);
    const { connection, session } = await logon(h, '.\\pushadmin');
    try {
      const ipc = await SmbTree.connect(session, h.config.address, 'IPC$');
      const pipe = await ipc.openPipe('svcctl');
      await expectClass(ipc.openPipe('srvsvc'), 'not-found', 'STATUS_OBJECT_NAME_NOT_FOUND');
      // .\\user: the console sends the host's own NetBIOS name as the domain (a local account).
      assert.deepEqual(seen, [{ name: 'svcctl', user: 'pushadmin', domain: h.config.name }, { name: 'srvsvc', user: 'pushadmin', domain: h.config.name }]);
      await pipe.close();
      assert.equal(endpoints[0]!.closed, 1, 'CLOSE closes the endpoint');
    } finally {
      connection.close();
    }
  });

  test('message mode: an answer larger than the read gets STATUS_BUFFER_OVERFLOW with its first part, the rest on the next READ', async () => {
    const endpoints: ScriptedEndpoint[] = [];
    const answer = crypto.randomBytes(5000);
    const h = await pipeHost(endpoints, () => answer);
    const { connection, session } = await logon(h);
    try {
      const ipc = await SmbTree.connect(session, h.config.address, 'IPC$');
      const pipe = await ipc.openPipe('svcctl');
      assert.deepEqual(await pipe.transceive(Buffer.from('bind'), 1024), answer, 'transceive + READ reassemble the message');
      await pipe.write(Buffer.from('request'));
      const first = await ipc.pipeRequest(Command.READ, encodeReadRequest({ fileId: pipe.fileId, offset: 0n, length: 3000 }), 'READ', 3000);
      assert.equal(first.header.status, Status.BUFFER_OVERFLOW);
      const rest = await ipc.pipeRequest(Command.READ, encodeReadRequest({ fileId: pipe.fileId, offset: 0n, length: 3000 }), 'READ', 3000);
      assert.equal(rest.header.status, 0);
      assert.deepEqual(endpoints[0]!.writes.map((w) => w.toString()), ['bind', 'request']);
    } finally {
      connection.close();
    }
    for (let i = 0; i < 50 && endpoints[0]!.closed === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(endpoints[0]!.closed, 1, 'a dropped connection closes the endpoint');
  });

  test('a slow RPC answer goes asynchronous (interim STATUS_PENDING) and does not hold up other requests on the connection', async () => {
    const endpoints: ScriptedEndpoint[] = [];
    const h = await pipeHost(endpoints, async (d) => {
      await new Promise((r) => setTimeout(r, 400));
      return Buffer.concat([Buffer.from('re:'), d]);
    });
    const { connection, session } = await logon(h);
    try {
      const ipc = await SmbTree.connect(session, h.config.address, 'IPC$');
      const pipe = await ipc.openPipe('svcctl');
      const t0 = Date.now();
      const slow = pipe.transceive(Buffer.from('call'));
      const echo = await connection.request(Command.ECHO, encodeEmptyBody(), { session: session.security });
      assert.equal(echo.header.status, 0);
      assert.ok(Date.now() - t0 < 300, 'ECHO answered while the pipe call waits');
      assert.equal((await slow).toString(), 're:call');
      assert.match(h.log.join('\n'), /STATUS_PENDING for IOCTL/);
    } finally {
      connection.close();
    }
  });

  test('an endpoint that fails breaks the pipe: STATUS_PIPE_BROKEN', async () => {
    const endpoints: ScriptedEndpoint[] = [];
    const h = await pipeHost(endpoints, () => Promise.reject(new Error('rpc server crashed')));
    const { connection, session } = await logon(h);
    try {
      const ipc = await SmbTree.connect(session, h.config.address, 'IPC$');
      const pipe = await ipc.openPipe('svcctl');
      await expectClass(pipe.transceive(Buffer.from('x')), 'smb-protocol', 'STATUS_PIPE_BROKEN');
    } finally {
      connection.close();
    }
  });
});

describe('compounds and credits', () => {
  async function rawAdmin(h: Host): Promise<{ raw: RawSmb; treeId: number }> {
    const raw = await RawSmb.connect(h.config.address, PORT);
    assert.equal(await raw.logon(USER, PASSWORD), 0);
    const tc = await raw.request({ command: Command.TREE_CONNECT, body: encodeTreeConnectRequest(`\\\\${h.config.address}\\ADMIN$`) });
    return { raw, treeId: tc!.header.treeId };
  }
  const ALL_ONES = { persistent: 0xffff_ffff_ffff_ffffn, volatile: 0xffff_ffff_ffff_ffffn };
  const create = (name: string, disposition: number) =>
    encodeCreateRequest({ name, desiredAccess: Access.GENERIC_READ | Access.GENERIC_WRITE, fileAttributes: 0, shareAccess: 7, disposition, createOptions: CreateOptions.NON_DIRECTORY_FILE });
  function chain(raw: RawSmb, parts: { command: number; body: Buffer; related?: boolean }[], treeId: number): Buffer {
    const messages = parts.map((p, i) => {
      let m = raw.message({ command: p.command, body: p.body, treeId, flags: p.related ? HeaderFlags.RELATED_OPERATIONS : 0 }, false);
      if (i < parts.length - 1) {
        m = Buffer.concat([m, Buffer.alloc((8 - (m.length % 8)) % 8)]);
        m.writeUInt32LE(m.length, 20);
      }
      return m;
    });
    for (const m of messages) {
      if (raw.signingKey) signRaw(raw.signingKey, m);
    }
    return Buffer.concat(messages);
  }

  function split(message: Buffer): { status: number; command: number; flags: number }[] {
    const out = [];
    for (let at = 0; ; ) {
      const h = decodeHeader(message.subarray(at));
      out.push({ status: h.status >>> 0, command: h.command, flags: h.flags });
      if (h.nextCommand === 0) return out;
      at += h.nextCommand;
    }
  }

  test('a related CREATE + WRITE + CLOSE chain works on the FileId the CREATE made; each response is signed', async () => {
    const h = await startHost();
    const { raw, treeId } = await rawAdmin(h);
    raw.sendFrame(chain(raw, [
      { command: Command.CREATE, body: create('chained.txt', Disposition.OVERWRITE_IF) },
      { command: Command.WRITE, body: encodeWriteRequest({ fileId: ALL_ONES, offset: 0n, data: Buffer.from('compound') }), related: true },
      { command: Command.CLOSE, body: encodeCloseRequest(ALL_ONES), related: true },
    ], treeId));
    const got = await raw.next();
    assert.equal(got.kind, 'frame');
    const parts = split((got as { data: Buffer }).data);
    assert.deepEqual(parts.map((p) => p.status), [0, 0, 0]);
    assert.ok(parts.every((p) => p.flags & HeaderFlags.SIGNED));
    assert.ok(parts.slice(1).every((p) => p.flags & HeaderFlags.RELATED_OPERATIONS));
    assert.equal(h.state.files.get('chained.txt')?.toString(), 'compound');
    raw.close();
  });

  test('when the CREATE of a related chain fails, the operations after it fail with its status', async () => {
    const h = await startHost();
    const { raw, treeId } = await rawAdmin(h);
    raw.sendFrame(chain(raw, [
      { command: Command.CREATE, body: create('missing.txt', Disposition.OPEN) },
      { command: Command.READ, body: encodeReadRequest({ fileId: ALL_ONES, offset: 0n, length: 10 }), related: true },
      { command: Command.CLOSE, body: encodeCloseRequest(ALL_ONES), related: true },
    ], treeId));
    const got = await raw.next();
    assert.deepEqual(split((got as { data: Buffer }).data).map((p) => p.status), [Status.OBJECT_NAME_NOT_FOUND, Status.OBJECT_NAME_NOT_FOUND, Status.OBJECT_NAME_NOT_FOUND]);
    raw.close();
  });

  test('unrelated compounds are answered in one chain; credits are granted up to the cap; a message id beyond the window ends the connection', async () => {
    const h = await startHost();
    const { raw, treeId } = await rawAdmin(h);
    raw.sendFrame(chain(raw, [{ command: Command.ECHO, body: encodeEmptyBody() }, { command: Command.ECHO, body: encodeEmptyBody() }], treeId));
    const got = await raw.next();
    assert.deepEqual(split((got as { data: Buffer }).data).map((p) => p.command), [Command.ECHO, Command.ECHO]);
    const big = await raw.request({ command: Command.ECHO, body: encodeEmptyBody(), credits: 60000 });
    assert.ok(big!.header.credits <= 512 && big!.header.credits > 0, `granted ${big!.header.credits}`);
    raw.sendFrame(raw.message({ command: Command.ECHO, body: encodeEmptyBody(), messageId: raw.nextMessageId + 100_000n }));
    assert.equal((await raw.next()).kind, 'closed');
  });

  test('a pipe READ that waits inside a chain: last in the chain it goes asynchronous; in the middle it fails after a bounded wait; the connection never stalls', async () => {
    const quiet: PipeEndpoint = { write: async () => Buffer.alloc(0), close: () => undefined };
    const h = await startHost('healthy', {}, { pipes: () => quiet });
    const raw = await RawSmb.connect(h.config.address, PORT);
    assert.equal(await raw.logon(USER, PASSWORD), 0);
    const ipc = (await raw.request({ command: Command.TREE_CONNECT, body: encodeTreeConnectRequest(`\\\\${h.config.address}\\IPC$`) }))!.header.treeId;
    const c = await raw.request({ command: Command.CREATE, treeId: ipc, body: encodeCreateRequest({ name: 'svcctl', desiredAccess: 0x0012019f, fileAttributes: 0, shareAccess: 3, disposition: Disposition.OPEN, createOptions: CreateOptions.NON_DIRECTORY_FILE }) });
    const fileId = decodeCreateResponse(c!.message).fileId;
    const read = () => ({ command: Command.READ, body: encodeReadRequest({ fileId, offset: 0n, length: 1024 }) });
    raw.sendFrame(chain(raw, [{ command: Command.ECHO, body: encodeEmptyBody() }, read()], ipc));
    const first = split(((await raw.next()) as { data: Buffer }).data);
    assert.deepEqual(first.map((p) => [p.command, p.status]), [[Command.ECHO, 0], [Command.READ, Status.PENDING]]);
    assert.ok(first[1]!.flags & HeaderFlags.ASYNC_COMMAND);
    const t0 = Date.now();
    raw.sendFrame(chain(raw, [read(), { command: Command.ECHO, body: encodeEmptyBody() }], ipc));
    const second = split(((await raw.next(3000)) as { data: Buffer }).data);
    assert.deepEqual(second.map((p) => [p.command, p.status]), [[Command.READ, 0xc00000e5], [Command.ECHO, 0]], 'STATUS_INTERNAL_ERROR, then the ECHO');
    assert.ok(Date.now() - t0 < 2000);
    raw.close();
  });

  test('a WRITE larger than its credit charge covers is STATUS_INVALID_PARAMETER (MS-SMB2 3.3.5.2.5)', async () => {
    const h = await startHost();
    const { raw, treeId } = await rawAdmin(h);
    const c = await raw.request({ command: Command.CREATE, body: create('w.bin', Disposition.OVERWRITE_IF), treeId });
    const fileId = decodeCreateResponse(c!.message).fileId;
    const w = await raw.request({ command: Command.WRITE, body: encodeWriteRequest({ fileId, offset: 0n, data: Buffer.alloc(200_000) }), treeId, creditCharge: 1 });
    assert.equal(w!.header.status, Status.INVALID_PARAMETER);
    const ok = await raw.request({ command: Command.WRITE, body: encodeWriteRequest({ fileId, offset: 0n, data: Buffer.alloc(200_000) }), treeId, creditCharge: 4 });
    assert.equal(ok!.header.status, 0);
    raw.close();
  });
});

function signRaw(key: Buffer, message: Buffer): void {
  const hmac = crypto.createHmac('sha256', key);
  message.writeUInt32LE((message.readUInt32LE(16) | HeaderFlags.SIGNED) >>> 0, 16);
  message.fill(0, 48, 64);
  hmac.update(message).digest().subarray(0, 16).copy(message, 48);
}

describe('hostile framing ends only that connection', () => {
  test('an oversized length prefix, a non-zero frame type, a bad protocol id and a bad NextCommand each close the connection; the host keeps serving', async () => {
    const h = await startHost();
    const cases: Buffer[] = [
      Buffer.from([0x00, 0xff, 0xff, 0xff]),
      Buffer.from([0x85, 0x00, 0x00, 0x00]),
      framed(Buffer.from('GET / HTTP/1.1\r\n\r\n')),
      framed(Buffer.concat([Buffer.from([0xfd, 0x53, 0x4d, 0x42]), crypto.randomBytes(120)])),
    ];
    const badNext = await RawSmb.connect(h.config.address, PORT);
    const m = badNext.message({ command: Command.NEGOTIATE, body: negotiateBody([0x0210]), nextCommand: 12 }, false);
    cases.push(framed(m));
    for (const bytes of cases) {
      const raw = await RawSmb.connect(h.config.address, PORT);
      raw.sendBytes(bytes);
      const t0 = Date.now();
      assert.equal((await raw.next(2000)).kind, 'closed', bytes.subarray(0, 8).toString('hex'));
      assert.ok(Date.now() - t0 < 1000);
    }
    badNext.close();
    const { connection, tree } = await adminTree(h);
    await tree.writeFile('still-up.txt', Buffer.from('ok'));
    connection.close();
  });

  test('a malformed request body is answered STATUS_INVALID_PARAMETER and the connection stays', async () => {
    const h = await startHost();
    const raw = await RawSmb.connect(h.config.address, PORT);
    const body = negotiateBody([0x0210]);
    body.writeUInt16LE(1000, 2); // DialectCount far past the message
    const r = await raw.request({ command: Command.NEGOTIATE, body });
    assert.equal(r?.header.status, Status.INVALID_PARAMETER);
    const ok = await raw.request({ command: Command.NEGOTIATE, body: negotiateBody([0x0210]) });
    assert.equal(ok?.header.status, 0);
    raw.close();
  });
});

describe('slow-link', () => {
  test('caps bytes per second each way (512 KiB at 512 KiB/s takes about a second up and a second down)', async () => {
    const rate = 512 * 1024;
    const h = await startHost('slow-link', { bandwidthBytesPerSec: rate });
    const { connection, tree } = await adminTree(h);
    try {
      const data = crypto.randomBytes(512 * 1024);
      let t0 = Date.now();
      await tree.writeFile('slow.bin', data);
      const up = Date.now() - t0;
      t0 = Date.now();
      assert.deepEqual(await tree.readFile('slow.bin'), data);
      const down = Date.now() - t0;
      console.log(`  slow-link 512 KiB/s: 512 KiB up in ${up} ms, down in ${down} ms`);
      assert.ok(up >= 850 && up < 4000, `upload took ${up} ms`);
      assert.ok(down >= 850 && down < 4000, `download took ${down} ms`);
    } finally {
      connection.close();
    }
  });
});

describe('NTLM flags', () => {
  test('the CHALLENGE echoes the client-requested SIGN, SEAL, KEY_EXCH and 128-bit flags and always sets TARGET_INFO and VERSION', async () => {
    const { challengeFlags } = await import('../../main/lab/smb/ntlmServer.js');
    const flags = challengeFlags(NegotiateFlag.UNICODE | NegotiateFlag.SIGN | NegotiateFlag.KEY_EXCH | NegotiateFlag.KEY_128 | NegotiateFlag.EXTENDED_SESSIONSECURITY);
    for (const f of [NegotiateFlag.UNICODE, NegotiateFlag.SIGN, NegotiateFlag.KEY_EXCH, NegotiateFlag.KEY_128, NegotiateFlag.TARGET_INFO, NegotiateFlag.VERSION, NegotiateFlag.EXTENDED_SESSIONSECURITY]) {
      assert.ok(flags & f, `flag 0x${f.toString(16)}`);
    }
    assert.equal(flags & NegotiateFlag.SEAL, 0, 'SEAL only when asked');
  });
});
