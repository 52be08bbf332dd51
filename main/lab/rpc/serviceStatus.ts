// The Win32 codes the simulated SCM answers with, and a service's life as the SCM reports it: its
// SERVICE_STATUS, its end when its process exits, and its removal once it is marked for delete,
// stopped and no longer open. Shared by the SCM sessions and the simulated agent.
import { Win32 } from '../../rpc/win32.js';
import { ServiceState, ServiceType, type ServiceStatus } from '../../rpc/scmr.js';
import type { LabHostState, LabService } from '../hostState.js';

/** Win32 codes the SCM returns beyond those main/rpc/win32.ts names (MS-ERREF 2.2). */
export const ScmCode = {
  ...Win32,
  INSUFFICIENT_BUFFER: 122,
  INVALID_SERVICE_CONTROL: 1052,
  DATABASE_DOES_NOT_EXIST: 1065,
  SERVICE_SPECIFIC_ERROR: 1066,
} as const;

/** The real agent accepts STOP and SHUTDOWN while it runs (agent/src/main.c). */
const ACCEPTS_WHILE_RUNNING = 0x1 | 0x4;

const STATE_CODES: Record<LabService['state'], number> = {
  stopped: ServiceState.STOPPED,
  'start-pending': ServiceState.START_PENDING,
  'stop-pending': ServiceState.STOP_PENDING,
  running: ServiceState.RUNNING,
};

/** SERVICE_STATUS as the SCM reports it (MS-SCMR 2.2.47). */
export function serviceStatusOf(service: LabService): ServiceStatus {
  const pending = service.state === 'start-pending' || service.state === 'stop-pending';
  return {
    serviceType: service.serviceType ?? ServiceType.WIN32_OWN_PROCESS,
    currentState: STATE_CODES[service.state],
    controlsAccepted: service.state === 'running' ? ACCEPTS_WHILE_RUNNING : 0,
    win32ExitCode: service.win32ExitCode,
    serviceSpecificExitCode: service.serviceSpecificExitCode,
    checkPoint: pending ? 1 : 0,
    waitHint: pending ? 2000 : 0,
  };
}

/** A service marked for delete goes once it is stopped and its last handle is closed (MS-SCMR 3.1.4.4). */
export function removeIfDeletable(state: LabHostState, service: LabService): void {
  const key = service.name.toLowerCase();
  if (service.markedForDelete && service.openHandles <= 0 && service.state === 'stopped' && state.services.get(key) === service) {
    state.services.delete(key);
    state.counters.servicesDeleted++;
    state.changed();
  }
}

/**
 * The service's process ended with `exitCode` (the agent's result): STOPPED with 0, or
 * ERROR_SERVICE_SPECIFIC_ERROR (1066) and the code in dwServiceSpecificExitCode, as the real
 * agent reports it (agent/README.md "Exit codes").
 */
export function reportServiceStopped(state: LabHostState, service: LabService, exitCode: number): void {
  service.state = 'stopped';
  service.win32ExitCode = exitCode === 0 ? 0 : ScmCode.SERVICE_SPECIFIC_ERROR;
  service.serviceSpecificExitCode = exitCode === 0 ? 0 : exitCode;
  delete service.stop;
  delete service.shutdown;
  removeIfDeletable(state, service);
  state.changed();
}
