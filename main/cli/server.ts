// pushctl server: the Push Install Server and its accounts (docs/SERVER.md).
//   pushctl server --db URL [--listen HOST:PORT] [--data DIR] [--package-port N] [--kek file|keychain]
//   pushctl server user add NAME --role administrator|operator|viewer --password-env VAR --db URL
//   pushctl server user list --db URL [--json]
//   pushctl server user set-role NAME --role ROLE --db URL
//   pushctl server user set-password NAME --password-env VAR --db URL
//   pushctl server user disable|enable|remove NAME --db URL
// The database URL may also come from PUSHSERVER_DB (a password in a URL on the command line is
// visible to other users of the computer: prefer the environment or ~/.pgpass).
import { parseArgs } from 'node:util';
import { rendererDir } from '../app/product.js';
import { toIpcError } from '../ipc/errors.js';
import { openPgStore } from '../store/pg/pgDatabase.js';
import { registerSecret, redact } from '../smb/auth/secretRegistry.js';
import { startPushServer } from '../serverMode/server.js';
import { isRole, UsersRepo } from '../serverMode/users.js';
import { AuditRepo } from '../serverMode/audit.js';
import { takeStopSignals } from '../browser/stopSignals.js';
import os from 'node:os';

export const SERVER_USAGE = `  server --db URL [--listen HOST:PORT] [--package-port N] [--kek file|keychain] [--renderer DIR] [--workers [--no-worker] [--lease-ms N]]
      Runs the Push Install Server: the engine and package server over a shared PostgreSQL
      database, and the console over HTTPS at https://HOST:PORT/ (default 0.0.0.0:8443) for
      server accounts. Its certificate and key-encryption key are made in the data folder on
      first run. URL may come from PUSHSERVER_DB instead. --renderer: the built console to serve
      (default dist/renderer, made by npm run build).
  server user add NAME --role administrator|operator|viewer --password-env VAR --db URL
  server user list|set-role NAME --role R|set-password NAME --password-env VAR|disable NAME|enable NAME|remove NAME --db URL
      The server's accounts (passwords hashed with scrypt; at least 12 characters).
`;

export const DEFAULT_LISTEN = '0.0.0.0:8443';

/** HOST:PORT, [v6]:PORT or PORT. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--listen must be HOST:PORT (e.g. ${DEFAULT_LISTEN}), not "${text}"`);
  return { host: m[1] || m[2] || '0.0.0.0', port };
}

function fail(message: string, code = 2): number {
  process.stderr.write(`pushctl server: ${redact(message)}\n`);
  return code;
}

export async function runServer(args: string[], dataDir: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      listen: { type: 'string' },
      'package-port': { type: 'string' },
      kek: { type: 'string' },
      renderer: { type: 'string' },
      role: { type: 'string' },
      'password-env': { type: 'string' },
      json: { type: 'boolean', default: false },
      workers: { type: 'boolean', default: false },
      'no-worker': { type: 'boolean', default: false },
      'lease-ms': { type: 'string' },
    },
  });
  const dbUrl = values.db ?? process.env.PUSHSERVER_DB;
  if (!dbUrl) return fail('--db postgres://USER@HOST:PORT/DATABASE is required (or PUSHSERVER_DB)');
  const dbPassword = (() => {
    try {
      return decodeURIComponent(new URL(dbUrl).password);
    } catch {
      return '';
    }
  })();
  if (dbPassword) registerSecret(dbPassword);
  try {
    if (positionals[0] === 'user') return await runUserCommand(positionals.slice(1), values, dbUrl);
    if (positionals.length > 0) return fail(`unknown server command "${positionals.join(' ')}"`);
    return await runServerProcess(values, dbUrl, dataDir);
  } catch (error) {
    const e = toIpcError(error);
    return fail(`${e.message}${e.advice ? ` ${e.advice}` : ''} [${e.class}]`, 3);
  }
}

async function runUserCommand(positionals: string[], values: { role?: string | undefined; 'password-env'?: string | undefined; json?: boolean | undefined }, dbUrl: string): Promise<number> {
  const [verb, name] = positionals;
  const db = await openPgStore({ url: dbUrl });
  try {
    const users = new UsersRepo(db);
    const audit = new AuditRepo(db);
    // Changes from the server's own command line are audited as the OS account that made them.
    const who = `${os.userInfo().username}@${os.hostname()} (pushctl)`;
    const password = (): string => {
      const variable = values['password-env'];
      if (!variable) throw new Error('--password-env VAR is required: the password is read from that environment variable, never from the command line');
      const value = process.env[variable];
      if (!value) throw new Error(`the environment variable ${variable} is empty or not set`);
      registerSecret(value);
      return value;
    };
    const existing = () => {
      if (!name) throw new Error(`server user ${verb} needs the account's NAME`);
      const user = users.find(name);
      if (!user) throw new Error(`there is no server account named "${name}"`);
      return user;
    };
    switch (verb) {
      case 'add': {
        if (!name) return fail('server user add NAME --role ROLE --password-env VAR');
        if (!isRole(values.role)) return fail('--role must be administrator, operator or viewer');
        const user = await users.add(name, values.role, password());
        audit.record({ user: who, address: null, action: 'users.add', ids: [user.id], detail: { name: user.name, role: user.role } });
        process.stdout.write(`Added server account ${user.name} (${user.role}).\n`);
        return 0;
      }
      case 'list': {
        const list = users.list();
        if (values.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
        else process.stdout.write(list.map((u) => `${u.name}\t${u.role}${u.disabled ? '\tdisabled' : ''}`).join('\n') + (list.length ? '\n' : 'No server accounts yet: pushctl server user add NAME --role administrator --password-env VAR\n'));
        return 0;
      }
      case 'set-role': {
        if (!isRole(values.role)) return fail('--role must be administrator, operator or viewer');
        const user = users.setRole(existing().id, values.role);
        audit.record({ user: who, address: null, action: 'users.setRole', ids: [user.id], detail: { name: user.name, role: user.role } });
        process.stdout.write(`${user.name} is now ${user.role}.\n`);
        return 0;
      }
      case 'set-password': {
        const user = existing();
        await users.setPassword(user.id, password());
        audit.record({ user: who, address: null, action: 'users.setPassword', ids: [user.id], detail: { name: user.name } });
        process.stdout.write(`Password of ${user.name} changed.\n`);
        return 0;
      }
      case 'disable':
      case 'enable': {
        const user = users.setDisabled(existing().id, verb === 'disable');
        audit.record({ user: who, address: null, action: verb === 'disable' ? 'users.disable' : 'users.enable', ids: [user.id], detail: { name: user.name } });
        process.stdout.write(`${user.name} is ${verb}d.\n`);
        return 0;
      }
      case 'remove': {
        const user = existing();
        users.remove(user.id);
        audit.record({ user: who, address: null, action: 'users.remove', ids: [user.id], detail: { name: user.name } });
        process.stdout.write(`Removed server account ${user.name}.\n`);
        return 0;
      }
      default:
        return fail(`unknown server user command "${verb ?? ''}"`);
    }
  } finally {
    db.close();
  }
}

async function runServerProcess(
  values: { listen?: string | undefined; 'package-port'?: string | undefined; kek?: string | undefined; renderer?: string | undefined; workers?: boolean | undefined; 'no-worker'?: boolean | undefined; 'lease-ms'?: string | undefined },
  dbUrl: string,
  dataDir: string,
): Promise<number> {
  const { host, port } = parseListen(values.listen ?? DEFAULT_LISTEN);
  const packagePort = values['package-port'] === undefined ? undefined : Number(values['package-port']);
  if (packagePort !== undefined && (!Number.isInteger(packagePort) || packagePort < 0 || packagePort > 65535)) return fail('--package-port must be 0..65535');
  const kek = values.kek ?? 'file';
  if (kek !== 'file' && kek !== 'keychain') return fail('--kek must be file or keychain');
  const leaseMs = values['lease-ms'] === undefined ? undefined : Number(values['lease-ms']);
  if (leaseMs !== undefined && (!Number.isInteger(leaseMs) || leaseMs < 300)) return fail('--lease-ms must be a whole number of milliseconds, at least 300');
  const workers = values.workers || values['no-worker'] ? { ownWorker: !values['no-worker'], ...(leaseMs !== undefined ? { leaseMs } : {}) } : undefined;
  const server = await startPushServer({
    dbUrl, host, port, dataDir, rendererDir: values.renderer ?? rendererDir(), kek,
    ...(packagePort !== undefined ? { packagePort } : {}),
    ...(workers ? { workers } : {}),
    log: (line) => console.log(redact(line)),
  });
  const accounts = new UsersRepo(server.db).count();
  // Lines a script can read (the tests do), then what the admin reads.
  console.log(`PUSHSERVER_URL=${server.url}`);
  console.log(`PUSHSERVER_FINGERPRINT=${server.certificate.fingerprint}`);
  console.log(`Push Install Server is listening at ${server.url} (certificate SHA-256 ${server.certificate.fingerprint}).`);
  console.log(`Data folder: ${dataDir}. ${server.engineActive() ? 'This server runs the pushes.' : 'Another server runs the pushes; this one takes over if it stops.'}`);
  if (accounts === 0) console.log('There are no server accounts yet: add one with  pushctl server user add NAME --role administrator --password-env VAR --db URL');
  return new Promise<number>((resolve) => {
    let stopping = false;
    takeStopSignals(() => {
      if (stopping) return;
      stopping = true;
      void server.close().then(
        () => {
          console.log('Push Install Server stopped.');
          resolve(0);
        },
        () => resolve(1),
      );
    });
  });
}
