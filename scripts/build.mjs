// Builds every runnable piece with esbuild: the renderer (one bundle for both shells), the
// Electron main process and sandboxed preload, and the browser shell.
//   node scripts/build.mjs               into dist/
//   node scripts/build.mjs --out DIR     into DIR (a test's own copy, which another run's
//                                        rebuild of dist/ cannot pull from under it)
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function buildAll({ quiet = false, outDir = path.join(root, 'dist') } = {}) {
  const started = Date.now();
  const dist = path.resolve(outDir);
  fs.rmSync(dist, { recursive: true, force: true });
  const node = { bundle: true, platform: 'node', target: 'node22', sourcemap: true, logLevel: 'warning' };
  await Promise.all([
    build({
      entryPoints: [path.join(root, 'renderer/main.tsx')],
      outfile: path.join(dist, 'renderer/assets/app.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'chrome120',
      jsx: 'automatic',
      minify: true,
      sourcemap: true,
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'warning',
    }),
    // Main runs as ESM in Electron; dependencies stay in node_modules (the keychain's N-API module).
    build({ ...node, entryPoints: [path.join(root, 'main/electron/main.ts')], outfile: path.join(dist, 'electron/main.js'), format: 'esm', packages: 'external' }),
    // A sandboxed preload must be one CommonJS file that requires nothing but electron.
    build({ ...node, entryPoints: [path.join(root, 'preload/preload.ts')], outfile: path.join(dist, 'electron/preload.cjs'), format: 'cjs', external: ['electron'] }),
    build({ ...node, entryPoints: [path.join(root, 'main/browser/main.ts')], outfile: path.join(dist, 'browser/main.js'), format: 'esm', packages: 'external' }),
    build({ ...node, entryPoints: [path.join(root, 'main/cli/entry.ts')], outfile: path.join(dist, 'cli/pushctl.js'), format: 'esm', packages: 'external' }),
  ]);
  fs.copyFileSync(path.join(root, 'renderer/index.html'), path.join(dist, 'renderer/index.html'));
  fs.copyFileSync(path.join(root, 'assets/icon.png'), path.join(dist, 'renderer/assets/icon.png'));
  if (!quiet) console.log(`built ${path.relative(root, dist) || '.'}/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv.indexOf('--out');
  if (out !== -1 && !process.argv[out + 1]) {
    console.error('--out needs a folder');
    process.exit(1);
  }
  buildAll(out === -1 ? {} : { outDir: process.argv[out + 1] }).catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
