// One table of error classes (main/ipc/errorClasses.ts): every ConsoleError's class is in it (the
// compiler enforces that), a class from across the wire that this build does not know becomes
// 'internal', and the table and docs/ARCHITECTURE.md §7 name the same classes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConsoleError, ERROR_CLASSES, isErrorClass } from '../../main/ipc/errors.js';
import { REPO_ROOT } from '../support/childProcess.js';

test('every class has a sentence saying when it arises, and a class from the wire that this build does not know becomes internal with its message kept', () => {
  for (const [cls, when] of Object.entries(ERROR_CLASSES)) assert.match(when, /^[A-Z'a-z].{8,}\.$/, cls);
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
