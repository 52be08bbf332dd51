// What the agent's Wine tests share: a wixl-built product MSI with one property recorded in the
// registry, the agent and its job file placed as the console places them
// (C:\windows\PushInstall\<run>\), and a service run to STOPPED the way the SCM runs it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import path from 'node:path';
import { loadOrCreateCertificate, type ConsoleCertificate } from '../../main/server/certificate.js';
import { GrantStore, type PackageFile } from '../../main/server/grants.js';
import { jobAnswer } from '../../main/server/agentProtocol.js';
import { encodeJobFile } from '../../main/server/jobFile.js';
import { startPackageServer, type AgentEvent, type PackageServer } from '../../main/server/packageServer.js';
import { REPO_ROOT } from '../support/childProcess.js';
import type { WinePrefix, WineRun } from '../support/wine.js';

export const AGENT_EXE = path.join(REPO_ROOT, 'agent', 'dist', 'PushInstallAgent.exe');
export const SERVICE_STOPPED = 1;

export interface ProductMsiOptions {
  /** The file the product installs to Program Files\PushInstallTest-<variant>\hello.txt. */
  readonly hello: string;
  /** The MSI property recorded in HKLM\Software\PushInstallTest\<variant> under `registryName`. */
  readonly property: string;
  readonly registryName: string;
  /** More elements inside <Product> (custom actions and their sequence). */
  readonly extraProductXml?: string;
}

/** Builds a one-component product with wixl; returns the .msi's path. */
export function buildProductMsi(dir: string, variant: string, o: ProductMsiOptions): string {
  const work = fs.mkdtempSync(path.join(dir, 'wixl-'));
  fs.writeFileSync(path.join(work, 'hello.txt'), o.hello);
  const wxs = `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Push Install Test ${variant}" Language="1033" Version="1.0.0"
           Manufacturer="Push Install Console tests" UpgradeCode="${crypto.randomUUID()}">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine" />
    <Media Id="1" Cabinet="payload.cab" EmbedCab="yes" />
    <Property Id="${o.property}" Value="none" />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLDIR" Name="PushInstallTest-${variant}">
          <Component Id="Main" Guid="${crypto.randomUUID()}" Win64="yes">
            <File Id="hello" Name="hello.txt" Source="hello.txt" KeyPath="yes" />
            <RegistryValue Root="HKLM" Key="Software\\PushInstallTest\\${variant}" Name="${o.registryName}" Type="string" Value="[${o.property}]" />
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="All" Level="1"><ComponentRef Id="Main" /></Feature>${o.extraProductXml ?? ''}
  </Product>
</Wix>
`;
  fs.writeFileSync(path.join(work, 'product.wxs'), wxs);
  const out = path.join(dir, `${variant}.msi`);
  const r = spawnSync('wixl', ['-a', 'x64', '-o', out, 'product.wxs'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`wixl failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  fs.rmSync(work, { recursive: true, force: true });
  return out;
}

/** A product that records [CONFIGFILE] in HKLM\Software\PushInstallTest\<variant> (ConfigFile) and,
 * in a deferred custom action that fails the install if the file is missing, copies the file it
 * names into its install folder as cfg-seen.xml. */
export function buildConfigPropertyMsi(dir: string, variant: string, hello: string): string {
  return buildProductMsi(dir, variant, {
    hello,
    property: 'CONFIGFILE',
    registryName: 'ConfigFile',
    extraProductXml: `
    <CustomAction Id="SetCmd" Property="CMDEXE" Value="[System64Folder]cmd.exe" />
    <CustomAction Id="ReadConfig" Property="CMDEXE"
                  ExeCommand="/c copy /y &quot;[CONFIGFILE]&quot; &quot;[INSTALLDIR]cfg-seen.xml&quot;"
                  Execute="deferred" Impersonate="no" Return="check" />
    <InstallExecuteSequence>
      <Custom Action="SetCmd" Before="InstallInitialize">NOT Installed</Custom>
      <Custom Action="ReadConfig" After="InstallFiles">NOT Installed</Custom>
    </InstallExecuteSequence>`,
  });
}

export interface PlacedAgent {
  readonly run: string;
  readonly dirWin: string;
  readonly dirUnix: string;
  readonly exeWin: string;
  /** The agent's own log ('' when it wrote none). */
  log(): string;
}

/** The agent and its job file in C:\windows\PushInstall\<run>\, as the console copies them. */
export function placeAgent(
  wine: Pick<WinePrefix, 'unixPath'>,
  job: { run: string; console: { host: string; port: number }; fingerprint: string; token: string; packageId: string; msi: Pick<PackageFile, 'size' | 'sha256'> },
): PlacedAgent {
  const dirWin = `C:\\windows\\PushInstall\\${job.run}`;
  const dirUnix = wine.unixPath(dirWin);
  fs.mkdirSync(dirUnix, { recursive: true });
  fs.copyFileSync(AGENT_EXE, path.join(dirUnix, 'PushInstallAgent.exe'));
  fs.writeFileSync(
    path.join(dirUnix, 'PushInstallAgent.exe.job'),
    encodeJobFile({ consoles: [job.console], fingerprint: job.fingerprint, token: job.token, runId: job.run, packageId: job.packageId, size: job.msi.size, sha256: job.msi.sha256 }),
  );
  const logFile = path.join(dirUnix, 'PushInstallAgent.exe.log');
  return { run: job.run, dirWin, dirUnix, exeWin: `${dirWin}\\PushInstallAgent.exe`, log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '') };
}

/** Creates the agent's service, starts it, waits for STOPPED (bounded) and deletes it; returns `sc query`'s last answer. */
export async function runServiceToStop(wine: Pick<WinePrefix, 'run'>, agent: PlacedAgent, timeoutMs = 90_000): Promise<{ query: string; win32ExitCode: number; serviceExitCode: number }> {
  const sc = (args: readonly string[]): Promise<WineRun> => wine.run('sc', args, { timeoutMs: 30_000 });
  const name = `PushInstallAgent_${agent.run}`;
  assert.equal((await sc(['create', name, 'binPath=', agent.exeWin])).status, 0);
  // Wine's service manager now and then fails a start just after a create (a run of the suite
  // failed one in 160 ms, with the same test passing before and after): a start that fails while
  // the service never ran is tried again, at most twice, and said; one that ran and failed is not.
  let started = await sc(['start', name]);
  for (let retry = 1; started.status !== 0 && retry <= 2; retry++) {
    const state = (await sc(['query', name])).stdout;
    // Never ran: stopped, no exit code but 1077 (ERROR_SERVICE_NEVER_STARTED), and no agent log.
    const code = Number(/WIN32_EXIT_CODE\s*:\s*(\d+)/.exec(state)?.[1] ?? 0);
    if (!new RegExp(`STATE\\s*:\\s*${SERVICE_STOPPED}\\b`).test(state) || (code !== 0 && code !== 1077) || agent.log() !== '') break;
    console.log(`sc start ${name} failed (${started.status}: ${(started.stdout + started.stderr).trim()}); trying again (${retry})`);
    await new Promise((r) => setTimeout(r, 500));
    started = await sc(['start', name]);
  }
  assert.equal(started.status, 0, `sc start ${name}: ${(started.stdout + started.stderr).trim()}`);
  const deadline = Date.now() + timeoutMs;
  let query = '';
  for (;;) {
    query = (await sc(['query', name])).stdout;
    if (new RegExp(`STATE\\s*:\\s*${SERVICE_STOPPED}\\b`).test(query)) break;
    assert.ok(Date.now() < deadline, `${name} not STOPPED after ${timeoutMs / 1000} s:\n${query}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal((await sc(['delete', name])).status, 0);
  return {
    query,
    win32ExitCode: Number(/WIN32_EXIT_CODE\s*:\s*(\d+)/.exec(query)?.[1]),
    serviceExitCode: Number(/SERVICE_EXIT_CODE\s*:\s*(\d+)/.exec(query)?.[1]),
  };
}

export interface TestConsole {
  readonly cert: ConsoleCertificate;
  readonly grants: GrantStore;
  readonly server: PackageServer;
  /** What each target's agent reported, in order. */
  readonly events: Map<number, AgentEvent[]>;
  /** The server's step-log lines. */
  readonly serverLog: { target: number | null; detail: string }[];
  /** The agent's result event for a target, if it sent one. */
  result(targetId: number): Extract<AgentEvent, { kind: 'result' }> | undefined;
}

/** The console's side of a Wine test: certificate, grants and the real package server on 127.0.0.1 (closed after). */
export async function startTestConsole(t: { after(fn: () => unknown): void }, work: string): Promise<TestConsole> {
  const cert = await loadOrCreateCertificate(path.join(work, 'console'));
  const grants = new GrantStore();
  const events = new Map<number, AgentEvent[]>();
  const serverLog: { target: number | null; detail: string }[] = [];
  const server = await startPackageServer({
    certificate: cert,
    grants,
    port: 0,
    host: '127.0.0.1',
    credentialFor: async () => ({ user: 'unused', domain: '', password: 'unused' }),
    onEvent: (e) => events.set(e.targetId, [...(events.get(e.targetId) ?? []), e]),
    onLog: (target, detail) => serverLog.push({ target, detail }),
  });
  t.after(() => server.close());
  return {
    cert, grants, server, events, serverLog,
    result: (targetId) => (events.get(targetId) ?? []).find((e): e is Extract<AgentEvent, { kind: 'result' }> => e.kind === 'result'),
  };
}

// ---- the smb and auto transports (agent/README.md "Transports") ---------------------------------

/** A package file as the console copies it into `<run>\package\`. */
export interface LocalPackageFile {
  readonly name: string;
  /** The file on this machine. */
  readonly path: string;
  readonly role: 'msi' | 'config';
}

export interface TransportAgent extends PlacedAgent {
  /** `C:\windows\PushInstall\<run>\package` and its Unix path. */
  readonly packageDirWin: string;
  readonly packageDirUnix: string;
  /** The Unix path of `<exe><suffix>` (`.pkg`, `.progress`, `.result`, `.job`, `.done`, `.log`). */
  beside(suffix: string): string;
  /** `<exe>.progress` parsed, if it is there. */
  progress(): { stage: string; percent: number | null } | undefined;
  /** `<exe>.result` parsed, if it is there. */
  result(): { exitCode: number; log: string } | undefined;
}

/**
 * The agent and an smb or auto job file in C:\windows\PushInstall\<run>\, as the console places
 * them (the package and its manifest come with placeLocalPackage). editJob changes the job file's
 * text before it is written (for jobs the console would refuse to write).
 */
export function placeTransportAgent(
  wine: Pick<WinePrefix, 'unixPath'>,
  job: {
    run: string;
    transport: 'smb' | 'auto';
    packageId: string;
    msi: Pick<PackageFile, 'size' | 'sha256'>;
    /** auto: the console to try first, and its certificate's fingerprint and token. */
    callback?: { console: { host: string; port: number }; fingerprint: string; token: string };
    waitSeconds?: number;
    editJob?: (text: string) => string;
  },
): TransportAgent {
  const dirWin = `C:\\windows\\PushInstall\\${job.run}`;
  const dirUnix = wine.unixPath(dirWin);
  fs.mkdirSync(dirUnix, { recursive: true });
  fs.copyFileSync(AGENT_EXE, path.join(dirUnix, 'PushInstallAgent.exe'));
  const text = encodeJobFile({
    transport: job.transport,
    consoles: job.callback ? [job.callback.console] : [],
    fingerprint: job.callback?.fingerprint ?? '',
    token: job.callback?.token ?? '',
    ...(job.waitSeconds !== undefined ? { waitSeconds: job.waitSeconds } : {}),
    runId: job.run,
    packageId: job.packageId,
    size: job.msi.size,
    sha256: job.msi.sha256,
  }).toString('utf8');
  const beside = (suffix: string) => path.join(dirUnix, `PushInstallAgent.exe${suffix}`);
  fs.writeFileSync(beside('.job'), job.editJob ? job.editJob(text) : text);
  const json = <T>(suffix: string): T | undefined => (fs.existsSync(beside(suffix)) ? (JSON.parse(fs.readFileSync(beside(suffix), 'utf8')) as T) : undefined);
  return {
    run: job.run,
    dirWin,
    dirUnix,
    exeWin: `${dirWin}\\PushInstallAgent.exe`,
    log: () => (fs.existsSync(beside('.log')) ? fs.readFileSync(beside('.log'), 'utf8') : ''),
    packageDirWin: `${dirWin}\\package`,
    packageDirUnix: path.join(dirUnix, 'package'),
    beside,
    progress: () => json('.progress'),
    result: () => json('.result'),
  };
}

/**
 * What the console does for the smb transport: copies the files into `<run>\package\`, then writes
 * the manifest `<exe>.pkg` — the body GET /v1/job answers (agent/README.md "Transports").
 * editManifest changes the manifest's object before it is written; skipCopy names files not copied.
 */
export function placeLocalPackage(
  agent: TransportAgent,
  pkg: {
    files: readonly LocalPackageFile[];
    parameters?: string;
    runAs?: 'admin' | 'system';
    editManifest?: (manifest: Record<string, unknown>) => Record<string, unknown>;
    skipCopy?: readonly string[];
  },
): void {
  fs.mkdirSync(agent.packageDirUnix, { recursive: true });
  const files = pkg.files.map((f) => {
    if (!pkg.skipCopy?.includes(f.name)) fs.copyFileSync(f.path, path.join(agent.packageDirUnix, f.name));
    const data = fs.readFileSync(f.path);
    return { name: f.name, size: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex'), role: f.role };
  });
  const manifest: Record<string, unknown> = { ...jobAnswer({ runId: agent.run, parameters: pkg.parameters ?? '', runAs: pkg.runAs ?? 'system', files }) };
  fs.writeFileSync(agent.beside('.pkg'), JSON.stringify(pkg.editManifest ? pkg.editManifest(manifest) : manifest));
}

// ---- the agent as a service that may keep running (agentRestart.test.ts) ------------------------

export const SERVICE_RUNNING = 4;

export interface ServiceState {
  readonly state: number;
  readonly win32ExitCode: number;
  readonly serviceExitCode: number;
  readonly raw: string;
}

const scRun = (wine: Pick<WinePrefix, 'run'>, args: readonly string[]): Promise<WineRun> => wine.run('sc', args, { timeoutMs: 30_000 });

/** Creates the agent's service with `args` after the exe in its binPath (the agent's test options) and starts it; returns its name. */
export async function startAgentService(wine: Pick<WinePrefix, 'run'>, agent: PlacedAgent, args = ''): Promise<string> {
  const name = `PushInstallAgent_${agent.run}`;
  const create = await scRun(wine, ['create', name, 'binPath=', `${agent.exeWin}${args}`]);
  assert.equal(create.status, 0, `sc create ${name}: ${create.stdout}${create.stderr}`);
  const start = await scRun(wine, ['start', name]);
  assert.equal(start.status, 0, `sc start ${name}: ${start.stdout}${start.stderr}`);
  return name;
}

export async function serviceState(wine: Pick<WinePrefix, 'run'>, name: string): Promise<ServiceState> {
  const r = await scRun(wine, ['query', name]);
  assert.equal(r.status, 0, `sc query ${name}: ${r.stdout}${r.stderr}`);
  const num = (label: string) => Number(new RegExp(`${label}\\s*:\\s*(\\d+)`).exec(r.stdout)?.[1]);
  return { state: num('STATE'), win32ExitCode: num('WIN32_EXIT_CODE'), serviceExitCode: num('SERVICE_EXIT_CODE'), raw: r.stdout };
}

/** Polls `sc query` until the service is in `state` (bounded). */
export async function waitForServiceState(wine: Pick<WinePrefix, 'run'>, name: string, state: number, timeoutMs: number, why = ''): Promise<ServiceState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await serviceState(wine, name);
    if (s.state === state) return s;
    assert.ok(Date.now() < deadline, `${name}: not in state ${state} after ${timeoutMs} ms:\n${s.raw}\n${why}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function deleteService(wine: Pick<WinePrefix, 'run'>, name: string): Promise<void> {
  const r = await scRun(wine, ['delete', name]);
  assert.equal(r.status, 0, `sc delete ${name}: ${r.stdout}${r.stderr}`);
}

// ---- a scripted console: GET /v1/job answers exactly as a test writes it ---------------------------

/** One run the scripted console answers for: its job as JSON, and the files it serves by name. */
export interface ScriptedRun {
  readonly job: Record<string, unknown>;
  /** name -> the file on this machine (GET /v1/files/<name>, whole, 200). */
  readonly files?: Readonly<Record<string, string>>;
}

export interface ScriptedConsole {
  readonly host: string;
  readonly port: number;
  readonly cert: ConsoleCertificate;
  /** Registers a run; returns its bearer token. */
  add(run: ScriptedRun): string;
  /** The requests made with a token, in order ("GET /v1/job", "POST /v1/result" ...). */
  requests(token: string): string[];
  /** POST /v1/progress bodies, in order. */
  progress(token: string): Record<string, unknown>[];
  /** POST /v1/result's body exactly as the agent sent it, parsed. */
  result(token: string): Record<string, unknown> | undefined;
}

/**
 * A minimal HTTPS console on `host` with the console's certificate, for jobs the real package server
 * does not write (a job carries what the test gives it, verbatim): the job, whole files, progress and
 * the result, each recorded as the agent sent it. Closed after the test.
 */
export async function startScriptedConsole(t: { after(fn: () => unknown): void }, work: string, host: string): Promise<ScriptedConsole> {
  const cert = await loadOrCreateCertificate(path.join(work, 'scripted-console'));
  const runs = new Map<string, { run: ScriptedRun; requests: string[]; progress: Record<string, unknown>[]; result?: Record<string, unknown> }>();
  const body = (req: http.IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  const send = (res: http.ServerResponse, status: number, value: unknown) => {
    const data = Buffer.from(JSON.stringify(value));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length });
    res.end(data);
  };
  const server = https.createServer({ key: cert.key, cert: cert.cert, minVersion: 'TLSv1.2' }, (req, res) => {
    void (async () => {
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const entry = runs.get(token);
      if (!entry) return send(res, 401, { error: 'token' });
      const url = req.url ?? '';
      entry.requests.push(`${req.method} ${url}`);
      if (req.method === 'GET' && url === '/v1/job') return send(res, 200, entry.run.job);
      const file = /^\/v1\/files\/(.+)$/.exec(url);
      if (req.method === 'GET' && file) {
        const local = entry.run.files?.[decodeURIComponent(file[1]!)];
        if (!local) return send(res, 404, { error: 'no such file' });
        const data = fs.readFileSync(local);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
        return res.end(data);
      }
      if (req.method === 'POST' && url === '/v1/progress') {
        entry.progress.push(JSON.parse(await body(req)) as Record<string, unknown>);
        return send(res, 200, { ok: true });
      }
      if (req.method === 'POST' && url === '/v1/result') {
        entry.result = JSON.parse(await body(req)) as Record<string, unknown>;
        return send(res, 200, { ok: true });
      }
      return send(res, 404, { error: 'not found' });
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return {
    host,
    port: (server.address() as net.AddressInfo).port,
    cert,
    add: (run) => {
      const token = crypto.randomBytes(24).toString('base64url');
      runs.set(token, { run, requests: [], progress: [] });
      return token;
    },
    requests: (token) => runs.get(token)?.requests ?? [],
    progress: (token) => runs.get(token)?.progress ?? [],
    result: (token) => runs.get(token)?.result,
  };
}
