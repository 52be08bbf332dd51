// Fuzz: one lab host meets thousands of malformed and randomly mutated SMB packets — before logon
// (framing, SMB1/SMB2 NEGOTIATE, both SESSION_SETUP legs) and inside a signed session (every
// command the server parses, re-signed after mutation so the body decoders are reached, plus
// compounds) — and stays up: each input is answered or its connection closed within a bound, the
// host's session count returns to zero, memory stays flat, and a fresh client copies a file after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { LabHostState, type LabHostConfig } from '../../main/lab/hostState.js';
import type { PipeEndpoint } from '../../main/lab/pipe.js';
import { startLabSmbHost } from '../../main/lab/smb/server.js';
import { SmbConnection } from '../../main/smb/connection.js';
import { SmbSession } from '../../main/smb/session.js';
import { SmbTree } from '../../main/smb/tree.js';
import { buildAuthenticateMessage, decodeChallengeMessage, encodeNegotiateMessage, ntHash } from '../../main/smb/auth/ntlm/client.js';
import { decodeNegTokenResp, encodeNegTokenInit, encodeNegTokenResp } from '../../main/smb/auth/spnego.js';
import { Command, HeaderFlags, decodeHeader } from '../../main/smb/codec/header.js';
import { Capabilities, SecurityMode, encodeNegotiateRequest } from '../../main/smb/codec/negotiate.js';
import { decodeSessionSetupResponse, encodeSessionSetupRequest } from '../../main/smb/codec/sessionSetup.js';
import { encodeEmptyBody } from '../../main/smb/codec/errorBody.js';
import { Access, CreateOptions, Disposition, decodeCreateResponse, encodeCloseRequest, encodeCreateRequest, type FileId } from '../../main/smb/codec/create.js';
import { encodeTreeConnectRequest } from '../../main/smb/codec/treeConnect.js';
import { encodeReadRequest, encodeWriteRequest } from '../../main/smb/codec/readWrite.js';
import { FSCTL_PIPE_TRANSCEIVE, encodeIoctlRequest } from '../../main/smb/codec/ioctl.js';
import { encodeQueryInfoRequest, encodeSetInfoRequest } from '../../main/smb/codec/info.js';
import { prng } from '../support/prng.js';
import { RawSmb, framed } from '../support/labSmbRaw.js';

const PORT = 14454; // one port per test file: files may run at once
const ADDRESS = '127.0.55.90';
const PRE_AUTH_RUNS = Number(process.env.PIC_LAB_FUZZ_PRE ?? 4000);
const SESSION_RUNS = Number(process.env.PIC_LAB_FUZZ_SESSION ?? 6000);
const WORKERS = 8;
/** Each input must be answered, or its connection closed, within this (or the host answers an ECHO probe within it). */
const BOUND_MS = 2000;
const QUIET_MS = 150;

type Rand = () => number;

function mutate(message: Buffer, r: Rand, protectHeaderBytes = 0): Buffer {
  const b = Buffer.from(message);
  const at = (): number => protectHeaderBytes + (r() % Math.max(1, b.length - protectHeaderBytes));
  switch (r() % 8) {
    case 0: // bit flips
      for (let i = 0, n = 1 + (r() % 4); i < n; i++) {
        const j = at();
        b[j] = (b[j] ?? 0) ^ (1 << (r() % 8));
      }
      return b;
    case 1: // an extreme 16-bit field
      if (b.length >= 2) b.writeUInt16LE([0, 1, 0x7fff, 0xffff, b.length, b.length + 1][r() % 6]! & 0xffff, Math.min(at(), b.length - 2));
      return b;
    case 2: // an extreme 32-bit field
      if (b.length >= 4) b.writeUInt32LE([0, 0xffffffff, 0x80000000, b.length, 0x00800000, 64][r() % 6]! >>> 0, Math.min(at(), b.length - 4));
      return b;
    case 3: // truncated
      return b.subarray(0, Math.max(protectHeaderBytes, r() % b.length));
    case 4: // random tail
      return Buffer.concat([b, crypto.randomBytes(1 + (r() % 300))]);
    case 5: // a random run overwritten
      for (let i = at(), n = 1 + (r() % 32); i < b.length && n > 0; i++, n--) b[i] = r() & 0xff;
      return b;
    case 6: // a region duplicated
      return Buffer.concat([b.subarray(0, at()), b.subarray(at())]);
    default: { // zeroed run
      const start = at();
      b.fill(0, start, Math.min(b.length, start + 1 + (r() % 16)));
      return b;
    }
  }
}

function negotiateBody(dialects: number[]): Buffer {
  return encodeNegotiateRequest({ dialects, securityMode: SecurityMode.SIGNING_ENABLED, capabilities: Capabilities.LARGE_MTU | Capabilities.ENCRYPTION, clientGuid: crypto.randomBytes(16), preauthSalt: crypto.randomBytes(32), ciphers: [2, 1, 4, 3], signingAlgorithms: [2, 1, 0] });
}

function smb1Negotiate(): Buffer {
  const data = Buffer.from('\x02NT LM 0.12\0\x02SMB 2.002\0\x02SMB 2.???\0', 'latin1');
  const header = Buffer.alloc(35);
  Buffer.from([0xff, 0x53, 0x4d, 0x42, 0x72]).copy(header);
  header.writeUInt16LE(data.length, 33);
  return Buffer.concat([header, data]);
}

interface Stats {
  inputs: number;
  answered: number;
  closed: number;
  probed: number;
  maxMs: number;
}

/** Waits for the answer to one input: a frame, the connection closing, or (no answer) an ECHO probe answered. */
async function settle(raw: RawSmb, stats: Stats, probe: boolean): Promise<'alive' | 'closed'> {
  const t0 = Date.now();
  let got = await raw.next(QUIET_MS);
  if (got.kind === 'timeout' && probe && raw.signingKey) {
    raw.sendFrame(raw.message({ command: Command.ECHO, body: encodeEmptyBody() }));
    stats.probed++;
    got = await raw.next(BOUND_MS);
  } else if (got.kind === 'timeout') {
    got = await raw.next(BOUND_MS - QUIET_MS);
  }
  const ms = Date.now() - t0;
  stats.maxMs = Math.max(stats.maxMs, ms);
  stats.inputs++;
  if (got.kind === 'closed') {
    stats.closed++;
    return 'closed';
  }
  if (got.kind === 'timeout') {
    // Pre-logon inputs the server legitimately ignores (e.g. a CANCEL) leave it waiting for more: end it here.
    if (!probe) return 'closed';
    assert.fail(`no answer, no close and no ECHO answer within ${BOUND_MS} ms`);
  }
  stats.answered++;
  while ((await raw.next(1)).kind === 'frame'); // the rest of a burst (interim + final)
  return 'alive';
}

async function preAuthRun(r: Rand, stats: Stats): Promise<void> {
  const raw = await RawSmb.connect(ADDRESS, PORT);
  try {
    const stage = r() % 6;
    if (stage === 0) {
      raw.sendBytes(r() % 2 ? framed(mutate(smb1Negotiate(), r)) : crypto.randomBytes(1 + (r() % 200)));
    } else if (stage === 1 || stage === 2) {
      const message = raw.message({ command: Command.NEGOTIATE, body: negotiateBody(stage === 1 ? [0x0202, 0x0210, 0x0300, 0x0302, 0x0311] : [0x0210]), creditCharge: 0 }, false);
      const bytes = framed(mutate(message, r));
      if (r() % 10 === 0) bytes.writeUInt32BE((bytes.readUInt32BE(0) + (r() % 64) - 32) & 0xffffff); // a lying length prefix
      raw.sendBytes(bytes);
    } else {
      const negotiate = await raw.request({ command: Command.NEGOTIATE, body: negotiateBody(stage === 3 ? [0x0311] : [0x0210]), creditCharge: 0 });
      assert.ok(negotiate, 'a valid NEGOTIATE is answered');
      const neg = encodeNegotiateMessage();
      const leg1 = raw.message({ command: Command.SESSION_SETUP, body: encodeSessionSetupRequest({ securityMode: 1, capabilities: 0, securityBuffer: encodeNegTokenInit(neg) }) }, false);
      if (stage !== 5) {
        raw.sendFrame(mutate(leg1, r, 64));
      } else {
        raw.sendFrame(leg1);
        const first = await raw.response();
        assert.ok(first, 'leg 1 answered');
        const token = decodeNegTokenResp(decodeSessionSetupResponse(first.message).securityBuffer).responseToken!;
        const auth = buildAuthenticateMessage({
          negotiateMessage: neg, challengeMessage: token, challenge: decodeChallengeMessage(token), user: 'pushadmin', domain: '', workstation: 'F',
          ntHash: ntHash(r() % 2 ? 'Secret-Pa55' : 'wrong'), clientChallenge: crypto.randomBytes(8), exportedSessionKey: crypto.randomBytes(16),
        });
        const body = encodeSessionSetupRequest({ securityMode: 1, capabilities: 0, securityBuffer: encodeNegTokenResp(mutate(auth.message, r), undefined, 1) });
        raw.sendFrame(mutate(raw.message({ command: Command.SESSION_SETUP, body, sessionId: first.header.sessionId }, false), r, 64));
      }
    }
    await settle(raw, stats, false);
  } finally {
    raw.close();
  }
}

interface Live {
  raw: RawSmb;
  adminTree: number;
  ipcTree: number;
  file: FileId;
  dir: FileId;
  pipe: FileId;
}

async function openLive(): Promise<Live> {
  const raw = await RawSmb.connect(ADDRESS, PORT);
  assert.equal(await raw.logon('pushadmin', 'Secret-Pa55'), 0);
  const adminTree = (await raw.request({ command: Command.TREE_CONNECT, body: encodeTreeConnectRequest(`\\\\${ADDRESS}\\ADMIN$`) }))!.header.treeId;
  const ipcTree = (await raw.request({ command: Command.TREE_CONNECT, body: encodeTreeConnectRequest(`\\\\${ADDRESS}\\IPC$`) }))!.header.treeId;
  const create = async (treeId: number, name: string, createOptions: number, disposition: number) => {
    const r = await raw.request({ command: Command.CREATE, treeId, body: encodeCreateRequest({ name, desiredAccess: Access.GENERIC_READ | Access.GENERIC_WRITE | Access.DELETE, fileAttributes: 0, shareAccess: 7, disposition, createOptions }) });
    assert.equal(r?.header.status, 0, `CREATE ${name}`);
    return decodeCreateResponse(r!.message).fileId;
  };
  const folder = `fz-${crypto.randomBytes(4).toString('hex')}`;
  const dir = await create(adminTree, folder, CreateOptions.DIRECTORY_FILE, Disposition.OPEN_IF);
  const file = await create(adminTree, `${folder}\\target.bin`, CreateOptions.NON_DIRECTORY_FILE, Disposition.OVERWRITE_IF);
  const pipe = await create(ipcTree, 'svcctl', CreateOptions.NON_DIRECTORY_FILE, Disposition.OPEN);
  return { raw, adminTree, ipcTree, file, dir, pipe };
}

function sessionTemplate(l: Live, r: Rand): { command: number; body: Buffer; treeId: number; creditCharge?: number } {
  const a = l.adminTree;
  const data = crypto.randomBytes(r() % 3000);
  const templates = [
    () => ({ command: Command.CREATE, treeId: a, body: encodeCreateRequest({ name: ['x.txt', 'sub\\y.exe', '', 'fz\\..\\z', 'a*b'][r() % 5]!, desiredAccess: Access.GENERIC_ALL, fileAttributes: 0x80, shareAccess: 7, disposition: r() % 6, createOptions: [0, 1, 0x40, 0x1040, 0x1001][r() % 5]! }) }),
    () => ({ command: Command.WRITE, treeId: a, body: encodeWriteRequest({ fileId: l.file, offset: BigInt(r() % 100_000), data }) }),
    () => ({ command: Command.READ, treeId: a, body: encodeReadRequest({ fileId: l.file, offset: BigInt(r() % 5000), length: r() % 70_000 }) }),
    () => ({ command: Command.QUERY_INFO, treeId: a, body: encodeQueryInfoRequest({ fileId: [l.file, l.dir][r() % 2]!, infoClass: [4, 5, 6, 9, 18, 21, 22, 34, 35, 99][r() % 10]!, outputLength: [0, 8, 24, 65536][r() % 4]! }) }),
    () => ({ command: Command.QUERY_INFO, treeId: a, body: (() => { const b = encodeQueryInfoRequest({ fileId: l.dir, infoClass: [1, 3, 4, 5, 7, 11][r() % 6]!, outputLength: 4096 }); b[2] = 2; return b; })() }),
    () => ({ command: Command.SET_INFO, treeId: a, body: encodeSetInfoRequest({ fileId: l.file, infoClass: [4, 10, 13, 19, 20, 64][r() % 6]!, buffer: crypto.randomBytes([1, 8, 24, 40][r() % 4]!) }) }),
    () => ({ command: 0x000e, treeId: a, body: queryDirectory(l.dir, [1, 2, 3, 12, 37, 38][r() % 6]!, ['*', '', 't*', '<.bin'][r() % 4]!, r() % 3) }),
    () => ({ command: Command.IOCTL, treeId: l.ipcTree, body: encodeIoctlRequest({ ctlCode: [FSCTL_PIPE_TRANSCEIVE, 0x00140204, 0x00060194, 0x00110018][r() % 4]!, fileId: l.pipe, input: data, maxOutputResponse: r() % 70_000 }) }),
    () => ({ command: Command.WRITE, treeId: l.ipcTree, body: encodeWriteRequest({ fileId: l.pipe, offset: 0n, data }) }),
    () => ({ command: Command.READ, treeId: l.ipcTree, body: encodeReadRequest({ fileId: l.pipe, offset: 0n, length: r() % 9000 }) }),
    () => ({ command: Command.CLOSE, treeId: a, body: encodeCloseRequest({ persistent: BigInt(r() % 64), volatile: BigInt(r() % 64) }) }),
    () => ({ command: Command.TREE_CONNECT, treeId: 0, body: encodeTreeConnectRequest(['\\\\h\\ADMIN$', '\\\\h\\IPC$', '\\\\h\\C$', ''][r() % 4]!) }),
    () => ({ command: Command.FLUSH, treeId: a, body: Buffer.concat([Buffer.from([24, 0, 0, 0, 0, 0, 0, 0]), fileIdBytes(l.file)]) }),
    () => ({ command: [Command.ECHO, Command.CANCEL, 0x000a, 0x000f, 0x0012, 0x0099][r() % 6]!, treeId: a, body: encodeEmptyBody() }),
  ];
  return templates[r() % templates.length]!();
}

function fileIdBytes(id: FileId): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(id.persistent, 0);
  b.writeBigUInt64LE(id.volatile, 8);
  return b;
}

function queryDirectory(id: FileId, infoClass: number, pattern: string, flags: number): Buffer {
  const name = Buffer.from(pattern, 'utf16le');
  const fixed = Buffer.alloc(32);
  fixed.writeUInt16LE(33, 0);
  fixed.writeUInt8(infoClass, 2);
  fixed.writeUInt8(flags, 3);
  fileIdBytes(id).copy(fixed, 8);
  fixed.writeUInt16LE(96, 24);
  fixed.writeUInt16LE(name.length, 26);
  fixed.writeUInt32LE(65536, 28);
  return Buffer.concat([fixed, name, Buffer.alloc(name.length ? 0 : 1)]);
}

function resign(l: Live, message: Buffer): void {
  if (message.length < 64 || !l.raw.signingKey) return;
  message.writeUInt32LE((message.readUInt32LE(16) | HeaderFlags.SIGNED) >>> 0, 16);
  message.fill(0, 48, 64);
  crypto.createHmac('sha256', l.raw.signingKey).update(message).digest().subarray(0, 16).copy(message, 48);
}

async function sessionWorker(seed: number, runs: number, stats: Stats): Promise<void> {
  const r = prng(seed);
  let live = await openLive();
  try {
    for (let i = 0; i < runs; i++) {
      const t = sessionTemplate(live, r);
      let message = live.raw.message({ command: t.command, body: t.body, treeId: t.treeId, creditCharge: Math.max(1, Math.ceil(t.body.length / 65536)) }, false);
      if (r() % 4 === 0) {
        // A compound: the template twice, the second related (FileId placeholder) or not.
        const second = live.raw.message({ command: t.command, body: t.body, treeId: t.treeId, flags: r() % 2 ? HeaderFlags.RELATED_OPERATIONS : 0 }, false);
        const padded = Buffer.concat([message, Buffer.alloc((8 - (message.length % 8)) % 8)]);
        padded.writeUInt32LE(padded.length, 20);
        resign(live, padded);
        message = Buffer.concat([padded, second]);
        resign(live, message.subarray(padded.length));
      }
      // Mutate the body (after the header's MessageId, so the window check is not the only gate), or anywhere.
      const mutated = r() % 10 === 0 ? message : mutate(message, r, r() % 3 === 0 ? 0 : 64);
      if (r() % 8 !== 0) resign(live, mutated);
      live.raw.sendFrame(mutated);
      if ((await settle(live.raw, stats, true)) === 'closed') {
        live.raw.close();
        live = await openLive();
      }
    }
  } finally {
    live.raw.close();
  }
}

test(`a lab host survives ${PRE_AUTH_RUNS + SESSION_RUNS} malformed and mutated SMB packets, each answered or closed within ${BOUND_MS} ms`, async () => {
  const config: LabHostConfig = {
    name: 'LAB-FUZZ', address: ADDRESS, port: PORT, domain: 'LAB', dnsDomain: 'lab.example', osVersion: { major: 10, minor: 0, build: 26100 },
    accounts: [{ user: 'pushadmin', password: 'Secret-Pa55', domain: '' }], profile: 'healthy', installTimeMs: 1,
  };
  const state = new LabHostState(config);
  const echo = (): PipeEndpoint => ({ write: async (d) => Buffer.concat([d, d]).subarray(0, 20_000), close: () => undefined });
  const host = await startLabSmbHost(state, { pipes: (name) => (name === 'svcctl' ? echo() : null), logonFailureDelayMs: 0 });
  try {
    const rssBefore = process.memoryUsage().rss;
    const stats: Stats = { inputs: 0, answered: 0, closed: 0, probed: 0, maxMs: 0 };
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        const r = prng(0x5eed + w);
        for (let i = 0; i < PRE_AUTH_RUNS / WORKERS; i++) await preAuthRun(r, stats);
      }),
    );
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => sessionWorker(0xf00d + w, SESSION_RUNS / WORKERS, stats)));
    const rssAfter = process.memoryUsage().rss;
    console.log(
      `  ${stats.inputs} inputs in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${stats.answered} answered, ${stats.closed} connections ended, ` +
        `${stats.probed} ECHO probes; slowest ${stats.maxMs} ms; RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MiB; logons ${state.counters.logons}, failures ${state.counters.logonFailures}`,
    );
    assert.ok(stats.inputs >= 10_000, `${stats.inputs} inputs`);
    assert.ok(stats.maxMs <= BOUND_MS + 200, `slowest input ${stats.maxMs} ms`);
    assert.ok(stats.answered > stats.inputs / 2, 'most mutations reach a handler and get an answer');
    assert.ok(rssAfter - rssBefore < 300 * 2 ** 20, 'memory stays bounded');

    for (let i = 0; i < 100 && state.sessions > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(state.sessions, 0, 'every session ended with its connection');

    const connection = await SmbConnection.connect({ host: ADDRESS, port: PORT, connectTimeoutMs: 2000, requestTimeoutMs: 5000 });
    try {
      const session = await SmbSession.setup(connection, { user: 'pushadmin', password: 'Secret-Pa55' }, { targetHost: ADDRESS, encryptWhenSupported: true });
      const tree = await SmbTree.connect(session, ADDRESS, 'ADMIN$');
      const data = crypto.randomBytes(1024 * 1024);
      await tree.writeFile('after-fuzz.bin', data);
      assert.deepEqual(await tree.readFile('after-fuzz.bin'), data, 'a fresh client still copies a file');
      assert.equal(decodeHeader(Buffer.from((await connection.request(Command.ECHO, encodeEmptyBody(), { session: session.security })).message)).status, 0);
    } finally {
      connection.close();
    }
  } finally {
    await host.close();
  }
});
