// The push's service lifecycle over MS-SCMR (docs/PROTOCOLS.md §6, impacket serviceinstall.py
// order): create (on ERROR_SERVICE_EXISTS stop, delete and retry; on MARKED_FOR_DELETE a new
// name), start, poll until RUNNING or stopped with an exit code, then stop, delete and close —
// every step bounded in time and every failure a typed error of docs/ARCHITECTURE.md §7.
import crypto from 'node:crypto';
import { ConsoleError } from '../ipc/errors.js';
import { ScmAccess, ServiceControl, ServiceState, type Handle, type ScmrClient, type ServiceStatus } from './scmr.js';
import { Win32, Win32Error } from './win32.js';

export const SERVICE_PREFIX = 'PushInstallAgent';

/** Unique per run and recognisable: several consoles never collide, leftovers are easy to find. */
export function uniqueServiceName(runId: string, random: (n: number) => Buffer = crypto.randomBytes): string {
  const safeRun = runId.replace(/[^A-Za-z0-9]/g, '').slice(0, 24);
  return `${SERVICE_PREFIX}-${safeRun}-${random(3).toString('hex')}`;
}

export interface LifecycleOptions {
  readonly pollIntervalMs?: number;
  /** How long START_PENDING may last before the start counts as failed (Windows: 30 s, 1053). */
  readonly startTimeoutMs?: number;
  readonly stopTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface InstalledService {
  readonly scm: Handle;
  readonly service: Handle;
  readonly name: string;
  /** The names tried before this one (marked for delete elsewhere), for the step log. */
  readonly skippedNames: readonly string[];
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Opens the SCM with the right to create services: the wizard's "Test" and `pushctl diagnose`. */
export async function checkScmAccess(scmr: ScmrClient): Promise<void> {
  const scm = await scmr.openSCManager(ScmAccess.CONNECT | ScmAccess.CREATE_SERVICE);
  await scmr.closeServiceHandle(scm);
}

async function waitFor(
  scmr: ScmrClient,
  service: Handle,
  done: (s: ServiceStatus) => boolean,
  timeoutMs: number,
  options: LifecycleOptions,
): Promise<ServiceStatus | null> {
  const sleep = options.sleep ?? defaultSleep;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await scmr.queryServiceStatus(service);
    if (done(status)) return status;
    if (Date.now() >= deadline) return null;
    await sleep(options.pollIntervalMs ?? 500);
  }
}

/** Stops (tolerating "not active") and deletes a service, then closes its handle. */
export async function stopAndDelete(scmr: ScmrClient, service: Handle, name: string, options: LifecycleOptions = {}): Promise<void> {
  try {
    const { code } = await scmr.controlService(service, ServiceControl.STOP);
    if (code !== Win32.SUCCESS && code !== Win32.SERVICE_NOT_ACTIVE && code !== Win32.SERVICE_CANNOT_ACCEPT_CTRL) {
      throw new Win32Error(code, 'RControlService', 'cleanup', name);
    }
    const stopped = await waitFor(scmr, service, (s) => s.currentState === ServiceState.STOPPED, options.stopTimeoutMs ?? 30_000, options);
    if (!stopped) throw new ConsoleError('cleanup', `The service ${name} did not stop in time.`, 'It is left on the computer; use "Remove leftovers" later.', 'stop-timeout');
    const deleted = await scmr.deleteService(service);
    if (deleted !== Win32.SUCCESS && deleted !== Win32.SERVICE_MARKED_FOR_DELETE) throw new Win32Error(deleted, 'RDeleteService', 'cleanup', name);
  } finally {
    await scmr.closeServiceHandle(service).catch(() => undefined);
  }
}

/** Creates the service; an existing one of the same name is removed first, a marked one renamed around. */
export async function createService(
  scmr: ScmrClient,
  scm: Handle,
  spec: { name: string; displayName: string; binaryPath: string },
  options: LifecycleOptions & { random?: (n: number) => Buffer; beforeCreate?: (name: string) => void | Promise<void> } = {},
): Promise<InstalledService> {
  const skipped: string[] = [];
  let name = spec.name;
  let removedExisting = false;
  for (let attempt = 0; attempt < 4; attempt++) {
    // Display names must be unique too (ERROR_DUPLICATE_SERVICE_NAME): each carries its service name.
    const displayName = `${spec.displayName} (${name})`;
    // The caller records the name before it is created (write-ahead), under whatever name it tries.
    await options.beforeCreate?.(name);
    const { handle, code } = await scmr.createService({ scm, serviceName: name, displayName, binaryPath: spec.binaryPath });
    if (handle) return { scm, service: handle, name, skippedNames: skipped };
    if (code === Win32.SERVICE_EXISTS && !removedExisting) {
      const existing = await scmr.openService(scm, name);
      if (existing) await stopAndDelete(scmr, existing, name, options);
      removedExisting = true;
      continue;
    }
    // ERROR_SERVICE_MARKED_FOR_DELETE, DUPLICATE_SERVICE_NAME (or EXISTS again): that name is taken.
    skipped.push(name);
    name = `${spec.name}-${(options.random ?? crypto.randomBytes)(2).toString('hex')}`;
  }
  throw new Win32Error(Win32.SERVICE_MARKED_FOR_DELETE, 'RCreateServiceW', 'service-create', `tried ${[...skipped, name].join(', ')}`);
}

/**
 * Starts the service and waits until it runs, or until it stops with an exit code (a quick
 * agent may finish before the first poll). A start-pending that outlasts the bound is 1053.
 */
export async function startAndWait(
  scmr: ScmrClient,
  service: Handle,
  name: string,
  options: LifecycleOptions & { argv?: readonly string[] } = {},
): Promise<ServiceStatus> {
  await scmr.startService(service, options.argv ?? []);
  const status = await waitFor(scmr, service, (s) => s.currentState === ServiceState.RUNNING || s.currentState === ServiceState.STOPPED, options.startTimeoutMs ?? 30_000, options);
  if (!status) throw new Win32Error(Win32.SERVICE_REQUEST_TIMEOUT, 'RStartServiceW', 'service-start', `${name} stayed START_PENDING`);
  if (status.currentState === ServiceState.STOPPED && status.win32ExitCode !== Win32.SUCCESS && status.win32ExitCode !== 1066 /* ERROR_SERVICE_SPECIFIC_ERROR: the agent's own result */) {
    throw new Win32Error(status.win32ExitCode, 'RStartServiceW', 'service-start', `${name} stopped right after it started`);
  }
  return status;
}
