// MS-SCMR over DCE/RPC (interface 367ABB81-9844-35F1-AD32-98F038001003 v2.0, \pipe\svcctl):
// the calls the push makes, in opnum order (MS-SCMR 3.1.4), each an encoder of its request stub
// and a decoder of its response stub; the client methods come last.
import { CONTEXT_HANDLE_SIZE, NdrReader, NdrWriter } from './ndr.js';
import { DceRpcClient, type RpcPipe } from './rpcClient.js';
import { RpcFaultError, RpcProtocolError } from './errors.js';
import { Win32, Win32Error } from './win32.js';
import type { SyntaxId } from './pdu.js';
import type { ErrorClass } from '../ipc/errorClasses.js';

export const SVCCTL: SyntaxId = { uuid: '367abb81-9844-35f1-ad32-98f038001003', major: 2, minor: 0 };

export const Opnum = {
  RCloseServiceHandle: 0,
  RControlService: 1,
  RDeleteService: 2,
  RQueryServiceStatus: 6,
  RCreateServiceW: 12,
  ROpenSCManagerW: 15,
  ROpenServiceW: 16,
  RStartServiceW: 19,
} as const;

export const ScmAccess = { CONNECT: 0x0001, CREATE_SERVICE: 0x0002, ALL_ACCESS: 0x000f003f } as const;
export const ServiceAccess = { ALL_ACCESS: 0x000f01ff } as const;
export const ServiceType = { WIN32_OWN_PROCESS: 0x10 } as const;
export const StartType = { DEMAND_START: 3 } as const;
export const ErrorControl = { IGNORE: 0 } as const;
export const ServiceControl = { STOP: 1, INTERROGATE: 4 } as const;
export const ServiceState = { STOPPED: 1, START_PENDING: 2, STOP_PENDING: 3, RUNNING: 4 } as const;

/** MS-SCMR 2.2.47 SERVICE_STATUS. */
export interface ServiceStatus {
  serviceType: number;
  currentState: number;
  controlsAccepted: number;
  win32ExitCode: number;
  serviceSpecificExitCode: number;
  checkPoint: number;
  waitHint: number;
}

export type Handle = Buffer;

// ---- stubs, in opnum order ---------------------------------------------------------------

/** 0 RCloseServiceHandle (3.1.4.2) */
export const encodeCloseServiceHandle = (h: Handle) => new NdrWriter().contextHandle(h).toBuffer();
export function decodeCloseServiceHandle(stub: Buffer): number {
  const r = new NdrReader(stub, 'RCloseServiceHandle');
  r.contextHandle('hSCObject');
  return r.returnCode();
}

/** 1 RControlService (3.1.4.3) */
export const encodeControlService = (h: Handle, control: number) => new NdrWriter().contextHandle(h).u32(control).toBuffer();
export function decodeStatusResponse(stub: Buffer, call: string): { status: ServiceStatus; code: number } {
  const r = new NdrReader(stub, call);
  const status: ServiceStatus = {
    serviceType: r.u32('dwServiceType'),
    currentState: r.u32('dwCurrentState'),
    controlsAccepted: r.u32('dwControlsAccepted'),
    win32ExitCode: r.u32('dwWin32ExitCode'),
    serviceSpecificExitCode: r.u32('dwServiceSpecificExitCode'),
    checkPoint: r.u32('dwCheckPoint'),
    waitHint: r.u32('dwWaitHint'),
  };
  return { status, code: r.returnCode() };
}

/** 2 RDeleteService (3.1.4.4) */
export const encodeDeleteService = (h: Handle) => new NdrWriter().contextHandle(h).toBuffer();
export const decodeReturnOnly = (stub: Buffer, call: string) => new NdrReader(stub, call).returnCode();

/** 6 RQueryServiceStatus (3.1.4.7) */
export const encodeQueryServiceStatus = (h: Handle) => new NdrWriter().contextHandle(h).toBuffer();

export interface CreateServiceRequest {
  scm: Handle;
  serviceName: string;
  displayName: string;
  /** Stored as REG_EXPAND_SZ: `%SystemRoot%\…\agent.exe --args` works. */
  binaryPath: string;
  desiredAccess?: number;
}

/** 12 RCreateServiceW (3.1.4.12): own process, demand start, error-ignore, LocalSystem. */
export function encodeCreateService(req: CreateServiceRequest): Buffer {
  return new NdrWriter()
    .contextHandle(req.scm)
    .refString(req.serviceName)
    .uniqueString(req.displayName)
    .u32(req.desiredAccess ?? ServiceAccess.ALL_ACCESS)
    .u32(ServiceType.WIN32_OWN_PROCESS)
    .u32(StartType.DEMAND_START)
    .u32(ErrorControl.IGNORE)
    .refString(req.binaryPath)
    .uniqueString(null) // lpLoadOrderGroup
    .u32(0) // lpdwTagId: NULL
    .u32(0) // lpDependencies: NULL
    .u32(0) // dwDependSize
    .uniqueString(null) // lpServiceStartName: NULL = LocalSystem
    .u32(0) // lpPassword: NULL
    .u32(0) // dwPwSize
    .toBuffer();
}
export function decodeCreateService(stub: Buffer): { handle: Handle; code: number } {
  const r = new NdrReader(stub, 'RCreateServiceW');
  if (r.u32('lpdwTagId referent') !== 0) r.u32('dwTagId');
  const handle = r.contextHandle('lpServiceHandle');
  return { handle, code: r.returnCode() };
}

/** 15 ROpenSCManagerW (3.1.4.15) */
export const encodeOpenSCManager = (machineName: string | null, access: number) =>
  new NdrWriter().uniqueString(machineName).uniqueString('ServicesActive').u32(access).toBuffer();
export function decodeHandleResponse(stub: Buffer, call: string): { handle: Handle; code: number } {
  const r = new NdrReader(stub, call);
  const handle = r.contextHandle('handle');
  return { handle, code: r.returnCode() };
}

/** 16 ROpenServiceW (3.1.4.16) */
export const encodeOpenService = (scm: Handle, name: string, access: number) => new NdrWriter().contextHandle(scm).refString(name).u32(access).toBuffer();

/** 19 RStartServiceW (3.1.4.19): argv as a [unique, size_is(argc)] array of [string] pointers. */
export function encodeStartService(h: Handle, argv: readonly string[] = []): Buffer {
  const w = new NdrWriter().contextHandle(h).u32(argv.length);
  if (argv.length === 0) return w.u32(0).toBuffer();
  w.u32(0x00020000).u32(argv.length); // referent of the array, then its conformance
  argv.forEach((_, i) => w.u32(0x00020004 + 4 * i)); // one referent per string
  for (const arg of argv) w.conformantVaryingString(arg);
  return w.toBuffer();
}

// ---- the client ---------------------------------------------------------------------------

const isZeroHandle = (h: Handle) => h.length === CONTEXT_HANDLE_SIZE && h.every((b) => b === 0);

export class ScmrClient {
  private constructor(private readonly rpc: DceRpcClient) {}

  static async bind(pipe: RpcPipe, options: { maxFrag?: number } = {}): Promise<ScmrClient> {
    return new ScmrClient(await DceRpcClient.bind(pipe, SVCCTL, options));
  }

  private async handleCall(opnum: number, stub: Buffer, call: string, stepClass: ErrorClass): Promise<Handle> {
    const { handle, code } = decodeHandleResponse(await this.rpc.call(opnum, stub, call), call);
    if (code !== Win32.SUCCESS) throw new Win32Error(code, call, stepClass);
    if (isZeroHandle(handle)) throw new RpcProtocolError(`${call} succeeded with a null handle`);
    return handle;
  }

  async closeServiceHandle(h: Handle): Promise<void> {
    const code = decodeCloseServiceHandle(await this.rpc.call(Opnum.RCloseServiceHandle, encodeCloseServiceHandle(h), 'RCloseServiceHandle'));
    if (code !== Win32.SUCCESS) throw new Win32Error(code, 'RCloseServiceHandle', 'cleanup');
  }

  /** Returns the status even on an error code the caller may tolerate (1062 not active). */
  async controlService(h: Handle, control: number): Promise<{ status: ServiceStatus; code: number }> {
    return decodeStatusResponse(await this.rpc.call(Opnum.RControlService, encodeControlService(h, control), 'RControlService'), 'RControlService');
  }

  async deleteService(h: Handle): Promise<number> {
    return decodeReturnOnly(await this.rpc.call(Opnum.RDeleteService, encodeDeleteService(h), 'RDeleteService'), 'RDeleteService');
  }

  async queryServiceStatus(h: Handle): Promise<ServiceStatus> {
    const { status, code } = decodeStatusResponse(await this.rpc.call(Opnum.RQueryServiceStatus, encodeQueryServiceStatus(h), 'RQueryServiceStatus'), 'RQueryServiceStatus');
    if (code !== Win32.SUCCESS) throw new Win32Error(code, 'RQueryServiceStatus', 'service-start');
    return status;
  }

  /** Returns the Win32 code instead of throwing for those the lifecycle handles (1073, 1072, 1078). */
  async createService(req: CreateServiceRequest): Promise<{ handle: Handle | null; code: number }> {
    let stub: Buffer;
    try {
      stub = await this.rpc.call(Opnum.RCreateServiceW, encodeCreateService(req), 'RCreateServiceW');
    } catch (error) {
      // Samba's svcctl, for one, faults here (nca_s_op_rng_error): the service cannot be created.
      if (error instanceof RpcFaultError && error.status !== Win32.ACCESS_DENIED) throw new RpcFaultError(error.status, 'RCreateServiceW', 'service-create');
      throw error;
    }
    const { handle, code } = decodeCreateService(stub);
    if (code === Win32.SUCCESS) {
      if (isZeroHandle(handle)) throw new RpcProtocolError('RCreateServiceW succeeded with a null handle');
      return { handle, code };
    }
    if (code === Win32.SERVICE_EXISTS || code === Win32.SERVICE_MARKED_FOR_DELETE || code === Win32.DUPLICATE_SERVICE_NAME) return { handle: null, code };
    throw new Win32Error(code, 'RCreateServiceW', 'service-create', req.serviceName);
  }

  openSCManager(access: number = ScmAccess.CONNECT | ScmAccess.CREATE_SERVICE, machineName: string | null = null): Promise<Handle> {
    return this.handleCall(Opnum.ROpenSCManagerW, encodeOpenSCManager(machineName, access), 'ROpenSCManagerW', 'access-denied');
  }

  /** Null when the service does not exist (1060). */
  async openService(scm: Handle, name: string, access: number = ServiceAccess.ALL_ACCESS): Promise<Handle | null> {
    const { handle, code } = decodeHandleResponse(await this.rpc.call(Opnum.ROpenServiceW, encodeOpenService(scm, name, access), 'ROpenServiceW'), 'ROpenServiceW');
    if (code === Win32.SERVICE_DOES_NOT_EXIST) return null;
    if (code !== Win32.SUCCESS) throw new Win32Error(code, 'ROpenServiceW', 'service-create', name);
    return handle;
  }

  /** Returns the Win32 code: 0, or 1056 already running; others throw as service-start. */
  async startService(h: Handle, argv: readonly string[] = []): Promise<number> {
    const code = decodeReturnOnly(await this.rpc.call(Opnum.RStartServiceW, encodeStartService(h, argv), 'RStartServiceW'), 'RStartServiceW');
    if (code !== Win32.SUCCESS && code !== Win32.SERVICE_ALREADY_RUNNING) throw new Win32Error(code, 'RStartServiceW', 'service-start');
    return code;
  }
}
