// Child process for test/unit/databaseCrash.test.ts: writes to the console's database through
// openDatabase and the repos until the parent kills it with SIGKILL.
//
//   node --import tsx test/support/crashWriter.ts <dir> big-transaction <N>
//     commits N computers, one transaction each, prints "committed N" (and the WAL size), then
//     opens one transaction and inserts rows forever; after 50,000 rows prints "mid-transaction".
//   node --import tsx test/support/crashWriter.ts <dir> stream
//     commits forever; after each commit prints "committed <computerId> <taskId>" (a computer
//     and a task with 3 targets in one transaction).
//
// Lines are written with fs.writeSync so a line the parent reads was printed after the commit
// returned. It gives up on its own after 60 s so it can never outlive a crashed parent for long.
import fs from 'node:fs';
import path from 'node:path';
import { DATABASE_FILE_NAME, openDatabase } from '../../main/store/database.js';
import { ComputersRepo } from '../../main/store/computersRepo.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';
import { MID_TRANSACTION_ROWS, TARGETS_PER_TASK, UNCOMMITTED_PREFIX } from './crashWriterConstants.js';


const deadline = Date.now() + 60_000;
const say = (line: string) => fs.writeSync(1, line + '\n');
const walSize = (dir: string) => {
  try {
    return fs.statSync(path.join(dir, DATABASE_FILE_NAME + '-wal')).size;
  } catch {
    return 0;
  }
};

function bigTransaction(dir: string, n: number): void {
  const db = openDatabase({ location: dir });
  const computers = new ComputersRepo(db);
  for (let i = 1; i <= n; i++) {
    const { added } = computers.addMany([{ name: `committed-${String(i).padStart(5, '0')}`, address: `10.0.${i >> 8}.${i & 255}` }]);
    if (added.length !== 1) throw new Error(`row ${i} was not added`);
  }
  say(`committed ${n} wal=${walSize(dir)}`);

  // One transaction that is never committed: rows big enough to spill out of SQLite's page
  // cache into the WAL file, so the kill leaves uncommitted frames on disk, not only in memory.
  const padding = 'x'.repeat(400);
  const insert = db.prepare('INSERT INTO computers (name, address, os, created_at) VALUES (?, ?, ?, ?)');
  db.exec('BEGIN IMMEDIATE');
  const at = new Date().toISOString();
  for (let i = 1; ; i++) {
    insert.run(`${UNCOMMITTED_PREFIX}${i}`, null, padding, at);
    if (i === MID_TRANSACTION_ROWS) say(`mid-transaction ${i} wal=${walSize(dir)}`);
    if (i % 1000 === 0 && Date.now() > deadline) {
      say('gave up waiting to be killed');
      process.exit(3); // exits without COMMIT: the open transaction is abandoned
    }
  }
}

function stream(dir: string): void {
  const db = openDatabase({ location: dir });
  const computers = new ComputersRepo(db);
  const tasks = new TasksRepo(db);
  const addOne = db.transaction((i: number) => {
    const name = `stream-${String(i).padStart(6, '0')}`;
    const { added } = computers.addMany([{ name }]);
    const computer = added[0];
    if (!computer) throw new Error(`${name} was not added`);
    const targets = Array.from({ length: TARGETS_PER_TASK }, () => ({ computerId: computer.id, computerName: name }));
    const { taskId } = tasks.create({ name: `task for ${name}`, packageId: null, scheduledAt: null, targets });
    return { computerId: computer.id, taskId };
  });
  for (let i = 1; ; i++) {
    const { computerId, taskId } = addOne(i);
    say(`committed ${computerId} ${taskId}`);
    if (Date.now() > deadline) {
      say('gave up waiting to be killed');
      process.exit(3);
    }
  }
}

const [dir, mode, count] = process.argv.slice(2);
if (!dir || (mode !== 'big-transaction' && mode !== 'stream')) {
  process.stderr.write('usage: crashWriter.ts <dir> big-transaction <N> | stream\n');
  process.exit(2);
}
if (mode === 'big-transaction') bigTransaction(dir, Number(count ?? 200));
else stream(dir);
