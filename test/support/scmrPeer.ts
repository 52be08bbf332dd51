// The MS-SCMR test peer (docs/TESTING.md §4): a real Samba smbd on a loopback address
// (SMB 3.1.1, mandatory signing, required encryption by default) that forwards every open of
// \pipe\svcctl to test/support/scmrPeer/svcctl_peer.py, an svcctl server built on Debian's
// python3-impacket (its NDR, not ours). smbd runs with `rpc start on demand helpers = no`, so
// nothing of Samba's own answers on the pipe; the peer also serves a minimal \pipe\lsarpc because
// Samba's `net rpc` asks it for the domain SID first. Every call the peer handles is journalled as
// a JSON line; faults are injected through a JSON config it re-reads on every call.
// startScmrPeerOnSocket() starts the peer alone on the socket of an smbd the caller runs (the
// Samba AD DC's svcctlSocketPath, test/support/sambaAdDc.ts).
// python3-impacket missing is an error, never a skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSamba, type SambaOptions, type SambaServer, type SambaUser } from './samba.js';
import { killAtExit } from './processes.js';

export const IMPACKET_MISSING_MESSAGE = 'python3-impacket is not installed: scripts/setup.sh installs it';

/** Which calls answer ERROR_ACCESS_DENIED (5) instead of doing anything. */
export type ScmrDenyFlag = 'open-scmanager' | 'create-service' | 'open-service' | 'start-service' | 'control-service' | 'delete-service';

/** The peer's JSON config; re-read on every call, so setConfig() takes effect at the next call. */
export interface ScmrPeerConfig {
  /**
   * argv RStartServiceW runs (no shell unless you ask for one, e.g. ['sh', '-c', '…']), with env
   * PIC_SERVICE_NAME, PIC_DISPLAY_NAME, PIC_BINARY_PATH and PIC_ARGS (JSON array of the StartService
   * argv). The service is RUNNING while the process lives, then STOPPED with its exit status
   * (0 → dwWin32ExitCode 0; n > 0 → 1066 ERROR_SERVICE_SPECIFIC_ERROR + dwServiceSpecificExitCode n;
   * killed by a signal not sent by a STOP → 1067 ERROR_PROCESS_ABORTED). RControlService STOP
   * sends SIGTERM to its process group (SIGKILL after stopTimeoutMs). Without a startCommand a
   * started service is simply RUNNING until stopped.
   */
  startCommand?: string[];
  /** These calls return ERROR_ACCESS_DENIED (5). */
  deny?: ScmrDenyFlag | ScmrDenyFlag[];
  /** RCreateServiceW returns this Win32 code and creates nothing (e.g. 1073, 1072). */
  createResult?: number;
  /** RStartServiceW returns this Win32 code and starts nothing (e.g. 1053, 2); the service stays STOPPED with 1077. */
  startResult?: number;
  /** A started service reports START_PENDING this long before RUNNING (STOP meanwhile: 1061). */
  startPendingMs?: number;
  /** Grace between SIGTERM and SIGKILL when a service is stopped. Default 3000. */
  stopTimeoutMs?: number;
  /**
   * The peer's max_xmit_frag / max_recv_frag offered at bind (default 4280, at least 32); the
   * negotiated sizes are the smaller of this and the client's. Small values force fragmentation
   * both ways. Below 1432 (the MS-RPCE minimum) Samba's source4 client refuses the bind_ack.
   */
  maxFragment?: number;
}

export interface ScmrPeerOptions {
  /** A 127.x.y.z loopback address for smbd. */
  address: string;
  /** Overrides for the Samba fixture; globalOptions are merged over { 'rpc start on demand helpers': 'no' }. */
  samba?: Partial<SambaOptions>;
  /** Written before the peer starts; default {}. */
  config?: ScmrPeerConfig;
}

/** One line of the peer's journal (svcctl_peer.py, class Journal, documents every kind). */
export interface ScmrJournalEntry {
  seq: number;
  time: string;
  /** connect | disconnect | bind | bind_nak | call | fault | process-start | process-exit | process-error | service-removed | config-error | protocol-error | listening | shutdown */
  kind: string;
  pipe?: 'svcctl' | 'lsarpc';
  /** Pipe open number (one per SMB CREATE of the pipe). */
  conn?: number;
  callId?: number;
  opnum?: number;
  /** e.g. 'RCreateServiceW'; 'opnum 99' for an unknown one. */
  op?: string;
  /** The decoded request parameters (handles as hex, strings without the NUL, passwords never). */
  args?: Record<string, unknown>;
  /** Win32 error (svcctl) or NTSTATUS (lsarpc) the call returned. */
  result?: number;
  resultName?: string;
  out?: Record<string, unknown>;
  /** Request fragments reassembled into this call / response fragments sent. */
  fragments?: number;
  responseFragments?: number;
  /** Fault status (kind 'fault'), e.g. 0x1c010002 nca_s_op_rng_error, 0x6f7 nca_s_fault_ndr. */
  status?: number;
  statusName?: string;
  [key: string]: unknown;
}

export interface ScmrServiceState {
  name: string;
  displayName: string;
  binaryPath: string;
  serviceType: number;
  startType: number;
  errorControl: number;
  startName: string;
  state: 'STOPPED' | 'START_PENDING' | 'STOP_PENDING' | 'RUNNING';
  win32ExitCode: number;
  serviceSpecificExitCode: number;
  /** PID of the running startCommand process, else null. */
  pid: number | null;
  markedForDelete: boolean;
  openHandles: number;
  startCount: number;
}

export interface ScmrPeer {
  readonly samba: SambaServer;
  readonly address: string;
  readonly port: number;
  readonly users: SambaUser[];
  /** PID of the python peer. */
  readonly pid: number;
  /** <ncalrpc dir>/np/svcctl. */
  readonly socketPath: string;
  /** Every journal line so far, parsed (still readable after stop()). */
  journal(): ScmrJournalEntry[];
  /** The 'call' and 'fault' entries of one pipe (default svcctl), in order. */
  calls(pipe?: 'svcctl' | 'lsarpc'): ScmrJournalEntry[];
  /** Replaces the config file atomically; the next call sees it. */
  setConfig(config: ScmrPeerConfig): void;
  /** The peer's service table (its state file, rewritten after every change). */
  services(): ScmrServiceState[];
  /** The peer's stderr (and its service processes' output), then Samba's logs. */
  logs(): string;
  /** Ends the peer (SIGTERM by PID, SIGKILL after 8 s) and its service processes, then Samba. Safe to call twice. */
  stop(): Promise<void>;
}

const PEER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scmrPeer', 'svcctl_peer.py');
const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 8_000;
const MAX_LOG_CHARS = 1_000_000;

/** Debian's python3 (where python3-impacket lives), not a version manager's shim earlier in PATH. */
function systemPython(): string {
  if (fs.existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'python3');
    if (dir !== '' && fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`python3 is missing: ${IMPACKET_MISSING_MESSAGE}`);
}

function requireImpacket(python: string): void {
  const probe = spawnSync(python, ['-c', 'import impacket.dcerpc.v5.scmr, impacket.dcerpc.v5.lsad'], { encoding: 'utf8', timeout: 15_000 });
  if (probe.status !== 0) throw new Error(`${IMPACKET_MISSING_MESSAGE}\n${probe.stderr ?? ''}${probe.error?.message ?? ''}`);
}

/** A [global] value of a generated smb.conf. */
function confValue(configPath: string, name: string): string | null {
  const wanted = name.toLowerCase().replace(/\s+/g, ' ');
  for (const line of fs.readFileSync(configPath, 'utf8').split('\n')) {
    const m = /^\s*([^=#;[]+?)\s*=\s*(.*?)\s*$/.exec(line);
    if (m?.[1] !== undefined && m[1].toLowerCase().replace(/\s+/g, ' ') === wanted) return m[2] ?? '';
  }
  return null;
}

function writeJsonAtomically(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

function parseJournal(text: string): ScmrJournalEntry[] {
  const entries: ScmrJournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as ScmrJournalEntry);
    } catch {
      // a line being written right now: the next read has it whole
    }
  }
  return entries;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** SIGKILL to the process groups the peer started services in (each a new session: pgid = pid). */
function killServiceGroups(services: readonly ScmrServiceState[]): void {
  for (const s of services) {
    if (s.pid !== null && s.pid > 1) {
      kill(-s.pid, 'SIGKILL');
      kill(s.pid, 'SIGKILL');
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));


export async function startScmrPeer(options: ScmrPeerOptions): Promise<ScmrPeer> {
  const python = systemPython();
  requireImpacket(python);
  if (!fs.existsSync(PEER_SCRIPT)) throw new Error(`the peer script is missing: ${PEER_SCRIPT}`);

  const sambaOptions: SambaOptions = {
    maxProtocol: 'SMB3_11',
    minProtocol: 'SMB3_11',
    signing: 'mandatory',
    encrypt: 'required',
    ...options.samba,
    address: options.address,
    globalOptions: { 'rpc start on demand helpers': 'no', ...options.samba?.globalOptions },
  };
  const samba = await startSamba(sambaOptions);
  let core: ScmrPeerProcess;
  try {
    const ncalrpcDir = confValue(samba.configPath, 'ncalrpc dir');
    if (ncalrpcDir === null || ncalrpcDir === '') throw new Error(`no "ncalrpc dir" in ${samba.configPath}`);
    const npDir = path.join(ncalrpcDir, 'np');
    core = await spawnPeer(python, {
      socketPath: path.join(npDir, 'svcctl'),
      lsarpcSocketPath: path.join(npDir, 'lsarpc'),
      domainName: confValue(samba.configPath, 'netbios name') ?? 'PICSMB',
      ...(options.config ? { config: options.config } : {}),
    }, () => samba.logs());
  } catch (error) {
    await samba.stop();
    throw error;
  }
  let stopping: Promise<void> | null = null;
  return {
    ...core,
    samba,
    address: samba.address,
    port: samba.port,
    users: samba.users,
    stop: () =>
      (stopping ??= (async () => {
        try {
          await core.stop();
        } finally {
          await samba.stop();
        }
      })()),
  };
}

/** The peer alone, on a socket some other smbd forwards \pipe\svcctl to (e.g. the AD DC's svcctlSocketPath). */
export type ScmrPeerProcess = Omit<ScmrPeer, 'samba' | 'address' | 'port' | 'users'>;

export interface ScmrPeerOnSocketOptions {
  /** Where the smbd in front connects opens of \pipe\svcctl: <ncalrpc dir>/np/svcctl. */
  socketPath: string;
  /** Also serve the minimal \pipe\lsarpc here; default none (an AD DC serves its own). */
  lsarpcSocketPath?: string;
  /** The account domain lsarpc reports; default PICSMB. */
  domainName?: string;
  /** Written before the peer starts; default {}. */
  config?: ScmrPeerConfig;
  /** Appended to logs(), e.g. the DC's. */
  moreLogs?: () => string;
}

/** Starts the peer on a socket of an smbd the caller runs (and stops); stop() ends the peer only. */
export async function startScmrPeerOnSocket(options: ScmrPeerOnSocketOptions): Promise<ScmrPeerProcess> {
  const python = systemPython();
  requireImpacket(python);
  if (!fs.existsSync(PEER_SCRIPT)) throw new Error(`the peer script is missing: ${PEER_SCRIPT}`);
  return spawnPeer(python, { domainName: 'PICSMB', ...options }, options.moreLogs ?? (() => ''));
}

async function spawnPeer(
  python: string,
  options: { socketPath: string; lsarpcSocketPath?: string; domainName: string; config?: ScmrPeerConfig },
  moreLogs: () => string,
): Promise<ScmrPeerProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-scmr-'));
  const configFile = path.join(dir, 'config.json');
  const journalFile = path.join(dir, 'journal.jsonl');
  const stateFile = path.join(dir, 'state.json');
  let child: ChildProcess | null = null;
  let stderr = '';
  let exitInfo: string | null = null;
  let exited: Promise<void> = Promise.resolve();
  let finalJournal: string | null = null;
  let finalServices: ScmrServiceState[] | null = null;

  const readServices = (): ScmrServiceState[] => {
    if (finalServices !== null) return finalServices;
    try {
      const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { services?: ScmrServiceState[] };
      return state.services ?? [];
    } catch {
      return [];
    }
  };
  const readJournal = (): string => {
    if (finalJournal !== null) return finalJournal;
    try {
      return fs.readFileSync(journalFile, 'utf8');
    } catch {
      return '';
    }
  };
  const logs = () => `--- svcctl peer (pid ${child?.pid ?? '?'}${exitInfo !== null ? `, exited: ${exitInfo}` : ''}) ---\n${stderr}\n${moreLogs()}`;

  const killNow = () => {
    if (child?.pid !== undefined) kill(child.pid, 'SIGKILL');
    killServiceGroups(readServices());
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Last resort when a test forgets stop().
  const unhook = killAtExit(killNow);

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        const pid = child?.pid;
        if (pid !== undefined && exitInfo === null) {
          kill(pid, 'SIGTERM');
          const deadline = Date.now() + STOP_GRACE_MS;
          while (exitInfo === null && Date.now() < deadline) await sleep(25);
          if (exitInfo === null) {
            kill(pid, 'SIGKILL');
            const killDeadline = Date.now() + 3_000;
            while (exitInfo === null && Date.now() < killDeadline) await sleep(25);
          }
        }
        await exited;
        // The peer stops its services on SIGTERM; anything a SIGKILLed peer left behind goes now.
        const services = readServices();
        killServiceGroups(services);
        finalJournal = readJournal();
        finalServices = services;
      } finally {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
        unhook();
      }
    })();
    return stopping;
  };

  try {
    const { socketPath } = options;
    fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
    writeJsonAtomically(configFile, options.config ?? {});

    const args = [
      PEER_SCRIPT,
      '--socket', socketPath,
      ...(options.lsarpcSocketPath ? ['--lsarpc-socket', options.lsarpcSocketPath] : []),
      '--config', configFile,
      '--journal', journalFile,
      '--state', stateFile,
      '--domain-name', options.domainName,
    ];
    const spawned = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    child = spawned;
    exited = new Promise<void>((resolve) => {
      spawned.on('exit', (code, signal) => {
        exitInfo = signal !== null ? `signal ${signal}` : `code ${code}`;
        resolve();
      });
      spawned.on('error', (error) => {
        exitInfo = `spawn error: ${error.message}`;
        resolve();
      });
    });
    let stdout = '';
    spawned.stdout.setEncoding('utf8');
    spawned.stderr.setEncoding('utf8');
    spawned.stdout.on('data', (chunk: string) => (stdout += chunk));
    spawned.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > MAX_LOG_CHARS) stderr = stderr.slice(stderr.length - MAX_LOG_CHARS);
    });
    // A forgotten stop() must not keep the test process alive: the exit hook kills the peer.
    spawned.unref();
    (spawned.stdout as unknown as { unref(): void }).unref();
    (spawned.stderr as unknown as { unref(): void }).unref();

    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!/^ready$/m.test(stdout) && exitInfo === null && Date.now() < deadline) await sleep(20);
    if (!/^ready$/m.test(stdout)) {
      const why = exitInfo !== null ? `it exited (${exitInfo})` : `no "ready" within ${READY_TIMEOUT_MS} ms`;
      if (exitInfo === 'code 3') throw new Error(`${IMPACKET_MISSING_MESSAGE}\n${logs()}`);
      throw new Error(`the svcctl peer did not start: ${why}\n${logs()}`);
    }
    if (!fs.existsSync(socketPath)) throw new Error(`the svcctl peer said ready but ${socketPath} is missing\n${logs()}`);

    const pid = spawned.pid ?? 0;
    return {
      pid,
      socketPath,
      journal: () => parseJournal(readJournal()),
      calls: (pipe = 'svcctl') => parseJournal(readJournal()).filter((e) => e.pipe === pipe && (e.kind === 'call' || e.kind === 'fault')),
      setConfig(config: ScmrPeerConfig): void {
        if (stopping !== null) throw new Error('setConfig after stop()');
        writeJsonAtomically(configFile, config);
      },
      services: readServices,
      logs,
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** True while a process with this PID exists and is not a zombie (for tests that check clean-up). */
export function processAlive(pid: number): boolean {
  return isAlive(pid);
}
