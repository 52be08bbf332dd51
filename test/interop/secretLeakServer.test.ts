// The leak test in server mode: one session against a real PostgreSQL (test/support/postgres.ts)
// and `pushctl server` as its own process (its own data folder, stdout and stderr into a log
// file), the simulated lab in another (`pushctl lab` with a unique administrator password; one
// host whose msiexec fails, two that refuse the logon). An operator remembers the Windows password
// and an NT-hash-only credential, tests them, diagnoses and pushes twice (as the account and as
// SYSTEM); a wrong password is tried for a server account (the client and pushctl); pushctl
// --server runs push, diagnose, tasks list and tasks show with --json. Afterwards none of the
// secrets — the Windows password (UTF-8, UTF-16LE, base64 of both, URL-encoded, NT hash as bytes
// and hex), the server accounts' passwords and the wrong one, the database URL's password — may
// be found in any column of any table (bytea read as bytes), the PostgreSQL cluster's files after
// CHECKPOINT (heap and WAL) nor its log, any file of the server's data folder (the key file
// excepted; it must be 32 bytes equal to no secret), the server's stdout/stderr, any result,
// error or event the consoles received, the logs ZIP inflated, nor pushctl's outputs and data
// folder. Each scan must find a canary (a value known to be stored or sent), so a scan that read
// nothing fails. Addresses 127.0.5.0/24 only: server and PostgreSQL on 127.0.5.1, the lab from
// 127.0.5.11 (docs/TESTING.md §6).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { REPO_ROOT, runCaptured, type CapturedRun } from '../support/childProcess.js';
import { startLabProcess, until, type LabProcess } from '../support/labProcess.js';
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js';
import { joinSecrets, scanFolder, secretForms, secretHits, type SecretForms } from '../support/secretSearch.js';
import { recordApi, type RecordedApi } from '../support/recordedConsole.js';
import { connect, signIn, type ServerConnection } from '../../main/serverMode/serverClient.js';
import { openPgStore } from '../../main/store/pg/pgDatabase.js';
import { UsersRepo } from '../../main/serverMode/users.js';
import { KEY_FILE_NAME } from '../../main/serverMode/serverVault.js';
import { ntHash } from '../../main/smb/auth/ntlm/client.js';
import type { JsonTarget } from '../../main/cli/push.js';
import type { TaskSummary, TaskTarget } from '../../main/ipc/contract.js';
import { ConsoleError, toIpcError } from '../../main/ipc/errors.js';

const HOST = '127.0.5.1';
const LAB_FIRST = '127.0.5.11';
const LAB_PORT = 14551;
const DEMO_MSI = path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi');
const unique = () => crypto.randomBytes(9).toString('base64url');
/** The Windows administrator's password: distinctive, with characters a URL or JSON would escape. */
const WINDOWS_PASSWORD = `Srv-Leak-${unique()}#%${crypto.randomInt(1e9)}`;
const ACCOUNTS = {
  admin: { role: 'administrator', password: `adm-${unique()}-pw` },
  op: { role: 'operator', password: `op-${unique()}-pw` },
  view: { role: 'viewer', password: `view-${unique()}-pw` },
} as const;
const WRONG_PASSWORD = `wrong-${unique()}-pw`;
/** Canaries: values that are stored and sent, so every scan must find them. */
const LABEL = `Leak canary ${unique()}`;
const HASH_LABEL = `Leak hash canary ${unique()}`;

let postgres: RunningPostgres;
let root: string;
let lab: LabProcess;
let server: ServerProcess | null = null;
const connections: ServerConnection[] = [];

before(async () => {
  postgres = await startPostgres({ host: HOST });
  root = makeTempDir('pic-leak-server-');
  const profile = path.join(root, 'lab-profile.json');
  fs.writeFileSync(profile, JSON.stringify({ default: 'healthy', hosts: { 'LAB-PC-002': 'msi-1603', 'LAB-PC-003': 'wrong-credentials', 'LAB-PC-005': 'wrong-credentials' } }));
  lab = await startLabProcess(5, LAB_FIRST, LAB_PORT, 200, { profile, password: WINDOWS_PASSWORD });
});

after(async () => {
  for (const c of connections) c.close();
  await server?.stop();
  await lab?.stop();
  await postgres?.stop();
  if (root) removeDir(root);
});

interface DbScan {
  hits: string[];
  tables: number;
  columns: number;
  values: number;
  byteaBytes: number;
  canary: string[];
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Every column of every table (and view) outside PostgreSQL's own schemas, value by value: bytea as its bytes, the rest as text. */
async function scanDatabase(url: string, secret: SecretForms, canary: string): Promise<DbScan> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: columns } = await client.query<{ table_schema: string; table_name: string; column_name: string; data_type: string }>(
      `SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns
       WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg_toast%'
       ORDER BY table_schema, table_name, ordinal_position`,
    );
    const scan: DbScan = { hits: [], tables: new Set(columns.map((c) => `${c.table_schema}.${c.table_name}`)).size, columns: columns.length, values: 0, byteaBytes: 0, canary: [] };
    const needle = Buffer.from(canary, 'utf8');
    for (const c of columns) {
      const bytea = c.data_type === 'bytea';
      const { rows } = await client.query<{ v: Buffer | string | null }>(`SELECT ${ident(c.column_name)}${bytea ? '' : '::text'} AS v FROM ${ident(c.table_schema)}.${ident(c.table_name)}`);
      const where = `${c.table_schema}.${c.table_name}.${c.column_name}`;
      for (const { v } of rows) {
        if (v === null) continue;
        const data = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
        scan.values += 1;
        if (bytea) scan.byteaBytes += data.length;
        for (const hit of secretHits(secret, data)) scan.hits.push(`${where}: ${hit}`);
        if (data.includes(needle) && !scan.canary.includes(where)) scan.canary.push(where);
      }
    }
    // Large objects too (none expected), as bytes.
    for (const { data } of (await client.query<{ data: Buffer }>('SELECT data FROM pg_largeobject')).rows) {
      scan.byteaBytes += data.length;
      for (const hit of secretHits(secret, data)) scan.hits.push(`pg_largeobject: ${hit}`);
    }
    return scan;
  } finally {
    await client.end();
  }
}

test('server mode: no secret in the database, the cluster, the server\'s data folder and output, anything a console received, nor pushctl --json', async (t) => {
  // ---- the database, the accounts, the server process ----
  const dbUrl = await postgres.createDatabase('leak');
  const store = await openPgStore({ url: dbUrl });
  const users = new UsersRepo(store);
  for (const [name, a] of Object.entries(ACCOUNTS)) await users.add(name, a.role, a.password);
  store.close();

  const secret = joinSecrets(
    secretForms(WINDOWS_PASSWORD, 'Windows password'),
    ...Object.entries(ACCOUNTS).map(([name, a]) => secretForms(a.password, `server account ${name}'s password`)),
    secretForms(WRONG_PASSWORD, 'the wrong server password'),
    secretForms(postgres.password, 'the database URL\'s password'),
  );
  const nt = ntHash(WINDOWS_PASSWORD);

  const agent = path.join(root, 'PushInstallAgent.exe');
  fs.writeFileSync(agent, crypto.randomBytes(32 * 1024));
  const dataDir = path.join(root, 'server-data');
  const serverLog = path.join(root, 'server.log');
  const running = await startServerProcess(dbUrl, dataDir, HOST, agent, { logFile: serverLog, rendererRoot: root });
  server = running;
  const address = { url: server.url, fingerprint: server.fingerprint };
  const recorded: RecordedApi[] = [];
  const as = async (user: keyof typeof ACCOUNTS): Promise<RecordedApi> => {
    const connection = await connect(await signIn(address, user, ACCOUNTS[user].password));
    connections.push(connection);
    const r = recordApi(connection.api);
    recorded.push(r);
    return r;
  };

  // ---- a wrong password for a server account ----
  const refused = await signIn(address, 'op', WRONG_PASSWORD).then(() => null, (error: unknown) => error);
  assert.ok(refused instanceof ConsoleError && refused.errorClass === 'logon-failed', String(refused));
  const wrongErrors = [JSON.stringify({ error: toIpcError(refused) })];

  // ---- the operator's session ----
  await (await as('admin')).api.invoke('settings.update', { simulatedLab: false, connectTimeoutSeconds: 2, agentCallbackTimeoutSeconds: 10, callbackAddress: HOST });
  const { api } = await as('op');
  const byName = new Map(lab.hosts.map((h) => [h.name, `${h.address}:${lab.port}`]));
  const spec = (name: string) => byName.get(name)!;
  const names = ['LAB-PC-001', 'LAB-PC-002', 'LAB-PC-003'];
  const added = (await api.invoke('computers.add', { entries: names.map(spec) })).added;
  assert.equal(added.length, 3);
  const computerIds = added.map((c) => c.id);
  /** The lab's name of a computer as the server lists it (by its address). */
  const labName = (computerName: string) => lab.hosts.find((h) => computerName === h.address || computerName.startsWith(`${h.address}:`))?.name;
  const nameOfId = new Map(added.map((c) => [c.id, labName(c.name)]));
  assert.deepEqual([...nameOfId.values()], names);
  const credential = await api.invoke('credentials.set', { label: LABEL, user: lab.account.user, password: WINDOWS_PASSWORD, remember: true });
  const hashOnly = await api.invoke('credentials.set', { label: HASH_LABEL, user: lab.account.user, password: WINDOWS_PASSWORD, remember: true, keep: 'nt-hash' });
  assert.equal(hashOnly.keeps, 'nt-hash');
  const pkg = await api.invoke('packages.create', { name: 'Leak demo (server)', msiPath: DEMO_MSI, parameters: 'REBOOT=ReallySuppress', runAs: 'admin' });

  for (const id of [credential.id, hashOnly.id]) {
    const checks = await api.invoke('credentials.test', { credentialId: id, computerIds });
    const byHost = new Map(checks.map((c) => [nameOfId.get(c.computerId), c]));
    assert.equal(byHost.get('LAB-PC-001')?.ok, true, JSON.stringify(checks));
    assert.equal(byHost.get('LAB-PC-003')?.ok, false, 'the host with another password refuses the logon');
  }
  await api.invoke('computers.diagnose', { ids: computerIds, credentialId: credential.id });

  const taskIds: number[] = [];
  for (const [runAs, cred] of [['admin', credential.id], ['system', hashOnly.id]] as const) {
    const { taskId } = await api.invoke('tasks.create', { name: `Leak ${runAs}`, packageId: pkg.id, scheduledAt: null, runAs, targets: computerIds.map((computerId) => ({ computerId, credentialId: cred })) });
    taskIds.push(taskId);
    const targets = await until(`task ${taskId} (${runAs}) to end`, 90_000, async () => {
      const all = await api.invoke('tasks.targets', { taskId });
      return all.every((x) => x.state === 'done') && all;
    });
    const outcome = (name: string) => targets.find((x) => labName(x.computerName) === name);
    assert.equal(outcome('LAB-PC-001')?.outcome, 'succeeded', JSON.stringify(targets));
    assert.equal(outcome('LAB-PC-002')?.errorClass, 'msi-failed');
    assert.equal(outcome('LAB-PC-003')?.errorClass, 'logon-failure');
    for (const target of targets) {
      await api.invoke('targets.log', { targetId: target.id });
      await api.invoke('targets.msiLog', { targetId: target.id });
    }
    await api.invoke('history.exportCsv', { taskId });
    const zip = await api.invoke('history.exportLogs', { taskId });
    const zipFile = path.join(root, `logs-${taskId}.zip`);
    fs.writeFileSync(zipFile, Buffer.from(zip.base64, 'base64'));
    const unzipped = spawnSync('unzip', ['-p', zipFile], { maxBuffer: 64 * 1024 * 1024 });
    fs.rmSync(zipFile);
    assert.equal(unzipped.status, 0, String(unzipped.stderr));
    assert.ok(unzipped.stdout.includes(Buffer.from(lab.hosts[1]!.address)), 'canary: the inflated logs name the failing host');
    assert.deepEqual(secretHits(secret, unzipped.stdout), [], `the logs ZIP of task ${taskId} (inflated)`);
  }
  for (const channel of ['credentials.list', 'tasks.list', 'computers.list', 'packages.list', 'app.info', 'settings.get'] as const) await api.invoke(channel, {});
  const adminApi = (await as('admin')).api;
  await adminApi.invoke('audit.list', { limit: 500 });
  await adminApi.invoke('audit.exportCsv', {});

  // ---- pushctl --server: push, diagnose, tasks list and show (--json), a wrong password ----
  const cliData = path.join(root, 'cli-data');
  const cliRuns: { what: string; run: CapturedRun }[] = [];
  const pushctl = async (what: string, user: keyof typeof ACCOUNTS, args: readonly string[], serverPassword: string = ACCOUNTS[user].password): Promise<CapturedRun> => {
    const run = await runCaptured(
      process.execPath,
      ['--import', 'tsx', 'main/cli/entry.ts', '--data', cliData, '--server', running.url, '--user', user, '--password-env', 'PIC_SERVER_PASSWORD', '--fingerprint', running.fingerprint, ...args],
      { ...process.env, PUSHCONSOLE_KEYCHAIN: 'off', PIC_SERVER_PASSWORD: serverPassword, PIC_LAB_PASSWORD: WINDOWS_PASSWORD },
    );
    cliRuns.push({ what, run });
    return run;
  };
  const windowsAccount = ['--user', lab.account.user, '--password-env', 'PIC_LAB_PASSWORD'];
  const wrong = await pushctl('tasks list, a wrong password', 'op', ['tasks', 'list', '--json'], WRONG_PASSWORD);
  assert.equal(wrong.status, 3, wrong.stderr);
  assert.match(wrong.stderr, /\[logon-failed\]/);
  const push = await pushctl('push --json', 'op', ['push', spec('LAB-PC-004'), spec('LAB-PC-005'), '--package', pkg.name, ...windowsAccount, '--json']);
  assert.equal(push.status, 1, `one of two fails: ${push.stdout}\n${push.stderr}`);
  const pushed = JSON.parse(push.stdout) as { taskId: number; targets: JsonTarget[] };
  assert.deepEqual(pushed.targets.map((x) => x.errorClass ?? x.outcome).sort(), ['logon-failure', 'succeeded'], push.stdout.slice(0, 2000));
  const diagnose = await pushctl('diagnose --json', 'op', ['diagnose', spec('LAB-PC-001'), spec('LAB-PC-003'), ...windowsAccount, '--json']);
  assert.ok(diagnose.status === 0 || diagnose.status === 1, diagnose.stderr);
  assert.ok(JSON.parse(diagnose.stdout), 'diagnose printed JSON');
  const list = await pushctl('tasks list --json', 'view', ['tasks', 'list', '--json']);
  assert.equal(list.status, 0, list.stderr);
  assert.equal((JSON.parse(list.stdout) as TaskSummary[]).length, 3);
  for (const taskId of [...taskIds, pushed.taskId]) {
    const show = await pushctl(`tasks show ${taskId} --json`, 'view', ['tasks', 'show', String(taskId), '--json']);
    assert.equal(show.status, 0, show.stderr);
    assert.ok((JSON.parse(show.stdout) as { targets: TaskTarget[] }).targets.length >= 2);
  }
  const credentials = await api.invoke('credentials.list', {});
  assert.deepEqual(credentials.map((c) => c.label).sort(), [HASH_LABEL, LABEL].sort(), 'pushctl\'s own credentials are removed after its runs');

  // ---- the scans ----
  // The database while the server runs, then the cluster's files once its pages are written out.
  const db = await scanDatabase(dbUrl, secret, LABEL);
  assert.deepEqual(db.hits, [], 'the database\'s tables');
  assert.ok(db.canary.some((w) => w.endsWith('credentials.label')), `canary: the credential's label read from the database (${db.canary.join(', ')})`);
  assert.ok(db.byteaBytes > 0, 'bytea read (the encrypted secrets)');
  t.diagnostic(`database: ${db.tables} tables, ${db.columns} columns, ${db.values} values (${db.byteaBytes} bytes of bytea); canary in ${db.canary.join(', ')}`);

  for (const c of connections) c.close();
  for (const r of recorded) r.stop();
  await running.stop();
  const checkpoint = new pg.Client({ connectionString: dbUrl });
  await checkpoint.connect();
  await checkpoint.query('CHECKPOINT');
  await checkpoint.end();
  const cluster = scanFolder(secret, postgres.dataDir, { canary: LABEL });
  assert.deepEqual(cluster.hits, [], 'the PostgreSQL cluster\'s files (heap, WAL)');
  assert.ok(cluster.canary.length > 0, 'canary: the credential\'s label in the cluster\'s files');
  assert.deepEqual(secretHits(secret, postgres.log()), [], 'PostgreSQL\'s log');
  assert.match(postgres.log(), /ready to accept connections/, 'canary: PostgreSQL\'s log read');
  t.diagnostic(`cluster: ${cluster.files} files, ${(cluster.bytes / 2 ** 20).toFixed(1)} MiB; canary in ${cluster.canary.length} (${cluster.canary.slice(0, 4).join(', ')})`);

  // The server's data folder (all but its key file) and what it printed.
  const keyFile = path.join(dataDir, KEY_FILE_NAME);
  const key = fs.readFileSync(keyFile);
  assert.equal(key.length, 32);
  assert.ok(secret.forms.every((f) => !f.bytes.equals(key) && !key.includes(f.bytes)) && !key.equals(nt), 'the key file is no secret');
  const folder = scanFolder(secret, dataDir, { skip: (file) => file === keyFile, canary: 'CERTIFICATE' });
  assert.deepEqual(folder.hits, [], 'the server\'s data folder');
  assert.ok(folder.canary.length > 0, 'canary: the certificate read from the data folder');
  t.diagnostic(`server data folder: ${folder.files} files, ${folder.bytes} bytes (${fs.readdirSync(dataDir, { recursive: true }).join(', ')})`);
  const output = fs.readFileSync(serverLog);
  assert.deepEqual(secretHits(secret, output), [], 'the server\'s stdout and stderr');
  assert.ok(output.includes(server.fingerprint) && output.includes('Push Install Server stopped.'), `canary: the server's output read whole:\n${output.toString()}`);

  // Everything the consoles received.
  const results = [...recorded.flatMap((r) => r.results), ...wrongErrors];
  const events = recorded.flatMap((r) => r.events);
  const inText = (list: string[]) => list.flatMap((text) => secretHits(secret, text).map((hit) => `${hit} in ${text.slice(0, 300)}`));
  assert.deepEqual(inText(results), [], 'API results and errors');
  assert.deepEqual(inText(events), [], 'API events');
  assert.ok(results.some((r) => r.includes(LABEL)) && results.some((r) => r.includes(HASH_LABEL)), 'canary: the labels in the results');
  assert.ok(events.some((e) => e.includes('task.progress')) && events.some((e) => e.includes(lab.hosts[1]!.address)), 'canary: events about the pushes');

  // pushctl's outputs and data folder.
  for (const { what, run } of cliRuns) {
    assert.deepEqual(secretHits(secret, run.stdout), [], `pushctl ${what}: stdout`);
    assert.deepEqual(secretHits(secret, run.stderr), [], `pushctl ${what}: stderr`);
  }
  assert.ok(push.stdout.includes(lab.hosts[3]!.address) && diagnose.stdout.includes(lab.hosts[2]!.address), 'canary: pushctl\'s JSON names the hosts');
  const cli = fs.existsSync(cliData) ? scanFolder(secret, cliData) : { hits: [], files: 0, bytes: 0 };
  assert.deepEqual(cli.hits, [], 'pushctl\'s data folder');

  t.diagnostic(
    `searched ${secret.forms.length} forms of ${2 + Object.keys(ACCOUNTS).length + 1} secrets in ${results.length} results, ${events.length} events, ` +
      `${cliRuns.length} pushctl runs (${cli.files} files in its data folder), ${output.length} bytes of server output`,
  );
});
