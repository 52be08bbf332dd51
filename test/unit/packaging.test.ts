// The installer's configuration (electron-builder.yml) against the tree `npm run build` and
// `npm run build:agent` leave: every file pattern and resource it packs exists, the agent and the
// CLI shim go where the console looks for them, nothing is rebuilt per ABI, and the Windows
// targets are named. Packaging itself needs electron-builder's downloads and runs on a release
// machine; this is what can be checked here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/childProcess.js';

interface Resource { from: string; to: string; filter?: string[] }
interface BuilderConfig {
  productName: string;
  files: string[];
  asarUnpack: string[];
  npmRebuild: boolean;
  extraResources: Resource[];
  win: { extraFiles: Resource[]; target: { target: string; arch: string[] }[] };
}

const config = parse(fs.readFileSync(path.join(REPO_ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const exists = (p: string) => fs.existsSync(path.join(REPO_ROOT, p));

test('every folder the installer packs exists after the build, with the entry points the shells and the CLI start from', () => {
  const roots = config.files.filter((f) => !f.startsWith('!') && f.endsWith('/**')).map((f) => f.slice(0, -3));
  assert.ok(roots.length >= 4);
  for (const dir of roots) assert.ok(exists(dir), `${dir} is packed but missing: run npm run build`);
  const main = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { main: string };
  for (const entry of [main.main, 'dist/electron/preload.cjs', 'dist/renderer/index.html', 'dist/cli/pushctl.js']) {
    assert.ok(exists(entry), `${entry} is not built`);
    assert.ok(roots.some((r) => entry.startsWith(`${r}/`)) || config.files.includes(entry), `${entry} is not packed`);
  }
});

test('the agent is packed as resources/agent/PushInstallAgent.exe, where the packaged console looks for it', () => {
  const agent = config.extraResources.find((r) => r.to === 'agent');
  assert.ok(agent, 'no agent resource');
  assert.ok(exists(path.join(agent.from, 'PushInstallAgent.exe')), 'the agent is not built: npm run build:agent');
  assert.deepEqual(agent.filter, ['*.exe']);
  const runtime = fs.readFileSync(path.join(REPO_ROOT, 'main/engine/runtime.ts'), 'utf8');
  assert.match(runtime, /resourcesPath[\s\S]*'agent', 'PushInstallAgent\.exe'/);
});

test('pushctl.cmd goes next to the Windows executable and runs the packed CLI with the app\'s own executable as Node', () => {
  const shim = config.win.extraFiles.find((f) => f.to === 'pushctl.cmd');
  assert.ok(shim && exists(shim.from));
  const text = fs.readFileSync(path.join(REPO_ROOT, shim.from), 'utf8');
  assert.ok(text.includes('\r\n'), 'a .cmd file with Windows line ends');
  assert.match(text, /set ELECTRON_RUN_AS_NODE=1/);
  assert.ok(text.includes(`"%~dp0${config.productName}.exe"`), 'the executable electron-builder names after productName');
  assert.ok(text.includes('%~dp0resources\\app.asar\\dist\\cli\\pushctl.js'), 'the CLI inside the packed app');
  assert.ok(config.files.includes('dist/cli/**'));
});

test('nothing is rebuilt for Electron\'s ABI (SQLite is node:sqlite), only the prebuilt N-API keychain module is unpacked, and the Windows targets are named', () => {
  assert.equal(config.npmRebuild, false);
  assert.deepEqual(config.asarUnpack, ['node_modules/@napi-rs/**']);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  assert.equal(pkg.dependencies['better-sqlite3'], undefined);
  assert.deepEqual(config.win.target.map((t) => [t.target, t.arch]), [['nsis', ['x64']], ['portable', ['x64']]]);
});
