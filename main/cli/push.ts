// `pushctl push`: one installation task from a terminal, through the same engine as the app: the
// task and its history go to the data folder's database, the package server listens on --port,
// progress is printed per target, and `--json` prints one final document. Exit code 0 only when
// every target succeeded.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RebootPolicySchema, type RebootPolicy, type Settings } from '../ipc/contract.js';
import { createEventBus } from '../ipc/eventBus.js';
import { startPushRuntime } from '../engine/runtime.js';
import { openDatabase } from '../store/database.js';
import { PackagesRepo } from '../store/packagesRepo.js';
import { TasksRepo } from '../store/tasksRepo.js';
import { createConfSettingsBackend, createSettingsStore } from '../store/settings.js';
import { DEFAULT_SMB_PORT, parseComputerEntry } from '../engine/computerEntry.js';
import { checkLapsConnection, MemoryVault, type LapsConnection } from '../engine/credentials.js';
import { openKeychainVault } from '../engine/keychainVault.js';
import { ConsoleError } from '../ipc/errors.js';
import { AGENT_TRANSPORTS, type AgentTransport } from '../server/agentProtocol.js';
import { AUTH_OPTIONS, AUTH_USAGE, parseAuthArgs, type AuthSettings } from './authArgs.js';

/** The LAPS options push and diagnose share (instead of --user/--password-env). */
export const LAPS_USAGE = `--laps --ldap ldap[s]://HOST[:PORT] --base-dn DN --ldap-user USER --ldap-password-env VAR [--ldap-ca FILE] [--ldap-starttls]`;

export const LAPS_HELP = `      --laps logs on to each computer with its own local Administrator password, read from
      Active Directory (Windows LAPS msLAPS-Password, else legacy ms-Mcs-AdmPwd) when its push
      starts, over LDAPS or LDAP with --ldap-starttls, as --ldap-user (a DN or user@domain) whose
      password is read from VAR; --ldap-ca FILE: the directory's CA certificate (PEM).
`;

export const LAPS_OPTIONS = {
  laps: { type: 'boolean', default: false },
  ldap: { type: 'string' },
  'base-dn': { type: 'string' },
  'ldap-user': { type: 'string' },
  'ldap-password-env': { type: 'string' },
  'ldap-ca': { type: 'string' },
  'ldap-starttls': { type: 'boolean', default: false },
} as const;

/** A LAPS directory from the command line: where, as whom, with the reader's password from the environment. */
export interface LapsArgs {
  readonly connection: LapsConnection;
  readonly bindDn: string;
  readonly password: string;
}

type LapsValues = { laps?: boolean; ldap?: string; 'base-dn'?: string; 'ldap-user'?: string; 'ldap-password-env'?: string; 'ldap-ca'?: string; 'ldap-starttls'?: boolean };

/** --laps and its options, checked: null when --laps is not given, else the directory or why it is refused. */
export function parseLapsArgs(values: LapsValues): LapsArgs | string | null {
  const given = (['ldap', 'base-dn', 'ldap-user', 'ldap-password-env', 'ldap-ca'] as const).filter((k) => values[k] !== undefined);
  if (!values.laps) return given.length || values['ldap-starttls'] ? `--${given[0] ?? 'ldap-starttls'} is a LAPS option: give --laps too` : null;
  for (const k of ['ldap', 'base-dn', 'ldap-user', 'ldap-password-env'] as const) if (!values[k]) return `--laps needs --${k}`;
  const password = process.env[values['ldap-password-env']!];
  if (password === undefined || password === '') return `the environment variable ${values['ldap-password-env']} is not set`;
  let caPem: string | null = null;
  if (values['ldap-ca']) {
    try {
      caPem = fs.readFileSync(values['ldap-ca'], 'utf8');
    } catch (error) {
      return `${values['ldap-ca']} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
    }
  }
  try {
    const connection = checkLapsConnection({ url: values.ldap!, baseDn: values['base-dn']!, startTls: values['ldap-starttls'] ?? false, allowUntrusted: false, caPem });
    return { connection, bindDn: values['ldap-user']!, password };
  } catch (error) {
    return error instanceof ConsoleError ? `${error.message} ${error.advice}` : String(error);
  }
}

export const PUSH_USAGE = `  push <host[:port]>… --msi FILE [--config FILE.xml] [--params "K=V …"] (--user USER --password-env VAR | --credential ID | ${LAPS_USAGE})
       [--as user|system] [--action install|uninstall|repair] [--transport auto|callback|smb]
       [--reboot none|when-idle|ask|now [--reboot-grace MIN] [--reboot-force-after MIN] [--reboot-message TEXT]]
       [--concurrency N] [--callback ADDRESS] [--port 2224] ${AUTH_USAGE} [--json]
      Installs the .msi on each computer now (--action uninstall: removes its product, msiexec /x;
      repair: msiexec /fvomus; the .msi is sent and verified either way, it names the product): copies the agent over SMB, starts it as a service,
      serves the package on --port (the agent calls back to ADDRESS, default the console's
      address as each computer sees it), waits for the result, then removes the service and files.
      --as user (default) runs msiexec under USER; --as system under LocalSystem.
      --transport auto (default) starts with the callback and, for a computer whose agent cannot
      call back, copies the package over SMB instead (installed as SYSTEM); callback only calls
      back; smb never opens --port: the package is copied to ADMIN$ and installed as SYSTEM.
      --reboot, after an install that needs a restart (msiexec 3010): now restarts after
      --reboot-grace minutes (default 5) of notice; ask asks the logged-on user again every
      --reboot-grace minutes and forces it after --reboot-force-after (default 60); when-idle restarts
      at once when nobody is logged on, else asks. pushctl then follows each restart until the
      computer is back (or not back within 30 min) and removes the agent afterwards.
      --auth negotiate (default) logs on with Kerberos to a computer named by DNS name when the
      account is a domain account (user@domain.fqdn, DOMAIN\\user), else with NTLMv2; kerberos-only
      never sends NTLM; ntlm-only never tries Kerberos. --kdc names the domain controllers
      (default: the saved setting, else DNS SRV); --realm maps a NetBIOS domain to its realm.
      --credential ID uses credentials the console remembered in the OS keychain (their id in
      the data folder's database); a --password-env password is used for this run only.
${LAPS_HELP}      Exit code 0 only when every computer succeeded; --json gives each computer's outcome,
      class, code, steps, authMechanism (kerberos or ntlm) and, with --laps, lapsAttribute and lapsAccount (never a password).
`;

/** One target of `pushctl push --json` (tests read it as this type). */
export interface JsonTarget {
  target: string;
  outcome: string | null;
  errorClass: string | null;
  code: string | null;
  message: string | null;
  advice: string | null;
  exitCode: number | null;
  rebootRequired: boolean;
  durationMs: number | null;
  leftovers: unknown;
  /** --laps: the attribute the computer's password came from and the local account it logged on as. */
  lapsAttribute: string | null;
  lapsAccount: string | null;
  /** Which transport carried the package and the result (callback, smb); null when the agent never ran. */
  transport: 'callback' | 'smb' | null;
  /** Which mechanism logged on: kerberos or ntlm; null when no logon succeeded. */
  authMechanism: 'kerberos' | 'ntlm' | null;
  /** What became of the restart (--reboot): not-needed, scheduled, restarted, not-back, not-restarted, refused, cancelled, left-to-msiexec. */
  restart: string;
  restartDetail: string | null;
  steps: { at: string; step: string; detail: string; code: string | null }[];
}

function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

interface PushArgs {
  readonly hosts: readonly { spec: string; host: string; port: number }[];
  readonly msi: string;
  readonly config?: string;
  readonly params: string;
  readonly storedId: number | null;
  readonly user?: string;
  readonly password?: string;
  readonly laps?: LapsArgs;
  readonly as: 'user' | 'system';
  readonly action: 'install' | 'uninstall' | 'repair';
  readonly transport: AgentTransport;
  readonly reboot: RebootPolicy | null;
  /** --auth, --kdc, --realm over the saved Authentication settings. */
  readonly auth: AuthSettings;
  readonly concurrency?: number;
  readonly callback?: string;
  readonly port?: number;
  readonly json: boolean;
}

/** The command line, checked: the arguments, or why they are refused. */

/** What a push does on each computer, from --as, --action, --transport and --reboot (local and through a server alike). */
export function parseTaskShape(values: {
  as?: string | boolean | undefined; action?: string | boolean | undefined; transport?: string | boolean | undefined;
  reboot?: string | boolean | undefined; 'reboot-grace'?: string | boolean | undefined; 'reboot-force-after'?: string | boolean | undefined; 'reboot-message'?: string | boolean | undefined;
}): { as: 'user' | 'system'; action: 'install' | 'uninstall' | 'repair'; transport: AgentTransport; reboot: RebootPolicy | null } | string {
  if (values.as !== 'user' && values.as !== 'system') return '--as must be user or system';
  const action = values.action;
  if (action !== 'install' && action !== 'uninstall' && action !== 'repair') return '--action must be install, uninstall or repair';
  const transport = values.transport as AgentTransport;
  if (!AGENT_TRANSPORTS.includes(transport)) return '--transport must be auto, callback or smb';
  const reboot = RebootPolicySchema.safeParse({
    policy: values.reboot, graceMinutes: Number(values['reboot-grace']), forceAfterMinutes: Number(values['reboot-force-after']), message: values['reboot-message'],
  });
  if (!reboot.success) return `--reboot must be none, when-idle, ask or now, with --reboot-grace 0..1440 and --reboot-force-after 1..10080 minutes (${reboot.error.issues[0]?.path.join('.')}: ${reboot.error.issues[0]?.message})`;
  return { as: values.as, action, transport, reboot: reboot.data.policy === 'none' ? null : reboot.data };
}

function parsePushArgs(args: string[]): PushArgs | string {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      msi: { type: 'string' },
      config: { type: 'string' },
      params: { type: 'string', default: '' },
      user: { type: 'string' },
      'password-env': { type: 'string' },
      credential: { type: 'string' },
      as: { type: 'string', default: 'user' },
      action: { type: 'string', default: 'install' },
      transport: { type: 'string', default: 'auto' },
      reboot: { type: 'string', default: 'none' },
      'reboot-grace': { type: 'string', default: '5' },
      'reboot-force-after': { type: 'string', default: '60' },
      'reboot-message': { type: 'string', default: '' },
      concurrency: { type: 'string' },
      callback: { type: 'string' },
      port: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...LAPS_OPTIONS,
      ...AUTH_OPTIONS,
    },
  });
  if (positionals.length === 0) return 'name at least one computer';
  // The same syntax as Add Computers: host, host:port, [IPv6]:port.
  const hosts: { spec: string; host: string; port: number }[] = [];
  for (const spec of positionals) {
    const parsed = parseComputerEntry(spec);
    if (!parsed.ok) return `"${spec}" is not a computer name or address: ${parsed.reason}`;
    hosts.push({ spec, host: parsed.name, port: parsed.port ?? DEFAULT_SMB_PORT });
  }
  if (!values.msi) return '--msi FILE is required';
  if (!fs.existsSync(values.msi)) return `${values.msi} does not exist`;
  if (values.config && !fs.existsSync(values.config)) return `${values.config} does not exist`;
  const storedId = values.credential !== undefined ? Number(values.credential) : null;
  if (storedId !== null && !(Number.isInteger(storedId) && storedId > 0)) return '--credential must be a credential id';
  if (storedId !== null && (values.user || values['password-env'])) return 'give either --credential or --user with --password-env, not both';
  const laps = parseLapsArgs(values);
  if (typeof laps === 'string') return laps;
  if (laps && (storedId !== null || values.user || values['password-env'])) return '--laps reads each computer\'s own password: give it instead of --user/--password-env or --credential';
  if (storedId === null && !laps && !values.user) return '--user USER is required (or --credential ID, or --laps)';
  if (storedId === null && !laps && !values['password-env']) return '--password-env VAR is required (the password is never taken from the command line)';
  const password = values['password-env'] ? process.env[values['password-env']] : undefined;
  if (storedId === null && !laps && password === undefined) return `the environment variable ${values['password-env']} is not set`;
  const shape = parseTaskShape(values);
  if (typeof shape === 'string') return shape;
  const { as, action, transport, reboot } = shape;
  const concurrency = values.concurrency !== undefined ? Number(values.concurrency) : undefined;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 200)) return '--concurrency must be 1..200';
  const port = values.port !== undefined ? Number(values.port) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) return '--port must be 0..65535';
  const auth = parseAuthArgs(values);
  if (typeof auth === 'string') return auth;
  return {
    hosts, msi: values.msi, params: values.params, storedId, as, action, transport, json: values.json, auth, reboot,
    ...(values.config ? { config: values.config } : {}), ...(values.user ? { user: values.user } : {}), ...(password !== undefined ? { password } : {}), ...(laps ? { laps } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}), ...(values.callback !== undefined ? { callback: values.callback } : {}), ...(port !== undefined ? { port } : {}),
  };
}

export async function runPush(args: string[], dataDir: string, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const fail = (message: string) => {
    err.write(`pushctl push: ${message}\n`);
    return 2;
  };
  const a = parsePushArgs(args);
  if (typeof a === 'string') return fail(a);

  fs.mkdirSync(dataDir, { recursive: true });
  const db = openDatabase({ location: dataDir });
  const tasks = new TasksRepo(db);
  const packages = new PackagesRepo(db);
  const stored = createSettingsStore(createConfSettingsBackend(dataDir)).get();
  const settings: Settings = {
    ...stored,
    ...(a.concurrency !== undefined ? { maxConcurrentPushes: a.concurrency } : {}),
    ...(a.callback !== undefined ? { callbackAddress: a.callback } : {}),
    ...a.auth,
  };
  const events = createEventBus();
  // The keychain only when a remembered credential is asked for; a --password-env one stays in memory.
  const vault = a.storedId !== null ? openKeychainVault(db, { log: (line) => err.write(`pushctl push: ${line}\n`) }) : new MemoryVault(db);
  if (a.storedId !== null && !vault.held(a.storedId)) {
    db.close();
    return fail(`credential ${a.storedId} is not in ${vault.storage === 'keychain' ? 'the keychain' : 'this data folder (no keychain)'}: set it in the console with "remember"`);
  }
  // The SMB transport needs no package server: TCP 2224 is not even opened.
  const runtime = await startPushRuntime({
    dataDir, db, tasks, packages, vault, settings: () => settings, events, ...(a.port !== undefined ? { port: a.port } : {}),
    packageServer: a.transport === 'smb' ? 'when-needed' : 'at-start',
  });
  try {
    const msiPath = path.resolve(a.msi);
    const pkg = packages.add({
      name: path.basename(msiPath),
      msiFileName: path.basename(msiPath),
      msiPath,
      msiSize: fs.statSync(msiPath).size,
      msiSha256: sha256File(msiPath),
      ...(a.config ? { configFileName: path.basename(a.config), configPath: path.resolve(a.config) } : {}),
      parameters: a.params,
    });
    // Installed as SYSTEM, the run needs only the NT hash: the password is dropped at once. With
    // --laps the reader's password is held in memory for this run, each computer's read at its push.
    const credentialId =
      a.storedId ??
      (a.laps
        ? runtime.vault.putLaps(`pushctl LAPS ${a.laps.connection.url}`, a.laps.connection, a.laps.bindDn, a.laps.password, { remember: false })
        : runtime.vault.put(`pushctl ${a.user}`, a.user!, a.password!, { remember: false, keep: (a.as === 'system' || a.transport === 'smb') && settings.authentication === 'ntlm-only' ? 'nt-hash' : 'password' }));
    const targets = a.hosts.map((t) => ({ computerName: t.spec, address: t.host, port: t.port, credentialId }));
    const names = new Map<number, string>();
    if (!a.json) {
      const server = runtime.server ? `Package server on port ${runtime.server.port} (certificate ${runtime.certificate.fingerprint.slice(0, 16)}…)` : 'SMB transport: no package server';
      out.write(`${server}; ${targets.length} computer(s), ${settings.maxConcurrentPushes} at a time.\n`);
      printProgress(events, out, names);
    }
    const taskId = runtime.engine.submit({
      name: `pushctl ${a.action === 'install' ? '' : `${a.action} `}${path.basename(msiPath)}`,
      packageId: pkg.id,
      options: { runAs: a.as === 'system' ? 'system' : 'admin', action: a.action, transport: a.transport, ...(a.reboot ? { reboot: a.reboot } : {}) },
      targets,
    });
    for (const t of tasks.targetRecords(taskId)) names.set(t.id, t.computer_name);
    await runtime.engine.waitForTask(taskId);
    // Each restart the policy scheduled, followed until the computer is back and the agent removed.
    if (a.reboot) await runtime.engine.waitForRestarts(taskId);
    runtime.engine.flush();
    const report = targetReport(tasks, taskId);
    if (a.json) out.write(JSON.stringify({ taskId, targets: report }, null, 2) + '\n');
    else printReport(report, out);
    return report.every((r) => r.outcome === 'succeeded' || r.outcome === 'succeeded-reboot-required') ? 0 : 1;
  } finally {
    await runtime.close();
    db.close();
  }
}

/** One line per target state change (copy and download percentages in steps of 25). */
function printProgress(events: ReturnType<typeof createEventBus>, out: NodeJS.WritableStream, names: ReadonlyMap<number, string>): void {
  events.subscribe((event, payload) => {
    if (event !== 'task.progress') return;
    const p = payload as { targetId: number; state: string; outcome: string | null; progress: number | null };
    const text = progressLine(names.get(p.targetId) ?? String(p.targetId), p);
    if (text) out.write(text);
  });
}

/** A target's state change as printed (null for copy and download percentages between steps of 25); pushctl --server prints the same. */
export function progressLine(name: string, p: { state: string; outcome: string | null; progress: number | null }): string | null {
  if ((p.state === 'copying' || p.state === 'copying-package' || p.state === 'downloading') && p.progress !== null && p.progress % 25 !== 0) return null;
  const time = new Date().toISOString().slice(11, 19);
  return `${time}  ${name.padEnd(24)} ${p.state}${p.progress !== null ? ` ${p.progress}%` : ''}${p.outcome ? `: ${p.outcome}` : ''}\n`;
}

/** Each target's end as the --json document gives it, with its whole step log. */
function targetReport(tasks: TasksRepo, taskId: number): JsonTarget[] {
  return tasks.targetRecords(taskId).map((t) => ({
    target: t.computer_name,
    outcome: t.outcome,
    errorClass: t.error_class,
    code: t.error_code,
    message: t.error_message,
    advice: t.advice,
    exitCode: t.exit_code,
    rebootRequired: t.reboot_required === 1,
    durationMs: t.started_at && t.finished_at ? Date.parse(t.finished_at) - Date.parse(t.started_at) : null,
    leftovers: t.leftovers ? (JSON.parse(t.leftovers) as unknown) : null,
    lapsAttribute: t.laps_attribute,
    lapsAccount: t.laps_account,
    transport: t.transport,
    authMechanism: t.auth_mechanism,
    restart: t.restart_state ?? 'not-needed',
    restartDetail: t.restart_detail,
    steps: tasks.log(t.id).map((s) => ({ at: s.at, step: s.step, detail: s.detail, code: s.code })),
  }));
}

/** The summary after the task: ✓ or ✗ per computer, with the message and advice of a failure. */
export function printReport(report: readonly JsonTarget[], out: NodeJS.WritableStream): void {
  out.write('\n');
  for (const r of report) {
    const ok = r.outcome === 'succeeded' || r.outcome === 'succeeded-reboot-required';
    out.write(`${ok ? '✓' : '✗'} ${r.target}: ${r.outcome}${r.errorClass && !ok ? ` (${r.errorClass}${r.code ? ` ${r.code}` : ''})` : ''}${r.durationMs !== null ? ` in ${(r.durationMs / 1000).toFixed(1)} s` : ''}\n`);
    if (r.transport) out.write(`    transport: ${r.transport === 'smb' ? 'SMB (package copied to ADMIN$)' : 'callback (TCP 2224)'}\n`);
    if (r.lapsAttribute) out.write(`    LAPS: ${r.lapsAttribute}, account .\\${r.lapsAccount ?? '?'}\n`);
    if (!ok && r.message) out.write(`    ${r.message}\n    → ${r.advice ?? ''}\n`);
    if (r.rebootRequired) out.write(r.restartDetail ? `    restart: ${r.restart}: ${r.restartDetail}\n` : '    restart required to finish the installation\n');
  }
}
