// Remote Install settings. Electron keeps them with electron-store in userData; the browser
// shell, the CLI and the tests use `conf`, which is the library electron-store wraps: one
// `config.json` in the data folder, the same format either way.
import Conf from 'conf';
import { SettingsSchema, type Settings } from '../ipc/contract.js';

/** The part of electron-store's and conf's API the settings need (both provide it). */
export interface SettingsBackend {
  readonly store: Record<string, unknown>;
  set(values: Record<string, unknown>): void;
}

export const SETTINGS_FILE_NAME = 'config';

export interface SettingsStore {
  get(): Settings;
  /** Validates the merged result; on an invalid value nothing is written. */
  update(changes: Partial<Settings>): Settings;
}

export function createSettingsStore(backend: SettingsBackend): SettingsStore {
  const read = (): Settings => {
    // A hand-edited or older file with a bad value falls back to that value's default only.
    const raw = backend.store;
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(SettingsSchema.shape) as (keyof Settings)[]) {
      const field = SettingsSchema.shape[key];
      const parsed = field.safeParse(raw[key]);
      result[key] = parsed.success ? parsed.data : field.parse(undefined);
    }
    return result as Settings;
  };
  return {
    get: read,
    update(changes) {
      const next = SettingsSchema.parse({ ...read(), ...changes });
      backend.set(next);
      return next;
    },
  };
}

export function createConfSettingsBackend(dataDir: string): SettingsBackend {
  return new Conf<Record<string, unknown>>({ cwd: dataDir, configName: SETTINGS_FILE_NAME });
}
