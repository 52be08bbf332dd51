// pushctl: the console's engine from a terminal, for automation and benchmarks
// (docs/ARCHITECTURE.md §10).
//   pushctl [--data DIR] diagnose <host[:port]>… [--user U] [--password-env VAR] [--json]
//   pushctl [--data DIR] push <host[:port]>… --msi FILE … (main/cli/push.ts)
//   pushctl [--data DIR] tasks list|show ID; pushctl [--data DIR] sites add|list|remove (main/cli/sites.ts);
//   pushctl --server URL --user NAME --password-env VAR … (main/cli/remote.ts)
// The password comes only from the environment variable named by --password-env (or, later, the
// keychain): never from the command line, where other users can read it.
import { parseArgs } from 'node:util';
import { resolveDataDir, DATA_DIR_ENV } from '../app/dataDir.js';
import { createConfSettingsBackend, createSettingsStore } from '../store/settings.js';
import type { SmbCredentials } from '../smb/session.js';
import { diagnose, parseTarget } from '../engine/diagnose.js';
import { lapsLogon } from '../engine/lapsLogon.js';
import { diagnoseReportText as line, type CliReport } from './diagnoseReport.js';
import { toIpcError } from '../ipc/errors.js';
import { LAPS_OPTIONS, LAPS_USAGE, parseLapsArgs, PUSH_USAGE, runPush, type LapsArgs } from './push.js';
import { LAB_USAGE, runLab } from './lab.js';
import { runServer, SERVER_USAGE } from './server.js';
import { runWorker, WORKER_USAGE } from './worker.js';
import { AUTH_OPTIONS, AUTH_USAGE, parseAuthArgs } from './authArgs.js';
import { REMOTE_USAGE, runLocalTasks, runRemote, takeRemoteOptions } from './remote.js';
import { runLocalSites, SITES_USAGE } from './sites.js';
import { KerberosLogon } from '../smb/auth/kerberos/logon.js';
import { kerberosSettings } from '../engine/kerberosLogons.js';
import { registerSecret } from '../smb/auth/secretRegistry.js';

const USAGE = `usage: pushctl [--data DIR] <command> … [--data DIR]

commands:
  diagnose <host[:port]>… [--user USER --password-env VAR | ${LAPS_USAGE}] ${AUTH_USAGE} [--json]
      Checks each computer without installing: reachable on TCP 445, SMB dialect, signing,
      encryption, names, OS version; with --user, authentication, whether ADMIN$ is writable and
      whether the Service Control Manager lets the account create services.
      USER is DOMAIN\\user, user@domain or a local user; the password is read from the
      environment variable VAR. With --laps, the same as each computer's own local
      Administrator, its LAPS password read first (the attribute and account found are shown).
      Exit code 0 when every check passed.
${PUSH_USAGE}${LAB_USAGE}${SERVER_USAGE}${WORKER_USAGE}${SITES_USAGE}${REMOTE_USAGE}
options:
  --data DIR   the console's data folder, before or after the command (default: ${DATA_DIR_ENV},
               else the app's own)
`;

async function runDiagnose(args: string[], dataDir: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { user: { type: 'string' }, 'password-env': { type: 'string' }, json: { type: 'boolean', default: false }, ...LAPS_OPTIONS, ...AUTH_OPTIONS },
  });
  if (positionals.length === 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  const laps = parseLapsArgs(values);
  if (typeof laps === 'string' || (laps && values.user !== undefined)) {
    process.stderr.write(`pushctl: ${typeof laps === 'string' ? laps : '--laps reads each computer\'s own password: give it instead of --user'}\n`);
    return 2;
  }
  const auth = parseAuthArgs(values);
  if (typeof auth === 'string') {
    process.stderr.write(`pushctl: ${auth}\n`);
    return 2;
  }
  const settings = { ...createSettingsStore(createConfSettingsBackend(dataDir)).get(), ...auth };
  let credentials: SmbCredentials | undefined;
  if (values.user !== undefined) {
    const variable = values['password-env'];
    if (!variable) {
      process.stderr.write('pushctl: --user needs --password-env VAR (the password is never taken from the command line)\n');
      return 2;
    }
    const password = process.env[variable];
    if (password === undefined) {
      process.stderr.write(`pushctl: the environment variable ${variable} is not set\n`);
      return 2;
    }
    registerSecret(password);
    const user = values.user;
    credentials = { user, password, ...(settings.authentication !== 'ntlm-only' ? { kerberos: new KerberosLogon(user, () => password, kerberosSettings(settings)) } : {}) };
  }
  const connectTimeoutMs = settings.connectTimeoutSeconds * 1000;
  const reports = await Promise.all(
    positionals.map((spec) =>
      laps
        ? diagnoseWithLaps(spec, laps, connectTimeoutMs, settings.encryptWhenSupported)
        : diagnose(parseTarget(spec), { ...(credentials ? { credentials } : {}), connectTimeoutMs, encryptWhenSupported: settings.encryptWhenSupported, auth: settings.authentication }),
    ),
  );
  if (values.json) process.stdout.write(JSON.stringify(reports, null, 2) + '\n');
  else process.stdout.write(reports.map(line).join('\n\n') + '\n');
  return reports.every((r) => r.ok) ? 0 : 1;
}

/** diagnose --laps: the computer's own LAPS password read first, then the checks as its local Administrator; a failed read is the report's error. */
async function diagnoseWithLaps(spec: string, laps: LapsArgs, connectTimeoutMs: number, encryptWhenSupported: boolean): Promise<CliReport> {
  const target = parseTarget(spec);
  const directory = { url: laps.connection.url, baseDn: laps.connection.baseDn, bindDn: laps.bindDn, password: laps.password, startTls: laps.connection.startTls, ...(laps.connection.caPem ? { ca: laps.connection.caPem } : {}) };
  try {
    const read = await lapsLogon(directory, { name: spec, address: target.host, port: target.port }, { connectTimeoutMs });
    const { secret } = read;
    const report = await diagnose(target, { credentials: read.credentials, connectTimeoutMs, encryptWhenSupported });
    return { ...report, laps: { attribute: secret.attribute, account: secret.account, expired: secret.expired, expiresAt: secret.expiresAt?.toISOString() ?? null, updatedAt: secret.updatedAt?.toISOString() ?? null, lookedUp: read.lookedUp } };
  } catch (error) {
    const report = await diagnose(target, { connectTimeoutMs, encryptWhenSupported });
    report.errors.unshift({ step: 'laps', ...toIpcError(error) });
    return { ...report, ok: false, laps: null };
  }
}

export async function main(argv: string[]): Promise<number> {
  // --server and its account before the command: the command runs through a Push Install Server (remote.ts).
  const remote = takeRemoteOptions(argv);
  if (remote.error) {
    process.stderr.write(`pushctl: ${remote.error}\n`);
    return 2;
  }
  const { values, positionals, tokens } = parseArgs({
    args: remote.rest,
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: { data: { type: 'string' }, help: { type: 'boolean' } },
  });
  const commandToken = tokens.find((t) => t.kind === 'positional');
  if (values.help || !commandToken) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  // --data is global but users type it after the command too (`pushctl push … --data DIR`).
  const after = takeDataOption(remote.rest.slice(commandToken.index + 1));
  if (after.error) {
    process.stderr.write(`pushctl: ${after.error}\n`);
    return 2;
  }
  const given = after.dataDir ?? (typeof values.data === 'string' ? values.data : undefined);
  const dataDir = given ?? resolveDataDir();
  const rest = after.rest;
  if (remote.options) return runRemote(positionals[0], rest, remote.options);
  switch (positionals[0]) {
    case 'tasks':
      return runLocalTasks(rest, dataDir);
    case 'sites':
      return runLocalSites(rest, dataDir);
    case 'diagnose':
      return runDiagnose(rest, dataDir);
    case 'push':
      return runPush(rest, dataDir);
    case 'lab':
      return runLab(rest);
    case 'server':
      return runServer(rest, dataDir);
    case 'worker':
      return runWorker(rest, dataDir);
    default:
      process.stderr.write(`pushctl: unknown command "${positionals[0]}"\n${USAGE}`);
      return 2;
  }
}

/** Takes `--data DIR` / `--data=DIR` out of a command's arguments (not after `--`); the last one wins. */
export function takeDataOption(args: readonly string[]): { dataDir?: string; rest: string[]; error?: string } {
  const rest: string[] = [];
  let dataDir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (arg === '--data') {
      const value = args[i + 1];
      if (value === undefined || value.startsWith('--')) return { rest, error: '--data needs a folder' };
      dataDir = value;
      i += 1;
    } else if (arg.startsWith('--data=')) {
      dataDir = arg.slice('--data='.length);
    } else {
      rest.push(arg);
    }
  }
  return { ...(dataDir !== undefined ? { dataDir } : {}), rest };
}
