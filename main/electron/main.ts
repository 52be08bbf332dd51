// The Electron shell: one window over the shared services, the contract on ipcMain, the
// application menu, a single-instance lock, data in userData. Built by scripts/build.mjs into
// dist/electron/main.js (the package's "main").
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, shell } from 'electron';
import ElectronStore from 'electron-store';
import { crashReportDir, installCrashReporter } from '../app/crashReport.js';
import { resolveDataDir } from '../app/dataDir.js';
import { PRODUCT_NAME, rendererDir } from '../app/product.js';
import { createConsoleServices, type ConsoleServices } from '../app/services.js';
import { fileSenderPolicy } from '../ipc/router.js';
import { SETTINGS_FILE_NAME } from '../store/settings.js';
import { forwardEvents, registerContract } from './ipcWiring.js';
import { buildApplicationMenu } from './menu.js';
import { SafeStorageVault } from './safeStorageVault.js';
import { attachWindowPolicy, secureWebPreferences } from './windowPolicy.js';
import { installOrderlyQuit } from './orderlyQuit.js';

const here = path.dirname(fileURLToPath(import.meta.url));
let mainWindow: BrowserWindow | null = null;
let services: ConsoleServices | null = null;
let safeVault: SafeStorageVault | null = null;

function createWindow(indexFile: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: PRODUCT_NAME,
    icon: path.join(rendererDir(), 'assets', 'icon.png'),
    show: false,
    webPreferences: secureWebPreferences(path.join(here, 'preload.cjs')),
  });
  // The window shows the console and nothing else: no navigation, no popups, no <webview>, no
  // permissions; http(s) links open in the system browser (windowPolicy.ts).
  attachWindowPolicy(win.webContents, { openExternal: (url) => shell.openExternal(url), appUrl: pathToFileURL(indexFile).href });
  win.once('ready-to-show', () => win.show());
  void win.loadFile(indexFile);
  return win;
}

// An uncaught exception or unhandled rejection in main leaves a redacted report in
// <userData>/crash-reports/ and ends the app with a non-zero code.
installCrashReporter({ dir: crashReportDir(resolveDataDir({ electronUserData: app.getPath('userData') })), shell: 'electron', exit: (code) => app.exit(code) });

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  void app.whenReady().then(async () => {
    const dataDir = resolveDataDir({ electronUserData: app.getPath('userData') });
    const settingsBackend = new ElectronStore<Record<string, unknown>>({ name: SETTINGS_FILE_NAME, cwd: dataDir });
    let vault: SafeStorageVault | null = null;
    services = createConsoleServices({
      dataDir,
      shell: 'electron',
      settingsBackend,
      // Remembered passwords are encrypted by safeStorage (never Linux's basic_text).
      createVault: (db) => (vault = new SafeStorageVault(db, (line) => console.warn(line))),
      // Packages and imports pick files with the system's own dialog.
      chooseFile: async (title, extensions) => {
        const options = { title, properties: ['openFile' as const], filters: [{ name: extensions.map((e) => `.${e}`).join(', '), extensions: [...extensions] }] };
        const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
        return result.canceled ? null : result.filePaths[0] ?? null;
      },
    });
    const indexFile = path.join(rendererDir(), 'index.html');
    const forwarded = forwardEvents(services.events, () => BrowserWindow.getAllWindows());
    registerContract(services.router(fileSenderPolicy(pathToFileURL(indexFile).href)), forwarded);
    const bus = services.events;
    app.applicationMenu = buildApplicationMenu((command) => bus.emit('menu.command', { command }));
    mainWindow = createWindow(indexFile);
    mainWindow.on('closed', () => (mainWindow = null));
    safeVault = vault;
    await (vault as SafeStorageVault | null)?.ready;
    void services.startPush();
  });

  app.on('window-all-closed', () => app.quit());
  // The remembered passwords' ciphertexts are written, then the database closed, before the process ends.
  installOrderlyQuit(app, async () => {
    await safeVault?.flush();
    await services?.close();
  });
}
