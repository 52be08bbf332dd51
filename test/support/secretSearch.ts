// Searching outputs for a secret: the password as UTF-8 and UTF-16LE, its base64 (of
// either), its NT hash as raw bytes and as hex in both cases.
import fs from 'node:fs';
import path from 'node:path';
import { ntHash } from '../../main/smb/auth/ntlm/client.js';

export interface SecretForms {
  readonly forms: readonly { name: string; bytes: Buffer }[];
}

export function secretForms(password: string): SecretForms {
  const nt = ntHash(password);
  const utf8 = Buffer.from(password, 'utf8');
  const utf16 = Buffer.from(password, 'utf16le');
  const text = (name: string, s: string) => ({ name, bytes: Buffer.from(s, 'utf8') });
  return {
    forms: [
      { name: 'password (UTF-8)', bytes: utf8 },
      { name: 'password (UTF-16LE)', bytes: utf16 },
      text('password base64', utf8.toString('base64')),
      text('password base64 (UTF-16LE)', utf16.toString('base64')),
      text('password base64url', utf8.toString('base64url')),
      { name: 'NT hash (bytes)', bytes: nt },
      text('NT hash (hex)', nt.toString('hex')),
      text('NT hash (HEX)', nt.toString('hex').toUpperCase()),
    ],
  };
}

/** Which forms of the secret `data` contains (empty: none). */
export function secretHits(secret: SecretForms, data: Buffer | string): string[] {
  const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return secret.forms.filter((f) => buffer.includes(f.bytes)).map((f) => f.name);
}

/** Every file under `dir` that contains a form of the secret, with the forms found. */
export function secretHitsInFolder(secret: SecretForms, dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const hits = secretHits(secret, fs.readFileSync(file));
    if (hits.length) found.push(`${path.relative(dir, file)}: ${hits.join(', ')}`);
  }
  return found;
}
