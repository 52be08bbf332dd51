// A simulated Windows Service Control Manager over one lab host's state (MS-SCMR 3.1.4, as
// Windows behaves): one ScmSession per pipe open holds that association's context handles; the
// services themselves live in LabHostState, shared with the SMB server, the simulated agent and
// the tests. Access rights are checked the way the SCM does (scmAccess.ts: generic rights mapped,
// then the right each call needs), and the UAC-filtered profile gets only what a non-admin gets.
import crypto from 'node:crypto';
import { ServiceControl, ServiceType, StartType, type ServiceConfig, type ServiceStatus } from '../../rpc/scmr.js';
import { adminSharePathOf, windowsLike, type LabHostState, type LabService } from '../hostState.js';
import { FILTERED_SCM_RIGHTS, FILTERED_SERVICE_RIGHTS, ScmRight, ServiceRight, scmRights, serviceRights } from './scmAccess.js';
import { ScmCode, removeIfDeletable, reportServiceStopped, serviceStatusOf } from './serviceStatus.js';

const SERVICE_WIN32_SHARE_PROCESS = 0x20;
const SERVICE_INTERACTIVE_PROCESS = 0x100;
const SERVICE_DISABLED = 4;

export interface ScmHooks {
  /** The service's process starts: run the simulated agent (it sets service.stop and reports its end). */
  readonly startAgent: (service: LabService) => void;
}

export interface ScmOptions {
  /** service-start-timeout: how long RStartServiceW waits before 1053 (Windows 30 s; the lab 2 s unless the host says). */
  readonly defaultStartTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

type HandleEntry = { kind: 'scm'; rights: number } | { kind: 'service'; rights: number; service: LabService };

export const NULL_HANDLE = Buffer.alloc(20);
const MAX_NAME = 256;

export interface CreateServiceSpec {
  readonly name: string;
  readonly displayName: string | null;
  readonly access: number;
  readonly serviceType: number;
  readonly startType: number;
  readonly errorControl: number;
  readonly binaryPath: string;
  readonly startName: string | null;
}

export type { ServiceConfig };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The context handles of one association (one open of \pipe\svcctl) and the calls on them. */
export class ScmSession {
  private readonly handles = new Map<string, HandleEntry>();

  constructor(
    private readonly state: LabHostState,
    private readonly hooks: ScmHooks,
    private readonly options: ScmOptions = {},
  ) {}

  get openHandleCount(): number {
    return this.handles.size;
  }

  private add(entry: HandleEntry): Buffer {
    const handle = Buffer.concat([Buffer.alloc(4), crypto.randomBytes(16)]);
    this.handles.set(handle.toString('hex'), entry);
    if (entry.kind === 'service') entry.service.openHandles++;
    return handle;
  }

  private serviceEntry(handle: Buffer): Extract<HandleEntry, { kind: 'service' }> | null {
    const entry = this.handles.get(handle.toString('hex'));
    return entry?.kind === 'service' ? entry : null;
  }

  private scmEntry(handle: Buffer): Extract<HandleEntry, { kind: 'scm' }> | null {
    const entry = this.handles.get(handle.toString('hex'));
    return entry?.kind === 'scm' ? entry : null;
  }

  /** 0 RCloseServiceHandle */
  close(handle: Buffer): number {
    const key = handle.toString('hex');
    const entry = this.handles.get(key);
    if (!entry) return ScmCode.INVALID_HANDLE;
    this.handles.delete(key);
    if (entry.kind === 'service') {
      entry.service.openHandles--;
      removeIfDeletable(this.state, entry.service);
    }
    return ScmCode.SUCCESS;
  }

  /** 1 RControlService: STOP and INTERROGATE; the status is returned whatever the code. */
  control(handle: Buffer, control: number): { code: number; status: ServiceStatus | null } {
    const entry = this.serviceEntry(handle);
    if (!entry) return { code: ScmCode.INVALID_HANDLE, status: null };
    const service = entry.service;
    const needed = control === ServiceControl.STOP ? ServiceRight.STOP : control === ServiceControl.INTERROGATE ? ServiceRight.INTERROGATE : 0x100;
    const answer = (code: number) => ({ code, status: serviceStatusOf(service) });
    if (!(entry.rights & needed)) return answer(ScmCode.ACCESS_DENIED);
    if (service.state === 'stopped') return answer(ScmCode.SERVICE_NOT_ACTIVE);
    if (control === ServiceControl.INTERROGATE) return answer(ScmCode.SUCCESS);
    if (control !== ServiceControl.STOP) return answer(ScmCode.INVALID_SERVICE_CONTROL);
    if (service.state !== 'running') return answer(ScmCode.SERVICE_CANNOT_ACCEPT_CTRL);
    if (service.stop) {
      // The agent's control handler: it answers STOP_PENDING now and reports STOPPED when it ends.
      service.state = 'stop-pending';
      service.stop();
    } else {
      reportServiceStopped(this.state, service, 0);
    }
    return answer(ScmCode.SUCCESS);
  }

  /** 2 RDeleteService: marks it; it goes when stopped and its last handle closes. */
  delete(handle: Buffer): number {
    const entry = this.serviceEntry(handle);
    if (!entry) return ScmCode.INVALID_HANDLE;
    if (!(entry.rights & ServiceRight.DELETE)) return ScmCode.ACCESS_DENIED;
    if (entry.service.markedForDelete) return ScmCode.SERVICE_MARKED_FOR_DELETE;
    entry.service.markedForDelete = true;
    entry.service.startType = SERVICE_DISABLED;
    removeIfDeletable(this.state, entry.service);
    return ScmCode.SUCCESS;
  }

  /** 6 RQueryServiceStatus */
  queryStatus(handle: Buffer): { code: number; status: ServiceStatus | null } {
    const entry = this.serviceEntry(handle);
    if (!entry) return { code: ScmCode.INVALID_HANDLE, status: null };
    if (!(entry.rights & ServiceRight.QUERY_STATUS)) return { code: ScmCode.ACCESS_DENIED, status: null };
    return { code: ScmCode.SUCCESS, status: serviceStatusOf(entry.service) };
  }

  /** 12 RCreateServiceW */
  create(scm: Buffer, spec: CreateServiceSpec): { code: number; handle: Buffer } {
    const fail = (code: number) => ({ code, handle: NULL_HANDLE });
    const entry = this.scmEntry(scm);
    if (!entry) return fail(ScmCode.INVALID_HANDLE);
    if (!(entry.rights & ScmRight.CREATE_SERVICE)) return fail(ScmCode.ACCESS_DENIED);
    if (!validName(spec.name)) return fail(ScmCode.INVALID_NAME);
    const existing = this.state.services.get(spec.name.toLowerCase());
    if (existing) return fail(existing.markedForDelete ? ScmCode.SERVICE_MARKED_FOR_DELETE : ScmCode.SERVICE_EXISTS);
    const baseType = spec.serviceType & ~SERVICE_INTERACTIVE_PROCESS;
    if (
      spec.binaryPath.trim() === '' ||
      (baseType !== ServiceType.WIN32_OWN_PROCESS && baseType !== SERVICE_WIN32_SHARE_PROCESS) ||
      ![2, 3, 4].includes(spec.startType) ||
      ![0, 1, 2, 3].includes(spec.errorControl)
    ) {
      return fail(ScmCode.INVALID_PARAMETER);
    }
    const displayName = spec.displayName || spec.name;
    const taken = displayName.toLowerCase();
    for (const other of this.state.services.values()) {
      if (other.displayName.toLowerCase() === taken || other.name.toLowerCase() === taken) return fail(ScmCode.DUPLICATE_SERVICE_NAME);
    }
    const service: LabService = {
      name: spec.name,
      displayName,
      binaryPath: spec.binaryPath,
      state: 'stopped',
      win32ExitCode: ScmCode.SERVICE_NEVER_STARTED,
      serviceSpecificExitCode: 0,
      markedForDelete: false,
      openHandles: 0,
      serviceType: spec.serviceType,
      startType: spec.startType,
      errorControl: spec.errorControl,
      startName: spec.startName || 'LocalSystem',
    };
    this.state.services.set(spec.name.toLowerCase(), service);
    this.state.counters.servicesCreated++;
    this.state.changed();
    return { code: ScmCode.SUCCESS, handle: this.add({ kind: 'service', rights: serviceRights(spec.access), service }) };
  }

  /** 15 ROpenSCManagerW */
  openSCManager(database: string | null, access: number): { code: number; handle: Buffer } {
    if (database !== null && database.toLowerCase() !== 'servicesactive') return { code: ScmCode.DATABASE_DOES_NOT_EXIST, handle: NULL_HANDLE };
    const rights = scmRights(access);
    // KB951016: a local administrator's network logon carries a filtered token; asking for more
    // than a standard user may have (CREATE_SERVICE, say) is ERROR_ACCESS_DENIED.
    if (this.state.config.profile === 'uac-filtered' && rights & ~FILTERED_SCM_RIGHTS) return { code: ScmCode.ACCESS_DENIED, handle: NULL_HANDLE };
    return { code: ScmCode.SUCCESS, handle: this.add({ kind: 'scm', rights: rights | ScmRight.CONNECT }) };
  }

  /** 16 ROpenServiceW: a service marked for delete still opens (MS-SCMR lists no 1072 here). */
  openService(scm: Buffer, name: string, access: number): { code: number; handle: Buffer } {
    const fail = (code: number) => ({ code, handle: NULL_HANDLE });
    const entry = this.scmEntry(scm);
    if (!entry) return fail(ScmCode.INVALID_HANDLE);
    if (!validName(name)) return fail(ScmCode.INVALID_NAME);
    const service = this.state.services.get(name.toLowerCase());
    if (!service) return fail(ScmCode.SERVICE_DOES_NOT_EXIST);
    const rights = serviceRights(access);
    if (this.state.config.profile === 'uac-filtered' && rights & ~FILTERED_SERVICE_RIGHTS) {
      return fail(ScmCode.ACCESS_DENIED);
    }
    return { code: ScmCode.SUCCESS, handle: this.add({ kind: 'service', rights, service }) };
  }

  /** 17 RQueryServiceConfigW */
  queryConfig(handle: Buffer): { code: number; config: ServiceConfig | null } {
    const entry = this.serviceEntry(handle);
    if (!entry) return { code: ScmCode.INVALID_HANDLE, config: null };
    if (!(entry.rights & ServiceRight.QUERY_CONFIG)) return { code: ScmCode.ACCESS_DENIED, config: null };
    const s = entry.service;
    return {
      code: ScmCode.SUCCESS,
      config: {
        serviceType: s.serviceType ?? ServiceType.WIN32_OWN_PROCESS,
        startType: s.startType ?? StartType.DEMAND_START,
        errorControl: s.errorControl ?? 0,
        binaryPath: s.binaryPath,
        loadOrderGroup: '',
        dependencies: '',
        startName: s.startName ?? 'LocalSystem',
        displayName: s.displayName,
      },
    };
  }

  /**
   * 19 RStartServiceW. The binary must be on the host (ADMIN$ = %SystemRoot%); the
   * service-start-timeout profile keeps the caller waiting, then answers 1053 with the service
   * STOPPED, as Windows does when the process never reaches StartServiceCtrlDispatcher.
   */
  async start(handle: Buffer): Promise<number> {
    const entry = this.serviceEntry(handle);
    if (!entry) return ScmCode.INVALID_HANDLE;
    const service = entry.service;
    if (!(entry.rights & ServiceRight.START)) return ScmCode.ACCESS_DENIED;
    if (service.markedForDelete) return ScmCode.SERVICE_MARKED_FOR_DELETE;
    if (service.state !== 'stopped') return ScmCode.SERVICE_ALREADY_RUNNING;
    if (service.startType === SERVICE_DISABLED) return ScmCode.SERVICE_DISABLED;
    const file = adminSharePathOf(service.binaryPath);
    if (file === null || !this.state.files.has(file)) return ScmCode.FILE_NOT_FOUND;
    if (this.state.config.profile === 'service-start-timeout') {
      service.state = 'start-pending';
      service.win32ExitCode = 0;
      service.serviceSpecificExitCode = 0;
      await (this.options.sleep ?? defaultSleep)(this.state.config.startTimeoutMs ?? this.options.defaultStartTimeoutMs ?? 2000);
      service.state = 'stopped';
      service.win32ExitCode = ScmCode.SERVICE_NEVER_STARTED;
      removeIfDeletable(this.state, service);
      return ScmCode.SERVICE_REQUEST_TIMEOUT;
    }
    // Windows answers RStartServiceW once the service's process is up and has called
    // StartServiceCtrlDispatcher (MS-SCMR 3.1.4.19; the service is START_PENDING meanwhile): process
    // creation takes tens of milliseconds, so a Windows-like host's answer comes after an interim
    // STATUS_PENDING. Samba's svcctl answers at once.
    const launchMs = this.state.config.serviceLaunchMs ?? (windowsLike(this.state.config) ? WINDOWS_SERVICE_LAUNCH_MS : 0);
    if (launchMs > 0) {
      service.state = 'start-pending';
      await (this.options.sleep ?? defaultSleep)(launchMs);
      if (service.state !== 'start-pending') return ScmCode.SERVICE_REQUEST_TIMEOUT;
    }
    service.state = 'running';
    service.win32ExitCode = 0;
    service.serviceSpecificExitCode = 0;
    this.hooks.startAgent(service);
    return ScmCode.SUCCESS;
  }

  /** The pipe closed: its context handles run down (MS-RPCE 3.3.3.2.2), as if each were closed. */
  rundown(): void {
    for (const key of [...this.handles.keys()]) this.close(Buffer.from(key, 'hex'));
  }
}

/** How long a Windows-like host takes to launch a service's process before RStartServiceW answers. */
const WINDOWS_SERVICE_LAUNCH_MS = 30;

function validName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME && !/[\\/]/.test(name);
}
