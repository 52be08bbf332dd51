// Fuzz: the lab's svcctl server fed mutated client traffic. 6 000 whole push conversations (bind,
// open SCM, create at a small fragment size, start, query, stop, delete, close) with one client
// PDU mutated — truncated, bit-flipped, given extreme length/count/handle fields, re-typed, its
// fragment flags, context or opnum changed, padded, split, doubled — plus 2 000 random byte
// strings. The server must answer every write with whole, well-formed PDUs (or nothing), never
// throw, never hit an internal error, and leave the host's state consistent when the pipe closes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScmrClient } from '../../main/rpc/scmr.js';
import { createService, startAndWait, stopAndDelete } from '../../main/rpc/serviceLifecycle.js';
import type { RpcPipe } from '../../main/rpc/rpcClient.js';
import { createSvcctlEndpoint } from '../../main/lab/rpc/svcctlServer.js';
import { reportServiceStopped } from '../../main/lab/rpc/serviceStatus.js';
import type { LabHostState } from '../../main/lab/hostState.js';
import type { PipeEndpoint } from '../../main/lab/pipe.js';
import { EndpointPipe } from '../support/labPipe.js';
import { AGENT_BINARY_PATH, AGENT_PATH, labHostState, putAdminFile } from '../support/labHost.js';
import { prng } from '../support/prng.js';

const CONVERSATIONS = 8_000;
const RANDOM_INPUTS = 2_000;
const ANSWER_TYPES = new Set([2, 3, 12, 13, 15]); // response, fault, bind_ack, bind_nak, alter_context_resp

/** Every answer must be whole PDUs a client can parse. */
function checkAnswer(answer: Buffer, where: string): void {
  let at = 0;
  while (at < answer.length) {
    assert.ok(answer.length - at >= 16, `${where}: a ${answer.length - at}-byte tail`);
    assert.equal(answer[at], 5, `${where}: rpc_vers`);
    assert.equal(answer[at + 1], 0, `${where}: rpc_vers_minor`);
    assert.ok(ANSWER_TYPES.has(answer[at + 2]!), `${where}: PDU type ${answer[at + 2]}`);
    assert.equal(answer.readUInt32BE(at + 4), 0x10000000, `${where}: drep`);
    const length = answer.readUInt16LE(at + 8);
    assert.ok(length >= 16 && at + length <= answer.length, `${where}: frag_length ${length}`);
    at += length;
  }
}

type Mutation = (b: Buffer, r: () => number) => Buffer[];
const copy = (b: Buffer) => Buffer.from(b);
const mutations: Mutation[] = [
  (b, r) => [b.subarray(0, r() % b.length)],
  (b, r) => {
    const c = copy(b);
    c[r() % c.length]! ^= 1 << (r() % 8);
    return [c];
  },
  (b, r) => {
    const c = copy(b);
    c.writeUInt16LE([0, 1, 0xffff, 16, 23, 24, c.length + 1, c.length - 1][r() % 8]!, 8); // frag_length
    return [c];
  },
  (b, r) => {
    const c = copy(b);
    if (c.length >= 28) c.writeUInt32LE([0xffffffff, 0x7fffffff, 0x10000, 1, 0, 0x20000][r() % 6]!, 24 + 4 * (r() % Math.floor((c.length - 24) / 4)));
    return [c];
  },
  (b, r) => {
    const c = copy(b);
    c[2] = [0, 2, 3, 11, 12, 13, 14, 15, 16, 18, 19, 99][r() % 12]!;
    return [c];
  },
  (b, r) => {
    const c = copy(b);
    c[3] = r() & 0xff; // pfc_flags
    return [c];
  },
  (b, r) => {
    const c = copy(b);
    if (c.length >= 24) c.writeUInt16LE(r() % 3 === 0 ? 0xffff : r() & 0x3f, 22); // opnum (or a context's fields in a bind)
    return [c];
  },
  (b, r) => {
    const c = copy(b);
    if (c.length >= 24) c.writeUInt16LE(r() & 3, 20); // p_cont_id
    return [c];
  },
  (b, r) => {
    const c = copy(b);
    if (c.length >= 44) c.fill(r() & 0xff, 24, 44); // a context handle, or the bind's first context
    return [c];
  },
  (b, r) => [Buffer.concat([b, Buffer.alloc(1 + (r() % 64), r() & 0xff)])],
  (b, r) => {
    const cut = 1 + (r() % (b.length - 1));
    return [b.subarray(0, cut), b.subarray(cut)];
  },
  (b) => [b, b],
  (b, r) => {
    const c = copy(b);
    c.writeUInt16LE(r() & 1 ? 0xffff : 8, 10); // auth_length
    return [c];
  },
];

/** An RpcPipe that mutates the client's `target`-th write; it checks every answer on the way back. */
class MutatingPipe implements RpcPipe {
  private count = 0;
  get writes(): number {
    return this.count;
  }
  private readonly inner: EndpointPipe;

  constructor(private readonly endpoint: PipeEndpoint, private readonly target: number, private readonly mutate: Mutation, private readonly r: () => number, private readonly where: string) {
    this.inner = new EndpointPipe(endpoint);
  }

  private async send(data: Buffer, last: boolean): Promise<Buffer | undefined> {
    const pieces = this.count++ === this.target ? this.mutate(data, this.r) : [data];
    let answer: Buffer | undefined;
    for (const [i, piece] of pieces.entries()) {
      const isLast = last && i === pieces.length - 1;
      if (isLast) answer = await this.inner.transceive(piece).catch(() => Buffer.alloc(0));
      else await this.inner.write(piece);
    }
    for (const a of this.inner.answers.splice(0)) checkAnswer(a, this.where);
    return answer;
  }

  async transceive(data: Buffer): Promise<Buffer> {
    return (await this.send(data, true)) ?? Buffer.alloc(0);
  }

  async write(data: Buffer): Promise<void> {
    await this.send(data, false);
  }

  async read(): Promise<Buffer> {
    return this.inner.read();
  }
}

function host(): LabHostState {
  // The fuzzer is after the server's answers, not Windows' timing: the service's process launches at once.
  const state = labHostState('healthy', { serviceLaunchMs: 0 });
  putAdminFile(state, AGENT_PATH, Buffer.from('MZ'));
  return state;
}

function endpointFor(state: LabHostState, internalErrors: unknown[]): PipeEndpoint {
  return createSvcctlEndpoint(
    state,
    {
      startAgent: (service) => {
        state.agentsRunning++;
        service.stop = () => {
          state.agentsRunning--;
          reportServiceStopped(state, service, 14);
        };
      },
    },
    { onInternalError: (e) => internalErrors.push(e), maxRequestStub: 64 * 1024 },
  );
}

const bounded = { pollIntervalMs: 0, startTimeoutMs: 10, stopTimeoutMs: 10 };

async function conversation(pipe: RpcPipe, maxFrag: number): Promise<void> {
  const scmr = await ScmrClient.bind(pipe, { maxFrag });
  const scm = await scmr.openSCManager();
  const installed = await createService(scmr, scm, { name: 'PushInstallAgent-fuzz', displayName: 'Push Install Agent', binaryPath: AGENT_BINARY_PATH });
  await startAndWait(scmr, installed.service, installed.name, bounded);
  await stopAndDelete(scmr, installed.service, installed.name, bounded);
  await scmr.closeServiceHandle(scm);
}

test(`${CONVERSATIONS} mutated push conversations: well-formed answers only, no internal error, state consistent after close`, async () => {
  const r = prng(0x5cab1e);
  const internalErrors: unknown[] = [];
  let completed = 0;
  const started = Date.now();
  // How many writes a clean conversation makes at each fragment size: every run mutates one of them.
  const writes = new Map<number, number>();
  for (const maxFrag of [4280, 64, 128]) {
    const pipe = new MutatingPipe(endpointFor(host(), internalErrors), -1, mutations[0]!, r, 'clean');
    await conversation(pipe, maxFrag);
    writes.set(maxFrag, pipe.writes);
  }
  for (let run = 0; run < CONVERSATIONS; run++) {
    const state = host();
    const endpoint = endpointFor(state, internalErrors);
    const maxFrag = [4280, 64, 128][run % 3]!;
    const where = `run ${run}`;
    const pipe = new MutatingPipe(endpoint, r() % writes.get(maxFrag)!, mutations[r() % mutations.length]!, r, where);
    try {
      await conversation(pipe, maxFrag);
      completed++;
    } catch (error) {
      // The client may fail any way it likes; the server is under test.
      assert.ok(error instanceof Error, `${where}: ${String(error)}`);
    }
    endpoint.close();
    for (const service of state.services.values()) {
      assert.equal(service.openHandles, 0, `${where}: ${service.name} keeps ${service.openHandles} handles after rundown`);
      assert.ok(!service.markedForDelete || service.state !== 'stopped', `${where}: a stopped, deleted, unheld service is still listed`);
    }
    assert.ok(state.agentsRunning >= 0 && state.agentsRunning <= 1, `${where}: ${state.agentsRunning} agents`);
    assert.ok(state.services.size <= 2, `${where}: ${state.services.size} services`);
  }
  assert.deepEqual(internalErrors, []);
  // Some mutations are harmless (a flipped pad bit, a split write): a share of the runs still push.
  assert.ok(completed > CONVERSATIONS / 20, `only ${completed} conversations survived their mutation`);
  console.log(`  ${CONVERSATIONS} conversations in ${((Date.now() - started) / 1000).toFixed(1)} s, ${completed} completed`);
});

test(`${RANDOM_INPUTS} random byte strings, bound and unbound: well-formed answers (or none) only, no internal error`, async () => {
  const r = prng(0xbadc0de);
  const internalErrors: unknown[] = [];
  for (let run = 0; run < RANDOM_INPUTS; run++) {
    const state = host();
    const endpoint = endpointFor(state, internalErrors);
    const pipe = new EndpointPipe(endpoint);
    const bound = run % 2 === 0;
    if (bound) await ScmrClient.bind(pipe);
    const junk = Buffer.alloc(r() % 300);
    for (let i = 0; i < junk.length; i++) junk[i] = r() & 0xff;
    if (junk.length >= 16 && r() % 2) junk.set([5, 0, [0, 11, 14][r() % 3]!, 3, 0x10, 0, 0, 0]); // a plausible header
    if (junk.length >= 16 && r() % 2) junk.writeUInt16LE(junk.length, 8);
    const answer = await endpoint.write(junk);
    checkAnswer(answer, `random ${run}`);
    endpoint.close();
  }
  assert.deepEqual(internalErrors, []);
});
