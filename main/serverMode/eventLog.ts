// The server's events as rows (table event_batches): each batch the consoles receive
// (main/ipc/eventBatch.ts) is one row, numbered, before it is sent — so a console that lost its
// connection asks for what came after the last number it saw and misses nothing, and a console
// connected to another server process sharing the database gets it too. PostgreSQL's NOTIFY
// carries only "batch N is there, from server S" (https://www.postgresql.org/docs/current/sql-notify.html):
// each server LISTENs on its own connection, reads the rows of other servers after the last one
// it forwarded, and sends them to its consoles; a lost LISTEN connection is opened again and
// reads what it missed meanwhile. Rows older than EVENT_RETENTION_MS are removed.
import crypto from 'node:crypto';
import pg from 'pg';
import type { BatchedEvent } from '../ipc/eventBatch.js';
import type { SqlDb } from '../store/sql.js';

export const EVENT_CHANNEL = 'pic_events';
/** How long a batch is kept: a console away longer than this re-reads everything instead. */
export const EVENT_RETENTION_MS = 24 * 3_600_000;
/** The most batches one catch-up sends (older ones: the console re-reads its lists). */
export const CATCH_UP_LIMIT = 10_000;

export interface StoredBatch {
  readonly id: number;
  readonly events: readonly BatchedEvent[];
}

export interface EventLog {
  /** This server process's name in the rows it writes. */
  readonly origin: string;
  /** Stores a batch and tells the other servers; its number. */
  append(events: readonly BatchedEvent[]): number;
  /** The batches after `afterId`, oldest first (at most CATCH_UP_LIMIT); `complete` false when older ones were already removed or cut. */
  since(afterId: number): { batches: StoredBatch[]; complete: boolean };
  /** The newest batch's number (0 when none). */
  lastId(): number;
  /** Batches other server processes stored, as they come. */
  onRemote(listener: (batch: StoredBatch) => void): () => void;
  close(): Promise<void>;
}

interface BatchRow {
  id: number;
  events: string;
}

function parseBatch(row: BatchRow): StoredBatch {
  return { id: Number(row.id), events: JSON.parse(row.events) as BatchedEvent[] };
}

/** `listen: false`: a process that only publishes (a push worker) and forwards nothing. */
export async function openEventLog(db: SqlDb, url: string, options: { now?: () => Date; log?: (line: string) => void; listen?: boolean } = {}): Promise<EventLog> {
  const origin = crypto.randomUUID();
  const now = options.now ?? (() => new Date());
  const listeners = new Set<(batch: StoredBatch) => void>();
  let forwarded = Number(db.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM event_batches').pluck().get() ?? 0);
  let appended = 0;
  let closed = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  let reading: Promise<void> = Promise.resolve();

  /** Reads other servers' batches after the last forwarded, on the LISTEN connection (serialised). */
  const readRemote = () =>
    (reading = reading.then(async () => {
      const c = client;
      if (!c || closed) return;
      try {
        const { rows } = await c.query<BatchRow>('SELECT id, events FROM event_batches WHERE id > $1 AND origin <> $2 ORDER BY id LIMIT 1000', [forwarded, origin]);
        for (const row of rows) {
          const batch = parseBatch(row);
          forwarded = Math.max(forwarded, batch.id);
          for (const listener of listeners) listener(batch);
        }
        if (rows.length === 1000) void readRemote();
      } catch {
        // The connection's error handler reconnects and reads again.
      }
    }));

  const listen = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({ connectionString: url, application_name: 'push-install-server events' });
    c.on('error', () => {
      if (client !== c) return;
      client = null;
      if (!closed) retry = setTimeout(() => void listen().catch(() => undefined), 1_000);
    });
    c.on('notification', (message) => {
      if (message.channel !== EVENT_CHANNEL || !message.payload) return;
      const [, from] = message.payload.split(':');
      if (from !== origin) void readRemote();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${EVENT_CHANNEL}`);
      client = c;
      // What came while this server was not listening (at start: nothing older than now is sent).
      void readRemote();
    } catch (error) {
      void c.end().catch(() => undefined);
      options.log?.(`The event connection to PostgreSQL failed (${error instanceof Error ? error.message : String(error)}); trying again.`);
      if (!closed) retry = setTimeout(() => void listen().catch(() => undefined), 1_000);
    }
  };
  if (options.listen !== false) await listen();

  return {
    origin,
    append(events) {
      // One round trip: the row and the notification, which PostgreSQL delivers at commit.
      const row = db
        .prepare(`WITH stored AS (INSERT INTO event_batches (at, origin, events) VALUES (?, ?, ?) RETURNING id) SELECT id, pg_notify('${EVENT_CHANNEL}', id || ':' || ?) AS sent FROM stored`)
        .get(now().toISOString(), origin, JSON.stringify(events), origin) as { id: number };
      const id = Number(row.id);
      if (++appended % 1000 === 0) db.prepare('DELETE FROM event_batches WHERE at < ?').run(new Date(now().getTime() - EVENT_RETENTION_MS).toISOString());
      return id;
    },
    since(afterId) {
      const oldest = Number(db.prepare('SELECT COALESCE(MIN(id), 0) AS n FROM event_batches').pluck().get() ?? 0);
      const rows = db.prepare('SELECT id, events FROM event_batches WHERE id > ? ORDER BY id LIMIT ?').all(afterId, CATCH_UP_LIMIT + 1) as BatchRow[];
      const complete = rows.length <= CATCH_UP_LIMIT && (afterId + 1 >= oldest || oldest === 0);
      return { batches: rows.slice(0, CATCH_UP_LIMIT).map(parseBatch), complete };
    },
    lastId: () => Number(db.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM event_batches').pluck().get() ?? 0),
    onRemote(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = null;
      await reading.catch(() => undefined);
      if (c) await c.end().catch(() => undefined);
    },
  };
}
