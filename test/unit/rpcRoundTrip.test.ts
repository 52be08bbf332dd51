// Every DCE/RPC PDU and MS-SCMR stub the client and the lab use, both directions, against bytes
// from a named source: impacket's bind and request stubs and Samba 4.17's answers (pinned in
// test/unit/rpc.test.ts), a Windows bind_ack on \PIPE\ntsvcs kept byte for byte in DynamoRIO's
// core/win32/eventlog.c, and C706 12.6.4 layouts. Then the lab's Windows personality on the wire.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BindResult, FaultStatus, NDR20, NDR64, PType, decodeBind, decodeBindAck, decodeBindNak, decodeCallPdu, decodeRequest, encodeBind, encodeBindAck,
  encodeBindNak, encodeFault, encodeRequestFragments, encodeResponseFragments, featureNegotiationSyntax, type SyntaxId,
} from '../../main/rpc/pdu.js';
import {
  SVCCTL, Opnum, ScmrClient, decodeCloseServiceHandle, decodeCloseServiceHandleRequest, decodeControlServiceRequest, decodeCreateService,
  decodeCreateServiceRequest, decodeDeleteServiceRequest, decodeHandleResponse, decodeOpenSCManagerRequest, decodeOpenServiceRequest,
  decodeQueryServiceConfig, decodeQueryServiceConfigRequest, decodeQueryServiceStatusRequest, decodeReturnOnly, decodeStartServiceRequest,
  decodeStatusResponse, encodeCloseServiceHandle, encodeCloseServiceHandleResponse, encodeControlService, encodeCreateService,
  encodeCreateServiceResponse, encodeDeleteService, encodeHandleResponse, encodeOpenSCManager, encodeOpenService, encodeQueryServiceConfig,
  encodeQueryServiceConfigResponse, encodeQueryServiceStatus, encodeReturnOnly, encodeStartService, encodeStatusResponse,
} from '../../main/rpc/scmr.js';
import { DceRpcClient } from '../../main/rpc/rpcClient.js';
import { RpcFaultError } from '../../main/rpc/errors.js';
import { createSvcctlEndpoint } from '../../main/lab/rpc/svcctlServer.js';
import type { LabPersonality } from '../../main/lab/hostState.js';
import { EndpointPipe, pdusOf } from '../support/labPipe.js';
import { ScriptedPipe } from '../support/fakePipe.js';
import { labHostState } from '../support/labHost.js';
import { expectWire, hex } from '../support/wire.js';

const HANDLE = hex('00000000 0102030405060708090a0b0c0d0e0f10');
const utf16z = (s: string) => Buffer.from(`${s}\0`, 'utf16le').toString('hex');
const BTFN = featureNegotiationSyntax(3);

/** Windows XP's bind_ack to a bind on services.exe's pipe (DynamoRIO core/win32/eventlog.c, "decoded by Ethereal"). */
const WINDOWS_BIND_ACK = `05000c03 10000000 4400 0000 01000000 b810 b810 54130100 0d00 ${Buffer.from('\\PIPE\\ntsvcs\0', 'latin1').toString('hex')} 00
  01000000 0000 0000 045d888aeb1cc9119fe808002b104860 02000000`;
/** impacket's bind to svcctl v2.0 with NDR 2.0 (rpc.test.ts). */
const IMPACKET_BIND = `05000b03100000004800000001000000 b810b81000000000 01000000 0000 01 00
  81bb7a364498f135ad3298f038001003 02000000 045d888aeb1cc9119fe808002b104860 02000000`;
/** Samba 4.17 svcctl (rpc.test.ts SAMBA). */
const SAMBA_BIND_ACK = '05000c03100000004400000001000000b810b810fb8b00000d005c706970655c73766363746c00000100000000000000045d888aeb1cc9119fe808002b10486002000000';
const SAMBA_OPEN_SCM_RESPONSE = '05000203100000003000000002000000180000000000000000000000f16183df98f7d046b7aa9d620d97082200000000';
const SAMBA_OPEN_SERVICE_MISSING = '050002031000000030000000030000001800000000000000000000000000000000000000000000000000000024040000';

describe('PDUs both directions (C706 12.6.4, MS-RPCE 2.2.2)', () => {
  test('bind: impacket\'s bytes encode and decode to the same context', () => {
    expectWire(encodeBind({ callId: 1, maxXmitFrag: 4280, maxRecvFrag: 4280, contexts: [{ contextId: 0, abstract: SVCCTL, transfers: [NDR20] }] }), IMPACKET_BIND, 'bind');
    const bind = decodeBind(hex(IMPACKET_BIND));
    assert.deepEqual([bind.maxXmitFrag, bind.maxRecvFrag, bind.assocGroupId], [4280, 4280, 0]);
    assert.deepEqual(bind.contexts, [{ contextId: 0, abstract: SVCCTL, transfers: [NDR20] }]);
  });

  test('a Windows client\'s three-context bind (NDR 2.0, NDR64, feature negotiation 0x3) round-trips', () => {
    const contexts = [
      { contextId: 0, abstract: SVCCTL, transfers: [NDR20] },
      { contextId: 1, abstract: SVCCTL, transfers: [NDR64] },
      { contextId: 2, abstract: SVCCTL, transfers: [BTFN] },
    ];
    assert.equal(BTFN.uuid, '6cb71c2c-9812-4540-0300-000000000000');
    const pdu = encodeBind({ callId: 2, maxXmitFrag: 4280, maxRecvFrag: 4280, contexts });
    assert.equal(pdu.length, 16 + 12 + 3 * 44);
    assert.deepEqual(decodeBind(pdu).contexts, contexts);
  });

  test('bind_ack: Windows\' answer on \\PIPE\\ntsvcs and Samba\'s on \\pipe\\svcctl decode and re-encode byte for byte', () => {
    for (const [name, bytes] of [['Windows', hex(WINDOWS_BIND_ACK)], ['Samba', hex(SAMBA_BIND_ACK)]] as const) {
      const ack = decodeBindAck(bytes);
      assert.deepEqual(ack.results, [{ result: 0, reason: 0, transfer: NDR20 }], name);
      const again = encodeBindAck({ ptype: PType.BIND_ACK, callId: ack.callId, maxXmitFrag: ack.maxXmitFrag, maxRecvFrag: ack.maxRecvFrag, assocGroupId: ack.assocGroupId, secondaryAddress: ack.secondaryAddress, results: ack.results });
      assert.equal(again.toString('hex'), bytes.toString('hex'), name);
    }
    assert.equal(decodeBindAck(hex(WINDOWS_BIND_ACK)).secondaryAddress, '\\PIPE\\ntsvcs');
  });

  test('bind_nak (C706 12.6.4.5): reason, one version 5.0', () => {
    const nak = encodeBindNak(7, 2);
    expectWire(nak, '05000d03 10000000 1600 0000 07000000 0200 01 05 00 00', 'bind_nak');
    assert.deepEqual(decodeBindNak(nak), { callId: 7, reason: 2 });
  });

  test('request fragments decode back to the stub; a response re-encodes Samba\'s bytes exactly', () => {
    const stub = Buffer.from(Array.from({ length: 9000 }, (_, i) => i & 0xff));
    const fragments = encodeRequestFragments({ callId: 4, contextId: 1, opnum: 12, stub, maxFrag: 4280 });
    const decoded = fragments.map(decodeRequest);
    assert.deepEqual(decoded.map((r) => [r.opnum, r.contextId, r.header.flags & 3]), [[12, 1, 1], [12, 1, 0], [12, 1, 2]]);
    assert.deepEqual(Buffer.concat(decoded.map((r) => r.stub)), stub);
    const samba = decodeCallPdu(hex(SAMBA_OPEN_SCM_RESPONSE));
    assert.equal(samba.kind, 'response');
    if (samba.kind !== 'response') return;
    const [again] = encodeResponseFragments({ callId: samba.header.callId, contextId: samba.contextId, stub: samba.stub, maxFrag: 4280 });
    assert.equal(again!.toString('hex'), SAMBA_OPEN_SCM_RESPONSE);
  });

  test('fault (C706 12.6.4.7): nca_s_op_rng_error with PFC_DID_NOT_EXECUTE and a non-zero alloc_hint, as Windows sends it', () => {
    const fault = encodeFault({ callId: 2, contextId: 1, status: FaultStatus.OP_RNG_ERROR, didNotExecute: true, allocHint: 32 });
    expectWire(fault, '05000323 10000000 2000 0000 02000000 20000000 0100 00 00 0200011c 00000000', 'fault');
    const pdu = decodeCallPdu(fault);
    assert.deepEqual(pdu.kind === 'fault' ? [pdu.status, pdu.contextId] : null, [0x1c010002, 1]);
  });
});

describe('MS-SCMR stubs both directions (MS-SCMR 3.1.4)', () => {
  test('ROpenSCManagerW: impacket\'s request decodes; Samba\'s answer re-encodes', () => {
    const wire = `00000200 06000000 00000000 06000000 ${utf16z('DUMMY')} 04000200 0f000000 00000000 0f000000 ${utf16z('ServicesActive')} 0000 03000000`;
    const req = { machineName: 'DUMMY', databaseName: 'ServicesActive', desiredAccess: 3 };
    expectWire(encodeOpenSCManager(req), wire, 'ROpenSCManagerW');
    assert.deepEqual(decodeOpenSCManagerRequest(hex(wire)), req);
    const stub = hex(SAMBA_OPEN_SCM_RESPONSE).subarray(24);
    assert.equal(encodeHandleResponse(decodeHandleResponse(stub, 'ROpenSCManagerW')).toString('hex'), stub.toString('hex'));
  });

  test('ROpenServiceW: impacket\'s request; Samba\'s 1060 answer', () => {
    const wire = `${HANDLE.toString('hex')} 0a000000 00000000 0a000000 ${utf16z('PushAgent')} ff010f00`;
    const req = { scm: HANDLE, serviceName: 'PushAgent', desiredAccess: 0xf01ff };
    expectWire(encodeOpenService(req), wire, 'ROpenServiceW');
    assert.deepEqual(decodeOpenServiceRequest(hex(wire)), req);
    const stub = hex(SAMBA_OPEN_SERVICE_MISSING).subarray(24);
    const res = decodeHandleResponse(stub, 'ROpenServiceW');
    assert.equal(res.code, 1060);
    assert.equal(encodeHandleResponse(res).toString('hex'), stub.toString('hex'));
  });

  test('RCreateServiceW: impacket\'s 184-byte request both ways; the answer with and without lpdwTagId', () => {
    const req = { scm: HANDLE, serviceName: 'PushAgent', displayName: 'PushAgent', binaryPath: '%SystemRoot%\\pa.exe' };
    const wire = encodeCreateService(req);
    assert.equal(wire.length, 184);
    assert.deepEqual(decodeCreateServiceRequest(wire), {
      ...req, desiredAccess: 0xf01ff, serviceType: 0x10, startType: 3, errorControl: 0, loadOrderGroup: null, tagId: null, dependencies: null, startName: null, password: null,
    });
    const full = { ...req, desiredAccess: 1, serviceType: 0x20, startType: 2, errorControl: 1, loadOrderGroup: 'G', tagId: 5, dependencies: Buffer.from('A\0\0\0', 'latin1'), startName: '.\\svc', password: Buffer.from([1, 2, 3]) };
    assert.deepEqual(decodeCreateServiceRequest(encodeCreateService(full)), full);
    for (const res of [{ tagId: 0, handle: HANDLE, code: 0 }, { tagId: null, handle: Buffer.alloc(20), code: 1073 }]) {
      assert.deepEqual(decodeCreateService(encodeCreateServiceResponse(res)), res);
    }
    expectWire(encodeCreateServiceResponse({ tagId: 0, handle: HANDLE, code: 0 }), `00000200 00000000 ${HANDLE.toString('hex')} 00000000`, 'RCreateServiceW response');
  });

  test('RStartServiceW with and without argv (impacket\'s bytes); RControlService; RQueryServiceStatus; RDeleteService; RCloseServiceHandle', () => {
    const argv = `${HANDLE.toString('hex')} 01000000 00000200 01000000 04000200 03000000 00000000 03000000 ${utf16z('-x')}`;
    expectWire(encodeStartService({ service: HANDLE, argv: ['-x'] }), argv, 'RStartServiceW argv');
    assert.deepEqual(decodeStartServiceRequest(hex(argv)), { service: HANDLE, argv: ['-x'] });
    assert.deepEqual(decodeStartServiceRequest(encodeStartService({ service: HANDLE, argv: [] })), { service: HANDLE, argv: [] });
    expectWire(encodeControlService({ service: HANDLE, control: 1 }), `${HANDLE.toString('hex')} 01000000`, 'RControlService');
    assert.deepEqual(decodeControlServiceRequest(encodeControlService({ service: HANDLE, control: 1 })), { service: HANDLE, control: 1 });
    assert.deepEqual(decodeQueryServiceStatusRequest(encodeQueryServiceStatus({ service: HANDLE })), { service: HANDLE });
    assert.deepEqual(decodeDeleteServiceRequest(encodeDeleteService({ service: HANDLE })), { service: HANDLE });
    assert.deepEqual(decodeCloseServiceHandleRequest(encodeCloseServiceHandle({ handle: HANDLE })), { handle: HANDLE });
    const status = { serviceType: 0x10, currentState: 4, controlsAccepted: 5, win32ExitCode: 0, serviceSpecificExitCode: 0, checkPoint: 0, waitHint: 0 };
    expectWire(encodeStatusResponse({ status, code: 0 }), '10000000 04000000 05000000 00000000 00000000 00000000 00000000 00000000', 'SERVICE_STATUS');
    assert.deepEqual(decodeStatusResponse(encodeStatusResponse({ status, code: 1062 }), 'x'), { status, code: 1062 });
    assert.deepEqual(decodeReturnOnly(encodeReturnOnly({ code: 1056 }), 'x'), { code: 1056 });
    assert.deepEqual(decodeCloseServiceHandle(encodeCloseServiceHandleResponse({ handle: Buffer.alloc(20), code: 0 })), { handle: Buffer.alloc(20), code: 0 });
  });

  test('RQueryServiceConfigW: request bounded to 8K; the configuration and the insufficient-buffer answer both ways', () => {
    assert.deepEqual(decodeQueryServiceConfigRequest(encodeQueryServiceConfig({ service: HANDLE, bufSize: 8192 })), { service: HANDLE, bufSize: 8192 });
    assert.throws(() => decodeQueryServiceConfigRequest(encodeQueryServiceConfig({ service: HANDLE, bufSize: 8193 })));
    const config = { serviceType: 0x10, startType: 3, errorControl: 0, binaryPath: 'C:\\a.exe', loadOrderGroup: '', dependencies: '', startName: 'LocalSystem', displayName: 'A' };
    assert.deepEqual(decodeQueryServiceConfig(encodeQueryServiceConfigResponse({ config, bytesNeeded: 100, code: 0 })), { config, bytesNeeded: 100, code: 0 });
    assert.deepEqual(decodeQueryServiceConfig(encodeQueryServiceConfigResponse({ config: null, bytesNeeded: 100, code: 122 })), { config: null, bytesNeeded: 100, code: 122 });
  });
});

function lab(personality?: LabPersonality) {
  const state = labHostState('healthy', personality ? { personality } : {});
  return { state, endpoint: createSvcctlEndpoint(state, { startAgent: () => undefined }, {}) };
}
const bindTo = (contexts: { contextId: number; abstract: SyntaxId; transfers: SyntaxId[] }[], maxFrag = 4280) => encodeBind({ callId: 1, maxXmitFrag: maxFrag, maxRecvFrag: maxFrag, contexts });

describe('the lab answers like Windows (personality windows, the default)', () => {
  test('the windows bind_ack says 4280 / 4280 and \\PIPE\\ntsvcs; samba keeps \\PIPE\\svcctl', async () => {
    for (const [personality, address] of [[undefined, '\\PIPE\\ntsvcs'], ['windows', '\\PIPE\\ntsvcs'], ['samba', '\\PIPE\\svcctl']] as const) {
      const ack = decodeBindAck(await lab(personality).endpoint.write(bindTo([{ contextId: 0, abstract: SVCCTL, transfers: [NDR20] }], 5840)));
      assert.deepEqual([ack.maxXmitFrag, ack.maxRecvFrag, ack.secondaryAddress], [4280, 4280, address], String(personality));
    }
  });

  test('a multi-context bind gets one result per context: NDR 2.0 accepted, NDR64 rejected, negotiate_ack with the feature bits', async () => {
    const contexts = [
      { contextId: 0, abstract: SVCCTL, transfers: [NDR20] },
      { contextId: 1, abstract: SVCCTL, transfers: [NDR64] },
      { contextId: 2, abstract: SVCCTL, transfers: [BTFN] },
    ];
    const windows = decodeBindAck(await lab().endpoint.write(bindTo(contexts)));
    assert.deepEqual(windows.results.map((r) => [r.result, r.reason]), [[BindResult.ACCEPTANCE, 0], [BindResult.PROVIDER_REJECTION, 2], [BindResult.NEGOTIATE_ACK, 3]]);
    const samba = decodeBindAck(await lab('samba').endpoint.write(bindTo(contexts)));
    assert.deepEqual(samba.results.map((r) => [r.result, r.reason]), [[0, 0], [2, 2], [3, 0]]);
  });

  test('our client offering feature negotiation binds, calls on the accepted NDR 2.0 context, and refuses an ack without one', async () => {
    const { endpoint } = lab();
    const pipe = new EndpointPipe(endpoint);
    const scmr = await ScmrClient.bind(pipe, { offerFeatureNegotiation: true });
    await scmr.openSCManager();
    assert.equal(decodeBind(pipe.written[0]!).contexts.length, 2);
    assert.equal(decodeRequest(pipe.written[1]!).contextId, 0);
    const rejected = encodeBindAck({ ptype: PType.BIND_ACK, callId: 1, maxXmitFrag: 4280, maxRecvFrag: 4280, assocGroupId: 1, secondaryAddress: '', results: [{ result: 2, reason: 2, transfer: null }, { result: 3, reason: 3, transfer: null }] });
    await assert.rejects(DceRpcClient.bind(new ScriptedPipe([rejected]), SVCCTL, { offerFeatureNegotiation: true }), /did not accept/);
  });

  test('a 10 KB response leaves in at least 3 fragments of at most 4280 bytes and our client reassembles it', async () => {
    const pipe = new EndpointPipe(lab().endpoint);
    const rpc = await DceRpcClient.bind(pipe, SVCCTL);
    const call = async (opnum: number, stub: Buffer) => rpc.call(opnum, stub, `opnum ${opnum}`);
    const scm = decodeHandleResponse(await call(Opnum.ROpenSCManagerW, encodeOpenSCManager({ machineName: null, databaseName: 'ServicesActive', desiredAccess: 0xf003f })), 'x').handle;
    const binaryPath = `C:\\${'p'.repeat(5000)}.exe`;
    const created = decodeCreateService(await call(Opnum.RCreateServiceW, encodeCreateService({ scm, serviceName: 'Big', displayName: 'Big', binaryPath })));
    assert.equal(created.code, 0);
    // The SCM counts the record at most 8K (range(0, 8K)); the path alone is 10 KB of UTF-16.
    const before = pipe.answers.length;
    const stub = await call(Opnum.RQueryServiceConfigW, encodeQueryServiceConfig({ service: created.handle, bufSize: 8192 }));
    assert.ok(stub.length > 10_000, `${stub.length}-byte stub`);
    const fragments = pipe.answers.slice(before).flatMap(pdusOf);
    assert.ok(fragments.length >= 3, `${fragments.length} fragments`);
    assert.ok(fragments.every((f) => f.length <= 4280));
    assert.equal(decodeQueryServiceConfig(stub).config?.binaryPath, binaryPath);
  });

  test('an unknown opnum faults nca_s_op_rng_error (0x1C010002) and the pipe keeps working', async () => {
    const { endpoint } = lab();
    const pipe = new EndpointPipe(endpoint);
    const rpc = await DceRpcClient.bind(pipe, SVCCTL);
    await assert.rejects(rpc.call(44, Buffer.alloc(20), 'opnum 44'), (e: unknown) => e instanceof RpcFaultError && e.status === 0x1c010002);
    const fault = pdusOf(pipe.answers[pipe.answers.length - 1]!)[0]!;
    assert.deepEqual([fault[3], fault.readUInt32LE(16)], [0x23, 32], 'PFC_DID_NOT_EXECUTE and a non-zero alloc_hint');
    const open = decodeHandleResponse(await rpc.call(Opnum.ROpenSCManagerW, encodeOpenSCManager({ machineName: null, databaseName: 'ServicesActive', desiredAccess: 1 }), 'ROpenSCManagerW'), 'ROpenSCManagerW');
    assert.equal(open.code, 0);
  });
});
