// Real MSI packages for the agent's Wine tests, built at test time by Debian's wixl (msitools)
// from the .wxs sources in test/fixtures/msi/ — no binaries in the repository. Each build gets its
// own variant name, UpgradeCode and component GUID, so every test installs a product the prefix
// has not seen (a second install of the same product would be a no-op maintenance run).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/childProcess.js';

const SOURCES = path.join(REPO_ROOT, 'test', 'fixtures', 'msi');

export type MsiKind = 'good' | 'fail' | 'reboot' | 'slow';

export interface BuiltMsi {
  readonly kind: MsiKind;
  /** The product's folder under Program Files and its registry key under HKLM\Software\PushInstallTest. */
  readonly variant: string;
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
}

export const HELLO_TEXT = 'installed by Push Install Console\r\n';

function guid(): string {
  return crypto.randomUUID();
}

export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export class MsiBuilder {
  private n = 0;
  private readonly hello: string;
  private readonly payload: string;

  /** payloadBytes: random (incompressible) data the good package carries, so its download is
   * long enough to be cut and resumed. */
  constructor(private readonly dir: string, payloadBytes = 2 * 1024 * 1024) {
    fs.mkdirSync(dir, { recursive: true });
    this.hello = path.join(dir, 'hello.txt');
    fs.writeFileSync(this.hello, HELLO_TEXT);
    this.payload = path.join(dir, 'payload.bin');
    fs.writeFileSync(this.payload, crypto.randomBytes(payloadBytes));
  }

  build(kind: MsiKind): BuiltMsi {
    const variant = `${kind}${++this.n}`;
    const file = path.join(this.dir, `${variant}.msi`);
    const r = spawnSync(
      'wixl',
      [
        '-a', 'x64',
        '-D', `Variant=${variant}`,
        '-D', `UpgradeCode=${guid()}`,
        '-D', `ComponentGuid=${guid()}`,
        // wixl takes only relative Source paths: it runs in the build folder.
        '-D', `HelloFile=${path.basename(this.hello)}`,
        '-D', `PayloadFile=${path.basename(this.payload)}`,
        '-o', file,
        path.join(SOURCES, `${kind}.wxs`),
      ],
      { cwd: this.dir, encoding: 'utf8', timeout: 60_000 },
    );
    if (r.status !== 0) throw new Error(`wixl ${kind}.wxs failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return { kind, variant, file, size: fs.statSync(file).size, sha256: sha256File(file) };
  }

  /** A good package cut to its first 4 KiB: not an MSI any more. */
  truncated(): BuiltMsi {
    const whole = this.build('good');
    const file = path.join(this.dir, `${whole.variant}-truncated.msi`);
    fs.writeFileSync(file, fs.readFileSync(whole.file).subarray(0, 4096));
    return { ...whole, file, size: 4096, sha256: sha256File(file) };
  }
}
