// Named points where a test may kill the console outright (SIGKILL, as a power cut or `kill -9`
// would), to prove that what was committed before the point is enough to recover after it.
// Off unless PUSHCONSOLE_TEST_CRASH_AT names the point; the variable is read at each point, so a
// console started without it never stops here.
export type CrashPointName = 'before-create-service' | 'after-create-service';

export const CRASH_AT_ENV = 'PUSHCONSOLE_TEST_CRASH_AT';

export function crashPoint(name: CrashPointName): void {
  if (process.env[CRASH_AT_ENV] === name) process.kill(process.pid, 'SIGKILL');
}
