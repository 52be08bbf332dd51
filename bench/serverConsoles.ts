// Benchmark (not a test): one task of N targets (default 10 000) pushed by a Push Install Server
// over PostgreSQL while C consoles (default 5) are connected to it, against the same work in local
// mode (the reference). Prints, for each mode, the wall time to push all, the peak RSS of the
// process that runs the engine, the p50/p95 latency of tasks.targets for the whole task (read over
// and over while it runs), and the events and event batches per second each console received;
// then the ratios server / local.
//   node scripts/tsx.mjs bench/serverConsoles.ts [--targets 10000] [--consoles 5] [--concurrency 200]
//        [--install-ms 200] [--sample-gap-ms 500] [--timeout-s 1800]
// How:
// - The lab: `pushctl lab` in its own process (test/support/labProcess.ts), N healthy hosts from
//   127.0.11.1 on SMB port 14496 (labAddresses fills .1–.254 of each /24: 10 000 hosts end at
//   127.0.50.94, so at most 10 160 fit before 127.0.51; 127.0.10.x, the demo lab's, stays out).
//   Above 2 000 hosts it has one shared listener on 0.0.0.0:14496 (main/lab/labListeners.ts),
//   below a listener per host. Both modes push to the same lab, local first.
// - Local (the reference): a child process (this file, --child local) runs createConsoleServices
//   over SQLite in a temp data folder, its package server on 127.0.6.2, and does the work through
//   the router as the Electron shell's IPC does (request and result checked by the contract, the
//   envelope copied with structuredClone as Electron's IPC copies it); its one consumer of the
//   event bus takes the events in frame-sized batches as the shells do (main/ipc/eventBatch.ts).
// - Server: PostgreSQL (test/support/postgres.ts) on 127.0.6.3; startPushServer in a child process
//   (this file, --child server) on 127.0.6.1, package server on 127.0.6.1 — a child so that its RSS
//   is the server's alone, not also the consoles' (their sockets, the parsed events and the copies
//   of tasks.targets' answers are in this process). The consoles sign in from 127.0.6.10 onwards
//   (serverClient signIn + connect): console 1 (an administrator) makes the task, console 2 (a
//   viewer, or console 1 when there is one console) reads tasks.targets, every console counts
//   the events and batches it receives (a batch is one numbered message: lastEventId changes).
// - RSS: /proc/<pid>/status VmRSS every 250 ms (peak of the samples) and VmHWM (the kernel's own
//   peak) of the engine's process; PostgreSQL's processes are not in it.
// - Everything is stopped by PID, and the temp folders and the PostgreSQL cluster removed, also
//   when a step fails or the bound (--timeout-s) passes.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createConsoleServices } from '../main/app/services.js';
import { createApi } from '../main/ipc/apiClient.js';
import { eventNames, type PushConsoleApi } from '../main/ipc/contract.js';
import { batchEvents } from '../main/ipc/eventBatch.js';
import { startPushServer } from '../main/serverMode/server.js';
import { connect, signIn, type ServerConnection } from '../main/serverMode/serverClient.js';
import { UsersRepo } from '../main/serverMode/users.js';
import { openPgStore } from '../main/store/pg/pgDatabase.js';
import { writeRendererFixture } from '../test/support/http.js';
import { startLabProcess, stopChild, type LabProcess } from '../test/support/labProcess.js';
import { startPostgres, type RunningPostgres } from '../test/support/postgres.js';
import { killAtExit, signal } from '../test/support/processes.js';
import { makeTempDir, removeDir } from '../test/support/tempDir.js';

const SERVER_HOST = '127.0.6.1';
const LOCAL_PACKAGE_HOST = '127.0.6.2';
const POSTGRES_HOST = '127.0.6.3';
/** Console i connects from 127.0.6.(10 + i). */
const CONSOLE_HOST_BASE = 10;
const LAB_FIRST = '127.0.11.1';
const LAB_PORT = 14496;
/** 127.0.11.1 … 127.0.50.254: 40 blocks of 254. */
const MAX_TARGETS = 40 * 254;
const COMPUTERS_BATCH = 1000;
const ADMIN = { name: 'bench-admin', password: 'bench-admin-password-1' };
const VIEWER = { name: 'bench-viewer', password: 'bench-viewer-password-2' };

const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '..');
const DEMO_MSI = path.join(root, 'assets', 'demo', 'PushInstallDemo.msi');

const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift(); // `node scripts/tsx.mjs bench/serverConsoles.ts -- --targets 500`
const { values } = parseArgs({
  args: argv,
  options: {
    targets: { type: 'string', default: '10000' },
    consoles: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '200' },
    'install-ms': { type: 'string', default: '200' },
    /** The pause between one tasks.targets answer and the next request. */
    'sample-gap-ms': { type: 'string', default: '500' },
    /** The bound on each mode's push. */
    'timeout-s': { type: 'string', default: '1800' },
    /** Internal: local | server, with --job FILE. */
    child: { type: 'string' },
    job: { type: 'string' },
  },
});

// ---- what both modes do --------------------------------------------------------------------

interface Work {
  readonly hosts: readonly { address: string }[];
  readonly labPort: number;
  readonly account: { user: string; password: string };
  readonly concurrency: number;
  readonly callbackAddress: string;
  readonly sampleGapMs: number;
  readonly timeoutMs: number;
}

/** What a console received: every event, and the batches (messages) they came in. */
interface Counter {
  events: number;
  batches: number;
}

/** A console's count, and how late each log.line reached it (its `at` to its arrival, ms). */
interface ConsoleCounter extends Counter {
  lagMs: number[];
}

/** Counts one event (of a batch of its own when `newBatch`); a log.line's delay from its `at`. */
function count(c: ConsoleCounter, event: string, payload: unknown): void {
  c.events++;
  if (event === 'log.line') c.lagMs.push(Date.now() - Date.parse((payload as { at: string }).at));
}

interface WorkResult {
  addMs: number;
  wallMs: number;
  succeeded: number;
  failed: number;
  targets: number;
  samplesMs: number[];
  /** Per console: the log.line delays (p50, p95, max). */
  lagMs: [number, number, number][];
  /** CPU of the engine's process from tasks.create to the last target (local: measured inside; server: from /proc). */
  pushCpuMs: number;
  /** Per console: what it had received when the last target ended, and once the events stopped. */
  atDone: Counter[];
  total: Counter[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The work: settings, the computers in batches of COMPUTERS_BATCH, the lab's credential, the demo
 * package, one task of every computer; while it runs `sampler` reads tasks.targets for the whole
 * task, a pause of sampleGapMs between answers. Ends when every target is done (task.progress),
 * or the task says finished (tasks.list, every second), within the bound.
 */
async function doWork(api: PushConsoleApi, sampler: PushConsoleApi, counters: ConsoleCounter[], work: Work, engineCpuMs: () => Promise<number> | number): Promise<WorkResult> {
  await api.invoke('settings.update', { maxConcurrentPushes: work.concurrency, callbackAddress: work.callbackAddress, simulatedLab: false });
  const tAdd = Date.now();
  const computerIds: number[] = [];
  for (let i = 0; i < work.hosts.length; i += COMPUTERS_BATCH) {
    const added = await api.invoke('computers.add', { entries: work.hosts.slice(i, i + COMPUTERS_BATCH).map((h) => `${h.address}:${work.labPort}`) });
    if (added.invalid.length || added.duplicates.length) throw new Error(`computers.add: ${added.invalid.length} invalid, ${added.duplicates.length} duplicates`);
    computerIds.push(...added.added.map((c) => c.id));
  }
  const addMs = Date.now() - tAdd;
  const credential = await api.invoke('credentials.set', { label: 'lab', user: work.account.user, password: work.account.password, remember: true });
  const pkg = await api.invoke('packages.create', { name: 'Push Install Demo', msiPath: DEMO_MSI, parameters: '', runAs: 'system' });

  const doneIds = new Map<number, Set<number>>();
  let lastDoneAt = 0;
  const offProgress = api.on('task.progress', (p) => {
    if (p.state !== 'done') return;
    let set = doneIds.get(p.taskId);
    if (!set) doneIds.set(p.taskId, (set = new Set()));
    set.add(p.targetId);
    lastDoneAt = Date.now();
  });
  for (const c of counters) {
    c.events = c.batches = 0;
    c.lagMs = [];
  }
  const cpu0 = await engineCpuMs();
  const t0 = Date.now();
  const { taskId } = await api.invoke('tasks.create', {
    name: `bench ${work.hosts.length} targets`, packageId: pkg.id, scheduledAt: null, runAs: 'system',
    targets: computerIds.map((computerId) => ({ computerId, credentialId: credential.id })),
  });
  computerIds.length = 0;
  const n = work.hosts.length;
  let finished = false;
  const samplesMs: number[] = [];
  const sampling = (async () => {
    while (!finished) {
      const t = performance.now();
      const rows = await sampler.invoke('tasks.targets', { taskId });
      samplesMs.push(performance.now() - t);
      if (rows.length !== n) throw new Error(`tasks.targets gave ${rows.length} targets, not ${n}`);
      if (!finished) await sleep(work.sampleGapMs);
    }
  })();
  const deadline = t0 + work.timeoutMs;
  let lastPoll = 0;
  let doneAt = 0;
  try {
    for (;;) {
      if ((doneIds.get(taskId)?.size ?? 0) >= n) {
        doneAt = lastDoneAt;
        break;
      }
      if (Date.now() - lastPoll >= 1000) {
        lastPoll = Date.now();
        const task = (await api.invoke('tasks.list', {})).find((x) => x.id === taskId);
        if (task && (task.status === 'finished' || task.status === 'cancelled') && (doneIds.get(taskId)?.size ?? 0) < n) {
          doneAt = Date.now();
          break;
        }
      }
      if (Date.now() > deadline) throw new Error(`the task did not end within ${work.timeoutMs / 1000} s (${doneIds.get(taskId)?.size ?? 0} of ${n} done)`);
      await sleep(20);
    }
  } finally {
    finished = true;
    offProgress();
  }
  const wallMs = doneAt - t0;
  const pushCpuMs = (await engineCpuMs()) - cpu0;
  const atDone = counters.map((c) => ({ events: c.events, batches: c.batches }));
  await sampling;
  // The last batches: until no console has received anything for 500 ms (10 s at most).
  let seen = -1;
  for (let i = 0; i < 20; i++) {
    const now = counters.reduce((s, c) => s + c.events, 0);
    if (now === seen) break;
    seen = now;
    await sleep(500);
  }
  const task = (await api.invoke('tasks.list', {})).find((x) => x.id === taskId)!;
  const lagMs = counters.map((c) => [percentile(c.lagMs, 50), percentile(c.lagMs, 95), c.lagMs.reduce((a, b) => Math.max(a, b), 0)] as [number, number, number]);
  return { addMs, wallMs, pushCpuMs, succeeded: task.succeeded, failed: task.failed, targets: task.targets, samplesMs, lagMs, atDone, total: counters.map((c) => ({ events: c.events, batches: c.batches })) };
}

// ---- the children ------------------------------------------------------------------------

interface LocalJob extends Work {
  readonly dataDir: string;
}
interface ServerJob {
  readonly dbUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
}

/** Local mode in this (child) process: its figures as one JSON line on stdout. */
async function runLocalChild(job: LocalJob): Promise<void> {
  const services = createConsoleServices({ dataDir: job.dataDir, shell: 'electron' });
  try {
    const runtime = await services.startPush({ port: 0, host: LOCAL_PACKAGE_HOST });
    if (runtime instanceof Error) throw runtime;
    const router = services.router(() => true);
    const sender = { shell: 'electron' as const, url: 'bench://local' };
    const api = createApi({
      invoke: async (channel, request) => structuredClone(await router.dispatch(channel, request, sender)),
      subscribe: (event, listener) => services.events.subscribe((name, payload) => name === event && listener(payload)),
    });
    const counter: ConsoleCounter = { events: 0, batches: 0, lagMs: [] };
    const batcher = batchEvents(services.events, (batch) => {
      counter.batches++;
      for (const { event, payload } of batch) count(counter, event, payload);
    });
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const result = await doWork(api, api, [counter], job, cpu);
    batcher.close();
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    // The parent reads this process's /proc (RSS peak, CPU) before it stops it.
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
  } finally {
    await services.close();
  }
}

/** The server in this (child) process until SIGTERM: its address as one JSON line on stdout. */
async function runServerChild(job: ServerJob): Promise<void> {
  const log = fs.openSync(job.logFile, 'a');
  const server = await startPushServer({
    dbUrl: job.dbUrl, host: SERVER_HOST, port: 0, dataDir: job.dataDir, rendererDir: writeRendererFixture(job.dataDir),
    packagePort: 0, packageHost: SERVER_HOST, log: (line) => fs.writeSync(log, `${line}\n`),
  });
  if (!server.engineActive()) throw new Error('the server does not run the engine');
  process.stdout.write(`READY ${JSON.stringify({ url: server.url, fingerprint: server.certificate.fingerprint })}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await server.close();
  fs.closeSync(log);
}

// ---- the parent --------------------------------------------------------------------------

const cleanups: (() => Promise<void> | void)[] = [];

/** A child running this file with --child, its stdout lines, stopped by its PID. */
function spawnSelf(kind: 'local' | 'server', jobFile: string): { child: ChildProcess; line: (prefix: string, timeoutMs: number) => Promise<string>; stop: () => Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', self, '--child', kind, '--job', jobFile], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    // No demo lab on 127.0.10.x, never the developer's keychain.
    env: { ...process.env, PUSHCONSOLE_LAB: '0', PUSHCONSOLE_KEYCHAIN: 'off' },
  });
  const forget = killAtExit(() => child.pid && signal(child.pid, 'SIGKILL'));
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    line: async (prefix, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = out.split('\n').find((l) => l.startsWith(`${prefix} `));
        if (found) return found.slice(prefix.length + 1);
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the ${kind} child exited (${child.exitCode ?? child.signalCode}) without ${prefix}: ${out.slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`the ${kind} child printed no ${prefix} within ${timeoutMs / 1000} s`);
        await Promise.race([exited, sleep(100)]);
      }
    },
    stop: async () => {
      await stopChild(child);
      forget();
    },
  };
}

/** RSS of a process: every 250 ms from /proc (peak of the samples), and the kernel's peak (VmHWM) at the end. */
function rssSampler(pid: number): { stop: () => { peakSampled: number; hwm: number; samples: number } } {
  const read = (field: string) => {
    try {
      return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    } catch {
      return 0;
    }
  };
  let peak = 0;
  let samples = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, read('VmRSS'));
    samples++;
  }, 250);
  return {
    stop: () => {
      clearInterval(timer);
      return { peakSampled: Math.max(peak, read('VmRSS')), hwm: read('VmHWM'), samples };
    },
  };
}

/** A process's user + system CPU time in ms from /proc (USER_HZ 100). */
function cpuMsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** The `pushctl lab` child of this process (startLabProcess keeps its PID to itself): found by its command line. */
function labPid(): number | null {
  for (const tid of fs.readdirSync(`/proc/${process.pid}/task`)) {
    const children = fs.readFileSync(`/proc/${process.pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const pid of children) {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd.includes('lab') && cmd.includes(LAB_FIRST) && cmd.includes(String(LAB_PORT))) return Number(pid);
    }
  }
  return null;
}

interface ModeResult extends WorkResult {
  rss: { peakSampled: number; hwm: number; samples: number };
  engineCpuMs: number;
  labCpuMs: number;
  /** Server: the consoles' process (this one); local: none. */
  consolesCpuMs: number | null;
  /** Server: the batches and events stored (event_batches) from the task's start. */
  stored: Counter | null;
}

async function runLocal(dir: string, work: Work, lab: number | null): Promise<ModeResult> {
  const jobFile = path.join(dir, 'local.json');
  fs.writeFileSync(jobFile, JSON.stringify({ ...work, dataDir: path.join(dir, 'local') } satisfies LocalJob));
  const labCpu0 = lab ? cpuMsOf(lab) : NaN;
  const child = spawnSelf('local', jobFile);
  cleanups.push(child.stop);
  const rss = rssSampler(child.child.pid!);
  try {
    const result = JSON.parse(await child.line('RESULT', work.timeoutMs + 600_000)) as WorkResult;
    const engineCpuMs = cpuMsOf(child.child.pid!);
    return { ...result, rss: rss.stop(), engineCpuMs, labCpuMs: lab ? cpuMsOf(lab) - labCpu0 : NaN, consolesCpuMs: null, stored: null };
  } finally {
    rss.stop();
    await child.stop();
  }
}

async function runServer(dir: string, work: Work, consoles: number, lab: number | null): Promise<ModeResult> {
  const postgres: RunningPostgres = await startPostgres({ host: POSTGRES_HOST });
  cleanups.push(() => postgres.stop());
  const store = await openPgStore({ url: postgres.url });
  try {
    await new UsersRepo(store).add(ADMIN.name, 'administrator', ADMIN.password);
    await new UsersRepo(store).add(VIEWER.name, 'viewer', VIEWER.password);
  } finally {
    store.close();
  }
  const jobFile = path.join(dir, 'server.json');
  const logFile = path.join(dir, 'server.log');
  fs.writeFileSync(jobFile, JSON.stringify({ dbUrl: postgres.url, dataDir: path.join(dir, 'server'), logFile } satisfies ServerJob));
  const child = spawnSelf('server', jobFile);
  cleanups.push(child.stop);
  const connections: ServerConnection[] = [];
  cleanups.push(() => connections.forEach((c) => c.close()));
  const rss = rssSampler(child.child.pid!);
  let db: pg.Client | null = null;
  try {
    const { url, fingerprint } = JSON.parse(await child.line('READY', 120_000)) as { url: string; fingerprint: string };
    const counters: ConsoleCounter[] = [];
    for (let i = 0; i < consoles; i++) {
      const account = i === 0 ? ADMIN : VIEWER;
      const session = await signIn({ url, fingerprint, localAddress: `127.0.6.${CONSOLE_HOST_BASE + i}` }, account.name, account.password);
      const connection = await connect(session);
      connections.push(connection);
      const counter: ConsoleCounter = { events: 0, batches: 0, lagMs: [] };
      counters.push(counter);
      let lastId = connection.lastEventId();
      // The events of one message reach the listeners in one go, after lastEventId took its number.
      for (const name of eventNames) {
        connection.api.on(name, (payload) => {
          count(counter, name, payload);
          const id = connection.lastEventId();
          if (id !== lastId) {
            lastId = id;
            counter.batches++;
          }
        });
      }
    }
    db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    const client = db;
    let before = 0;
    let own0 = process.cpuUsage();
    const labCpu0 = lab ? cpuMsOf(lab) : NaN;
    const pid = child.child.pid!;
    // Called just before tasks.create (the stored events and this process's CPU from there) and at the end.
    let first = true;
    const engineCpu = async () => {
      if (first) {
        first = false;
        before = Number((await client.query<{ n: string }>('SELECT COALESCE(MAX(id), 0) AS n FROM event_batches')).rows[0]!.n);
        own0 = process.cpuUsage();
      }
      return cpuMsOf(pid);
    };
    const result = await doWork(connections[0]!.api, connections[Math.min(1, consoles - 1)]!.api, counters, work, engineCpu);
    const own = process.cpuUsage(own0);
    const labCpuMs = lab ? cpuMsOf(lab) - labCpu0 : NaN;
    const engineCpuMs = cpuMsOf(pid);
    const stored = (await db.query<{ batches: string; events: string | null }>('SELECT COUNT(*) AS batches, SUM(json_array_length(events::json)) AS events FROM event_batches WHERE id > $1', [before])).rows[0]!;
    return { ...result, rss: rss.stop(), engineCpuMs, labCpuMs, consolesCpuMs: (own.user + own.system) / 1000, stored: { batches: Number(stored.batches), events: Number(stored.events ?? 0) } };
  } catch (error) {
    const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n') : '';
    if (tail) console.error(`the server's log, last lines:\n${tail}`);
    throw error;
  } finally {
    rss.stop();
    await db?.end().catch(() => undefined);
    for (const c of connections) c.close();
    await child.stop();
    await postgres.stop();
  }
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '—');

function report(name: string, r: ModeResult, n: number): void {
  const w = r.wallMs / 1000;
  console.log(`— ${name}`);
  console.log(`  targets           ${r.succeeded}/${n} succeeded, ${r.failed} failed; computers.add of ${n} in batches of ${COMPUTERS_BATCH}: ${secs(r.addMs)}`);
  console.log(`  wall time         ${secs(r.wallMs)} to push all (${(n / w).toFixed(0)} targets/s)`);
  console.log(`  engine RSS        peak ${mib(r.rss.peakSampled)} sampled (${r.rss.samples} samples), VmHWM ${mib(r.rss.hwm)}`);
  const cpu = [`engine's process ${secs(r.pushCpuMs)} during the push (${(r.pushCpuMs / n).toFixed(1)} ms a target; ${secs(r.engineCpuMs)} in all its life)`, `lab ${secs(r.labCpuMs)}`, ...(r.consolesCpuMs !== null ? [`consoles' process ${secs(r.consolesCpuMs)}`] : [])];
  console.log(`  CPU               ${cpu.join(', ')}; ${os.availableParallelism()} cores`);
  console.log(`  tasks.targets     p50 ${percentile(r.samplesMs, 50).toFixed(0)} ms, p95 ${percentile(r.samplesMs, 95).toFixed(0)} ms, max ${Math.max(...r.samplesMs).toFixed(0)} ms (${r.samplesMs.length} reads of ${n} targets)`);
  r.atDone.forEach((c, i) => {
    const total = r.total[i]!;
    const [p50, p95, max] = r.lagMs[i]!.map((ms) => ms.toFixed(0));
    console.log(`  console ${i + 1}         ${(c.events / w).toFixed(0)} events/s, ${(c.batches / w).toFixed(1)} batches/s (${c.events} events in ${c.batches} batches, ${(c.events / Math.max(1, c.batches)).toFixed(1)} a batch; ${total.events} in ${total.batches} once they stopped); log.line late by p50 ${p50} ms, p95 ${p95} ms, max ${max} ms`);
  });
  if (r.stored) console.log(`  stored            ${r.stored.events} events in ${r.stored.batches} batches (event_batches)`);
}

async function main(): Promise<void> {
  const n = Number(values.targets);
  const consoles = Number(values.consoles);
  const concurrency = Number(values.concurrency);
  const installMs = Number(values['install-ms']);
  if (!Number.isInteger(n) || n < 1 || n > MAX_TARGETS) throw new Error(`--targets must be 1..${MAX_TARGETS} (one lab host each, 127.0.11.1–127.0.50.254)`);
  if (!Number.isInteger(consoles) || consoles < 1 || consoles > 200) throw new Error('--consoles must be 1..200');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 200) throw new Error('--concurrency must be 1..200');
  const dir = makeTempDir('pic-bench-server-');
  cleanups.push(() => removeDir(dir));

  const labStarted = Date.now();
  const lab: LabProcess = await startLabProcess(n, LAB_FIRST, LAB_PORT, installMs);
  cleanups.push(() => lab.stop());
  const labProcess = labPid();
  if (labProcess) cleanups.push(killAtExit(() => signal(labProcess, 'SIGKILL')));
  console.log(`Push Install Server with ${consoles} consoles: ${n} targets, concurrency ${concurrency}, installs ${installMs} ms, tasks.targets read every ${values['sample-gap-ms']} ms after the last answer`);
  console.log(`lab: ${n} healthy hosts ${lab.hosts[0]!.address}–${lab.hosts.at(-1)!.address}:${LAB_PORT} (${n > 2000 ? 'one shared listener' : 'a listener per host'}) in a child process, listening after ${secs(Date.now() - labStarted)}`);
  const work: Work = {
    hosts: lab.hosts.map((h) => ({ address: h.address })),
    labPort: lab.port,
    account: lab.account,
    concurrency,
    callbackAddress: LOCAL_PACKAGE_HOST,
    sampleGapMs: Number(values['sample-gap-ms']),
    timeoutMs: Number(values['timeout-s']) * 1000,
  };
  const local = await runLocal(dir, work, labProcess);
  report('local (reference): SQLite, one in-process consumer of the event bus', local, n);
  const server = await runServer(dir, { ...work, callbackAddress: SERVER_HOST }, consoles, labProcess);
  report(`server: PostgreSQL, ${consoles} consoles over WSS`, server, n);

  const perConsole = (r: ModeResult, f: (c: Counter) => number) => r.atDone.map(f).reduce((a, b) => a + b, 0) / r.atDone.length / (r.wallMs / 1000);
  console.log('— server / local');
  console.log(`  wall time         ${ratio(server.wallMs, local.wallMs)}  (${secs(server.wallMs)} / ${secs(local.wallMs)})`);
  console.log(`  peak RSS          ${ratio(server.rss.peakSampled, local.rss.peakSampled)}  (${mib(server.rss.peakSampled)} / ${mib(local.rss.peakSampled)}; VmHWM ${ratio(server.rss.hwm, local.rss.hwm)})`);
  console.log(`  tasks.targets p50 ${ratio(percentile(server.samplesMs, 50), percentile(local.samplesMs, 50))}, p95 ${ratio(percentile(server.samplesMs, 95), percentile(local.samplesMs, 95))}`);
  console.log(`  events/s          ${ratio(perConsole(server, (c) => c.events), perConsole(local, (c) => c.events))} per console (mean of ${consoles}), batches/s ${ratio(perConsole(server, (c) => c.batches), perConsole(local, (c) => c.batches))}`);
  console.log(`  CPU per target    engine's process ${ratio(server.pushCpuMs, local.pushCpuMs)} (${(server.pushCpuMs / n).toFixed(1)} / ${(local.pushCpuMs / n).toFixed(1)} ms), lab ${ratio(server.labCpuMs, local.labCpuMs)}`);
  const lag = (r: ModeResult, k: 0 | 1) => r.lagMs.map((l) => l[k]).reduce((a, b) => a + b, 0) / r.lagMs.length;
  console.log(`  log.line delay    p50 ${ratio(lag(server, 0), lag(local, 0))}, p95 ${ratio(lag(server, 1), lag(local, 1))} (${lag(server, 1).toFixed(0)} / ${lag(local, 1).toFixed(0)} ms, mean over the consoles)`);
}

const run = values.child === 'local'
  ? runLocalChild(JSON.parse(fs.readFileSync(values.job!, 'utf8')) as LocalJob)
  : values.child === 'server'
    ? runServerChild(JSON.parse(fs.readFileSync(values.job!, 'utf8')) as ServerJob)
    : main();
if (!values.child) {
  // Ctrl+C: the children, the cluster and the temp folders go too.
  const stop = async () => {
    for (const fn of [...cleanups].reverse()) await Promise.resolve().then(fn).catch(() => undefined);
    process.exit(130);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
run
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const fn of cleanups.reverse()) {
      await Promise.resolve()
        .then(fn)
        .catch((error: unknown) => console.error('cleanup:', error));
    }
  });
