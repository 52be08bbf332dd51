// Benchmark (not a test): the engine pushes to N healthy simulated hosts at concurrency
// C, each install taking T ms. The lab runs in a child process (`pushctl lab`), so the RSS printed
// is the engine's (with its package server) alone. Prints wall time, the ideal N/C × T, their
// ratio, the per-push overhead, and peak RSS; then the time to classify offline hosts (refused and
// silent) against the connect bound.
//   npx tsx bench/labPush.ts [--hosts 1000] [--concurrency 20] [--install-ms 2000] [--package-kb 1024] [--offline 100]
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startEngineFixture } from '../test/support/engineFixture.js';
import { writeRandomFile } from '../test/support/payload.js';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '20' },
    'install-ms': { type: 'string', default: '2000' },
    'package-kb': { type: 'string', default: '1024' },
    offline: { type: 'string', default: '100' },
    port: { type: 'string', default: '14480' },
  },
});
const hosts = Number(values.hosts);
const concurrency = Number(values.concurrency);
const installMs = Number(values['install-ms']);
const offline = Number(values.offline);
const port = Number(values.port);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Starts `pushctl lab` in a child process and resolves with its host list once it listens. */
function startLabProcess(args: string[]): Promise<{ child: ChildProcess; hosts: { name: string; address: string; profile: string }[]; user: string; password: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'main', 'cli', 'entry.ts'), 'lab', '--json', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        const doc = JSON.parse(line) as { hosts: { name: string; address: string; profile: string }[]; account: { user: string; password: string } };
        resolve({ child, hosts: doc.hosts, user: doc.account.user, password: doc.account.password });
      }
    });
    child.once('exit', (code) => reject(new Error(`pushctl lab exited with ${code}`)));
  });
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

async function main(): Promise<void> {
  const pkgDir = (await import('node:fs')).mkdtempSync(path.join((await import('node:os')).tmpdir(), 'pic-bench-lab-'));
  const msi = path.join(pkgDir, 'bench.msi');
  writeRandomFile(msi, Number(values['package-kb']) * 1024);
  cleanups.push(() => (void import('node:fs').then((fs) => fs.rmSync(pkgDir, { recursive: true, force: true }))));

  // 1. N healthy hosts.
  const lab = await startLabProcess(['--hosts', String(hosts), '--first', '127.0.40.1', '--port', String(port), '--profile', 'healthy', '--install-ms', String(installMs)]);
  cleanups.push(() => stopChild(lab.child));
  const fx = await startEngineFixture(t, { msiPath: msi, settings: { maxConcurrentPushes: concurrency }, timeouts: { pollMs: 250, connectMs: 5000, agentCallbackMs: 60_000 } });
  const credentialId = fx.runtime.vault.put('lab', lab.user, lab.password);
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const t0 = Date.now();
  const taskId = fx.runtime.engine.submit({ name: 'bench', packageId: fx.packageId, targets: lab.hosts.map((h) => ({ computerName: h.name, address: h.address, port, credentialId })) });
  await fx.runtime.engine.waitForTask(taskId);
  const wall = Date.now() - t0;
  clearInterval(sampler);
  const rows = fx.tasks.targetRecords(taskId);
  const ok = rows.filter((r) => r.outcome === 'succeeded').length;
  const ideal = (hosts / concurrency) * installMs;
  const rounds = hosts / concurrency;
  console.log(`healthy hosts     ${hosts}, concurrency ${concurrency}, install ${installMs} ms, package ${values['package-kb']} KiB`);
  console.log(`succeeded         ${ok}/${hosts} (peak concurrent pushes ${fx.runtime.engine.peakConcurrent})`);
  console.log(`wall time         ${(wall / 1000).toFixed(1)} s`);
  console.log(`ideal N/C × T     ${(ideal / 1000).toFixed(1)} s`);
  console.log(`ratio             ${(wall / ideal).toFixed(3)}  (goal ≤ 1.1)`);
  console.log(`overhead per push ${((wall - ideal) / rounds).toFixed(0)} ms (wall − ideal, per round of ${concurrency})`);
  console.log(`peak RSS (engine) ${(peakRss / 1024 / 1024).toFixed(0)} MiB  (goal < 300 MiB)`);
  await fx.close();
  await stopChild(lab.child);

  // 2. Offline hosts: half refused, half silent, classified against the connect bound.
  const half = Math.floor(offline / 2);
  const spec = JSON.stringify({ mix: { 'offline-refused': 1, 'offline-silent': 1 } });
  const specFile = path.join(pkgDir, 'offline.json');
  (await import('node:fs')).writeFileSync(specFile, spec);
  const off = await startLabProcess(['--hosts', String(offline), '--first', '127.0.48.1', '--port', String(port), '--profile', specFile]);
  cleanups.push(() => stopChild(off.child));
  const connectMs = 2000;
  const fx2 = await startEngineFixture(t, { msiPath: msi, settings: { maxConcurrentPushes: concurrency }, timeouts: { connectMs } });
  const cred2 = fx2.runtime.vault.put('lab', off.user, off.password);
  const t1 = Date.now();
  const task2 = fx2.runtime.engine.submit({ name: 'offline', packageId: fx2.packageId, targets: off.hosts.map((h) => ({ computerName: h.name, address: h.address, port, credentialId: cred2 })) });
  await fx2.runtime.engine.waitForTask(task2);
  const classify = Date.now() - t1;
  const rows2 = fx2.tasks.targetRecords(task2);
  const byClass = new Map<string, number>();
  for (const r of rows2) byClass.set(r.error_class ?? 'none', (byClass.get(r.error_class ?? 'none') ?? 0) + 1);
  const silent = off.hosts.filter((h) => h.profile === 'offline-silent').length;
  console.log(`offline hosts     ${offline} (${offline - silent} refused, ${silent} silent; ~${half} each), concurrency ${concurrency}, connect bound ${connectMs} ms`);
  console.log(`classified in     ${(classify / 1000).toFixed(1)} s: ${[...byClass].map(([c, n]) => `${c} ${n}`).join(', ')}`);
  // Probing in the push slot would cost a bound per slot-full of silent hosts; probed while queued
  // (main/engine/probeAhead.ts), a window of them costs about one bound.
  console.log(`if probed in slots ${((Math.ceil(silent / concurrency) * connectMs) / 1000).toFixed(1)} s; one connect bound ${(connectMs / 1000).toFixed(1)} s (probed while queued)`);
  await fx2.close();
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
