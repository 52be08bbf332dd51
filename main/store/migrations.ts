// Versioned schema migrations. A migration is applied once, in order, inside a transaction, and
// its number is recorded in `PRAGMA user_version`; an applied migration is never edited — a
// change is a new entry at the end.
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'computers, credential references, packages, tasks, targets, step logs',
    sql: `
      CREATE TABLE computers (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL COLLATE NOCASE UNIQUE,
        address     TEXT,
        domain      TEXT,
        os          TEXT,
        group_name  TEXT,
        last_result TEXT,
        created_at  TEXT NOT NULL
      );

      -- A credential reference: who and where the secret lives, never the secret itself.
      CREATE TABLE credentials (
        id         INTEGER PRIMARY KEY,
        label      TEXT NOT NULL,
        domain     TEXT,
        username   TEXT NOT NULL,
        secret_ref TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
      );

      CREATE TABLE packages (
        id              INTEGER PRIMARY KEY,
        name            TEXT NOT NULL,
        msi_file_name   TEXT NOT NULL,
        msi_path        TEXT NOT NULL,
        msi_size        INTEGER NOT NULL,
        msi_sha256      TEXT NOT NULL,
        product_name    TEXT,
        product_version TEXT,
        manufacturer    TEXT,
        product_code    TEXT,
        config_file_name TEXT,
        config_path     TEXT,
        parameters      TEXT NOT NULL DEFAULT '',
        created_at      TEXT NOT NULL
      );

      CREATE TABLE tasks (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL,
        package_id   INTEGER REFERENCES packages(id) ON DELETE RESTRICT,
        scheduled_at TEXT,
        options_json TEXT NOT NULL DEFAULT '{}',
        created_at   TEXT NOT NULL
      );

      CREATE TABLE task_targets (
        id            INTEGER PRIMARY KEY,
        task_id       INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        computer_id   INTEGER REFERENCES computers(id) ON DELETE SET NULL,
        computer_name TEXT NOT NULL,
        credential_id INTEGER REFERENCES credentials(id) ON DELETE SET NULL,
        state         TEXT NOT NULL DEFAULT 'queued',
        outcome       TEXT,
        error_class   TEXT,
        error_code    TEXT,
        progress      REAL,
        started_at    TEXT,
        finished_at   TEXT
      );
      CREATE INDEX task_targets_by_task ON task_targets(task_id);
      CREATE INDEX task_targets_in_flight ON task_targets(state) WHERE state <> 'done';

      CREATE TABLE step_logs (
        id        INTEGER PRIMARY KEY,
        target_id INTEGER NOT NULL REFERENCES task_targets(id) ON DELETE CASCADE,
        at        TEXT NOT NULL,
        step      TEXT NOT NULL,
        detail    TEXT NOT NULL,
        code      TEXT
      );
      CREATE INDEX step_logs_by_target ON step_logs(target_id, id);
    `,
  },
  {
    version: 2,
    name: 'push engine: task status, where each target was reached, its run, service, result and leftovers',
    sql: `
      ALTER TABLE computers ADD COLUMN port INTEGER;          -- SMB port when not 445 (the simulated lab, tests)
      ALTER TABLE tasks ADD COLUMN status TEXT NOT NULL DEFAULT 'pending'; -- pending | running | finished | cancelled
      ALTER TABLE tasks ADD COLUMN started_at TEXT;
      ALTER TABLE tasks ADD COLUMN finished_at TEXT;

      ALTER TABLE task_targets ADD COLUMN address TEXT;      -- host name or IP the push connects to
      ALTER TABLE task_targets ADD COLUMN port INTEGER;       -- SMB port (445 unless given)
      ALTER TABLE task_targets ADD COLUMN run_id TEXT;        -- names the files and service on the target
      ALTER TABLE task_targets ADD COLUMN service_name TEXT;
      ALTER TABLE task_targets ADD COLUMN exit_code INTEGER;  -- the agent's result code (100000 + msiexec code)
      ALTER TABLE task_targets ADD COLUMN reboot_required INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE task_targets ADD COLUMN error_message TEXT;
      ALTER TABLE task_targets ADD COLUMN advice TEXT;
      ALTER TABLE task_targets ADD COLUMN leftovers TEXT;     -- JSON: what cleanup could not remove
      ALTER TABLE task_targets ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE task_targets ADD COLUMN msi_log TEXT;       -- tail of the MSI verbose log the agent sent
    `,
  },
  {
    version: 3,
    name: 'credentials: the ciphertext of a remembered secret (Electron safeStorage)',
    sql: `
      -- Electron's safeStorage output (OS-protected key); null for keychain and memory secrets.
      ALTER TABLE credentials ADD COLUMN secret_blob BLOB;
    `,
  },
  {
    version: 4,
    name: 'credentials: what the secret is — the password, or only its NT hash (SYSTEM installs)',
    sql: `
      -- 'password': installs as this account are possible; 'nt-hash': the secret is MD4(UTF-16LE(password)) in hex.
      ALTER TABLE credentials ADD COLUMN secret_kind TEXT NOT NULL DEFAULT 'password' CHECK (secret_kind IN ('password', 'nt-hash'));
    `,
  },
  {
    version: 5,
    name: 'LAPS credentials: a directory whose account reads each computer\'s own local Administrator password at push time; which LAPS attribute and account a target used',
    sql: `
      -- 'account': an SMB logon (username, domain, its secret); 'laps': username is the account that
      -- reads LAPS passwords (a DN or user@domain), the secret its password, directory_json where.
      ALTER TABLE credentials ADD COLUMN kind TEXT NOT NULL DEFAULT 'account' CHECK (kind IN ('account', 'laps'));
      -- For 'laps': {"url", "baseDn", "startTls", "allowUntrusted", "caPem"}; never a password.
      ALTER TABLE credentials ADD COLUMN directory_json TEXT;

      -- A LAPS target's last attempt: the attribute its password came from and the local account
      -- it logged on as (never the password, which lives in memory for that push only).
      ALTER TABLE task_targets ADD COLUMN laps_attribute TEXT;
      ALTER TABLE task_targets ADD COLUMN laps_account TEXT;
    `,
  },
  {
    version: 6,
    name: 'transports: which one carried each target\'s package and result (callback over TCP 2224, or SMB)',
    sql: `
      -- 'callback' | 'smb'; null until the agent ran. A task's chosen transport (callback, smb, auto)
      -- lives in tasks.options_json; an auto target that switched says 'smb' here.
      ALTER TABLE task_targets ADD COLUMN transport TEXT CHECK (transport IS NULL OR transport IN ('callback', 'smb'));
    `,
  },
  {
    version: 7,
    name: 'restarts: what became of the restart a target\'s reboot policy asked for',
    sql: `
      -- not-needed | left-to-msiexec | scheduled | restarting | restarted | not-back | refused | cancelled;
      -- null when the task has no reboot policy or the push did not reach msiexec. The policy itself
      -- lives in tasks.options_json ({"reboot": {...}}).
      ALTER TABLE task_targets ADD COLUMN restart_state TEXT;
      -- the latest moment the computer restarts (the agent's report), ISO UTC
      ALTER TABLE task_targets ADD COLUMN restart_at TEXT;
      -- what the console saw: "back online after 3 min", "not back 30 min after the restart", the refusal
      ALTER TABLE task_targets ADD COLUMN restart_detail TEXT;
    `,
  },
  {
    version: 8,
    name: 'authentication: which mechanism logged on to each target (Kerberos or NTLM)',
    sql: `
      -- 'kerberos' | 'ntlm'; null until a logon succeeded. The policy (negotiate, kerberos-only,
      -- ntlm-only) is a setting; a negotiate push that fell back says 'ntlm' and why in its step log.
      ALTER TABLE task_targets ADD COLUMN auth_mechanism TEXT CHECK (auth_mechanism IS NULL OR auth_mechanism IN ('kerberos', 'ntlm'));
    `,
  },
  {
    version: 9,
    name: 'server mode: server accounts with a role, and the audit trail of what each account changed',
    sql: `
      -- A Push Install Server account (main/serverMode/users.ts): its name is unique whatever its
      -- case; password_hash is scrypt$N$r$p$salt$hash (base64), never the password.
      CREATE TABLE server_users (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL COLLATE NOCASE UNIQUE,
        role          TEXT NOT NULL CHECK (role IN ('administrator', 'operator', 'viewer')),
        password_hash TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0
      );

      -- One row per change a server account made (main/serverMode/audit.ts); user_name is kept as
      -- it was, so a row outlives its account. ids: a JSON array of the ids acted on; detail: JSON,
      -- never a secret.
      CREATE TABLE audit_log (
        id        INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        user_name TEXT NOT NULL,
        address   TEXT,
        action    TEXT NOT NULL,
        ids       TEXT NOT NULL,
        detail    TEXT
      );
      CREATE INDEX audit_log_by_time ON audit_log(at);
    `,
  },
  {
    version: 10,
    name: 'server mode: the events sent to consoles, kept as rows so a console that reconnects catches up and every server sharing the database sends them',
    sql: `
      -- One row per batch of events (main/ipc/eventBatch.ts), as the consoles receive them:
      -- events is the JSON array [{event, payload}, …]; origin names the server process that
      -- emitted them (the others forward it to their consoles). Kept a day (eventLog.ts).
      CREATE TABLE event_batches (
        id     INTEGER PRIMARY KEY,
        at     TEXT NOT NULL,
        origin TEXT NOT NULL,
        events TEXT NOT NULL
      );
      CREATE INDEX event_batches_by_time ON event_batches (at);
    `,
  },
  {
    version: 11,
    name: 'push workers and sites: computers belong to a site, targets are claimed under leases by the workers of their site',
    sql: `
      -- A site: where a push worker pushes and serves packages close to the computers. A computer
      -- belongs to the first site whose rules match it (CIDR ranges of its address, an AD site),
      -- or to the one it was put in by hand; none: the default site, which the server's own
      -- worker serves. cidrs: a JSON array of "a.b.c.d/n".
      CREATE TABLE sites (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL COLLATE NOCASE UNIQUE,
        cidrs      TEXT NOT NULL DEFAULT '[]',
        ad_site    TEXT,
        created_at TEXT NOT NULL
      );
      ALTER TABLE computers ADD COLUMN site_id INTEGER REFERENCES sites(id) ON DELETE SET NULL;
      -- Set by hand: the rules do not move it.
      ALTER TABLE computers ADD COLUMN site_pinned INTEGER NOT NULL DEFAULT 0;

      -- A target's claim (main/workers/leases.ts): the worker that pushes it, until when its lease
      -- runs (ms since the epoch, the database's clock), and the claim's number — the fencing
      -- token every write of the worker carries, bumped by each claim. The site is the computer's
      -- when the task was made.
      ALTER TABLE task_targets ADD COLUMN site_id INTEGER REFERENCES sites(id) ON DELETE SET NULL;
      ALTER TABLE task_targets ADD COLUMN owner TEXT;
      ALTER TABLE task_targets ADD COLUMN lease_until INTEGER;
      ALTER TABLE task_targets ADD COLUMN claim INTEGER NOT NULL DEFAULT 0;
      -- Never two pushes to one computer at once: one claimed target per computer.
      CREATE UNIQUE INDEX task_targets_one_claim_per_computer ON task_targets(computer_id) WHERE owner IS NOT NULL;
      CREATE INDEX task_targets_claimable ON task_targets(site_id, id) WHERE owner IS NULL AND state = 'queued';

      -- The workers alive or known: a row per process, its heartbeat the database's clock (ms).
      CREATE TABLE workers (
        id           TEXT PRIMARY KEY,
        site_id      INTEGER REFERENCES sites(id) ON DELETE SET NULL,
        address      TEXT,
        version      TEXT NOT NULL,
        started_at   INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL,
        in_flight    INTEGER NOT NULL DEFAULT 0,
        stopped_at   INTEGER
      );
    `,
  },
];
