// Windows Node under Wine, below the console: node.exe (the version of scripts/windowsNode.mjs)
// starts in a fresh win10 prefix, is the Windows build (process.platform win32), and its built-in
// node:sqlite keeps a WAL database in %APPDATA%\Push Install Console across processes — what the
// console's store needs on Windows (docs/TESTING.md §4).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createWineNode, winePaths, WINDOWS_NODE_VERSION, type WineNode } from '../support/wineNode.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';

let node: WineNode;
let work: string;

before(async () => {
  const t0 = Date.now();
  work = makeTempDir('pic-winnode-');
  node = await createWineNode();
  console.log(`# Wine prefix with Windows Node ready in ${Date.now() - t0} ms (${node.wine.prefix})`);
});

after(async () => {
  await node?.close();
  if (work) removeDir(work);
});

test(`node.exe ${WINDOWS_NODE_VERSION} starts under Wine and is the Windows build`, async (t) => {
  const script = 'console.log(JSON.stringify({ version: process.version, platform: process.platform, arch: process.arch, sep: require("node:path").sep, appData: process.env.APPDATA, execPath: process.execPath }))';
  const first = await node.run(['-e', script], { timeoutMs: 60_000 });
  assert.equal(first.status, 0, `node.exe exited ${first.status}:\n${first.stderr}`);
  const second = await node.run(['-e', script], { timeoutMs: 60_000 });
  assert.equal(second.status, 0, second.stderr);
  t.diagnostic(`node.exe start to exit: first ${first.ms} ms, second ${second.ms} ms`);
  const seen = JSON.parse(first.stdout) as { version: string; platform: string; arch: string; sep: string; appData: string; execPath: string };
  assert.equal(seen.version, `v${WINDOWS_NODE_VERSION}`);
  assert.equal(seen.platform, 'win32');
  assert.equal(seen.arch, 'x64');
  assert.equal(seen.sep, '\\');
  assert.equal(seen.appData, node.appData.windows, "node.exe's %APPDATA% is the prefix's");
  assert.equal(seen.execPath.toLowerCase(), node.exe.windows.toLowerCase(), 'node.exe runs from the setup.sh cache, seen through Z:');
  assert.ok(fs.existsSync(node.appData.unix), `${node.appData.unix} (the prefix's %APPDATA% on Linux) exists`);
});

test('paths: C: is the prefix drive_c, Z: is /, both ways; other drives and relative paths are refused', () => {
  const p = winePaths('/tmp/pfx/drive_c');
  assert.equal(p.toWindows('/tmp/pfx/drive_c/users/root/AppData/Roaming'), 'C:\\users\\root\\AppData\\Roaming');
  assert.equal(p.toWindows('/tmp/pfx/drive_c'), 'C:\\');
  assert.equal(p.toWindows('/work/main/dist/cli/pushctl.js'), 'Z:\\work\\main\\dist\\cli\\pushctl.js');
  assert.equal(p.toWindows('/tmp/pfx/drive_c_other/x'), 'Z:\\tmp\\pfx\\drive_c_other\\x');
  assert.equal(p.toUnix('c:\\users\\root'), '/tmp/pfx/drive_c/users/root');
  assert.equal(p.toUnix('C:\\'), '/tmp/pfx/drive_c');
  assert.equal(p.toUnix('Z:\\work\\main\\x y.txt'), '/work/main/x y.txt');
  assert.throws(() => p.toUnix('D:\\x'), /D: is not mapped/);
  assert.throws(() => p.toUnix('users\\root'), /not an absolute Windows path/);
});

test('the run is given its environment and folder; output is read from files; exit codes come through', async () => {
  const cwd = path.join(work, 'cwd');
  fs.mkdirSync(cwd);
  const r = await node.run(['-e', 'console.log(JSON.stringify({ cwd: process.cwd(), x: process.env.PIC_X, dataDir: process.env.PUSHCONSOLE_DATA_DIR ?? null, nodeOptions: process.env.NODE_OPTIONS ?? null })); console.error("to stderr"); process.exitCode = 7'], {
    env: { PIC_X: 'given' },
    cwd,
  });
  assert.equal(r.status, 7);
  assert.match(r.stderr, /to stderr/);
  const seen = JSON.parse(r.stdout) as { cwd: string; x: string; dataDir: string | null; nodeOptions: string | null };
  assert.equal(seen.cwd, node.paths.toWindows(cwd));
  assert.equal(node.paths.toUnix(seen.cwd), cwd);
  assert.equal(seen.x, 'given');
  assert.equal(seen.dataDir, null, "the test runner's own environment does not reach node.exe");
  assert.equal(seen.nodeOptions, null);
});

test('a node.exe past its timeout is killed by PID and the run rejects with its output so far', async () => {
  const t0 = Date.now();
  await assert.rejects(node.run(['-e', 'console.log("started"); setInterval(() => {}, 1000)'], { timeoutMs: 3_000 }), /still running after 3000 ms \(killed\)\nstdout:\nstarted/);
  assert.ok(Date.now() - t0 < 15_000);
  // The prefix still runs programs after the kill.
  const r = await node.run(['-e', 'console.log("ok")']);
  assert.equal(r.stdout.trim(), 'ok');
});

test('node:sqlite opens a WAL database in %APPDATA%\\Push Install Console, writes, closes, and a second process reads it back', async (t) => {
  const script = path.join(work, 'sqlite.cjs');
  fs.writeFileSync(
    script,
    `// Runs on Windows Node: argv[2] is "write" or "read".
const { DatabaseSync } = require('node:sqlite');
const fs = require('node:fs');
const path = require('node:path');
const dir = path.join(process.env.APPDATA, 'Push Install Console');
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, 'console.db');
const db = new DatabaseSync(file);
const mode = db.prepare('PRAGMA journal_mode=WAL').get().journal_mode;
const out = { file, mode };
if (process.argv[2] === 'write') {
  db.exec('CREATE TABLE tasks (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO tasks (name) VALUES (?)');
  db.exec('BEGIN');
  for (const name of ['Install 7-Zip', 'Réparer Office', 'Запуск']) insert.run(name);
  db.exec('COMMIT');
  out.walWhileOpen = fs.existsSync(file + '-wal');
} else {
  out.rows = db.prepare('SELECT id, name FROM tasks ORDER BY id').all().map((r) => ({ ...r }));
  out.integrity = db.prepare('PRAGMA integrity_check').get().integrity_check;
}
db.close();
out.walAfterClose = fs.existsSync(file + '-wal');
console.log(JSON.stringify(out));
`,
  );
  const scriptWin = node.paths.toWindows(script);
  assert.match(scriptWin, /^Z:\\/);

  const write = await node.run([scriptWin, 'write']);
  assert.equal(write.status, 0, `write: exit ${write.status}\n${write.stderr}`);
  const written = JSON.parse(write.stdout) as { file: string; mode: string; walWhileOpen: boolean; walAfterClose: boolean };
  assert.equal(written.mode, 'wal');
  assert.equal(written.file, `${node.appData.windows}\\Push Install Console\\console.db`);
  assert.equal(written.walWhileOpen, true, 'WAL mode keeps a -wal file while the database is open');
  assert.equal(written.walAfterClose, false, 'the last close checkpoints and removes the -wal file');

  // On Linux, the same file in the prefix: a SQLite 3 database whose header says WAL (bytes 18-19 = 2).
  const unixFile = node.paths.toUnix(written.file);
  assert.equal(unixFile, path.join(node.appData.unix, 'Push Install Console', 'console.db'));
  const header = fs.readFileSync(unixFile).subarray(0, 20);
  assert.equal(header.subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
  assert.deepEqual([header[18], header[19]], [2, 2], 'file format read/write versions 2: WAL');

  const read = await node.run([scriptWin, 'read']);
  assert.equal(read.status, 0, `read: exit ${read.status}\n${read.stderr}`);
  const back = JSON.parse(read.stdout) as { mode: string; rows: { id: number; name: string }[]; integrity: string };
  assert.equal(back.mode, 'wal', 'the journal mode persists in the file');
  assert.deepEqual(back.rows, [
    { id: 1, name: 'Install 7-Zip' },
    { id: 2, name: 'Réparer Office' },
    { id: 3, name: 'Запуск' },
  ]);
  assert.equal(back.integrity, 'ok');
  t.diagnostic(`sqlite write ${write.ms} ms, read ${read.ms} ms`);
});
