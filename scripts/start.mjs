// The README's start command (npm start): installs the npm packages if needed, builds, then runs
// the console in Electron when its binary is present and a display is available; otherwise it
// says why in one line and runs the browser shell (same renderer, same services) instead.
//   npm start                       Electron, or the browser shell
//   npm start -- --browser          the browser shell even where Electron is present
//   npm start -- --port 8080 --no-open   browser-shell options
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinaryPath } from './electronBinary.mjs';
import { consoleCrashReportDir, superviseConsole } from './startExit.mjs';
import { continueUnderSupportedNode } from './supportedNode.mjs';

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

if (!process.env.PUSHCONSOLE_SETUP_DONE) run('bash', ['scripts/setup.sh', '--npm']);
// The console needs Node 22.13+ (node:sqlite); an older system Node hands over to the bundled one.
await continueUnderSupportedNode(fileURLToPath(import.meta.url), { PUSHCONSOLE_SETUP_DONE: '1' });
run(process.execPath, ['scripts/build.mjs']);

const why = electronUnavailable();
let child;
if (why === null) {
  // node:sqlite is part of Electron's Node: nothing is rebuilt for Electron's ABI.
  child = spawn(electronBinaryPath(), [root], { cwd: root, stdio: 'inherit' });
} else {
  console.log(`Starting the browser shell instead of Electron: ${why}.`);
  const shellArgs = args.filter((a) => a !== '--browser');
  child = spawn(process.execPath, [path.join(root, 'dist/browser/main.js'), ...shellArgs], { cwd: root, stdio: 'inherit' });
}
// SIGINT/SIGTERM are passed on; a console that crashes, fails or is killed is said so, not exit 0.
superviseConsole(child, { crashReportDir: consoleCrashReportDir({ shell: why === null ? 'electron' : 'browser' }) });
