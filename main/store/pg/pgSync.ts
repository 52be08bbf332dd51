// The repositories' synchronous SQL surface (../sql.ts) on PostgreSQL: one `pg` client on a
// worker thread, and each statement a message to it that the calling thread waits for
// (Atomics.wait on a shared word the worker sets when it has answered). The statements of one
// process run one at a time on that one connection, so a transaction is simply BEGIN … COMMIT on
// it, nested ones SAVEPOINTs, as on SQLite.
//
// The SQL the repositories write is the portable subset (sql.ts); what differs is rewritten here:
// `?` parameters become $1…$n and camelCase aliases (`AS targetId`) are quoted — PostgreSQL folds
// unquoted names to lower case — both only outside string literals, quoted identifiers and
// comments; an INSERT into a table with an `id` column that asks for no RETURNING gets
// `RETURNING id` so lastInsertRowid means what it means on SQLite. Integers
// come back as numbers (BIGINT and COUNT's bigint through a parser: ids stay far below 2^53) and
// booleans as 1/0, as SQLite gives them.
//
// A lost connection (PostgreSQL restarted, or the network): the worker notices it between
// statements (that client's error or end event) and opens a new one before the next, trying for up
// to `reconnectMs`; a statement is sent again only when the client refused it before sending, so
// nothing is written twice. A statement cut off mid-way, or a server that stays away, fails with
// DatabaseUnavailableError; inside a transaction the whole transaction fails, as it must.
//
// Each request carries a sequence number and the worker counts its answers in the shared word, so
// an answer that comes after its statement was given up on (the wait's bound) is recognised and
// dropped instead of being taken for the next statement's.
import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { DatabaseClosedError, DatabaseUnavailableError, type SqlDb, type SqlStatement, type SqlValue } from '../sql.js';

export interface PgSyncOptions {
  /** postgres://user:password@host:port/database */
  readonly url: string;
  /** How long a lost connection is retried before a statement fails; default 30 s. */
  readonly reconnectMs?: number;
  /** The longest one statement may take, in ms (PostgreSQL's statement_timeout); default 60 s. */
  readonly statementTimeoutMs?: number;
}

interface Request {
  readonly seq?: number;
  readonly kind: 'query' | 'exec' | 'close';
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

interface Reply {
  readonly seq: number;
  readonly rows?: Record<string, unknown>[];
  readonly rowCount?: number;
  readonly error?: { message: string; code?: string; unavailable: boolean; name?: string };
}

// The worker: CommonJS source run with eval (so a bundled main process needs no second file), the
// `pg` module loaded from the path the main thread resolved.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const pg = require(workerData.pgPath);
const { port, sab, url, reconnectMs, statementTimeoutMs } = workerData;
const flag = new Int32Array(sab);
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));
pg.types.setTypeParser(16, (v) => (v === 't' ? 1 : 0));
let client = null;
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);
const isConnectionError = (e) => CONNECTION_CODES.has(e && e.code) || /Connection terminated|Client was closed|not queryable|connection .*closed|timeout expired|connection timeout/i.test(String(e && e.message));
// Refused by the client before anything was sent: safe to send again on a new connection.
const neverSent = (e) => /not queryable|Client was closed/i.test(String(e && e.message));
// Lost is a property of one client: a late error or end event of a client already replaced (or of
// a failed connection attempt) must not condemn the connection that replaced it.
async function connect() {
  const deadline = Date.now() + reconnectMs;
  let delay = 50;
  for (;;) {
    const c = new pg.Client({ connectionString: url, statement_timeout: statementTimeoutMs, application_name: 'push-install-server', connectionTimeoutMillis: Math.max(250, deadline - Date.now()) });
    c.lost = false;
    c.on('error', () => { c.lost = true; });
    c.on('end', () => { c.lost = true; });
    try {
      await c.connect();
      return c;
    } catch (e) {
      c.end().catch(() => {});
      // Tried until the deadline itself: the last wait is cut short to end there, then one more try.
      const left = deadline - Date.now();
      if (!isConnectionError(e) || left <= 0) throw e;
      await new Promise((r) => setTimeout(r, Math.min(delay, left)));
      delay = Math.min(delay * 2, 1000);
    }
  }
}
function answer(seq, reply) {
  port.postMessage({ seq, ...reply });
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
}
function failure(e, unavailable) {
  return { error: { message: String((e && e.message) || e), code: e && e.code, unavailable, name: e && e.name } };
}
let inTransaction = false;
const send = (req) => (req.kind === 'exec' ? client.query(req.sql) : client.query({ text: req.sql, values: req.params }));
port.on('message', async (req) => {
  const seq = req.seq;
  if (req.kind === 'close') {
    if (client) await client.end().catch(() => {});
    answer(seq, { rows: [], rowCount: 0 });
    port.close();
    return;
  }
  try {
    if (!client || client.lost) {
      if (client) client.end().catch(() => {});
      client = null;
      if (inTransaction) {
        // The transaction died with its connection: say so until it is rolled back.
        if (/^\\s*ROLLBACK\\b/i.test(req.sql)) { inTransaction = false; answer(seq, { rows: [], rowCount: 0 }); return; }
        answer(seq, failure(new Error('the connection to PostgreSQL was lost inside a transaction'), true));
        return;
      }
      client = await connect();
    }
    let r;
    try {
      r = await send(req);
    } catch (e) {
      // The connection went away before this statement left (its events not yet seen): outside a
      // transaction it is sent once more on a new connection; inside one the transaction is lost.
      if (!neverSent(e) || inTransaction) throw e;
      client.end().catch(() => {});
      client = null;
      client = await connect();
      r = await send(req);
    }
    const last = Array.isArray(r) ? r[r.length - 1] : r;
    if (/^\\s*(BEGIN|SAVEPOINT)\\b/i.test(req.sql)) inTransaction = true;
    else if (/^\\s*(COMMIT|ROLLBACK)\\b/i.test(req.sql) && !/^\\s*ROLLBACK TO\\b/i.test(req.sql)) inTransaction = false;
    answer(seq, { rows: (last && last.rows) || [], rowCount: (last && last.rowCount) || 0 });
  } catch (e) {
    answer(seq, failure(e, isConnectionError(e)));
  }
});
`;

/**
 * The SQL split into code and the parts left as they are: string literals ('…', '' inside),
 * quoted identifiers ("…", "" inside), line comments (-- …) and block comments.
 */
function splitSql(sql: string): { code: boolean; text: string }[] {
  const parts: { code: boolean; text: string }[] = [];
  let code = '';
  let i = 0;
  const literal = (end: number) => {
    if (code) parts.push({ code: true, text: code });
    code = '';
    parts.push({ code: false, text: sql.slice(i, end) });
    i = end;
  };
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(ch, j);
        if (k < 0) {
          j = sql.length;
          break;
        }
        if (sql[k + 1] === ch) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      literal(j);
    } else if (sql.startsWith('--', i)) {
      const k = sql.indexOf('\n', i);
      literal(k < 0 ? sql.length : k);
    } else if (sql.startsWith('/*', i)) {
      const k = sql.indexOf('*/', i + 2);
      literal(k < 0 ? sql.length : k + 2);
    } else {
      code += ch;
      i += 1;
    }
  }
  if (code) parts.push({ code: true, text: code });
  return parts;
}

/** An alias with a capital after a small letter (`AS targetId`), which PostgreSQL would fold to lower case unquoted. */
const CAMEL_ALIAS = /\b([Aa][Ss])(\s+)([a-z_][a-z0-9_]*[A-Z][A-Za-z0-9_]*)\b/g;

/**
 * The repositories' SQL in PostgreSQL's form: `?` → `$n` and camelCase aliases quoted, in code only
 * (never inside string literals, quoted identifiers or comments); `RETURNING id` on an INSERT into
 * a table with an id that has no RETURNING of its own.
 */
export function toPgSql(sql: string, tablesWithId: ReadonlySet<string>): { text: string; returningId: boolean } {
  let n = 0;
  const parts = splitSql(sql).map((p) =>
    p.code ? { ...p, text: p.text.replace(/\?/g, () => `$${++n}`).replace(CAMEL_ALIAS, (_m, as: string, space: string, alias: string) => `${as}${space}"${alias}"`) } : p,
  );
  let text = parts.map((p) => p.text).join('');
  const code = parts.map((p) => (p.code ? p.text : ' ')).join('');
  const insert = /^\s*INSERT\s+INTO\s+(\w+)/i.exec(code);
  const returningId = !!insert && tablesWithId.has(insert[1]!.toLowerCase()) && !/\bRETURNING\b/i.test(code);
  if (returningId) {
    const last = parts[parts.length - 1]!;
    // After a trailing line comment the clause goes on a line of its own; a final semicolon goes.
    text = !last.code && last.text.startsWith('--') ? `${text}\nRETURNING id` : `${text.trimEnd().replace(/;\s*$/, '')} RETURNING id`;
  }
  return { text, returningId };
}

function plainRows(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(row)) {
      const v = row[key];
      out[key] = v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
    }
    return out;
  });
}

class PgStatement implements SqlStatement {
  private plucked = false;
  constructor(private readonly db: PgSyncDatabase, private readonly sql: string) {}

  pluck(): this {
    this.plucked = true;
    return this;
  }

  run(...params: SqlValue[]): { changes: number; lastInsertRowid: number } {
    const r = this.db.query(this.sql, params);
    const id = r.returningId ? Number(r.rows[0]?.id ?? 0) : 0;
    return { changes: r.rowCount, lastInsertRowid: id };
  }

  get(...params: SqlValue[]): unknown {
    const row = this.db.query(this.sql, params).rows[0];
    return this.plucked && row ? Object.values(row)[0] : row;
  }

  all(...params: SqlValue[]): unknown[] {
    const rows = this.db.query(this.sql, params).rows;
    return this.plucked ? rows.map((r) => Object.values(r)[0]) : rows;
  }
}

export class PgSyncDatabase implements SqlDb {
  readonly dialect = 'postgres';
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly waitMs: number;
  private readonly tablesWithId: Set<string>;
  private readonly translated = new Map<string, { text: string; returningId: boolean }>();
  private closed = false;
  private seq = 0;
  private depth = 0;
  private savepoints = 0;

  constructor(options: PgSyncOptions) {
    const channel = new MessageChannel();
    this.port = channel.port1;
    const reconnectMs = options.reconnectMs ?? 30_000;
    const statementTimeoutMs = options.statementTimeoutMs ?? 60_000;
    // A statement may wait for a reconnect and then run to its own timeout.
    this.waitMs = reconnectMs + statementTimeoutMs + 5_000;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { port: channel.port2, sab: this.flag.buffer, url: options.url, reconnectMs, statementTimeoutMs, pgPath: createRequire(import.meta.url).resolve('pg') },
      transferList: [channel.port2],
    });
    this.worker.unref();
    this.worker.on('error', () => undefined);
    this.tablesWithId = new Set();
    try {
      const rows = this.roundTrip({ kind: 'query', sql: "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'id'", params: [] }).rows;
      for (const r of rows) this.tablesWithId.add(String(r.table_name).toLowerCase());
    } catch (error) {
      this.shutdown();
      throw error;
    }
  }

  get open(): boolean {
    return !this.closed;
  }

  private roundTrip(request: Request): { rows: Record<string, unknown>[]; rowCount: number } {
    if (this.closed) throw new DatabaseClosedError();
    const seq = ++this.seq;
    this.port.postMessage({ ...request, seq });
    const deadline = Date.now() + this.waitMs;
    let reply: Reply | undefined;
    for (;;) {
      // Read the answer count before looking, so an answer posted in between ends the wait at once.
      const answered = Atomics.load(this.flag, 0);
      for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
        const r = m.message as Reply;
        if (r.seq === seq) reply = r; // else: the late answer of a statement already given up on
      }
      if (reply) break;
      const left = deadline - Date.now();
      if (left <= 0) throw new DatabaseUnavailableError(`PostgreSQL did not answer within ${Math.round(this.waitMs / 1000)} s.`);
      Atomics.wait(this.flag, 0, answered, left);
    }
    if (reply.error) {
      if (reply.error.unavailable) throw new DatabaseUnavailableError(`PostgreSQL is unavailable: ${reply.error.message}`);
      const error = new Error(reply.error.message) as Error & { code?: string };
      if (reply.error.code) error.code = reply.error.code;
      throw error;
    }
    return { rows: plainRows(reply.rows ?? []), rowCount: reply.rowCount ?? 0 };
  }

  /** One statement with parameters (the repositories' `?` form). */
  query(sql: string, params: readonly SqlValue[]): { rows: Record<string, unknown>[]; rowCount: number; returningId: boolean } {
    let t = this.translated.get(sql);
    if (!t) {
      t = toPgSql(sql, this.tablesWithId);
      if (this.translated.size >= 512) this.translated.delete(this.translated.keys().next().value!);
      this.translated.set(sql, t);
    }
    const values = params.map((p) => (p === undefined ? null : p));
    return { ...this.roundTrip({ kind: 'query', sql: t.text, params: values }), returningId: t.returningId };
  }

  prepare(sql: string): SqlStatement {
    if (this.closed) throw new DatabaseClosedError();
    return new PgStatement(this, sql);
  }

  exec(sql: string): void {
    this.roundTrip({ kind: 'exec', sql, params: [] });
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    return (...args: A): R => {
      const savepoint = this.depth > 0 ? `sp${++this.savepoints}` : null;
      this.exec(savepoint ? `SAVEPOINT ${savepoint}` : 'BEGIN');
      this.depth += 1;
      try {
        const result = fn(...args);
        this.exec(savepoint ? `RELEASE SAVEPOINT ${savepoint}` : 'COMMIT');
        return result;
      } catch (error) {
        try {
          this.exec(savepoint ? `ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}` : 'ROLLBACK');
        } catch {
          // The connection is gone: the server rolled the transaction back itself.
        }
        throw error;
      } finally {
        this.depth -= 1;
      }
    };
  }

  schemaVersion(): number {
    return Number(this.prepare('SELECT max(version) AS v FROM schema_migrations').pluck().get() ?? 0);
  }

  close(): void {
    if (this.closed) return;
    try {
      this.roundTrip({ kind: 'close', sql: '', params: [] });
    } catch {
      // Closing anyway.
    }
    this.shutdown();
  }

  private shutdown(): void {
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}
