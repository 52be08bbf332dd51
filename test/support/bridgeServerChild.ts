// Child process for bridge-server tests whose failure mode is the server process dying: starts
// the bridge on 127.0.0.1 over <rendererDir> with a stub router and prints
// "listening <port> <token>". It has no uncaughtException handler, like main/browser/main.ts.
import fs from 'node:fs';
import { startBridgeServer } from '../../main/browser/bridgeServer.js';
import { createEventBus } from '../../main/ipc/eventBus.js';

const rendererDir = process.argv[2];
if (!rendererDir) {
  process.stderr.write('usage: bridgeServerChild.ts <rendererDir>\n');
  process.exit(2);
}
const server = await startBridgeServer({
  router: () => ({ dispatch: async () => ({ ok: true, result: null }) }),
  events: createEventBus(),
  rendererDir,
});
fs.writeSync(1, `listening ${server.port} ${server.token}\n`);
// Never outlive the test for long.
setTimeout(() => void server.close().then(() => process.exit(0)), 60_000).unref();
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
