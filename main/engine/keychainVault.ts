// The OS keychain behind the credential vault, outside Electron (the browser shell, pushctl):
// @napi-rs/keyring (prebuilt N-API; macOS Keychain, Windows Credential Manager, the Secret Service
// on Linux). Each remembered password is one keychain item, service "Push Install Console",
// account = the credential's secret_ref; the database row keeps only label, user, domain and
// secret_ref. On Linux the Secret Service is required (never the kernel keyring, which forgets
// everything at a reboot). A machine with no reachable keychain — a fresh one running the browser
// shell without a desktop session — still starts: the vault keeps secrets in memory and says so.
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import type { Entry, EntryOptions } from '@napi-rs/keyring';
import type { Db } from '../store/database.js';
import { BackedVault, type SecretBackend } from './credentials.js';

export const KEYCHAIN_SERVICE = 'Push Install Console';
export const KEYCHAIN_PREFIX = 'keychain:';

const entryOptions: EntryOptions = { linux: { store: 'secret-service' } };

type Keyring = typeof import('@napi-rs/keyring');
let keyring: Keyring | null = null;

/**
 * @napi-rs/keyring, loaded at first use rather than imported: on import it loads the native binding
 * of this platform and throws when none is installed. Imported statically, that stopped pushctl and
 * the browser shell before they started — even a --password-env push that never uses the keychain
 * (seen: pushctl on Windows Node with a node_modules installed on Linux, "Cannot find native
 * binding"). Loaded here, a missing binding is one more reason probe() reports, and the vault keeps
 * secrets in memory as for any keychain that cannot be used.
 */
function entry(ref: string): Entry {
  keyring ??= createRequire(import.meta.url)('@napi-rs/keyring') as Keyring;
  return new keyring.Entry(KEYCHAIN_SERVICE, ref, entryOptions);
}

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
}

export class KeychainBackend implements SecretBackend {
  readonly prefix = KEYCHAIN_PREFIX;

  set(ref: string, secret: string): void {
    entry(ref).setPassword(secret);
  }

  get(ref: string): string | null {
    try {
      return entry(ref).getPassword();
    } catch {
      return null;
    }
  }

  has(ref: string): boolean {
    return this.get(ref) !== null;
  }

  delete(ref: string): void {
    let deleted: boolean;
    try {
      // @napi-rs/keyring 2 answers false (it does not throw) when the item could not be deleted.
      deleted = entry(ref).deleteCredential() !== false;
    } catch (error) {
      // Already gone (deleted outside the console): the credential can still be forgotten.
      // Anything else — a locked or unreachable keychain — is the admin's to know.
      if (this.get(ref) !== null || !/no matching entry|not found/i.test(reason(error))) throw error;
      return;
    }
    if (!deleted && this.get(ref) !== null) throw new Error('the keychain did not delete the item (is it locked?)');
  }

  /** Writes, reads back and deletes a throwaway item: null when the keychain works, else why not. */
  static probe(): string | null {
    const ref = `${KEYCHAIN_PREFIX}probe-${crypto.randomUUID()}`;
    try {
      const e = entry(ref);
      const value = crypto.randomUUID();
      e.setPassword(value);
      const back = e.getPassword();
      const deleted = e.deleteCredential() !== false;
      if (back !== value) return 'the keychain did not return what was stored';
      return deleted || e.getPassword() === null ? null : 'the keychain did not delete a test item';
    } catch (error) {
      return reason(error);
    }
  }
}

export interface KeychainVaultOptions {
  /** Tells the admin where secrets are kept when the keychain cannot be used. */
  readonly log?: (line: string) => void;
  /** Tests: pretend the keychain is missing without touching it. */
  readonly backend?: SecretBackend | null;
}

/** The vault of the browser shell and the CLI: the OS keychain, or memory when there is none. */
export function openKeychainVault(db: Db, options: KeychainVaultOptions = {}): BackedVault {
  if (options.backend !== undefined) return new BackedVault(db, options.backend, options.backend ? null : 'no keychain (test)');
  const problem = KeychainBackend.probe();
  if (problem === null) return new BackedVault(db, new KeychainBackend());
  const why = `The OS keychain cannot be used (${problem}): credentials are kept in memory only and must be set again after a restart.`;
  options.log?.(why);
  return new BackedVault(db, null, why);
}
