// The whole push against lab hosts that answer the way Windows does (personality 'windows', the
// lab's default): every profile ends as it must while the lab is seen producing Windows' wire
// behaviour (interim STATUS_PENDING on pipe calls and on a slow disk's CREATE and WRITE, one credit on the NEGOTIATE and logon legs),
// counted here so the test fails if the lab stops; an SCM start wait longer than a request's bound
// ends as service-start 1053 on the same connection, which then removes what the push left; a busy
// \pipe\svcctl is asked again, then classified. Lab hosts on 127.0.170.x–127.0.173.x, SMB port
// 14520 (docs/TESTING.md §6).
import { test } from 'node:test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { startLab, type Lab, type LabOptions } from '../../main/lab/lab.js';
import { LAB_PROFILES, type LabProfile } from '../../main/lab/hostState.js';
import { EXPECTED_OUTCOME } from '../../main/lab/profiles.js';
import type { PushTimeouts } from '../../main/engine/pushTarget.js';
import { pushToLab, startEngineFixture } from '../support/engineFixture.js';
import { tempDirFor } from '../support/tempDir.js';

const TIMEOUTS = { connectMs: 1500, agentCallbackMs: 4000, pollMs: 100, serviceStartMs: 5000 };

async function pushAll(t: Parameters<typeof startEngineFixture>[0], lab: Lab, timeouts: Partial<PushTimeouts> = TIMEOUTS) {
  const fx = await startEngineFixture(t, { settings: { maxConcurrentPushes: 8 }, timeouts });
  return { fx, ...(await pushToLab(fx, lab, 'windows personality')) };
}

async function windowsLab(t: { after(fn: () => Promise<void> | void): void }, options: Omit<LabOptions, 'port' | 'installTimeMs'>): Promise<Lab> {
  const lab = await startLab({ port: 14520, installTimeMs: 200, logonFailureDelayMs: 100, startTimeoutMs: 300, cutAfterBytes: 8 * 1024, ...options });
  t.after(() => lab.close());
  return lab;
}

test('every lab profile ends as it must against Windows-like hosts, which answer pipe calls with interim STATUS_PENDING and grant one credit per negotiate and logon leg', async (t) => {
  // never-back waits out a restart bound; not-installed installs like healthy: both are proven elsewhere.
  const profiles = LAB_PROFILES.filter((p) => p !== 'never-back');
  const hosts = Object.fromEntries(profiles.map((p, i) => [`LAB-PC-${String(i + 1).padStart(3, '0')}`, p])) as Record<string, LabProfile>;
  const lab = await windowsLab(t, { hosts: profiles.length, first: '127.0.170.1', profile: { default: 'healthy', hosts } });
  assert.ok(lab.hosts.every((h) => h.config.personality === 'windows'), 'windows is the default personality');
  const { rows } = await pushAll(t, lab);
  for (const r of rows) {
    const profile = hosts[r.computer_name]!;
    const want = EXPECTED_OUTCOME[profile];
    assert.deepEqual([r.outcome, r.error_class], [want.outcome, want.errorClass], `${r.computer_name} (${profile}): ${r.error_message}`);
  }
  assert.deepEqual(lab.leftovers(), [], 'nothing left on any host');
  const sum = (key: keyof Lab['hosts'][number]['counters']) => lab.hosts.reduce((n, h) => n + h.counters[key], 0);
  const reached = lab.hosts.filter((h) => h.counters.connections > 0);
  // Each host that was reached answered its NEGOTIATE with one credit, and each logon's CHALLENGE leg too.
  assert.ok(sum('oneCreditGrants') >= 2 * lab.hosts.filter((h) => h.counters.logons + h.counters.logonFailures > 0).length, `one-credit legs: ${sum('oneCreditGrants')}`);
  for (const h of reached.filter((x) => x.counters.servicesCreated > 0)) {
    // RStartServiceW waits for the service's process (or the start wait): its answer comes after an interim.
    assert.ok(h.counters.interimResponses >= 1, `${h.config.name}: ${h.counters.interimResponses} interim responses`);
  }
});

test('a slow disk\'s WRITEs go asynchronous on a Windows-like host: the package copied over SMB gets interim responses, and arrives whole', async (t) => {
  const lab = await windowsLab(t, { hosts: 2, first: '127.0.170.101', profile: 'slow-link', slowLinkBytesPerSec: 4 * 1024 * 1024, slowLinkFileLatencyMs: 20 });
  const fast = await windowsLab(t, { hosts: 1, first: '127.0.170.111', profile: 'slow-link', slowLinkBytesPerSec: 4 * 1024 * 1024, slowLinkFileLatencyMs: 0 });
  // 3 MiB: more than one WRITE, so the copy's WRITEs go alone (a one-WRITE file is compounded, and only a chain's last request may go asynchronous).
  const msiPath = path.join(tempDirFor(t, 'pic-slowdisk-'), 'product.msi');
  fs.writeFileSync(msiPath, crypto.randomBytes(3 * 1024 * 1024));
  const fx = await startEngineFixture(t, { settings: { maxConcurrentPushes: 4 }, timeouts: TIMEOUTS, msiPath });
  const { rows } = await pushToLab(fx, { hosts: [...lab.hosts, ...fast.hosts], account: lab.account }, 'slow disk', { runAs: 'system', transport: 'smb' });
  for (const r of rows) assert.equal(r.outcome, 'succeeded', `${r.computer_name}: ${r.error_message}`);
  const slow = lab.hosts.map((h) => h.counters.interimResponses);
  const quick = fast.hosts[0]!.counters.interimResponses;
  assert.ok(slow.every((n) => n >= quick + 1), `slow disks ${slow.join(', ')} vs a quick one ${quick} interim responses`);
  assert.deepEqual([...lab.leftovers(), ...fast.leftovers()], []);
});

test('the samba personality answers a ready pipe call at once and grants what was asked: no interim responses, no one-credit legs', async (t) => {
  const lab = await windowsLab(t, { hosts: 2, first: '127.0.171.1', profile: 'healthy', personality: 'samba' });
  const { rows } = await pushAll(t, lab);
  assert.deepEqual(rows.map((r) => r.outcome), ['succeeded', 'succeeded']);
  for (const h of lab.hosts) {
    assert.equal(h.counters.oneCreditGrants, 0, h.config.name);
    assert.equal(h.counters.interimResponses, 0, h.config.name);
  }
});

test('an SCM that answers RStartServiceW with 1053 only after its start wait, longer than a request bound, ends as service-start 1053 and the same connection removes the service and files', async (t) => {
  // The host's start wait (2.5 s) outlasts a request's bound (1 s): only the interim response keeps the call alive.
  const lab = await windowsLab(t, { hosts: 1, first: '127.0.172.1', profile: 'service-start-timeout', startTimeoutMs: 2500 });
  const started = Date.now();
  const { fx, rows } = await pushAll(t, lab, { ...TIMEOUTS, requestMs: 1000 });
  const [r] = rows;
  assert.deepEqual([r!.outcome, r!.error_class], ['failed', 'service-start'], r!.error_message ?? '');
  assert.match(`${r!.error_code} ${r!.error_message}`, /1053/);
  assert.ok(Date.now() - started >= 2500, 'the console waited for the SCM\'s answer');
  const host = lab.hosts[0]!;
  assert.equal(host.counters.logons, 1, 'cleanup ran on the push\'s own session (the TCP probe is the other connection)');
  assert.deepEqual([host.counters.servicesCreated, host.counters.servicesDeleted], [1, 1]);
  assert.deepEqual(lab.leftovers(), []);
  assert.ok(fx.tasks.log(r!.id).some((s) => s.step === 'cleanup' || /clean/i.test(s.detail)), 'the step log shows the cleanup');
});

test('a busy \\pipe\\svcctl is asked again after a short wait: two busy answers then an instance pushes; a pipe that stays busy fails as pipe-busy with nothing left behind', async (t) => {
  const lab = await windowsLab(t, {
    hosts: 2,
    first: '127.0.173.1',
    profile: 'pipe-busy',
    busyPipeOpens: (name) => (name === 'LAB-PC-001' ? 2 : undefined),
  });
  const { rows } = await pushAll(t, lab);
  const byName = new Map(rows.map((r) => [r.computer_name, r]));
  const once = byName.get('LAB-PC-001')!;
  assert.equal(once.outcome, 'succeeded', once.error_message ?? '');
  const busy = byName.get('LAB-PC-002')!;
  assert.deepEqual([busy.outcome, busy.error_class, busy.error_code], ['failed', 'pipe-busy', 'STATUS_PIPE_BUSY'], busy.error_message ?? '');
  assert.match(busy.advice ?? '', /retry/i);
  assert.equal(lab.hosts[0]!.counters.pipeBusyAnswers, 2);
  assert.equal(lab.hosts[1]!.counters.pipeBusyAnswers, 4, 'the first try and three more');
  assert.deepEqual(lab.leftovers(), [], 'the agent copied meanwhile was removed');
});
