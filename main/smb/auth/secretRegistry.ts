// The process-wide register of secrets (passwords) this process has seen, so that text
// leaving the process by a path nobody planned for — a crash report, an error that echoes its
// input — can be scrubbed of them. Where a password enters the process, call registerSecret();
// redactSecrets(text) then replaces every known form of every registered secret with [redacted].
// The register lives on globalThis, so every copy of this module in the process (a bundle, tsx)
// shares one.
import { ntHash } from './ntlm/keys.js';

export const REDACTED = '[redacted]';

interface Registry {
  /** password → its forms */
  readonly secrets: Map<string, readonly string[]>;
  /** Every form of every secret, longest first (a form inside a longer one goes after it); null: to be sorted again. */
  forms: string[] | null;
  /** scope → the secrets registered for it (a target's LAPS passwords: `laps-target:<id>`). */
  scopes?: Map<string, Set<string>>;
}

const KEY = Symbol.for('push-install-console.secretRegistry');

function registry(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  let r = holder[KEY];
  if (!r) {
    r = { secrets: new Map(), forms: [] };
    holder[KEY] = r;
  }
  return r;
}

/** The forms, sorted when first needed after a registration (a LAPS push registers one password per computer). */
function allForms(r: Registry): string[] {
  r.forms ??= [...new Set([...r.secrets.values()].flat())].sort((a, b) => b.length - a.length);
  return r.forms;
}

const spacedHex = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

/**
 * The textual forms a password may take in text: as it is, JSON-escaped, URL-encoded, its UTF-8
 * and UTF-16LE bytes in base64 (and base64url) and hex (plain, and spaced as util.inspect prints a
 * Buffer), the UTF-16LE bytes read as Latin-1 (NUL-interleaved), and its NT hash in hex (both
 * cases) and base64.
 */
export function secretTextForms(password: string): string[] {
  if (password === '') return [];
  const utf8 = Buffer.from(password, 'utf8');
  const utf16 = Buffer.from(password, 'utf16le');
  const nt = ntHash(password);
  const forms = [
    password,
    JSON.stringify(password).slice(1, -1),
    encodeURIComponent(password),
    utf16.toString('latin1'),
    utf8.toString('base64'),
    utf8.toString('base64url'),
    utf16.toString('base64'),
    utf16.toString('base64url'),
    utf8.toString('hex'),
    utf8.toString('hex').toUpperCase(),
    utf16.toString('hex'),
    utf16.toString('hex').toUpperCase(),
    spacedHex(utf8),
    spacedHex(utf16),
    nt.toString('hex'),
    nt.toString('hex').toUpperCase(),
    nt.toString('base64'),
    spacedHex(nt),
  ];
  return [...new Set(forms.filter((f) => f !== ''))];
}

/** Remembers a secret for redaction (idempotent; an empty string is ignored). */
export function registerSecret(secret: string | null | undefined): void {
  if (typeof secret !== 'string' || secret === '') return;
  const r = registry();
  if (r.secrets.has(secret)) return;
  r.secrets.set(secret, secretTextForms(secret));
  r.forms = null;
}

/**
 * A secret that belongs to one scope besides being registered: a LAPS password read for one
 * target (`laps-target:<id>`), so an export of that target's logs scrubs it too, although the
 * push that used it has forgotten it.
 */
export function registerScopedSecret(scope: string, secret: string | null | undefined): void {
  if (typeof secret !== 'string' || secret === '') return;
  registerSecret(secret);
  const r = registry();
  r.scopes ??= new Map();
  const set = r.scopes.get(scope) ?? new Set<string>();
  set.add(secret);
  r.scopes.set(scope, set);
}

/** Every form of the secrets registered for a scope, longest first ([] when none). */
export function scopedSecretForms(scope: string): string[] {
  const secrets = registry().scopes?.get(scope);
  if (!secrets) return [];
  return [...new Set([...secrets].flatMap((s) => registry().secrets.get(s) ?? secretTextForms(s)))].sort((a, b) => b.length - a.length);
}

/** How many distinct secrets are registered (tests, diagnostics; never the secrets themselves). */
export function registeredSecretCount(): number {
  return registry().secrets.size;
}

/** Replaces every occurrence of each of `forms`, in the order given, with `marker`; empty forms are skipped. */
export function replaceForms(text: string, forms: readonly string[], marker: string = REDACTED): string {
  let out = text;
  for (const form of forms) if (form !== '' && out.includes(form)) out = out.split(form).join(marker);
  return out;
}

/** Replaces every form of every registered secret in `text` with [redacted]. */
export function redactSecrets(text: string): string {
  return replaceForms(text, allForms(registry()));
}

// Key names whose values are secrets, in `key=value`, `key: value` and JSON `"key":"value"` form.
const SECRET_KEY = String.raw`[A-Za-z0-9_-]*(?:password|passwd|passphrase|pwd|secret|nthash|nt_hash|token)[A-Za-z0-9_-]*`;
const JSON_PAIR = new RegExp(String.raw`("${SECRET_KEY}"\s*:\s*)"(?:[^"\\]|\\.)*"`, 'gi');
const ESCAPED_JSON_PAIR = new RegExp(String.raw`(\\"${SECRET_KEY}\\"\s*:\s*)\\"(?:(?!\\").)*\\"`, 'gi');
const KEY_VALUE = new RegExp(String.raw`(\b${SECRET_KEY}\s*[=:]\s*)(?!\[redacted\])("[^"]*"|'[^']*'|[^\s&;,'")\]}]+)`, 'gi');

/** Replaces the values of password-like keys (`password=…`, `"password":"…"`, `token: …`). */
export function redactSecretPatterns(text: string): string {
  return text
    .replace(JSON_PAIR, `$1"${REDACTED}"`)
    .replace(ESCAPED_JSON_PAIR, `$1\\"${REDACTED}\\"`)
    .replace(KEY_VALUE, `$1${REDACTED}`);
}

/** Both: every registered secret's forms, then the values of password-like keys. */
export function redact(text: string): string {
  return redactSecretPatterns(redactSecrets(text));
}
