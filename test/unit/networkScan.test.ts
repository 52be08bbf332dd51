// Network scan against real listeners on loopback: the addresses with a listening port are found,
// refused ones are not, progress arrives in batches that add up, and cancel stops the scan early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ConsoleError } from '../../main/ipc/errors.js';
import { scanAddresses, scanRange } from '../../main/import/networkScan.js';

async function listen(host: string): Promise<net.Server> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return server;
}

test('finds exactly the loopback addresses that listen on the port, with batched progress adding up to the total', async (t) => {
  const a = await listen('127.0.88.3');
  const port = (a.address() as net.AddressInfo).port;
  const b = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => b.listen(port, '127.0.88.7', resolve));
  t.after(() => {
    a.close();
    b.close();
  });
  const reports: { done: number; found: string[] }[] = [];
  const { found, probed } = await scanRange(scanAddresses('127.0.88.1-127.0.88.20'), { port, timeoutMs: 1000, concurrency: 8, progressMs: 20 }, (p) => reports.push(p));
  assert.deepEqual(found, ['127.0.88.3', '127.0.88.7']);
  assert.equal(probed, 20);
  assert.deepEqual(reports.flatMap((r) => r.found).sort(), ['127.0.88.3', '127.0.88.7']);
  assert.equal(reports.at(-1)!.done, 20);
});

test('cancel stops a scan before every address is probed', async () => {
  const controller = new AbortController();
  const reports: number[] = [];
  const started = Date.now();
  // Loopback with a port nothing listens on, one probe at a time, aborted after the third.
  const scan = scanRange(scanAddresses('127.0.89.0/24'), { port: 9, timeoutMs: 500, concurrency: 1, progressMs: 5, signal: controller.signal }, (p) => {
    reports.push(p.done);
    if (p.done >= 3) controller.abort();
  });
  const { found, probed } = await scan;
  assert.deepEqual(found, []);
  assert.ok(probed < 254, `stopped after ${probed} of 254`);
  assert.equal(reports.at(-1), probed, 'the last report says how far it got');
  assert.ok(Date.now() - started < 5000);
});

test('ranges larger than 4096 addresses or not a range are refused with advice', () => {
  assert.throws(() => scanAddresses('10.0.0.0/16'), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'invalid-range' && /4096/.test(e.advice));
  assert.throws(() => scanAddresses('pc01'), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'invalid-range');
  assert.deepEqual(scanAddresses('127.0.0.1'), ['127.0.0.1']);
});
