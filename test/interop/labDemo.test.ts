// The first-run demo through the console's own services and IPC handlers, as the
// windows use them: a fresh data folder starts the simulated lab, lists its hosts under
// "Simulated lab", offers the demo package and the lab credential; a task to every lab computer
// ends with each host's profile outcome; turning the setting off stops the lab.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createConsoleServices } from '../../main/app/services.js';
import { ConsoleError } from '../../main/ipc/errors.js';
import { DEMO_PACKAGE_NAME, LAB_GROUP } from '../../main/app/labDemo.js';
import { expectedOutcome } from '../../main/lab/profiles.js';
import { tempDirFor } from '../support/tempDir.js';

test('a fresh console runs the demo lab: 50 computers, the demo package, the lab credential, and a push to all of them ends by profile', async (t) => {
  const dir = tempDirFor(t, 'pic-demo-');
  process.env.PUSHCONSOLE_LAB_FIRST = '127.0.31.1';
  process.env.PUSHCONSOLE_LAB_PORT = '14461';
  t.after(() => {
    delete process.env.PUSHCONSOLE_LAB_FIRST;
    delete process.env.PUSHCONSOLE_LAB_PORT;
  });
  const services = createConsoleServices({ dataDir: path.join(dir, 'data'), shell: 'browser' });
  t.after(() => services.close());
  const runtime = await services.startPush({ port: 0, host: '127.0.0.1' });
  assert.ok(!(runtime instanceof Error), String(runtime));
  const h = services.handlers;
  const info = await h['app.info']({});
  assert.equal(info.lab?.hosts, 50);
  assert.equal(info.lab?.group, LAB_GROUP);

  const computers = (await h['computers.list']({})).filter((c) => c.groupName === LAB_GROUP);
  assert.equal(computers.length, 50);
  const pkg = (await h['packages.list']({})).find((p) => p.name === DEMO_PACKAGE_NAME);
  assert.ok(pkg, 'the demo package is offered');
  assert.equal(pkg.productName, 'Push Install Demo Agent');
  const credential = (await h['credentials.list']({})).find((c) => c.user === 'labadmin' && c.available);
  assert.ok(credential, 'the lab administrator credential is ready for Set for All');

  // The lab's agent-no-callback hosts fail at this bound (default 120 s): the shortest allowed.
  await h['settings.update']({ agentCallbackTimeoutSeconds: 10 });
  const { taskId } = await h['tasks.create']({
    name: 'Demo push',
    packageId: pkg.id,
    scheduledAt: null,
    runAs: 'admin',
    targets: computers.map((c) => ({ computerId: c.id, credentialId: credential.id })),
  });
  const rt = services.runtime()!;
  await rt.engine.waitForTask(taskId);
  const targets = await h['tasks.targets']({ taskId });
  const lab = services.lab()!;
  const wrong = targets.filter((target) => {
    // tasks.create without a transport is auto: the agent-no-callback hosts install over SMB.
    const expected = expectedOutcome(lab.host(target.computerName)!.config.profile, 'install', 'auto');
    return target.outcome !== expected.outcome || target.errorClass !== expected.errorClass;
  });
  assert.deepEqual(wrong.map((w) => `${w.computerName}: ${w.outcome}/${w.errorClass} ${w.errorMessage}`), []);
  assert.ok(targets.filter((x) => x.outcome === 'succeeded').length >= 20);
  for (const failed of targets.filter((x) => x.outcome === 'failed')) assert.ok((failed.advice ?? '').length > 10, `${failed.computerName} has advice`);
  assert.deepEqual(lab.leftovers(), []);

  // A credential kept as its NT hash only is refused for an install as the account,
  // by tasks.create itself (named class, advice), before any task exists.
  const hashOnly = await h['credentials.set']({ user: 'LAB\\labadmin', password: lab.account.password, remember: false, keep: 'nt-hash' });
  assert.equal(hashOnly.keeps, 'nt-hash');
  assert.equal(hashOnly.storage, 'memory');
  const before = (await h['tasks.list']({})).length;
  await assert.rejects(
    Promise.resolve().then(() => h['tasks.create']({ name: 'hash admin', packageId: pkg.id, scheduledAt: null, runAs: 'admin', targets: [{ computerId: computers[0]!.id, credentialId: hashOnly.id }] })),
    (e: unknown) => e instanceof ConsoleError && e.errorClass === 'credentials-hash-only' && /Install as SYSTEM/.test(e.advice) && /LAB\\labadmin/.test(e.message),
  );
  assert.equal((await h['tasks.list']({})).length, before, 'no task was created');
  assert.equal((await h['app.info']({})).credentialStorage?.storage, 'memory');

  await h['settings.update']({ simulatedLab: false });
  assert.equal(services.lab(), null, 'the setting turns the lab off');
  assert.equal((await h['app.info']({})).lab, null);
});
