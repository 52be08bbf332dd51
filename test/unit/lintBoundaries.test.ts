// The import boundaries of DESIGN.md §5 are enforced by eslint.config.js; these tests run the
// project's real ESLint configuration over small sources placed at real paths in the tree.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({ cwd: root });

async function boundaryErrors(relativePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, relativePath) });
  assert.ok(result, 'ESLint returned no result');
  return result.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

describe('lint boundaries', () => {
  test('an engine file that imports electron is rejected', async () => {
    const errors = await boundaryErrors('main/engine/pushEngine.ts', "import { app } from 'electron';\nexport const name = app.getName();\n");
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /Only the Electron wiring/);
  });

  test('require() and dynamic import() of electron are rejected in store and protocol code too', async () => {
    assert.equal((await boundaryErrors('main/store/x.ts', "export const e = require('electron');\n")).length, 1);
    assert.equal((await boundaryErrors('main/smb/x.ts', "export const e = await import('electron');\n")).length, 1);
    assert.equal((await boundaryErrors('main/browser/x.ts', "import { shell } from 'electron/main';\nexport const s = shell;\n")).length, 1);
  });

  test('the Electron wiring may import electron but not the raw ipcMain', async () => {
    assert.deepEqual(await boundaryErrors('main/electron/window.ts', "import { BrowserWindow } from 'electron';\nexport const W = BrowserWindow;\n"), []);
    const raw = await boundaryErrors('main/electron/window.ts', "import { ipcMain } from 'electron';\nipcMain.handle('x', () => 1);\n");
    assert.ok(raw.some((m) => /typed contract/.test(m)), raw.join('\n'));
    const viaNamespace = await boundaryErrors('main/electron/window.ts', "import * as electron from 'electron';\nelectron.ipcMain.handle('x', () => 1);\n");
    assert.ok(viaNamespace.some((m) => /typed contract/.test(m)), viaNamespace.join('\n'));
  });

  test('only ipcWiring.ts and preload.ts touch ipcMain and ipcRenderer', async () => {
    assert.deepEqual(await boundaryErrors('main/electron/ipcWiring.ts', "import { ipcMain } from 'electron';\nipcMain.handle('x', () => 1);\n"), []);
    assert.deepEqual(await boundaryErrors('preload/preload.ts', "import { ipcRenderer } from 'electron';\nexport const r = ipcRenderer;\n"), []);
    assert.equal((await boundaryErrors('preload/other.ts', "import { ipcRenderer } from 'electron';\nexport const r = ipcRenderer;\n")).length, 1);
  });

  test('the renderer imports nothing from main but the IPC contract modules', async () => {
    assert.deepEqual(await boundaryErrors('renderer/tabs/X.tsx', "import { channels } from '../../main/ipc/contract';\nexport const c = channels;\n"), []);
    assert.equal((await boundaryErrors('renderer/tabs/X.tsx', "import { openDatabase } from '../../main/store/database';\nexport const o = openDatabase;\n")).length, 1);
    assert.equal((await boundaryErrors('renderer/X.ts', "import fs from 'node:fs';\nexport const f = fs;\n")).length, 1);
    assert.equal((await boundaryErrors('renderer/X.ts', "import { ipcRenderer } from 'electron';\nexport const r = ipcRenderer;\n")).length, 1);
  });
});
