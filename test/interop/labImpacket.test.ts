// Independent proof that a lab host speaks MS-SCMR: Debian's python3-impacket — its own
// SMB2/3, NTLMv2, signing, DCE/RPC and NDR, none of it ours — logs on to a simulated host
// (main/lab/smb/ in front of main/lab/rpc/), puts the agent and its job files on ADMIN$, and with
// impacket's scmr helpers creates, starts, queries, stops and deletes two services. Their
// simulated agents call back to the REAL package server: one installs and reports 0, the other is
// stopped while it installs (14). Afterwards the host holds no file, folder or service.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabHostState } from '../../main/lab/hostState.js';
import { startLabSmbHost, type LabSmbHost } from '../../main/lab/smb/server.js';
import { labPipeFactory } from '../../main/lab/agent/labPipes.js';
import { encodeJobFile } from '../../main/server/jobFile.js';
import { labHostState } from '../support/labHost.js';
import { issueGrant, jobFor, startConsoleSide, type ConsoleSide } from '../support/labAgentFixture.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'labImpacket', 'scmr_lifecycle.py');
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const ADDRESS = '127.0.56.201';
const PORT = 20000 + (process.pid % 20000);
const ACCOUNT = { user: 'LabAdmin', password: 'Lab-P@ssw0rd-7', domain: '' };

interface Step {
  step: string;
  [key: string]: unknown;
}

/** Runs the impacket script asynchronously (the lab host serves it from this very process). */
function runImpacket(plan: object, timeoutMs = 90_000): Promise<{ code: number | null; steps: Step[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT, JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`impacket did not finish in ${timeoutMs} ms; so far:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const steps = stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Step);
      resolve({ code, steps, stderr });
    });
  });
}

describe('impacket (python3-impacket) against a lab host', () => {
  let dir: string;
  let side: ConsoleSide;
  let state: LabHostState;
  let host: LabSmbHost;
  const agentLines: string[] = [];

  before(async () => {
    dir = makeTempDir('lab-impacket-');
    side = await startConsoleSide(dir, 512 * 1024);
    state = labHostState('healthy', { name: 'LAB-PC-201', address: ADDRESS, port: PORT, accounts: [{ ...ACCOUNT }], installTimeMs: 1500 });
    host = await startLabSmbHost(state, {
      pipes: labPipeFactory({ agent: { retry: { rounds: 2, backoffMs: 100 }, log: (line) => agentLines.push(line) } }),
      logonFailureDelayMs: 0,
    });
  });

  after(async () => {
    await host?.close();
    await side?.close();
    if (dir) removeDir(dir);
  });

  // impacket's own negotiation ends at 3.0 (AES-CMAC signing); 2.1 signs with HMAC-SHA256. Not 3.1.1:
  // impacket 0.10 signs its 3.1.1 TREE_CONNECT wrongly — Samba 4.17's smbd refuses it as well
  // (STATUS_ACCESS_DENIED, checked with test/support/samba.ts).
  for (const [dialect, wanted, first] of [['auto', '0x0300', 900], ['21', '0x0210', 910]] as const) {
  test(`impacket (dialect ${dialect}) logs on, copies the agent, creates/starts/queries/stops/deletes two services; one agent installs and reports 0, the other is stopped (14); nothing is left`, async () => {
    const counters = { ...state.counters };
    const runs = [`r-imp-${first}-a`, `r-imp-${first}-b`].map((runId, i) => {
      const grant = issueGrant(side, first + i, { runId, runAs: 'system', files: [side.msi] });
      const local = path.join(dir, `${runId}.job`);
      fs.writeFileSync(local, encodeJobFile(jobFor(side, grant)));
      return { runId, grant, targetId: first + i, folder: `PushInstall\\${runId}`, exe: `PushInstall\\${runId}\\PushInstallAgent.exe`, job: local };
    });
    const agentExe = path.join(dir, 'PushInstallAgent.exe');
    fs.writeFileSync(agentExe, Buffer.concat([Buffer.from('MZ'), Buffer.alloc(70_000, 0x90)]));

    const plan = {
      host: ADDRESS,
      port: PORT,
      ...ACCOUNT,
      dialect,
      mkdirs: ['PushInstall', ...runs.map((r) => r.folder)],
      puts: runs.flatMap((r) => [{ remote: r.exe, local: agentExe }, { remote: `${r.exe}.job`, local: r.job }]),
      services: runs.map((r, i) => ({ name: `PushInstallAgent-${r.runId}`, display: `Push Install Agent (${r.runId})`, binaryPath: `%SystemRoot%\\${r.exe}`, mode: i === 0 ? 'finish' : 'stop' })),
      deletes: runs.flatMap((r) => [r.exe, `${r.exe}.log`, `${r.exe}.done`]),
      rmdirs: [...runs.map((r) => r.folder), 'PushInstall'],
      timeoutSec: 60,
    };
    const { code, steps, stderr } = await runImpacket(plan);
    const transcript = `${steps.map((s) => JSON.stringify(s)).join('\n')}\n${stderr}\nagent:\n${agentLines.join('\n')}`;
    assert.equal(code, 0, transcript);
    if (process.env.LAB_IMPACKET_VERBOSE) console.log(transcript); // LAB_IMPACKET_VERBOSE=1 prints impacket's steps and the agent log
    const find = (step: string, service?: string) => steps.filter((s) => s.step === step && (service === undefined || s.service === service));

    const login = find('login')[0]!;
    assert.equal(login.dialect, wanted);
    assert.equal(login.signingRequired, true, 'the host requires signing, as 24H2 does');
    assert.equal(find('put').length, 4);
    assert.equal(find('open-missing')[0]?.code, 1060, 'ERROR_SERVICE_DOES_NOT_EXIST');

    const [a, b] = plan.services.map((s) => s.name) as [string, string];
    for (const name of [a, b]) {
      assert.equal(find('create-again', name)[0]?.code, 1073, `${name}: ERROR_SERVICE_EXISTS`);
      const config = find('query-config', name)[0]!;
      assert.equal(config.binaryPath, plan.services.find((s) => s.name === name)!.binaryPath);
      assert.equal(config.startName, 'LocalSystem');
      assert.equal(config.startType, 3);
      assert.equal(config.serviceType, 0x10);
      const before = find('query-before-start', name)[0]!;
      assert.deepEqual([before.state, before.win32ExitCode], ['STOPPED', 1077]);
      assert.equal(find('start-again', name)[0]?.code, 1056, `${name}: ERROR_SERVICE_ALREADY_RUNNING`);
      assert.equal(find('query-running', name)[0]?.state, 'RUNNING');
      assert.equal(find('delete-again', name)[0]?.code, 1072, `${name}: ERROR_SERVICE_MARKED_FOR_DELETE`);
      assert.equal(find('open-deleted', name)[0]?.code, 1060, `${name}: gone once stopped, deleted and closed`);
    }
    // Service A: its agent downloaded, installed for 1.5 s and reported 0; the service stopped with 0.
    const stoppedA = find('query-stopped', a)[0]!;
    assert.deepEqual([stoppedA.state, stoppedA.win32ExitCode, stoppedA.serviceSpecificExitCode], ['STOPPED', 0, 0], transcript);
    assert.equal(find('stop-stopped', a)[0]?.code, 1062, 'ERROR_SERVICE_NOT_ACTIVE');
    const resultA = side.events.find((e) => e.kind === 'result' && e.targetId === runs[0]!.targetId);
    assert.ok(resultA && resultA.kind === 'result' && resultA.exitCode === 0, transcript);
    const connectedA = side.events.find((e) => e.kind === 'connected' && e.targetId === runs[0]!.targetId);
    assert.ok(connectedA && connectedA.kind === 'connected' && connectedA.address === ADDRESS, 'the agent called from the host\'s address');
    // Service B: STOP while its agent worked → STOP_PENDING or STOPPED at once, then STOPPED 1066/14.
    assert.ok(['STOP_PENDING', 'STOPPED'].includes(String(find('stop', b)[0]?.state)), transcript);
    const stoppedB = find('query-stopped', b)[0]!;
    assert.deepEqual([stoppedB.state, stoppedB.win32ExitCode, stoppedB.serviceSpecificExitCode], ['STOPPED', 1066, 14], transcript);
    assert.equal(side.events.some((e) => e.kind === 'result' && e.targetId === runs[1]!.targetId), false);

    assert.equal(find('done').length, 1, transcript);
    assert.deepEqual(state.leftovers(), { files: [], directories: [], services: [] }, transcript);
    assert.equal(state.agentsRunning, 0);
    assert.equal(state.counters.servicesCreated - counters.servicesCreated, 2);
    assert.equal(state.counters.servicesDeleted - counters.servicesDeleted, 2);
    assert.equal(state.counters.agentRuns - counters.agentRuns, 2);
  });
  }
});
