// The simulated Windows lab: N hosts (up to 65 000) in this process, each on its own loopback
// address (served by its own listener, or above 2 000 hosts by one shared listener:
// labListeners.ts), each a real SMB2/3 server (main/lab/smb/) with ADMIN$, IPC$ and \pipe\svcctl
// (main/lab/rpc/) whose StartService runs a simulated agent (main/lab/agent/) that speaks the
// real agent protocol to the console's package server. Each host behaves as its profile says.
// The lab counts busy hosts (in a push) at every change, so tests can prove the engine's limit.
import type { LabAccount, LabHostConfig, LabPersonality, LabProfile, LabRestartAnswer } from './hostState.js';
import { LabHostState } from './hostState.js';
import { checkNothingListens, listenMode, MAX_LAB_HOSTS, startLabListeners, type LabListenMode } from './labListeners.js';
import { assignProfiles, labAddresses, type ProfileSpec } from './profiles.js';

export const LAB_DOMAIN = 'LAB';
export const LAB_DNS_DOMAIN = 'lab.example';
/** The lab's administrator account (every host but the wrong-credentials ones accepts it). */
export const LAB_ADMIN: Readonly<LabAccount> = Object.freeze({ user: 'labadmin', password: 'Lab-Passw0rd!', domain: LAB_DOMAIN });

export interface LabOptions {
  readonly hosts: number;
  /** First loopback address; default 127.0.10.1. */
  readonly first?: string;
  /** SMB port every host listens on; default 445 (needs root), the demo uses 10445. */
  readonly port?: number;
  /**
   * A listener per host on its own address, or one shared listener on 0.0.0.0:port for all hosts
   * (smb/sharedListener.ts); 'auto' (default) shares above 2 000 hosts, which would not fit a file
   * descriptor each.
   */
  readonly listen?: 'auto' | LabListenMode;
  /**
   * Shared listener only: the port offline-refused hosts are reported on (their config.port), on
   * which nothing listens, checked free at start; default port + 1.
   */
  readonly refusedPort?: number;
  readonly profile?: 'mixed' | LabProfile | ProfileSpec;
  /** Simulated msiexec time per host; default 3000 ms. */
  readonly installTimeMs?: number;
  /** slow-link hosts' bandwidth each way; default 256 KiB/s. */
  readonly slowLinkBytesPerSec?: number;
  /** slow-link hosts' disk: a CREATE or WRITE on ADMIN$ answers this much later (interim first, windows personality); default 20 ms. */
  readonly slowLinkFileLatencyMs?: number;
  /** How the hosts answer where Windows and Samba differ (LabHostConfig.personality); default 'windows'. */
  readonly personality?: LabPersonality | ((hostName: string) => LabPersonality);
  /** pipe-busy hosts: how many opens of \\pipe\\svcctl answer STATUS_PIPE_BUSY before one succeeds; default all. */
  readonly busyPipeOpens?: number | ((hostName: string) => number | undefined);
  /** Delay before STATUS_LOGON_FAILURE (Windows 11 24H2 rate limiter: 2 s). */
  readonly logonFailureDelayMs?: number;
  /** RStartServiceW's wait before 1053 on service-start-timeout hosts; default 2000 ms. */
  readonly startTimeoutMs?: number;
  /** cut-mid-copy hosts cut the connection after this many bytes of a file; default 16 KiB. */
  readonly cutAfterBytes?: number;
  readonly namePrefix?: string;
  readonly seed?: number;
  readonly log?: (line: string) => void;
  /** The administrator's password on every host (default LAB_ADMIN's; the leak test uses a unique one). */
  readonly password?: string;
  /**
   * Each host's own local Administrator, beside the lab's domain account: its password (or account
   * name and password, e.g. a renamed one LAPS manages), as LAPS gives every computer its own. The
   * host accepts it as `.\Administrator`, `HOSTNAME\Administrator` or `Administrator`; undefined
   * for a host leaves it without one.
   */
  readonly localAdministrator?: (hostName: string) => string | { readonly user: string; readonly password: string } | undefined;
  /** The simulated agents check the install credential against the host's accounts (LabHostConfig.checkInstallCredential). */
  readonly checkInstallCredential?: boolean;
  /** Each host's ADMIN$ capacity (writes beyond it get STATUS_DISK_FULL); default 64 MiB. */
  readonly adminShareBytes?: number;
  /** How long a restarting host refuses connections before it listens again; default 3000 ms. */
  readonly restartDownMs?: number;
  /** Whether someone is logged on at a host (the restart policy when-idle asks them, as ask does); default nobody. */
  readonly userLoggedOn?: boolean | ((hostName: string) => boolean);
  /** What a host's user answers when asked to restart (policy ask, or when-idle with a user logged on); default 'yes'. */
  readonly restartAnswer?: LabRestartAnswer | ((hostName: string) => LabRestartAnswer);
  /** How long one second of a restart policy lasts on every host; default 1000 ms (tests shrink it). */
  readonly restartSecondMs?: number;
}

export interface Lab {
  readonly hosts: readonly LabHostState[];
  readonly port: number;
  /** How the hosts listen (LabOptions.listen). */
  readonly listen: LabListenMode;
  /** Shared listener with offline-refused hosts: the port they are reported on (nothing listens there); else null. */
  readonly refusedPort: number | null;
  readonly account: Readonly<LabAccount>;
  /** Hosts in a push right now, and the most there ever were at once. */
  readonly busyNow: number;
  readonly peakBusy: number;
  /** Hosts receiving an SMB-transport package copy (a file open for writing in a package\ folder) at the most at once. */
  readonly peakPackageCopies: number;
  /** Restarts of every host so far (each host's counters.restarts). */
  readonly restarts: number;
  host(nameOrAddress: string): LabHostState | undefined;
  /** Files, folders and services left on any host. */
  leftovers(): { host: string; files: string[]; directories: string[]; services: string[] }[];
  close(): Promise<void>;
}

export async function startLab(options: LabOptions): Promise<Lab> {
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > MAX_LAB_HOSTS) throw new Error(`--hosts must be 1..${MAX_LAB_HOSTS}`);
  const port = options.port ?? 445;
  const listen = listenMode(options.listen, options.hosts);
  const addresses = labAddresses(options.first ?? '127.0.10.1', options.hosts);
  const prefix = options.namePrefix ?? 'LAB-PC-';
  const names = addresses.map((_, i) => `${prefix}${String(i + 1).padStart(3, '0')}`);
  const profiles = assignProfiles(names, options.profile ?? 'mixed', options.seed);
  const account: Readonly<LabAccount> = options.password !== undefined ? Object.freeze({ ...LAB_ADMIN, password: options.password }) : LAB_ADMIN;
  // Under a shared (wildcard) listener something listens on every address: refused hosts get a port nobody binds.
  const firstRefused = listen === 'shared' ? profiles.indexOf('offline-refused') : -1;
  const refusedPort = firstRefused < 0 ? null : (options.refusedPort ?? port + 1);
  if (refusedPort !== null) {
    if (!Number.isInteger(refusedPort) || refusedPort < 1 || refusedPort > 65535 || refusedPort === port) throw new Error(`the refused hosts' port must be 1..65535 and not the lab's port ${port}`);
    await checkNothingListens(addresses[firstRefused]!, refusedPort);
  }
  const busy = busyCounter();
  const hosts = addresses.map((address, i) => {
    const hostPort = refusedPort !== null && profiles[i] === 'offline-refused' ? refusedPort : port;
    return new LabHostState(hostConfig(options, { name: names[i]!, address, port: hostPort, profile: profiles[i]!, account }), busy.onChange);
  });
  const servers = await startLabListeners(hosts, {
    mode: listen,
    port,
    ...(options.adminShareBytes !== undefined ? { adminShareBytes: options.adminShareBytes } : {}),
    ...(options.logonFailureDelayMs !== undefined ? { logonFailureDelayMs: options.logonFailureDelayMs } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const byKey = new Map<string, LabHostState>();
  for (const h of hosts) {
    byKey.set(h.config.name.toLowerCase(), h);
    byKey.set(h.config.address, h);
  }
  return {
    hosts,
    port,
    listen,
    refusedPort,
    account,
    get busyNow() {
      return busy.now();
    },
    get peakBusy() {
      return busy.peak();
    },
    get peakPackageCopies() {
      return busy.peakCopies();
    },
    get restarts() {
      return hosts.reduce((n, h) => n + h.counters.restarts, 0);
    },
    host: (key) => byKey.get(key.toLowerCase()),
    leftovers: () =>
      hosts
        .map((h) => ({ host: h.config.name, ...h.leftovers() }))
        .filter((l) => l.files.length || l.directories.length || l.services.length),
    close: async () => {
      // Only busy hosts have services (an idle host's collections stay unmade: hostState.ts).
      for (const h of hosts) if (h.busy) for (const s of h.services.values()) s.stop?.();
      for (const h of hosts) h.power.dispose();
      await servers.close();
    },
  };
}

/** Hosts in a push (busy), and hosts receiving a package copy, as each host's state changes, and the most there ever were at once. */
function busyCounter(): { onChange: (host: LabHostState) => void; now: () => number; peak: () => number; peakCopies: () => number } {
  const busy = new Set<LabHostState>();
  const copying = new Set<LabHostState>();
  let peakBusy = 0;
  let peakCopies = 0;
  return {
    onChange: (host) => {
      if (host.busy) busy.add(host);
      else busy.delete(host);
      peakBusy = Math.max(peakBusy, busy.size);
      if (host.packageWrites > 0) copying.add(host);
      else copying.delete(host);
      peakCopies = Math.max(peakCopies, copying.size);
    },
    now: () => busy.size,
    peak: () => peakBusy,
    peakCopies: () => peakCopies,
  };
}

/** One host's configuration: who it is, the lab's account (rotated on wrong-credentials hosts) and its profile's timings. */
function hostConfig(
  options: LabOptions,
  host: { name: string; address: string; port: number; profile: LabProfile; account: Readonly<LabAccount> },
): LabHostConfig {
  const { name, address, port, profile, account } = host;
  return {
    name,
    address,
    port,
    domain: LAB_DOMAIN,
    dnsDomain: LAB_DNS_DOMAIN,
    osVersion: { major: 10, minor: 0, build: 26100 },
    accounts: [profile === 'wrong-credentials' ? { ...account, password: `${account.password}-rotated` } : account, ...localAdministrator(options, name)],
    profile,
    personality: perHost(options.personality, name) ?? 'windows',
    installTimeMs: options.installTimeMs ?? 3000,
    // Only slow-link hosts have a cap: the agent and the SMB server throttle whenever it is set.
    ...(profile === 'slow-link' ? { bandwidthBytesPerSec: options.slowLinkBytesPerSec ?? 256 * 1024, fileLatencyMs: options.slowLinkFileLatencyMs ?? 20 } : {}),
    startTimeoutMs: options.startTimeoutMs ?? 2000,
    ...optional('busyPipeOpens', perHost(options.busyPipeOpens, name)),
    cutAfterBytes: options.cutAfterBytes ?? 16 * 1024,
    ...(options.checkInstallCredential ? { checkInstallCredential: true } : {}),
    restartDownMs: options.restartDownMs ?? 3000,
    ...(perHost(options.userLoggedOn, name) ? { userLoggedOn: true } : {}),
    ...(options.restartAnswer !== undefined ? { restartAnswer: perHost(options.restartAnswer, name)! } : {}),
    ...(options.restartSecondMs !== undefined ? { restartSecondMs: options.restartSecondMs } : {}),
  };
}

/** `{ [key]: value }`, or nothing when the value is undefined (exactOptionalPropertyTypes). */
function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** A LabOptions value for one host: the value, or what its function says for the host's name. */
function perHost<T extends string | number | boolean>(value: T | ((hostName: string) => T | undefined) | undefined, name: string): T | undefined {
  return typeof value === 'function' ? value(name) : value;
}

/** The host's own local Administrator account (LabOptions.localAdministrator), when it has one. */
function localAdministrator(options: LabOptions, name: string): LabAccount[] {
  const given = options.localAdministrator?.(name);
  if (given === undefined) return [];
  const { user, password } = typeof given === 'string' ? { user: 'Administrator', password: given } : given;
  return [{ user, password, domain: '' }];
}
