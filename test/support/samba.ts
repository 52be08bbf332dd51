// A real Samba `smbd` on a loopback address, as the SMB2/3 peer for interop tests
// (docs/TESTING.md §4). Each instance lives in its own temp folder: smb.conf, passdb.tdb, lock,
// state, cache, pid and ncalrpc folders, log file and share folders. smbd runs in the foreground
// under a tiny python3 subreaper, so the children it forks per connection and the samba-dcerpcd /
// rpcd_* helpers it daemonises on demand for IPC$ pipes are reaped by us, never left as zombies
// for PID 1. `stop()` ends them all, then removes the folder. Samba missing is an error, never a skip.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findBinary, freePort, instanceProcs, killAtExit, requireBinary, run, signal, tcpAccepts, type ProcInfo, type RunResult } from './processes.js';

export type SambaMaxProtocol = 'SMB2_10' | 'SMB3_00' | 'SMB3_02' | 'SMB3_11';
export type SambaMinProtocol = 'SMB2_02' | 'SMB2_10' | 'SMB3_00' | 'SMB3_11';

export interface SambaUser {
  name: string;
  password: string;
}

export interface SambaShareOptions {
  name: string;
  /** Only these users may write (`read only = yes` + `write list`). */
  writableBy?: string[];
  /** `read only = yes` with no write list. Neither this nor writableBy: writable by every user. */
  readOnly?: boolean;
  /** Share-level `server smb encrypt`. */
  encrypt?: 'required' | 'off';
  /** `valid users`: only these may connect at all (others get NT_STATUS_ACCESS_DENIED at tree connect). Default: every user. */
  validUsers?: string[];
}

export interface SambaOptions {
  /** A 127.0.0.x loopback address; default '127.0.0.1'. */
  address?: string;
  /** Default: a free port chosen by the fixture. */
  port?: number;
  /** `server max protocol`, default SMB3_11. */
  maxProtocol?: SambaMaxProtocol;
  /** `server min protocol`, default SMB2_02. */
  minProtocol?: SambaMinProtocol;
  /** `server signing`, default mandatory. */
  signing?: 'mandatory' | 'auto' | 'disabled';
  /** Server-wide `server smb encrypt`, default off. */
  encrypt?: 'required' | 'desired' | 'off';
  /** `server smb3 encryption algorithms` (Samba 4.17's name), e.g. 'AES-128-GCM' or 'AES-256-GCM, AES-128-CCM'. */
  ciphers?: string;
  /** `server smb3 signing algorithms`, e.g. 'AES-128-CMAC, HMAC-SHA256'. */
  signingAlgorithms?: string;
  /** Default [{ name: 'pushadmin', password: 'Secret-Pa55' }]. Names must be valid Unix user names. */
  users?: SambaUser[];
  /**
   * Default: 'ADMIN$' writable by (and open only to) the first user, plus a read-only 'public'
   * share every user may read.
   */
  shares?: SambaShareOptions[];
  /** Extra [global] parameters, written last (so they override the fixture's), e.g. `{ 'rpc start on demand helpers': 'no' }`. */
  globalOptions?: Record<string, string>;
}

export interface SambaServer {
  readonly address: string;
  readonly port: number;
  readonly users: SambaUser[];
  /** The instance's temp folder (smb.conf, private/, lock/, ncalrpc/, shares/ …). Removed by stop(). */
  readonly dir: string;
  /** Absolute path of the generated smb.conf. */
  readonly configPath: string;
  /** PID of the main smbd process (its parent is the fixture's reaper process). */
  readonly pid: number;
  /** The folder on disk behind a share (case-insensitive name), to assert files. */
  shareDir(name: string): string;
  /** smbd's output and log file so far, for failure messages. */
  logs(): string;
  /** Live PIDs of this instance: the reaper, main smbd, its forked children, samba-dcerpcd and rpcd_* helpers. */
  processes(): number[];
  /** Ends every process of this instance and removes the temp folder. Safe to call twice. */
  stop(): Promise<void>;
}

export const SAMBA_MISSING_MESSAGE = 'samba is not installed: scripts/setup.sh installs it (scripts/debian-packages.txt)';

const DEFAULT_USERS: readonly SambaUser[] = [{ name: 'pushadmin', password: 'Secret-Pa55' }];
const START_TIMEOUT_MS = 15_000;
const MAX_LOG_CHARS = 2_000_000;

// ---------------------------------------------------------------------------------------------
// The reaper

/**
 * argv: the smbd command line. Becomes a child subreaper (prctl PR_SET_CHILD_SUBREAPER), runs
 * smbd, forwards SIGTERM to it (smbd also signals its whole process group, the reaper included,
 * when it exits) and reaps every process reparented to it. Once smbd itself has exited, it
 * terminates the orphans it inherited (SIGTERM, SIGKILL after 2 s); it exits with smbd's status
 * when nothing is left to reap. PR_SET_PDEATHSIG: if the test process dies (even SIGKILL), the
 * reaper gets SIGTERM and takes smbd down with it.
 */
const REAPER_SCRIPT = `
import ctypes, os, signal, sys, time
libc, parent = ctypes.CDLL(None, use_errno=True), os.getppid()
if libc.prctl(36, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
libc.prctl(1, signal.SIGTERM, 0, 0, 0)
if os.getppid() != parent:
    sys.exit("the test process is gone")
smbd = os.fork()
if smbd == 0:
    os.execv(sys.argv[1], sys.argv[1:])
smbd_done = False
def forward(*_):
    if not smbd_done:
        try:
            os.kill(smbd, signal.SIGTERM)
        except OSError:
            pass
signal.signal(signal.SIGTERM, forward)
def orphans():
    me, found = os.getpid(), []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
                if int(st[st.rindex(")") + 2:].split()[1]) == me:
                    found.append(int(d))
            except (OSError, ValueError):
                pass
    return found
status, since = 1, None
while True:
    try:
        pid, raw = os.waitpid(-1, os.WNOHANG if smbd_done else 0)
    except ChildProcessError:
        break
    if pid == smbd:
        smbd_done, since = True, time.monotonic()
        code = os.waitstatus_to_exitcode(raw)
        status = code if code >= 0 else 128 - code
    if smbd_done and pid == 0:
        sig = signal.SIGKILL if time.monotonic() - since > 2 else signal.SIGTERM
        for orphan in orphans():
            try:
                os.kill(orphan, sig)
            except OSError:
                pass
        time.sleep(0.05)
sys.exit(status)
`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True if the promise settles within ms; the timer is cleared so it never holds the process open. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(done, done);
  });
}

// ---------------------------------------------------------------------------------------------
// Validation and set-up

const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

function checkConfValue(what: string, value: string): string {
  if (/[\r\n\0]/.test(value)) throw new Error(`${what} may not contain line breaks: ${JSON.stringify(value)}`);
  return value;
}

function checkOptions(address: string, users: readonly SambaUser[], shares: readonly SambaShareOptions[]): void {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || net.isIPv4(address) === false) {
    throw new Error(`startSamba: address must be a 127.x.y.z loopback address, got ${JSON.stringify(address)}`);
  }
  if (users.length === 0) throw new Error('startSamba: at least one user is needed');
  for (const u of users) {
    if (!USER_NAME.test(u.name)) throw new Error(`startSamba: ${JSON.stringify(u.name)} is not a valid Unix user name`);
    if (/[\r\n\0]/.test(u.password) || u.password === '') throw new Error(`startSamba: user ${u.name} needs a one-line, non-empty password`);
  }
  const names = new Set<string>();
  for (const s of shares) {
    if (!/^[A-Za-z0-9$_.-]{1,80}$/.test(s.name) || s.name.toLowerCase() === 'global' || s.name.toLowerCase() === 'ipc$') {
      throw new Error(`startSamba: unsupported share name ${JSON.stringify(s.name)}`);
    }
    if (names.has(s.name.toLowerCase())) throw new Error(`startSamba: share ${s.name} is listed twice`);
    names.add(s.name.toLowerCase());
    for (const u of [...(s.writableBy ?? []), ...(s.validUsers ?? [])]) {
      if (!users.some((known) => known.name === u)) throw new Error(`startSamba: share ${s.name} names unknown user ${u}`);
    }
  }
}

let userCreation: Promise<void> = Promise.resolve();

/** Creates missing Unix accounts (left in place: a test machine). Serialised here, retried across processes. */
function ensureUnixUsers(names: readonly string[]): Promise<void> {
  const next = userCreation.then(async () => {
    const useradd = requireBinary('useradd', 'useradd is missing (Debian package passwd): the Samba fixture needs it to create test users');
    for (const name of names) {
      let lastError = '';
      for (let attempt = 0; attempt < 20; attempt++) {
        if ((await run('id', ['-u', name])).code === 0) {
          lastError = '';
          break;
        }
        const added = await run(useradd, ['-M', '-s', '/usr/sbin/nologin', name]);
        if (added.code === 0) {
          lastError = '';
          break;
        }
        // Another process may hold /etc/passwd's lock or have just created the same user.
        lastError = `useradd ${name} exited ${added.code}: ${added.stderr.trim()}`;
        await sleep(100 + attempt * 50);
      }
      if (lastError !== '') throw new Error(`could not create Unix user ${name}: ${lastError}`);
    }
  });
  userCreation = next.catch(() => undefined);
  return next;
}

/** True if nothing listens on address:port (a plain listen, without SO_REUSEPORT, fails if anything does). */
function portFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Inodes of the TCP sockets listening on exactly address:port (from /proc/net/tcp). */
function listeningInodes(address: string, port: number): string[] {
  const octets = address.split('.').map((o) => Number(o).toString(16).padStart(2, '0').toUpperCase());
  const portHex = port.toString(16).padStart(4, '0').toUpperCase();
  // The address is printed as a host-order 32-bit number: reversed octets on little-endian machines.
  const wanted = new Set([`${[...octets].reverse().join('')}:${portHex}`, `${octets.join('')}:${portHex}`]);
  let text = '';
  try {
    text = fs.readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return [];
  }
  const inodes: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] === '0A' && wanted.has(f[1] ?? '') && f[9] !== undefined) inodes.push(f[9]);
  }
  return inodes;
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m?.[1] !== undefined) inodes.add(m[1]);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // process gone
  }
  return inodes;
}

function sanitizeShareFolder(name: string, index: number): string {
  return `${index}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

interface ResolvedShare {
  name: string;
  dir: string;
  options: SambaShareOptions;
}

function renderConfig(p: {
  dir: string;
  address: string;
  port: number;
  minProtocol: SambaMinProtocol;
  maxProtocol: SambaMaxProtocol;
  signing: string;
  encrypt: string;
  ciphers: string | undefined;
  signingAlgorithms: string | undefined;
  shares: readonly ResolvedShare[];
  globalOptions: Record<string, string>;
}): string {
  const lastOctet = p.address.split('.')[3] ?? '1';
  const g: [string, string][] = [
    ['server role', 'standalone server'],
    ['workgroup', 'WORKGROUP'],
    ['netbios name', `PICSMB${lastOctet}`],
    ['server string', 'push-install-console test peer'],
    ['bind interfaces only', 'yes'],
    // Samba ignores a bare 127.0.0.x that is not an interface address; with a mask it binds it.
    ['interfaces', `${p.address}/8`],
    ['smb ports', String(p.port)],
    ['disable netbios', 'yes'],
    ['server min protocol', p.minProtocol],
    ['server max protocol', p.maxProtocol],
    ['server signing', p.signing],
    ['server smb encrypt', p.encrypt],
    ['passdb backend', `tdbsam:${p.dir}/private/passdb.tdb`],
    ['private dir', `${p.dir}/private`],
    ['lock directory', `${p.dir}/lock`],
    ['state directory', `${p.dir}/state`],
    ['cache directory', `${p.dir}/cache`],
    ['pid directory', `${p.dir}/run`],
    ['ncalrpc dir', `${p.dir}/ncalrpc`],
    ['winbindd socket directory', `${p.dir}/winbindd`],
    ['binddns dir', `${p.dir}/bind-dns`],
    ['log file', `${p.dir}/samba.log`],
    ['max log size', '0'],
    ['log level', '1 auth_audit:2'],
    ['load printers', 'no'],
    ['printing', 'bsd'],
    ['printcap name', '/dev/null'],
    ['disable spoolss', 'yes'],
    ['map to guest', 'never'],
    ['ntlm auth', 'ntlmv2-only'],
    ['usershare max shares', '0'],
  ];
  if (p.ciphers !== undefined) g.push(['server smb3 encryption algorithms', p.ciphers]);
  if (p.signingAlgorithms !== undefined) g.push(['server smb3 signing algorithms', p.signingAlgorithms]);
  for (const [k, v] of Object.entries(p.globalOptions)) g.push([checkConfValue('global option name', k), v]);

  const lines = ['# Generated by test/support/samba.ts for one test instance.', '[global]'];
  for (const [k, v] of g) lines.push(`\t${k} = ${checkConfValue(k, v)}`);
  for (const share of p.shares) {
    const o = share.options;
    lines.push('', `[${share.name}]`, `\tpath = ${share.dir}`, '\tbrowseable = yes', '\tguest ok = no');
    if (o.readOnly === true) {
      lines.push('\tread only = yes');
    } else if (o.writableBy !== undefined) {
      lines.push('\tread only = yes');
      if (o.writableBy.length > 0) lines.push(`\twrite list = ${o.writableBy.join(' ')}`);
    } else {
      lines.push('\tread only = no');
    }
    if (o.validUsers !== undefined && o.validUsers.length > 0) lines.push(`\tvalid users = ${o.validUsers.join(' ')}`);
    if (o.encrypt !== undefined) lines.push(`\tserver smb encrypt = ${o.encrypt}`);
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------

export async function startSamba(options: SambaOptions = {}): Promise<SambaServer> {
  const smbd = findBinary('smbd');
  const smbpasswd = findBinary('smbpasswd');
  if (smbd === null || smbpasswd === null) throw new Error(SAMBA_MISSING_MESSAGE);
  // Debian's samba depends on python3; prefer the system one over version-manager shims.
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : findBinary('python3');
  if (python === null) throw new Error(`python3 is missing (Debian's samba depends on it): ${SAMBA_MISSING_MESSAGE}`);

  const address = options.address ?? '127.0.0.1';
  const users = (options.users ?? DEFAULT_USERS).map((u) => ({ name: u.name, password: u.password }));
  const firstUser = users[0]?.name ?? '';
  const shareOptions: SambaShareOptions[] = options.shares ?? [
    { name: 'ADMIN$', writableBy: [firstUser], validUsers: [firstUser] },
    { name: 'public', readOnly: true },
  ];
  checkOptions(address, users, shareOptions);
  if (options.ciphers !== undefined) checkConfValue('ciphers', options.ciphers);
  if (options.signingAlgorithms !== undefined) checkConfValue('signingAlgorithms', options.signingAlgorithms);

  await ensureUnixUsers(users.map((u) => u.name));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-samba-'));
  // Users that Samba maps to must be able to traverse to the share folders.
  fs.chmodSync(dir, 0o755);
  for (const sub of ['lock', 'state', 'cache', 'run', 'ncalrpc', 'winbindd', 'bind-dns', 'shares']) {
    fs.mkdirSync(path.join(dir, sub), { mode: 0o755 });
  }
  fs.mkdirSync(path.join(dir, 'private'), { mode: 0o700 });
  const shares: ResolvedShare[] = shareOptions.map((s, i) => {
    const shareDir = path.join(dir, 'shares', sanitizeShareFolder(s.name, i));
    fs.mkdirSync(shareDir);
    // Samba decides who may write (read only / write list); Unix permissions must not get in the way.
    fs.chmodSync(shareDir, 0o777);
    return { name: s.name, dir: shareDir, options: s };
  });
  const configPath = path.join(dir, 'smb.conf');

  let output = '';
  const appendOutput = (text: string) => {
    output += text;
    if (output.length > MAX_LOG_CHARS) output = output.slice(output.length - MAX_LOG_CHARS);
  };
  const readLogFiles = (): string => {
    let text = '';
    try {
      for (const f of fs.readdirSync(dir).filter((n) => n.startsWith('samba.log')).sort()) {
        text += `\n--- ${f} ---\n${fs.readFileSync(path.join(dir, f), 'utf8').slice(-MAX_LOG_CHARS)}`;
      }
    } catch {
      // folder removed
    }
    return text;
  };
  let finalLogFiles: string | null = null;
  const logs = () => `--- smbd output ---\n${output}${finalLogFiles ?? readLogFiles()}`;

  /** One try at starting smbd: the reaper process and what became of it. */
  interface Attempt {
    child: ChildProcess;
    rootPid: number;
    exited: Promise<void>;
    exitInfo: string | null;
  }
  let current: Attempt | null = null;
  let port = 0;

  const killNow = () => {
    // Synchronous last resort (process exit without stop()): SIGKILL every smbd process but the
    // reaper, which outlives us just long enough to reap them, then exits; remove the folder.
    if (current !== null) {
      const rootPid = current.rootPid;
      for (const p of instanceProcs(rootPid, configPath)) if (p.pid !== rootPid) signal(p.pid, 'SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Killed if the test process exits without stopping it.
  const unhook = killAtExit(killNow);

  const waitFor = async (cond: () => boolean, ms: number, tick?: () => void): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (!cond() && Date.now() < deadline) {
      tick?.();
      await sleep(25);
    }
    return cond();
  };

  /** Ends one attempt: SIGTERM, then SIGKILL; resolves once the reaper has reaped everything and exited. */
  const terminate = async (attempt: Attempt): Promise<void> => {
    const { rootPid } = attempt;
    const isAlive = (p: ProcInfo) => p.state !== 'Z' && p.state !== 'X';
    const others = () => instanceProcs(rootPid, configPath).filter((p) => p.pid !== rootPid && isAlive(p));
    const reaperGone = () => attempt.exitInfo !== null;
    // SIGTERM the reaper (it forwards to smbd, even one not yet exec'd), smbd, its forked children,
    // the RPC helpers, and whatever appears while they shut down (smbd restarts notifyd/cleanupd).
    const seen = new Set<number>();
    const termNew = () => {
      for (const p of others()) {
        if (!seen.has(p.pid)) {
          seen.add(p.pid);
          signal(p.pid, 'SIGTERM');
        }
      }
    };
    if (!reaperGone()) signal(rootPid, 'SIGTERM');
    termNew();
    let done = await waitFor(reaperGone, 5_000, termNew);
    for (let round = 0; round < 3 && !done; round++) {
      for (const p of others()) signal(p.pid, 'SIGKILL');
      done = await waitFor(reaperGone, 2_000);
    }
    if (!done) {
      signal(-rootPid, 'SIGKILL');
      signal(rootPid, 'SIGKILL');
      await settlesWithin(attempt.exited, 2_000);
    }
    const left = instanceProcs(rootPid, configPath).filter((p) => p.pid !== rootPid && isAlive(p));
    if (left.length > 0) {
      throw new Error(`smbd processes survived SIGKILL: ${left.map((p) => `${p.pid} ${p.args.join(' ')}`).join('; ')}`);
    }
  };

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        if (current !== null) await terminate(current);
      } finally {
        finalLogFiles = readLogFiles();
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
        unhook();
      }
    })();
    return stopping;
  };

  const findMainSmbd = (rootPid: number): ProcInfo | undefined =>
    instanceProcs(rootPid, configPath).find(
      (p) => p.ppid === rootPid && path.basename(p.args[0] ?? '') === 'smbd' && p.state !== 'Z',
    );

  /** 'ready' once our smbd owns the only listening socket on address:port and it accepts; else why not. */
  const waitReady = async (attempt: Attempt): Promise<string> => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (attempt.exitInfo !== null) return `smbd exited (${attempt.exitInfo})`;
      const main = findMainSmbd(attempt.rootPid);
      if (main) {
        const listening = listeningInodes(address, port);
        const mine = socketInodes(main.pid);
        if (listening.some((inode) => mine.has(inode))) {
          // smbd binds with SO_REUSEPORT: a second listener would silently share the connections.
          if (listening.length > 1) return `another process also listens on ${address}:${port}`;
          if (await tcpAccepts(address, port, 500)) return 'ready';
        }
      }
      await sleep(25);
    }
    return `timed out after ${START_TIMEOUT_MS} ms`;
  };

  let mainPid = 0;
  try {
    const maxAttempts = options.port === undefined ? 3 : 1;
    let failure = '';
    for (let attemptNo = 1; attemptNo <= maxAttempts; attemptNo++) {
      port = options.port ?? (await freePort(address));
      // smbd itself would bind a taken port too (SO_REUSEPORT), so check first.
      if (!(await portFree(address, port))) {
        failure = `${address}:${port} is already in use`;
        continue;
      }
      fs.writeFileSync(
        configPath,
        renderConfig({
          dir,
          address,
          port,
          minProtocol: options.minProtocol ?? 'SMB2_02',
          maxProtocol: options.maxProtocol ?? 'SMB3_11',
          signing: options.signing ?? 'mandatory',
          encrypt: options.encrypt ?? 'off',
          ciphers: options.ciphers,
          signingAlgorithms: options.signingAlgorithms,
          shares,
          globalOptions: options.globalOptions ?? {},
        }),
      );
      if (!fs.existsSync(path.join(dir, 'private', 'passdb.tdb'))) {
        for (const u of users) {
          const added = await run(smbpasswd, ['-c', configPath, '-a', '-s', u.name], { input: `${u.password}\n${u.password}\n` });
          if (added.code !== 0) {
            throw new Error(`smbpasswd -a ${u.name} exited ${added.code}:\n${added.stdout}${added.stderr}`);
          }
        }
      }

      // smbd runs under a small subreaper (REAPER_SCRIPT) in its own session (detached); its
      // children and the helpers samba-dcerpcd daemonises are reparented to the reaper, not to
      // PID 1, so stop() leaves no zombies whatever PID 1 does. --foreground: no daemonising;
      // --no-process-group: smbd stays in the reaper's group.
      const smbdArgs = [smbd, '--foreground', '--no-process-group', '--debug-stdout', '-s', configPath];
      const spawned = spawn(python, ['-c', REAPER_SCRIPT, ...smbdArgs], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      if (spawned.pid === undefined) {
        await new Promise((resolve) => spawned.once('error', resolve));
        throw new Error(`could not start ${python} (the smbd reaper)`);
      }
      const attempt: Attempt = { child: spawned, rootPid: spawned.pid, exited: Promise.resolve(), exitInfo: null };
      attempt.exited = new Promise<void>((resolve) => {
        spawned.on('exit', (code, sig) => {
          attempt.exitInfo = sig ? `signal ${sig}` : `code ${code}`;
          resolve();
        });
      });
      current = attempt;
      for (const stream of [spawned.stdout, spawned.stderr]) {
        stream.setEncoding('utf8');
        stream.on('data', appendOutput);
        // A forgotten stop() must not keep the test process alive: the exit hook kills smbd.
        (stream as unknown as net.Socket).unref();
      }
      spawned.unref();

      const outcome = await waitReady(attempt);
      if (outcome === 'ready') {
        mainPid = findMainSmbd(attempt.rootPid)?.pid ?? 0;
        failure = '';
        break;
      }
      failure = outcome;
      appendOutput(`\n[fixture] attempt ${attemptNo} on ${address}:${port} failed: ${outcome}\n`);
      await terminate(attempt);
    }
    if (failure !== '' || mainPid === 0) {
      throw new Error(`smbd did not start listening on ${address}:${port}: ${failure || 'smbd process not found'}\n${logs()}`);
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  const rootPid = (current as Attempt | null)?.rootPid ?? 0;
  return {
    address,
    port,
    users,
    dir,
    configPath,
    pid: mainPid,
    shareDir(name: string): string {
      const share = shares.find((s) => s.name.toLowerCase() === name.toLowerCase());
      if (!share) throw new Error(`no share ${name} on this Samba (shares: ${shares.map((s) => s.name).join(', ')})`);
      return share.dir;
    },
    logs,
    processes: () => instanceProcs(rootPid, configPath).filter((p) => p.state !== 'Z').map((p) => p.pid),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------

export interface SmbclientArgs {
  share: string;
  /** Default: the server's first user. */
  user?: string;
  /** Default: that user's password from server.users. Passed in the PASSWD environment variable. */
  password?: string;
  /** smbclient -c commands, ';'-separated. */
  commands: string;
  /** smbclient -m (client max protocol), e.g. 'SMB3_11', 'SMB2_10'. */
  maxProtocol?: string;
  /** client signing = required | disabled (SMB2+ still signs when the server requires it). */
  signing?: 'required' | 'off';
  /** client smb encrypt = required | off. */
  encrypt?: 'required' | 'off';
  /** Whole-run limit, default 30 s (smbclient's own per-operation -t is 10 s). */
  timeoutMs?: number;
}

/** Runs Debian's smbclient against the server, with a throwaway client config. */
export async function smbclient(server: SambaServer, args: SmbclientArgs): Promise<RunResult> {
  const binary = requireBinary('smbclient', 'smbclient is not installed: scripts/setup.sh installs it (scripts/debian-packages.txt)');
  const user = args.user ?? server.users[0]?.name ?? '';
  const password = args.password ?? server.users.find((u) => u.name === user)?.password ?? '';
  const clientDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-smbclient-'));
  try {
    const conf = path.join(clientDir, 'client.conf');
    fs.writeFileSync(
      conf,
      ['[global]', `\tlock directory = ${clientDir}`, `\tstate directory = ${clientDir}`, `\tcache directory = ${clientDir}`, `\tprivate dir = ${clientDir}`, '\tclient min protocol = SMB2_02', ''].join('\n'),
    );
    const argv = [`//${server.address}/${args.share}`, '-s', conf, '-p', String(server.port), '-U', user, '-t', '10'];
    if (args.maxProtocol !== undefined) argv.push('-m', args.maxProtocol);
    if (args.signing !== undefined) argv.push(`--option=client signing=${args.signing === 'required' ? 'required' : 'disabled'}`);
    if (args.encrypt !== undefined) argv.push(`--option=client smb encrypt=${args.encrypt}`);
    argv.push('-c', args.commands);
    return await run(binary, argv, { env: { ...process.env, PASSWD: password }, timeoutMs: args.timeoutMs ?? 30_000 });
  } finally {
    fs.rmSync(clientDir, { recursive: true, force: true });
  }
}
