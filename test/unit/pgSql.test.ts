// toPgSql (main/store/pg/pgSync.ts): the repositories' portable SQL in PostgreSQL's form. `?`
// becomes $1…$n only in code (a '?' in a string literal, a quoted identifier or a comment is text,
// not a parameter); camelCase aliases are quoted so PostgreSQL does not fold them to lower case
// (PostgreSQL docs, "Identifiers and Key Words": unquoted names are folded to lower case); an
// INSERT gets RETURNING id only when its table has an id and it asks for no RETURNING itself.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toPgSql } from '../../main/store/pg/pgSync.js';

const WITH_ID = new Set(['computers', 'tasks', 'task_targets', 'step_logs', 'packages', 'credentials']);
const text = (sql: string) => toPgSql(sql, WITH_ID).text;

describe('toPgSql: parameters', () => {
  test('each ? outside quotes becomes $1…$n in order', () => {
    assert.equal(text('SELECT * FROM t WHERE a = ? AND b IN (?, ?) LIMIT ? OFFSET ?'), 'SELECT * FROM t WHERE a = $1 AND b IN ($2, $3) LIMIT $4 OFFSET $5');
  });

  test('a ? inside a string literal is kept, and numbering goes on after it', () => {
    assert.equal(text("SELECT '?' AS q, ? AS v WHERE x = 'a?b' OR y = ?"), "SELECT '?' AS q, $1 AS v WHERE x = 'a?b' OR y = $2");
  });

  test("a doubled quote inside a literal does not end it: 'it''s ?' keeps its ?", () => {
    assert.equal(text("SELECT ? WHERE note = 'it''s ? here' AND n = ?"), "SELECT $1 WHERE note = 'it''s ? here' AND n = $2");
  });

  test('a ? inside a quoted identifier or a comment is kept', () => {
    assert.equal(text('SELECT "odd?name" FROM t WHERE a = ? -- is it?\nAND b = ? /* or ? */'), 'SELECT "odd?name" FROM t WHERE a = $1 -- is it?\nAND b = $2 /* or ? */');
  });

  test('SQL without parameters is left as it is', () => {
    const sql = "SELECT id FROM task_targets WHERE state NOT IN ('queued', 'done') ORDER BY id";
    assert.equal(text(sql), sql);
  });
});

describe('toPgSql: aliases', () => {
  test('camelCase aliases are quoted, lower-case ones are not', () => {
    assert.equal(
      text('SELECT id, target_id AS targetId, COUNT(*) AS notDone, name AS package_name FROM t'),
      'SELECT id, target_id AS "targetId", COUNT(*) AS "notDone", name AS package_name FROM t',
    );
  });

  test('a lower-case "as" and a digit in the alias are handled too', () => {
    assert.equal(text('SELECT a as fooBar, b AS step2Name FROM t'), 'SELECT a as "fooBar", b AS "step2Name" FROM t');
  });

  test('type names after AS in a CAST are not aliases and stay unquoted', () => {
    assert.equal(text('SELECT CAST(n AS INTEGER) AS total, CAST(x AS TEXT) FROM t'), 'SELECT CAST(n AS INTEGER) AS total, CAST(x AS TEXT) FROM t');
  });

  test('an alias already quoted, and "AS camelCase" inside a string literal, are left alone', () => {
    assert.equal(text(`SELECT a AS "targetId", 'x AS fooBar' AS label FROM t`), `SELECT a AS "targetId", 'x AS fooBar' AS label FROM t`);
  });
});

describe('toPgSql: RETURNING id', () => {
  test('an INSERT into a table with an id and no RETURNING gets RETURNING id', () => {
    const r = toPgSql('INSERT INTO step_logs (target_id, at, step, detail, code) VALUES (?, ?, ?, ?, ?)', WITH_ID);
    assert.deepEqual(r, { text: 'INSERT INTO step_logs (target_id, at, step, detail, code) VALUES ($1, $2, $3, $4, $5) RETURNING id', returningId: true });
  });

  test('the table name is matched whatever its case, after leading blanks', () => {
    assert.equal(toPgSql('  insert into Tasks (name) VALUES (?)', WITH_ID).returningId, true);
  });

  test('an INSERT that has its own RETURNING is left as it is', () => {
    const sql = 'INSERT INTO computers (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING *';
    assert.deepEqual(toPgSql(sql, WITH_ID), { text: 'INSERT INTO computers (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING *', returningId: false });
  });

  test('an INSERT into a table without an id gets no RETURNING', () => {
    assert.deepEqual(toPgSql('INSERT INTO schema_migrations (version, name) VALUES (?, ?)', WITH_ID), { text: 'INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', returningId: false });
  });

  test('UPDATE, DELETE and SELECT never get RETURNING id', () => {
    for (const sql of ['UPDATE tasks SET status = ? WHERE id = ?', 'DELETE FROM tasks WHERE id = ?', 'SELECT * FROM tasks WHERE id = ?']) {
      assert.equal(toPgSql(sql, WITH_ID).returningId, false, sql);
      assert.doesNotMatch(toPgSql(sql, WITH_ID).text, /RETURNING/);
    }
  });

  test("the word RETURNING inside a string literal is not the clause: RETURNING id is still added", () => {
    assert.deepEqual(toPgSql("INSERT INTO step_logs (step, detail) VALUES ('returning', 'RETURNING soon')", WITH_ID), {
      text: "INSERT INTO step_logs (step, detail) VALUES ('returning', 'RETURNING soon') RETURNING id",
      returningId: true,
    });
  });

  test('a final semicolon is dropped before RETURNING id, and a trailing comment does not swallow it', () => {
    assert.equal(text('INSERT INTO tasks (name) VALUES (?);  '), 'INSERT INTO tasks (name) VALUES ($1) RETURNING id');
    assert.equal(text('INSERT INTO tasks (name) VALUES (?) -- the task'), 'INSERT INTO tasks (name) VALUES ($1) -- the task\nRETURNING id');
  });
});
