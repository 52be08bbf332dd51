// The files a push sends (the MSI and its configuration), each with its size and SHA-256, hashed
// once per file version (size and mtime) however many targets share it; and the push bounds from
// the settings (in seconds and minutes) with the overrides tests and the lab give in ms.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Settings } from '../ipc/contract.js';
import { ConsoleError } from '../ipc/errors.js';
import type { PackageFile } from '../server/grants.js';
import type { PackageSource } from './preparePush.js';
import type { PushTimeouts } from './pushTarget.js';

export class PackageFiles {
  private readonly hashes = new Map<string, { size: number; sha256: string; mtimeMs: number }>();

  constructor(private readonly agentPath: string) {}

  /** The package's files; throws when the MSI changed since the package was made, a file cannot be read, or the agent is missing. */
  of(source: PackageSource): PackageFile[] {
    const msi = this.info(source.msiPath);
    if (msi.sha256 !== source.msiSha256.toLowerCase()) throw new ConsoleError('package', `The package file ${source.msiFileName} changed since the package was created.`, 'Recreate the package from the current .msi.');
    const files: PackageFile[] = [{ name: source.msiFileName, path: source.msiPath, size: msi.size, sha256: msi.sha256, role: 'msi' }];
    if (source.configPath && source.configFileName) {
      const cfg = this.info(source.configPath);
      files.push({ name: source.configFileName, path: source.configPath, size: cfg.size, sha256: cfg.sha256, role: 'config' });
    }
    fs.accessSync(this.agentPath, fs.constants.R_OK);
    return files;
  }

  private info(path: string): { size: number; sha256: string } {
    const stat = fs.statSync(path);
    const cached = this.hashes.get(path);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached;
    const sha256 = crypto.createHash('sha256').update(fs.readFileSync(path)).digest('hex');
    const info = { size: stat.size, sha256, mtimeMs: stat.mtimeMs };
    this.hashes.set(path, info);
    return info;
  }
}

/** The push bounds: the settings' values, unless the caller (tests, the lab) overrides them in ms. */
export function pushTimeouts(settings: Settings, overrides: Partial<PushTimeouts> = {}): PushTimeouts {
  return {
    connectMs: overrides.connectMs ?? settings.connectTimeoutSeconds * 1000,
    agentCallbackMs: overrides.agentCallbackMs ?? settings.agentCallbackTimeoutSeconds * 1000,
    installMs: overrides.installMs ?? settings.installTimeoutMinutes * 60_000,
    pollMs: overrides.pollMs ?? 1000,
    serviceStartMs: overrides.serviceStartMs ?? 30_000,
    serviceStopMs: overrides.serviceStopMs ?? 30_000,
    requestMs: overrides.requestMs ?? 30_000,
    autoFallbackMs: overrides.autoFallbackMs ?? settings.autoFallbackSeconds * 1000,
  };
}
