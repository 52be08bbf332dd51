// The job file read back by the native agent's rules (agent/README.md "The job file",
// agent/src/jobfile.c), as the lab's simulated agent reads it: what the console writes parses to
// what it meant, and every rule the real agent enforces is enforced, with its wording.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobFileError, encodeJobFile, parseJobFile, type AgentJob } from '../../main/server/jobFile.js';

const job: AgentJob = {
  consoles: [{ host: '192.168.1.10', port: 2224 }, { host: 'fe80::1', port: 2224 }, { host: 'console.corp.example', port: 2224 }],
  fingerprint: 'ab'.repeat(32),
  token: 'q7Vh0c4Yk2dJm9tXr1LwBz8sN5pE3aUf',
  runId: 'r-20261123-0042',
  packageId: 'eset-endpoint-11.1',
  size: 123456789,
  sha256: '9b'.repeat(32),
};

const base = encodeJobFile(job).toString('utf8');
const parse = (text: string | Buffer) => parseJobFile(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));

function refused(text: string | Buffer, message: RegExp): void {
  assert.throws(() => parse(text), (e: unknown) => e instanceof JobFileError && e.errorClass === 'agent-job' && message.test(e.message), String(message));
}

test('what the console writes parses back to the same job', () => {
  assert.deepEqual(parse(base), job);
});

test('the README example form: BOM, LF lines, comments, blanks, spaces and tabs around keys and values, colon fingerprint', () => {
  const colon = Array.from({ length: 32 }, () => 'AB').join(':');
  const text = `\uFEFF# written by hand\n\n  version = 1\nconsole=192.168.1.10:2224\n\tconsole =\t[fe80::1]:2224 \nconsole=console.corp.example:2224\nfingerprint=${colon}\ntoken=${job.token}\nrun=${job.runId}\npackage=${job.packageId}\nsize=123456789\nsha256=${'9B'.repeat(32)}`;
  assert.deepEqual(parse(text), job);
});

test('every rule the native agent enforces, with its wording', () => {
  const replace = (key: string, line: string) => base.replace(new RegExp(`^${key}=.*$`, 'm'), line);
  refused('', /^the job file is empty$/);
  refused(`${base}#${'x'.repeat(16384)}`, /larger than 16384 bytes/);
  refused(Buffer.concat([Buffer.from(base), Buffer.from([0xc0, 0x80])]), /not valid UTF-8/);
  refused(`${base}\0`, /NUL/);
  refused(`${base}#${'x'.repeat(1030)}\n`, /^line 12: longer than 1024 bytes$/);
  refused(`${base}just words\r\n`, /^line 12: expected key=value$/);
  refused(`${base}color=blue\r\n`, /unknown key 'color'/);
  refused(replace('token', 'token=abc\u00e9defghijklmnopqrstuv'), /values are printable ASCII only/);
  refused(`${base}run=again\r\n`, /^line 12: run: given twice$/);
  refused(replace('version', 'version=2'), /version: only version 1/);
  refused(replace('fingerprint', 'fingerprint=abcd'), /fingerprint: expected the SHA-256 as 64 hex digits/);
  refused(replace('token', 'token=short'), /token: expected 16\.\.512/);
  refused(replace('run', 'run=-r'), /run: expected 1\.\.64/);
  refused(replace('package', 'package=.hidden'), /package: expected 1\.\.64/);
  refused(replace('size', 'size=0123'), /size: expected a byte count/);
  refused(replace('size', 'size=9007199254740992'), /size: expected a byte count/);
  refused(replace('sha256', 'sha256=xyz'), /sha256: expected 64 hex digits/);
  refused(`${base}${'console=a:1\r\n'.repeat(6)}`, /console: more than 8 addresses/);
  for (const [value, why] of [
    ['host', 'expected host:port'],
    ['fe80::1:2224', 'IPv6 addresses need brackets'],
    ['[fe80::1:2224', "IPv6 address without ']'"],
    ['-host:2224', "host name starts or ends with '-' or '.'"],
    ['ho_st:2224', "host name may hold only letters, digits, '-' and '.'"],
    ['host:0', 'port must be 1..65535'],
    ['host:02224', 'port must be 1..65535'],
    ['host:65536', 'port must be 1..65535'],
  ]) {
    refused(replace('console', `console=${value}`), new RegExp(`console: ${why!.replace(/[[\]().]/g, '\\$&')}`));
  }
  for (const key of ['fingerprint', 'token', 'run', 'package', 'size', 'sha256']) refused(replace(key, ''), new RegExp(`^missing key: ${key}$`));
  refused(base.replace(/^console=.*\r\n/gm, ''), /^missing key: console$/);
});

test('the transports: smb names no console, fingerprint or token; auto carries its wait; each parses back to the same job', () => {
  const smb: AgentJob = { transport: 'smb', consoles: [], fingerprint: '', token: '', runId: job.runId, packageId: job.packageId, size: job.size, sha256: job.sha256 };
  const smbText = encodeJobFile(smb).toString('utf8');
  assert.match(smbText, /^transport=smb\r$/m);
  assert.doesNotMatch(smbText, /^(console|fingerprint|token)=/m);
  assert.deepEqual(parse(smbText), smb);
  const auto: AgentJob = { ...job, transport: 'auto', waitSeconds: 120 };
  const autoText = encodeJobFile(auto).toString('utf8');
  assert.match(autoText, /^transport=auto\r\nwait=120\r$/m);
  assert.deepEqual(parse(autoText), auto);
  // auto without wait= gets the agent's default; callback written out is the same as absent.
  assert.equal(parse(autoText.replace('wait=120\r\n', '')).waitSeconds, 600);
  assert.deepEqual(parse(base.replace('version=1\r\n', 'version=1\r\ntransport=callback\r\n')), { ...job, transport: 'callback' });
});

test('a transport the agent would not understand, or keys that do not belong to it, are refused with the agent\'s wording', () => {
  const smb = encodeJobFile({ transport: 'smb', consoles: [], fingerprint: '', token: '', runId: job.runId, packageId: job.packageId, size: job.size, sha256: job.sha256 }).toString('utf8');
  refused(base.replace('version=1', 'version=1\ntransport=ftp'), /line 3: transport: expected callback, smb or auto/);
  refused(smb.replace('transport=smb', 'transport=smb\r\nconsole=a:1'), /console: not allowed with transport=smb/);
  refused(smb.replace('transport=smb', `transport=smb\r\ntoken=${job.token}`), /token: not allowed with transport=smb/);
  refused(base.replace('version=1', 'version=1\nwait=30'), /wait: only with transport=auto/);
  refused(base.replace('version=1', 'version=1\ntransport=auto\nwait=0'), /wait: expected 1\.\.86400 seconds/);
  refused(base.replace('version=1', 'version=1\ntransport=auto\nwait=86401'), /wait: expected 1\.\.86400 seconds/);
  refused(base.replace(/^token=.*\r\n/m, ''), /missing key: token/);
});
