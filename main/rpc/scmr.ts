// MS-SCMR over DCE/RPC (interface 367ABB81-9844-35F1-AD32-98F038001003 v2.0, \pipe\svcctl): the
// client the push drives. The stubs, both directions, live in scmr/ (types.ts, handles.ts for
// opnums 0 1 2 6 15 16, service.ts for 12 17 19) and are re-exported here; the lab's
// svcctlServer.ts answers with the same codecs.
import { CONTEXT_HANDLE_SIZE } from './ndr.js';
import { DceRpcClient, type RpcPipe } from './rpcClient.js';
import { RpcFaultError, RpcProtocolError } from './errors.js';
import { Win32, Win32Error } from './win32.js';
import type { ErrorClass } from '../ipc/errorClasses.js';
import { Opnum, SVCCTL, ScmAccess, ServiceAccess, type Handle, type ServiceStatus } from './scmr/types.js';
import {
  decodeCloseServiceHandle, decodeHandleResponse, decodeReturnOnly, decodeStatusResponse, encodeCloseServiceHandle, encodeControlService,
  encodeDeleteService, encodeOpenSCManager, encodeOpenService, encodeQueryServiceStatus,
} from './scmr/handles.js';
import { decodeCreateService, encodeCreateService, encodeStartService, type CreateServiceRequest } from './scmr/service.js';

export * from './scmr/types.js';
export * from './scmr/handles.js';
export * from './scmr/service.js';

// ---- the client ---------------------------------------------------------------------------

const isZeroHandle = (h: Handle) => h.length === CONTEXT_HANDLE_SIZE && h.every((b) => b === 0);

export class ScmrClient {
  private constructor(private readonly rpc: DceRpcClient) {}

  static async bind(pipe: RpcPipe, options: { maxFrag?: number; offerFeatureNegotiation?: boolean } = {}): Promise<ScmrClient> {
    return new ScmrClient(await DceRpcClient.bind(pipe, SVCCTL, options));
  }

  private async handleCall(opnum: number, stub: Buffer, call: string, stepClass: ErrorClass): Promise<Handle> {
    const { handle, code } = decodeHandleResponse(await this.rpc.call(opnum, stub, call), call);
    if (code !== Win32.SUCCESS) throw new Win32Error(code, call, stepClass);
    if (isZeroHandle(handle)) throw new RpcProtocolError(`${call} succeeded with a null handle`);
    return handle;
  }

  async closeServiceHandle(h: Handle): Promise<void> {
    const { code } = decodeCloseServiceHandle(await this.rpc.call(Opnum.RCloseServiceHandle, encodeCloseServiceHandle({ handle: h }), 'RCloseServiceHandle'));
    if (code !== Win32.SUCCESS) throw new Win32Error(code, 'RCloseServiceHandle', 'cleanup');
  }

  /** Returns the status even on an error code the caller may tolerate (1062 not active). */
  async controlService(h: Handle, control: number): Promise<{ status: ServiceStatus; code: number }> {
    return decodeStatusResponse(await this.rpc.call(Opnum.RControlService, encodeControlService({ service: h, control }), 'RControlService'), 'RControlService');
  }

  async deleteService(h: Handle): Promise<number> {
    return decodeReturnOnly(await this.rpc.call(Opnum.RDeleteService, encodeDeleteService({ service: h }), 'RDeleteService'), 'RDeleteService').code;
  }

  async queryServiceStatus(h: Handle): Promise<ServiceStatus> {
    const { status, code } = decodeStatusResponse(await this.rpc.call(Opnum.RQueryServiceStatus, encodeQueryServiceStatus({ service: h }), 'RQueryServiceStatus'), 'RQueryServiceStatus');
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
    return this.handleCall(Opnum.ROpenSCManagerW, encodeOpenSCManager({ machineName, databaseName: 'ServicesActive', desiredAccess: access }), 'ROpenSCManagerW', 'access-denied');
  }

  /** Null when the service does not exist (1060). */
  async openService(scm: Handle, name: string, access: number = ServiceAccess.ALL_ACCESS): Promise<Handle | null> {
    const { handle, code } = decodeHandleResponse(await this.rpc.call(Opnum.ROpenServiceW, encodeOpenService({ scm, serviceName: name, desiredAccess: access }), 'ROpenServiceW'), 'ROpenServiceW');
    if (code === Win32.SERVICE_DOES_NOT_EXIST) return null;
    if (code !== Win32.SUCCESS) throw new Win32Error(code, 'ROpenServiceW', 'service-create', name);
    return handle;
  }

  /** Returns the Win32 code: 0, or 1056 already running; others throw as service-start. */
  async startService(h: Handle, argv: readonly string[] = []): Promise<number> {
    const { code } = decodeReturnOnly(await this.rpc.call(Opnum.RStartServiceW, encodeStartService({ service: h, argv }), 'RStartServiceW'), 'RStartServiceW');
    if (code !== Win32.SUCCESS && code !== Win32.SERVICE_ALREADY_RUNNING) throw new Win32Error(code, 'RStartServiceW', 'service-start');
    return code;
  }
}
