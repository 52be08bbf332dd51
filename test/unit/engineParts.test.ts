// The engine's parts on their own: the journal's batching (one transaction per tick, flushed at
// once on demand, nothing after a simulated kill), preparePush (the verdicts that end a push
// before any connection, and the spec otherwise), and crash recovery (interrupted targets, what
// is cleaned at once and what waits for credentials).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSettings, type Settings } from '../../main/ipc/contract.js';
import { createEventBus } from '../../main/ipc/eventBus.js';
import { ConsoleError } from '../../main/ipc/errors.js';
import { Journal, JOURNAL_TICK_MS } from '../../main/engine/journal.js';
import { preparePush, type PushInputs } from '../../main/engine/preparePush.js';
import { recoverInterrupted, withSideFiles } from '../../main/engine/recovery.js';
import { pushTimeouts } from '../../main/engine/packageFiles.js';
import type { LogonCredential } from '../../main/engine/credentials.js';
import { openDatabase } from '../../main/store/database.js';
import { TasksRepo, type TargetRecord } from '../../main/store/tasksRepo.js';

function repo() {
  const db = openDatabase({ location: ':memory:' });
  const tasks = new TasksRepo(db);
  let batches = 0;
  const counting = Object.assign(Object.create(tasks) as TasksRepo, {
    batch: (writes: readonly (() => void)[]) => {
      batches += 1;
      tasks.batch(writes);
    },
  });
  const { targetIds, taskId } = tasks.create({ name: 't', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'PC-1' }, { computerId: null, computerName: 'PC-2' }] });
  return { db, tasks, counting, targetIds, taskId, batches: () => batches };
}

test('the journal commits a burst of writes in one transaction after one tick, and flush() commits at once', async () => {
  const r = repo();
  const journal = new Journal(r.counting, createEventBus(), () => new Date());
  for (let i = 0; i < 100; i++) journal.step(r.taskId, r.targetIds[0]!, 'probe', `line ${i}`);
  journal.update(r.targetIds[0]!, { state: 'probing' });
  assert.equal(r.tasks.log(r.targetIds[0]!).length, 0, 'nothing is written before the tick');
  await new Promise((resolve) => setTimeout(resolve, JOURNAL_TICK_MS + 30));
  assert.equal(r.batches(), 1, '101 writes, one transaction');
  assert.equal(r.tasks.log(r.targetIds[0]!).length, 100);
  journal.update(r.targetIds[1]!, { state: 'copying' });
  journal.flush();
  assert.equal(r.tasks.targetRecord(r.targetIds[1]!)!.state, 'copying', 'flush() writes without waiting for the tick');
  assert.equal(r.batches(), 2);
  r.db.close();
});

test('durable(): the write-ahead records many pushes ask for at the same moment are committed in one transaction, on disk before any of them goes on', async () => {
  const r = repo();
  const journal = new Journal(r.counting, createEventBus(), () => new Date());
  const states: string[][] = [];
  await Promise.all(
    [0, 1].map(async (i) => {
      journal.update(r.targetIds[i]!, { state: 'copying', leftovers: JSON.stringify({ service: null, files: [`f${i}`], directories: [] }) });
      await journal.durable();
      states.push(r.targetIds.map((id) => r.tasks.targetRecord(id)!.state));
    }),
  );
  assert.equal(r.batches(), 1, 'two records, one commit');
  assert.deepEqual(states, [['copying', 'copying'], ['copying', 'copying']], 'each push goes on only once both records are committed');
  journal.abandon();
  await journal.durable(); // a killed console's pushes write nothing more, and are not held up
  assert.equal(r.batches(), 1);
  r.db.close();
});

test('an abandoned journal loses its uncommitted batch and writes or announces nothing more, as a killed process', async () => {
  const r = repo();
  const events = createEventBus();
  const journal = new Journal(r.counting, events, () => new Date());
  journal.step(r.taskId, r.targetIds[0]!, 'copy', 'queued before the kill');
  const seen: string[] = [];
  events.subscribe((event) => seen.push(event));
  journal.abandon();
  journal.step(r.taskId, r.targetIds[0]!, 'copy', 'after the kill');
  journal.update(r.targetIds[0]!, { state: 'copying' });
  journal.progress(r.taskId, r.targetIds[0]!, 'copying', null, 10);
  journal.flush();
  await new Promise((resolve) => setTimeout(resolve, JOURNAL_TICK_MS + 30));
  assert.equal(r.batches(), 0);
  assert.deepEqual(r.tasks.log(r.targetIds[0]!), []);
  assert.deepEqual(seen, []);
  r.db.close();
});

const credential: LogonCredential = { id: 1, user: 'admin', domain: 'CORP', keeps: 'password', ntHash: Buffer.alloc(16, 7) };
const source = { msiFileName: 'p.msi', msiPath: '/p.msi', msiSize: 3, msiSha256: 'a'.repeat(64), configFileName: null, configPath: null, parameters: 'A=1', name: 'P' };

function inputs(over: Partial<PushInputs> = {}): PushInputs {
  const settings: Settings = { ...defaultSettings };
  return {
    target: { id: 7, task_id: 1, computer_id: null, computer_name: 'PC-7', credential_id: 1, state: 'queued', outcome: null, error_class: null, error_code: null, error_message: null, advice: null, progress: null, started_at: null, finished_at: null, address: '10.0.0.7', port: 10445, run_id: null, service_name: null, exit_code: null, reboot_required: 0, leftovers: null, attempts: 1, msi_log: null } as TargetRecord,
    packageId: 3, options: {}, settings, credential, problem: null, source,
    readFiles: () => [{ name: 'p.msi', path: '/p.msi', size: 3, sha256: 'a'.repeat(64), role: 'msi' }],
    runId: 'r1-7-2-abcdef', attempts: 2, agentPath: '/agent.exe', callback: { port: 2224, fingerprint: 'f'.repeat(64) }, timeouts: pushTimeouts(settings),
    ...over,
  };
}

test('preparePush ends a push before any connection for a hash-only credential, a deleted package and an unreadable file, each with its class and advice', () => {
  const hashOnly = preparePush(inputs({ credential: { ...credential, keeps: 'nt-hash' }, problem: { kind: 'hash-only', why: 'x' } }));
  assert.ok('verdict' in hashOnly && hashOnly.verdict.errorClass === 'credentials-hash-only' && /Install as SYSTEM/.test(hashOnly.verdict.advice));
  const noPackage = preparePush(inputs({ source: undefined }));
  assert.ok('verdict' in noPackage && noPackage.verdict.errorClass === 'package' && /redeploy/.test(noPackage.verdict.advice));
  const changed = preparePush(inputs({ readFiles: () => { throw new ConsoleError('package', 'The package file p.msi changed.', 'Recreate the package.'); } }));
  assert.ok('verdict' in changed && changed.verdict.message === 'The package file p.msi changed.');
  const unreadable = preparePush(inputs({ readFiles: () => { throw new Error('EACCES: permission denied'); } }));
  assert.ok('verdict' in unreadable && unreadable.verdict.errorClass === 'package' && /cannot be read: EACCES/.test(unreadable.verdict.message) && /build:agent/.test(unreadable.verdict.advice));
});

test('preparePush builds the push: host and port from the target, DOMAIN\\user and the NT hash, callback addresses from the settings, and a start line that says the action and the attempt', () => {
  const prepared = preparePush(inputs({ options: { action: 'uninstall', runAs: 'system' }, settings: { ...defaultSettings, callbackAddress: 'console.corp, 10.0.0.1' } }));
  assert.ok('spec' in prepared);
  const { spec, startLine } = prepared;
  assert.deepEqual([spec.host, spec.port, spec.credentials.user, spec.credentials.ntHash?.equals(credential.ntHash)], ['10.0.0.7', 10445, 'CORP\\admin', true]);
  assert.deepEqual([spec.action, spec.runAs, spec.packageId, spec.parameters], ['uninstall', 'system', 'pkg-3', 'A=1']);
  assert.deepEqual(spec.callbackHosts, ['console.corp', '10.0.0.1']);
  assert.equal(startLine, 'uninstall (msiexec /x): push attempt 2 to 10.0.0.7:10445 as CORP\\admin (run r1-7-2-abcdef; transport callback)');
  const plain = preparePush(inputs({ target: { ...inputs().target, address: null, port: null }, attempts: 1 }));
  assert.ok('spec' in plain && plain.startLine === 'push to PC-7 as CORP\\admin (run r1-7-2-abcdef; transport callback)' && plain.spec.port === 445 && plain.spec.callbackHosts.length === 0);
});

test('recovery marks every in-flight target interrupted, cleans at once where the credential is held, and where it is not names what is left and asks for credentials', () => {
  const r = repo();
  const [held, gone] = r.targetIds as [number, number];
  const record = (runId: string) => JSON.stringify({ service: `PushInstallAgent-${runId}`, files: [`PushInstall\\${runId}\\PushInstallAgent.exe`], directories: [`PushInstall\\${runId}`] });
  r.tasks.updateTarget(held, { state: 'installing', run_id: 'r1', service_name: 'PushInstallAgent-r1', leftovers: record('r1') });
  r.tasks.updateTarget(gone, { state: 'copying', run_id: 'r2', leftovers: record('r2') });
  const cleaned: number[] = [];
  const revoked: number[] = [];
  const lines: string[] = [];
  const n = recoverInterrupted({
    tasks: r.tasks, now: () => new Date('2026-12-06T12:00:00Z'),
    canClean: (t) => t.id === held, clean: (id) => cleaned.push(id), revoke: (id) => revoked.push(id), log: (l) => lines.push(l),
  });
  assert.equal(n, 2);
  assert.deepEqual([cleaned, revoked], [[held], [held, gone]]);
  const a = r.tasks.targetRecord(held)!;
  const b = r.tasks.targetRecord(gone)!;
  assert.deepEqual([a.state, a.outcome, b.state, b.outcome], ['done', 'interrupted', 'done', 'interrupted']);
  assert.match(a.advice!, /removed now/);
  assert.match(b.advice!, /Set Credentials… on this computer/);
  const leftB = JSON.parse(b.leftovers!) as { files: string[] };
  assert.ok(leftB.files.some((f) => f.endsWith('.exe.done')), 'the files the agent may have made beside itself are on record too');
  assert.ok(r.tasks.log(gone).some((s) => s.step === 'cleanup' && s.code === 'LEFTOVERS' && /PushInstallAgent-r2/.test(s.detail)));
  assert.match(lines.join('\n'), /1 left something on their computer and have no credentials now/);
  r.db.close();
});

test('withSideFiles adds the agent\'s side files only when the agent itself is on record (a crash before the copy left no agent)', () => {
  const dirOnly = withSideFiles({ service: null, files: [], directories: ['PushInstall\\r3'] }, 'r3', null);
  assert.deepEqual(dirOnly.files, []);
  const withAgent = withSideFiles({ service: null, files: ['PushInstall\\r3\\PushInstallAgent.exe'], directories: ['PushInstall\\r3'] }, 'r3', 'PushInstallAgent-r3-x');
  assert.deepEqual(withAgent.files.map((f) => f.split('\\').pop()!.replace('PushInstallAgent.exe', '')).sort(), [
    '', '.done', '.job', '.log', '.pkg', '.progress', '.progress.tmp', '.result', '.result.tmp',
  ], 'the agent, its job, log and done marker, and the SMB transport\'s manifest, progress and result (and their half-written .tmp)');
  assert.equal(withAgent.service, 'PushInstallAgent-r3-x');
});
