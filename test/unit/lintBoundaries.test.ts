// The import boundaries of docs/ARCHITECTURE.md §9 are enforced by eslint.config.js; these tests
// run the project's real ESLint configuration over small sources placed at real paths in the tree.
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

/** `import { x } from '<specifier>'` used, so only the boundary rules can complain. */
const importOf = (specifier: string) => `import { x } from '${specifier}';\nexport const y = x;\n`;

describe('layering inside main/: protocol < engine < app < shells, and the lab beside them', () => {
  test('protocol code may not import the engine, app, store, server or a shell, at any depth and in any import form', async () => {
    for (const [file, specifier] of [
      ['main/smb/x.ts', '../engine/results.js'],
      ['main/smb/codec/x.ts', '../../store/database.js'],
      ['main/rpc/x.ts', '../server/agentProtocol.js'],
      ['main/msi/x.ts', '../app/services.js'],
      ['main/rpc/x.ts', '../cli/diagnose.js'],
      ['main/smb/auth/x.ts', '../../browser/bridgeServer.js'],
      ['main/msi/x.ts', '../electron/window.js'],
    ]) {
      const errors = await boundaryErrors(file!, importOf(specifier!));
      assert.equal(errors.length, 1, `${file} importing ${specifier}: ${errors.join('\n')}`);
      assert.match(errors[0]!, /Protocol code .* is the lowest layer/);
    }
    assert.equal((await boundaryErrors('main/smb/x.ts', "import type { Db } from '../store/database.js';\nexport type D = Db;\n")).length, 1, 'a type-only import');
    assert.equal((await boundaryErrors('main/smb/x.ts', "export { verdictForAgentCode } from '../engine/results.js';\n")).length, 1, 'a re-export');
    assert.equal((await boundaryErrors('main/rpc/x.ts', "export const m = await import('../engine/results.js');\n")).length, 1, 'import()');
    assert.equal((await boundaryErrors('main/rpc/x.ts', "export const m = require('../store/database.js');\n")).length, 1, 'require()');
  });

  test('protocol code may import protocol code, main/ipc/errors (the shared leaf) and Node', async () => {
    assert.deepEqual(await boundaryErrors('main/smb/connection.ts', importOf('../ipc/errors.js')), []);
    assert.deepEqual(await boundaryErrors('main/smb/codec/wire.ts', importOf('../../ipc/errors.js')), []);
    assert.deepEqual(await boundaryErrors('main/rpc/scmr.ts', importOf('../smb/tree.js')), []);
    assert.deepEqual(await boundaryErrors('main/smb/codec/x.ts', importOf('../auth/ntlm.js')), []);
    assert.deepEqual(await boundaryErrors('main/msi/x.ts', "import fs from 'node:fs';\nexport const f = fs;\n"), []);
  });

  test('the lab\'s SMB and RPC servers lay out no bytes themselves (Buffer reads and writes, Reader, Writer): the codecs serve both directions', async () => {
    for (const file of ['main/lab/smb/x.ts', 'main/lab/rpc/x.ts']) {
      const raw = await boundaryErrors(file, 'export const n = (b: Buffer) => b.readUInt32LE(12);\n');
      assert.ok(raw.some((m) => /no wire layout of its own/.test(m)), `${file}: ${raw.join('\n')}`);
      const writer = await boundaryErrors(file, "import { Writer } from '../../smb/codec/wire.js';\nexport const w = new Writer().u16(9).toBuffer();\n");
      assert.ok(writer.some((m) => /no wire layout of its own/.test(m)), `${file}: ${writer.join('\n')}`);
    }
    // The codec itself, and the lab's other parts (the simulated agent's job file), are free to.
    assert.deepEqual(await boundaryErrors('main/smb/codec/x.ts', 'export const n = (b: Buffer) => b.readUInt32LE(12);\n'), []);
    assert.deepEqual(await boundaryErrors('main/lab/agent/x.ts', 'export const n = (b: Buffer) => b.readUInt32LE(12);\n'), []);
  });

  test('protocol code and the engine may not import the lab; the lab may import them', async () => {
    for (const [file, specifier] of [
      ['main/smb/x.ts', '../lab/lab.js'],
      ['main/rpc/x.ts', '../lab/rpc/scm.js'],
      ['main/msi/x.ts', '../lab/hostState.js'],
      ['main/engine/x.ts', '../lab/agent/simAgent.js'],
    ]) {
      const errors = await boundaryErrors(file!, importOf(specifier!));
      assert.equal(errors.length, 1, `${file} importing ${specifier}: ${errors.join('\n')}`);
      assert.match(errors[0]!, /must not import main\/lab/);
    }
    assert.deepEqual(await boundaryErrors('main/lab/rpc/scm.ts', importOf('../../rpc/scmr.js')), []);
    assert.deepEqual(await boundaryErrors('main/lab/x.ts', importOf('../smb/tree.js')), []);
    assert.deepEqual(await boundaryErrors('main/lab/agent/x.ts', importOf('../../server/agentProtocol.js')), []);
  });

  test('the engine may not import main/app or a shell, and may import protocol, store and server code', async () => {
    for (const specifier of ['../app/services.js', '../browser/bridgeServer.js', '../electron/window.js', '../cli/diagnose.js']) {
      const errors = await boundaryErrors('main/engine/x.ts', importOf(specifier));
      assert.equal(errors.length, 1, `${specifier}: ${errors.join('\n')}`);
      assert.match(errors[0]!, /main\/engine sits below main\/app/);
    }
    for (const specifier of ['../smb/session.js', '../rpc/scmr.js', '../store/database.js', '../server/grants.js', '../ipc/contract.js']) {
      assert.deepEqual(await boundaryErrors('main/engine/x.ts', importOf(specifier)), [], specifier);
    }
  });

  test('main/app may not import a shell (browser, electron, cli), and may import the engine and the lab', async () => {
    for (const specifier of ['../browser/bridgeServer.js', '../electron/window.js', '../cli/pushctl.js']) {
      const errors = await boundaryErrors('main/app/x.ts', importOf(specifier));
      assert.equal(errors.length, 1, `${specifier}: ${errors.join('\n')}`);
      assert.match(errors[0]!, /main\/app is shared by the shells/);
    }
    for (const specifier of ['../engine/engine.js', '../lab/lab.js', '../store/database.js']) {
      assert.deepEqual(await boundaryErrors('main/app/x.ts', importOf(specifier)), [], specifier);
    }
  });

  test('the electron restriction still holds under the layering rules', async () => {
    assert.equal((await boundaryErrors('main/app/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).length, 1);
    assert.equal((await boundaryErrors('main/engine/credentials.ts', "import { app } from 'electron';\nexport const a = app;\n")).length, 1);
  });

  test('no exception is left: the secret register lives in smb/auth and the diagnosis in the engine, where every layer above may use them, and app may not reach the shells or the CLI', async () => {
    assert.deepEqual(await boundaryErrors('main/engine/credentials.ts', importOf('../smb/auth/secretRegistry.js')), []);
    assert.deepEqual(await boundaryErrors('main/app/handlers.ts', importOf('../engine/diagnose.js')), []);
    assert.equal((await boundaryErrors('main/engine/credentials.ts', importOf('../app/secretRegistry.js'))).length, 1);
    assert.equal((await boundaryErrors('main/app/handlers.ts', importOf('../cli/diagnose.js'))).length, 1);
    assert.equal((await boundaryErrors('main/app/handlers/computers.ts', importOf('../../cli/pushctl.js'))).length, 1);
  });

});
