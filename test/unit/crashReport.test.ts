// Crash reports: a process that installed the crash reporter and then crashes — an
// uncaught exception, an unhandled rejection — exits non-zero and leaves exactly one report
// (0600, crash-<time>-<pid>.txt) with the error's class, message, stack and cause chain, and no
// form of the password (registered with the secret register) nor of a second password that only
// appears as `password=…` / `"password":"…"`. The folder keeps the newest N reports.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CRASH_EXIT_CODE, describeError, pruneCrashReports } from '../../main/app/crashReport.js';
import { redact, redactSecretPatterns, registerSecret, secretTextForms } from '../../main/smb/auth/secretRegistry.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { secretForms, secretHits } from '../support/secretSearch.js';
import { tempDirFor } from '../support/tempDir.js';

const CHILD = path.join('test', 'support', 'crashReportChild.ts');
const REPORT = /^crash-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z-\d+(?:-\d+)?\.txt$/;
const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const uniquePassword = (tag: string) => `${tag}-${crypto.randomBytes(9).toString('base64url')}#${crypto.randomInt(1e9)}`;

/** Runs the child the way the tests run (node --import tsx …), like test/support/childProcess.ts. */
function crashChild(dir: string, keep: number, mode: 'throw' | 'reject', secret: string, other: string): Promise<{ code: number | null; signal: string | null; pid: number; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(keep), mode], {
      cwd: REPO_ROOT,
      env: { ...process.env, PIC_CRASH_SECRET: secret, PIC_CRASH_UNREGISTERED: other },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, pid: child.pid ?? -1, stdout, stderr });
    });
  });
}

const reportsIn = (dir: string) => fs.readdirSync(dir).filter((f) => f.startsWith('crash-')).sort();

for (const mode of ['throw', 'reject'] as const) {
  test(`a crash by ${mode === 'throw' ? 'an uncaught exception' : 'an unhandled rejection'}: exit ${CRASH_EXIT_CODE}, one 0600 report with the stack and cause, no form of either password`, async (t) => {
    const dir = path.join(tempDirFor(t, 'pic-crash-'), 'data', 'crash-reports');
    const password = uniquePassword('Crash');
    const other = uniquePassword('Other');
    const run = await crashChild(dir, 5, mode, password, other);
    assert.equal(run.code, CRASH_EXIT_CODE, `exit code (signal ${run.signal}); stderr: ${run.stderr}`);

    const files = reportsIn(dir);
    assert.equal(files.length, 1, `exactly one report: ${files.join(', ')}`);
    const name = files[0]!;
    assert.match(name, REPORT);
    assert.ok(name.endsWith(`-${run.pid}.txt`), `${name} names the process ${run.pid}`);
    const file = path.join(dir, name);
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'report mode');
    const bytes = fs.readFileSync(file);
    const text = bytes.toString('utf8');

    // What the report says.
    for (const line of ['Push Install Console crash report', `Version: ${VERSION}`, 'Shell: pushctl', `Node: ${process.version}`, `Platform: ${process.platform} ${process.arch}`, `Process: ${run.pid}`]) {
      assert.ok(text.includes(line), `"${line}" in\n${text}`);
    }
    assert.match(text, /^Time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/m);
    assert.match(text, /\s+at .*crashReportChild\.ts:\d+:\d+/, 'a stack frame in the child script');
    if (mode === 'throw') {
      assert.ok(text.includes('What happened: an uncaught exception'));
      assert.match(text, /^Error class: LeakyError$/m);
      assert.match(text, /^Message: could not log on with password \[redacted\]$/m);
      assert.match(text, /at connectWith /);
      assert.match(text, /^Properties: .*base64: '\[redacted\]'/ms);
      assert.match(text, /^Caused by — Error class: TypeError$/m);
      assert.match(text, /retried with password=\[redacted\]/);
    } else {
      assert.ok(text.includes('What happened: an unhandled promise rejection'));
      assert.match(text, /^Error class: RangeError$/m);
      assert.ok(text.includes('"password":"[redacted]"'), text);
      assert.match(text, /^Caused by — A value that is not an Error \(object\): .*E_LEAK/m);
    }

    // What it must not say: every form of both passwords, in the report and on stderr.
    const forms = [secretForms(password), secretForms(other)];
    // Eight forms, and its URL-encoding when that differs from it.
    assert.equal(forms[0]!.forms.length, encodeURIComponent(password) === password ? 8 : 9);
    for (const secret of forms) {
      assert.deepEqual(secretHits(secret, bytes), [], 'crash report');
      assert.deepEqual(secretHits(secret, run.stderr), [], 'stderr');
      assert.deepEqual(secretHits(secret, run.stdout), [], 'stdout');
    }
    // stderr tells the admin where the report is.
    assert.ok(run.stderr.includes(file), `stderr names ${file}: ${run.stderr}`);
  });
}

test('the crash-reports folder keeps the newest N reports and nothing else is touched', async (t) => {
  const dir = tempDirFor(t, 'pic-crash-cap-');
  const keep = 3;
  const old = Array.from({ length: keep + 3 }, (_, i) => `crash-2001-01-0${i + 1}T00-00-00.000Z-${100 + i}.txt`);
  for (const f of old) fs.writeFileSync(path.join(dir, f), 'old report\n', { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a report\n');
  const run = await crashChild(dir, keep, 'throw', uniquePassword('Cap'), uniquePassword('CapOther'));
  assert.equal(run.code, CRASH_EXIT_CODE, run.stderr);
  const left = reportsIn(dir);
  assert.equal(left.length, keep, left.join(', '));
  assert.ok(left.some((f) => f.endsWith(`-${run.pid}.txt`)), 'the new report is kept');
  assert.deepEqual(left.filter((f) => f.startsWith('crash-2001')), old.slice(-(keep - 1)), 'the newest old ones stay');
  assert.ok(fs.existsSync(path.join(dir, 'notes.txt')));
  // And twice more in the same folder: still N.
  for (let i = 0; i < 2; i++) assert.equal((await crashChild(dir, keep, 'reject', uniquePassword('Cap'), uniquePassword('CapOther'))).code, CRASH_EXIT_CODE);
  const after = reportsIn(dir);
  assert.equal(after.length, keep, after.join(', '));
  assert.equal(after.filter((f) => f.startsWith('crash-2001')).length, 0, 'every old report is gone after three new ones');
  assert.deepEqual(pruneCrashReports(dir, keep), [], 'nothing more to prune');
});

test('redact() replaces every textual form of a registered secret and password-like values', () => {
  const password = uniquePassword('Reg"ist\\ry');
  registerSecret(password);
  const forms = secretTextForms(password);
  assert.ok(forms.length >= 15, `forms: ${forms.length}`);
  const text = forms.map((f, i) => `form ${i}: <${f}>`).join('\n');
  const redacted = redact(text);
  for (const f of forms) assert.ok(!redacted.includes(f), `form still present: ${JSON.stringify(f)}`);
  assert.deepEqual(secretHits(secretForms(password), redacted), []);
  assert.equal(redacted.split('[redacted]').length - 1, forms.length, redacted);
  // JSON, key=value and an error that echoes a secret in escaped JSON.
  assert.equal(redactSecretPatterns('{"user":"a","password":"x\\"y","adminPassword" : "z"}'), '{"user":"a","password":"[redacted]","adminPassword" : "[redacted]"}');
  assert.equal(redactSecretPatterns('logon user=admin password=hunter2 pwd: abc; token=AbC.d-e'), 'logon user=admin password=[redacted] pwd: [redacted]; token=[redacted]');
  assert.equal(redactSecretPatterns('body "{\\"password\\":\\"s3cr3t\\"}"'), 'body "{\\"password\\":\\"[redacted]\\"}"');
  assert.equal(redactSecretPatterns('at verifyPassword (file:///x/passwordCheck.ts:12:5)'), 'at verifyPassword (file:///x/passwordCheck.ts:12:5)', 'stack frames are left alone');
  // A cause chain with a cycle ends.
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as Error & { cause?: unknown }).cause = b;
  assert.match(describeError(a), /a cycle/);
});
