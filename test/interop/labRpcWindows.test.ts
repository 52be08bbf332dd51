// The lab's DCE/RPC over real SMB2 (our client against the lab's SMB server on loopback), under the
// Windows personality: the bind_ack through FSCTL_PIPE_TRANSCEIVE says 4280 and \PIPE\ntsvcs; a
// response larger than the IOCTL's MaxOutputResponse comes back as STATUS_BUFFER_OVERFLOW and the
// rest by READ (MS-SMB2 3.3.5.15.8), fragments of at most 4280 bytes; an unknown opnum is a fault
// PDU inside a successful IOCTL and the pipe keeps serving.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { LabHostState } from '../../main/lab/hostState.js';
import { startLabSmbHost, type LabSmbHost } from '../../main/lab/smb/server.js';
import { svcctlPipeFactory } from '../../main/lab/rpc/svcctlServer.js';
import { SmbConnection } from '../../main/smb/connection.js';
import { SmbSession } from '../../main/smb/session.js';
import { SmbTree } from '../../main/smb/tree.js';
import { Command } from '../../main/smb/codec/header.js';
import { FSCTL_PIPE_TRANSCEIVE, decodeIoctlResponse, encodeIoctlRequest } from '../../main/smb/codec/ioctl.js';
import { Status } from '../../main/smb/ntstatus.js';
import { DceRpcClient } from '../../main/rpc/rpcClient.js';
import { RpcFaultError } from '../../main/rpc/errors.js';
import { NDR20, decodeBindAck, decodeCallPdu, encodeBind, encodeRequestFragments } from '../../main/rpc/pdu.js';
import { Opnum, SVCCTL, decodeCreateService, decodeHandleResponse, encodeCreateService, encodeOpenSCManager, encodeQueryServiceConfig } from '../../main/rpc/scmr.js';
import { labHostConfig } from '../support/labHost.js';

const PORT = 14510; // this file's port; addresses 127.0.160.x
const USER = 'pushadmin';
const PASSWORD = 'Secret-Pa55';
const hosts: LabSmbHost[] = [];
after(async () => {
  await Promise.all(hosts.map((h) => h.close()));
});

async function svcctlPipe(n: number) {
  const config = labHostConfig(n, '127.0.160', { port: PORT, accounts: [{ user: USER, password: PASSWORD, domain: '' }], installTimeMs: 100 });
  const state = new LabHostState(config);
  hosts.push(await startLabSmbHost(state, { pipes: svcctlPipeFactory(() => ({ startAgent: () => undefined })), log: () => undefined, logonFailureDelayMs: 0 }));
  const connection = await SmbConnection.connect({ host: config.address, port: PORT, connectTimeoutMs: 3000, requestTimeoutMs: 20_000 });
  const session = await SmbSession.setup(connection, { user: USER, password: PASSWORD }, { targetHost: config.address });
  const tree = await SmbTree.connect(session, config.address, 'IPC$');
  return { connection, tree, state, pipe: await tree.openPipe('svcctl') };
}

test('windows lab over SMB: bind_ack 4280 / \\PIPE\\ntsvcs; a 10 KB answer is BUFFER_OVERFLOW then READ in ≤4280-byte fragments; an unknown opnum faults inside a SUCCESS IOCTL', { timeout: 60_000 }, async () => {
  const { connection, tree, state, pipe } = await svcctlPipe(1);
  try {
    const ack = decodeBindAck(await pipe.transceive(encodeBind({ callId: 1, maxXmitFrag: 4280, maxRecvFrag: 4280, contextId: 0, abstract: SVCCTL, transfer: NDR20 }), 4280));
    assert.deepEqual([ack.maxXmitFrag, ack.maxRecvFrag, ack.secondaryAddress], [4280, 4280, '\\PIPE\\ntsvcs']);

    // Carry on over the same association with calls made by hand: 3 ROpenSCManagerW, 4 RCreateServiceW.
    const call = async (callId: number, opnum: number, stub: Buffer) => {
      const fragments = encodeRequestFragments({ callId, contextId: 0, opnum, stub, maxFrag: 4280 });
      for (const f of fragments.slice(0, -1)) await pipe.write(f); // the 10 KB path goes in several request fragments
      const pdu = decodeCallPdu(await pipe.transceive(fragments[fragments.length - 1]!, 4280));
      if (pdu.kind !== 'response') throw new Error(`fault 0x${pdu.status.toString(16)}`);
      return pdu.stub;
    };
    const scm = decodeHandleResponse(await call(3, Opnum.ROpenSCManagerW, encodeOpenSCManager({ machineName: null, databaseName: 'ServicesActive', desiredAccess: 0xf003f })), 'x').handle;
    const binaryPath = `C:\\${'p'.repeat(5000)}.exe`;
    const service = decodeCreateService(await call(4, Opnum.RCreateServiceW, encodeCreateService({ scm, serviceName: 'Big', displayName: 'Big', binaryPath }))).handle;

    // RQueryServiceConfigW by a raw IOCTL with MaxOutputResponse 4280: the 10 KB answer overflows it.
    const [query] = encodeRequestFragments({ callId: 5, contextId: 0, opnum: Opnum.RQueryServiceConfigW, stub: encodeQueryServiceConfig({ service, bufSize: 8192 }), maxFrag: 4280 });
    const response = await tree.pipeRequest(Command.IOCTL, encodeIoctlRequest({ ctlCode: FSCTL_PIPE_TRANSCEIVE, fileId: pipe.fileId, input: query!, maxOutputResponse: 4280 }), 'IOCTL svcctl', 4280);
    assert.equal(response.header.status, Status.BUFFER_OVERFLOW);
    const first = Buffer.from(decodeIoctlResponse(response.message).output);
    assert.equal(first.length, 4280);
    const all = Buffer.concat([first, await pipe.read(4280)]);
    const fragments: Buffer[] = [];
    for (let at = 0; at < all.length; at += all.readUInt16LE(at + 8)) fragments.push(all.subarray(at, at + all.readUInt16LE(at + 8)));
    assert.ok(fragments.length >= 3 && fragments.every((f) => f.length <= 4280), `${fragments.length} fragments`);
    assert.ok(fragments.reduce((n, f) => n + f.length - 24, 0) > 10_000);
    assert.ok(state.counters.bufferOverflowReads >= 1, 'the lab counted its STATUS_BUFFER_OVERFLOW answer');

    // A fresh association through our client: an unknown opnum is a fault (the IOCTL succeeded), then a call works.
    const { connection: other, pipe: second } = await svcctlPipe(2);
    after(() => other.close());
    const rpc = await DceRpcClient.bind(second, SVCCTL);
    await assert.rejects(rpc.call(44, Buffer.alloc(20), 'opnum 44'), (e: unknown) => e instanceof RpcFaultError && e.status === 0x1c010002);
    const open = decodeHandleResponse(await rpc.call(Opnum.ROpenSCManagerW, encodeOpenSCManager({ machineName: null, databaseName: 'ServicesActive', desiredAccess: 1 }), 'ROpenSCManagerW'), 'x');
    assert.equal(open.code, 0);
  } finally {
    connection.close();
  }
});
