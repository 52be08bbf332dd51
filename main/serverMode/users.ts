// The Push Install Server's own accounts (table server_users, migration 9): who may connect a
// console to the server, and with which role (roles.ts says what each role may call). The same
// code runs on both stores (store/sql.ts): SQLite in tests, PostgreSQL in the server.
//
// Passwords are kept as scrypt hashes (RFC 7914) through node:crypto: N = 2^15, r = 8, p = 1 — the
// work factor OWASP's Password Storage Cheat Sheet gives for scrypt — with a 16-byte random salt,
// stored as `scrypt$N$r$p$saltB64$hashB64` so the parameters can be raised later and old hashes
// still verify. A password is compared with crypto.timingSafeEqual, and a logon for a name that
// does not exist, or whose account is disabled, still costs one scrypt, so the time a refusal
// takes does not tell which names exist. A password is normalised to Unicode NFC first (as the
// OpaqueString profile of RFC 8265 does), so the same password typed on another system matches.
import crypto from 'node:crypto';
import { ConsoleError } from '../ipc/errors.js';
import type { SqlDb } from '../store/sql.js';

export type Role = 'administrator' | 'operator' | 'viewer';
export const ROLES: readonly Role[] = ['administrator', 'operator', 'viewer'];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** An account as the server shows it: never its hash. */
export interface ServerUser {
  readonly id: number;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly disabled: boolean;
}

/** Who a successful logon is. */
export interface VerifiedUser {
  readonly id: number;
  readonly name: string;
  readonly role: Role;
}

/** 1–64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit (so a name is never read as a command-line option). */
export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MIN_PASSWORD_LENGTH = 12;
/** Longer is refused: a password is hashed whole, and a megabyte of one is no password. */
export const MAX_PASSWORD_LENGTH = 1024;

export const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;
/** The most a stored hash's parameters may ask for (a hash edited in the database cannot make a logon cost a gigabyte). */
const SCRYPT_LIMITS = { maxN: 2 ** 20, maxR: 32, maxP: 16 } as const;

/** scrypt needs about 128·N·r bytes; node's default maxmem (32 MiB) is exactly that for 2^15·8, so allow twice. */
function maxmemFor(N: number, r: number): number {
  return 2 * 128 * N * r;
}

function scrypt(password: string, salt: Buffer, N: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    crypto.scrypt(password.normalize('NFC'), salt, keyLength, { N, r, p, maxmem: maxmemFor(N, r) }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** A new hash of the password: `scrypt$N$r$p$saltB64$hashB64`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(SCRYPT.saltLength);
  const key = await scrypt(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLength);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return null;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = Buffer.from(m[4]!, 'base64');
  const key = Buffer.from(m[5]!, 'base64');
  const powerOfTwo = N >= 2 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > SCRYPT_LIMITS.maxN || r < 1 || r > SCRYPT_LIMITS.maxR || p < 1 || p > SCRYPT_LIMITS.maxP) return null;
  if (salt.length < 8 || key.length < 16 || key.length > 64) return null;
  return { N, r, p, salt, key };
}

/** Whether the password matches a stored hash; a hash that is not one (damaged, edited) matches nothing. */
export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) {
    await spendOneHash(password);
    return false;
  }
  const key = await scrypt(password, parsed.salt, parsed.N, parsed.r, parsed.p, parsed.key.length);
  return crypto.timingSafeEqual(key, parsed.key);
}

/** The cost of one verification, for a logon that has nothing to verify against. */
async function spendOneHash(password: string): Promise<void> {
  await scrypt(password, DUMMY_SALT, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLength);
}
const DUMMY_SALT = crypto.randomBytes(SCRYPT.saltLength);

function invalid(message: string, code: string, advice?: string): ConsoleError {
  return new ConsoleError('invalid-request', message, advice, code);
}

export function checkUserName(name: string): void {
  if (!USER_NAME.test(name)) {
    throw invalid(`"${name.slice(0, 80)}" is not a server account name.`, 'invalid-name', 'Use 1 to 64 letters, digits, dots, underscores or hyphens, starting with a letter or digit.');
  }
}

export function checkPassword(password: string): void {
  const length = [...password.normalize('NFC')].length;
  if (length < MIN_PASSWORD_LENGTH) throw invalid(`A server account's password needs at least ${MIN_PASSWORD_LENGTH} characters.`, 'weak-password', `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters; a passphrase of a few words is easy to remember.`);
  if (length > MAX_PASSWORD_LENGTH) throw invalid(`A server account's password may have at most ${MAX_PASSWORD_LENGTH} characters.`, 'long-password', `Choose a password of at most ${MAX_PASSWORD_LENGTH} characters.`);
}

interface UserRow {
  id: number;
  name: string;
  role: Role;
  password_hash: string;
  created_at: string;
  disabled: number;
}

function toUser(row: UserRow): ServerUser {
  return { id: row.id, name: row.name, role: row.role, createdAt: row.created_at, disabled: row.disabled !== 0 };
}

const PUBLIC_COLUMNS = 'id, name, role, created_at, disabled';

export class UsersRepo {
  constructor(private readonly db: SqlDb, private readonly now: () => Date = () => new Date()) {}

  /**
   * A new account. A name already taken, whatever its case, is refused (ConsoleError
   * 'invalid-request', code 'duplicate-name'); so are a name outside USER_NAME and a password
   * shorter than MIN_PASSWORD_LENGTH.
   */
  async add(name: string, role: Role, password: string): Promise<ServerUser> {
    checkUserName(name);
    checkRole(role);
    checkPassword(password);
    if (this.find(name)) throw duplicate(name);
    const hash = await hashPassword(password);
    // The name may have been taken while the hash was computed: the unique index decides.
    const row = this.db
      .prepare(`INSERT INTO server_users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING ${PUBLIC_COLUMNS}`)
      .get(name, role, hash, this.now().toISOString()) as UserRow | undefined;
    if (!row) throw duplicate(name);
    return toUser(row);
  }

  /**
   * Who the name and password are, or null: no such account, a disabled one, or a wrong
   * password — each after one scrypt, so the answer takes as long whichever it is.
   */
  async verify(name: string, password: string): Promise<VerifiedUser | null> {
    const row = USER_NAME.test(name) && password.length <= MAX_PASSWORD_LENGTH * 4
      ? (this.db.prepare('SELECT id, name, role, password_hash, disabled FROM server_users WHERE lower(name) = lower(?)').get(name) as UserRow | undefined)
      : undefined;
    if (!row) {
      await spendOneHash(password.slice(0, MAX_PASSWORD_LENGTH * 4));
      return null;
    }
    const matches = await passwordMatches(password, row.password_hash);
    if (!matches || row.disabled !== 0) return null;
    return { id: row.id, name: row.name, role: row.role };
  }

  /** Every account by name, disabled ones too; never a hash. */
  list(): ServerUser[] {
    return (this.db.prepare(`SELECT ${PUBLIC_COLUMNS} FROM server_users ORDER BY lower(name), id`).all() as UserRow[]).map(toUser);
  }

  /** The account of this name, whatever its case, or null. */
  find(name: string): ServerUser | null {
    const row = this.db.prepare(`SELECT ${PUBLIC_COLUMNS} FROM server_users WHERE lower(name) = lower(?)`).get(name) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  /** The account with this id, or null (a session checks its account is still there and enabled). */
  byId(id: number): ServerUser | null {
    const row = this.db.prepare(`SELECT ${PUBLIC_COLUMNS} FROM server_users WHERE id = ?`).get(id) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  /** Gives the account another role; the last enabled administrator keeps theirs. */
  setRole(id: number, role: Role): ServerUser {
    checkRole(role);
    return this.db.transaction(() => {
      const user = this.existing(id);
      if (role !== 'administrator') this.keepAnAdministrator(user, 'make the last administrator an operator or viewer');
      this.db.prepare('UPDATE server_users SET role = ? WHERE id = ?').run(role, id);
      return { ...user, role };
    })();
  }

  /** A new password for the account (an administrator's reset, or the account's own change). */
  async setPassword(id: number, password: string): Promise<void> {
    checkPassword(password);
    this.existing(id);
    const hash = await hashPassword(password);
    if (this.db.prepare('UPDATE server_users SET password_hash = ? WHERE id = ?').run(hash, id).changes === 0) throw notFound(id);
  }

  /** Disables (or, with false, enables again) the account: a disabled account cannot log on. The last enabled administrator stays enabled. */
  setDisabled(id: number, disabled = true): ServerUser {
    return this.db.transaction(() => {
      const user = this.existing(id);
      if (disabled) this.keepAnAdministrator(user, 'disable the last administrator');
      this.db.prepare('UPDATE server_users SET disabled = ? WHERE id = ?').run(disabled ? 1 : 0, id);
      return { ...user, disabled };
    })();
  }

  /** Removes the account (its audit rows keep its name); false when there was none. The last enabled administrator stays. */
  remove(id: number): boolean {
    return this.db.transaction(() => {
      const user = this.byId(id);
      if (!user) return false;
      this.keepAnAdministrator(user, 'remove the last administrator');
      return this.db.prepare('DELETE FROM server_users WHERE id = ?').run(id).changes > 0;
    })();
  }

  /** How many accounts there are (a server with none asks for its first administrator). */
  count(): number {
    return Number(this.db.prepare('SELECT count(*) AS n FROM server_users').pluck().get());
  }

  private existing(id: number): ServerUser {
    const user = this.byId(id);
    if (!user) throw notFound(id);
    return user;
  }

  /** Refuses a change that would leave the server without an enabled administrator: no one could manage accounts again. */
  private keepAnAdministrator(user: ServerUser, what: string): void {
    if (user.role !== 'administrator' || user.disabled) return;
    const others = Number(this.db.prepare("SELECT count(*) AS n FROM server_users WHERE role = 'administrator' AND disabled = 0 AND id <> ?").pluck().get(user.id));
    if (others === 0) throw new ConsoleError('forbidden', `Cannot ${what} (${user.name}): the server would have no administrator left.`, 'Make another account an administrator first.', 'last-administrator');
  }
}

function checkRole(role: string): void {
  if (!isRole(role)) throw invalid(`"${String(role).slice(0, 40)}" is not a role.`, 'invalid-role', 'Choose administrator, operator or viewer.');
}

function duplicate(name: string): ConsoleError {
  return invalid(`A server account named "${name}" already exists (names are compared without regard to case).`, 'duplicate-name', 'Choose another name, or change the existing account\'s role or password.');
}

function notFound(id: number): ConsoleError {
  return new ConsoleError('not-found', `There is no server account with id ${id}.`, undefined, 'no-such-account');
}

/** What a refused logon answers, whatever the reason: never which of name or password was wrong. */
export function logonFailedError(): ConsoleError {
  return new ConsoleError('logon-failed', 'The account name or password is wrong, or the account is disabled.');
}
