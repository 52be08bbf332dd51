// One table of error classes (main/ipc/errorClasses.ts): every ConsoleError's class is in it (the
// compiler enforces that), a class from across the wire that this build does not know becomes
// 'internal', and the table and docs/ARCHITECTURE.md §7 name the same classes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConsoleError, defaultAdvice, ERROR_CLASSES, isErrorClass, toIpcError } from '../../main/ipc/errors.js';
import { verdictForAgentCode } from '../../main/engine/results.js';
import { openDatabase } from '../../main/store/database.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';
import { REPO_ROOT } from '../support/childProcess.js';

test('every class has a sentence saying when it arises and one saying what to do, and a class from the wire that this build does not know becomes internal with its message kept', () => {
  for (const [cls, { when, advice }] of Object.entries(ERROR_CLASSES)) {
    assert.match(when, /^[A-Z'a-z].{8,}\.$/, cls);
    assert.match(advice, /^[A-Z].{8,}\.$/, cls);
    assert.notEqual(advice.toLowerCase(), when.toLowerCase(), cls);
  }
  assert.equal(isErrorClass('offline'), true);
  assert.equal(isErrorClass('toString'), false, 'no prototype key counts');
  const known = ConsoleError.fromIpcError({ class: 'offline', code: null, message: 'm', advice: 'a' });
  const unknown = ConsoleError.fromIpcError({ class: 'from-a-newer-console', code: 'X', message: 'm', advice: 'a' });
  assert.deepEqual([known.errorClass, unknown.errorClass, unknown.message, unknown.code], ['offline', 'internal', 'm', 'X']);
});

test('docs/ARCHITECTURE.md §7 names exactly the classes of the table', () => {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## §7'), doc.indexOf('## §8'));
  const inDoc = new Set([...section.matchAll(/^\| ([^|]+)\|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([a-z0-9-]+)`/g)].map((x) => x[1]!)));
  const inTable = new Set(Object.keys(ERROR_CLASSES));
  assert.deepEqual([...inTable].filter((c) => !inDoc.has(c)).sort(), [], 'classes the docs do not explain');
  assert.deepEqual([...inDoc].filter((c) => !inTable.has(c)).sort(), [], 'classes the docs name that the console does not have');
});

test('a failure without advice of its own carries its class\'s: a ConsoleError, a bug, an agent code, an ended target read from the store', () => {
  assert.equal(new ConsoleError('offline', 'm').advice, ERROR_CLASSES.offline.advice);
  assert.equal(new ConsoleError('offline', 'm', '').advice, ERROR_CLASSES.offline.advice, 'an empty advice is no advice');
  assert.equal(new ConsoleError('offline', 'm', 'Plug it in.').advice, 'Plug it in.', 'a specific advice wins');
  assert.equal(toIpcError(new Error('boom')).advice, defaultAdvice('internal'));
  assert.equal(verdictForAgentCode(11).advice, defaultAdvice('agent-no-callback'));
  assert.equal(verdictForAgentCode(100000 + 1603).advice.includes('Return value 3'), true, 'an msiexec code says more than its class');
  assert.equal(verdictForAgentCode(100000 + 1234).advice, defaultAdvice('msi-failed'));

  const db = openDatabase({ location: ':memory:' });
  const tasks = new TasksRepo(db);
  const { taskId, targetIds } = tasks.create({ name: 't', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'A' }, { computerId: null, computerName: 'B' }, { computerId: null, computerName: 'C' }] });
  tasks.updateTarget(targetIds[0]!, { state: 'done', outcome: 'cancelled', error_class: 'cancelled' });
  tasks.updateTarget(targetIds[1]!, { state: 'done', outcome: 'failed', error_class: 'offline', advice: 'Specific.' });
  tasks.updateTarget(targetIds[2]!, { state: 'done', outcome: 'succeeded' });
  assert.deepEqual(tasks.targets(taskId).map((t) => t.advice), [defaultAdvice('cancelled'), 'Specific.', null]);
  db.close();
});
