// The product's name and version, and where its files are, found from package.json.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding the console's package.json, from source (main/app) or a bundle (dist/…). */
export function findPackageRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'push-install-console') return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`No push-install-console package.json above ${from}`);
  }
}

const pkg = JSON.parse(fs.readFileSync(path.join(findPackageRoot(), 'package.json'), 'utf8')) as {
  productName?: string;
  version?: string;
};
export const PRODUCT_NAME = pkg.productName ?? 'Push Install Console';
export const PRODUCT_VERSION = pkg.version ?? '0.0.0';

/** The built renderer (npm run build writes it). */
export function rendererDir(): string {
  return path.join(findPackageRoot(), 'dist', 'renderer');
}
