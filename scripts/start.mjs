// The README's start command (npm start): installs the npm packages if needed, builds, then runs
// the console in Electron when its binary is present and a display is available; otherwise it
// says why in one line and runs the browser shell (same renderer, same services) instead.
//   npm start                       Electron, or the browser shell
//   npm start -- --browser          the browser shell even where Electron is present
//   npm start -- --port 8080 --no-open   browser-shell options
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinaryPath } from './electronBinary.mjs';
import { consoleCrashReportDir, superviseConsole } from './startExit.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Why Electron cannot run here, or null when it can. */
function electronUnavailable() {
  if (args.includes('--browser')) return 'the browser shell was asked for (--browser)';
  if (!electronBinaryPath()) {
    return 'the Electron binary is not installed (npm installs the electron package without it where its download is unreachable)';
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'there is no display (DISPLAY/WAYLAND_DISPLAY unset)';
  }
  return null;
}

/**
 * better-sqlite3 is compiled per ABI: the copy in node_modules serves plain Node (tests, CLI,
 * browser shell); Electron gets its own build under dist/native, passed by environment variable.
 */
function electronSqliteBinding(electronVersion) {
  const target = path.join(root, 'dist', 'native', `electron-${electronVersion}`, 'better_sqlite3.node');
  if (fs.existsSync(target)) return target;
  const work = fs.mkdtempSync(path.join(root, 'dist', 'native-build-'));
  fs.cpSync(path.join(root, 'node_modules', 'better-sqlite3'), work, { recursive: true });
  console.log(`Building better-sqlite3 for Electron ${electronVersion} (once)…`);
  run('npx', ['node-gyp', 'rebuild', '--release', `--directory=${work}`, `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers']);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(path.join(work, 'build', 'Release', 'better_sqlite3.node'), target);
  fs.rmSync(work, { recursive: true, force: true });
  return target;
}

run('bash', ['scripts/setup.sh', '--npm']);
run(process.execPath, ['scripts/build.mjs']);

const why = electronUnavailable();
let child;
if (why === null) {
  const electronVersion = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8')).version;
  const binding = electronSqliteBinding(electronVersion);
  child = spawn(electronBinaryPath(), [root], { cwd: root, stdio: 'inherit', env: { ...process.env, PUSHCONSOLE_SQLITE_BINDING: binding } });
} else {
  console.log(`Starting the browser shell instead of Electron: ${why}.`);
  const shellArgs = args.filter((a) => a !== '--browser');
  child = spawn(process.execPath, [path.join(root, 'dist/browser/main.js'), ...shellArgs], { cwd: root, stdio: 'inherit' });
}
// SIGINT/SIGTERM are passed on; a console that crashes, fails or is killed is said so, not exit 0.
superviseConsole(child, { crashReportDir: consoleCrashReportDir({ shell: why === null ? 'electron' : 'browser' }) });
