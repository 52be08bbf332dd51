// The push runtime: the package server on TCP 2224 (its certificate from the data folder), the
// grants behind its tokens, the hub that routes agent events, the credential vault and the engine
// — put together once, the same way for the CLI, both app shells and the tests.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Settings } from '../ipc/contract.js';
import type { EventBus } from '../ipc/eventBus.js';
import { loadOrCreateCertificate, type ConsoleCertificate } from '../server/certificate.js';
import { GrantStore } from '../server/grants.js';
import { AGENT_CHANNEL_LIMITS, startPackageServer, type PackageServer } from '../server/packageServer.js';
import type { PackagesRepo } from '../store/packagesRepo.js';
import type { TasksRepo } from '../store/tasksRepo.js';
import { AgentHub } from './agentHub.js';
import { MemoryVault, type CredentialVault } from './credentials.js';
import { PushEngine, type EngineOptions } from './engine.js';
import type { Db } from '../store/database.js';

export interface PushRuntime {
  readonly engine: PushEngine;
  readonly vault: CredentialVault;
  /** The package server; null while it has not been needed (`packageServer: 'when-needed'` and only SMB-transport pushes so far). */
  readonly server: PackageServer | null;
  /** Starts the package server if it is not running yet (the callback and auto transports need it). */
  ensureServer(): Promise<PackageServer>;
  readonly certificate: ConsoleCertificate;
  close(options?: { abandon?: boolean }): Promise<void>;
}

export interface PushRuntimeOptions {
  readonly dataDir: string;
  readonly db: Db;
  readonly tasks: TasksRepo;
  readonly packages: PackagesRepo;
  readonly settings: () => Settings;
  readonly events?: EventBus;
  /** Overrides settings.packageServerPort (tests: 0 = any free port). */
  readonly port?: number;
  /** Address the package server binds; default all (agents come from the network). */
  readonly host?: string;
  readonly agentPath?: string;
  readonly vault?: CredentialVault;
  readonly timeouts?: EngineOptions['timeouts'];
  readonly log?: (line: string) => void;
  /** at-start (the apps: a port conflict shows at once) or when-needed (pushctl push: an SMB-only push never opens TCP 2224). */
  readonly packageServer?: 'at-start' | 'when-needed';
  /** Claim mode: the engine pushes what a push worker claims (main/workers/claimWorker.ts). */
  readonly claim?: EngineOptions['claim'];
}

/** Where `npm run build:agent` puts the agent; inside a packaged app, resources/agent (electron-builder.yml). */
export function defaultAgentPath(): string {
  if (process.env.PUSHCONSOLE_AGENT) return process.env.PUSHCONSOLE_AGENT;
  // Electron sets process.resourcesPath; only a packaged app has the agent there.
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  const packaged = resources ? path.join(resources, 'agent', 'PushInstallAgent.exe') : null;
  if (packaged && fs.existsSync(packaged)) return packaged;
  const here = path.dirname(fileURLToPath(import.meta.url));
  // main/engine/*.ts and dist/<shell>/*.js both sit two folders below the repository.
  return path.resolve(here, '..', '..', 'agent', 'dist', 'PushInstallAgent.exe');
}

export async function startPushRuntime(o: PushRuntimeOptions): Promise<PushRuntime> {
  const certificate = await loadOrCreateCertificate(o.dataDir);
  const grants = new GrantStore();
  const hub = new AgentHub();
  const vault = o.vault ?? new MemoryVault(o.db);
  let engineRef: PushEngine | null = null;
  let server: PackageServer | null = null;
  let starting: Promise<PackageServer> | null = null;
  const ensureServer = (): Promise<PackageServer> =>
    (starting ??= startPackageServer({
      certificate,
      grants,
      port: o.port ?? o.settings().packageServerPort,
      ...(o.host ? { host: o.host } : {}),
      // The global connection cap and the per-address rate limit (429 + Retry-After).
      ...AGENT_CHANNEL_LIMITS,
      onEvent: hub.publish,
      credentialFor: (grant) =>
        // Decrypted only for this hand-off to the agent over TLS: the target's own LAPS password while its push holds one, else its credential's.
        Promise.resolve(engineRef?.installCredentialFor(grant.targetId) ?? null),
      onLog: (targetId, detail) => {
        if (targetId !== null) engineRef?.note(targetId, 'package-server', detail);
        else o.log?.(detail);
      },
    }).then(
      (started) => (server = started),
      (error: unknown) => {
        starting = null; // a port freed later may be tried again
        throw error;
      },
    ));
  if ((o.packageServer ?? 'at-start') === 'at-start') await ensureServer();
  const engine = new PushEngine({
    tasks: o.tasks,
    packages: o.packages,
    settings: o.settings,
    vault,
    grants,
    hub,
    callback: async () => ({ port: (await ensureServer()).port, fingerprint: certificate.fingerprint }),
    agentPath: o.agentPath ?? defaultAgentPath(),
    ...(o.events ? { events: o.events } : {}),
    ...(o.timeouts ? { timeouts: o.timeouts } : {}),
    ...(o.log ? { log: o.log } : {}),
    ...(o.claim ? { claim: o.claim } : {}),
  });
  engineRef = engine;
  return {
    engine,
    vault,
    get server() {
      return server;
    },
    ensureServer,
    certificate,
    close: async (options) => {
      await engine.close(options);
      await starting?.then((s) => s.close(), () => undefined);
    },
  };
}
