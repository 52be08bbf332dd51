// Fuzz: the Active Directory import meets 10 000+ hostile LDAP conversations and every
// run ends, within a per-run bound, in success or a typed ConsoleError with a class and advice —
// no crash, no hang, no unbounded allocation.
//
// The seed is recorded live from slapd (test/support/slapd.ts) through a recording proxy
// (test/support/ldapRecorder.ts): the console's own client binds and searches, and slapd's
// answers — BindResponse, four SearchResultEntry, SearchResultDone — are kept. The hostile server
// (test/support/ldapHostile.ts) replays them with one answer mutated, or answers with random
// bytes. Deterministic: PIC_FUZZ_SEED replays a campaign, PIC_FUZZ_TRACE logs each run's plan.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { MAX_DIRECTORY_RESULTS, searchDirectoryComputers } from '../../main/import/directoryImport.js';
import { ConsoleError, toIpcError } from '../../main/ipc/errors.js';
import { berInt, MUTATION_NAMES, startHostileLdap, tlv, type HostilePlan, type HostileServer, type LdapSeed } from '../support/ldapHostile.js';
import { recordLdapConversation } from '../support/ldapRecorder.js';
import { prng } from '../support/prng.js';
import { BASE_DN, READER_DN, READER_PASSWORD, startSlapd, type RunningSlapd } from '../support/slapd.js';

const MUTATED_RUNS = Number(process.env.PIC_FUZZ_RUNS ?? 7000);
const RANDOM_RUNS = Number(process.env.PIC_FUZZ_RANDOM_RUNS ?? 3200);
const CONCURRENCY = Number(process.env.PIC_FUZZ_CONCURRENCY ?? 16);
const SEED = Number(process.env.PIC_FUZZ_SEED ?? 0x1da9f022);
/** The client's bounds in the campaign: each step, and the whole search. */
const STEP_TIMEOUT_MS = 250;
const DEADLINE_MS = 800;
/** A run that takes longer has hung. */
const RUN_BOUND_MS = 2000;
const MiB = 1024 * 1024;

const COMPUTERS = [
  { cn: 'WS-ACCT-01', ou: 'Workstations', dnsName: 'ws-acct-01.corp.example', os: 'Windows 11 Enterprise', osVersion: '10.0 (22631)' },
  { cn: 'WS-ACCT-02', ou: 'Workstations', dnsName: 'ws-acct-02.corp.example', os: 'Windows 10 Pro', osVersion: '10.0 (19045)' },
  { cn: 'FS01', ou: 'Servers', dnsName: 'fs01.corp.example', os: 'Windows Server 2022 Standard' },
  { cn: 'OLDBOX', ou: 'Servers' },
];

/** A forced full collection when the runtime allows one; false when it does not. */
function collect(): boolean {
  try {
    v8.setFlagsFromString('--expose-gc');
    (vm.runInNewContext('gc') as () => void)();
    return true;
  } catch {
    return false; // no forced gc: the RSS comparison still holds, with more slack used
  }
}

interface Outcome {
  readonly label: string;
  readonly ms: number;
}

async function runOnce(server: HostileServer, id: number, plan: HostilePlan, bounds: { timeoutMs: number; deadlineMs: number; runBoundMs: number }): Promise<Outcome> {
  server.plan(id, plan);
  const started = Date.now();
  let bound: NodeJS.Timeout | undefined;
  const label = await Promise.race([
    searchDirectoryComputers({ url: server.url, baseDn: BASE_DN, bindDn: READER_DN, password: `run-${id}`, timeoutMs: bounds.timeoutMs, deadlineMs: bounds.deadlineMs }).then(
      () => 'success',
      (error: unknown) => {
        if (!(error instanceof ConsoleError)) return `UNTYPED ${String(error)}`;
        const e = toIpcError(error);
        if (!e.class || e.class === 'internal' || !e.advice.trim() || !e.message.trim()) return `UNTYPED ${JSON.stringify(e)}`;
        return e.class;
      },
    ),
    new Promise<string>((resolve) => (bound = setTimeout(() => resolve('HANG'), bounds.runBoundMs))),
  ]);
  clearTimeout(bound);
  return { label, ms: Date.now() - started };
}

interface Campaign {
  readonly outcomes: Map<string, number>;
  readonly failures: string[];
  slowest: { ms: number; plan: string };
}

async function campaign(server: HostileServer, runs: number, firstId: number, makePlan: (id: number) => HostilePlan): Promise<Campaign> {
  const result: Campaign = { outcomes: new Map(), failures: [], slowest: { ms: 0, plan: '' } };
  let next = 0;
  const worker = async () => {
    while (next < runs) {
      const id = firstId + next++;
      const plan = makePlan(id);
      if (process.env.PIC_FUZZ_TRACE) fs.appendFileSync(process.env.PIC_FUZZ_TRACE, `${id} ${JSON.stringify(plan)}\n`);
      const o = await runOnce(server, id, plan, { timeoutMs: STEP_TIMEOUT_MS, deadlineMs: DEADLINE_MS, runBoundMs: RUN_BOUND_MS });
      const key = plan.kind === 'mutate' ? `${o.label}` : o.label;
      result.outcomes.set(key, (result.outcomes.get(key) ?? 0) + 1);
      if (o.ms > result.slowest.ms) result.slowest = { ms: o.ms, plan: `run ${id} ${JSON.stringify(plan)}` };
      if (o.label.startsWith('UNTYPED') || o.label === 'HANG') result.failures.push(`run ${id} ${JSON.stringify(plan)}: ${o.label}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return result;
}

function report(t: TestContext, name: string, c: Campaign, ms: number): void {
  const total = [...c.outcomes.values()].reduce((a, b) => a + b, 0);
  const byClass = [...c.outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  t.diagnostic(`${name}: ${total} runs in ${(ms / 1000).toFixed(1)} s; outcomes: ${byClass}; slowest ${c.slowest.ms} ms (${c.slowest.plan})`);
}

describe('fuzzing the Active Directory import with a hostile LDAP server', () => {
  let slapd: RunningSlapd;
  let seed: LdapSeed;
  let server: HostileServer;
  let rssBefore = 0;
  let heapBefore = 0;
  let rssPeak = 0;
  let sampler: NodeJS.Timeout | undefined;
  let totalRuns = 0;

  before(async () => {
    slapd = await startSlapd(COMPUTERS, '127.0.76.1');
    seed = await recordLdapConversation(slapd.ldapUrl, { baseDn: BASE_DN, bindDn: READER_DN, password: READER_PASSWORD });
    server = await startHostileLdap(seed, '127.0.76.2');
  });
  after(async () => {
    clearInterval(sampler);
    await server?.close();
    await slapd?.stop();
  });

  test('the recorded slapd conversation, replayed whole or a byte at a time, is a valid search of the four computers', async () => {
    assert.equal(seed.search.length, COMPUTERS.length + 1, 'four entries and the done');
    for (const [id, plan] of [[1, { kind: 'replay' }], [2, { kind: 'replay', chunk: 1 }]] as const) {
      server.plan(id, plan);
      const r = await searchDirectoryComputers({ url: server.url, baseDn: BASE_DN, bindDn: READER_DN, password: `run-${id}`, timeoutMs: 5000 });
      assert.deepEqual(r.computers.map((c) => c.name).sort(), ['FS01', 'OLDBOX', 'WS-ACCT-01', 'WS-ACCT-02']);
      assert.equal(r.truncated, false);
    }
  });

  test(`${MUTATED_RUNS} single-mutation replays each end within ${RUN_BOUND_MS} ms in success or a typed error`, async (t) => {
    collect();
    const m = process.memoryUsage();
    rssBefore = m.rss;
    heapBefore = m.heapUsed + m.external;
    sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 100);
    const rand = prng(SEED);
    const answers = 1 + seed.search.length;
    const started = Date.now();
    const c = await campaign(server, MUTATED_RUNS, 1000, () => ({ kind: 'mutate', target: rand() % answers, mutation: MUTATION_NAMES[rand() % MUTATION_NAMES.length]!, seed: rand() }));
    report(t, 'mutated replays', c, Date.now() - started);
    totalRuns += MUTATED_RUNS;
    assert.deepEqual(c.failures.slice(0, 20), [], 'every run ends in success or a typed error, none hangs');
    assert.ok((c.outcomes.get('directory-protocol') ?? 0) > MUTATED_RUNS / 10, 'mutations reach the decoders');
    assert.ok((c.outcomes.get('success') ?? 0) > 0, 'some mutations are harmless');
    assert.ok((c.outcomes.get('directory-too-large') ?? 0) > 0, 'endless entry streams meet the cap');
  });

  test(`${RANDOM_RUNS} random byte strings as the bind or search answer each end within ${RUN_BOUND_MS} ms in a typed error`, async (t) => {
    const rand = prng(SEED ^ 0x5a5a5a5a);
    const started = Date.now();
    const c = await campaign(server, RANDOM_RUNS, 100_000, () => ({ kind: 'random', afterBind: rand() % 2 === 0, framing: (['raw', 'message', 'operation'] as const)[rand() % 3]!, seed: rand() }));
    report(t, 'random answers', c, Date.now() - started);
    totalRuns += RANDOM_RUNS;
    assert.deepEqual(c.failures.slice(0, 20), [], 'every run ends in a typed error, none hangs');
    assert.equal(c.outcomes.get('success') ?? 0, 0, 'random bytes are never a search result');
  });

  test('nothing a run allocated is retained after the campaign (JS heap and buffers within 32 MiB, RSS within 512 MiB), and no connection is left open', async (t) => {
    assert.ok(totalRuns >= 10_000, `${totalRuns} runs`);
    clearInterval(sampler);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const forced = collect();
    const m = process.memoryUsage();
    const rssAfter = m.rss;
    const heapAfter = m.heapUsed + m.external;
    t.diagnostic(`RSS before ${(rssBefore / MiB).toFixed(1)} MiB, after ${(rssAfter / MiB).toFixed(1)} MiB; peak ${(rssPeak / MiB).toFixed(1)} MiB; JS heap + buffers ${(heapBefore / MiB).toFixed(1)} → ${(heapAfter / MiB).toFixed(1)} MiB (${totalRuns} runs; forced gc: ${forced ? 'yes' : 'no'})`);
    // Nothing a run allocated is kept: the heap after a full collection is where it started.
    if (forced) assert.ok(heapAfter - heapBefore < 32 * MiB, `JS heap grew by ${((heapAfter - heapBefore) / MiB).toFixed(1)} MiB`);
    // RSS keeps what malloc freed but did not return (up to 16 runs at once may each hold an
    // endless stream's 10 001 entries, ~80 MiB in ldapts): bounded, not a measure of retention
    // (the heap check above is). On Node 22 it grew 287–354 MiB over the campaign on 2 cores
    // under load, the same before and after the LAPS reader joined the guard, and 389 and 408 MiB
    // in two later clean CI runs (heap + buffers after gc: +3 and +8 MiB); the bound is 512.
    assert.ok(rssAfter - rssBefore < 512 * MiB, `RSS grew by ${((rssAfter - rssBefore) / MiB).toFixed(1)} MiB`);
    assert.equal(server.openConnections(), 0, 'connections the client left open');
  });

  test(`an endless SearchResultEntry stream ends with the entry-cap error (more than ${MAX_DIRECTORY_RESULTS} entries), not a timeout or memory growth`, async () => {
    collect();
    const rss = process.memoryUsage().rss;
    const started = Date.now();
    server.plan(1, { kind: 'endless-entries' });
    const error = await searchDirectoryComputers({ url: server.url, baseDn: BASE_DN, bindDn: READER_DN, password: 'run-1', timeoutMs: 15_000 }).then(
      () => assert.fail('an endless stream cannot succeed'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConsoleError, String(error));
    assert.equal(error.errorClass, 'directory-too-large');
    assert.match(error.message, new RegExp(`more than ${MAX_DIRECTORY_RESULTS} entries`));
    assert.match(error.advice, /[Nn]arrow the search base/);
    assert.ok(Date.now() - started < 5000, `ended after ${Date.now() - started} ms, well before the 15 s timeout`);
    assert.ok(process.memoryUsage().rss - rss < 100 * MiB);
  });

  test('endless pages (a done that always asks for more) end in the entry cap or the whole-search deadline', async (t) => {
    server.plan(2, { kind: 'endless-pages' });
    const started = Date.now();
    const error = await searchDirectoryComputers({ url: server.url, baseDn: BASE_DN, bindDn: READER_DN, password: 'run-2', timeoutMs: 2000, deadlineMs: 3000 }).then(
      () => assert.fail('endless pages cannot succeed'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConsoleError, String(error));
    assert.ok(['directory-too-large', 'directory-timeout'].includes(error.errorClass), error.errorClass);
    assert.ok(Date.now() - started < 4000);
    t.diagnostic(`endless pages: ${error.errorClass} after ${Date.now() - started} ms: ${error.message}`);
  });

  test('a 4 GiB length field and an answer to a message never sent are refused at once, not waited for', async () => {
    for (const [id, plan] of [
      [3, { kind: 'mutate', target: 0, mutation: 'extremeLength', seed: 0 }],
      [4, { kind: 'mutate', target: 1, mutation: 'messageId', seed: 2 }],
    ] as const) {
      const started = Date.now();
      server.plan(id, plan);
      const error = await searchDirectoryComputers({ url: server.url, baseDn: BASE_DN, bindDn: READER_DN, password: `run-${id}`, timeoutMs: 15_000 }).then(
        () => null,
        (e: unknown) => e,
      );
      if (error === null) continue; // this seed's mutation happened to stay valid
      assert.ok(error instanceof ConsoleError, String(error));
      assert.ok(Date.now() - started < 3000, `${plan.mutation}: ${error.errorClass} after ${Date.now() - started} ms`);
    }
    // The extreme length itself, deterministically: 0x84 FF FF FF FF on the BindResponse.
    const huge = Buffer.concat([Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), seed.bind.subarray(2)]);
    const hostile = await startHostileLdap({ bind: huge, search: seed.search }, '127.0.76.4');
    try {
      const started = Date.now();
      // withMessageId re-encodes a parseable message only; this one is sent as is.
      const error = await searchDirectoryComputers({ url: hostile.url, baseDn: BASE_DN, bindDn: READER_DN, password: 'x', timeoutMs: 15_000 }).catch((e: unknown) => e);
      assert.ok(error instanceof ConsoleError);
      assert.equal(error.errorClass, 'directory-protocol');
      assert.match(error.message, /4294967295 bytes/);
      assert.ok(Date.now() - started < 3000);
    } finally {
      await hostile.close();
    }
  });

  // Found by this fuzz: each of these answers, handed to ldapts as is, stops the console — the
  // first makes ldapts push empty strings until V8 aborts the process ("invalid size error"), the
  // other two spin in a decoding loop for ever with the event loop blocked.
  test('answers that aborted or froze the process inside ldapts (a string overrunning its BindResponse, entry value set or control) are directory-protocol errors', async () => {
    const overrunValue = tlv(0x30, tlv(0x04, Buffer.from('cn')), Buffer.from([0x31, 0x04, 0x04, 0x01, 0x61, 0x04, 0x7f]));
    const cases: Array<[string, LdapSeed]> = [
      ['BindResponse', { bind: Buffer.from('300c02010161070a0100047f0400', 'hex'), search: seed.search }],
      ['entry', { bind: seed.bind, search: [tlv(0x30, berInt(2), tlv(0x64, tlv(0x04, Buffer.from('cn=x')), tlv(0x30, overrunValue))), seed.search.at(-1)!] }],
      ['control', { bind: seed.bind, search: [tlv(0x30, berInt(2), tlv(0x65, tlv(0x0a, Buffer.from([0])), tlv(0x04), tlv(0x04)), tlv(0xa0, tlv(0x04, Buffer.from([0x04, 0x84]))))] }],
    ];
    for (const [what, hostileSeed] of cases) {
      const hostile = await startHostileLdap(hostileSeed, '127.0.76.4');
      try {
        const started = Date.now();
        const error = await searchDirectoryComputers({ url: hostile.url, baseDn: BASE_DN, bindDn: READER_DN, password: 'x', timeoutMs: 5000 }).catch((e: unknown) => e);
        assert.ok(error instanceof ConsoleError, `${what}: ${String(error)}`);
        assert.equal(error.errorClass, 'directory-protocol', `${what}: ${error.message}`);
        assert.ok(Date.now() - started < 1000, `${what}: refused at once`);
      } finally {
        await hostile.close();
      }
    }
  });

  test('a server that closes the connection after the bind is not reconnected to (no unbound search)', async () => {
    const hostile = await startHostileLdap(seed, '127.0.76.5');
    try {
      hostile.plan(1, { kind: 'close-after-bind' });
      const error = await searchDirectoryComputers({ url: hostile.url, baseDn: BASE_DN, bindDn: READER_DN, password: 'run-1', timeoutMs: 5000 }).catch((e: unknown) => e);
      assert.ok(error instanceof ConsoleError, String(error));
      assert.equal(error.errorClass, 'directory-closed');
      assert.equal(hostile.connections(), 1, 'one connection only');
    } finally {
      await hostile.close();
    }
  });

  test('after the campaign, a normal search against the real slapd still lists the four computers', async () => {
    const r = await searchDirectoryComputers({ url: slapd.ldapUrl, baseDn: BASE_DN, bindDn: READER_DN, password: READER_PASSWORD });
    assert.deepEqual(r.computers.map((c) => c.name).sort(), ['FS01', 'OLDBOX', 'WS-ACCT-01', 'WS-ACCT-02']);
  });
});
