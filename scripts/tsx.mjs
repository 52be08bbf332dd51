// Runs a TypeScript file (a benchmark, a one-off script) through tsx on the project's supported
// Node (scripts/supportedNode.mjs): `node scripts/tsx.mjs bench/labPush.ts -- --hosts 100`.
import { spawn } from 'node:child_process';
import { supportedNode } from './supportedNode.mjs';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/tsx.mjs FILE.ts [args…]');
  process.exit(2);
}
const child = spawn(supportedNode(), ['--import', 'tsx', file, ...args], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
