// The browser shell: the console's main-process services with the renderer served on
// 127.0.0.1 and the IPC contract carried over a WebSocket bridge. `npm start` runs this when
// the Electron binary is absent. Options: --port N (default: a free port), --host A (another
// loopback IPv4 address, 127.x.y.z, to listen on; never a network one), --no-open.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { crashReportDir, installCrashReporter } from '../app/crashReport.js';
import { resolveDataDir } from '../app/dataDir.js';
import { rendererDir } from '../app/product.js';
import { createConsoleServices } from '../app/services.js';
import { redact } from '../smb/auth/secretRegistry.js';
import { originSenderPolicy } from '../ipc/router.js';
import { startBridgeServer } from './bridgeServer.js';
import { takeStopSignals } from './stopSignals.js';

function browserOpener(): string[] | null {
  // Not `cmd /c start`: cmd would parse the URL (an & in it ends the command) and Node's quoting of
  // "" is not cmd's. url.dll's FileProtocolHandler hands the URL to the default browser unparsed.
  if (process.platform === 'win32') return ['rundll32', 'url.dll,FileProtocolHandler'];
  if (process.platform === 'darwin') return ['open'];
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return null;
  return ['xdg-open'];
}

// An uncaught exception or unhandled rejection leaves a redacted report in
// <data folder>/crash-reports/ and a non-zero exit.
installCrashReporter({ dir: crashReportDir(resolveDataDir()), shell: 'browser' });

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, host: { type: 'string' }, 'no-open': { type: 'boolean', default: false } },
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, not ${values.port}`);
  // The bridge trusts the loopback interface (bridgeServer.ts): another 127/8 address, yes; a network one, never.
  const host = values.host ?? '127.0.0.1';
  if (!net.isIPv4(host) || !host.startsWith('127.')) throw new Error(`--host must be a loopback IPv4 address (127.x.y.z), not ${host}`);

  const dataDir = resolveDataDir();
  const services = createConsoleServices({ dataDir, shell: 'browser' });
  const push = await services.startPush();
  if (push instanceof Error) console.log(`The package server could not start (${push.message}); pushing is off until it can.`);
  else console.log(`Package server on TCP ${push.server?.port} (certificate SHA-256 ${push.certificate.fingerprint.slice(0, 16)}…).`);
  const server = await startBridgeServer({
    router: (origin) => services.router(originSenderPolicy(origin)),
    events: services.events,
    rendererDir: rendererDir(),
    port,
    host,
  });
  // One line a script can read (the end-to-end test does), one the admin reads.
  console.log(`PUSHCONSOLE_URL=${server.url}`);
  console.log(`Push Install Console is running in your browser at ${server.url}`);
  console.log(`Data folder: ${dataDir}. Press Ctrl+C to stop.`);

  const opener = values['no-open'] ? null : browserOpener();
  if (opener) {
    const [cmd, ...args] = opener as [string, ...string[]];
    const child = spawn(cmd, [...args, server.url], { detached: true, stdio: 'ignore' });
    child.on('error', () => console.log(`Could not open a browser (${cmd}); open the URL above yourself.`));
    child.unref();
  } else if (!values['no-open']) {
    console.log('No desktop session found to open a browser in; open the URL above yourself.');
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.close();
    await services.close();
    console.log('Push Install Console stopped.');
    process.exit(0);
  };
  // Ctrl+C, SIGTERM; on Windows also Ctrl+Break and the console window closed. The shell is their
  // only listener: a library's would end the process on Windows before this stop ran (stopSignals.ts).
  takeStopSignals(() => void stop());
}

main().catch((error: unknown) => {
  console.error(redact(`Push Install Console could not start: ${error instanceof Error ? error.message : String(error)}`));
  process.exit(1);
});
