// Benchmark (not a test): the engine pushes N targets on healthy simulated hosts at concurrency C,
// each install taking T ms, for one or several sizes in one invocation. Prints, per size, wall time,
// the ideal N/C × T, their ratio, the per-push overhead, the CPU per push of the console and of the
// lab (and the ratio that CPU alone allows on this machine), peak RSS, heap after GC (mid-task and at
// the end) and, against the smallest size, the growth per target in KB (RSS and heap); then the
// time to classify offline hosts (refused and silent) against the connect bound (--offline 0: none).
//   npx tsx bench/labPush.ts [--hosts 1000,5000,20000] [--concurrency 20,100,200] [--install-ms 2000]
//                            [--package-kb 1024] [--offline 100] [--lab-hosts H] [--personality windows|samba]
// How: the lab runs in a child (`pushctl lab`), started once with as many hosts as the largest size
// (or --lab-hosts, or fewer when the lab refuses that many: its "--hosts must be 1..MAX" is read and
// MAX used). Each size's engine runs in a child of its own (`--expose-gc`, a fresh heap), so the
// peak RSS printed is that console process's alone (package server included) and no size inherits
// another's heap. A size larger than the lab reuses its hosts: target i goes to host i mod H under
// a computer name of its own (LAB-PC-0042, LAB-PC-0042-R1, …) — the engine does not care, and a lab
// host runs several agents at once (each run has its own folder and service name). Concurrency
// per size: --concurrency (as many values as --hosts), else N/50 capped at 200.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Db } from '../main/store/database.js';
import { startEngineFixture } from '../test/support/engineFixture.js';
import { writeRandomFile } from '../test/support/payload.js';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '1000' },
    concurrency: { type: 'string' },
    'install-ms': { type: 'string', default: '2000' },
    'package-kb': { type: 'string', default: '1024' },
    offline: { type: 'string', default: '100' },
    port: { type: 'string', default: '14480' },
    'lab-hosts': { type: 'string' },
    /** How the lab's hosts answer: windows (interim responses, one-credit legs, a service launch) or samba. */
    personality: { type: 'string', default: 'windows' },
    /** Internal: run one size in this process (the job's JSON file), print its figures as JSON. */
    child: { type: 'string' },
  },
});
const list = (s: string) => s.split(',').map((v) => Number(v.trim()));
const installMs = Number(values['install-ms']);
const offline = Number(values.offline);
const port = Number(values.port);
const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '..');

interface LabDoc { hosts: { name: string; address: string; profile: string }[]; account: { user: string; password: string } }
interface SizeJob { lab: LabDoc; size: number; concurrency: number; installMs: number; msiPath: string; port: number }
interface SizeResult { size: number; concurrency: number; ok: number; wallMs: number; peakConcurrent: number; peakRss: number; heapStart: number; heapMid: number; heapEnd: number; rssEnd: number; rssStart: number; peakExternal: number; peakHeapTotal: number; cpuMs: number; labCpuMs?: number; timeline: ReturnType<typeof timeline>; loopDelayMs: number[] }

/** Starts `pushctl lab` in a child process and resolves with its host list once it listens (rejects with its stderr if it exits). */
function startLabProcess(args: string[]): Promise<{ child: ChildProcess; doc: LabDoc }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'main', 'cli', 'entry.ts'), 'lab', '--json', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      process.stderr.write(c);
    });
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve({ child, doc: JSON.parse(line) as LabDoc });
    });
    child.once('exit', (code) => reject(new Error(`pushctl lab exited with ${code}: ${err.trim()}`)));
  });
}

/** The lab with `hosts` hosts, or with the most it accepts when that is fewer. */
async function startHealthyLab(hosts: number): Promise<{ child: ChildProcess; doc: LabDoc }> {
  const args = (n: number) => ['--hosts', String(n), '--first', '127.0.40.1', '--port', String(port), '--profile', 'healthy', '--install-ms', String(installMs), '--personality', values.personality];
  try {
    return await startLabProcess(args(hosts));
  } catch (error) {
    const max = /--hosts must be 1\.\.(\d+)/.exec((error as Error).message)?.[1];
    if (!max || Number(max) >= hosts) throw error;
    console.log(`(the lab takes at most ${max} hosts: the larger sizes reuse them)`);
    return startLabProcess(args(Number(max)));
  }
}

const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });

/** node:test's `t.after` stand-in: the bench closes what it opened, in reverse order. */
const cleanups: (() => Promise<void> | void)[] = [];
const t = { after: (fn: () => Promise<void> | void) => void cleanups.push(fn) };

/** One size, in this (child) process: its figures as one JSON line on stdout. */
async function runSize(job: SizeJob): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const heapAfterGc = () => (gc(), process.memoryUsage().heapUsed);
  // The console's own poll interval (1 s; the fixture's 100 ms is for tests).
  const fx = await startEngineFixture(t, { msiPath: job.msiPath, settings: { maxConcurrentPushes: job.concurrency }, timeouts: { pollMs: 1000, connectMs: 5000, agentCallbackMs: 60_000 } });
  const credentialId = fx.runtime.vault.put('lab', job.lab.account.user, job.lab.account.password);
  const heapStart = heapAfterGc();
  const rssStart = process.memoryUsage.rss();
  const hosts = job.lab.hosts;
  const targets = Array.from({ length: job.size }, (_, i) => {
    const h = hosts[i % hosts.length]!;
    const round = Math.floor(i / hosts.length);
    return { computerName: round === 0 ? h.name : `${h.name}-R${round}`, address: h.address, port: job.port, credentialId };
  });
  let peakRss = 0;
  let peakExternal = 0;
  let peakHeapTotal = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakExternal = Math.max(peakExternal, m.external);
    peakHeapTotal = Math.max(peakHeapTotal, m.heapTotal);
  }, 250);
  let heapMid = 0;
  let done = 0;
  fx.events.subscribe((event, payload) => {
    if (event === 'task.progress' && (payload as { state: string }).state === 'done' && ++done === Math.floor(job.size / 2)) setImmediate(() => (heapMid = heapAfterGc()));
  });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const taskId = fx.runtime.engine.submit({ name: 'bench', packageId: fx.packageId, targets });
  targets.length = 0;
  await fx.runtime.engine.waitForTask(taskId);
  const wallMs = Date.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const ok = fx.tasks.targetTally(taskId).succeeded;
  const heapEnd = heapAfterGc();
  const result: SizeResult = { size: job.size, concurrency: job.concurrency, ok, wallMs, peakConcurrent: fx.runtime.engine.peakConcurrent, peakRss, heapStart, heapMid, heapEnd, rssEnd: process.memoryUsage().rss, rssStart, peakExternal, peakHeapTotal, cpuMs: (cpu.user + cpu.system) / 1000, timeline: timeline(fx.db, taskId), loopDelayMs: [0.5, 0.99].map((p) => loop.percentile(p * 100) / 1e6).concat(loop.max / 1e6) };
  loop.disable();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await fx.close();
}

/**
 * Where a push spends its time: for the step-log lines every push of the second half of the task
 * writes (step and the detail's first words), the median and mean time from the push's first line.
 */
function timeline(db: Db, taskId: number): { steps: [string, number, number][]; busyMs: number; meanMs: number } {
  const rows = db.prepare('SELECT s.target_id AS id, s.at AS at, s.step AS step, s.detail AS detail FROM step_logs s JOIN task_targets t ON t.id = s.target_id WHERE t.task_id = ? ORDER BY s.id').all(taskId) as { id: number; at: string; step: string; detail: string }[];
  const byTarget = new Map<number, { at: number; key: string }[]>();
  for (const r of rows) {
    const key = `${r.step}: ${r.detail.replace(/\d+/g, '#').split(' ').slice(0, 4).join(' ')}`;
    let lines = byTarget.get(r.id);
    if (!lines) byTarget.set(r.id, (lines = []));
    lines.push({ at: Date.parse(r.at), key });
  }
  const ids = [...byTarget.keys()].sort((a, b) => a - b).slice(Math.floor(byTarget.size / 2));
  const offsets = new Map<string, number[]>();
  const order: string[] = [];
  for (const id of ids) {
    const lines = byTarget.get(id)!;
    for (const line of lines) {
      let seen = offsets.get(line.key);
      if (!seen) {
        offsets.set(line.key, (seen = []));
        order.push(line.key);
      }
      seen.push(line.at - lines[0]!.at);
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  // Slot time: from each push's first line to its last, all pushes; over the wall time, how many slots were busy on average.
  let busyMs = 0;
  for (const lines of byTarget.values()) busyMs += lines.at(-1)!.at - lines[0]!.at;
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const steps = order.filter((k) => offsets.get(k)!.length >= ids.length / 2).map((k) => [k, median(offsets.get(k)!), mean(offsets.get(k)!)] as [string, number, number]).sort((a, b) => a[1] - b[1]);
  return { steps, busyMs, meanMs: busyMs / byTarget.size };
}

/** Runs one size in a child process (a fresh heap) and reads its figures. */
function runSizeChild(job: SizeJob, dir: string): Promise<SizeResult> {
  const file = path.join(dir, `job-${job.size}.json`);
  fs.writeFileSync(file, JSON.stringify(job));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"size"'));
      if (line) resolve(JSON.parse(line) as SizeResult);
      else reject(new Error(`the size ${job.size} child exited with ${code}: ${out}`));
    });
  });
}

/** A process's user + system CPU time in ms from /proc (Linux), or undefined elsewhere. */
function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

function report(r: SizeResult, smallest: SizeResult): void {
  const ideal = (r.size / r.concurrency) * installMs;
  const rounds = r.size / r.concurrency;
  console.log(`— ${r.size} targets, concurrency ${r.concurrency}, install ${installMs} ms, package ${values['package-kb']} KiB`);
  console.log(`  succeeded         ${r.ok}/${r.size} (peak concurrent pushes ${r.peakConcurrent})`);
  console.log(`  wall time         ${(r.wallMs / 1000).toFixed(1)} s; ideal N/C × T ${(ideal / 1000).toFixed(1)} s; ratio ${(r.wallMs / ideal).toFixed(3)}  (goal ≤ 1.05)`);
  console.log(`  overhead per push ${((r.wallMs - ideal) / rounds).toFixed(0)} ms (wall − ideal, per round of ${r.concurrency})`);
  const cores = os.availableParallelism();
  const lab = r.labCpuMs === undefined ? '' : `; the lab ${(r.labCpuMs / r.size).toFixed(1)} ms`;
  console.log(`  CPU per push      console ${(r.cpuMs / r.size).toFixed(1)} ms${lab}; both busy ${(((r.cpuMs + (r.labCpuMs ?? 0)) / r.wallMs / cores) * 100).toFixed(0)} % of ${cores} cores`);
  // C pushes every T ms need C × (CPU per push) of CPU in those T ms: above the machine's cores,
  // no engine reaches the ideal, as the lab shares the machine (ratio ≥ this).
  const floor = (((r.cpuMs + (r.labCpuMs ?? 0)) / r.size) * r.concurrency) / (cores * installMs);
  console.log(`  CPU-bound ratio   ${floor.toFixed(3)}  (console + lab CPU for ${r.concurrency} pushes per ${installMs} ms on ${cores} cores; the ratio cannot go below it here)`);
  // Each process runs its work on one event loop: at the ideal rate (C pushes per T) a loop is this
  // busy. Near 1 every request waits behind the others (queueing), so the ratio stays well above 1.
  const busiest = Math.max(r.cpuMs, r.labCpuMs ?? 0) / r.size;
  console.log(`  one-loop load     ${((busiest * r.concurrency) / installMs).toFixed(2)}  (the busier process's ${busiest.toFixed(1)} ms per push × ${r.concurrency} per ${installMs} ms: its event loop's share at the ideal rate; ≥ 1 cannot keep up)`);
  console.log(`  peak RSS          ${mib(r.peakRss)} MiB  (goal < 300 MiB); ${mib(r.rssStart)} MiB at submit, ${mib(r.rssEnd)} MiB at the end; peak V8 heap ${mib(r.peakHeapTotal)} MiB, external ${mib(r.peakExternal)} MiB`);
  console.log(`  heap after GC     ${mib(r.heapStart)} MiB at submit, ${mib(r.heapMid)} MiB half done, ${mib(r.heapEnd)} MiB at the end`);
  const [p50, p99, max] = r.loopDelayMs.map((ms) => ms.toFixed(0));
  console.log(`  event-loop delay  console p50 ${p50} ms, p99 ${p99} ms, max ${max} ms (every request in flight waits that long)`);
  console.log(`  pushes            mean ${r.timeline.meanMs.toFixed(0)} ms from first to last step; slots busy ${(r.timeline.busyMs / r.wallMs).toFixed(1)} of ${r.concurrency} on average`);
  console.log(`  a push's steps    ${r.timeline.steps.map(([step, ms, mean]) => `${ms} ms (mean ${mean.toFixed(0)}) ${step}`).join('\n                    ')}`);
  if (r !== smallest && r.size > smallest.size) {
    const per = (a: number, b: number) => ((a - b) / (r.size - smallest.size) / 1024).toFixed(2);
    console.log(`  per target vs ${smallest.size}: RSS ${per(r.peakRss, smallest.peakRss)} KB, heap half done ${per(r.heapMid, smallest.heapMid)} KB (concurrency differs too: ${smallest.concurrency} → ${r.concurrency})`);
  }
}

async function offlineHosts(msi: string, dir: string, concurrency: number): Promise<void> {
  // Offline hosts: half refused, half silent, classified against the connect bound (at the smallest size's concurrency).
  const specFile = path.join(dir, 'offline.json');
  fs.writeFileSync(specFile, JSON.stringify({ mix: { 'offline-refused': 1, 'offline-silent': 1 } }));
  const off = await startLabProcess(['--hosts', String(offline), '--first', '127.0.48.1', '--port', String(port), '--profile', specFile]);
  cleanups.push(() => stopChild(off.child));
  const connectMs = 2000;
  const fx = await startEngineFixture(t, { msiPath: msi, settings: { maxConcurrentPushes: concurrency }, timeouts: { connectMs } });
  const cred = fx.runtime.vault.put('lab', off.doc.account.user, off.doc.account.password);
  const t1 = Date.now();
  const task = fx.runtime.engine.submit({ name: 'offline', packageId: fx.packageId, targets: off.doc.hosts.map((h) => ({ computerName: h.name, address: h.address, port, credentialId: cred })) });
  await fx.runtime.engine.waitForTask(task);
  const classify = Date.now() - t1;
  const byClass = new Map<string, number>();
  for (const r of fx.tasks.targetRecords(task)) byClass.set(r.error_class ?? 'none', (byClass.get(r.error_class ?? 'none') ?? 0) + 1);
  const silent = off.doc.hosts.filter((h) => h.profile === 'offline-silent').length;
  console.log(`offline hosts     ${offline} (${offline - silent} refused, ${silent} silent), concurrency ${concurrency}, connect bound ${connectMs} ms`);
  console.log(`classified in     ${(classify / 1000).toFixed(1)} s: ${[...byClass].map(([c, n]) => `${c} ${n}`).join(', ')}`);
  // Probing in the push slot would cost a bound per slot-full of silent hosts; probed while queued
  // (main/engine/probeAhead.ts), a window of them costs about one bound.
  console.log(`if probed in slots ${((Math.ceil(silent / concurrency) * connectMs) / 1000).toFixed(1)} s; one connect bound ${(connectMs / 1000).toFixed(1)} s (probed while queued)`);
  await fx.close();
  await stopChild(off.child);
}

async function main(): Promise<void> {
  const sizes = list(values.hosts).sort((a, b) => a - b);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--hosts: whole numbers, comma-separated');
  const given = values.concurrency ? list(values.concurrency) : null;
  if (given && given.length !== sizes.length && given.length !== 1) throw new Error('--concurrency: one value, or as many as --hosts');
  // Given values follow the order of --hosts as written.
  const written = list(values.hosts);
  const concurrencyOf = (n: number) => (given ? (given.length === 1 ? given[0]! : given[written.indexOf(n)]!) : Math.max(1, Math.min(200, Math.round(n / 50))));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-bench-lab-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const msi = path.join(dir, 'bench.msi');
  writeRandomFile(msi, Number(values['package-kb']) * 1024);

  const largest = sizes.at(-1)!;
  const labStarted = Date.now();
  const lab = await startHealthyLab(values['lab-hosts'] ? Math.min(Number(values['lab-hosts']), largest) : largest);
  cleanups.push(() => stopChild(lab.child));
  const labRss = (() => {
    try {
      return /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${lab.child.pid}/status`, 'utf8'))?.[1];
    } catch {
      return undefined; // not Linux
    }
  })();
  console.log(`lab: ${lab.doc.hosts.length} healthy hosts in a child process, listening ${((Date.now() - labStarted) / 1000).toFixed(1)} s after its start (Node's start-up included), RSS ${labRss ? `${(Number(labRss) / 1024).toFixed(0)} MiB` : '?'}`);
  const results: SizeResult[] = [];
  for (const size of sizes) {
    const lab1 = { ...lab.doc, hosts: lab.doc.hosts.slice(0, size) };
    const labCpu0 = cpuMsOf(lab.child.pid!);
    const r = await runSizeChild({ lab: lab1, size, concurrency: concurrencyOf(size), installMs, msiPath: msi, port }, dir);
    const labCpu1 = cpuMsOf(lab.child.pid!);
    if (labCpu0 !== undefined && labCpu1 !== undefined) r.labCpuMs = labCpu1 - labCpu0;
    results.push(r);
    report(r, results[0]!);
  }
  await stopChild(lab.child);
  if (offline > 0) await offlineHosts(msi, dir, concurrencyOf(sizes[0]!));
}

const run = values.child ? runSize(JSON.parse(fs.readFileSync(values.child, 'utf8')) as SizeJob) : main();
run
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
