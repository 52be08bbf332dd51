// The Electron shell's credential vault over Electron's own safeStorage (safeStorageBackend.ts
// holds the logic, with safeStorage handed in). Only main/electron imports this
// (docs/ARCHITECTURE.md §9); it cannot run outside Electron: CI typechecks it.
import { safeStorage } from 'electron';
import type { Db } from '../store/database.js';
import { SafeStorageVault as Vault } from './safeStorageBackend.js';

export class SafeStorageVault extends Vault {
  constructor(db: Db, log: (line: string) => void) {
    super(db, log, safeStorage);
  }
}
