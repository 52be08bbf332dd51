// The console opens a database written by the previous release (better-sqlite3, schema 4) with
// today's store (node:sqlite): the file opens unchanged, in WAL with foreign keys on, intact,
// and every computer, credential row, package, task, target and step-log line reads back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DATABASE_FILE_NAME, integrityCheck, openDatabase, schemaVersion } from '../../main/store/database.js';
import { migrations } from '../../main/store/migrations.js';
import { ComputersRepo } from '../../main/store/computersRepo.js';
import { PackagesRepo } from '../../main/store/packagesRepo.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';
import { MemoryVault } from '../../main/engine/credentials.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { tempDirFor } from '../support/tempDir.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'previous-release', DATABASE_FILE_NAME);

test('a database written by the previous release opens with node:sqlite and reads back whole', (t) => {
  const dir = tempDirFor(t, 'pic-upgrade-');
  fs.copyFileSync(FIXTURE, path.join(dir, DATABASE_FILE_NAME));
  const db = openDatabase({ location: dir });
  t.after(() => db.close());
  assert.equal(schemaVersion(db), migrations.length, 'migrated to this console\'s schema (or already there)');
  assert.equal(integrityCheck(db), 'ok');
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');

  const computers = new ComputersRepo(db).list();
  assert.deepEqual(computers.map((c) => [c.name, c.groupName]), [['PC-01', 'Accounting'], ['PC-02', null]]);

  const vault = new MemoryVault(db);
  const [credential] = vault.list();
  assert.deepEqual([credential?.domain, credential?.user, credential?.label], ['CORP', 'admin', 'CORP admin']);
  assert.equal(vault.logon(credential!.id), null, 'a memory-only secret did not survive, as in the release');

  const [pkg] = new PackagesRepo(db).list();
  assert.equal(pkg?.name, 'Agent 1.0');
  assert.equal(pkg?.parameters, 'INSTALLDIR="C:\\Program Files\\Agent"');

  const tasks = new TasksRepo(db);
  const [task] = tasks.list();
  assert.equal(task?.name, 'Install Agent 1.0');
  assert.equal(task?.status, 'finished');
  const targets = tasks.targets(task!.id);
  assert.deepEqual(targets.map((x) => [x.computerName, x.outcome, x.errorClass]), [['PC-01', 'succeeded', null], ['PC-02', 'failed', 'logon-failure']]);
  assert.deepEqual(tasks.log(targets[0]!.id).map((s) => s.step), ['probe', 'done']);
  assert.equal(tasks.log(targets[1]!.id)[0]?.code, 'STATUS_LOGON_FAILURE');

  // And it goes on working: a new task written and read back in the old file.
  const next = tasks.create({ name: 'again', packageId: pkg!.id, scheduledAt: null, targets: [{ computerId: computers[0]!.id, computerName: 'PC-01' }] });
  assert.equal(tasks.targets(next.taskId).length, 1);
});
