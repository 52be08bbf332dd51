// npm start's exit (scripts/startExit.mjs, used by scripts/start.mjs): 0 only for a clean exit or a
// stop npm start was asked for; the console's own non-zero code with one line; a signal nobody asked
// for named, with the crash-report folder, and 128 + its number. Plus a real supervised child
// killed with SIGKILL, and the data folder computed the same way main/app/dataDir.ts does.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { consoleCrashReportDir, consoleDataDir, consoleExitDecision } from '../../scripts/startExit.mjs';
import { resolveDataDir } from '../../main/app/dataDir.js';
import { crashReportDir } from '../../main/app/crashReport.js';
import { REPO_ROOT } from '../support/childProcess.js';

const CRASH = '/data/crash-reports';

describe('consoleExitDecision', () => {
  test('code 0 is a clean exit: 0 and nothing printed', () => {
    assert.deepEqual(consoleExitDecision({ code: 0, signal: null, crashReportDir: CRASH }), { exitCode: 0, message: null });
    assert.deepEqual(consoleExitDecision({ code: 0, signal: null, forwardedSignal: 'SIGINT', crashReportDir: CRASH }), { exitCode: 0, message: null });
  });

  test('a non-zero code is passed on with one line saying so', () => {
    assert.deepEqual(consoleExitDecision({ code: 70, signal: null, crashReportDir: CRASH }), { exitCode: 70, message: 'The console exited with code 70.' });
    assert.deepEqual(consoleExitDecision({ code: 1, signal: null, forwardedSignal: 'SIGTERM', crashReportDir: CRASH }), { exitCode: 1, message: 'The console exited with code 1.' });
  });

  test('the console ending on the SIGINT/SIGTERM npm start passed on (by signal, or with 130/143) is a clean stop', () => {
    for (const signal of ['SIGINT', 'SIGTERM']) {
      assert.deepEqual(consoleExitDecision({ code: null, signal, forwardedSignal: signal, crashReportDir: CRASH }), { exitCode: 0, message: null }, signal);
    }
    assert.deepEqual(consoleExitDecision({ code: 130, signal: null, forwardedSignal: 'SIGINT', crashReportDir: CRASH }), { exitCode: 0, message: null });
    assert.deepEqual(consoleExitDecision({ code: 143, signal: null, forwardedSignal: 'SIGTERM', crashReportDir: CRASH }), { exitCode: 0, message: null });
    // Without a stop asked for, 130 is just a code.
    assert.equal(consoleExitDecision({ code: 130, signal: null, crashReportDir: CRASH }).exitCode, 130);
  });

  test('a signal nobody asked for (SIGKILL, SIGSEGV, or SIGTERM not via npm start) is named with the crash folder; exit 128 + its number', () => {
    assert.deepEqual(consoleExitDecision({ code: null, signal: 'SIGKILL', crashReportDir: CRASH }), {
      exitCode: 128 + os.constants.signals.SIGKILL,
      message: `The console stopped unexpectedly (signal SIGKILL). Crash reports are kept in ${CRASH}.`,
    });
    assert.equal(consoleExitDecision({ code: null, signal: 'SIGSEGV', crashReportDir: CRASH }).exitCode, 128 + os.constants.signals.SIGSEGV);
    assert.equal(consoleExitDecision({ code: null, signal: 'SIGKILL', forwardedSignal: 'SIGINT', crashReportDir: CRASH }).exitCode, 137);
    const term = consoleExitDecision({ code: null, signal: 'SIGTERM', crashReportDir: CRASH });
    assert.equal(term.exitCode, 143);
    assert.match(term.message ?? '', /^The console stopped unexpectedly \(signal SIGTERM\)\./);
  });
});

describe('consoleDataDir matches main/app/dataDir.ts', () => {
  const home = '/home/ann';
  test('the browser shell: PUSHCONSOLE_DATA_DIR, XDG_DATA_HOME, ~/.local/share, %APPDATA% as resolveDataDir; crash-reports inside', () => {
    const cases: { env: NodeJS.ProcessEnv; platform: NodeJS.Platform }[] = [
      { env: { PUSHCONSOLE_DATA_DIR: '/srv/pic' }, platform: 'linux' },
      { env: { PUSHCONSOLE_DATA_DIR: 'relative/dir' }, platform: 'linux' },
      { env: { PUSHCONSOLE_DATA_DIR: '  ' }, platform: 'linux' },
      { env: { XDG_DATA_HOME: '/xdg' }, platform: 'linux' },
      { env: { XDG_DATA_HOME: 'not-absolute' }, platform: 'linux' },
      { env: {}, platform: 'linux' },
      { env: { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, platform: 'win32' },
      { env: { APPDATA: '' }, platform: 'win32' },
    ];
    for (const { env, platform } of cases) {
      const expected = resolveDataDir({ env, platform, home });
      assert.equal(consoleDataDir({ shell: 'browser', env, platform, home }), expected, JSON.stringify(env));
      assert.equal(consoleCrashReportDir({ env, platform, home }), crashReportDir(expected));
    }
  });

  test('Electron: PUSHCONSOLE_DATA_DIR wins, otherwise userData (<appData>/<productName>)', () => {
    assert.equal(consoleDataDir({ shell: 'electron', env: { PUSHCONSOLE_DATA_DIR: '/srv/pic' }, platform: 'linux', home }), resolveDataDir({ env: { PUSHCONSOLE_DATA_DIR: '/srv/pic' }, electronUserData: '/ignored' }));
    assert.equal(consoleDataDir({ shell: 'electron', env: {}, platform: 'linux', home }), path.join(home, '.config', 'Push Install Console'));
    assert.equal(consoleDataDir({ shell: 'electron', env: { XDG_CONFIG_HOME: '/cfg' }, platform: 'linux', home }), path.join('/cfg', 'Push Install Console'));
    assert.equal(consoleDataDir({ shell: 'electron', env: {}, platform: 'darwin', home }), path.join(home, 'Library', 'Application Support', 'Push Install Console'));
  });
});

/** A wrapper process supervising `node -e <childCode>` through superviseConsole, as start.mjs does. */
function supervised(childCode: string, env: NodeJS.ProcessEnv = {}) {
  const url = pathToFileURL(path.join(REPO_ROOT, 'scripts', 'startExit.mjs')).href;
  const wrapper = [
    "import { spawn } from 'node:child_process';",
    `import { superviseConsole } from ${JSON.stringify(url)};`,
    `const child = spawn(process.execPath, ['-e', ${JSON.stringify(childCode)}], { stdio: 'ignore' });`,
    'superviseConsole(child);',
    "child.on('spawn', () => console.log(child.pid));",
  ].join('\n');
  const proc = spawn(process.execPath, ['--input-type=module', '-e', wrapper], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const childPid = new Promise<number>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('\n')) resolve(Number(stdout.trim()));
    });
    proc.on('exit', () => reject(new Error(`the wrapper ended before its child started: ${stderr}`)));
  });
  const ended = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { proc, childPid, ended };
}

describe('superviseConsole with a real child', () => {
  const FOREVER = 'setInterval(() => {}, 1000)';

  test('a console killed with SIGKILL: the supervisor says so with the crash folder and exits 137', async () => {
    const dataDir = path.join(os.tmpdir(), `pic-start-exit-${process.pid}`);
    const s = supervised(FOREVER, { PUSHCONSOLE_DATA_DIR: dataDir });
    process.kill(await s.childPid, 'SIGKILL');
    const result = await s.ended;
    assert.equal(result.code, 128 + os.constants.signals.SIGKILL);
    assert.equal(result.stderr, `The console stopped unexpectedly (signal SIGKILL). Crash reports are kept in ${path.join(dataDir, 'crash-reports')}.\n`);
  });

  test('SIGTERM to the supervisor is passed on: the console stops and the supervisor exits 0, silently', async () => {
    const s = supervised(FOREVER);
    await s.childPid;
    s.proc.kill('SIGTERM');
    const result = await s.ended;
    assert.deepEqual(result, { code: 0, signal: null, stderr: '' });
  });

  test('a console exiting with code 3 makes the supervisor exit 3 with one line', async () => {
    const s = supervised('setTimeout(() => process.exit(3), 200)');
    await s.childPid;
    const result = await s.ended;
    assert.deepEqual(result, { code: 3, signal: null, stderr: 'The console exited with code 3.\n' });
  });
});
