// What the agent's Wine tests share: a wixl-built product MSI with one property recorded in the
// registry, the agent and its job file placed as the console places them
// (C:\windows\PushInstall\<run>\), and a service run to STOPPED the way the SCM runs it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadOrCreateCertificate, type ConsoleCertificate } from '../../main/server/certificate.js';
import { GrantStore, type PackageFile } from '../../main/server/grants.js';
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
  assert.equal((await sc(['start', name])).status, 0);
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
