// What the Packages window shows of an .msi (DESIGN.md §4): ProductName, ProductVersion,
// Manufacturer, ProductCode from its Property table, read by our own reader of the format.
import fs from 'node:fs';
import type { MsiInfo } from '../ipc/contract.js';
import { CompoundFile } from './compoundFile.js';
import { MsiFormatError } from './errors.js';
import { MsiDatabase } from './msiDatabase.js';

/** Installer packages are read whole; bigger ones are refused before they are read. */
export const MAX_MSI_BYTES = 2 * 1024 ** 3 - 1;

export function readMsiProperties(bytes: Buffer): Map<string, string> {
  const db = new MsiDatabase(new CompoundFile(bytes));
  const properties = new Map<string, string>();
  for (const [name, value] of db.stringTable('Property', 2)) {
    if (name) properties.set(name, value ?? '');
  }
  return properties;
}

export function msiInfoFromBytes(bytes: Buffer): MsiInfo {
  const properties = readMsiProperties(bytes);
  if (properties.size === 0) throw new MsiFormatError('not-an-msi', 'The installer database has no Property table.');
  const get = (name: string) => properties.get(name) ?? null;
  return {
    productName: get('ProductName'),
    productVersion: get('ProductVersion'),
    manufacturer: get('Manufacturer'),
    productCode: get('ProductCode'),
    upgradeCode: get('UpgradeCode'),
    productLanguage: get('ProductLanguage'),
    propertyCount: properties.size,
  };
}

export async function readMsiInfo(file: string): Promise<MsiInfo> {
  const stat = await fs.promises.stat(file);
  if (stat.size > MAX_MSI_BYTES) throw new MsiFormatError('too-large', `The file is ${stat.size} bytes; packages up to 2 GB are supported.`);
  return msiInfoFromBytes(await fs.promises.readFile(file));
}
