// Proves the MS-SCMR test peer (test/support/scmrPeer.ts: real smbd in front, an svcctl server on
// python3-impacket behind it) with Samba's own clients, before our SCMR client is tested against it:
//  - `net rpc service` (Samba 4.17's source3 client; it asks lsarpc for the domain SID first, then
//    opens svcctl) over SMB 3.1.1 with signing and encryption: create, start, status, stop, delete,
//    list, and the error codes it prints;
//  - python3-samba's svcctl binding (Samba's source4 DCE/RPC client and its libndr, a dependency of
//    Debian's samba) for what `net` cannot do: raw opnums and stubs, StartService arguments,
//    holding a handle across calls.
// What proves what: a zero exit and the expected output mean Samba's NDR accepted the peer's bytes;
// Samba's error strings (WERR_…, NT_STATUS_…) show the exact code on the wire; the peer's journal
// shows which opnums reached it, how many fragments, and what it answered; smbstatus --json shows
// the session `net` used was SMB3_11, encrypted and signed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { processAlive, startScmrPeer, type ScmrJournalEntry, type ScmrPeer } from '../support/scmrPeer.js';
import { tempDirFor } from '../support/tempDir.js';

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop (the peer's output is read meanwhile), hard timeout. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 45_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (stdout += c));
    child.stderr.on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${command}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal !== null ? 128 : -1), stdout, stderr });
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A throwaway client folder and config, so Samba's clients touch nothing under /var or /etc. */
function clientDir(t: { after(fn: () => void): void }): string {
  const dir = tempDirFor(t, 'pic-scmr-client-');
  fs.writeFileSync(
    path.join(dir, 'client.conf'),
    ['[global]', `\tlock directory = ${dir}`, `\tstate directory = ${dir}`, `\tcache directory = ${dir}`, `\tprivate dir = ${dir}`, ''].join('\n'),
  );
  return dir;
}

function credentials(peer: ScmrPeer): { name: string; password: string } {
  const user = peer.users[0];
  assert.ok(user, 'the peer has no user');
  return user;
}

/**
 * `net rpc service …` against the peer: -p for smbd's port, the password in PASSWD (never on the
 * command line), encryption required by the client too.
 */
function net(peer: ScmrPeer, client: string, args: readonly string[], extra: readonly string[] = []): Promise<RunResult> {
  const user = credentials(peer);
  return run(
    'net',
    [
      'rpc', 'service', ...args,
      '-S', peer.address,
      '-p', String(peer.port),
      '-U', user.name,
      '-s', path.join(client, 'client.conf'),
      '--option=client smb encrypt=required',
      ...extra,
    ],
    { PASSWD: user.password },
  );
}

/** Samba's python svcctl client (source4 librpc): helpers connect(), code(), out(). */
const SAMBA_PY_PRELUDE = `
import json, os, sys
from samba import param, credentials, NTSTATUSError, WERRORError
from samba.dcerpc import svcctl
d = os.environ['PIC_CLIENT_DIR']
lp = param.LoadParm()
for key, value in (('smb ports', os.environ['PIC_PORT']), ('client smb encrypt', 'required'),
                   ('client ipc min protocol', 'SMB3_11'), ('lock dir', d), ('state directory', d),
                   ('cache directory', d), ('private dir', d)):
    lp.set(key, value)
creds = credentials.Credentials()
creds.guess(lp)
creds.set_username(os.environ['PIC_USER'])
creds.set_password(os.environ['PASSWD'])
creds.set_domain('')
def connect():
    return svcctl.svcctl('ncacn_np:' + os.environ['PIC_ADDRESS'], lp, creds)
def code(call, *args):
    try:
        call(*args)
        return 0
    except (WERRORError, NTSTATUSError) as e:
        return e.args[0]
def out(value):
    print(json.dumps(value))
`;

async function sambaPython(peer: ScmrPeer, client: string, body: string): Promise<Record<string, unknown>> {
  const user = credentials(peer);
  const result = await run('/usr/bin/python3', ['-c', `${SAMBA_PY_PRELUDE}\n${body}`], {
    PIC_CLIENT_DIR: client,
    PIC_PORT: String(peer.port),
    PIC_ADDRESS: peer.address,
    PIC_USER: user.name,
    PASSWD: user.password,
  });
  const last = result.stdout.trim().split('\n').pop() ?? '';
  assert.equal(result.code, 0, `python3-samba client failed\n${result.stdout}\n${result.stderr}\n${peer.logs().slice(-4000)}`);
  return JSON.parse(last) as Record<string, unknown>;
}

function describe(peer: ScmrPeer, r: RunResult): string {
  const calls = peer.calls().map((e) => `${e.op ?? '?'} -> ${e.resultName ?? e.statusName ?? '?'}`);
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\nsvcctl calls:\n${calls.join('\n')}\n${peer.logs().slice(-4000)}`;
}

async function netOk(peer: ScmrPeer, client: string, args: readonly string[], expected: RegExp): Promise<RunResult> {
  const r = await net(peer, client, args);
  assert.equal(r.code, 0, describe(peer, r));
  assert.match(r.stdout, expected, describe(peer, r));
  return r;
}

/** net fails, printing Samba's name for the Win32 error the peer returned. */
async function netFails(peer: ScmrPeer, client: string, args: readonly string[], werr: string): Promise<void> {
  const r = await net(peer, client, args);
  assert.notEqual(r.code, 0, describe(peer, r));
  assert.match(r.stderr, new RegExp(`\\[${werr}\\]`), describe(peer, r));
}

function lastCall(peer: ScmrPeer, op: string): ScmrJournalEntry {
  const found = peer.calls().filter((e) => e.op === op).pop();
  assert.ok(found, `no ${op} in the journal`);
  return found;
}

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface SmbStatusSession {
  username?: string;
  session_dialect?: string;
  encryption?: { cipher?: string; degree?: string };
  signing?: { cipher?: string; degree?: string };
}

/** smbstatus --json of the peer's smbd: its sessions right now. */
async function smbSessions(peer: ScmrPeer): Promise<SmbStatusSession[]> {
  const r = await run('smbstatus', ['-s', peer.samba.configPath, '-b', '--json'], {}, 15_000);
  if (r.code !== 0) return [];
  const parsed = JSON.parse(r.stdout) as { sessions?: Record<string, SmbStatusSession> };
  return Object.values(parsed.sessions ?? {});
}

async function pgrep(pattern: string): Promise<string[]> {
  const r = await run('pgrep', ['-af', pattern], {}, 10_000);
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

// ---------------------------------------------------------------------------------------------

test('net rpc service create, start, status, stop and delete go through smbd (SMB 3.1.1, signed, encrypted) to the impacket peer, which journals each opnum', { timeout: 120_000 }, async (t) => {
  const client = clientDir(t);
  const marker = path.join(tempDirFor(t), 'started.txt');
  const peer = await startScmrPeer({
    address: '127.0.0.70',
    config: {
      // Ignores SIGTERM, so RControlService(STOP) waits stopTimeoutMs before SIGKILL: time to look at net's session.
      startCommand: ['sh', '-c', `printf '%s\\n%s\\n%s\\n' "$PIC_SERVICE_NAME" "$PIC_BINARY_PATH" "$PIC_ARGS" > '${marker}'; trap '' TERM; exec sleep 120`],
      stopTimeoutMs: 3_000,
    },
  });
  t.after(() => peer.stop());
  const binary = 'C:\\Windows\\pic-agent.exe --console 127.0.0.1:2224';

  await netOk(peer, client, ['create', 'PicAgent', 'Push Install Agent', binary], /Successfully created Service: PicAgent/);
  const created = peer.services();
  assert.equal(created.length, 1);
  assert.equal(created[0]?.name, 'PicAgent');
  assert.equal(created[0]?.displayName, 'Push Install Agent');
  assert.equal(created[0]?.binaryPath, binary);
  assert.equal(created[0]?.state, 'STOPPED');
  assert.equal(created[0]?.win32ExitCode, 1077, 'a never-started service reports ERROR_SERVICE_NEVER_STARTED');

  await netOk(peer, client, ['start', 'PicAgent'], /Successfully started service: PicAgent/);
  const running = peer.services()[0];
  assert.equal(running?.state, 'RUNNING');
  assert.ok(running?.pid !== null && running?.pid !== undefined && processAlive(running.pid), 'the start command runs');
  await waitFor('the start command to write its marker', () => fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').split('\n').length >= 3);
  assert.deepEqual(fs.readFileSync(marker, 'utf8').split('\n').slice(0, 3), ['PicAgent', binary, '[]']);

  const status = await netOk(peer, client, ['status', 'PicAgent'], /PicAgent service is running\./);
  assert.match(status.stdout, /Executable Path\s+= C:\\Windows\\pic-agent\.exe --console 127\.0\.0\.1:2224/);
  assert.match(status.stdout, /Display Name\s+= Push Install Agent/);
  assert.match(status.stdout, /Service Type\s+= 0x10/);
  assert.match(status.stdout, /Start Type\s+= 0x3/);

  // While net waits in RControlService, smbd shows its session: SMB3_11, encrypted, signed.
  const stopping = net(peer, client, ['stop', 'PicAgent']);
  let sessions: SmbStatusSession[] = [];
  let stopDone = false;
  void stopping.then(() => (stopDone = true));
  while (!stopDone && !sessions.some((s) => s.username === 'pushadmin')) {
    sessions = await smbSessions(peer);
    await sleep(100);
  }
  const stopped = await stopping;
  assert.equal(stopped.code, 0, describe(peer, stopped));
  assert.match(stopped.stdout, /PicAgent service is stopped\./);
  const session = sessions.find((s) => s.username === 'pushadmin');
  assert.ok(session, 'smbstatus saw no session of net while it waited for RControlService');
  assert.equal(session.session_dialect, 'SMB3_11');
  assert.equal(session.encryption?.degree, 'full');
  assert.match(session.encryption?.cipher ?? '', /^AES-/);
  assert.equal(session.signing?.degree, 'full');
  assert.ok(!processAlive(running.pid), 'RControlService(STOP) ended the process (SIGKILL after it ignored SIGTERM)');
  assert.equal(peer.services()[0]?.state, 'STOPPED');
  assert.equal(peer.services()[0]?.win32ExitCode, 0, 'a service stopped on request exits cleanly');

  await netOk(peer, client, ['delete', 'PicAgent'], /Successfully deleted Service: PicAgent/);
  assert.deepEqual(peer.services(), [], 'deleted, stopped and no handle open: the entry is gone');

  const calls = peer.calls();
  assert.deepEqual(calls.filter((e) => e.kind === 'fault'), [], 'no faults');
  const opnums = new Set(calls.map((e) => e.opnum));
  for (const opnum of [15, 16, 12, 19, 6, 1, 2, 0]) assert.ok(opnums.has(opnum), `opnum ${opnum} reached the peer`);
  const firstSeq = (op: string) => calls.find((e) => e.op === op)?.seq ?? -1;
  const order = ['RCreateServiceW', 'RStartServiceW', 'RControlService', 'RDeleteService'].map(firstSeq);
  assert.ok(order.every((seq, i) => seq > 0 && (i === 0 || seq > (order[i - 1] ?? 0))), `create < start < control < delete: ${order.join(', ')}`);
  const create = lastCall(peer, 'RCreateServiceW');
  assert.equal(create.result, 0);
  assert.deepEqual(
    [create.args?.serviceName, create.args?.displayName, create.args?.binaryPathName, create.args?.serviceType, create.args?.startType],
    ['PicAgent', 'Push Install Agent', binary, 0x10, 3],
  );
  assert.equal(lastCall(peer, 'RControlService').args?.control, 1, 'SERVICE_CONTROL_STOP');
  assert.equal(lastCall(peer, 'RStartServiceW').result, 0);
  assert.equal(lastCall(peer, 'RDeleteService').result, 0);
  assert.ok(calls.filter((e) => e.op === 'RCloseServiceHandle').every((e) => e.result === 0));

  // Each net command: one NPAM handshake and one NDR 2.0 bind per pipe, every handle closed.
  const journal = peer.journal();
  const svcctlBinds = journal.filter((e) => e.pipe === 'svcctl' && e.kind === 'bind');
  assert.equal(svcctlBinds.length, 5);
  for (const bind of svcctlBinds) {
    const contexts = bind.contexts as { abstractSyntax: string; result: string; transferSyntaxes: string[] }[];
    assert.equal(contexts[0]?.abstractSyntax, '367abb81-9844-35f1-ad32-98f038001003');
    assert.equal(contexts[0]?.result, 'acceptance');
  }
  assert.equal(journal.filter((e) => e.pipe === 'svcctl' && e.kind === 'connect').length, 5);
  assert.equal(journal.filter((e) => e.pipe === 'lsarpc' && e.kind === 'connect').length, 5, "net rpc's lsarpc preamble");
  assert.ok(journal.filter((e) => e.kind === 'disconnect').every((e) => e.handlesRundown === 0), 'net closed every handle itself');
});

test("the peer's smbd speaks SMB 3.1.1 only: a client limited to SMB 3.0.2 never reaches the pipe", { timeout: 60_000 }, async (t) => {
  const client = clientDir(t);
  const peer = await startScmrPeer({ address: '127.0.0.70' });
  t.after(() => peer.stop());
  const refused = await net(peer, client, ['list'], ['--option=client ipc max protocol=SMB3_02']);
  assert.notEqual(refused.code, 0, describe(peer, refused));
  assert.match(`${refused.stdout}${refused.stderr}`, /NT_STATUS_NOT_SUPPORTED|Connection failed/);
  assert.equal(peer.journal().filter((e) => e.kind === 'connect').length, 0);
  await netOk(peer, client, ['list'], /No services returned/);
});

test('deny open-scmanager: net rpc service list fails with WERR_ACCESS_DENIED, and changing the config at run time takes effect at the next call', { timeout: 90_000 }, async (t) => {
  const client = clientDir(t);
  const peer = await startScmrPeer({ address: '127.0.0.70', config: { deny: 'open-scmanager' } });
  t.after(() => peer.stop());

  const denied = await net(peer, client, ['list']);
  assert.notEqual(denied.code, 0, describe(peer, denied));
  assert.match(denied.stderr, /Failed to open Service Control Manager\.\s*\[WERR_ACCESS_DENIED\]/);
  const open = lastCall(peer, 'ROpenSCManagerW');
  assert.equal(open.result, 5);
  assert.equal(open.resultName, 'ERROR_ACCESS_DENIED');
  assert.equal(open.args?.desiredAccess, 4, 'SC_MANAGER_ENUMERATE_SERVICE');

  peer.setConfig({});
  await netOk(peer, client, ['list'], /No services returned/);

  peer.setConfig({ deny: ['create-service'] });
  await netFails(peer, client, ['create', 'Blocked', 'Blocked', 'C:\\b.exe'], 'WERR_ACCESS_DENIED');
  assert.equal(lastCall(peer, 'RCreateServiceW').result, 5);
  await netOk(peer, client, ['list'], /No services returned/);
  assert.deepEqual(peer.services(), []);
});

test('Windows behaviour through net: 1073 exists, 1056 already running, a running service deleted stays marked (1072) until stopped, 1062 not active, 1060 gone', { timeout: 120_000 }, async (t) => {
  const client = clientDir(t);
  const peer = await startScmrPeer({ address: '127.0.0.70', config: { startCommand: ['sh', '-c', 'exec sleep 120'] } });
  t.after(() => peer.stop());

  await netOk(peer, client, ['create', 'Svc1', 'Service One', 'C:\\one.exe'], /Successfully created/);
  await netFails(peer, client, ['create', 'Svc1', 'Service One', 'C:\\one.exe'], 'WERR_SERVICE_EXISTS');
  assert.equal(lastCall(peer, 'RCreateServiceW').result, 1073);
  await netFails(peer, client, ['create', 'SVC1', 'Other', 'C:\\one.exe'], 'WERR_SERVICE_EXISTS');

  await netOk(peer, client, ['start', 'Svc1'], /Successfully started service: Svc1/);
  await netFails(peer, client, ['start', 'Svc1'], 'WERR_SERVICE_ALREADY_RUNNING');
  assert.equal(lastCall(peer, 'RStartServiceW').result, 1056);

  // DeleteService on a running service only marks it (MS-SCMR 3.1.4.3: Start becomes DISABLED).
  await netOk(peer, client, ['delete', 'Svc1'], /Successfully deleted Service: Svc1/);
  const marked = peer.services()[0];
  assert.equal(marked?.markedForDelete, true);
  assert.equal(marked?.state, 'RUNNING');
  assert.equal(marked?.startType, 4);
  await netOk(peer, client, ['status', 'Svc1'], /Svc1 service is running\./);
  await netFails(peer, client, ['create', 'Svc1', 'Service One', 'C:\\one.exe'], 'WERR_SERVICE_MARKED_FOR_DELETE');
  await netFails(peer, client, ['delete', 'Svc1'], 'WERR_SERVICE_MARKED_FOR_DELETE');
  assert.equal(lastCall(peer, 'RDeleteService').result, 1072);

  // Stopped and no handle left: the record goes.
  await netOk(peer, client, ['stop', 'Svc1'], /Svc1 service is stopped\./);
  assert.deepEqual(peer.services(), []);
  await netFails(peer, client, ['status', 'Svc1'], 'WERR_SERVICE_DOES_NOT_EXIST');
  assert.equal(lastCall(peer, 'ROpenServiceW').result, 1060);

  await netOk(peer, client, ['create', 'Svc2', 'Service Two', 'C:\\two.exe'], /Successfully created/);
  await netFails(peer, client, ['stop', 'Svc2'], 'WERR_SERVICE_NOT_ACTIVE');
  assert.equal(lastCall(peer, 'RControlService').result, 1062);
  await netOk(peer, client, ['list'], /Svc2\s+"Service Two"/);
});

test('injected createResult / startResult reach net as 1073, 1072, 1053 and 2; a service that exits 3 reports 1066 + 3 in SERVICE_STATUS', { timeout: 120_000 }, async (t) => {
  const client = clientDir(t);
  const peer = await startScmrPeer({ address: '127.0.0.70' });
  t.after(() => peer.stop());

  peer.setConfig({ createResult: 1073 });
  await netFails(peer, client, ['create', 'Inj', 'Inj', 'C:\\inj.exe'], 'WERR_SERVICE_EXISTS');
  peer.setConfig({ createResult: 1072 });
  await netFails(peer, client, ['create', 'Inj', 'Inj', 'C:\\inj.exe'], 'WERR_SERVICE_MARKED_FOR_DELETE');
  assert.deepEqual(peer.services(), [], 'an injected failure creates nothing');

  peer.setConfig({});
  await netOk(peer, client, ['create', 'Inj', 'Inj', 'C:\\inj.exe'], /Successfully created/);
  peer.setConfig({ startResult: 1053 });
  await netFails(peer, client, ['start', 'Inj'], 'WERR_SERVICE_REQUEST_TIMEOUT');
  peer.setConfig({ startResult: 2 });
  await netFails(peer, client, ['start', 'Inj'], 'WERR_FILE_NOT_FOUND');
  assert.equal(peer.services()[0]?.state, 'STOPPED');

  peer.setConfig({ startCommand: ['sh', '-c', 'exit 3'] });
  const started = await net(peer, client, ['start', 'Inj']);
  assert.equal(lastCall(peer, 'RStartServiceW').result, 0, describe(peer, started));
  await waitFor('the service process to exit', () => peer.services()[0]?.state === 'STOPPED' && peer.services()[0]?.startCount === 1);
  // Read back through Samba's own NDR: dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR, the code in dwServiceSpecificExitCode.
  const status = await sambaPython(
    peer,
    client,
    `c = connect()
scm = c.OpenSCManagerW(None, None, 0x1)
h = c.OpenServiceW(scm, 'Inj', 0x4)
s = c.QueryServiceStatus(h)
c.CloseServiceHandle(h)
c.CloseServiceHandle(scm)
out({'state': s.state, 'win32': s.win32_exit_code[0] if isinstance(s.win32_exit_code, tuple) else s.win32_exit_code, 'specific': s.service_exit_code})`,
  );
  assert.deepEqual(status, { state: 1, win32: 1066, specific: 3 });
});

test("Samba's own DCE/RPC client (python3-samba) gets nca_s_op_rng_error and nca_s_fault_ndr faults, passes StartService arguments, and a handle held open keeps a deleted service", { timeout: 120_000 }, async (t) => {
  const client = clientDir(t);
  const argsFile = path.join(tempDirFor(t), 'args.json');
  const peer = await startScmrPeer({
    address: '127.0.0.70',
    config: { startCommand: ['sh', '-c', `printf '%s' "$PIC_ARGS" > '${argsFile}'; exec sleep 120`] },
  });
  t.after(() => peer.stop());

  const result = await sambaPython(
    peer,
    client,
    `r = {}
c = connect()
scm = c.OpenSCManagerW(None, None, 0xF003F)
try:
    c.request(99, b'')
except NTSTATUSError as e:
    r['unknownOpnum'] = e.args[0]
try:
    c.request(16, b'\\x01\\x02')
except NTSTATUSError as e:
    r['brokenStub'] = e.args[0]
(tag, held) = c.CreateServiceW(scm, 'Held', 'Held', 0xF01FF, 0x10, 3, 1, 'C:\\\\held.exe', None, None, [], None, [])
a1, a2 = svcctl.ArgumentString(), svcctl.ArgumentString()
a1.string, a2.string = '--console', '127.0.0.1:2224'
r['start'] = code(c.StartServiceW, held, [a1, a2])
r['stop'] = c.ControlService(held, 1).state
r['delete'] = code(c.DeleteService, held)
c2 = connect()
scm2 = c2.OpenSCManagerW(None, None, 0xF003F)
r['createWhileHeld'] = code(c2.CreateServiceW, scm2, 'Held', 'Held', 0xF01FF, 0x10, 3, 1, 'C:\\\\held.exe', None, None, [], None, [])
r['openWhileHeld'] = code(lambda: c2.CloseServiceHandle(c2.OpenServiceW(scm2, 'Held', 0x4)))
c.CloseServiceHandle(held)
r['openAfterClose'] = code(c2.OpenServiceW, scm2, 'Held', 0x4)
c.CloseServiceHandle(scm)
c2.CloseServiceHandle(scm2)
from samba.dcerpc import lsa
try:
    lsa.lsarpc('ncacn_np:%s[\\\\pipe\\\\svcctl]' % os.environ['PIC_ADDRESS'], lp, creds)
    r['lsarpcOnSvcctl'] = 0
except NTSTATUSError as e:
    r['lsarpcOnSvcctl'] = e.args[0]
out(r)`,
  );
  assert.deepEqual(result, {
    unknownOpnum: 0xc002002e, // NT_STATUS_RPC_PROCNUM_OUT_OF_RANGE, Samba's mapping of nca_s_op_rng_error
    brokenStub: 0xc003000c, // NT_STATUS_RPC_BAD_STUB_DATA, Samba's mapping of nca_s_fault_ndr
    start: 0,
    stop: 1,
    delete: 0,
    createWhileHeld: 1072,
    openWhileHeld: 0,
    openAfterClose: 1060,
    // Samba's mapping of a provider_rejection (abstract syntax not supported) in the bind_ack
    lsarpcOnSvcctl: 0xc0020026, // NT_STATUS_RPC_UNSUPPORTED_NAME_SYNTAX
  });
  assert.deepEqual(JSON.parse(fs.readFileSync(argsFile, 'utf8')), ['--console', '127.0.0.1:2224'], 'PIC_ARGS carries the StartService argv');

  const faults = peer.calls().filter((e) => e.kind === 'fault');
  assert.deepEqual(
    faults.map((f) => [f.opnum, f.status, f.statusName]),
    [
      [99, 0x1c010002, 'nca_s_op_rng_error'],
      [16, 0x6f7, 'nca_s_fault_ndr'],
    ],
  );
  const rejected = peer.journal().filter((e) => e.kind === 'bind' && e.pipe === 'svcctl').pop();
  assert.deepEqual(rejected?.contexts, [
    {
      id: 0,
      abstractSyntax: '12345778-1234-abcd-ef00-0123456789ab',
      version: '0.0',
      transferSyntaxes: ['8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0'],
      result: 'provider_rejection',
      reason: 1,
    },
    {
      // Samba's client also offers bind time feature negotiation; the peer acknowledges it, supporting none.
      id: 1,
      abstractSyntax: '12345778-1234-abcd-ef00-0123456789ab',
      version: '0.0',
      transferSyntaxes: ['6cb71c2c-9812-4540-0300-000000000000 v1.0'],
      result: 'negotiate_ack',
      reason: 0,
    },
  ]);
  assert.deepEqual(peer.services(), []);
});

test('startPendingMs: StartService leaves the service START_PENDING (STOP meanwhile: 1061), then RUNNING', { timeout: 60_000 }, async (t) => {
  const client = clientDir(t);
  const peer = await startScmrPeer({ address: '127.0.0.70', config: { startCommand: ['sleep', '120'], startPendingMs: 1_500 } });
  t.after(() => peer.stop());
  const result = await sambaPython(
    peer,
    client,
    `import time
c = connect()
scm = c.OpenSCManagerW(None, None, 0xF003F)
(tag, h) = c.CreateServiceW(scm, 'Slow', 'Slow', 0xF01FF, 0x10, 3, 1, 'C:\\\\slow.exe', None, None, [], None, [])
c.StartServiceW(h, [])
s = c.QueryServiceStatus(h)
r = {'pending': [s.state, s.controls_accepted, s.check_point > 0, s.wait_hint > 0]}
r['stopWhilePending'] = code(c.ControlService, h, 1)
deadline = time.time() + 10
while c.QueryServiceStatus(h).state != 4 and time.time() < deadline:
    time.sleep(0.1)
s = c.QueryServiceStatus(h)
r['running'] = [s.state, s.controls_accepted]
r['stop'] = c.ControlService(h, 1).state
c.CloseServiceHandle(h)
c.CloseServiceHandle(scm)
out(r)`,
  );
  assert.deepEqual(result, { pending: [2, 0, true, true], stopWhilePending: 1061, running: [4, 1], stop: 1 });
});

test("with maxFragment 1432 Samba's clients send a multi-fragment RCreateServiceW and reassemble a multi-fragment RQueryServiceConfigW response", { timeout: 90_000 }, async (t) => {
  const client = clientDir(t);
  const peer = await startScmrPeer({ address: '127.0.0.70', config: { maxFragment: 1432 } });
  t.after(() => peer.stop());
  const longPath = `C:\\Program Files\\${'Push Install Console\\'.repeat(100)}agent.exe --console 127.0.0.1:2224`;
  assert.ok(longPath.length * 2 > 3 * 1432);

  await netOk(peer, client, ['create', 'LongPath', 'Long Path', longPath], /Successfully created Service: LongPath/);
  const create = lastCall(peer, 'RCreateServiceW');
  assert.equal(create.args?.binaryPathName, longPath);
  assert.ok((create.fragments ?? 0) >= 3, `request fragments: ${create.fragments}`);
  const bind = peer.journal().filter((e) => e.kind === 'bind' && e.pipe === 'svcctl').pop();
  assert.equal(bind?.maxXmitFrag, 1432);

  const status = await netOk(peer, client, ['status', 'LongPath'], /LongPath service is stopped\./);
  assert.ok(status.stdout.includes(`Executable Path      = ${longPath}\n`), status.stdout);
  const config = lastCall(peer, 'RQueryServiceConfigW');
  assert.equal(config.result, 0);
  assert.ok((config.responseFragments ?? 0) >= 3, `response fragments: ${config.responseFragments}`);

  const viaPython = await sambaPython(
    peer,
    client,
    `c = connect()
scm = c.OpenSCManagerW(None, None, 0x1)
h = c.OpenServiceW(scm, 'LongPath', 0x1)
(cfg, needed) = c.QueryServiceConfigW(h, 8192)
out({'path': cfg.executablepath, 'display': cfg.displayname})`,
  );
  assert.deepEqual(viaPython, { path: longPath, display: 'Long Path' });
});

test('two peers on 127.0.0.70 and 127.0.0.71 run side by side, each with its own services and journal, and stop without leaving python3 or smbd behind', { timeout: 120_000 }, async (t) => {
  const client = clientDir(t);
  const [a, b] = await Promise.all([startScmrPeer({ address: '127.0.0.70' }), startScmrPeer({ address: '127.0.0.71' })]);
  t.after(() => Promise.all([a.stop(), b.stop()]));
  assert.notEqual(a.socketPath, b.socketPath);

  await Promise.all([
    netOk(a, client, ['create', 'OnSeventy', 'On .70', 'C:\\a.exe'], /Successfully created/),
    netOk(b, client, ['create', 'OnSeventyOne', 'On .71', 'C:\\b.exe'], /Successfully created/),
  ]);
  assert.deepEqual(a.services().map((s) => s.name), ['OnSeventy']);
  assert.deepEqual(b.services().map((s) => s.name), ['OnSeventyOne']);
  await netOk(a, client, ['list'], /OnSeventy\s+"On \.70"/);
  const listB = await netOk(b, client, ['list'], /OnSeventyOne\s+"On \.71"/);
  assert.doesNotMatch(listB.stdout, /"On \.70"/);
  assert.equal(a.calls().filter((e) => e.op === 'RCreateServiceW').length, 1);
  assert.equal(b.calls().filter((e) => e.op === 'RCreateServiceW').length, 1);

  const pids = [a.pid, b.pid, ...a.samba.processes(), ...b.samba.processes()];
  assert.ok(pids.every((pid) => processAlive(pid)));
  await a.stop();
  // b is untouched by a's stop.
  await netOk(b, client, ['list'], /OnSeventyOne/);
  await Promise.all([b.stop(), a.stop()]);
  await b.stop();

  for (const pid of pids) assert.ok(!processAlive(pid), `pid ${pid} is still alive`);
  for (const peer of [a, b]) {
    assert.deepEqual(peer.samba.processes(), []);
    assert.deepEqual(await pgrep(peer.socketPath), [], 'no python3 peer left');
    assert.deepEqual(await pgrep(peer.samba.configPath), [], 'no smbd left');
    assert.ok(!fs.existsSync(peer.samba.dir), 'Samba folder removed (socket with it)');
    // The journal is still readable after stop().
    assert.ok(peer.journal().some((e) => e.kind === 'shutdown'));
  }
});
