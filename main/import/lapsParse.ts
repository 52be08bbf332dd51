// What a computer object's LAPS attributes say (MS-ADA2 2.64–2.71; Microsoft's "Windows LAPS schema
// extensions reference"): the filters that find the object, the msLAPS-Password JSON, the FILETIME
// times, and which attribute applies or which laps-* class says why none does. Pure: no network.
import { ConsoleError } from '../ipc/errors.js';

/** Windows LAPS, cleartext: JSON {"n": account, "t": update time (hex FILETIME), "p": password}. */
export const MSLAPS_PASSWORD = 'msLAPS-Password';
/** Windows LAPS, encrypted to a group key (MS-GKDI): never decrypted here. */
export const MSLAPS_ENCRYPTED_PASSWORD = 'msLAPS-EncryptedPassword';
/** Windows LAPS's expiration time, a FILETIME integer; not confidential. */
export const MSLAPS_EXPIRATION_TIME = 'msLAPS-PasswordExpirationTime';
/** Legacy Microsoft LAPS, cleartext password of the built-in Administrator. */
export const LEGACY_PASSWORD = 'ms-Mcs-AdmPwd';
/** Legacy LAPS's expiration time, a FILETIME integer; not confidential. */
export const LEGACY_EXPIRATION_TIME = 'ms-Mcs-AdmPwdExpirationTime';

/** The attributes one LAPS read asks for. */
export const LAPS_READ_ATTRIBUTES = ['cn', 'sAMAccountName', 'dNSHostName', MSLAPS_PASSWORD, MSLAPS_EXPIRATION_TIME, MSLAPS_ENCRYPTED_PASSWORD, LEGACY_PASSWORD, LEGACY_EXPIRATION_TIME] as const;

/** The legacy attribute carries no account name: the built-in Administrator's, unless renamed. */
export const DEFAULT_LEGACY_ACCOUNT = 'Administrator';

/** Longer than anything LAPS writes (a 64-character password, a 20-character account name in a ~120-byte JSON). */
const MAX_JSON_CHARS = 8 * 1024;
const MAX_PASSWORD_CHARS = 1024;
const MAX_ACCOUNT_CHARS = 256;
const MAX_DNS_NAME_CHARS = 255;
/** A cn is at most 64 characters (RFC 4519's ub-common-name); a NetBIOS name 15. */
const MAX_NETBIOS_NAME_CHARS = 64;
/** FILETIME is a signed 64-bit count of 100 ns since 1601-01-01 UTC; every value 0…2^63−1 fits a Date. */
const MAX_FILETIME = (1n << 63n) - 1n;
const FILETIME_UNIX_EPOCH_MS = 11_644_473_600_000n;

export interface LapsTarget {
  /** The computer's DNS name: found by dNSHostName. */
  readonly dnsName?: string | undefined;
  /** The computer's NetBIOS name (a computer added by address): found by cn or sAMAccountName NAME$. */
  readonly netbiosName?: string | undefined;
}

export interface LapsSecret {
  /** The local account the password belongs to ("n" of msLAPS-Password; the built-in Administrator for legacy LAPS). */
  readonly account: string;
  readonly password: string;
  /** Which attribute it came from. */
  readonly attribute: 'msLAPS-Password' | 'ms-Mcs-AdmPwd';
  /** When LAPS will change it (the attribute's expiration time); null when the directory has none or an unreadable one. */
  readonly expiresAt: Date | null;
  /** expiresAt has passed: LAPS should have changed it already, so it may be stale (the caller warns and still tries). */
  readonly expired: boolean;
  /** When it was set ("t" of msLAPS-Password); null for legacy LAPS or an unreadable "t". */
  readonly updatedAt: Date | null;
  /** The computer object it was read from. */
  readonly dn: string;
}

/** One search for the target's computer object: by DNS name, or by NetBIOS name. */
export interface LapsSearch {
  readonly by: 'DNS name' | 'NetBIOS name';
  readonly name: string;
  readonly filter: string;
}

/** A computer object as read: its DN and its attributes' values, names in lower case. */
export interface LapsEntry {
  readonly dn: string;
  readonly attributes: ReadonlyMap<string, readonly (string | Buffer)[]>;
}

/** Text from the directory or the admin, safe in one line of a message: control characters shown as '?', at most 200 characters. */
export function printable(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

/**
 * An assertion value in a string filter (RFC 4515 §3): '*', '(', ')', '\' and NUL — and, for
 * readability, every other control character — as \XX. Other characters, UTF-8 included, stay
 * as they are (RFC 4515 allows them; ldapts's filter parser turns each \XX into one character, so
 * escaping a multi-byte character byte by byte would not survive it).
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\u0000-\u001f\u007f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function invalidTarget(message: string): ConsoleError {
  return new ConsoleError('invalid-request', message, 'Give the computer\'s DNS name, or its NetBIOS name for a computer added by address.');
}

/**
 * The searches that find the target's computer object, in order: by dNSHostName when it has a DNS
 * name, then by NetBIOS name as cn or sAMAccountName (NAME$) when it has one.
 */
export function lapsSearches(target: LapsTarget): LapsSearch[] {
  const searches: LapsSearch[] = [];
  const dns = (target.dnsName ?? '').trim().replace(/\.$/, '');
  if (dns) {
    if (dns.length > MAX_DNS_NAME_CHARS) throw invalidTarget(`A DNS name of ${dns.length} characters is not a computer's name.`);
    searches.push({ by: 'DNS name', name: dns, filter: `(&(objectClass=computer)(dNSHostName=${escapeFilterValue(dns)}))` });
  }
  const netbios = (target.netbiosName ?? '').trim();
  if (netbios) {
    if (netbios.length > MAX_NETBIOS_NAME_CHARS) throw invalidTarget(`A NetBIOS name of ${netbios.length} characters is not a computer's name.`);
    const v = escapeFilterValue(netbios);
    searches.push({ by: 'NetBIOS name', name: netbios, filter: `(&(objectClass=computer)(|(cn=${v})(sAMAccountName=${v}$)))` });
  }
  if (!searches.length) throw invalidTarget('The computer has neither a DNS name nor a NetBIOS name to look its LAPS password up by.');
  return searches;
}

function firstText(entry: LapsEntry, name: string): string | null {
  const v = entry.attributes.get(name.toLowerCase())?.[0];
  if (v === undefined) return null;
  return Buffer.isBuffer(v) ? v.toString('utf8') : v;
}

/**
 * The one entry a search found: with several, the one whose sAMAccountName is NAME$ for a NetBIOS
 * search (unique in a domain); otherwise none is guessed at — the password of one computer must
 * never go to another.
 */
export function pickComputer(search: LapsSearch, entries: readonly LapsEntry[]): LapsEntry | null {
  if (entries.length <= 1) return entries[0] ?? null;
  if (search.by === 'NetBIOS name') {
    const account = `${search.name}$`.toLowerCase();
    const exact = entries.filter((e) => firstText(e, 'sAMAccountName')?.toLowerCase() === account);
    if (exact.length === 1) return exact[0]!;
  }
  throw ambiguous(search, entries.length);
}

export function ambiguous(search: LapsSearch, count: number | null): ConsoleError {
  const how = count === null ? 'More than one computer object' : `${count} computer objects`;
  return new ConsoleError('laps-ambiguous', `${how} in the directory match the ${search.by} ${printable(search.name)}; the console does not guess whose LAPS password to use.`);
}

export function notFound(searches: readonly LapsSearch[]): ConsoleError {
  const names = searches.map((s) => `${s.by} ${printable(s.name)}`).join(' or ');
  return new ConsoleError('laps-not-found', `No computer object in the directory has the ${names}.`);
}

function malformed(dn: string, what: string): ConsoleError {
  return new ConsoleError('laps-malformed', `The LAPS password of ${printable(dn)} cannot be used: ${what}.`);
}

/** A FILETIME from its digits (base 10 or 16): null unless it is 0…2^63−1. */
function fileTime(digits: string, base: 10 | 16): Date | null {
  const pattern = base === 10 ? /^[0-9]{1,19}$/ : /^[0-9a-fA-F]{1,16}$/;
  if (!pattern.test(digits)) return null;
  const ticks = BigInt(base === 10 ? digits : `0x${digits}`);
  if (ticks > MAX_FILETIME) return null;
  return new Date(Number(ticks / 10_000n - FILETIME_UNIX_EPOCH_MS));
}

/** An AD large-integer FILETIME (msLAPS-PasswordExpirationTime, ms-Mcs-AdmPwdExpirationTime): null when unreadable. */
export function fileTimeToDate(value: string): Date | null {
  return fileTime(value.trim(), 10);
}

/** The hexadecimal FILETIME of msLAPS-Password's "t": null when unreadable. */
export function hexFileTimeToDate(value: string): Date | null {
  return fileTime(value.trim(), 16);
}

/** A Date as the FILETIME digits AD stores (tests and fixtures). */
export function dateToFileTime(date: Date): string {
  return ((BigInt(date.getTime()) + FILETIME_UNIX_EPOCH_MS) * 10_000n).toString();
}

/**
 * msLAPS-Password's JSON: "p" (the password) and "n" (the account) must be non-empty strings; a
 * missing or unreadable "t" only leaves updatedAt null. Whatever is wrong, the error says what
 * without quoting the text (JSON.parse's own message quotes it, password included).
 */
export function parseWindowsLapsJson(text: string, dn: string): { account: string; password: string; updatedAt: Date | null } {
  if (text.length > MAX_JSON_CHARS) throw malformed(dn, `msLAPS-Password holds ${text.length} characters, more than LAPS writes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed(dn, 'msLAPS-Password is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(dn, 'msLAPS-Password is not a JSON object');
  const fields = value as Record<string, unknown>;
  const field = (name: string) => (Object.hasOwn(fields, name) ? fields[name] : undefined);
  const password = field('p');
  if (typeof password !== 'string' || password === '') throw malformed(dn, 'msLAPS-Password has no password ("p")');
  if (password.length > MAX_PASSWORD_CHARS) throw malformed(dn, `the password in msLAPS-Password is over ${MAX_PASSWORD_CHARS} characters`);
  const account = field('n');
  if (typeof account !== 'string' || account.trim() === '') throw malformed(dn, 'msLAPS-Password has no account name ("n")');
  if (account.length > MAX_ACCOUNT_CHARS || /[\u0000-\u001f\u007f]/.test(account)) throw malformed(dn, 'the account name in msLAPS-Password is not a Windows account name');
  const t = field('t');
  return { account, password, updatedAt: typeof t === 'string' ? hexFileTimeToDate(t) : null };
}

/** Keeps a password out of JSON.stringify and util.inspect of the secret (a log line, a crash report). */
function concealed(secret: LapsSecret): LapsSecret {
  const shown = () => ({ ...secret, password: '[redacted]' });
  Object.defineProperty(secret, 'toJSON', { value: shown, enumerable: false });
  Object.defineProperty(secret, Symbol.for('nodejs.util.inspect.custom'), { value: shown, enumerable: false });
  return secret;
}

/**
 * The LAPS password of a computer object, in this order: msLAPS-Password (Windows LAPS, cleartext),
 * msLAPS-EncryptedPassword (laps-encrypted: not decrypted), ms-Mcs-AdmPwd (legacy LAPS). With none
 * readable, the expiration times tell "denied" from "missing": AD leaves a confidential attribute
 * the account may not read out of the entry, as if it were not there, but the expiration times are
 * not confidential — a visible expiration time without a password is laps-denied, neither is
 * laps-missing. A legacy password is not used when Windows LAPS's expiration time is visible and
 * later than legacy's (or legacy has none): Windows LAPS manages the computer, the legacy copy is
 * stale, and the account may not read the current one (laps-denied).
 */
export function lapsSecretFromEntry(entry: LapsEntry, options: { legacyAccount?: string | undefined; now?: Date | undefined } = {}): LapsSecret {
  const now = options.now ?? new Date();
  const values = (name: string) => entry.attributes.get(name.toLowerCase()) ?? [];
  const single = (name: string): string | null => {
    const all = values(name);
    if (all.length > 1) throw malformed(entry.dn, `${name} has ${all.length} values, where LAPS writes one`);
    const v = all[0];
    if (v === undefined) return null;
    return Buffer.isBuffer(v) ? v.toString('utf8') : v;
  };
  const windowsExpiry = single(MSLAPS_EXPIRATION_TIME);
  const legacyExpiry = single(LEGACY_EXPIRATION_TIME);
  const windowsExpiresAt = windowsExpiry === null ? null : fileTimeToDate(windowsExpiry);
  const legacyExpiresAt = legacyExpiry === null ? null : fileTimeToDate(legacyExpiry);
  const secret = (s: Omit<LapsSecret, 'expired' | 'dn'>): LapsSecret => concealed({ ...s, expired: s.expiresAt !== null && s.expiresAt.getTime() <= now.getTime(), dn: entry.dn });

  const json = single(MSLAPS_PASSWORD);
  if (json !== null) {
    const { account, password, updatedAt } = parseWindowsLapsJson(json, entry.dn);
    return secret({ account, password, attribute: 'msLAPS-Password', expiresAt: windowsExpiresAt, updatedAt });
  }
  if (values(MSLAPS_ENCRYPTED_PASSWORD).length) {
    throw new ConsoleError('laps-encrypted', `The Windows LAPS password of ${printable(entry.dn)} is stored encrypted (msLAPS-EncryptedPassword), which the console cannot decrypt.`);
  }
  const legacy = single(LEGACY_PASSWORD);
  if (legacy !== null) {
    if (legacy === '') throw malformed(entry.dn, `${LEGACY_PASSWORD} is empty`);
    if (legacy.length > MAX_PASSWORD_CHARS) throw malformed(entry.dn, `${LEGACY_PASSWORD} is over ${MAX_PASSWORD_CHARS} characters`);
    if (windowsExpiry !== null && (legacyExpiresAt === null || windowsExpiresAt === null || legacyExpiresAt.getTime() < windowsExpiresAt.getTime())) {
      throw new ConsoleError(
        'laps-denied',
        `Windows LAPS manages ${printable(entry.dn)} (${MSLAPS_EXPIRATION_TIME} is set), but the reading account cannot read its password; the legacy ${LEGACY_PASSWORD} there is older and is not used.`,
      );
    }
    const account = options.legacyAccount?.trim() || DEFAULT_LEGACY_ACCOUNT;
    return secret({ account, password: legacy, attribute: 'ms-Mcs-AdmPwd', expiresAt: legacyExpiresAt, updatedAt: null });
  }
  if (windowsExpiry !== null || legacyExpiry !== null) {
    const which = windowsExpiry !== null ? MSLAPS_EXPIRATION_TIME : LEGACY_EXPIRATION_TIME;
    throw new ConsoleError('laps-denied', `${printable(entry.dn)} has a LAPS password (${which} is set), but the reading account may not read it.`);
  }
  throw new ConsoleError('laps-missing', `${printable(entry.dn)} has no LAPS password (no ${MSLAPS_PASSWORD}, ${MSLAPS_ENCRYPTED_PASSWORD} or ${LEGACY_PASSWORD}, and no expiration time): LAPS does not manage it.`);
}
