// `pushctl lab`: starts a lab in its own process, prints its hosts and account, serves
// until SIGTERM, then frees its addresses; bad arguments are refused with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { diagnose } from '../../main/engine/diagnose.js';
import { REPO_ROOT } from '../support/childProcess.js';

const connects = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

test('pushctl lab --json: hosts a real SMB/SCM peer per address until SIGTERM, then frees them', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli/entry.ts', 'lab', '--hosts', '3', '--first', '127.0.33.1', '--port', '14490', '--profile', 'healthy', '--json'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  const doc = JSON.parse(line) as { port: number; account: { user: string; password: string }; hosts: { name: string; address: string; profile: string }[] };
  assert.deepEqual(doc.hosts.map((h) => h.address), ['127.0.33.1', '127.0.33.2', '127.0.33.3']);
  assert.ok(doc.hosts.every((h) => h.profile === 'healthy'));
  const report = await diagnose({ host: '127.0.33.2', port: 14490 }, { credentials: { user: doc.account.user, password: doc.account.password }, connectTimeoutMs: 2000, encryptWhenSupported: true });
  assert.deepEqual(report.errors, []);
  assert.equal(report.signingRequired, true, 'signing required, as Windows 11 24H2');
  assert.equal(report.adminShareWritable, true);
  assert.equal(report.scmAccess, true);
  assert.equal(report.serverName, 'LAB-PC-002');
  child.removeAllListeners('exit');
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.equal(await connects('127.0.33.1', 14490), false, 'the address is free again');
});

test('pushctl lab refuses a bad profile, a bad host count and a non-loopback first address, saying why', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/entry.ts', 'lab', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
  const badProfile = run('--hosts', '2', '--profile', 'sunny');
  assert.equal(badProfile.status, 2);
  assert.match(badProfile.stderr, /neither mixed, a profile/);
  assert.equal(run('--hosts', '0').status, 2);
  const foreign = run('--hosts', '1', '--first', '10.0.0.1', '--port', '14491');
  assert.notEqual(foreign.status, 0);
  assert.match(foreign.stderr, /127\.x\.y\.z loopback/);
});
