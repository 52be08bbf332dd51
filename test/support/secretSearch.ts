// Searching outputs for a secret: the password as UTF-8 and UTF-16LE, its base64 (of
// either), URL-encoded (when that differs), its NT hash as raw bytes and as hex in both cases.
import fs from 'node:fs';
import path from 'node:path';
import { ntHash } from '../../main/smb/auth/ntlm/client.js';

export interface SecretForms {
  readonly forms: readonly { name: string; bytes: Buffer }[];
}

/** `whose` (optional) prefixes each form's name, to tell several secrets' hits apart. */
export function secretForms(password: string, whose = ''): SecretForms {
  const nt = ntHash(password);
  const utf8 = Buffer.from(password, 'utf8');
  const utf16 = Buffer.from(password, 'utf16le');
  const text = (name: string, s: string) => ({ name, bytes: Buffer.from(s, 'utf8') });
  const uri = encodeURIComponent(password);
  const forms = [
    { name: 'password (UTF-8)', bytes: utf8 },
    { name: 'password (UTF-16LE)', bytes: utf16 },
    text('password base64', utf8.toString('base64')),
    text('password base64 (UTF-16LE)', utf16.toString('base64')),
    text('password base64url', utf8.toString('base64url')),
    ...(uri !== password ? [text('password URL-encoded', uri)] : []),
    { name: 'NT hash (bytes)', bytes: nt },
    text('NT hash (hex)', nt.toString('hex')),
    text('NT hash (HEX)', nt.toString('hex').toUpperCase()),
  ];
  return { forms: whose ? forms.map((f) => ({ ...f, name: `${whose}: ${f.name}` })) : forms };
}

/** Several secrets searched as one. */
export function joinSecrets(...secrets: SecretForms[]): SecretForms {
  return { forms: secrets.flatMap((s) => s.forms) };
}

/** Which forms of the secret `data` contains (empty: none). */
export function secretHits(secret: SecretForms, data: Buffer | string): string[] {
  const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return secret.forms.filter((f) => buffer.includes(f.bytes)).map((f) => f.name);
}

/** Every file under `dir` that contains a form of the secret, with the forms found. */
export function secretHitsInFolder(secret: SecretForms, dir: string): string[] {
  return scanFolder(secret, dir).hits;
}

export interface FolderScan {
  /** Files holding a form of the secret: "relative/path: form, form". */
  readonly hits: string[];
  /** How many files, and bytes, were read. */
  readonly files: number;
  readonly bytes: number;
  /** The files (relative) that hold the canary: a value known to be stored, so a scan that read nothing is seen. */
  readonly canary: string[];
}

/** Reads every regular file under `dir` (but those `skip` names) for the secret and for `canary`. */
export function scanFolder(secret: SecretForms, dir: string, options: { skip?: (file: string) => boolean; canary?: string | Buffer } = {}): FolderScan {
  const hits: string[] = [];
  const canary: string[] = [];
  const needle = options.canary === undefined ? null : Buffer.from(options.canary);
  let files = 0;
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (options.skip?.(file)) continue;
    const data = fs.readFileSync(file);
    files += 1;
    bytes += data.length;
    const found = secretHits(secret, data);
    if (found.length) hits.push(`${path.relative(dir, file)}: ${found.join(', ')}`);
    if (needle && data.includes(needle)) canary.push(path.relative(dir, file));
  }
  return { hits, files, bytes, canary };
}
