// Where the Electron executable is, without asking the electron package: its index.js starts a
// download from outside the npm registry when the binary is missing, and that must not happen
// from a start command or a test. Honours ELECTRON_OVERRIDE_DIST_PATH as the package does.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The executable's path, or null when it is not installed. */
export function electronBinaryPath() {
  const pkgDir = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(pkgDir, 'path.txt');
  const relative = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override ? path.join(override, relative || 'electron') : relative && path.join(pkgDir, 'dist', relative);
  return binary && fs.existsSync(binary) ? binary : null;
}
