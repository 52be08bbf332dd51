// pushctl against a Push Install Server (docs/SERVER.md): the global options
//   pushctl --server https://HOST:PORT --user NAME --password-env VAR [--fingerprint SHA256] <command> …
// make diagnose, push, tasks and sites (sites.ts) run through the server's contract (main/ipc/contract.ts) over its
// HTTPS/WSS bridge as a server account (main/serverMode/serverClient.ts), with the same output and
// exit codes as locally. `tasks list|show` and `sites …` also run locally over the data folder's database.
//
// Choices worth saying:
// - The server's certificate is pinned by its SHA-256 fingerprint before the password is sent. Without
//   --fingerprint pushctl connects, reads the certificate, prints its fingerprint and stops (exit 3,
//   class server-certificate-changed): trust on first use is the operator's decision, made by
//   comparing it with PUSHSERVER_FINGERPRINT that the server printed at start.
// - The contract has no upload: packages.create reads the .msi from the server's own disk. So
//   `--msi FILE` is a path on the server, and `--package NAME|ID` uses a package already there.
// - diagnose and push name computers as locally; the server's channels take its computers' ids, so
//   the computers are added to the server's Computers list (as the console's Add Computers would).
// - A --password-env SMB password is sent to the server as a credential that is not remembered
//   (server memory only), and removed once the run has ended with nothing left on the computers.
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import { type DiagnosticsResult, type HostInfoResult, type PushConsoleApi, type RebootPolicy, type TaskSummary, type TaskTarget } from '../ipc/contract.js';
import { ConsoleError, toIpcError } from '../ipc/errors.js';
import { parseComputerEntry } from '../engine/computerEntry.js';
import { parseTarget } from '../engine/diagnose.js';
import { registerSecret, redact } from '../smb/auth/secretRegistry.js';
import { connect, normaliseFingerprint, signIn, type ServerConnection, type ServerSession } from '../serverMode/serverClient.js';
import { forbiddenError, mayCall } from '../serverMode/roles.js';
import type { AgentTransport } from '../server/agentProtocol.js';
import { openDatabase, DATABASE_FILE_NAME } from '../store/database.js';
import { TasksRepo } from '../store/tasksRepo.js';
import type { ChannelName } from '../ipc/contract.js';
import { diagnoseReportText, type CliReport } from './diagnoseReport.js';
import { parseTaskShape, printReport, progressLine, type JsonTarget } from './push.js';
import { parseSitesArgs, remoteSites, runSites, type SitesArgs } from './sites.js';

export const REMOTE_USAGE = `  tasks list [--json]
  tasks show ID [--json]
      The tasks of the data folder's database (History): each task's status and tallies; show:
      each target's state, outcome, error class and code, message and advice.

through a Push Install Server (global options, before the command):
  pushctl --server https://HOST:PORT --user NAME --password-env VAR [--fingerprint SHA256] <command> …
      Runs diagnose, push and tasks on the server as the server account NAME (its role decides
      what it may do: viewer reads tasks, operator diagnoses and pushes), with the same output and
      exit codes as locally. The password is read from the environment variable VAR only.
      --fingerprint pins the server's certificate (SHA-256, hex, colons allowed): nothing is sent
      to a server whose certificate is another. Without it pushctl prints the fingerprint it sees
      and stops (exit 3): compare it with PUSHSERVER_FINGERPRINT the server printed at start and
      give it with --fingerprint.
    diagnose <host[:port]>… [--user USER --password-env VAR | --credential ID] [--json]
      The server's Diagnostics (computers.diagnose) from the server, with the SMB account given or
      a credential stored on the server (its id); without either, Get Info's credential-free checks.
      The computers are added to the server's Computers list.
    push <host[:port]>… (--msi SERVER-PATH [--config SERVER-PATH] [--params "K=V …"] | --package NAME|ID)
         (--user USER --password-env VAR | --credential ID) [--as user|system]
         [--action install|uninstall|repair] [--transport auto|callback|smb] [--reboot … as above] [--json]
      A task on the server, followed to its end. There is no upload: --msi and --config are paths
      on the server's disk (a package is created from them), or --package names (or numbers) a
      package already on the server. A --password-env password goes to the server as a credential
      kept in its memory for this run. Concurrency, callback address, package port and --auth,
      --kdc, --realm are the server's settings (Configuration), not options here.
    tasks list|show ID [--json]
      The server's History (a viewer may read it).
    sites add NAME --cidr NETWORK/PREFIX … [--ad-site AD-SITE] | sites list | sites remove NAME  [--json]
      The server's sites (a viewer lists them; adding and removing is an administrator's).
  Exit codes as locally (0, 1, 2 for a command line refused); 3 when the server, its certificate,
  the sign-in or the account's role refuses: "pushctl: <message> <advice> [<class>]" on stderr
  (classes server-certificate-changed, server-unreachable, logon-failed, logon-throttled, forbidden, …).
`;

/** The global options naming the server and the account. */
export interface RemoteOptions {
  readonly url: string;
  readonly user: string;
  readonly passwordEnv: string;
  readonly fingerprint: string | null;
}

const REMOTE_KEYS = { server: 'url', user: 'user', 'password-env': 'passwordEnv', fingerprint: 'fingerprint' } as const;

/**
 * Takes --server, --user, --password-env, --fingerprint given before the command out of argv (the
 * same names after the command are the command's own: the SMB account). `options` is null without --server.
 */
export function takeRemoteOptions(argv: readonly string[]): { options: RemoteOptions | null; rest: string[]; error?: string } {
  const rest = [...argv];
  const given: Partial<Record<(typeof REMOTE_KEYS)[keyof typeof REMOTE_KEYS], string>> = {};
  let i = 0;
  while (i < rest.length && rest[i]!.startsWith('--') && rest[i] !== '--') {
    const arg = rest[i]!;
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (Object.prototype.hasOwnProperty.call(REMOTE_KEYS, name)) {
      const value = eq === -1 ? rest[i + 1] : arg.slice(eq + 1);
      if (value === undefined || value === '' || (eq === -1 && value.startsWith('--'))) return { options: null, rest, error: `--${name} needs a value` };
      given[REMOTE_KEYS[name as keyof typeof REMOTE_KEYS]] = value;
      rest.splice(i, eq === -1 ? 2 : 1);
    } else if (name === 'data' && eq === -1) {
      i += 2;
    } else {
      i += 1;
    }
  }
  if (given.url === undefined) {
    const stray = Object.keys(given);
    return stray.length ? { options: null, rest, error: `--${stray.map((k) => Object.keys(REMOTE_KEYS).find((n) => REMOTE_KEYS[n as keyof typeof REMOTE_KEYS] === k)).join(', --')} before the command must come with --server https://HOST:PORT` } : { options: null, rest };
  }
  let url: URL;
  try {
    url = new URL(given.url);
  } catch {
    return { options: null, rest, error: `--server must be https://HOST:PORT, not "${given.url}"` };
  }
  if (url.protocol !== 'https:') return { options: null, rest, error: `--server must be https://HOST:PORT (the server's address, PUSHSERVER_URL), not "${given.url}"` };
  if (!given.user) return { options: null, rest, error: '--server needs --user NAME (a server account) before the command' };
  if (!given.passwordEnv) return { options: null, rest, error: '--server needs --password-env VAR before the command (the password is never taken from the command line)' };
  const fingerprint = given.fingerprint === undefined ? null : normaliseFingerprint(given.fingerprint);
  if (fingerprint !== null && !/^[0-9a-f]{64}$/.test(fingerprint)) return { options: null, rest, error: '--fingerprint must be the certificate\'s SHA-256: 64 hex digits (colons allowed)' };
  return { options: { url: url.origin, user: given.user, passwordEnv: given.passwordEnv, fingerprint }, rest };
}

/** A command through the server: its arguments checked, then signed in, run, signed out. */
export async function runRemote(command: string | undefined, args: string[], remote: RemoteOptions): Promise<number> {
  if (command !== 'diagnose' && command !== 'push' && command !== 'tasks' && command !== 'sites') {
    process.stderr.write(`pushctl: ${command ?? 'no command'} does not run through a server: --server goes with diagnose, push, tasks and sites\n`);
    return 2;
  }
  const parsed = command === 'diagnose' ? parseDiagnoseArgs(args) : command === 'push' ? parseRemotePushArgs(args) : command === 'sites' ? sitesCommand(args) : parseTasksArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`pushctl ${command}: ${parsed}\n`);
    return 2;
  }
  const password = process.env[remote.passwordEnv];
  if (password === undefined || password === '') {
    process.stderr.write(`pushctl: the environment variable ${remote.passwordEnv} is not set (the server account's password)\n`);
    return 2;
  }
  registerSecret(password);
  let connection: ServerConnection | null = null;
  try {
    if (remote.fingerprint === null) await refuseUnpinned(remote.url);
    const session = await signIn({ url: remote.url, fingerprint: remote.fingerprint! }, remote.user, password);
    try {
      connection = await connect(session);
      if (parsed.kind === 'diagnose') return await remoteDiagnose(connection.api, session, parsed);
      if (parsed.kind === 'push') return await remotePush(connection.api, session, parsed);
      if (parsed.kind === 'sites') {
        requireRoles(session, [parsed.args.verb === 'list' ? 'sites.list' : parsed.args.verb === 'add' ? 'sites.add' : 'sites.remove']);
        return await runSites(parsed.args, remoteSites(connection.api));
      }
      return await runTasks(parsed, remoteTasks(connection.api));
    } finally {
      connection?.close();
      await signOut(session);
    }
  } catch (error) {
    return failWith(error);
  }
}

/** `pushctl: <message> <advice> [<class>]` on stderr; exit 3. */
function failWith(error: unknown): number {
  const e = toIpcError(error);
  process.stderr.write(redact(`pushctl: ${e.message}${e.advice ? ` ${e.advice}` : ''} [${e.class}]`) + '\n');
  return 3;
}

/** Without a pin: the certificate is read (nothing is sent), its fingerprint printed, and pushctl stops. */
async function refuseUnpinned(url: string): Promise<never> {
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, '');
  const fingerprint = await new Promise<string>((resolve, reject) => {
    const socket = tls.connect({ host, port: Number(port || 443), rejectUnauthorized: false, ...(net.isIP(host) ? {} : { servername: host }) });
    socket.setTimeout(30_000, () => socket.destroy(new Error('no answer within 30 s')));
    socket.once('secureConnect', () => {
      const seen = normaliseFingerprint(socket.getPeerCertificate().fingerprint256 ?? '');
      socket.destroy();
      resolve(seen);
    });
    socket.once('error', (error) => reject(new ConsoleError('server-unreachable', `Could not reach the server at ${url}: ${error.message}`, 'Check the address and port, that the server is running, and that a firewall lets you reach it.')));
  });
  throw new ConsoleError(
    'server-certificate-changed',
    `No certificate is pinned for ${url}: it presents SHA-256 ${fingerprint}. Nothing was sent to it.`,
    `Compare it with the fingerprint the server printed at start (PUSHSERVER_FINGERPRINT); if they are the same, run again with --fingerprint ${fingerprint}.`,
  );
}

/** DELETE /api/session: the session ends with the run (best effort). */
async function signOut(session: ServerSession): Promise<void> {
  await new Promise<void>((resolve) => {
    const req = https.request(new URL('/api/session', session.url), { method: 'DELETE', agent: session.agent, headers: { authorization: `Bearer ${session.token}` }, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve());
    req.end();
  });
}

/** The account's role must allow each channel; checked before anything is changed (the server checks again). */
function requireRoles(session: ServerSession, channels: readonly ChannelName[]): void {
  for (const channel of channels) if (!mayCall(session.role, channel)) throw forbiddenError(session.role, channel);
}

// ---- computers ---------------------------------------------------------------------------------

interface Host {
  readonly spec: string;
  readonly name: string;
  readonly port: number | null;
}

function parseHosts(specs: readonly string[]): Host[] | string {
  if (specs.length === 0) return 'name at least one computer';
  const hosts: Host[] = [];
  for (const spec of specs) {
    const parsed = parseComputerEntry(spec);
    if (!parsed.ok) return `"${spec}" is not a computer name or address: ${parsed.reason}`;
    hosts.push({ spec, name: parsed.name, port: parsed.port });
  }
  return hosts;
}

/** The server's computer for each host, added first when it is not listed. */
async function serverComputers(api: PushConsoleApi, hosts: readonly Host[]): Promise<{ host: Host; id: number }[]> {
  await api.invoke('computers.add', { entries: hosts.map((h) => h.spec) });
  const byName = new Map((await api.invoke('computers.list', {})).map((c) => [c.name.toLowerCase(), c]));
  return hosts.map((host) => {
    const computer = byName.get(host.name.toLowerCase());
    if (!computer) throw new ConsoleError('not-found', `${host.name} is not in the server's Computers list after adding it.`, 'Add it in the console, then run again.');
    if ((computer.port ?? 445) !== (host.port ?? 445)) {
      throw new ConsoleError('invalid-computer', `${host.name} is on the server with SMB port ${computer.port ?? 445}, not ${host.port ?? 445}.`, 'Name it as the server lists it, or change it in the console.');
    }
    return { host, id: computer.id };
  });
}

/** The SMB account: --user with --password-env, or --credential ID (stored on the server). */
interface SmbAccount {
  readonly user?: string;
  readonly password?: string;
  readonly credentialId?: number;
}

function parseAccount(values: { user?: string | undefined; 'password-env'?: string | undefined; credential?: string | undefined }, required: boolean): SmbAccount | string {
  if (values.credential !== undefined) {
    const id = Number(values.credential);
    if (!(Number.isInteger(id) && id > 0)) return '--credential must be the id of a credential on the server';
    if (values.user || values['password-env']) return 'give either --credential or --user with --password-env, not both';
    return { credentialId: id };
  }
  if (values.user === undefined) return required ? '--user USER is required (or --credential ID of a credential on the server)' : {};
  if (!values['password-env']) return '--user needs --password-env VAR (the password is never taken from the command line)';
  const password = process.env[values['password-env']];
  if (password === undefined) return `the environment variable ${values['password-env']} is not set`;
  registerSecret(password);
  return { user: values.user, password };
}

/** Options the local commands have that are the server's settings (or not over the server yet). */
function notOverServer(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `${message} (through --server, --concurrency, --callback, --port, --auth, --kdc and --realm are the server's settings, and --laps is a LAPS credential stored on the server: --credential ID)`;
}

// ---- diagnose ----------------------------------------------------------------------------------

interface DiagnoseArgs {
  readonly kind: 'diagnose';
  readonly hosts: readonly Host[];
  readonly account: SmbAccount;
  readonly json: boolean;
}

function parseDiagnoseArgs(args: string[]): DiagnoseArgs | string {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { user: { type: 'string' }, 'password-env': { type: 'string' }, credential: { type: 'string' }, json: { type: 'boolean', default: false } } });
  } catch (error) {
    return notOverServer(error);
  }
  const hosts = parseHosts(parsed.positionals);
  if (typeof hosts === 'string') return hosts;
  const account = parseAccount(parsed.values, false);
  if (typeof account === 'string') return account;
  return { kind: 'diagnose', hosts, account, json: parsed.values.json };
}

async function remoteDiagnose(api: PushConsoleApi, session: ServerSession, a: DiagnoseArgs): Promise<number> {
  const withLogon = a.account.user !== undefined || a.account.credentialId !== undefined;
  requireRoles(session, ['computers.add', withLogon ? 'computers.diagnose' : 'computers.getInfo', ...(a.account.user !== undefined ? (['credentials.set'] as const) : [])]);
  const computers = await serverComputers(api, a.hosts);
  const ids = computers.map((c) => c.id);
  let reports: CliReport[];
  if (!withLogon) {
    const results = new Map((await api.invoke('computers.getInfo', { ids })).map((r) => [r.computerId, r]));
    reports = computers.map(({ host, id }) => reportFromInfo(targetOf(host), results.get(id)));
  } else {
    const temporary = a.account.user !== undefined ? await api.invoke('credentials.set', { label: `pushctl diagnose ${a.account.user}`, user: a.account.user, password: a.account.password!, remember: false }) : null;
    try {
      const results = new Map((await api.invoke('computers.diagnose', { ids, credentialId: temporary?.id ?? a.account.credentialId! })).map((r) => [r.computerId, r]));
      reports = computers.map(({ host, id }) => reportFromChecks(targetOf(host), results.get(id)));
    } finally {
      if (temporary) await api.invoke('credentials.remove', { id: temporary.id }).catch(() => undefined);
    }
  }
  if (a.json) process.stdout.write(JSON.stringify(reports, null, 2) + '\n');
  else process.stdout.write(reports.map(diagnoseReportText).join('\n\n') + '\n');
  return reports.every((r) => r.ok) ? 0 : 1;
}

/** The report's `target` as the local diagnose names it: host:port. */
function targetOf(host: Host): string {
  const t = parseTarget(host.spec);
  return `${t.host}:${t.port}`;
}

function emptyReport(target: string): CliReport {
  return {
    target, reachable: false, dialect: null, signingRequired: null, cipher: null, sessionEncrypted: null, serverName: null, domain: null, dnsName: null, osVersion: null,
    authentication: 'not-checked', authMechanism: null, kerberosFallback: null, adminShareWritable: null, scmAccess: null, callback: 'untestable-until-an-agent-runs', errors: [], ok: false,
  };
}

const UNREACHABLE = ['offline', 'port-blocked', 'name-not-resolved'];

/** Get Info's answer as diagnose's credential-free report. */
function reportFromInfo(target: string, r: HostInfoResult | undefined): CliReport {
  const report = emptyReport(target);
  if (!r) return { ...report, errors: [{ step: 'probe', class: 'not-found', code: null, message: 'The server did not answer for this computer.', advice: 'Run again.' }] };
  if (r.error) return { ...report, reachable: !UNREACHABLE.includes(r.error.class), errors: [{ step: 'probe', ...r.error }] };
  return { ...report, reachable: true, dialect: r.dialect, signingRequired: r.signingRequired, cipher: r.cipher, serverName: r.serverName, domain: r.domain, dnsName: r.dnsName, osVersion: r.osVersion, ok: true };
}

/**
 * The server's Diagnostics rows (main/app/handlers/computers.ts diagnosticChecks) read back into
 * diagnose's report. One loss: the Names row joins the names present, so with one of domain and
 * DNS name missing, a name with a dot that starts with the computer's own is taken as the DNS name.
 */
function reportFromChecks(target: string, r: DiagnosticsResult | undefined): CliReport {
  const report = emptyReport(target);
  if (!r) return { ...report, errors: [{ step: 'probe', class: 'not-found', code: null, message: 'The server did not answer for this computer.', advice: 'Run again.' }] };
  const row = (name: string) => r.checks.find((c) => c.check === name);
  const shown = (name: string) => {
    const c = row(name);
    return c && c.ok !== null && c.detail !== '—' ? c.detail : null;
  };
  report.reachable = row('Reachable on TCP 445')?.ok === true;
  report.dialect = row('SMB dialect')?.detail && row('SMB dialect')!.detail !== '—' ? row('SMB dialect')!.detail : null;
  const signing = row('Signing')?.detail;
  report.signingRequired = signing === 'required by the computer' ? true : signing === 'supported' ? false : null;
  const encryption = row('Encryption');
  if (encryption) {
    report.cipher = /^not offered/.test(encryption.detail) ? null : encryption.detail.replace(/, in use$/, '');
    report.sessionEncrypted = encryption.ok === null ? null : encryption.detail.endsWith(', in use');
  }
  const names = shown('Names')?.split(' · ') ?? [];
  if (names.length > 0) {
    report.serverName = names[0]!;
    if (names.length >= 3) [report.domain, report.dnsName] = [names[1]!, names[2]!];
    else if (names.length === 2) {
      if (names[1]!.toLowerCase().startsWith(`${names[0]!.toLowerCase()}.`)) report.dnsName = names[1]!;
      else report.domain = names[1]!;
    }
  }
  report.osVersion = shown('Operating system')?.replace(/^Windows /, '') ?? null;
  const logon = row('Logon');
  if (logon && logon.ok !== null) {
    const as = /^as .* with (Kerberos|NTLMv2)(?: \(Kerberos not used: (.*)\))?$/s.exec(logon.detail);
    report.authentication = as ? 'ok' : logon.detail === 'failed' ? 'failed' : logon.ok ? 'ok' : 'failed';
    report.authMechanism = as ? (as[1] === 'Kerberos' ? 'kerberos' : 'ntlm') : null;
    report.kerberosFallback = as?.[2] ?? null;
  }
  report.adminShareWritable = row('ADMIN$ writable')?.ok ?? null;
  report.scmAccess = row('Service Control Manager')?.ok ?? null;
  report.errors = r.errors;
  report.ok = r.ok;
  return report;
}

// ---- push --------------------------------------------------------------------------------------

interface RemotePushArgs {
  readonly kind: 'push';
  readonly hosts: readonly Host[];
  /** A package to create from paths on the server, or one already there (name or id). */
  readonly source: { readonly msi: string; readonly config?: string; readonly params: string } | { readonly package: string };
  readonly account: SmbAccount;
  readonly as: 'user' | 'system';
  readonly action: 'install' | 'uninstall' | 'repair';
  readonly transport: AgentTransport;
  readonly reboot: RebootPolicy | null;
  readonly json: boolean;
}

function parseRemotePushArgs(args: string[]): RemotePushArgs | string {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        msi: { type: 'string' }, config: { type: 'string' }, params: { type: 'string' }, package: { type: 'string' },
        user: { type: 'string' }, 'password-env': { type: 'string' }, credential: { type: 'string' },
        as: { type: 'string', default: 'user' }, action: { type: 'string', default: 'install' }, transport: { type: 'string', default: 'auto' },
        reboot: { type: 'string', default: 'none' }, 'reboot-grace': { type: 'string', default: '5' }, 'reboot-force-after': { type: 'string', default: '60' }, 'reboot-message': { type: 'string', default: '' },
        json: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return notOverServer(error);
  }
  const { values } = parsed;
  const hosts = parseHosts(parsed.positionals);
  if (typeof hosts === 'string') return hosts;
  let source: RemotePushArgs['source'];
  if (values.package !== undefined) {
    if (values.msi !== undefined || values.config !== undefined || values.params !== undefined) return '--package uses a package on the server as it is: give it without --msi, --config and --params';
    source = { package: values.package };
  } else {
    if (!values.msi) return '--msi SERVER-PATH (a path on the server: there is no upload) or --package NAME|ID is required';
    for (const [option, file] of [['--msi', values.msi], ['--config', values.config]] as const) {
      if (file !== undefined && !path.isAbsolute(file) && !path.win32.isAbsolute(file)) return `${option} with --server is a path on the server's disk: give it whole (absolute), not "${file}"`;
    }
    source = { msi: values.msi, params: values.params ?? '', ...(values.config ? { config: values.config } : {}) };
  }
  const account = parseAccount(values, true);
  if (typeof account === 'string') return account;
  const shape = parseTaskShape(values);
  if (typeof shape === 'string') return shape;
  return { kind: 'push', hosts, source, account, ...shape, json: values.json };
}

/** The package named by --package: its id, else its name (one package of that name). */
async function serverPackage(api: PushConsoleApi, wanted: string): Promise<{ id: number; name: string }> {
  const packages = await api.invoke('packages.list', {});
  const byId = /^\d+$/.test(wanted) ? packages.find((p) => p.id === Number(wanted)) : undefined;
  if (byId) return byId;
  const named = packages.filter((p) => p.name.toLowerCase() === wanted.toLowerCase());
  if (named.length === 1) return named[0]!;
  if (named.length > 1) throw new ConsoleError('invalid-request', `The server has ${named.length} packages named "${wanted}" (ids ${named.map((p) => p.id).join(', ')}).`, 'Give the package\'s id with --package.');
  throw new ConsoleError('not-found', `The server has no package "${wanted}".`, 'Create it in the console, or give --msi with a path on the server.');
}

const ENDED_OK = new Set(['succeeded', 'succeeded-reboot-required']);

async function remotePush(api: PushConsoleApi, session: ServerSession, a: RemotePushArgs): Promise<number> {
  const out = process.stdout;
  requireRoles(session, ['computers.add', ...('msi' in a.source ? (['packages.create'] as const) : []), ...(a.account.user !== undefined ? (['credentials.set'] as const) : []), 'tasks.create']);
  const computers = await serverComputers(api, a.hosts);
  const pkg =
    'msi' in a.source
      ? await api.invoke('packages.create', {
          name: path.win32.basename(a.source.msi), msiPath: a.source.msi, parameters: a.source.params, runAs: a.as === 'system' ? 'system' : 'admin',
          ...(a.source.config ? { configPath: a.source.config } : {}),
        })
      : await serverPackage(api, a.source.package);
  const temporary = a.account.user !== undefined ? await api.invoke('credentials.set', { label: `pushctl ${a.account.user} (${session.user})`, user: a.account.user, password: a.account.password!, remember: false }) : null;
  const credentialId = temporary?.id ?? a.account.credentialId!;

  // Progress events: those before the task's id is known are kept, then printed if they are its.
  let taskId: number | null = null;
  const names = new Map<number, string>();
  const early: { taskId: number; targetId: number; state: string; outcome: string | null; progress: number | null }[] = [];
  let wake: (() => void) | null = null;
  const print = (p: (typeof early)[number]) => {
    if (a.json || p.taskId !== taskId) return;
    const text = progressLine(names.get(p.targetId) ?? String(p.targetId), p);
    if (text) out.write(text);
  };
  const stop = api.on('task.progress', (p) => {
    if (taskId === null || names.size === 0) return void early.push(p);
    print(p);
    if (p.taskId === taskId && p.outcome !== null) wake?.();
  });
  let leftSomething = true;
  try {
    if (!a.json) {
      const settings = await api.invoke('settings.get', {});
      out.write(`Push Install Server ${session.url} as ${session.user} (${session.role}); ${computers.length} computer(s), ${settings.maxConcurrentPushes} at a time.\n`);
    }
    ({ taskId } = await api.invoke('tasks.create', {
      name: `pushctl ${a.action === 'install' ? '' : `${a.action} `}${pkg.name}`,
      packageId: pkg.id,
      scheduledAt: null,
      runAs: a.as === 'system' ? 'system' : 'admin',
      action: a.action,
      transport: a.transport,
      ...(a.reboot ? { reboot: a.reboot } : {}),
      targets: computers.map((c) => ({ computerId: c.id, credentialId })),
    }));
    let targets = await api.invoke('tasks.targets', { taskId });
    for (const t of targets) names.set(t.id, t.computerName);
    for (const p of early.splice(0)) print(p);
    // Followed to its end: every target done and, with --reboot, every restart followed.
    const ended = (list: readonly TaskTarget[]) => list.every((t) => t.state === 'done') && (!a.reboot || list.every((t) => t.restart !== 'scheduled' && t.restart !== 'restarting'));
    while (!ended(targets)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      targets = await api.invoke('tasks.targets', { taskId });
    }
    const report: JsonTarget[] = [];
    for (const t of targets) report.push(await jsonTarget(api, t, a.json));
    leftSomething = targets.some((t) => t.leftovers !== null);
    if (a.json) out.write(JSON.stringify({ taskId, targets: report }, null, 2) + '\n');
    else printReport(report, out);
    return report.every((r) => r.outcome !== null && ENDED_OK.has(r.outcome)) ? 0 : 1;
  } finally {
    stop();
    // The run's own credential goes with it, unless a computer still holds something it must clean.
    if (temporary && !leftSomething) await api.invoke('credentials.remove', { id: temporary.id }).catch(() => undefined);
  }
}

/** A target as `pushctl push --json` gives it; the step log only for --json (what the report prints needs none). */
async function jsonTarget(api: PushConsoleApi, t: TaskTarget, withSteps: boolean): Promise<JsonTarget> {
  let leftovers: unknown = null;
  if (t.leftovers !== null) {
    try {
      leftovers = JSON.parse(t.leftovers) as unknown;
    } catch {
      leftovers = t.leftovers;
    }
  }
  return {
    target: t.computerName,
    outcome: t.outcome,
    errorClass: t.errorClass,
    code: t.errorCode,
    message: t.errorMessage,
    advice: t.advice,
    exitCode: t.exitCode,
    rebootRequired: t.rebootRequired,
    durationMs: t.startedAt && t.finishedAt ? Date.parse(t.finishedAt) - Date.parse(t.startedAt) : null,
    leftovers,
    // The contract's target does not carry what the LAPS read found.
    lapsAttribute: null,
    lapsAccount: null,
    transport: t.transport,
    authMechanism: t.authMechanism,
    restart: t.restart ?? 'not-needed',
    restartDetail: t.restartDetail,
    steps: withSteps ? (await api.invoke('targets.log', { targetId: t.id })).map((s) => ({ at: s.at, step: s.step, detail: s.detail, code: s.code })) : [],
  };
}

// ---- sites (sites.ts) --------------------------------------------------------------------------

function sitesCommand(args: string[]): { kind: 'sites'; args: SitesArgs } | string {
  const parsed = parseSitesArgs(args);
  return typeof parsed === 'string' ? parsed : { kind: 'sites', args: parsed };
}

// ---- tasks -------------------------------------------------------------------------------------

interface TasksArgs {
  readonly kind: 'tasks';
  readonly verb: 'list' | 'show';
  readonly taskId: number | null;
  readonly json: boolean;
}

function parseTasksArgs(args: string[]): TasksArgs | string {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const [verb, id, ...extra] = parsed.positionals;
  if (verb === 'list' && id === undefined) return { kind: 'tasks', verb, taskId: null, json: parsed.values.json };
  if (verb === 'show' && id !== undefined && extra.length === 0) {
    const taskId = Number(id);
    if (!(Number.isInteger(taskId) && taskId > 0)) return `"${id}" is not a task id`;
    return { kind: 'tasks', verb, taskId, json: parsed.values.json };
  }
  return 'tasks list [--json] | tasks show ID [--json]';
}

/** Where tasks are read: the server's contract or the data folder's database. */
interface TaskSource {
  list(): Promise<TaskSummary[]>;
  targets(taskId: number): Promise<TaskTarget[]>;
}

function remoteTasks(api: PushConsoleApi): TaskSource {
  return { list: () => api.invoke('tasks.list', {}), targets: (taskId) => api.invoke('tasks.targets', { taskId }) };
}

/** `pushctl tasks list|show` over the data folder's database (read only what is there: no database, no tasks). */
export async function runLocalTasks(args: string[], dataDir: string): Promise<number> {
  const parsed = parseTasksArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`pushctl tasks: ${parsed}\n`);
    return 2;
  }
  if (!fs.existsSync(path.join(dataDir, DATABASE_FILE_NAME))) return runTasks(parsed, { list: async () => [], targets: async () => [] });
  const db = openDatabase({ location: dataDir });
  try {
    const tasks = new TasksRepo(db);
    return await runTasks(parsed, { list: async () => tasks.list(), targets: async (taskId) => tasks.targets(taskId) });
  } catch (error) {
    return failWith(error);
  } finally {
    db.close();
  }
}

async function runTasks(a: TasksArgs, source: TaskSource): Promise<number> {
  const out = process.stdout;
  const list = await source.list();
  if (a.verb === 'list') {
    if (a.json) out.write(JSON.stringify(list, null, 2) + '\n');
    else out.write(list.length ? list.map(taskLine).join('\n') + '\n' : 'No tasks.\n');
    return 0;
  }
  const task = list.find((t) => t.id === a.taskId);
  if (!task) {
    process.stderr.write(`pushctl: there is no task ${a.taskId} (pushctl tasks list shows them) [not-found]\n`);
    return 1;
  }
  const targets = await source.targets(task.id);
  if (a.json) out.write(JSON.stringify({ task, targets }, null, 2) + '\n');
  else out.write([taskLine(task), ...targets.map(targetLines)].join('\n') + '\n');
  return 0;
}

/** One task: id, status, when, what, the tallies and its name. */
function taskLine(t: TaskSummary): string {
  const when = (t.startedAt ?? t.scheduledAt ?? t.createdAt).slice(0, 16).replace('T', ' ');
  const tallies = [`${t.targets} computer(s)`, `${t.succeeded} succeeded`, `${t.failed} failed`, ...(t.running ? [`${t.running} running`] : []), ...(t.waiting ? [`${t.waiting} waiting for credentials`] : []), ...(t.leftovers ? [`${t.leftovers} with leftovers`] : [])];
  return `#${String(t.id).padEnd(5)} ${t.status.padEnd(9)} ${when}  ${t.action} ${t.packageName ?? '?'} (${t.transport})  ${tallies.join(', ')}  "${t.name}"`;
}

/** One target: ✓/✗/· name, state, outcome with class and code, then message and advice of a failure. */
function targetLines(t: TaskTarget): string {
  const ok = t.outcome !== null && ENDED_OK.has(t.outcome);
  const mark = t.outcome === null ? '·' : ok ? '✓' : '✗';
  const what = t.outcome ?? `${t.state}${t.progress !== null ? ` ${t.progress}%` : ''}`;
  const lines = [`  ${mark} ${t.computerName.padEnd(24)} ${what}${t.errorClass && !ok ? ` (${t.errorClass}${t.errorCode ? ` ${t.errorCode}` : ''})` : ''}${t.transport ? `  ${t.transport}` : ''}${t.authMechanism ? `  ${t.authMechanism}` : ''}`];
  if (!ok && t.errorMessage) lines.push(`      ${t.errorMessage}`, `      → ${t.advice ?? ''}`);
  if (t.restart && t.restart !== 'not-needed') lines.push(`      restart: ${t.restart}${t.restartDetail ? `: ${t.restartDetail}` : ''}`);
  if (t.leftovers) lines.push(`      left on the computer: ${t.leftovers}`);
  return lines.join('\n');
}
