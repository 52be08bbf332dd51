// DCE/RPC PDUs and MS-SCMR stubs, byte for byte: requests against impacket's marshalling
// (impacket writes arbitrary pad bytes and referent ids, ours are zeros and
// 0x0002xxxx, so those bytes are adjusted and marked), responses captured from Samba 4.17's svcctl.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleError } from '../../main/ipc/errors.js';
import { DceRpcClient } from '../../main/rpc/rpcClient.js';
import { NDR20, decodeBindAck, encodeBind, encodeRequestFragments } from '../../main/rpc/pdu.js';
import {
  SVCCTL, ScmrClient, decodeCreateService, decodeHandleResponse, decodeStatusResponse, encodeControlService, encodeCreateService,
  encodeOpenSCManager, encodeOpenService, encodeStartService,
} from '../../main/rpc/scmr.js';
import { checkScmAccess, createService, startAndWait, uniqueServiceName } from '../../main/rpc/serviceLifecycle.js';
import { ScriptedPipe } from '../support/fakePipe.js';
import { expectWire, hex } from '../support/wire.js';

const HANDLE = hex('00000000 0102030405060708090a0b0c0d0e0f10');
const utf16z = (s: string) => Buffer.from(`${s}\0`, 'utf16le').toString('hex');

/** Samba 4.17 svcctl, captured through the project's SMB client (test/interop peers). */
const SAMBA = {
  bindAck: '05000c03100000004400000001000000b810b810fb8b00000d005c706970655c73766363746c00000100000000000000045d888aeb1cc9119fe808002b10486002000000',
  openScmResponse: '05000203100000003000000002000000180000000000000000000000f16183df98f7d046b7aa9d620d97082200000000',
  openServiceMissing: '050002031000000030000000030000001800000000000000000000000000000000000000000000000000000024040000',
};

function response(callId: number, stub: Buffer, flags = 3): Buffer {
  const h = Buffer.alloc(24);
  h.set([5, 0, 2, flags]);
  h.writeUInt32BE(0x10000000, 4);
  h.writeUInt16LE(24 + stub.length, 8);
  h.writeUInt32LE(callId, 12);
  h.writeUInt32LE(stub.length, 16);
  return Buffer.concat([h, stub]);
}

function fault(callId: number, status: number): Buffer {
  const b = response(callId, Buffer.alloc(8));
  b[2] = 3;
  b.writeUInt32LE(status, 24);
  return b;
}

const status = (state: number, exit = 0) => Buffer.from(new Uint32Array([0x10, state, 1, exit, 0, 0, 0]).buffer);
const u32 = (v: number) => Buffer.from(new Uint32Array([v]).buffer);

describe('PDUs (MS-RPCE 2.2.2)', () => {
  test('bind to svcctl v2.0 with NDR 2.0 is impacket\'s bytes exactly', () => {
    expectWire(encodeBind({ callId: 1, maxXmitFrag: 4280, maxRecvFrag: 4280, contextId: 0, abstract: SVCCTL, transfer: NDR20 }),
      `05000b03100000004800000001000000 b810b81000000000 01000000 0000 01 00
       81bb7a364498f135ad3298f038001003 02000000 045d888aeb1cc9119fe808002b104860 02000000`, 'bind');
  });

  test('Samba\'s bind_ack decodes: fragment sizes, secondary address, acceptance of NDR 2.0', () => {
    const ack = decodeBindAck(hex(SAMBA.bindAck));
    assert.equal(ack.maxRecvFrag, 4280);
    assert.equal(ack.secondaryAddress, '\\pipe\\svcctl');
    assert.deepEqual(ack.results, [{ result: 0, reason: 0, transfer: NDR20 }]);
  });

  test('a stub larger than max_xmit_frag is split into FIRST…LAST fragments, 8-aligned, alloc_hint counting down', () => {
    const stub = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i & 0xff));
    const fragments = encodeRequestFragments({ callId: 9, contextId: 0, opnum: 12, stub, maxFrag: 4280 });
    assert.equal(fragments.length, 3);
    assert.deepEqual(fragments.map((f) => f[3]), [1, 0, 2]);
    assert.ok(fragments.every((f) => f.length <= 4280 && f.readUInt16LE(8) === f.length));
    assert.deepEqual(fragments.map((f) => f.readUInt32LE(16)), [10_000, 10_000 - 4256, 10_000 - 2 * 4256]);
    assert.deepEqual(Buffer.concat(fragments.map((f) => f.subarray(24))), stub);
  });
});

describe('MS-SCMR request stubs (MS-SCMR 3.1.4) against impacket marshalling', () => {
  test('ROpenSCManagerW("DUMMY", "ServicesActive", 3)', () => {
    // impacket: referents 038a0000 / 00000f00 and pad bfbf; it also writes two bytes (c946) after
    // "DUMMY\0", which already ends 4-aligned — NDR needs no pad there, so ours has none.
    const stub = encodeOpenSCManager({ machineName: 'DUMMY', databaseName: 'ServicesActive', desiredAccess: 3 });
    expectWire(stub, `00000200 06000000 00000000 06000000 ${utf16z('DUMMY')}
      04000200 0f000000 00000000 0f000000 ${utf16z('ServicesActive')} 0000 03000000`, 'ROpenSCManagerW');
  });

  test('RCreateServiceW("PushAgent", own process, demand start, error ignore, LocalSystem) is 184 bytes', () => {
    const stub = encodeCreateService({ scm: HANDLE, serviceName: 'PushAgent', displayName: 'PushAgent', binaryPath: '%SystemRoot%\\pa.exe' });
    expectWire(stub, `${HANDLE.toString('hex')}
      0a000000 00000000 0a000000 ${utf16z('PushAgent')}
      00000200 0a000000 00000000 0a000000 ${utf16z('PushAgent')}
      ff010f00 10000000 03000000 00000000
      14000000 00000000 14000000 ${utf16z('%SystemRoot%\\pa.exe')}
      00000000 00000000 00000000 00000000 00000000 00000000 00000000`, 'RCreateServiceW');
    assert.equal(stub.length, 184);
  });

  test('ROpenServiceW, RControlService(STOP) and RStartServiceW with and without argv', () => {
    expectWire(encodeOpenService({ scm: HANDLE, serviceName: 'PushAgent', desiredAccess: 0xf01ff }), `${HANDLE.toString('hex')} 0a000000 00000000 0a000000 ${utf16z('PushAgent')} ff010f00`, 'ROpenServiceW');
    expectWire(encodeControlService({ service: HANDLE, control: 1 }), `${HANDLE.toString('hex')} 01000000`, 'RControlService');
    expectWire(encodeStartService({ service: HANDLE, argv: [] }), `${HANDLE.toString('hex')} 00000000 00000000`, 'RStartServiceW');
    expectWire(encodeStartService({ service: HANDLE, argv: ['-x'] }), `${HANDLE.toString('hex')} 01000000 00000200 01000000 04000200 03000000 00000000 03000000 ${utf16z('-x')}`, 'RStartServiceW argv');
  });
});

describe('MS-SCMR response stubs', () => {
  test('Samba\'s ROpenSCManagerW answer carries a handle and success; ROpenServiceW of a missing name returns 1060', () => {
    const open = decodeHandleResponse(hex(SAMBA.openScmResponse).subarray(24), 'ROpenSCManagerW');
    assert.equal(open.code, 0);
    assert.equal(open.handle.toString('hex'), '00000000f16183df98f7d046b7aa9d620d970822');
    assert.equal(decodeHandleResponse(hex(SAMBA.openServiceMissing).subarray(24), 'ROpenServiceW').code, 1060);
  });

  test('RCreateServiceW with a non-NULL lpdwTagId, and SERVICE_STATUS fields in order', () => {
    const created = decodeCreateService(Buffer.concat([u32(0x20000), u32(7), HANDLE, u32(0)]));
    assert.deepEqual(created.handle, HANDLE);
    const { status: s, code } = decodeStatusResponse(Buffer.concat([status(4, 0), u32(0)]), 'RQueryServiceStatus');
    assert.equal(code, 0);
    assert.equal(s.currentState, 4);
    assert.equal(s.serviceType, 0x10);
  });

  test('a stub cut short or with bytes after the return value is a typed rpc-protocol error', () => {
    const full = Buffer.concat([HANDLE, u32(0)]);
    for (let n = 0; n < full.length; n++) {
      assert.throws(() => decodeHandleResponse(full.subarray(0, n), 'x'), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'rpc-protocol');
    }
    assert.throws(() => decodeHandleResponse(Buffer.concat([full, u32(1)]), 'x'), ConsoleError);
  });
});

describe('the client over a scripted pipe', () => {
  test('a response in three fragments is reassembled; the request went out in fragments too', async () => {
    const handleStub = Buffer.concat([HANDLE, u32(0)]);
    const pipe = new ScriptedPipe([
      hex(SAMBA.bindAck),
      response(2, handleStub.subarray(0, 8), 1),
      response(2, handleStub.subarray(8, 16), 0),
      response(2, handleStub.subarray(16), 2),
    ]);
    const scmr = await ScmrClient.bind(pipe);
    const handle = await scmr.openSCManager(3, 'X'.repeat(3000));
    assert.deepEqual(handle, HANDLE);
    assert.equal(pipe.sent.length, 3, 'bind, then the request in two fragments');
    assert.deepEqual(pipe.sent.slice(1).map((f) => f[3]), [1, 2]);
  });

  test('faults become typed errors: Samba\'s CreateServiceW fault is service-create, access denied is access-denied', async () => {
    const pipe = new ScriptedPipe([hex(SAMBA.bindAck), fault(2, 0x1c010002), fault(3, 5)]);
    const scmr = await ScmrClient.bind(pipe);
    await assert.rejects(scmr.createService({ scm: HANDLE, serviceName: 'a', displayName: 'a', binaryPath: 'b' }), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'service-create' && /nca_s_op_rng_error/.test(e.message));
    await assert.rejects(checkScmAccess(scmr), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'access-denied' && /LocalAccountTokenFilterPolicy|administrator/i.test(e.advice));
  });

  test('a bind_nak or a rejected context is rpc-bind', async () => {
    const nak = Buffer.from(hex('05000d03100000001200000001000000 0400'));
    await assert.rejects(DceRpcClient.bind(new ScriptedPipe([nak]), SVCCTL), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'rpc-bind');
    const rejected = hex(SAMBA.bindAck);
    rejected.writeUInt16LE(2, 44); // the first result (after the 13-byte address, padded, and the count): provider_rejection
    await assert.rejects(DceRpcClient.bind(new ScriptedPipe([rejected]), SVCCTL), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'rpc-bind');
  });

  test('lifecycle: ERROR_SERVICE_EXISTS stops and deletes the old one, then creates; start waits for RUNNING', async () => {
    const ok = u32(0);
    const pipe = new ScriptedPipe([
      hex(SAMBA.bindAck),
      response(2, Buffer.concat([u32(0), Buffer.alloc(20), u32(1073)])), // create → exists
      response(3, Buffer.concat([HANDLE, ok])), // open existing
      response(4, Buffer.concat([status(3), ok])), // stop → stop pending
      response(5, Buffer.concat([status(1), ok])), // query → stopped
      response(6, ok), // delete
      response(7, Buffer.concat([Buffer.alloc(20), ok])), // close
      response(8, Buffer.concat([u32(0), HANDLE, ok])), // create again
      response(9, ok), // start
      response(10, Buffer.concat([status(2), ok])), // start pending
      response(11, Buffer.concat([status(4), ok])), // running
    ]);
    const scmr = await ScmrClient.bind(pipe);
    const sleep = async () => undefined;
    const installed = await createService(scmr, HANDLE, { name: 'PushInstallAgent-run1-abc', displayName: 'Push Install Agent', binaryPath: '%SystemRoot%\\a.exe' }, { sleep });
    assert.equal(installed.name, 'PushInstallAgent-run1-abc');
    const running = await startAndWait(scmr, installed.service, installed.name, { sleep, pollIntervalMs: 0 });
    assert.equal(running.currentState, 4);
    assert.deepEqual(pipe.sent.slice(1).map((p) => p.readUInt16LE(22)), [12, 16, 1, 6, 2, 0, 12, 19, 6, 6]);
  });

  test('lifecycle: MARKED_FOR_DELETE moves to a new unique name; a start that stays pending is 1053 service-start', async () => {
    const ok = u32(0);
    const pending = Array.from({ length: 3 }, (_, i) => response(5 + i, Buffer.concat([status(2), ok])));
    const pipe = new ScriptedPipe([
      hex(SAMBA.bindAck),
      response(2, Buffer.concat([u32(0), Buffer.alloc(20), u32(1072)])),
      response(3, Buffer.concat([u32(0), HANDLE, ok])),
      response(4, ok),
      ...pending,
    ]);
    const scmr = await ScmrClient.bind(pipe);
    const installed = await createService(scmr, HANDLE, { name: 'PushInstallAgent-r', displayName: 'd', binaryPath: 'b' }, { random: () => Buffer.from([0xab, 0xcd]) });
    assert.equal(installed.name, 'PushInstallAgent-r-abcd');
    assert.deepEqual(installed.skippedNames, ['PushInstallAgent-r']);
    let clock = 0;
    const realNow = Date.now;
    Date.now = () => realNow() + clock;
    try {
      await assert.rejects(
        startAndWait(scmr, installed.service, installed.name, { startTimeoutMs: 1000, pollIntervalMs: 0, sleep: async () => void (clock += 600) }),
        (e: unknown) => e instanceof ConsoleError && e.errorClass === 'service-start' && e.code === 'ERROR_SERVICE_REQUEST_TIMEOUT',
      );
    } finally {
      Date.now = realNow;
    }
  });

  test('service names are unique per run and carry the product\'s name', () => {
    const a = uniqueServiceName('task-12/target-7');
    const b = uniqueServiceName('task-12/target-7');
    assert.match(a, /^PushInstallAgent-task12target7-[0-9a-f]{6}$/);
    assert.notEqual(a, b);
  });
});
