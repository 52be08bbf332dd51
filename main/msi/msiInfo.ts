// What the Packages window shows of an .msi (docs/ARCHITECTURE.md §11): ProductName,
// ProductVersion, Manufacturer, ProductCode from its Property table, read by our own reader of the
// format.
import fs from 'node:fs';
import type { MsiInfo } from '../ipc/contract.js';
import { bufferSource, CompoundFile, fileSource } from './compoundFile.js';
import { MsiFormatError } from './errors.js';
import { MsiDatabase } from './msiDatabase.js';

/** Larger files are refused before a byte is read (a FAT of 2 GB is 16 MB). */
export const MAX_MSI_BYTES = 2 * 1024 ** 3;

function propertiesOf(file: CompoundFile): Map<string, string> {
  const db = new MsiDatabase(file);
  const properties = new Map<string, string>();
  for (const [name, value] of db.stringTable('Property', 2)) {
    if (name) properties.set(name, value ?? '');
  }
  return properties;
}

export function readMsiProperties(bytes: Buffer): Map<string, string> {
  return propertiesOf(new CompoundFile(bufferSource(bytes)));
}

function infoOf(properties: Map<string, string>): MsiInfo {
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

export function msiInfoFromBytes(bytes: Buffer): MsiInfo {
  return infoOf(readMsiProperties(bytes));
}

/** Reads only the sectors the Property table needs, from the file on disk. */
export function readMsiInfo(file: string): MsiInfo {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size > MAX_MSI_BYTES) throw new MsiFormatError('too-large', `The file is ${size} bytes; packages up to 2 GB are supported.`);
    return infoOf(propertiesOf(new CompoundFile(fileSource(fd))));
  } finally {
    fs.closeSync(fd);
  }
}
