// Byte-exact SMB2 codec tests: request encoders against layouts written out from MS-SMB2's
// structure definitions (section cited per test), and every decoder refusing truncated input
// with SmbFormatError rather than reading out of range.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Command, HeaderFlags, decodeHeader, encodeHeader } from '../../main/smb/codec/header.js';
import { Dialect, decodeNegotiateResponse, encodeNegotiateRequest } from '../../main/smb/codec/negotiate.js';
import { decodeSessionSetupResponse, encodeSessionSetupRequest } from '../../main/smb/codec/sessionSetup.js';
import { decodeTreeConnectResponse, encodeTreeConnectRequest } from '../../main/smb/codec/treeConnect.js';
import { decodeCreateResponse, encodeCloseRequest, encodeCreateRequest } from '../../main/smb/codec/create.js';
import { decodeReadResponse, decodeWriteResponse, encodeReadRequest, encodeWriteRequest } from '../../main/smb/codec/readWrite.js';
import { FSCTL_PIPE_TRANSCEIVE, decodeIoctlResponse, encodeIoctlRequest } from '../../main/smb/codec/ioctl.js';
import { decodeQueryInfoResponse, encodeSetInfoRequest } from '../../main/smb/codec/info.js';
import { FILE_DIRECTORY_INFORMATION, QueryDirectoryFlags, decodeQueryDirectoryResponse, encodeQueryDirectoryRequest } from '../../main/smb/codec/queryDirectory.js';
import { SmbFormatError } from '../../main/smb/codec/wire.js';
import { decodeFileDirectoryInformation, directoryEntry, fileDispositionInformation } from '../../main/smb/codec/fscc.js';
import { expectWire, hex } from '../support/wire.js';

const fileId = { persistent: 0x1122334455667788n, volatile: 0x99aabbccddeeff00n };
const FILE_ID_HEX = '8877665544332211 00ffeeddccbbaa99';

function response(command: number, body: Buffer, extra: Partial<Parameters<typeof encodeHeader>[0]> = {}): Buffer {
  const header = encodeHeader({
    creditCharge: 1, status: 0, command, credits: 1, flags: HeaderFlags.SERVER_TO_REDIR, nextCommand: 0,
    messageId: 7n, treeId: 5, asyncId: 0n, sessionId: 0x42n, signature: Buffer.alloc(16), ...extra,
  });
  return Buffer.concat([header, body]);
}

/** Every strict prefix of a valid message must be refused with SmbFormatError, never a RangeError. */
function refusesEveryTruncation(message: Buffer, decode: (b: Buffer) => unknown, from = 0): void {
  for (let n = from; n < message.length; n++) {
    assert.throws(() => decode(message.subarray(0, n)), SmbFormatError, `a ${n}-byte prefix of ${message.length}`);
  }
}

describe('SMB2 header (MS-SMB2 2.2.1.2)', () => {
  test('a sync request header encodes field by field and decodes back', () => {
    const header = {
      creditCharge: 1, status: 0, command: Command.TREE_CONNECT, credits: 512, flags: HeaderFlags.SIGNED, nextCommand: 0,
      messageId: 3n, treeId: 0, asyncId: 0n, sessionId: 0x0000400000000001n, signature: Buffer.alloc(16, 0xab),
    };
    const bytes = encodeHeader(header);
    expectWire(bytes, `fe534d42 4000 0100 00000000 0300 0002 08000000 00000000 0300000000000000
      00000000 00000000 0100000000400000 ${'ab'.repeat(16)}`, 'header');
    assert.deepEqual(decodeHeader(bytes), header);
  });

  test('an async response header carries the AsyncId instead of the TreeId (MS-SMB2 2.2.1.1)', () => {
    const bytes = response(Command.IOCTL, Buffer.alloc(0), { status: 0x103, flags: HeaderFlags.SERVER_TO_REDIR | HeaderFlags.ASYNC_COMMAND, asyncId: 0xdeadn });
    const h = decodeHeader(bytes);
    assert.equal(h.asyncId, 0xdeadn);
    assert.equal(h.treeId, 0);
    assert.equal(h.status, 0x103);
  });

  test('a message that is not SMB2 or is truncated is refused', () => {
    assert.throws(() => decodeHeader(hex('ff534d42' + '00'.repeat(60))), SmbFormatError);
    refusesEveryTruncation(response(Command.ECHO, Buffer.alloc(0)), decodeHeader);
  });
});

describe('NEGOTIATE (MS-SMB2 2.2.3, 2.2.4)', () => {
  const request = {
    dialects: [Dialect.SMB202, Dialect.SMB210, Dialect.SMB300, Dialect.SMB302, Dialect.SMB311],
    securityMode: 1, capabilities: 0x44, clientGuid: Buffer.alloc(16, 0x11), preauthSalt: Buffer.alloc(32, 0x22),
    ciphers: [2, 1, 4, 3], signingAlgorithms: [2, 1, 0],
  };

  test('the request offers five dialects and its 3.1.1 contexts sit 8-byte aligned from the header', () => {
    expectWire(encodeNegotiateRequest(request), `2400 0500 0100 0000 44000000 ${'11'.repeat(16)}
      70000000 0300 0000
      0202 1002 0003 0203 1103 0000
      0100 2600 00000000 0100 2000 0100 ${'22'.repeat(32)} 0000
      0200 0a00 00000000 0400 0200 0100 0400 0300 000000000000
      0800 0800 00000000 0300 0200 0100 0000`, 'NEGOTIATE request');
  });

  test('a 2.1-only request has no contexts and a zero ClientStartTime', () => {
    const body = encodeNegotiateRequest({ ...request, dialects: [Dialect.SMB210] });
    expectWire(body, `2400 0100 0100 0000 44000000 ${'11'.repeat(16)} 0000000000000000 1002`, 'NEGOTIATE 2.1 request');
  });

  test('a 3.1.1 response yields dialect, limits, security buffer and the selected contexts', () => {
    const sec = hex('6006062b0601050502a0');
    const fixedEnd = 64 + 64;
    const contexts = hex(`0100 2600 00000000 0100 2000 0100 ${'33'.repeat(32)} 0000 0200 0400 00000000 0100 0200 00000000 0800 0400 00000000 0100 0100`);
    const contextOffset = fixedEnd + sec.length + ((8 - ((fixedEnd + sec.length) % 8)) % 8);
    const body = Buffer.concat([
      hex(`4100 0300 1103 0300 ${'44'.repeat(16)} 2f000000 00008000 00008000 00008000 0000000000000000 0000000000000000`),
      Buffer.from([fixedEnd & 0xff, fixedEnd >> 8, sec.length, 0]),
      Buffer.from(new Uint32Array([contextOffset]).buffer),
      sec,
      Buffer.alloc(contextOffset - fixedEnd - sec.length),
      contexts,
    ]);
    const message = response(Command.NEGOTIATE, body);
    const r = decodeNegotiateResponse(message);
    assert.equal(r.dialect, Dialect.SMB311);
    assert.equal(r.securityMode, 3);
    assert.equal(r.maxWriteSize, 0x800000);
    assert.deepEqual(r.securityBuffer, sec);
    assert.equal(r.preauthHashAlgorithm, 1);
    assert.equal(r.cipher, 2);
    assert.equal(r.signingAlgorithm, 1);
    refusesEveryTruncation(message, decodeNegotiateResponse);
  });

  test('a security buffer pointing past the end is refused', () => {
    const body = hex(`4100 0100 1002 0000 ${'44'.repeat(16)} 00000000 00000100 00000100 00000100 0000000000000000 0000000000000000 8000 ff00 00000000`);
    assert.throws(() => decodeNegotiateResponse(response(Command.NEGOTIATE, body)), SmbFormatError);
  });
});

describe('requests (MS-SMB2 2.2.5, 2.2.9, 2.2.13, 2.2.15, 2.2.19, 2.2.21, 2.2.31, 2.2.39)', () => {
  test('SESSION_SETUP puts its security buffer at offset 88 from the header', () => {
    expectWire(encodeSessionSetupRequest({ securityMode: 1, capabilities: 0, securityBuffer: hex('a1b2') }),
      '1900 00 01 00000000 00000000 5800 0200 0000000000000000 a1b2', 'SESSION_SETUP request');
  });

  test('TREE_CONNECT sends the UTF-16LE path at offset 72', () => {
    expectWire(encodeTreeConnectRequest('\\\\h\\IPC$'), '0900 0000 4800 1000 5c005c0068005c004900500043002400', 'TREE_CONNECT request');
  });

  test('CREATE places the name at offset 120 and an empty name still sends one byte', () => {
    const body = encodeCreateRequest({ name: 'a', desiredAccess: 0x0012019f, fileAttributes: 0x80, shareAccess: 3, disposition: 1, createOptions: 0x40 });
    expectWire(body, `3900 00 00 02000000 0000000000000000 0000000000000000 9f011200 80000000 03000000 01000000 40000000
      7800 0200 00000000 00000000 6100`, 'CREATE request');
    assert.equal(encodeCreateRequest({ name: '', desiredAccess: 1, fileAttributes: 0, shareAccess: 0, disposition: 1, createOptions: 0 }).length, 57);
  });

  test('CLOSE, READ and WRITE carry the FileId and their offsets', () => {
    expectWire(encodeCloseRequest(fileId), `1800 0000 00000000 ${FILE_ID_HEX}`, 'CLOSE request');
    expectWire(encodeReadRequest({ fileId, offset: 0x10000n, length: 0x8000 }), `3100 50 00 00800000 0000010000000000 ${FILE_ID_HEX} 00000000 00000000 00000000 0000 0000 00`, 'READ request');
    expectWire(encodeWriteRequest({ fileId, offset: 2n, data: hex('cafe') }), `3100 7000 02000000 0200000000000000 ${FILE_ID_HEX} 00000000 00000000 0000 0000 00000000 cafe`, 'WRITE request');
  });

  test('IOCTL is an FSCTL_PIPE_TRANSCEIVE with its input at offset 120', () => {
    expectWire(encodeIoctlRequest({ ctlCode: FSCTL_PIPE_TRANSCEIVE, fileId, input: hex('0500'), maxOutputResponse: 4280 }),
      `3900 0000 17c01100 ${FILE_ID_HEX} 78000000 02000000 00000000 00000000 00000000 b8100000 01000000 00000000 0500`, 'IOCTL request');
  });

  test('QUERY_DIRECTORY asks for FileDirectoryInformation with its pattern at offset 96', () => {
    expectWire(encodeQueryDirectoryRequest({ fileId, pattern: '*', flags: QueryDirectoryFlags.RESTART_SCANS, outputLength: 65536 }), `2100 01 01 00000000 ${FILE_ID_HEX} 6000 0200 00000100 2a00`, 'QUERY_DIRECTORY request');
  });

  test('SET_INFO with FileDispositionInformation marks the file for deletion', () => {
    expectWire(encodeSetInfoRequest({ fileId, infoClass: 13, buffer: fileDispositionInformation(true) }), `2100 01 0d 01000000 6000 0000 00000000 ${FILE_ID_HEX} 01`, 'SET_INFO request');
  });
});

describe('responses refuse truncation and out-of-range offsets', () => {
  test('SESSION_SETUP, TREE_CONNECT, CREATE, READ, WRITE, IOCTL and QUERY_INFO responses', () => {
    const cases: [string, Buffer, (m: Buffer) => unknown][] = [
      ['SESSION_SETUP', response(Command.SESSION_SETUP, hex('0900 0000 4800 0200 abcd')), decodeSessionSetupResponse],
      ['TREE_CONNECT', response(Command.TREE_CONNECT, hex('1000 01 00 00000000 00000000 ff011f00')), decodeTreeConnectResponse],
      ['CREATE', response(Command.CREATE, Buffer.concat([hex('5900 00 00 02000000'), Buffer.alloc(48), hex('80000000 00000000'), hex(FILE_ID_HEX), Buffer.alloc(8)])), decodeCreateResponse],
      ['READ', response(Command.READ, hex('1100 50 00 03000000 00000000 00000000 616263')), decodeReadResponse],
      ['WRITE', response(Command.WRITE, hex('1100 0000 05000000 00000000 0000 0000')), decodeWriteResponse],
      ['IOCTL', response(Command.IOCTL, Buffer.concat([hex('3100 0000 17c01100'), hex(FILE_ID_HEX), hex('70000000 00000000 70000000 02000000 00000000 00000000 0c03')])), decodeIoctlResponse],
      ['QUERY_INFO', response(Command.QUERY_INFO, hex('0900 4800 01000000 05')), decodeQueryInfoResponse],
    ];
    for (const [what, message, decode] of cases) {
      assert.doesNotThrow(() => decode(message), what);
      refusesEveryTruncation(message, decode);
    }
    const create = decodeCreateResponse(cases[2]![1]);
    assert.deepEqual(create.fileId, fileId);
    assert.deepEqual(decodeReadResponse(cases[3]![1]).data, Buffer.from('abc'));
    assert.deepEqual(decodeIoctlResponse(cases[5]![1]).output, hex('0c03'));
  });

  test('QUERY_DIRECTORY: FileDirectoryInformation entries as the lab writes them (MS-FSCC 2.4.10) decode to names, folders and sizes, without . and ..', () => {
    const node = (directory: boolean, endOfFile: bigint) => ({ id: 1n, creationTime: 0n, lastAccessTime: 0n, lastWriteTime: 0n, changeTime: 0n, allocationSize: 4096n, endOfFile, attributes: directory ? 0x10 : 0x80, directory, deletePending: false });
    const entries = [directoryEntry(FILE_DIRECTORY_INFORMATION, node(true, 0n), '.', 0), directoryEntry(FILE_DIRECTORY_INFORMATION, node(false, 104448n), 'PushInstallAgent.exe.log', 0), directoryEntry(FILE_DIRECTORY_INFORMATION, node(true, 0n), 'package', 0)];
    // Each entry but the last padded to 8 bytes, NextEntryOffset pointing past the padding.
    const padded = entries.map((e, i) => {
      if (i === entries.length - 1) return e;
      const out = Buffer.concat([e, Buffer.alloc((8 - (e.length % 8)) % 8)]);
      out.writeUInt32LE(out.length, 0);
      return out;
    });
    const output = Buffer.concat(padded);
    const message = response(Command.QUERY_DIRECTORY, Buffer.concat([hex('0900 4800'), Buffer.from(Uint32Array.of(output.length).buffer), output]));
    assert.deepEqual(decodeFileDirectoryInformation(decodeQueryDirectoryResponse(message)), [
      { name: 'PushInstallAgent.exe.log', directory: false, endOfFile: 104448n },
      { name: 'package', directory: true, endOfFile: 0n },
    ]);
    refusesEveryTruncation(message, (m) => decodeFileDirectoryInformation(decodeQueryDirectoryResponse(m)));
    const looping = Buffer.from(output);
    looping.writeUInt32LE(4, 0);
    assert.throws(() => decodeFileDirectoryInformation(looping), SmbFormatError, 'a NextEntryOffset inside the entry is refused');
  });

  test('a READ whose DataLength runs past the message is refused', () => {
    assert.throws(() => decodeReadResponse(response(Command.READ, hex('1100 50 00 ff000000 00000000 00000000 6162'))), SmbFormatError);
  });
});
