// The console side for simulated-agent tests: the REAL package server on 127.0.0.1 (port 0) with
// its own certificate in a temp folder, a grant per target, a random package file — and a lab host
// whose svcctl server starts the simulated agent, driven by our ScmrClient.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadOrCreateCertificate, type ConsoleCertificate } from '../../main/server/certificate.js';
import { GrantStore, type Grant, type PackageFile } from '../../main/server/grants.js';
import { encodeJobFile, type AgentJob } from '../../main/server/jobFile.js';
import { startPackageServer, type AgentEvent, type PackageServer } from '../../main/server/packageServer.js';
import { ScmrClient, ServiceState, type Handle, type ServiceStatus } from '../../main/rpc/scmr.js';
import type { LabHostConfig, LabProfile, LabHostState } from '../../main/lab/hostState.js';
import { createSvcctlEndpoint } from '../../main/lab/rpc/svcctlServer.js';
import { runSimulatedAgent, type SimAgentHandle, type SimAgentOptions } from '../../main/lab/agent/simAgent.js';
import { EndpointPipe } from './labPipe.js';
import { AGENT_BINARY_PATH, AGENT_PATH, labHostState, putAdminFile } from './labHost.js';
import { writeRandomFile } from './payload.js';

export interface ConsoleSide {
  readonly dir: string;
  readonly certificate: ConsoleCertificate;
  readonly grants: GrantStore;
  readonly server: PackageServer;
  readonly events: AgentEvent[];
  readonly logs: { targetId: number | null; detail: string }[];
  readonly msi: PackageFile;
  readonly config: PackageFile;
  close(): Promise<void>;
}

export async function startConsoleSide(dir: string, packageBytes = 2 * 1024 * 1024): Promise<ConsoleSide> {
  const certificate = await loadOrCreateCertificate(path.join(dir, 'data'));
  const msiPath = path.join(dir, 'package.msi');
  const msiSha = writeRandomFile(msiPath, packageBytes, 256 * 1024);
  const configPath = path.join(dir, 'cfg.xml');
  fs.writeFileSync(configPath, '<?xml version="1.0"?><config><setting name="x">1</setting></config>\n');
  const configSha = crypto.createHash('sha256').update(fs.readFileSync(configPath)).digest('hex');
  const grants = new GrantStore();
  const events: AgentEvent[] = [];
  const logs: ConsoleSide['logs'] = [];
  const server = await startPackageServer({
    certificate,
    grants,
    port: 0,
    host: '127.0.0.1',
    credentialFor: async () => ({ user: 'Administrator', domain: 'LAB', password: 'not-in-any-log' }),
    onEvent: (e) => events.push(e),
    onLog: (targetId, detail) => logs.push({ targetId, detail }),
  });
  return {
    dir,
    certificate,
    grants,
    server,
    events,
    logs,
    msi: { name: 'package.msi', path: msiPath, size: packageBytes, sha256: msiSha, role: 'msi' },
    config: { name: 'cfg.xml', path: configPath, size: fs.statSync(configPath).size, sha256: configSha, role: 'config' },
    close: () => server.close(),
  };
}

export function issueGrant(side: ConsoleSide, targetId: number, options: { files?: PackageFile[]; runAs?: 'admin' | 'system'; runId?: string } = {}): Grant {
  return side.grants.issue({
    targetId,
    runId: options.runId ?? `r-${targetId}`,
    files: options.files ?? [side.msi, side.config],
    parameters: 'ADDLOCAL=ALL',
    runAs: options.runAs ?? 'admin',
    ttlMs: 60_000,
  });
}

export function jobFor(side: ConsoleSide, grant: Pick<Grant, 'token' | 'runId'>, overrides: Partial<AgentJob> = {}): AgentJob {
  return {
    consoles: [{ host: '127.0.0.1', port: side.server.port }],
    fingerprint: side.certificate.fingerprint,
    token: grant.token,
    runId: grant.runId,
    packageId: 'eset-endpoint-11.1',
    size: side.msi.size,
    sha256: side.msi.sha256,
    ...overrides,
  };
}

let nextHost = 10;

/** A lab host on its own loopback address with the agent and its job file on ADMIN$. */
export function agentHost(profile: LabProfile, job: AgentJob | Buffer | null, overrides: Partial<LabHostConfig> = {}): LabHostState & { changes: number } {
  const n = nextHost++;
  const state = labHostState(profile, { name: `LAB-PC-${String(n).padStart(3, '0')}`, address: `127.0.56.${n}`, installTimeMs: 50, ...overrides });
  putAdminFile(state, AGENT_PATH, Buffer.from('MZ simulated agent'));
  if (job) putAdminFile(state, `${AGENT_PATH}.job`, Buffer.isBuffer(job) ? job : encodeJobFile(job));
  return state;
}

export interface StartedAgent {
  readonly scmr: ScmrClient;
  readonly service: Handle;
  readonly agent: SimAgentHandle;
  /** Polls the service until STOPPED. */
  stopped(timeoutMs?: number): Promise<ServiceStatus>;
}

/** Creates and starts the agent's service through the host's svcctl server, as the console does. */
export async function startAgentService(state: LabHostState, options: SimAgentOptions = {}): Promise<StartedAgent> {
  let agent: SimAgentHandle | null = null;
  const endpoint = createSvcctlEndpoint(state, { startAgent: (service) => (agent = runSimulatedAgent(state, service, { retry: { rounds: 2, backoffMs: 50 }, ...options })) });
  const scmr = await ScmrClient.bind(new EndpointPipe(endpoint));
  const scm = await scmr.openSCManager();
  const created = await scmr.createService({ scm, serviceName: 'PushInstallAgent-t', displayName: 'Push Install Agent', binaryPath: AGENT_BINARY_PATH });
  if (!created.handle) throw new Error(`create failed with ${created.code}`);
  const service = created.handle;
  await scmr.startService(service);
  if (!agent) throw new Error('the SCM did not start the agent');
  return {
    scmr,
    service,
    agent,
    async stopped(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await scmr.queryServiceStatus(service);
        if (status.currentState === ServiceState.STOPPED) return status;
        if (Date.now() > deadline) throw new Error(`the service is still in state ${status.currentState}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
