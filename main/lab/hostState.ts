// The simulated lab's shared vocabulary: what one simulated Windows host is configured
// as (its profile) and what it holds (files on ADMIN$, registered services), so the SMB server
// (main/lab/smb/), the SCM server and simulated agent (main/lab/rpc/, main/lab/agent/) and the
// tests all look at the same state. Plain Node, no Electron.
import { HostPower } from './hostPower.js';

/** How a host behaves for a push: its profile. */
export const LAB_PROFILES = [
  'healthy',
  'offline-refused', // nothing listens on its address: connect is refused at once
  'offline-silent', // SYNs go unanswered: connect hangs until the client's bound
  'slow-link', // bandwidth cap (LabHostConfig.bandwidthBytesPerSec) both ways, SMB and agent download
  'wrong-credentials', // no account matches: SESSION_SETUP → STATUS_LOGON_FAILURE
  'uac-filtered', // logon ok; TREE_CONNECT ADMIN$ → ACCESS_DENIED; ROpenSCManagerW → 5
  'admin-share-missing', // TREE_CONNECT ADMIN$ → STATUS_BAD_NETWORK_NAME
  'antivirus-blocks-copy', // writing an .exe → STATUS_VIRUS_INFECTED; the file does not stay
  'service-start-timeout', // RStartServiceW → 1053 ERROR_SERVICE_REQUEST_TIMEOUT (after LabHostConfig.startTimeoutMs)
  'agent-no-callback', // the service runs, the agent never reaches the console (firewall on 2224)
  'msi-1603', // msiexec exits 1603 (fatal error during installation)
  'msi-1618', // msiexec exits 1618 (another installation is in progress)
  'reboot-required', // msiexec exits 3010
  'cut-mid-copy', // the TCP connection is cut after LabHostConfig.cutAfterBytes of a file write
  'already-installed', // msiexec /i exits 1638 (another version of this product is already installed); /x and /f act on it
  'not-installed', // the package's product is not on the host: /i installs it; /x and /f exit 1605 (ERROR_UNKNOWN_PRODUCT) until then
  'never-back', // msiexec exits 3010 as reboot-required; once the host restarts it never answers again (connects hang)
  'pipe-busy', // every \\pipe\\svcctl instance is taken: opening it → STATUS_PIPE_BUSY (LabHostConfig.busyPipeOpens times, default always)
  'ntlm-blocked', // "Restrict NTLM: Incoming NTLM traffic = Deny all": the NTLM AUTHENTICATE → STATUS_NTLM_BLOCKED (the lab speaks no Kerberos)
] as const;
export type LabProfile = (typeof LAB_PROFILES)[number];

export interface LabAccount {
  readonly user: string;
  readonly password: string;
  /** '' or the host's own name = a local account; else a domain account. */
  readonly domain: string;
}

/**
 * How a host answers where Windows and Samba differ (docs/TESTING.md, "The lab's personalities"):
 * 'windows' (the default) follows Microsoft's documents and recordings of real Windows — interim
 * STATUS_PENDING on pipe and slow file operations, one credit per negotiate and logon leg, 4280-byte
 * RPC fragments, NEGOEX first in the negTokenInit; 'samba' answers as smbd does.
 */
export type LabPersonality = 'windows' | 'samba';

/** A host's personality: 'windows' unless it says 'samba'. */
export function personalityOf(config: { readonly personality?: LabPersonality | undefined }): LabPersonality {
  return config.personality ?? 'windows';
}

/** Whether a host answers as Windows does where Windows and Samba differ. */
export function windowsLike(config: { readonly personality?: LabPersonality | undefined }): boolean {
  return personalityOf(config) === 'windows';
}

export interface LabHostConfig {
  /** NetBIOS-style computer name, upper case: LAB-PC-001. */
  readonly name: string;
  /** Its own loopback address (127.x.y.z); the SMB listener binds here, the agent connects from here. */
  readonly address: string;
  readonly port: number;
  /** NetBIOS domain name the host reports in NTLM CHALLENGE target info. */
  readonly domain: string;
  readonly dnsDomain: string;
  readonly osVersion: { major: number; minor: number; build: number };
  readonly accounts: readonly LabAccount[];
  readonly profile: LabProfile;
  /** Windows-like or Samba-like answers; undefined = 'windows'. */
  readonly personality?: LabPersonality;
  /** pipe-busy: how many opens of \\pipe\\svcctl answer STATUS_PIPE_BUSY before one succeeds; undefined = all of them. */
  readonly busyPipeOpens?: number;
  /** How long RStartServiceW takes to launch the service's process (START_PENDING meanwhile); default 30 ms for windows, 0 for samba. */
  readonly serviceLaunchMs?: number;
  /** Windows personality: a CREATE or WRITE on ADMIN$ completes this much later, after an interim STATUS_PENDING (dispatch.ts). */
  readonly fileLatencyMs?: number;
  /** slow-link: bytes per second each way. */
  readonly bandwidthBytesPerSec?: number;
  /** How long the simulated msiexec takes. */
  readonly installTimeMs: number;
  /** service-start-timeout: how long RStartServiceW takes before it answers 1053 (Windows: 30 s). */
  readonly startTimeoutMs?: number;
  /** cut-mid-copy: bytes of a file write after which the connection is cut. */
  readonly cutAfterBytes?: number;
  /**
   * The simulated agent checks the install credential the console hands it against the host's
   * accounts, as LogonUserW would (a wrong password: exit 18, msi-launch). Off: it takes any.
   */
  readonly checkInstallCredential?: boolean;
  /** How long a restart keeps the host down (connects refused) before it listens again; default 3000 ms (hostPower.ts). */
  readonly restartDownMs?: number;
  /** Someone is logged on: the restart policy when-idle asks them, as ask does (agentRestart.ts). Default false: when-idle restarts as now. */
  readonly userLoggedOn?: boolean;
  /** What the user answers when asked to restart (policy ask, or when-idle with a user), at once: default 'yes' (restart 30 s later); no or no answer: at the deadline. */
  readonly restartAnswer?: LabRestartAnswer;
  /** How long one second of a restart policy lasts on this host (graceSeconds, forceAfterSeconds, the 30 s after a yes); default 1000 ms. */
  readonly restartSecondMs?: number;
  /** InitiateShutdownW fails with this Win32 error (1314 ERROR_PRIVILEGE_NOT_HELD, say): the agent reports the restart refused. */
  readonly shutdownError?: number;
  /** The simulated msiexec exits with this code whatever the profile (1641, say); unset: the profile decides (msiLog.ts). */
  readonly msiexecExitCode?: number;
}

export type LabRestartAnswer = 'yes' | 'no' | 'timeout';

export type LabServiceState = 'stopped' | 'start-pending' | 'running' | 'stop-pending';

export interface LabService {
  readonly name: string;
  displayName: string;
  /** As given to RCreateServiceW, e.g. %SystemRoot%\PushInstall\<run>\PushInstallAgent.exe */
  binaryPath: string;
  state: LabServiceState;
  win32ExitCode: number;
  serviceSpecificExitCode: number;
  markedForDelete: boolean;
  /** Open handles to it; a service marked for delete goes when the last one closes. */
  openHandles: number;
  /** Set while a simulated agent runs: stop it (STOP control). */
  stop?: () => void;
  /** Set while a simulated agent runs: the host is going down (SERVICE_CONTROL_SHUTDOWN), it ends. */
  shutdown?: () => void;
  /** As given to RCreateServiceW (MS-SCMR 2.2.15); absent = own process (0x10), demand start (3), LocalSystem. */
  serviceType?: number;
  startType?: number;
  errorControl?: number;
  startName?: string;
}

/** Normalised ADMIN$-relative path: backslashes, no leading backslash, lower case for lookup. */
export function labPathKey(path: string): string {
  return path.replace(/\//g, '\\').replace(/^\\+/, '').replace(/\\+$/, '').toLowerCase();
}

/** Maps a service binary path on the host (C:\Windows\…, %SystemRoot%\…, %windir%\…) to an ADMIN$ key, or null. */
export function adminSharePathOf(binaryPath: string): string | null {
  const unquoted = binaryPath.trim().replace(/^"([^"]*)".*$/, '$1').split(/\s+--?/)[0]!.trim();
  const m = /^(?:%systemroot%|%windir%|c:\\windows)\\(.+)$/i.exec(unquoted);
  return m ? labPathKey(m[1]!) : null;
}

/** A file that was on the host's ADMIN$, with its last content (LabHostState.recordWrites). */
export interface LabWrittenFile {
  /** ADMIN$-relative path in the writer's case (labPathKey when no name was recorded). */
  readonly path: string;
  /** Its content when it was deleted (or renamed away), or now when it is still there. */
  readonly data: Buffer;
  /** Still on the share. */
  readonly present: boolean;
}

/**
 * ADMIN$'s file map, which can keep the last content of every file that was ever in it. Whoever
 * writes — the SMB server (main/lab/smb/adminShare.ts), the simulated agent — writes through
 * set(); a file's life ends at delete(). Off, set() and delete() only test one boolean.
 */
class AdminFiles extends Map<string, Buffer> {
  /** Files on the share now → their latest content (only while recording). */
  private readonly live = new Map<string, Buffer>();
  readonly ended: LabWrittenFile[] = [];
  recording = false;

  constructor(private readonly nameOf: (key: string) => string | undefined) {
    super();
  }

  override set(key: string, data: Buffer): this {
    if (this.recording) this.live.set(key, data);
    return super.set(key, data);
  }

  override delete(key: string): boolean {
    if (this.recording) {
      const data = this.live.get(key);
      if (data !== undefined) {
        this.live.delete(key);
        this.ended.push({ path: this.nameOf(key) ?? key, data: Buffer.from(data), present: false });
      }
    }
    return super.delete(key);
  }

  override clear(): void {
    for (const key of [...this.keys()]) this.delete(key);
  }

  written(): LabWrittenFile[] {
    return [...this.ended, ...[...this.live].map(([key, data]) => ({ path: this.nameOf(key) ?? key, data: Buffer.from(data), present: true }))];
  }
}

export class LabHostState {
  // Its collections are made at first use: an idle host of a 65 000-host lab holds none.
  private madeFiles: AdminFiles | null = null;
  private madeNames: Map<string, string> | null = null;
  private madeDirectories: Set<string> | null = null;
  private madeServices: Map<string, LabService> | null = null;
  private madeProducts: Map<string, boolean> | null = null;

  /** ADMIN$ files by labPathKey; the original-case name is kept in `names`. */
  get files(): Map<string, Buffer> {
    return (this.madeFiles ??= new AdminFiles((key) => this.madeNames?.get(key)));
  }

  get names(): Map<string, string> {
    return (this.madeNames ??= new Map());
  }

  get directories(): Set<string> {
    return (this.madeDirectories ??= new Set());
  }

  /** Key: lower-case service name. */
  get services(): Map<string, LabService> {
    return (this.madeServices ??= new Map());
  }

  /** Authenticated SMB sessions open right now. */
  sessions = 0;
  /** Simulated agents running right now. */
  agentsRunning = 0;
  /** Files open for writing under a run's package\ folder on ADMIN$ right now: an SMB-transport package copy in progress. */
  packageWrites = 0;
  /**
   * Which packages' products are on the host, by the job's package id, once a simulated msiexec
   * changed that (an install adds, an uninstall removes); a package not listed is on every host
   * but a `not-installed` one. So a second uninstall of the same product ends in 1605.
   */
  get products(): Map<string, boolean> {
    return (this.madeProducts ??= new Map());
  }

  /** Counters the tests and the UI read. */
  readonly counters = {
    connections: 0, logons: 0, logonFailures: 0, bytesWritten: 0, servicesCreated: 0, servicesDeleted: 0, agentRuns: 0, restarts: 0,
    /** Wire behaviours the windows personality must keep producing (the tests count them): */
    interimResponses: 0, // STATUS_PENDING sent before a final answer
    oneCreditGrants: 0, // NEGOTIATE and MORE_PROCESSING_REQUIRED legs granted exactly one credit
    bufferOverflowReads: 0, // pipe IOCTL/READ answers cut at the client's size (STATUS_BUFFER_OVERFLOW)
    pipeBusyAnswers: 0, // opens of \pipe\svcctl answered STATUS_PIPE_BUSY
  };
  /** Its restarts: scheduled, cancelled, done (hostPower.ts). */
  readonly power: HostPower = new HostPower(this);

  constructor(readonly config: LabHostConfig, private readonly onBusyChange: (host: LabHostState) => void = () => undefined) {}

  /**
   * For the leak test (test/interop/secretLeak.test.ts): keep the last content of every file
   * written to ADMIN$ (the agent, its job file, anything else; deleted ones too) for
   * writtenFiles(). Off by default: a large lab keeps nothing. Files already on the share when it
   * is turned on are not recorded.
   */
  get recordWrites(): boolean {
    return (this.files as AdminFiles).recording;
  }

  set recordWrites(on: boolean) {
    (this.files as AdminFiles).recording = on;
  }

  /** Every file written to ADMIN$ while recordWrites was on, in the order their lives ended (those still there last). */
  writtenFiles(): LabWrittenFile[] {
    return (this.files as AdminFiles).written();
  }

  /** Whether the package's product is installed on this host (see `products`). */
  productInstalled(packageId: string): boolean {
    return this.madeProducts?.get(packageId) ?? this.config.profile !== 'not-installed';
  }

  /** Busy = in a push: a session open, one of our services registered, or an agent running. */
  get busy(): boolean {
    return this.sessions > 0 || (this.madeServices?.size ?? 0) > 0 || this.agentsRunning > 0;
  }

  /** Call after changing sessions, services or agentsRunning: the lab counts busy hosts at every change. */
  changed(): void {
    this.onBusyChange(this);
  }

  /** Files and services left behind (tests assert both empty after a push). */
  leftovers(): { files: string[]; directories: string[]; services: string[] } {
    if (!this.madeFiles && !this.madeDirectories && !this.madeServices) return { files: [], directories: [], services: [] };
    return {
      files: [...this.files.keys()].map((k) => this.names.get(k) ?? k),
      directories: [...this.directories],
      services: [...this.services.values()].map((s) => s.name),
    };
  }
}
