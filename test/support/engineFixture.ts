// A push engine for tests: a temp data folder with its database, the real package server on
// 127.0.0.1 (any free port), a memory vault, a package made from the given .msi (or a few random
// bytes standing in for one), and settings the test chooses. Everything closes in `t.after`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { defaultSettings, type Settings } from '../../main/ipc/contract.js';
import { createEventBus, type EventBus } from '../../main/ipc/eventBus.js';
import type { PushTimeouts } from '../../main/engine/pushTarget.js';
import type { NewTaskInput } from '../../main/engine/engineTypes.js';
import { startPushRuntime, type PushRuntime } from '../../main/engine/runtime.js';
import { MemoryVault } from '../../main/engine/credentials.js';
import { openDatabase, type Db } from '../../main/store/database.js';
import { PackagesRepo } from '../../main/store/packagesRepo.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';
import { makeTempDir, removeDir } from './tempDir.js';

export interface EngineFixture {
  readonly dir: string;
  readonly db: Db;
  readonly tasks: TasksRepo;
  readonly packages: PackagesRepo;
  readonly events: EventBus;
  readonly settings: Settings;
  runtime: PushRuntime;
  readonly packageId: number;
  readonly agentPath: string;
  /**
   * A new runtime over the same data folder (after `runtime.close({abandon: true})`: a console
   * restart). `forgetSecrets`: the new console holds none of the secrets kept in memory only, as a
   * real restart (the credential rows stay, their secrets are gone).
   */
  restart(options?: { forgetSecrets?: boolean }): Promise<PushRuntime>;
  close(): Promise<void>;
}

export interface EngineFixtureOptions {
  readonly settings?: Partial<Settings>;
  readonly timeouts?: Partial<PushTimeouts> & { retryIntervalMs?: number };
  /** The package's .msi; default 64 KiB of random bytes. */
  readonly msiPath?: string;
  readonly configPath?: string;
  readonly parameters?: string;
  /** The agent copied to each target; default 48 KiB of random bytes. */
  readonly agentPath?: string;
  /** at-start (default) or when-needed: SMB-transport tests show the package server is never started. */
  readonly packageServer?: 'at-start' | 'when-needed';
}

export async function startEngineFixture(t: { after(fn: () => Promise<void> | void): void }, options: EngineFixtureOptions = {}): Promise<EngineFixture> {
  const dir = makeTempDir('pic-engine-');
  const db = openDatabase({ location: dir });
  const tasks = new TasksRepo(db);
  const packages = new PackagesRepo(db);
  const events = createEventBus();
  const settings: Settings = { ...defaultSettings, ...options.settings };
  const msiPath = options.msiPath ?? path.join(dir, 'product.msi');
  if (!options.msiPath) fs.writeFileSync(msiPath, crypto.randomBytes(64 * 1024));
  const agentPath = options.agentPath ?? path.join(dir, 'PushInstallAgent.exe');
  if (!options.agentPath) fs.writeFileSync(agentPath, crypto.randomBytes(48 * 1024));
  const msi = fs.readFileSync(msiPath);
  const pkg = packages.add({
    name: 'Test product',
    msiFileName: path.basename(msiPath),
    msiPath,
    msiSize: msi.length,
    msiSha256: crypto.createHash('sha256').update(msi).digest('hex'),
    ...(options.configPath ? { configFileName: path.basename(options.configPath), configPath: options.configPath } : {}),
    parameters: options.parameters ?? '',
  });
  const start = (vault?: PushRuntime['vault']) =>
    startPushRuntime({
      dataDir: dir, db, tasks, packages, events, settings: () => settings, port: 0, host: '127.0.0.1', agentPath,
      ...(vault ? { vault } : {}),
      ...(options.packageServer ? { packageServer: options.packageServer } : {}),
      timeouts: { pollMs: 100, serviceStartMs: 5000, serviceStopMs: 5000, ...options.timeouts },
    });
  let closed = false;
  const fixture: EngineFixture = {
    dir, db, tasks, packages, events, settings, agentPath,
    runtime: await start(),
    packageId: pkg.id,
    restart: async (o = {}) => {
      fixture.runtime = await start(o.forgetSecrets ? new MemoryVault(db) : fixture.runtime.vault);
      return fixture.runtime;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await fixture.runtime.close();
      db.close();
      removeDir(dir);
    },
  };
  t.after(() => fixture.close());
  return fixture;
}

/**
 * Pushes the fixture's package to every host of a lab as the lab's administrator and waits for the
 * task to end: its id and its target rows.
 */
export async function pushToLab(
  fx: EngineFixture,
  lab: { readonly hosts: readonly { readonly config: { name: string; address: string; port: number } }[]; readonly account: { user: string; password: string } },
  name: string,
  options?: NewTaskInput['options'],
): Promise<{ taskId: number; rows: ReturnType<TasksRepo['targetRecords']> }> {
  const credentialId = fx.runtime.vault.put('lab', `LAB\\${lab.account.user}`, lab.account.password);
  const targets = lab.hosts.map((h) => ({ computerName: h.config.name, address: h.config.address, port: h.config.port, credentialId }));
  const taskId = fx.runtime.engine.submit({ name, packageId: fx.packageId, ...(options ? { options } : {}), targets });
  await fx.runtime.engine.waitForTask(taskId);
  return { taskId, rows: fx.tasks.targetRecords(taskId) };
}
