// Where the console keeps its database, settings and packages.
import os from 'node:os';
import path from 'node:path';
import { PRODUCT_NAME } from './product.js';

export const DATA_DIR_ENV = 'PUSHCONSOLE_DATA_DIR';
const APP_FOLDER = 'push-install-console';
// Windows: %APPDATA%\Push Install Console, the folder Electron's userData is there (%APPDATA%\<productName>).
// It was push-install-console, so pushctl and the browser shell on Windows kept a database of their
// own beside the desktop app's, under a name a Windows admin does not look for.
const WINDOWS_APP_FOLDER = PRODUCT_NAME;

/**
 * PUSHCONSOLE_DATA_DIR wins (tests use it); then Electron's userData when running in Electron;
 * otherwise the XDG data folder ($XDG_DATA_HOME or ~/.local/share)/push-install-console, or on
 * Windows %APPDATA%\Push Install Console.
 */
export function resolveDataDir(options: {
  env?: NodeJS.ProcessEnv;
  electronUserData?: string;
  platform?: NodeJS.Platform;
  home?: string;
} = {}): string {
  const env = options.env ?? process.env;
  const override = env[DATA_DIR_ENV];
  if (override && override.trim() !== '') return path.resolve(override);
  if (options.electronUserData) return options.electronUserData;
  const home = options.home ?? os.homedir();
  if ((options.platform ?? process.platform) === 'win32') {
    // An empty or relative %APPDATA% would put the data wherever the console was started from.
    const appData = env.APPDATA && path.win32.isAbsolute(env.APPDATA) ? env.APPDATA : path.join(home, 'AppData', 'Roaming');
    return path.join(appData, WINDOWS_APP_FOLDER);
  }
  const xdg = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(home, '.local', 'share');
  return path.join(xdg, APP_FOLDER);
}
