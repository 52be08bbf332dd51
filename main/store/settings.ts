// Remote Install settings. Electron keeps them with electron-store in userData; the browser
// shell, the CLI and the tests use `conf`, which is the library electron-store wraps: one
// `config.json` in the data folder, the same format either way.
import fs from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import { defaultSettings, SettingsSchema, type Settings } from '../ipc/contract.js';

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
      const parsed = SettingsSchema.shape[key].safeParse(raw[key]);
      result[key] = parsed.success ? parsed.data : defaultSettings[key];
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

/**
 * A config.json that is not JSON (a hand edit gone wrong, a disk that filled up) must not keep
 * the console from starting: it is moved aside, named in a warning, and the defaults apply.
 */
export function createConfSettingsBackend(dataDir: string, warn: (message: string) => void = console.warn): SettingsBackend {
  const open = () => new Conf<Record<string, unknown>>({ cwd: dataDir, configName: SETTINGS_FILE_NAME });
  try {
    return open();
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const file = path.join(dataDir, `${SETTINGS_FILE_NAME}.json`);
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    fs.renameSync(file, aside);
    warn(`Settings file ${file} was not valid JSON (${error.message}); moved it to ${aside} and started from the defaults.`);
    return open();
  }
}
