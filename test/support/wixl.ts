// Real .msi files for tests, built at test time by Debian's wixl (package wixl) from a small WiX
// source: a product with the given properties and one payload file. Missing wixl fails loudly.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestMsi {
  readonly name: string;
  readonly version: string;
  readonly manufacturer: string;
  readonly productCode: string;
  /** Extra <Property> rows (name → value). */
  readonly properties?: Record<string, string>;
  /** Payload bytes of the one installed file (default a short text). */
  readonly payload?: Buffer;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

export function buildMsi(dir: string, fileName: string, msi: TestMsi): string {
  if (!fs.existsSync('/usr/bin/wixl')) throw new Error('wixl is missing: scripts/setup.sh installs Debian\'s wixl');
  const work = fs.mkdtempSync(path.join(dir, 'wixl-'));
  fs.writeFileSync(path.join(work, 'payload.bin'), msi.payload ?? Buffer.from('payload\r\n'));
  const guid = (n: number) => msi.productCode.replace(/^\{|\}$/g, '').replace(/^.{8}/, (h) => ((parseInt(h, 16) + n) >>> 0).toString(16).padStart(8, '0').toUpperCase());
  const props = Object.entries(msi.properties ?? {}).map(([k, v]) => `    <Property Id="${xml(k)}" Value="${xml(v)}"/>`).join('\n');
  const wxs = `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="${msi.productCode.replace(/^\{|\}$/g, '')}" Name="${xml(msi.name)}" Language="1033" Version="${xml(msi.version)}" Manufacturer="${xml(msi.manufacturer)}" UpgradeCode="${guid(1)}">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine"/>
    <Media Id="1" Cabinet="p.cab" EmbedCab="yes"/>
${props}
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="TestProduct">
          <Component Id="Main" Guid="${guid(2)}"><File Id="payload" Source="payload.bin"/></Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="All" Level="1"><ComponentRef Id="Main"/></Feature>
  </Product>
</Wix>
`;
  fs.writeFileSync(path.join(work, 'product.wxs'), wxs);
  const out = path.join(dir, fileName);
  execFileSync('/usr/bin/wixl', ['-o', out, path.join(work, 'product.wxs')], { cwd: work, stdio: 'pipe' });
  fs.rmSync(work, { recursive: true, force: true });
  return out;
}

/** msitools' own reading of the Property table (`msiinfo export`), for cross-checks. */
export function msiinfoProperties(file: string): Map<string, string> | null {
  if (!fs.existsSync('/usr/bin/msiinfo')) return null;
  const text = execFileSync('/usr/bin/msiinfo', ['export', file, 'Property'], { encoding: 'utf8' });
  const rows = text.split(/\r?\n/).slice(3).filter(Boolean);
  return new Map(rows.map((r) => r.split('\t') as [string, string]));
}
