// Fuzz: 12 000 runs of the whole SCMR conversation (bind, open SCM, create, start, query, stop,
// delete, close) with one of the server's PDUs mutated — truncated, bit-flipped, given extreme
// length/count fields, re-typed, fragment flags changed, padded. Every run must end in success or
// a typed ConsoleError within a bound: no crash, no hang, no unbounded allocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleError } from '../../main/ipc/errors.js';
import { ScmrClient } from '../../main/rpc/scmr.js';
import { createService, startAndWait, stopAndDelete } from '../../main/rpc/serviceLifecycle.js';
import { ScriptedPipe } from '../support/fakePipe.js';
import { prng } from '../support/prng.js';
import { hex } from '../support/wire.js';

const RUNS = 12_000;
const HANDLE = hex('00000000 0102030405060708090a0b0c0d0e0f10');
const u32 = (v: number) => Buffer.from(new Uint32Array([v]).buffer);
const status = (state: number) => Buffer.from(new Uint32Array([0x10, state, 1, 0, 0, 0, 0]).buffer);

function response(callId: number, stub: Buffer, ptype = 2): Buffer {
  const h = Buffer.alloc(24);
  h.set([5, 0, ptype, 3]);
  h.writeUInt32BE(0x10000000, 4);
  h.writeUInt16LE(24 + stub.length, 8);
  h.writeUInt32LE(callId, 12);
  h.writeUInt32LE(stub.length, 16);
  return Buffer.concat([h, stub]);
}

// Samba 4.17's bind_ack (see rpc.test.ts), then well-formed answers for the rest of the calls.
const seed: Buffer[] = [
  hex('05000c03100000004400000001000000b810b810fb8b00000d005c706970655c73766363746c00000100000000000000045d888aeb1cc9119fe808002b10486002000000'),
  response(2, Buffer.concat([HANDLE, u32(0)])),
  response(3, Buffer.concat([u32(0), HANDLE, u32(0)])),
  response(4, u32(0)),
  response(5, Buffer.concat([status(4), u32(0)])),
  response(6, Buffer.concat([status(3), u32(0)])),
  response(7, Buffer.concat([status(1), u32(0)])),
  response(8, u32(0)),
  response(9, Buffer.concat([Buffer.alloc(20), u32(0)])),
  response(10, Buffer.concat([Buffer.alloc(20), u32(0)])),
];

const mutations: ((b: Buffer, r: () => number) => Buffer)[] = [
  (b, r) => b.subarray(0, r() % b.length),
  (b, r) => {
    const c = Buffer.from(b);
    c[r() % c.length]! ^= 1 << (r() % 8);
    return c;
  },
  (b, r) => {
    const c = Buffer.from(b);
    const at = r() % (c.length - 1);
    c.writeUInt16LE([0, 0xffff, 16, 23, c.length + 1][r() % 5]!, at);
    return c;
  },
  (b, r) => {
    const c = Buffer.from(b);
    if (c.length >= 28) c.writeUInt32LE([0xffffffff, 0x7fffffff, 0x10000, 1][r() % 4]!, 24 + 4 * (r() % Math.floor((c.length - 24) / 4)));
    return c;
  },
  (b, r) => {
    const c = Buffer.from(b);
    c[2] = [0, 2, 3, 11, 12, 13, 99][r() % 7]!;
    return c;
  },
  (b, r) => {
    const c = Buffer.from(b);
    c[3] = r() & 0xff; // fragment flags
    return c;
  },
  (b, r) => Buffer.concat([b, Buffer.alloc(1 + (r() % 64), r() & 0xff)]),
];

async function conversation(replies: Buffer[]): Promise<void> {
  const pipe = new ScriptedPipe(replies, () => new ConsoleError('connection-lost', 'the pipe closed', 'retry'));
  const scmr = await ScmrClient.bind(pipe);
  const scm = await scmr.openSCManager();
  const installed = await createService(scmr, scm, { name: 'PushInstallAgent-f', displayName: 'd', binaryPath: 'b' });
  await startAndWait(scmr, installed.service, installed.name, { pollIntervalMs: 0, startTimeoutMs: 50 });
  await stopAndDelete(scmr, installed.service, installed.name, { pollIntervalMs: 0, stopTimeoutMs: 50 });
  await scmr.closeServiceHandle(scm);
}

test(`${RUNS} mutated bind_ack/response/fault PDUs end in success or a typed error, never a crash or a hang`, async () => {
  await conversation(seed.map((b) => Buffer.from(b))); // the unmutated conversation is valid
  const rand = prng(0x5eed);
  const outcomes = new Map<string, number>();
  const untyped: string[] = [];
  for (let run = 0; run < RUNS; run++) {
    const index = rand() % seed.length;
    const mutation = rand() % mutations.length;
    const replies: Buffer[] = seed.map((b) => Buffer.from(b));
    replies[index] = mutations[mutation]!(replies[index]!, prng(rand()));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      conversation(replies).then(
        () => 'success',
        (e: unknown) => (e instanceof ConsoleError ? e.errorClass : `UNTYPED ${String(e)}`),
      ),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('HANG'), 2000))),
    ]);
    clearTimeout(timer);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    if (outcome.startsWith('UNTYPED') || outcome === 'HANG') untyped.push(`run ${run} (reply ${index}, mutation ${mutation}): ${outcome}`);
  }
  console.log(`rpc fuzz: ${RUNS} runs, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
  assert.deepEqual(untyped.slice(0, 20), []);
  assert.ok((outcomes.get('rpc-protocol') ?? 0) > RUNS / 5, 'mutations reach the decoders');
});
