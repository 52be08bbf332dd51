// Runs a TypeScript file (a benchmark, a one-off script) through tsx on the project's supported
// Node (scripts/supportedNode.mjs): `node scripts/tsx.mjs bench/labPush.ts -- --hosts 100`.
import { runUnderSupportedNode } from './supportedNode.mjs';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/tsx.mjs FILE.ts [args…]');
  process.exit(2);
}
await runUnderSupportedNode(['--import', 'tsx', file, ...args]);
