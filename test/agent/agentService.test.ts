// The agent as a real Windows service under Wine (agent/README.md, docs/TESTING.md §4): it
// reaches the REAL package server (main/server/packageServer.ts with a GrantStore and the console's
// certificate), downloads real MSIs built by wixl at test time, runs Wine's msiexec, and reports.
// A TCP proxy between the agent and the server adds only the faults the server cannot produce: a
// connection cut mid-file and a slow link. Needs Debian's gcc-mingw-w64-x86-64-win32, wine, wine64
// and wixl (scripts/setup.sh installs them); fails loudly without them. The agent is built by
// scripts/test.mjs (bash agent/build.sh) before the tests.
//
// Wine facts these tests depend on (agent/README.md, "Under Wine"): a keeper process holds the
// prefix up (test/support/wine.ts); Wine's LogonUserW is a stub whose token CreateProcessAsUserW
// refuses (error 6), so the install-as-administrator path is run with --test-self-token to get to
// msiexec; Wine's msi returns 1627 where Windows returns 1603 (failing custom action) or 1620
// (not a package); Wine maps file DACLs onto Unix permissions.
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { loadOrCreateCertificate, type ConsoleCertificate } from '../../main/server/certificate.js';
import { GrantStore, type Grant, type PackageFile } from '../../main/server/grants.js';
import { encodeJobFile } from '../../main/server/jobFile.js';
import { startPackageServer, type AgentEvent, type InstallCredential, type PackageServer } from '../../main/server/packageServer.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { createWinePrefix, requireTools, type WinePrefix, type WineRun } from '../support/wine.js';
import { HELLO_TEXT, MsiBuilder, sha256File, type BuiltMsi } from './msiFixtures.js';
import { pairSockets } from '../support/tcpPair.js';

const EXE = path.join(REPO_ROOT, 'agent', 'dist', 'PushInstallAgent.exe');
const STOPPED = 1;
const RUNNING = 4;
const CREDENTIAL: InstallCredential = { user: 'pushadmin', domain: 'CORP', password: 'Pa55-w0rd-never-logged' };

// ---- a TCP proxy for the faults the package server cannot produce ------------------------------

interface FaultProxy {
  readonly port: number;
  /** Cut the next connection whose server-to-agent bytes pass this many (once). */
  cutOnceAfter(bytes: number): void;
  /** Forward server-to-agent bytes at most this fast (0 = no limit). */
  throttle(bytesPerSecond: number): void;
  readonly stats: { connections: number; cuts: number };
  close(): Promise<void>;
}

async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  let cutAfter = 0;
  let rate = 0;
  const stats = { connections: 0, cuts: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    stats.connections++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    let down = 0;
    const started = Date.now();
    const end = pairSockets(client, upstream, sockets);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      down += chunk.length;
      if (cutAfter > 0 && down > cutAfter) {
        cutAfter = 0;
        stats.cuts++;
        client.write(chunk.subarray(0, chunk.length / 2), () => end());
        return;
      }
      client.write(chunk);
      if (rate > 0) {
        const due = started + (down / rate) * 1000;
        const wait = due - Date.now();
        if (wait > 0) {
          upstream.pause();
          setTimeout(() => upstream.resume(), wait);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cutOnceAfter: (bytes) => (cutAfter = bytes),
    throttle: (bytesPerSecond) => (rate = bytesPerSecond),
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 with nothing listening (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

interface ScState {
  state: number;
  win32ExitCode: number;
  serviceExitCode: number;
  raw: string;
}

function parseQuery(out: string): ScState {
  const num = (label: string): number => {
    const m = new RegExp(`${label}\\s*:\\s*(\\d+)`).exec(out);
    assert.ok(m?.[1] !== undefined, `no ${label} in sc query output:\n${out}`);
    return Number(m[1]);
  };
  return { state: num('STATE'), win32ExitCode: num('WIN32_EXIT_CODE'), serviceExitCode: num('SERVICE_EXIT_CODE'), raw: out };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('PushInstallAgent.exe under Wine, against the real package server, installing real MSIs', { timeout: 420_000 }, async (t) => {
  requireTools(['wine', 'wineserver', 'wineboot', 'wixl', 'x86_64-w64-mingw32-objdump']);
  const t0 = Date.now();

  // ---- the binary: built by scripts/test.mjs (bash agent/build.sh) ------------------------------
  assert.ok(fs.existsSync(EXE), `${EXE} is missing: run bash agent/build.sh`);
  const size = fs.statSync(EXE).size;
  assert.ok(size <= 200 * 1024, `agent is ${size} bytes (> 200 KB)`);
  const dump = spawnSync('x86_64-w64-mingw32-objdump', ['-p', EXE], { encoding: 'utf8' });
  const dlls = [...dump.stdout.matchAll(/DLL Name: (\S+)/g)].map((m) => (m[1] ?? '').toLowerCase()).sort();
  for (const dll of dlls) assert.match(dll, /^(advapi32|kernel32|msvcrt|winhttp|ws2_32|bcrypt|crypt32|userenv)\.dll$/);
  t.diagnostic(`agent: ${size} bytes, imports ${dlls.join(', ')}`);

  // ---- Wine prefix, MSIs, the console's package server ---------------------------------------------
  const wine: WinePrefix = await createWinePrefix();
  t.after(() => wine.close());
  t.diagnostic(`Wine prefix ready in ${Date.now() - t0} ms`);

  const work = makeTempDir('pic-agent-');
  t.after(() => removeDir(work));
  const msis = new MsiBuilder(path.join(work, 'msi'));
  const cfgXml = path.join(work, 'cfg.xml');
  fs.writeFileSync(cfgXml, '<?xml version="1.0"?>\n<config product="test" marker="from-the-console"/>\n');

  const cert: ConsoleCertificate = await loadOrCreateCertificate(path.join(work, 'console'));
  const otherCert: ConsoleCertificate = await loadOrCreateCertificate(path.join(work, 'other'));
  const grants = new GrantStore();
  const events = new Map<number, AgentEvent[]>();
  const serverLog: { target: number | null; detail: string }[] = [];
  let credentialCalls = 0;
  const server: PackageServer = await startPackageServer({
    certificate: cert,
    grants,
    port: 0,
    host: '127.0.0.1',
    credentialFor: async () => {
      credentialCalls++;
      return CREDENTIAL;
    },
    onEvent: (e) => {
      const list = events.get(e.targetId) ?? [];
      list.push(e);
      events.set(e.targetId, list);
    },
    onLog: (target, detail) => serverLog.push({ target, detail }),
  });
  t.after(() => server.close());
  const proxy = await startFaultProxy(server.port);
  t.after(() => proxy.close());
  const deadPort = await closedPort();

  // ---- helpers -----------------------------------------------------------------------------------
  let nextTarget = 1;
  interface Case {
    run: string;
    targetId: number;
    grant: Grant;
    dirWin: string;
    dirUnix: string;
    exeWin: string;
    jobUnix: string;
  }

  const fileOf = (msi: BuiltMsi, name = 'package.msi'): PackageFile => ({ name, path: msi.file, size: msi.size, sha256: msi.sha256, role: 'msi' });
  const cfgFile = (): PackageFile => ({ name: 'cfg.xml', path: cfgXml, size: fs.statSync(cfgXml).size, sha256: sha256File(cfgXml), role: 'config' });

  /** A run the way the console pushes it: the agent in %SystemRoot%\PushInstall\<run>\ with its job file. */
  const prepare = (opts: {
    run?: string;
    files: PackageFile[];
    runAs?: 'admin' | 'system';
    parameters?: string;
    jobSha?: string;
    fingerprint?: string;
    token?: string;
    port?: number;
  }): Case => {
    const targetId = nextTarget++;
    const run = opts.run ?? `run-${targetId}-${crypto.randomBytes(3).toString('hex')}`;
    const grant = grants.issue({ targetId, runId: run, files: opts.files, parameters: opts.parameters ?? '', runAs: opts.runAs ?? 'system', ttlMs: 600_000 });
    const dirWin = `C:\\windows\\PushInstall\\${run}`;
    const dirUnix = wine.unixPath(dirWin);
    fs.mkdirSync(dirUnix, { recursive: true });
    if (!fs.existsSync(path.join(dirUnix, 'PushInstallAgent.exe'))) fs.copyFileSync(EXE, path.join(dirUnix, 'PushInstallAgent.exe'));
    const msi = opts.files.find((f) => f.role === 'msi')!;
    const jobUnix = path.join(dirUnix, 'PushInstallAgent.exe.job');
    fs.writeFileSync(
      jobUnix,
      encodeJobFile({
        consoles: [{ host: '127.0.0.1', port: deadPort }, { host: '127.0.0.1', port: opts.port ?? proxy.port }],
        fingerprint: opts.fingerprint ?? cert.fingerprint,
        token: opts.token ?? grant.token,
        runId: run,
        packageId: 'test-package',
        size: msi.size,
        sha256: opts.jobSha ?? msi.sha256,
      }),
    );
    return { run, targetId, grant, dirWin, dirUnix, exeWin: `${dirWin}\\PushInstallAgent.exe`, jobUnix };
  };

  const sc = async (args: readonly string[]): Promise<WineRun> => wine.run('sc', args, { timeoutMs: 30_000 });
  const query = async (name: string): Promise<ScState> => {
    const r = await sc(['query', name]);
    assert.equal(r.status, 0, `sc query ${name} failed: ${r.stdout}${r.stderr}`);
    return parseQuery(r.stdout);
  };
  const waitFor = async (name: string, state: number, timeoutMs: number): Promise<ScState> => {
    const deadline = Date.now() + timeoutMs;
    let last = await query(name);
    while (last.state !== state) {
      assert.ok(Date.now() < deadline, `${name}: not in state ${state} after ${timeoutMs} ms:\n${last.raw}`);
      await sleep(250);
      last = await query(name);
    }
    return last;
  };
  const agentLog = (c: Case): string => {
    const f = path.join(c.dirUnix, 'PushInstallAgent.exe.log');
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
  };
  const serviceName = (c: Case) => `PushInstallAgent_${c.run}`;
  const startService = async (c: Case, args = ''): Promise<string> => {
    const name = serviceName(c);
    const create = await sc(['create', name, 'binPath=', `${c.exeWin}${args}`]);
    assert.equal(create.status, 0, `sc create ${name}: ${create.stdout}${create.stderr}`);
    const start = await sc(['start', name]);
    assert.equal(start.status, 0, `sc start ${name}: ${start.stdout}${start.stderr}`);
    return name;
  };
  const removeService = async (name: string): Promise<void> => {
    const r = await sc(['delete', name]);
    assert.equal(r.status, 0, `sc delete ${name}: ${r.stdout}${r.stderr}`);
  };
  /** Starts the agent as a service and waits for STOPPED. */
  const runService = async (c: Case, args = '', timeoutMs = 90_000): Promise<ScState> => {
    const name = await startService(c, args);
    const stopped = await waitFor(name, STOPPED, timeoutMs);
    await removeService(name);
    return stopped;
  };
  const resultOf = (c: Case): Extract<AgentEvent, { kind: 'result' }> | undefined =>
    (events.get(c.targetId) ?? []).find((e): e is Extract<AgentEvent, { kind: 'result' }> => e.kind === 'result');
  const stagesOf = (c: Case): string[] =>
    (events.get(c.targetId) ?? []).flatMap((e) => (e.kind === 'progress' ? [`${e.stage}${e.percent === null ? '' : `:${e.percent}`}`] : []));
  const serverLines = (c: Case): string[] => serverLog.filter((l) => l.target === c.targetId).map((l) => l.detail);
  /** Requests the server answered for this target: the job (the 'connected' event), each progress
   * post, each file request ('serving' log line), the credential, the result. */
  const serverRequests = (c: Case): number =>
    (events.get(c.targetId) ?? []).filter((e) => e.kind === 'connected' || e.kind === 'progress' || e.kind === 'result').length +
    serverLines(c).filter((l) => l.startsWith('serving ') || l.startsWith('handed the install credential')).length;
  const pinnedRequests = (c: Case): number => {
    const m = /(\d+) requests sent to the console, each after its certificate matched/.exec(agentLog(c));
    assert.ok(m, `no pinned-request count in the log:\n${agentLog(c)}`);
    return Number(m[1]);
  };
  const programFiles = (variant: string) => path.join(wine.driveC, 'Program Files', `PushInstallTest-${variant}`);
  const workFolder = (c: Case) => wine.unixPath(`C:\\windows\\Temp\\PushInstall-${c.run}`);
  /** Exactly what the console deletes by name may stay beside the agent: .log and .done. */
  const assertCleanedUp = (c: Case, withDone = true) => {
    assert.equal(fs.existsSync(workFolder(c)), false, 'the work folder is gone');
    assert.equal(fs.existsSync(c.jobUnix), false, 'the job file is gone');
    const left = fs.readdirSync(c.dirUnix).sort();
    const expected = ['PushInstallAgent.exe', ...(withDone ? ['PushInstallAgent.exe.done'] : []), 'PushInstallAgent.exe.log'];
    assert.deepEqual(left, expected, `beside the agent: ${left.join(', ')}`);
  };
  const regQuery = async (variant: string): Promise<string> => {
    const r = await wine.run('reg', ['query', `HKLM\\Software\\PushInstallTest\\${variant}`, '/v', 'Marker'], { timeoutMs: 30_000 });
    return r.stdout;
  };
  const assertInstalled = async (msi: BuiltMsi, marker: string | null) => {
    const dir = programFiles(msi.variant);
    assert.equal(fs.readFileSync(path.join(dir, 'hello.txt'), 'utf8'), HELLO_TEXT, `${dir}/hello.txt`);
    assert.equal(fs.statSync(path.join(dir, 'payload.bin')).size, 2 * 1024 * 1024);
    if (marker !== null) assert.match(await regQuery(msi.variant), new RegExp(`Marker\\s+REG_SZ\\s+${marker}`));
  };
  const assertNothingInstalled = (msi: BuiltMsi) => assert.equal(fs.existsSync(programFiles(msi.variant)), false, `${programFiles(msi.variant)} exists`);

  // ---- the cases ---------------------------------------------------------------------------------
  let firstDone: { c: Case; msi: BuiltMsi } | null = null;

  await t.test('--console: the first agent run in a fresh prefix returns promptly (resolved on exit; stdio to files)', async () => {
    const msi = msis.build('good');
    const c = prepare({ files: [fileOf(msi)], token: crypto.randomBytes(32).toString('base64url') });
    const r = await wine.run(c.exeWin, ['--console'], { timeoutMs: 30_000 });
    assert.equal(r.status, 15, r.stderr);
    assert.ok(r.ms < 15_000, `took ${r.ms} ms`);
    assert.match(r.stderr, /result 15/);
  });

  await t.test('installs a real MSI as SYSTEM (service), with cfg.xml beside it and the parameters, and reports 0 with the MSI log', async () => {
    const msi = msis.build('good');
    const c = prepare({ files: [fileOf(msi), cfgFile()], parameters: 'MARKER=from-the-console-42 REBOOT=ReallySuppress' });
    const t1 = Date.now();
    const name = await startService(c);
    const running = await query(name);
    assert.ok(running.state === RUNNING || running.state === STOPPED, running.raw);
    const stopped = await waitFor(name, STOPPED, 90_000);
    await removeService(name);
    t.diagnostic(`service run with a ${msi.size}-byte MSI: ${Date.now() - t1} ms`);
    assert.equal(stopped.win32ExitCode, 0, `${stopped.raw}\n${agentLog(c)}`);
    assert.equal(stopped.serviceExitCode, 0, stopped.raw);

    const result = resultOf(c);
    assert.ok(result, `no result posted:\n${agentLog(c)}`);
    assert.equal(result.exitCode, 0);
    assert.match(result.log, /== PushInstallAgent log ==/);
    assert.match(result.log, /package\.msi: \d+ bytes, SHA-256 [0-9a-f]{64} verified/);
    assert.match(result.log, /== MSI log \(ANSI, \d+ bytes on disk\) ==/, 'Wine writes the MSI log in ANSI');
    assert.match(result.log, /Action ended [^\n]*: INSTALL\. Return value 1\./, 'the MSI verbose log reached the console');
    assert.match(result.log, /MARKER=from-the-console-42/);
    assert.ok(Buffer.byteLength(result.log) < 400 * 1024);

    await assertInstalled(msi, 'from-the-console-42');
    // cfg.xml was beside the MSI: the package's custom action copied it from [SourceDir].
    assert.equal(fs.readFileSync(path.join(programFiles(msi.variant), 'cfg-seen.xml'), 'utf8'), fs.readFileSync(cfgXml, 'utf8'));

    const stages = stagesOf(c);
    assert.equal(stages[0], 'connected');
    assert.ok(stages.includes('downloading:0') && stages.includes('downloading:100'), stages.join(' '));
    assert.equal(stages.at(-1), 'installing');
    assert.equal(c.grant.credentialTaken, false, 'no credential for a SYSTEM install');
    assert.equal(grants.check(c.grant.token), 'finished', 'the token is refused after the result');

    const log = agentLog(c);
    assert.match(log, /service 'PushInstallAgent_run-\d+-[0-9a-f]+' running/);
    assert.match(log, new RegExp(`console 127\\.0\\.0\\.1:${deadPort}: not reached`));
    assert.match(log, /certificate matches the job's fingerprint, token accepted, job fetched/);
    assert.match(log, /work folder DACL asked for: D:P\(A;OICI;FA;;;SY\)\(A;OICI;FA;;;BA\)/);
    assert.match(log, /starting as SYSTEM: "C:\\windows\\system32\\msiexec\.exe" \/i "C:\\windows\\Temp\\PushInstall-[^"]+\\package\.msi" \/qn \/norestart \/l\*v "[^"]+\\PushInstall-msi\.log" MARKER=from-the-console-42 REBOOT=ReallySuppress/);
    // Every request the server saw had its certificate checked by the agent before it was sent.
    assert.equal(pinnedRequests(c), serverRequests(c));
    assert.ok(serverRequests(c) >= 7);
    assert.doesNotMatch(log, new RegExp(c.grant.token), 'the token is never logged');
    assertCleanedUp(c);
    assert.match(fs.readFileSync(path.join(c.dirUnix, 'PushInstallAgent.exe.done'), 'utf8'), new RegExp(`^run=${c.run}\r\nresult=0\r\n`));
    firstDone = { c, msi };
  });

  await t.test('a second start of the same run exits 17 and installs nothing (the .done marker)', async () => {
    assert.ok(firstDone, 'needs the first case');
    const before = credentialCalls;
    // The console (or anyone) pushes the same run again: a fresh job file, a fresh grant.
    const again = prepare({ run: firstDone.c.run, files: [fileOf(firstDone.msi), cfgFile()] });
    assert.equal(again.dirUnix, firstDone.c.dirUnix);
    const stopped = await runService(again);
    assert.equal(stopped.win32ExitCode, 1066, stopped.raw);
    assert.equal(stopped.serviceExitCode, 17, stopped.raw);
    assert.match(agentLog(again), /already finished on this machine \(\.done marker\): nothing installed again/);
    assert.deepEqual(events.get(again.targetId) ?? [], [], 'the agent did not even call the console');
    assert.deepEqual(serverLines(again), []);
    assert.equal(credentialCalls, before);
  });

  await t.test('with runAs admin the credential is fetched exactly once; Wine\'s stub LogonUserW token cannot launch msiexec: 18', async () => {
    const msi = msis.build('good');
    const c = prepare({ files: [fileOf(msi)], runAs: 'admin', parameters: 'MARKER=admin-stub' });
    const before = credentialCalls;
    const stopped = await runService(c);
    assert.equal(stopped.serviceExitCode, 18, `${stopped.raw}\n${agentLog(c)}`);
    assert.equal(credentialCalls - before, 1);
    assert.equal(c.grant.credentialTaken, true);
    const log = agentLog(c);
    assert.match(log, /install credential received for CORP\\pushadmin \(kept in memory only\)/);
    assert.match(log, /LogonUserW\(CORP\\pushadmin, batch\) ok/);
    assert.match(log, /CreateProcessAsUserW failed: Win32 error 6/);
    assert.equal(resultOf(c)?.exitCode, 18);
    assert.doesNotMatch(log + (resultOf(c)?.log ?? ''), new RegExp(CREDENTIAL.password), 'the password is never logged');
    assertNothingInstalled(msi);
    assertCleanedUp(c);
  });

  await t.test('with runAs admin (--test-self-token) the credential is fetched exactly once, LogonUserW + CreateProcessAsUserW install: 0', async () => {
    const msi = msis.build('good');
    const c = prepare({ files: [fileOf(msi), cfgFile()], runAs: 'admin', parameters: 'MARKER=as-admin' });
    const before = credentialCalls;
    const stopped = await runService(c, ' --test-self-token');
    assert.equal(stopped.win32ExitCode, 0, `${stopped.raw}\n${agentLog(c)}`);
    assert.equal(credentialCalls - before, 1, 'GET /v1/credential served once');
    assert.ok(serverLines(c).some((l) => l === 'handed the install credential for CORP\\pushadmin to the agent'));
    const log = agentLog(c);
    assert.match(log, /LogonUserW\(CORP\\pushadmin, batch\) ok/);
    assert.match(log, /starting as the administrator: /);
    assert.equal(resultOf(c)?.exitCode, 0);
    assert.doesNotMatch(log + (resultOf(c)?.log ?? ''), new RegExp(CREDENTIAL.password), 'the password is never logged');
    await assertInstalled(msi, 'as-admin');
    assertCleanedUp(c);
  });

  await t.test('SHA-256 mismatch: result 13, msiexec never started, nothing installed', async () => {
    const msi = msis.build('good');
    // The package file on the console's disk was changed after its hash was taken: same size, other bytes.
    const tampered = path.join(work, 'tampered.msi');
    const bytes = fs.readFileSync(msi.file);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100]! ^ 0xff) & 0xff;
    fs.writeFileSync(tampered, bytes);
    const c = prepare({ files: [{ ...fileOf(msi), path: tampered }] });
    const stopped = await runService(c);
    assert.equal(stopped.win32ExitCode, 1066, stopped.raw);
    assert.equal(stopped.serviceExitCode, 13, `${stopped.raw}\n${agentLog(c)}`);
    const log = agentLog(c);
    assert.match(log, new RegExp(`package\\.msi: ${msi.size} bytes with SHA-256 [0-9a-f]{64}; the job says ${msi.size} bytes with ${msi.sha256}: nothing installed`));
    assert.doesNotMatch(log, /starting as|msiexec running/);
    assert.equal(resultOf(c)?.exitCode, 13);
    assertNothingInstalled(msi);
    assertCleanedUp(c);
  });

  await t.test('wrong certificate fingerprint: 12, and not one request (so not the token) reaches the console', async () => {
    const msi = msis.build('good');
    const c = prepare({ files: [fileOf(msi)], fingerprint: otherCert.fingerprint });
    const linesBefore = serverLog.length;
    const connectionsBefore = proxy.stats.connections;
    const stopped = await runService(c);
    assert.equal(stopped.win32ExitCode, 1066, stopped.raw);
    assert.equal(stopped.serviceExitCode, 12, `${stopped.raw}\n${agentLog(c)}`);
    assert.ok(proxy.stats.connections > connectionsBefore, 'the agent connected and did the TLS handshake');
    // The server logs every request it receives, refused ones too: none arrived.
    assert.deepEqual(serverLog.slice(linesBefore), []);
    assert.deepEqual(events.get(c.targetId) ?? [], []);
    assert.equal(grants.check(c.grant.token), c.grant, 'the token was never used');
    const log = agentLog(c);
    assert.match(log, new RegExp(`certificate SHA-256 ${cert.fingerprint} does not match the job's ${otherCert.fingerprint}: nothing is sent`));
    assert.match(log, /result 12: the console's certificate does not match; the token was not sent/);
    assertNothingInstalled(msi);
    assertCleanedUp(c, false);
  });

  await t.test('token refused by the console: 15', async () => {
    const msi = msis.build('good');
    const c = prepare({ files: [fileOf(msi)], token: crypto.randomBytes(32).toString('base64url') });
    const stopped = await runService(c);
    assert.equal(stopped.serviceExitCode, 15, `${stopped.raw}\n${agentLog(c)}`);
    assert.match(agentLog(c), /certificate matches; the token was refused \(HTTP 401\)/);
    assert.ok(serverLog.some((l) => l.target === null && /^refused GET \/v1\/job from 127\.0\.0\.1: token unknown$/.test(l.detail)));
    assertCleanedUp(c, false);
  });

  await t.test('a download cut mid-file resumes with Range and succeeds', async () => {
    const msi = msis.build('good');
    const c = prepare({ files: [fileOf(msi), cfgFile()], parameters: 'MARKER=resumed' });
    proxy.cutOnceAfter(700 * 1024);
    const cutsBefore = proxy.stats.cuts;
    const stopped = await runService(c);
    assert.equal(proxy.stats.cuts - cutsBefore, 1, 'the proxy cut one connection');
    assert.equal(stopped.win32ExitCode, 0, `${stopped.raw}\n${agentLog(c)}`);
    const log = agentLog(c);
    const cut = /package\.msi: download interrupted at byte (\d+) of (\d+) \(WinHTTP error (\d+)\)/.exec(log);
    assert.ok(cut, log);
    assert.match(log, new RegExp(`package\\.msi: resuming at byte ${cut[1]} of ${msi.size} \\(Range\\)`));
    const served = serverLines(c).filter((l) => l.startsWith('serving package.msi'));
    assert.deepEqual(served, [`serving package.msi bytes 0-${msi.size - 1} of ${msi.size}`, `serving package.msi bytes ${cut[1]}-${msi.size - 1} of ${msi.size}`]);
    t.diagnostic(`cut at byte ${cut[1]} of ${msi.size} (WinHTTP error ${cut[3]}), resumed with Range`);
    // The resumed request went out on a new connection: it was pinned too.
    assert.equal(pinnedRequests(c), serverRequests(c));
    assert.equal(resultOf(c)?.exitCode, 0);
    await assertInstalled(msi, 'resumed');
    assertCleanedUp(c);
  });

  await t.test('STOP during the download: 14 within the bound, nothing installed; a concurrent start of the same run exits 17', async () => {
    const msi = msis.build('good');
    const c = prepare({ files: [fileOf(msi)] });
    proxy.throttle(256 * 1024);
    try {
      const name = await startService(c);
      assert.equal((await query(name)).state, RUNNING);
      const deadline = Date.now() + 30_000;
      while (!stagesOf(c).some((s) => /^downloading:([1-9]\d*)$/.test(s))) {
        assert.ok(Date.now() < deadline, `the download never progressed:\n${agentLog(c)}`);
        await sleep(100);
      }
      // Meanwhile a second agent for the same run (say, a duplicate start): the run's mutex says no.
      const second = await wine.run(c.exeWin, ['--console', '--job', `${c.dirWin}\\PushInstallAgent.exe.job`, '--log', `${c.dirWin}\\second.log`], { timeoutMs: 30_000 });
      assert.equal(second.status, 17, second.stderr);
      assert.match(fs.readFileSync(path.join(c.dirUnix, 'second.log'), 'utf8'), /is being handled by another agent process: nothing to do/);
      fs.rmSync(path.join(c.dirUnix, 'second.log'));

      const t1 = Date.now();
      assert.equal((await sc(['stop', name])).status, 0);
      const stopped = await waitFor(name, STOPPED, 15_000);
      const ms = Date.now() - t1;
      await removeService(name);
      t.diagnostic(`sc stop during the download -> STOPPED in ${ms} ms`);
      assert.equal(stopped.win32ExitCode, 1066, stopped.raw);
      assert.equal(stopped.serviceExitCode, 14, `${stopped.raw}\n${agentLog(c)}`);
      assert.ok(ms < 10_000, `took ${ms} ms`);
      assert.match(agentLog(c), /control 1: stopping/);
      assert.match(agentLog(c), /service stopping with result 14/);
      assert.doesNotMatch(agentLog(c), /starting as/);
      assertNothingInstalled(msi);
      assertCleanedUp(c, false);
    } finally {
      proxy.throttle(0);
    }
  });

  await t.test('STOP while msiexec runs: the agent waits for it (bounded) instead of killing it, and reports its real result', async () => {
    const msi = msis.build('slow');
    const release = path.join(wine.driveC, `PushInstallTest-release-${msi.variant}.flag`);
    const c = prepare({ files: [fileOf(msi)] });
    const name = await startService(c);
    const deadline = Date.now() + 30_000;
    while (!/msiexec running \(pid \d+\)/.test(agentLog(c))) {
      assert.ok(Date.now() < deadline, `msiexec never started:\n${agentLog(c)}`);
      await sleep(100);
    }
    // From msiexec's start this run counts as done on this machine (a crash now must not install twice).
    assert.equal(fs.readFileSync(path.join(c.dirUnix, 'PushInstallAgent.exe.done'), 'utf8'), `run=${c.run}\r\nresult=installing\r\n`);
    const t1 = Date.now();
    const stop = await sc(['stop', name]);
    assert.equal(stop.status, 0, `${stop.stdout}${stop.stderr}\n${agentLog(c)}`);
    await sleep(2000);
    const pending = await query(name);
    assert.equal(pending.state, 3 /* STOP_PENDING */, pending.raw);
    fs.writeFileSync(release, 'go'); // msiexec's custom action ends, the install completes
    const stopped = await waitFor(name, STOPPED, 70_000);
    const ms = Date.now() - t1;
    await removeService(name);
    fs.rmSync(release);
    t.diagnostic(`sc stop while msiexec ran -> STOP_PENDING, then STOPPED ${ms} ms later, once msiexec had finished`);
    assert.equal(stopped.win32ExitCode, 0, `${stopped.raw}\n${agentLog(c)}`);
    const log = agentLog(c);
    assert.match(log, /stop requested while msiexec runs: waiting up to 60 s for it to finish/);
    assert.match(log, /msiexec exited with 0/);
    assert.equal(resultOf(c)?.exitCode, 0, 'the result went to the console after the stop');
    assert.match(fs.readFileSync(path.join(c.dirUnix, 'PushInstallAgent.exe.done'), 'utf8'), new RegExp(`^run=${c.run}\r\nresult=0\r\n$`));
    assert.equal(fs.readFileSync(path.join(programFiles(msi.variant), 'hello.txt'), 'utf8'), HELLO_TEXT);
    assertCleanedUp(c);
  });

  await t.test('a corrupt (truncated) MSI: msiexec fails, the agent reports 100000 + its code (Wine: 1627; Windows: 1620)', async () => {
    const msi = msis.truncated();
    const c = prepare({ files: [fileOf(msi)] });
    const stopped = await runService(c);
    assert.equal(stopped.win32ExitCode, 1066, stopped.raw);
    assert.equal(stopped.serviceExitCode, 101627, `${stopped.raw}\n${agentLog(c)}`);
    assert.equal(resultOf(c)?.exitCode, 101627);
    assert.match(agentLog(c), /msiexec exited with 1627/);
    assertCleanedUp(c);
  });

  await t.test('a failing custom action: rolled back, 100000 + its code (Wine: 1627; Windows: 1603)', async () => {
    const msi = msis.build('fail');
    const c = prepare({ files: [fileOf(msi)] });
    const stopped = await runService(c);
    assert.equal(stopped.serviceExitCode, 101627, `${stopped.raw}\n${agentLog(c)}`);
    const result = resultOf(c);
    assert.equal(result?.exitCode, 101627);
    assert.match(result?.log ?? '', /FailOnPurpose/, 'the MSI log names the failing action');
    assertNothingInstalled(msi);
    assertCleanedUp(c);
  });

  await t.test('a package that asks for a reboot: 103010 (installed, reboot required)', async () => {
    const msi = msis.build('reboot');
    const c = prepare({ files: [fileOf(msi)] });
    const stopped = await runService(c);
    assert.equal(stopped.serviceExitCode, 103010, `${stopped.raw}\n${agentLog(c)}`);
    assert.equal(resultOf(c)?.exitCode, 103010);
    assert.match(agentLog(c), /msiexec exited with 3010 \(installed; a reboot is required\)/);
    assert.equal(fs.readFileSync(path.join(programFiles(msi.variant), 'hello.txt'), 'utf8'), HELLO_TEXT);
    assertCleanedUp(c);
  });

  // ---- --console mode: quick checks of the job file and the console's reachability ---------------
  await t.test('--console with no console listening: bounded retries, exit 11', async () => {
    const msi = msis.build('good');
    const c = prepare({ files: [fileOf(msi)], port: deadPort });
    const r = await wine.run(c.exeWin, ['--console'], { timeoutMs: 60_000 });
    assert.equal(r.status, 11, r.stderr);
    assert.equal((r.stderr.match(/not reached/g) ?? []).length, 6, r.stderr);
    assert.match(r.stderr, /no console answered after 3 rounds/);
    assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
    t.diagnostic(`unreachable console: exit 11 after ${r.ms} ms`);
  });

  await t.test('--console with a bad job file exits 10 and says why', async () => {
    const msi = msis.build('good');
    const c = prepare({ files: [fileOf(msi)] });
    const good = fs.readFileSync(c.jobUnix, 'utf8').replaceAll('\r\n', '\n');
    const withLine = (key: string, line: string | null): string =>
      good
        .split('\n')
        .map((l) => (l.startsWith(`${key}=`) ? line : l))
        .filter((l): l is string => l !== null)
        .join('\n');
    const cases: [string, string | Buffer | null, RegExp][] = [
      ['missing file', null, /cannot read it/],
      ['empty', '', /empty/],
      ['no console', withLine('console', null), /missing key: console/],
      ['no fingerprint', withLine('fingerprint', null), /missing key: fingerprint/],
      ['no token', withLine('token', null), /missing key: token/],
      ['no run', withLine('run', null), /missing key: run/],
      ['no sha256', withLine('sha256', null), /missing key: sha256/],
      ['console port 65536', withLine('console', 'console=10.0.0.1:65536'), /port must be/],
      ['IPv6 without brackets', withLine('console', 'console=::1:2224'), /brackets/],
      ['short fingerprint', withLine('fingerprint', 'fingerprint=abcd'), /fingerprint: expected/],
      ['token with a space', withLine('token', 'token=abcdefghij klmnopqrstuv'), /token: expected/],
      ['run with a backslash', withLine('run', 'run=..\\x'), /run: expected/],
      ['size 0', withLine('size', 'size=0'), /size: expected/],
      ['size > 2^53-1', withLine('size', 'size=9007199254740992'), /size: expected/],
      ['token twice', `${good}token=abcdefghijklmnopqrstuvwxyz999999\n`, /token: given twice/],
      ['a password key', `${good}password=hunter2\n`, /unknown key 'password'/],
      ['version 2', withLine('version', 'version=2'), /only version 1/],
      ['invalid UTF-8', Buffer.concat([Buffer.from(good), Buffer.from([0x23, 0xc3, 0x28, 0x0a])]), /not valid UTF-8/],
      ['too large', `${good}${`#${'x'.repeat(1000)}\n`.repeat(17)}`, /larger than 16384/],
    ];
    const file = path.join(c.dirUnix, 'bad.job');
    for (const [label, content, why] of cases) {
      fs.rmSync(file, { force: true });
      if (content !== null) fs.writeFileSync(file, content);
      const r = await wine.run(c.exeWin, ['--console', '--job', `${c.dirWin}\\bad.job`], { timeoutMs: 30_000 });
      assert.equal(r.status, 10, `${label}: exit ${r.status}\n${r.stderr}`);
      assert.match(r.stderr, /bad job file: /, label);
      assert.match(r.stderr, why, `${label}: ${r.stderr}`);
    }
    // Accepted variants: CRLF, a BOM, blank lines, comments, spaces around "=" (token refused here: it is a fresh file).
    const variant = `\uFEFF${withLine('token', `  token =  ${crypto.randomBytes(24).toString('base64url')}  \n\n# comment: ünïcödé ok`)}`.replaceAll('\n', '\r\n');
    fs.writeFileSync(file, variant);
    const r = await wine.run(c.exeWin, ['--console', '--job', `${c.dirWin}\\bad.job`], { timeoutMs: 30_000 });
    assert.equal(r.status, 15, r.stderr);
    assert.equal((await wine.run(c.exeWin, ['--bogus'])).status, 2);
  });

  await t.test('sc stop while the console does not answer the TLS handshake: STOPPED with 14 within the bound', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const msi = msis.build('good');
      const c = prepare({ files: [fileOf(msi)], port: (silent.address() as net.AddressInfo).port });
      const name = await startService(c);
      const deadline = Date.now() + 15_000;
      while (sockets.size === 0) {
        assert.ok(Date.now() < deadline, `the agent never connected:\n${agentLog(c)}`);
        await sleep(100);
      }
      const t1 = Date.now();
      assert.equal((await sc(['stop', name])).status, 0);
      const stopped = await waitFor(name, STOPPED, 15_000);
      const ms = Date.now() - t1;
      await removeService(name);
      t.diagnostic(`sc stop during a silent TLS handshake -> STOPPED in ${ms} ms`);
      assert.equal(stopped.win32ExitCode, 1066, stopped.raw);
      assert.equal(stopped.serviceExitCode, 14, stopped.raw);
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  t.diagnostic(`whole agent test: ${Date.now() - t0} ms`);
});
