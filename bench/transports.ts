// Benchmark (not a test): one package of S MiB pushed to N healthy simulated hosts, once with the
// callback transport (each agent downloads it from the package server over HTTPS) and once with
// the SMB transport (the console copies it to each host's ADMIN$ through the copy gate), in one
// run, same package file, a fresh engine and a fresh lab for each. The lab runs in a child process
// (this file again, with --lab-child), so the RSS printed for the console is the engine's (with its
// package server) alone; the lab's hosts keep ADMIN$ files in memory and report their own peak.
// Prints for each transport the wall time, the console's package bytes out, MiB/s, peak RSS, the
// copy stats (SMB), and the ratio smb/callback of the wall times.
//   node scripts/tsx.mjs bench/transports.ts [--hosts 20] [--size-mib 200] [--copy-concurrency 10] [--concurrency 20]
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { defaultSettings } from '../main/ipc/contract.js';
import { startLab } from '../main/lab/lab.js';
import type { AgentTransport } from '../main/server/agentProtocol.js';
import { startEngineFixture } from '../test/support/engineFixture.js';
import { writeRandomFile } from '../test/support/payload.js';

const MIB = 1024 * 1024;
const FIRST_ADDRESS = '127.0.199.1';
const LAB_PORT = 14476;
const INSTALL_MS = 200;
/** The share of free memory the lab's in-memory ADMIN$ copies may take. */
const MEMORY_SHARE = 0.6;
const here = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(here), '..');

interface LabHostInfo { name: string; address: string; port: number }
interface LabReady { type: 'ready'; hosts: LabHostInfo[]; user: string; password: string }
interface LabStats {
  type: 'stats';
  /** Sum of every host's counters.bytesWritten (everything written to ADMIN$). */
  bytesWritten: number;
  peakPackageCopies: number;
  peakBusy: number;
  leftovers: number;
  peakRss: number;
}
interface LabChildOptions { hosts: number; adminShareBytes: number }

// ---- The lab child: starts the lab, answers 'stats', closes on 'close' or when the parent goes.
async function labChild(o: LabChildOptions): Promise<void> {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const lab = await startLab({ hosts: o.hosts, first: FIRST_ADDRESS, port: LAB_PORT, profile: 'healthy', installTimeMs: INSTALL_MS, startTimeoutMs: 2000, adminShareBytes: o.adminShareBytes });
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= lab.close().finally(() => {
      clearInterval(sampler);
      process.exit(0);
    }));
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stats') {
      const stats: LabStats = {
        type: 'stats',
        bytesWritten: lab.hosts.reduce((n, h) => n + h.counters.bytesWritten, 0),
        peakPackageCopies: lab.peakPackageCopies,
        peakBusy: lab.peakBusy,
        leftovers: lab.leftovers().length,
        peakRss: Math.max(peakRss, process.memoryUsage().rss),
      };
      process.send!(stats);
    } else if (m.type === 'close') void close();
  });
  process.on('disconnect', () => void close());
  const ready: LabReady = { type: 'ready', hosts: lab.hosts.map((h) => ({ name: h.config.name, address: h.config.address, port: h.config.port })), user: lab.account.user, password: lab.account.password };
  process.send!(ready);
}

interface LabProcess {
  readonly ready: LabReady;
  stats(): Promise<LabStats>;
  stop(): Promise<void>;
}

function startLabProcess(o: LabChildOptions): Promise<LabProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', here, '--lab-child', JSON.stringify(o)], { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send({ type: 'close' });
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(kill);
  };
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the lab process exited with ${code} before it was ready`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.once('message', (m: LabReady) => {
      child.off('exit', onExit);
      resolve({
        ready: m,
        stop,
        stats: () =>
          new Promise<LabStats>((res, rej) => {
            if (!child.connected) return rej(new Error('the lab process is gone'));
            child.once('message', (s: LabStats) => res(s));
            child.send({ type: 'stats' });
          }),
      });
    });
  });
}

// ---- The bench.
interface RunResult {
  transport: AgentTransport;
  wallMs: number;
  succeeded: number;
  failures: string[];
  /**
   * Package bytes the console sent. callback: the package server's 'bytes-served' events, summed
   * from the 'download' steps the engine logs for each (the runtime does not expose its hub and the
   * server keeps no byte counter); smb: the copy gate's servedBytes.
   */
  bytesOut: number;
  consolePeakRss: number;
  consoleRssBefore: number;
  lab: LabStats;
  copies: ReturnType<import('../main/engine/engine.js').PushEngine['copyStats']>;
  peakConcurrent: number;
}

/** MiB with a unit; under 1 MiB in KiB. */
const mib = (bytes: number) => (Math.abs(bytes) < MIB ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / MIB).toFixed(bytes < 10 * MIB ? 2 : 0)} MiB`);

async function runOnce(transport: AgentTransport, msiPath: string, o: { hosts: number; sizeBytes: number; concurrency: number; copyConcurrency: number }): Promise<RunResult> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const t = { after: (fn: () => Promise<void> | void) => void cleanups.push(fn) };
  let sampler: NodeJS.Timeout | undefined;
  try {
    const lab = await startLabProcess({ hosts: o.hosts, adminShareBytes: o.sizeBytes + 16 * MIB });
    cleanups.push(() => lab.stop());
    const fx = await startEngineFixture(t, {
      msiPath,
      settings: { maxConcurrentPushes: o.concurrency, packageCopyConcurrency: o.copyConcurrency },
      timeouts: { pollMs: 250, connectMs: 5000, agentCallbackMs: 120_000 },
      // As pushctl: an SMB push never starts the package server.
      packageServer: transport === 'smb' ? 'when-needed' : 'at-start',
    });
    const credentialId = fx.runtime.vault.put('lab', `LAB\\${lab.ready.user}`, lab.ready.password);
    const consoleRssBefore = process.memoryUsage().rss;
    let peakRss = consoleRssBefore;
    sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    const t0 = Date.now();
    const taskId = fx.runtime.engine.submit({
      name: `bench ${transport}`,
      packageId: fx.packageId,
      options: { runAs: 'system', transport },
      targets: lab.ready.hosts.map((h) => ({ computerName: h.name, address: h.address, port: h.port, credentialId })),
    });
    await fx.runtime.engine.waitForTask(taskId);
    const wallMs = Date.now() - t0;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const rows = fx.tasks.targetRecords(taskId);
    const failures = rows
      .filter((r) => r.outcome !== 'succeeded' || r.transport !== transport)
      .map((r) => `${r.computer_name}: ${r.outcome} over ${r.transport ?? '-'} ${r.error_class ?? ''} ${r.error_message ?? ''}`.trim());
    const copies = fx.runtime.engine.copyStats();
    let served = 0;
    for (const r of rows) {
      for (const s of fx.tasks.log(r.id)) {
        const m = s.step === 'download' ? /^served .* \((\d+) bytes\)$/.exec(s.detail) : null;
        if (m) served += Number(m[1]);
      }
    }
    return {
      transport,
      wallMs,
      succeeded: rows.length - failures.length,
      failures,
      bytesOut: transport === 'smb' ? copies.servedBytes : served,
      consolePeakRss: peakRss,
      consoleRssBefore,
      lab: await lab.stats(),
      copies,
      peakConcurrent: fx.runtime.engine.peakConcurrent,
    };
  } finally {
    clearInterval(sampler);
    for (const fn of cleanups.reverse()) await fn();
  }
}

function report(r: RunResult, o: { hosts: number; sizeBytes: number; agentBytes: number; copyConcurrency: number }): void {
  const expected = o.hosts * o.sizeBytes;
  const adminNet = r.lab.bytesWritten - o.hosts * o.agentBytes;
  console.log(`${r.transport}`);
  console.log(`  succeeded         ${r.succeeded}/${o.hosts} (peak concurrent pushes ${r.peakConcurrent}, lab peak busy hosts ${r.lab.peakBusy})`);
  console.log(`  wall time         ${(r.wallMs / 1000).toFixed(2)} s`);
  const source = r.transport === 'smb' ? 'copy gate servedBytes' : "package server 'bytes-served' events";
  console.log(`  package bytes out ${mib(r.bytesOut)} (${source}; hosts × size = ${mib(expected)})`);
  console.log(`  throughput        ${(r.bytesOut / MIB / (r.wallMs / 1000)).toFixed(0)} MiB/s (package bytes out / wall time)`);
  console.log(`  ADMIN$ received   ${mib(r.lab.bytesWritten)} on all hosts (agent exe, job files${r.transport === 'smb' ? ', package' : ''}); minus the agent exe × hosts ${mib(adminNet)}`);
  console.log(`  peak RSS          console ${mib(r.consolePeakRss)} (${mib(r.consoleRssBefore)} at submit); lab process ${mib(r.lab.peakRss)} (holds ADMIN$ files)`);
  if (r.transport === 'smb') {
    const c = r.copies;
    console.log(`  copies            peak ${c.peak} in the engine, ${r.lab.peakPackageCopies} seen by the lab (limit ${o.copyConcurrency}, ${c.started} started); disk read ${mib(c.diskBytes)} for ${mib(c.servedBytes)} sent (${(c.servedBytes / Math.max(1, c.diskBytes)).toFixed(1)}× shared)`);
  }
  if (r.lab.leftovers > 0) console.log(`  leftovers         ${r.lab.leftovers} host(s) kept files, folders or services`);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args[0] === '--') args.shift(); // `node scripts/tsx.mjs bench/transports.ts -- --hosts 5`
  const { values } = parseArgs({
    args,
    options: {
      hosts: { type: 'string', default: '20' },
      'size-mib': { type: 'string', default: '200' },
      'copy-concurrency': { type: 'string', default: String(defaultSettings.packageCopyConcurrency) },
      concurrency: { type: 'string', default: '20' },
    },
  });
  const hosts = Number(values.hosts);
  const sizeMib = Number(values['size-mib']);
  const copyConcurrency = Number(values['copy-concurrency']);
  const concurrency = Number(values.concurrency);
  for (const [name, v, max] of [['--hosts', hosts, 254], ['--size-mib', sizeMib, 1_000_000], ['--copy-concurrency', copyConcurrency, 100], ['--concurrency', concurrency, 200]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > max) {
      console.error(`${name} must be a whole number 1..${max}`);
      return 2;
    }
  }
  const sizeBytes = sizeMib * MIB;

  // The lab keeps every copy on ADMIN$ in memory until its push cleans up.
  const free = os.freemem();
  const need = hosts * sizeBytes;
  if (need > MEMORY_SHARE * free) {
    const fits = Math.floor((MEMORY_SHARE * free) / sizeBytes);
    console.error(`warning: ${hosts} hosts × ${sizeMib} MiB = ${mib(need)} held in the lab's memory, over ${MEMORY_SHARE * 100}% of the free memory (${mib(free)}).`);
    console.error(fits >= 1 ? `refusing to run: use --hosts ${fits} or fewer, or a smaller --size-mib.` : `refusing to run: not even one ${sizeMib} MiB copy fits; use a smaller --size-mib.`);
    return 2;
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-bench-transports-'));
  try {
    const msiPath = path.join(dir, 'bench.msi');
    writeRandomFile(msiPath, sizeBytes);
    const agentBytes = 48 * 1024; // the engine fixture's stand-in agent
    console.log(`${sizeMib} MiB package to ${hosts} healthy lab hosts (${FIRST_ADDRESS}…, SMB port ${LAB_PORT}), concurrency ${concurrency}, copy concurrency ${copyConcurrency}, install ${INSTALL_MS} ms; ${os.cpus().length} cores, ${mib(free)} free`);
    const o = { hosts, sizeBytes, concurrency, copyConcurrency };
    const results: RunResult[] = [];
    for (const transport of ['callback', 'smb'] as const) {
      const r = await runOnce(transport, msiPath, o);
      report(r, { hosts, sizeBytes, agentBytes, copyConcurrency });
      results.push(r);
    }
    const [callback, smb] = results as [RunResult, RunResult];
    console.log(`ratio smb/callback  wall time ${(smb.wallMs / callback.wallMs).toFixed(2)}`);
    const failed = results.flatMap((r) => r.failures.map((f) => `${r.transport}: ${f}`));
    if (failed.length > 0) {
      console.error(`${failed.length} target(s) did not succeed:`);
      for (const f of failed) console.error(`  ${f}`);
      return 1;
    }
    return 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--lab-child') {
  labChild(JSON.parse(process.argv[3]!) as LabChildOptions).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
