// The console itself and what it reaches on its own computer and network: About (app.info), this
// computer's addresses, the server-side file chooser (or Electron's dialog), and finding computers
// before adding them — a TCP 445 network scan and an Active Directory search.
import fs from 'node:fs';
import os from 'node:os';
import crypto from 'node:crypto';
import { searchDirectoryComputers } from '../../import/directoryImport.js';
import { scanAddresses, scanRange } from '../../import/networkScan.js';
import { registerSecret } from '../../smb/auth/secretRegistry.js';
import { listFolder } from '../fileChooser.js';
import type { DomainHandlers, HandlerDeps } from './common.js';

export function createAppHandlers(deps: HandlerDeps): DomainHandlers<'app'> {
  const scans = new Map<string, AbortController>();
  const places = () => {
    const list = [{ label: 'Home', path: os.homedir() }, { label: 'Data folder', path: deps.appInfo().dataDir }];
    // Each platform's own: on Windows, fs.existsSync('/tmp') asks about \tmp on the current drive, so
    // a C:\tmp (or, under Wine, Linux's /tmp as Z:\tmp) put a Linux-style "/tmp" among the places.
    // There the place is the system drive's root.
    const roots = process.platform === 'win32' ? [`${process.env.SystemDrive || 'C:'}\\`] : ['/tmp'];
    for (const p of roots) if (fs.existsSync(p)) list.push({ label: p, path: p });
    return list;
  };

  return {
    'app.info': () => deps.appInfo(),
    'app.networkAddresses': () =>
      Object.entries(os.networkInterfaces())
        .flatMap(([name, list]) => (list ?? []).map((a) => ({ interface: name, address: a.address, family: a.family === 'IPv6' ? ('IPv6' as const) : ('IPv4' as const), internal: a.internal })))
        // What agents can reach first: external IPv4, external IPv6 (not link-local), then loopback.
        .filter((a) => !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:')))
        .sort((a, b) => Number(a.internal) - Number(b.internal) || (a.family === b.family ? 0 : a.family === 'IPv4' ? -1 : 1)),
    'files.list': ({ path: folder, extensions }) => listFolder(folder, extensions, places()),
    'files.chooseNative': async ({ title, extensions }) => {
      if (!deps.chooseFile) return { supported: false, path: null };
      return { supported: true, path: await deps.chooseFile(title, extensions) };
    },

    'scan.start': ({ range, port }) => {
      const addresses = scanAddresses(range);
      const scanId = `scan-${crypto.randomBytes(6).toString('hex')}`;
      const controller = new AbortController();
      scans.set(scanId, controller);
      const total = addresses.length;
      void scanRange(
        addresses,
        { port: port ?? 445, timeoutMs: deps.scan?.timeoutMs ?? 1500, concurrency: deps.scan?.concurrency ?? 64, progressMs: deps.scan?.progressMs ?? 200, signal: controller.signal },
        (p) => deps.events.emit('scan.progress', { scanId, done: p.done, total, found: p.found, finished: false, cancelled: false }),
      )
        .then(({ found, probed }) => {
          const cancelled = probed < total;
          deps.events.emit('scan.progress', { scanId, done: probed, total, found: [], finished: true, cancelled });
          deps.events.emit('log.line', { at: new Date().toISOString(), level: 'info', message: `Network scan of ${range}: ${found.length} of ${probed} probed address(es) answer on TCP ${port ?? 445}${cancelled ? ` (cancelled after ${probed} of ${total})` : ''}.` });
        })
        .finally(() => scans.delete(scanId));
      return { scanId, total };
    },
    'scan.cancel': ({ scanId }) => {
      const controller = scans.get(scanId);
      controller?.abort();
      return { ok: controller !== undefined };
    },

    'directory.search': (q) => {
      // The bind password is a secret too: no error, log or crash report may echo it.
      registerSecret(q.password);
      return searchDirectoryComputers(q);
    },
  };
}
