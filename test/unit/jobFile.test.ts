// The job file the console writes for the agent: the format agent/README.md defines, and a
// refusal for anything the agent would refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleError } from '../../main/ipc/errors.js';
import { encodeJobFile, type AgentJob } from '../../main/server/jobFile.js';

const job: AgentJob = {
  consoles: [{ host: '192.168.1.10', port: 2224 }, { host: 'fe80::1', port: 2224 }, { host: 'console.corp.example', port: 2224 }],
  fingerprint: 'AB'.repeat(32),
  token: 'q7Vh0c4Yk2dJm9tXr1LwBz8sN5pE3aUf',
  runId: 'r-20261123-0042',
  packageId: 'eset-endpoint-11.1',
  size: 123456789,
  sha256: '9b'.repeat(32),
};

test('a job file lists the consoles in order, bracketed IPv6, lower-case hashes, CRLF lines and no password', () => {
  const text = encodeJobFile(job).toString('utf8');
  assert.equal(
    text,
    [
      '# written by Push Install Console; deleted by the agent when it is done',
      'version=1',
      'console=192.168.1.10:2224',
      'console=[fe80::1]:2224',
      'console=console.corp.example:2224',
      `fingerprint=${'ab'.repeat(32)}`,
      'token=q7Vh0c4Yk2dJm9tXr1LwBz8sN5pE3aUf',
      'run=r-20261123-0042',
      'package=eset-endpoint-11.1',
      'size=123456789',
      `sha256=${'9b'.repeat(32)}`,
      '',
    ].join('\r\n'),
  );
  assert.ok(Buffer.byteLength(text) <= 16384);
  assert.ok(!/password/i.test(text));
});

test('values the agent would refuse are refused before anything is written', () => {
  const bad: Partial<AgentJob>[] = [
    { consoles: [] },
    { consoles: Array.from({ length: 9 }, () => ({ host: 'a', port: 1 })) },
    { consoles: [{ host: 'evil\nkey=x', port: 2224 }] },
    { consoles: [{ host: 'ok', port: 70000 }] },
    { fingerprint: 'ab:cd' },
    { token: 'short' },
    { token: 'has space in it, long enough' },
    { runId: '-r' },
    { packageId: '.hidden' },
    { size: 0 },
    { sha256: 'xyz' },
  ];
  for (const change of bad) {
    assert.throws(() => encodeJobFile({ ...job, ...change }), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'job-file', JSON.stringify(change));
  }
});

test('the console refuses to write an smb job that names a console, or a wait outside auto', () => {
  const smb: AgentJob = { ...job, transport: 'smb', consoles: [], fingerprint: '', token: '' };
  assert.doesNotThrow(() => encodeJobFile(smb));
  for (const change of [{ consoles: job.consoles }, { token: job.token }, { fingerprint: job.fingerprint }, { waitSeconds: 10 }] as Partial<AgentJob>[]) {
    assert.throws(() => encodeJobFile({ ...smb, ...change }), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'job-file', JSON.stringify(change));
  }
  assert.throws(() => encodeJobFile({ ...job, transport: 'auto', waitSeconds: 0 }), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'job-file');
});
