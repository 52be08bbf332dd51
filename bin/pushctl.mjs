#!/usr/bin/env node
// pushctl from a clone: runs the built CLI when `npm run build` has made it, else the TypeScript
// source through tsx (a dev dependency, present after `npm ci`). On a Node older than the
// console needs (node:sqlite, 22.13) it goes on under the project's bundled Node
// (scripts/supportedNode.mjs).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { continueUnderSupportedNode } from '../scripts/supportedNode.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await continueUnderSupportedNode(fileURLToPath(import.meta.url));
const built = path.join(root, 'dist', 'cli', 'pushctl.js');
if (fs.existsSync(built)) {
  await import(built);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(path.join(root, 'main', 'cli', 'entry.ts'));
}
