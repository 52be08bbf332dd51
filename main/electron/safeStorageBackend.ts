// The Electron shell's credential vault: Electron's safeStorage encrypts each
// remembered password with a key the OS protects (Keychain, DPAPI, libsecret/kwallet) and the
// ciphertext lives in the database row (credentials.secret_blob). Linux's `basic_text` backend
// (no keyring found: a hard-coded key) is refused with a clear message — the vault then keeps
// secrets in memory only. The async API is used: at start every stored ciphertext is decrypted
// into memory (`openSafeStorageVault` awaits it); a new one is encrypted in the background and
// written to its row when done, so the CredentialVault interface stays synchronous.
//
// Electron's safeStorage is handed in (safeStorageVault.ts passes the real one), so this file
// loads outside Electron and test/unit/safeStorageVault.test.ts runs it over a stand-in with
// Electron's interface.
import type { safeStorage as ElectronSafeStorage } from 'electron';
import { BackedVault, type SecretBackend } from '../engine/credentials.js';
import type { Db } from '../store/database.js';

export const SAFE_STORAGE_PREFIX = 'safestorage:';

/** The part of Electron's safeStorage the vault uses. */
export type SafeStorageApi = Pick<typeof ElectronSafeStorage, 'isEncryptionAvailable' | 'getSelectedStorageBackend' | 'encryptStringAsync' | 'decryptStringAsync'>;

class SafeStorageBackend implements SecretBackend {
  readonly prefix = SAFE_STORAGE_PREFIX;
  private readonly plain = new Map<string, string>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly db: Db, private readonly log: (line: string) => void, private readonly safeStorage: SafeStorageApi) {}

  async load(): Promise<void> {
    const rows = this.db.prepare('SELECT secret_ref, secret_blob FROM credentials WHERE secret_ref LIKE ? AND secret_blob IS NOT NULL').all(`${SAFE_STORAGE_PREFIX}%`) as { secret_ref: string; secret_blob: Buffer }[];
    for (const row of rows) {
      try {
        const { result, shouldReEncrypt } = await this.safeStorage.decryptStringAsync(row.secret_blob);
        this.plain.set(row.secret_ref, result);
        if (shouldReEncrypt) this.persist(row.secret_ref, result);
      } catch {
        this.log('A remembered password could not be decrypted (the OS key changed?); set those credentials again.');
      }
    }
  }

  set(ref: string, secret: string): void {
    this.plain.set(ref, secret);
    this.persist(ref, secret);
  }

  get(ref: string): string | null {
    return this.plain.get(ref) ?? null;
  }

  has(ref: string): boolean {
    return this.plain.has(ref);
  }

  delete(ref: string): void {
    this.plain.delete(ref);
    this.pending.delete(ref);
    this.db.prepare('UPDATE credentials SET secret_blob = NULL WHERE secret_ref = ?').run(ref);
  }

  private persist(ref: string, secret: string): void {
    const job = this.safeStorage.encryptStringAsync(secret).then(
      (blob) => {
        // Deleted (or replaced) meanwhile: write nothing.
        if (this.pending.get(ref) !== job) return;
        this.pending.delete(ref);
        this.db.prepare('UPDATE credentials SET secret_blob = ? WHERE secret_ref = ?').run(blob, ref);
      },
      (error: unknown) => {
        this.pending.delete(ref);
        this.log(`A password could not be encrypted for storage (${error instanceof Error ? error.message : String(error)}); it is kept in memory until the console stops.`);
      },
    );
    this.pending.set(ref, job);
  }

  /** Waits for every ciphertext being written (the app waits before it quits). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending.values()]);
  }
}

function refusal(safeStorage: SafeStorageApi, platform: NodeJS.Platform): string | null {
  if (!safeStorage.isEncryptionAvailable()) return 'Electron safeStorage is not available on this system';
  if (platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
    return 'no keyring was found (Electron would use its "basic_text" backend, a fixed key that protects nothing); start the console in a desktop session with GNOME Keyring or KWallet';
  }
  return null;
}

/**
 * Created after app `ready`: safeStorage when it protects anything, else memory with the reason.
 * Await `ready` (the stored ciphertexts decrypted) before the engine starts; `flush()` before quitting.
 */
export class SafeStorageVault extends BackedVault {
  readonly ready: Promise<void>;
  private readonly safe: SafeStorageBackend | null;

  constructor(db: Db, log: (line: string) => void, safeStorage: SafeStorageApi, platform: NodeJS.Platform = process.platform) {
    const problem = refusal(safeStorage, platform);
    const why = problem ? `Passwords cannot be remembered: ${problem}. Credentials are kept in memory only and must be set again after a restart.` : null;
    const backend = why ? null : new SafeStorageBackend(db, log, safeStorage);
    super(db, backend, why);
    this.safe = backend;
    if (why) log(why);
    this.ready = backend ? backend.load() : Promise.resolve();
  }

  flush(): Promise<void> {
    return this.safe ? this.safe.flush() : Promise.resolve();
  }
}
