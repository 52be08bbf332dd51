// Uninstall and Repair with the REAL agent under Wine and a REAL wixl-built MSI (agent/README.md,
// "Actions"): the console's job says `action`, the agent downloads and verifies the package as for
// an install and runs msiexec /x or /fvomus on it; the console's results.ts turns the exit code
// into the verdict an admin reads. One product, one prefix, in order:
//   install → registry value and file present;
//   uninstall → both gone (msiexec /x, 0 → "Removed.");
//   uninstall again → Wine's msiexec answers 0 where Windows answers 1605 (the mapping of 1605 is shown);
//   repair of the absent product → 1605 → failed, not-installed, "Install it first";
//   repair of an installed, damaged product → Wine's msiexec cannot repair from a package (1605): the
//   command line and the mapping are proven, the restored file and value need Windows (agent/README.md);
//   an unknown action → 16 before any download.
// Needs wine, wine64, wixl and the built agent (npm run build:agent); fails loudly without them.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { verdictForAgentCode } from '../../main/engine/results.js';
import type { PushAction } from '../../main/server/agentProtocol.js';
import type { PackageFile } from '../../main/server/grants.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { createWinePrefix, requireTools } from '../support/wine.js';
import { AGENT_EXE, buildProductMsi, placeAgent, runServiceToStop, startTestConsole } from './agentHarness.js';
import { sha256File } from './msiFixtures.js';

const HELLO = 'installed by Push Install Console (actions)\r\n';

/** A product with a file (Program Files\PushInstallTest-<variant>\hello.txt) and a registry value
 * (HKLM\Software\PushInstallTest\<variant>, Marker = [MARKER]). */
const buildMsi = (dir: string, variant: string) => buildProductMsi(dir, variant, { hello: HELLO, property: 'MARKER', registryName: 'Marker' });

test('install, uninstall, uninstall again and repair of a wixl MSI with the real agent under Wine', { timeout: 400_000 }, async (t) => {
  requireTools(['wine', 'wineserver', 'wineboot', 'wixl']);
  assert.ok(fs.existsSync(AGENT_EXE), `${AGENT_EXE} is missing: run npm run build:agent`);

  const wine = await createWinePrefix();
  t.after(() => wine.close());
  const work = makeTempDir('pic-actions-');
  t.after(() => removeDir(work));

  const { cert, grants, server, result: resultOf } = await startTestConsole(t, work);

  const variant = `act${crypto.randomBytes(3).toString('hex')}`;
  const msiFile = buildMsi(work, variant);
  const files: PackageFile[] = [{ name: 'product.msi', path: msiFile, size: fs.statSync(msiFile).size, sha256: sha256File(msiFile), role: 'msi' }];
  const installDir = path.join(wine.driveC, 'Program Files', `PushInstallTest-${variant}`);
  const helloFile = path.join(installDir, 'hello.txt');
  const regKey = `HKLM\\Software\\PushInstallTest\\${variant}`;
  const marker = async (): Promise<string | null> => {
    const reg = await wine.run('reg', ['query', regKey, '/v', 'Marker'], { timeoutMs: 30_000 });
    return /Marker\s+REG_SZ\s+(.*?)\s*$/m.exec(reg.stdout)?.[1] ?? null;
  };

  let nextTarget = 1;
  /** One push the way the console does it, with this action (undefined: the job has no `action`, as from an older console). */
  const push = async (action: PushAction | undefined, parameters = 'MARKER=pushed') => {
    const targetId = nextTarget++;
    const run = `act-${targetId}-${crypto.randomBytes(3).toString('hex')}`;
    const grant = grants.issue({ targetId, runId: run, files, parameters, runAs: 'system', ttlMs: 600_000, ...(action ? { action } : {}) });
    const agent = placeAgent(wine, { run, console: { host: '127.0.0.1', port: server.port }, fingerprint: cert.fingerprint, token: grant.token, packageId: 'actions', msi: files[0]! });
    await runServiceToStop(wine, agent);
    const log = agent.log();
    const result = resultOf(targetId);
    const code = result?.exitCode ?? -1;
    return { run, log, result, code, verdict: verdictForAgentCode(code, action ?? 'install') };
  };

  await t.test('install (a job without action, as an older console sends): the file and the registry value are there', async () => {
    const r = await push(undefined);
    assert.equal(r.code, 0, r.log);
    assert.match(r.log, /action: install \(msiexec \/i\)/);
    assert.match(r.log, /starting as SYSTEM: "[^"]+msiexec\.exe" \/i "[^"]+product\.msi" \/qn \/norestart \/l\*v "[^"]+" MARKER=pushed/);
    assert.match(r.log, /msiexec exited with 0 \(installed\) \[install\]/);
    assert.equal(await marker(), 'pushed');
    assert.equal(fs.readFileSync(helloFile, 'utf8'), HELLO);
    assert.equal(r.verdict.message, 'Installed.');
  });

  await t.test('uninstall: msiexec /x on the verified package removes the file and the registry value; "Removed."', async () => {
    const r = await push('uninstall');
    assert.equal(r.code, 0, r.log);
    assert.match(r.log, /product\.msi: \d+ bytes, SHA-256 [0-9a-f]{64} verified/, 'the package was downloaded and verified first');
    assert.match(r.log, /starting as SYSTEM: "[^"]+msiexec\.exe" \/x "[^"]+product\.msi" \/qn \/norestart \/l\*v "[^"]+" MARKER=pushed/);
    assert.match(r.log, /msiexec exited with 0 \(removed\) \[uninstall\]/);
    assert.equal(await marker(), null, 'the registry value is gone');
    assert.equal(fs.existsSync(helloFile), false, 'the file is gone');
    assert.deepEqual([r.verdict.outcome, r.verdict.message], ['succeeded', 'Removed.']);
  });

  await t.test('uninstall again: Wine\'s msiexec /x of a package whose product is gone answers 0 (Windows: 1605, see agent/README.md), and nothing comes back', async () => {
    // Wine's msiexec turns /x <package> into MsiInstallProductW(<package>, "REMOVE=ALL"), which does not
    // check that the product is installed; Windows answers 1605 (ERROR_UNKNOWN_PRODUCT). The console's
    // mapping of 1605 for an uninstall is proven by test/unit/pushResults.test.ts and the lab.
    const r = await push('uninstall');
    assert.match(r.log, /starting as SYSTEM: "[^"]+msiexec\.exe" \/x "[^"]+product\.msi"/);
    assert.equal(r.code, 0, r.log);
    assert.deepEqual([r.verdict.outcome, r.verdict.message], ['succeeded', 'Removed.']);
    assert.equal(await marker(), null);
    assert.equal(fs.existsSync(helloFile), false);
    // Had msiexec said 1605 (as Windows does), this is what the admin reads:
    const windows = verdictForAgentCode(101605, 'uninstall');
    assert.deepEqual([windows.outcome, windows.code, windows.message], ['succeeded', 'MSI 1605', 'The product was not installed: nothing to remove.']);
  });

  await t.test('repair of a product that is not installed: msiexec /fvomus <package> answers 1605, which the console reports as failed, not-installed, "Install it first"', async () => {
    const r = await push('repair');
    assert.match(r.log, /action: repair \(msiexec \/fvomus\)/);
    assert.match(r.log, /starting as SYSTEM: "[^"]+msiexec\.exe" \/fvomus "[^"]+product\.msi" \/qn \/norestart \/l\*v "[^"]+" MARKER=pushed/);
    assert.match(r.log, /msiexec exited with 1605 \(the product is not installed\) \[repair\]/);
    assert.equal(r.code, 101605, r.log);
    assert.equal(r.result?.exitCode, 101605, 'posted to the console');
    assert.deepEqual([r.verdict.outcome, r.verdict.errorClass, r.verdict.code], ['failed', 'not-installed', 'MSI 1605']);
    assert.match(r.verdict.advice, /^Install it first/);
  });

  await t.test('repair of an installed product whose file and registry value were deleted: Wine\'s msiexec cannot repair from a package (1605; Windows restores both)', async () => {
    assert.equal((await push('install')).code, 0);
    assert.equal(await marker(), 'pushed');
    assert.equal(fs.readFileSync(helloFile, 'utf8'), HELLO);
    fs.rmSync(helloFile);
    await wine.run('reg', ['delete', regKey, '/v', 'Marker', '/f'], { timeoutMs: 30_000 });
    assert.equal(await marker(), null);
    // Wine's msiexec passes /f's <package> to MsiReinstallProductW as if it were a ProductCode, which
    // answers 1605 (and /f {ProductCode} is a FIXME there): Wine cannot repair. Windows reinstalls the
    // missing file (o) and rewrites the machine registry value (m) from the package (v).
    const r = await push('repair');
    assert.match(r.log, /starting as SYSTEM: "[^"]+msiexec\.exe" \/fvomus "[^"]+product\.msi"/);
    assert.equal(r.code, 101605, r.log);
    assert.equal(fs.existsSync(helloFile), false, 'Wine restored nothing');
    assert.equal(await marker(), null);
    // What the console reports once Windows has repaired (0) or asks for a restart (3010):
    assert.deepEqual([verdictForAgentCode(0, 'repair').outcome, verdictForAgentCode(0, 'repair').message], ['succeeded', 'Repaired.']);
    assert.equal(verdictForAgentCode(103010, 'repair').outcome, 'succeeded-reboot-required');
    // And the product is still there for an uninstall, which removes it.
    const u = await push('uninstall');
    assert.equal(u.code, 0, u.log);
    assert.equal(fs.existsSync(installDir) && fs.readdirSync(installDir).length > 0, false);
  });

  await t.test('an action the agent does not know is refused before any download (16, posted to the console)', async () => {
    const targetId = nextTarget;
    const r = await push('reinstall' as PushAction);
    assert.equal(r.code, 16, r.log);
    assert.match(r.log, /the console's job is not understood: action must be "install", "uninstall" or "repair"/);
    assert.doesNotMatch(r.log, /starting as|verified/);
    assert.equal(targetId + 1, nextTarget);
  });
});
