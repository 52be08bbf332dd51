// The lab's DCE/RPC server on the wire: bind negotiation as Windows does it (fragment sizes, NDR
// 2.0 accepted and others rejected per context, unknown interfaces refused), alter_context,
// request reassembly and response fragmentation at a small negotiated size, and a fault — never a
// crash — for unknown opnums, bad stubs and protocol errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DceRpcClient } from '../../main/rpc/rpcClient.js';
import { NDR20, PfcFlags, decodeBindAck, decodeCallPdu, decodeHeader, encodeBind, encodeRequestFragments, encodeUuid, type SyntaxId } from '../../main/rpc/pdu.js';
import { NdrReader, NdrWriter } from '../../main/rpc/ndr.js';
import { RpcBindError, RpcFaultError } from '../../main/rpc/errors.js';
import { Opnum, ScmrClient, SVCCTL, ServiceState, encodeCreateService, encodeOpenSCManager } from '../../main/rpc/scmr.js';
import { createService, startAndWait, stopAndDelete } from '../../main/rpc/serviceLifecycle.js';
import { createSvcctlEndpoint } from '../../main/lab/rpc/svcctlServer.js';
import { reportServiceStopped } from '../../main/lab/rpc/serviceStatus.js';
import type { LabHostState } from '../../main/lab/hostState.js';
import { EndpointPipe, pdusOf } from '../support/labPipe.js';
import { AGENT_BINARY_PATH, AGENT_PATH, labHostState, putAdminFile } from '../support/labHost.js';

const NDR64: SyntaxId = { uuid: '71710533-beba-4937-8319-b5dbef9ccc36', major: 1, minor: 0 };
const BTFN: SyntaxId = { uuid: '6cb71c2c-9812-4540-0300-000000000000', major: 1, minor: 0 };
const OTHER: SyntaxId = { uuid: '12345778-1234-abcd-ef00-0123456789ab', major: 0, minor: 0 }; // lsarpc

function endpoint(state: LabHostState = labHostState(), options = {}) {
  return createSvcctlEndpoint(state, { startAgent: (s) => (s.stop = () => setImmediate(() => reportServiceStopped(state, s, 14))) }, {
    onInternalError: (e) => assert.fail(`internal error: ${String(e)}`),
    ...options,
  });
}

/** A bind (ptype 11) or alter_context (14) with any contexts, each with any transfer syntaxes. */
function rawBind(opts: { ptype?: number; callId?: number; maxXmit?: number; maxRecv?: number; contexts: { id: number; abstract: SyntaxId; transfers: SyntaxId[] }[]; authLength?: number }): Buffer {
  const parts: Buffer[] = [];
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16LE(opts.maxXmit ?? 4280, 0);
  fixed.writeUInt16LE(opts.maxRecv ?? 4280, 2);
  fixed[8] = opts.contexts.length;
  parts.push(fixed);
  for (const ctx of opts.contexts) {
    const head = Buffer.alloc(24);
    head.writeUInt16LE(ctx.id, 0);
    head[2] = ctx.transfers.length;
    encodeUuid(ctx.abstract.uuid).copy(head, 4);
    head.writeUInt16LE(ctx.abstract.major, 20);
    head.writeUInt16LE(ctx.abstract.minor, 22);
    parts.push(head);
    for (const t of ctx.transfers) {
      const s = Buffer.alloc(20);
      encodeUuid(t.uuid).copy(s, 0);
      s.writeUInt32LE(t.major | (t.minor << 16), 16);
      parts.push(s);
    }
  }
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(16);
  h.set([5, 0, opts.ptype ?? 11, 3]);
  h.writeUInt32BE(0x10000000, 4);
  h.writeUInt16LE(16 + body.length, 8);
  h.writeUInt16LE(opts.authLength ?? 0, 10);
  h.writeUInt32LE(opts.callId ?? 1, 12);
  return Buffer.concat([h, body]);
}

const request = (callId: number, opnum: number, stub: Buffer, contextId = 0, maxFrag = 4280) => encodeRequestFragments({ callId, contextId, opnum, stub, maxFrag });

function faultStatus(message: Buffer): number {
  const pdu = decodeCallPdu(message);
  assert.equal(pdu.kind, 'fault', `expected a fault, got ${pdu.kind}`);
  return pdu.kind === 'fault' ? pdu.status : -1;
}

describe('lab DCE/RPC server: bind', () => {
  test('fragment sizes: the smaller of the client\'s and 4280, each way', async () => {
    for (const [xmit, recv, wantXmit, wantRecv] of [[4280, 4280, 4280, 4280], [5840, 5840, 4280, 4280], [1024, 2048, 2048, 1024], [65535, 32, 32, 4280]] as const) {
      const ack = decodeBindAck(await endpoint().write(rawBind({ maxXmit: xmit, maxRecv: recv, contexts: [{ id: 0, abstract: SVCCTL, transfers: [NDR20] }] })));
      assert.equal(ack.maxXmitFrag, wantXmit, `server's max_xmit for client ${xmit}/${recv}`);
      assert.equal(ack.maxRecvFrag, wantRecv);
      assert.equal(ack.secondaryAddress, '\\PIPE\\ntsvcs', 'Windows: svcctl is an alias of ntsvcs');
      assert.deepEqual(ack.results, [{ result: 0, reason: 0, transfer: NDR20 }]);
    }
  });

  test('per context: NDR 2.0 accepted, NDR64 alone rejected (2/2), another interface rejected (2/1), feature negotiation acknowledged', async () => {
    const ack = decodeBindAck(
      await endpoint().write(
        rawBind({
          contexts: [
            { id: 0, abstract: SVCCTL, transfers: [NDR64] },
            { id: 1, abstract: SVCCTL, transfers: [NDR64, NDR20] },
            { id: 2, abstract: OTHER, transfers: [NDR20] },
            { id: 3, abstract: SVCCTL, transfers: [BTFN] },
            { id: 4, abstract: { ...SVCCTL, major: 1 }, transfers: [NDR20] },
          ],
        }),
      ),
    );
    assert.deepEqual(
      ack.results.map((r) => [r.result, r.reason]),
      [[2, 2], [0, 0], [2, 1], [3, 3], [2, 1]], // negotiate_ack echoes the offered feature bits (Windows)
    );
    assert.deepEqual(ack.results[1]!.transfer, NDR20);
  });

  test('our client refuses a bind to another interface with a typed error; the server answered, not crashed', async () => {
    const pipe = new EndpointPipe(endpoint());
    await assert.rejects(DceRpcClient.bind(pipe, OTHER), RpcBindError);
  });

  test('bind_nak: a second bind, RPC-level authentication, an RPC version other than 5.0, fragments under 32 bytes', async () => {
    const nakReason = (b: Buffer) => {
      const h = decodeHeader(b);
      assert.equal(h.ptype, 13, 'bind_nak');
      return b.readUInt16LE(16);
    };
    const ep = endpoint();
    decodeBindAck(await ep.write(rawBind({ contexts: [{ id: 0, abstract: SVCCTL, transfers: [NDR20] }] })));
    assert.equal(nakReason(await ep.write(rawBind({ callId: 2, contexts: [{ id: 0, abstract: SVCCTL, transfers: [NDR20] }] }))), 0);
    // An NTLM auth trailer (8-byte sec_trailer + 16 bytes of token): this lab serves no RPC-level authentication.
    const withAuth = patchLength(Buffer.concat([rawBind({ authLength: 16, contexts: [{ id: 0, abstract: SVCCTL, transfers: [NDR20] }] }), Buffer.alloc(24)]));
    assert.equal(nakReason(await endpoint().write(withAuth)), 8);
    const v4 = rawBind({ contexts: [{ id: 0, abstract: SVCCTL, transfers: [NDR20] }] });
    v4[0] = 4;
    assert.equal(nakReason(await endpoint().write(v4)), 4);
    assert.equal(nakReason(await endpoint().write(rawBind({ maxRecv: 16, contexts: [{ id: 0, abstract: SVCCTL, transfers: [NDR20] }] }))), 2);
  });

  test('alter_context adds a context (alter_context_resp, no secondary address); calls on it work; an unknown context faults nca_s_unk_if', async () => {
    const ep = endpoint();
    decodeBindAck(await ep.write(rawBind({ contexts: [{ id: 0, abstract: SVCCTL, transfers: [NDR20] }] })));
    const resp = await ep.write(rawBind({ ptype: 14, callId: 2, contexts: [{ id: 7, abstract: SVCCTL, transfers: [NDR20] }] }));
    assert.equal(resp[2], 15);
    assert.equal(resp.readUInt16LE(24), 0, 'empty secondary address');
    const open = await ep.write(request(3, Opnum.ROpenSCManagerW, encodeOpenSCManager({ machineName: null, databaseName: 'ServicesActive', desiredAccess: 1 }), 7)[0]!);
    const pdu = decodeCallPdu(open);
    assert.equal(pdu.kind, 'response');
    assert.equal(pdu.kind === 'response' && pdu.stub.readUInt32LE(20), 0, 'ERROR_SUCCESS');
    assert.equal(faultStatus(await ep.write(request(4, Opnum.ROpenSCManagerW, encodeOpenSCManager({ machineName: null, databaseName: 'ServicesActive', desiredAccess: 1 }), 9)[0]!)), 0x1c010003);
  });
});

/** Patches frag_length after appending an auth trailer. */
function patchLength(b: Buffer): Buffer {
  b.writeUInt16LE(b.length, 8);
  return b;
}

describe('lab DCE/RPC server: calls', () => {
  test('a 48-byte fragment size both ways: the whole lifecycle works, requests arrive in pieces, answers leave in pieces', async () => {
    const state = labHostState();
    putAdminFile(state, AGENT_PATH, Buffer.from('MZ'));
    const pipe = new EndpointPipe(endpoint(state));
    const scmr = await ScmrClient.bind(pipe, { maxFrag: 48 });
    const scm = await scmr.openSCManager();
    const writesBefore = pipe.written.length;
    const installed = await createService(scmr, scm, { name: 'PushInstallAgent-frag', displayName: 'Push Install Agent', binaryPath: AGENT_BINARY_PATH });
    assert.ok(pipe.written.length - writesBefore > 5, `RCreateServiceW went out in ${pipe.written.length - writesBefore} fragments`);
    const status = await startAndWait(scmr, installed.service, installed.name, { pollIntervalMs: 1 });
    assert.equal(status.currentState, ServiceState.RUNNING);
    const answer = pipe.answers[pipe.answers.length - 1]!; // RQueryServiceStatus: a 32-byte stub
    const pdus = pdusOf(answer);
    assert.equal(pdus.length, 2);
    assert.deepEqual(pdus.map((p) => p[3]! & 3), [PfcFlags.FIRST_FRAG, PfcFlags.LAST_FRAG]);
    for (const message of pipe.answers.slice(1)) for (const p of pdusOf(message)) assert.ok(p.length <= 48, `a ${p.length}-byte fragment`); // after the bind_ack
    await stopAndDelete(scmr, installed.service, installed.name, { pollIntervalMs: 1 });
    assert.equal(state.services.size, 0);
  });

  test('a response over 4280 bytes (RQueryServiceConfigW of a long path) leaves in fragments our client reassembles', async () => {
    const state = labHostState();
    const pipe = new EndpointPipe(endpoint(state));
    const rpc = await DceRpcClient.bind(pipe, SVCCTL);
    const longPath = `%SystemRoot%\\PushInstall\\${'d'.repeat(3000)}\\PushInstallAgent.exe --console 10.0.0.1:2224`;
    const scmStub = await rpc.call(Opnum.ROpenSCManagerW, encodeOpenSCManager({ machineName: null, databaseName: 'ServicesActive', desiredAccess: 0xf003f }), 'ROpenSCManagerW');
    const scm = scmStub.subarray(0, 20);
    const created = await rpc.call(Opnum.RCreateServiceW, encodeCreateService({ scm, serviceName: 'Long', displayName: 'Long', binaryPath: longPath }), 'RCreateServiceW');
    const handle = created.subarray(4, 24);
    assert.equal(created.readUInt32LE(24), 0);
    const small = await rpc.call(17, new NdrWriter().contextHandle(handle).u32(0).toBuffer(), 'RQueryServiceConfigW');
    const needed = small.readUInt32LE(small.length - 8);
    assert.equal(small.readUInt32LE(small.length - 4), 122, 'ERROR_INSUFFICIENT_BUFFER first, with the size needed');
    assert.ok(needed > 6000);
    const stub = await rpc.call(17, new NdrWriter().contextHandle(handle).u32(needed).toBuffer(), 'RQueryServiceConfigW');
    const lastAnswer = pipe.answers[pipe.answers.length - 1]!;
    assert.equal(pdusOf(lastAnswer).length, 2, 'two fragments');
    const r = new NdrReader(stub, 'config');
    assert.deepEqual([r.u32('type'), r.u32('start'), r.u32('error')], [0x10, 3, 0]);
    const pointers = [r.pointer('bin'), r.pointer('group'), r.u32('tag'), r.pointer('deps'), r.pointer('start'), r.pointer('display')];
    assert.deepEqual(pointers, [true, true, 0, true, true, true]);
    assert.equal(r.conformantVaryingString('bin', 40000), longPath);
    assert.equal(r.conformantVaryingString('group', 10), '');
    assert.equal(r.conformantVaryingString('deps', 10), '');
    assert.equal(r.conformantVaryingString('start', 100), 'LocalSystem');
    assert.equal(r.conformantVaryingString('display', 100), 'Long');
    assert.equal(r.u32('needed'), needed);
    assert.equal(r.returnCode(), 0);
  });

  test('faults: unknown opnum nca_s_op_rng_error, undecodable stub RPC_X_BAD_STUB_DATA; the association lives on', async () => {
    const pipe = new EndpointPipe(endpoint());
    const rpc = await DceRpcClient.bind(pipe, SVCCTL);
    for (const opnum of [3, 14, 20, 44, 0xffff]) {
      await assert.rejects(rpc.call(opnum, Buffer.alloc(20), `opnum ${opnum}`), (e: unknown) => e instanceof RpcFaultError && e.status === 0x1c010002);
    }
    for (const [opnum, stub] of [[15, Buffer.from('abc')], [16, Buffer.alloc(20)], [12, Buffer.alloc(24, 0xff)], [0, Buffer.alloc(19)], [19, Buffer.concat([Buffer.alloc(20), Buffer.from([1, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0])])]] as const) {
      await assert.rejects(rpc.call(opnum, stub, `opnum ${opnum}`), (e: unknown) => e instanceof RpcFaultError && e.status === 0x6f7, `opnum ${opnum}`);
    }
    const ok = await rpc.call(Opnum.ROpenSCManagerW, encodeOpenSCManager({ machineName: 'LAB-PC-001', databaseName: 'ServicesActive', desiredAccess: 1 }), 'ROpenSCManagerW');
    assert.equal(ok.readUInt32LE(20), 0);
    assert.equal((await rpc.call(Opnum.ROpenSCManagerW, new NdrWriter().uniqueString(null).uniqueString('ServicesFailed').u32(1).toBuffer(), 'x')).readUInt32LE(20), 1065);
  });

  test('protocol errors fault nca_s_proto_error: a request before bind, a fragment without its first, one over max_recv_frag, a stub over the bound', async () => {
    assert.equal(faultStatus(await endpoint().write(request(1, 15, Buffer.alloc(12))[0]!)), 0x1c01000b);
    const bound = async (options = {}) => {
      const ep = endpoint(labHostState(), options);
      decodeBindAck(await ep.write(encodeBind({ callId: 1, maxXmitFrag: 1024, maxRecvFrag: 1024, contextId: 0, abstract: SVCCTL, transfer: NDR20 })));
      return ep;
    };
    let ep = await bound();
    const pieces = request(2, 15, Buffer.alloc(200), 0, 64);
    assert.equal(faultStatus(await ep.write(pieces[1]!)), 0x1c01000b, 'a middle fragment first');
    assert.equal(faultStatus(await ep.write(request(3, 15, Buffer.alloc(2000), 0, 4280)[0]!)), 0x1c01000b, 'over max_recv_frag 1024');
    ep = await bound({ maxRequestStub: 500 });
    const many = request(4, 12, Buffer.alloc(900), 0, 256);
    const answers = [];
    for (const p of many) answers.push(await ep.write(p));
    assert.equal(faultStatus(answers.find((a) => a.length > 0)!), 0x1c01000b);
    // Garbage, then a PDU type a client never sends: faults; then the association still serves.
    assert.equal(faultStatus(await ep.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'))), 0x1c01000b);
    const ack = Buffer.from(await endpoint().write(rawBind({ contexts: [{ id: 0, abstract: SVCCTL, transfers: [NDR20] }] })));
    assert.equal(faultStatus(await ep.write(ack)), 0x1c01000b);
    const open = decodeCallPdu(await ep.write(request(9, 15, encodeOpenSCManager({ machineName: null, databaseName: 'ServicesActive', desiredAccess: 1 }))[0]!));
    assert.equal(open.kind, 'response');
  });

  test('a PDU split over several writes is answered once whole; two PDUs in one write get both answers', async () => {
    const ep = endpoint();
    const bind = encodeBind({ callId: 1, maxXmitFrag: 4280, maxRecvFrag: 4280, contextId: 0, abstract: SVCCTL, transfer: NDR20 });
    assert.equal((await ep.write(bind.subarray(0, 10))).length, 0);
    assert.equal((await ep.write(bind.subarray(10, 40))).length, 0);
    decodeBindAck(await ep.write(bind.subarray(40)));
    const two = Buffer.concat([request(2, 15, encodeOpenSCManager({ machineName: null, databaseName: 'ServicesActive', desiredAccess: 1 }))[0]!, request(3, 15, encodeOpenSCManager({ machineName: null, databaseName: 'ServicesActive', desiredAccess: 1 }))[0]!]);
    const answer = await ep.write(two);
    assert.deepEqual(pdusOf(answer).map((p) => [p[2], p.readUInt32LE(12)]), [[2, 2], [2, 3]]);
  });
});
