// A network scan's life in the Scan dialog: start it (port checked here, range by main), follow
// its scan.progress events, cancel it (also when the dialog closes) and the addresses found.
import { useEffect, useRef, useState } from 'react';
import type { IpcError } from '../../main/ipc/contract';
import { api } from '../api';
import { request } from '../state/actions';

export type ScanProgress = { done: number; total: number; finished: boolean; cancelled: boolean };

export function useNetworkScan() {
  const [scanId, setScanId] = useState<string | null>(null);
  const [progress, setProgress] = useState<ScanProgress>({ done: 0, total: 0, finished: false, cancelled: false });
  const [found, setFound] = useState<string[]>([]);
  const [error, setError] = useState<IpcError | null>(null);
  const current = useRef<string | null>(null);

  useEffect(
    () =>
      api.on('scan.progress', (p) => {
        if (p.scanId !== current.current) return;
        setProgress({ done: p.done, total: p.total, finished: p.finished, cancelled: p.cancelled });
        if (p.found.length) setFound((f) => [...f, ...p.found]);
      }),
    [],
  );
  // Closing the dialog stops a running scan.
  useEffect(() => () => void (current.current && request('scan.cancel', { scanId: current.current })), []);

  const start = async (range: string, port: string) => {
    setError(null);
    setFound([]);
    const portNumber = Number(port);
    if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) return setError({ class: 'invalid-port', code: null, message: `${port} is not a TCP port.`, advice: 'Enter 445 (SMB), or a port from 1 to 65535.' });
    const r = await request('scan.start', { range: range.trim(), port: portNumber });
    if (!r.ok) return setError(r.error);
    current.current = r.result.scanId;
    setScanId(r.result.scanId);
    setProgress({ done: 0, total: r.result.total, finished: false, cancelled: false });
  };
  const cancel = () => void (scanId && request('scan.cancel', { scanId }));
  const sorted = [...found].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return { scanId, progress, found: sorted, error, start, cancel, running: scanId !== null && !progress.finished };
}
