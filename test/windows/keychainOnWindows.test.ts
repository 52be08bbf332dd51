// The console's keychain vault on Windows: its own openKeychainVault (main/engine/keychainVault.ts)
// over its node:sqlite database in %APPDATA%\Push Install Console, run on Windows Node under Wine
// with @napi-rs/keyring's win32 build, keeps a remembered password in Windows Credential Manager
// (Wine's): stored by one node.exe, read back by a second (a restart), and gone from Credential
// Manager — for the vault, for the library, and for Wine's own store — once a third has deleted the
// credential (docs/TESTING.md §4).
//
// What runs on node.exe: a tiny entry bundled here with esbuild as scripts/build.mjs bundles the
// console (the vault, the database, the data folder of main/ in the bundle), with @napi-rs/keyring
// left external and resolved, as in the installed console, from a node_modules laid out in the
// prefix: @napi-rs/keyring's own index.js and package.json, and @napi-rs/keyring-win32-x64-msvc
// (scripts/setup.sh fetches it into .cache/windows-keyring/<version>/ with npm pack).
//
// Beside that .node, and only here: two TEST-ONLY shims (test/support/wineShims/, built into this
// test's temp folder) for DLLs that every Windows 10/11 has and Debian 12's Wine 8 lacks
// (bcryptprimitives.dll's ProcessPrng; api-ms-win-core-synch-l1-2-0.dll's WaitOnAddress family).
// The keychain written to is the throwaway prefix's, never the developer's (the test runner's
// PUSHCONSOLE_KEYCHAIN=off does not reach node.exe, whose environment is Wine's alone). No network.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from '../support/childProcess.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { createWineNode, type WineNode, type WineNodeRun } from '../support/wineNode.js';
import { buildWineShims } from '../support/wineShims/index.js';
import { KEYCHAIN_SERVICE } from '../../main/engine/keychainVault.js';
import { DATABASE_FILE_NAME } from '../../main/store/database.js';

const KEYRING_DIR = path.join(REPO_ROOT, 'node_modules', '@napi-rs', 'keyring');
const KEYRING_VERSION = (JSON.parse(fs.readFileSync(path.join(KEYRING_DIR, 'package.json'), 'utf8')) as { version: string }).version;
const WIN32_PACKAGE = '@napi-rs/keyring-win32-x64-msvc';
const WIN32_BINDING = 'keyring.win32-x64-msvc.node';
/** Where scripts/setup.sh unpacks the win32 binding's package. */
const WIN32_CACHE = path.join(REPO_ROOT, '.cache', 'windows-keyring', KEYRING_VERSION);

// The entry node.exe runs, one operation per process, one JSON line out:
//   vault.mjs put LABEL USER   (the password from PIC_SECRET) | get ID | remove ID | list
//   vault.mjs raw-get REF       the keychain item itself, through the library, without the vault
//   vault.mjs raw-find          the account of every credential in Credential Manager (the library's
//                               findCredentials: CredEnumerateW; the prefix is fresh, so all are ours)
const ENTRY = `
import { createRequire } from 'node:module';
import { resolveDataDir } from './main/app/dataDir.js';
import { openDatabase } from './main/store/database.js';
import { KEYCHAIN_SERVICE, openKeychainVault } from './main/engine/keychainVault.js';

const [op, ...args] = process.argv.slice(2);
const out = { op, platform: process.platform };
if (op === 'raw-get' || op === 'raw-find') {
  const keyring = createRequire(import.meta.url)('@napi-rs/keyring');
  if (op === 'raw-get') {
    try {
      out.password = new keyring.Entry(KEYCHAIN_SERVICE, args[0]).getPassword();
    } catch (error) {
      out.password = null;
      out.error = error.message;
    }
  } else {
    // Filter '*': every credential. The library's own default, '*.<service>', puts the wildcard
    // first, which CredEnumerateW's filter (a prefix, then '*') does not take, and Wine finds nothing.
    out.found = keyring.findCredentials(KEYCHAIN_SERVICE, '*').map((c) => c.account).sort();
  }
} else {
  const dataDir = resolveDataDir();
  const db = openDatabase({ location: dataDir });
  try {
    const vault = openKeychainVault(db, { log: (line) => console.error(line) });
    Object.assign(out, { dataDir, storage: vault.storage, problem: vault.problem });
    if (op === 'put') out.id = vault.put(args[0], args[1], process.env.PIC_SECRET ?? '');
    else if (op === 'get') out.credential = vault.installCredential(Number(args[0]));
    else if (op === 'remove') vault.remove(Number(args[0]));
    else if (op !== 'list') throw new Error('unknown operation ' + op);
    out.list = vault.list();
    out.refs = db.prepare('SELECT id, secret_ref FROM credentials ORDER BY id').all().map((r) => ({ ...r }));
  } finally {
    db.close();
  }
}
console.log(JSON.stringify(out));
`;

interface EntryOut {
  op: string;
  platform: string;
  dataDir?: string;
  storage?: string;
  problem?: string | null;
  id?: number;
  credential?: { user: string; domain: string; password: string } | null;
  list?: { id: number; label: string; user: string; domain: string; available: boolean; storage: string; keeps: string }[];
  refs?: { id: number; secret_ref: string }[];
  password?: string | null;
  error?: string;
  found?: string[];
}

let node: WineNode;
let work: string;
/** The bundled entry, as node.exe sees it (C:\pic\vault.mjs). */
let entryWin: string;
const timings: string[] = [];

/** One operation on node.exe, which must exit 0 and print one JSON line. */
async function vault(op: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ out: EntryOut; run: WineNodeRun }> {
  const run = await node.run([entryWin, op, ...args], { env, timeoutMs: 60_000 });
  timings.push(`${op} ${run.ms} ms`);
  assert.equal(run.status, 0, `node.exe vault.mjs ${op} ${args.join(' ')}: exit ${run.status} ${run.signal ?? ''}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  const last = run.stdout.trim().split(/\r?\n/).pop() ?? '';
  return { out: JSON.parse(last) as EntryOut, run };
}

/** Wine's Credential Manager store (HKCU\Software\Wine\Credential Manager), as Wine's reg.exe lists it. */
async function credentialManagerKeys(): Promise<string> {
  const r = await node.wine.run('reg', ['query', 'HKCU\\Software\\Wine\\Credential Manager', '/s'], { timeoutMs: 60_000 });
  // reg.exe exits 1 when the key does not exist (nothing was ever stored): an empty store.
  assert.ok(r.status === 0 || r.status === 1, `reg query: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return r.status === 0 ? r.stdout : '';
}

function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const bytes = fs.readFileSync(file);
    if (bytes.includes(Buffer.from(needle, 'utf8')) || bytes.includes(Buffer.from(needle, 'utf16le'))) hits.push(file);
  }
  return hits;
}

before(async () => {
  const t0 = Date.now();
  const binding = path.join(WIN32_CACHE, WIN32_BINDING);
  if (!fs.existsSync(binding)) {
    throw new Error(`${binding} is missing: run bash scripts/setup.sh (it fetches ${WIN32_PACKAGE}@${KEYRING_VERSION} with npm pack)`);
  }
  work = makeTempDir('pic-winkeychain-');
  const shims = buildWineShims(work);
  const shimsBuilt = Date.now();
  node = await createWineNode();
  const booted = Date.now();

  // C:\pic: the entry, package.json and node_modules, as an installed console has them.
  const app = path.join(node.wine.driveC, 'pic');
  const keyringDir = path.join(app, 'node_modules', '@napi-rs', 'keyring');
  const win32Dir = path.join(app, 'node_modules', '@napi-rs', 'keyring-win32-x64-msvc');
  fs.mkdirSync(keyringDir, { recursive: true });
  // The console's package.json (main/app/product.ts finds the product's name and version in it).
  fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(app, 'package.json'));
  for (const file of ['package.json', 'index.js']) fs.copyFileSync(path.join(KEYRING_DIR, file), path.join(keyringDir, file));
  fs.cpSync(WIN32_CACHE, win32Dir, { recursive: true });
  for (const dll of shims) fs.copyFileSync(dll, path.join(win32Dir, path.basename(dll)));
  const entry = path.join(app, 'vault.mjs');
  await build({
    stdin: { contents: ENTRY, resolveDir: REPO_ROOT, sourcefile: 'keychainOnWindows-entry.mjs', loader: 'js' },
    outfile: entry,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    external: ['@napi-rs/keyring'],
    logLevel: 'error',
  });
  entryWin = node.paths.toWindows(entry);
  assert.equal(entryWin, 'C:\\pic\\vault.mjs');
  console.log(`# shims ${shimsBuilt - t0} ms, Wine prefix with Windows Node ${booted - shimsBuilt} ms, layout and bundle ${Date.now() - booted} ms`);
});

after(async () => {
  if (timings.length > 0) console.log(`# node.exe runs: ${timings.join(', ')}`);
  await node?.close();
  if (work) removeDir(work);
});

test('a remembered credential is kept in Windows Credential Manager: stored, read back after a restart, deleted with the credential', async () => {
  const password = `Win-${crypto.randomBytes(12).toString('hex')}!é`;
  const dataWin = `${node.appData.windows}\\Push Install Console`;
  const dataUnix = node.paths.toUnix(dataWin);
  assert.equal(await credentialManagerKeys(), '', 'a fresh prefix has nothing in Credential Manager');

  // (a) The vault of a first node.exe stores it.
  const put = (await vault('put', ['Domain admin', 'CORP\\pushadmin'], { PIC_SECRET: password })).out;
  assert.equal(put.platform, 'win32');
  assert.equal(put.problem, null, `the vault could not use Credential Manager: ${put.problem}`);
  assert.equal(put.storage, 'keychain');
  assert.equal(put.dataDir, dataWin, "the console's data folder on Windows");
  const id = put.id!;
  const ref = put.refs!.find((r) => r.id === id)!.secret_ref;
  assert.match(ref, /^keychain:[0-9a-f-]{36}$/);
  assert.deepEqual(put.list, [{ id, label: 'Domain admin', user: 'pushadmin', domain: 'CORP', available: true, storage: 'keychain', keeps: 'password' }]);
  assert.ok(fs.existsSync(path.join(dataUnix, DATABASE_FILE_NAME)), 'the database is in %APPDATA%\\Push Install Console');
  assert.deepEqual(filesContaining(dataUnix, password), [], 'the database keeps the reference, never the password');

  // In Credential Manager: CredEnumerateW finds this one credential (the vault's probe item is
  // gone), and Wine's own store holds it as a generic credential whose target is
  // "<ref>.<service>" and whose user name is the ref — keyring-rs's Windows naming.
  assert.deepEqual((await vault('raw-find')).out.found, [ref], 'one credential in Credential Manager: the one stored');
  const stored = await credentialManagerKeys();
  const target = `${ref}.${KEYCHAIN_SERVICE}`;
  assert.ok(stored.includes(`\\Generic: ${target}\r\n`) || stored.includes(`\\Generic: ${target}\n`), `Wine's Credential Manager holds the generic credential ${target}:\n${stored}`);
  assert.match(stored, new RegExp(`UserName\\s+REG_SZ\\s+${ref}\\s`));
  assert.ok(!stored.includes(password), 'and keeps the password encrypted');

  // (b) A second node.exe — the console restarted — reads it back, through the vault and by ref.
  const read = (await vault('get', [String(id)])).out;
  assert.equal(read.storage, 'keychain');
  assert.deepEqual(read.credential, { user: 'pushadmin', domain: 'CORP', password });
  assert.equal(read.list!.find((c) => c.id === id)!.available, true);
  assert.equal((await vault('raw-get', [ref])).out.password, password);

  // (c) A third deletes the credential; then it is gone for the vault, the library and Wine's store.
  const removed = (await vault('remove', [String(id)])).out;
  assert.deepEqual(removed.list, []);
  assert.deepEqual(removed.refs, []);
  // (@napi-rs/keyring 2.x: getPassword answers null for a missing item, it does not throw.)
  assert.deepEqual((await vault('raw-get', [ref])).out, { op: 'raw-get', platform: 'win32', password: null });
  assert.deepEqual((await vault('raw-find')).out.found, []);
  assert.deepEqual((await vault('list')).out.list, []);
  assert.ok(!(await credentialManagerKeys()).includes(ref), `Wine's Credential Manager store no longer names ${ref}`);
});
