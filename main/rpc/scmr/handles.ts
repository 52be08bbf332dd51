// MS-SCMR stubs of the handle and status calls, both directions (MS-SCMR 3.1.4): for each call the
// client's request encoder and response decoder next to the server's request decoder and
// response encoder, over one request / response type with the same field names.
//   0 RCloseServiceHandle (3.1.4.2)   1 RControlService (3.1.4.3)   2 RDeleteService (3.1.4.4)
//   6 RQueryServiceStatus (3.1.4.7)  15 ROpenSCManagerW (3.1.4.15) 16 ROpenServiceW (3.1.4.16)
// Decoders throw RpcProtocolError on a stub that does not decode (the lab's server answers it
// with RPC_X_BAD_STUB_DATA).
import { NdrReader, NdrWriter } from '../ndr.js';
import { ScmrBounds, type Handle, type ServiceStatus } from './types.js';

const optionalString = (r: NdrReader, field: string, max: number) => (r.pointer(field) ? r.conformantVaryingString(field, max) : null);

// ---- SERVICE_STATUS (MS-SCMR 2.2.47) ----------------------------------------------------------

const ZERO_STATUS: ServiceStatus = { serviceType: 0, currentState: 0, controlsAccepted: 0, win32ExitCode: 0, serviceSpecificExitCode: 0, checkPoint: 0, waitHint: 0 };

export function writeServiceStatus(w: NdrWriter, s: ServiceStatus | null): NdrWriter {
  const v = s ?? ZERO_STATUS;
  return w.u32(v.serviceType).u32(v.currentState).u32(v.controlsAccepted).u32(v.win32ExitCode).u32(v.serviceSpecificExitCode).u32(v.checkPoint).u32(v.waitHint);
}

function readServiceStatus(r: NdrReader): ServiceStatus {
  return {
    serviceType: r.u32('dwServiceType'),
    currentState: r.u32('dwCurrentState'),
    controlsAccepted: r.u32('dwControlsAccepted'),
    win32ExitCode: r.u32('dwWin32ExitCode'),
    serviceSpecificExitCode: r.u32('dwServiceSpecificExitCode'),
    checkPoint: r.u32('dwCheckPoint'),
    waitHint: r.u32('dwWaitHint'),
  };
}

/** What a call returns: its Win32 code (the last DWORD of every response). */
export interface ReturnOnly {
  code: number;
}
export interface HandleResponse {
  handle: Handle;
  code: number;
}
export interface StatusResponse {
  status: ServiceStatus;
  code: number;
}

export const encodeReturnOnly = (res: ReturnOnly) => new NdrWriter().u32(res.code).toBuffer();
export const decodeReturnOnly = (stub: Buffer, call: string): ReturnOnly => ({ code: new NdrReader(stub, call).returnCode() });

/** A response that is one context handle and the return value (opnums 0, 15, 16). */
export const encodeHandleResponse = (res: HandleResponse) => new NdrWriter().contextHandle(res.handle).u32(res.code).toBuffer();
export function decodeHandleResponse(stub: Buffer, call: string): HandleResponse {
  const r = new NdrReader(stub, call);
  const handle = r.contextHandle('handle');
  return { handle, code: r.returnCode() };
}

/** A response that is a SERVICE_STATUS and the return value (opnums 1, 6); a failed call sends zeros. */
export const encodeStatusResponse = (res: { status: ServiceStatus | null; code: number }) => writeServiceStatus(new NdrWriter(), res.status).u32(res.code).toBuffer();
export function decodeStatusResponse(stub: Buffer, call: string): StatusResponse {
  const r = new NdrReader(stub, call);
  const status = readServiceStatus(r);
  return { status, code: r.returnCode() };
}

/** A request that is one service handle (opnums 2, 6): hService. */
export interface ServiceHandleRequest {
  service: Handle;
}
export const encodeServiceHandleRequest = (req: ServiceHandleRequest) => new NdrWriter().contextHandle(req.service).toBuffer();
export const decodeServiceHandleRequest = (stub: Buffer, call: string): ServiceHandleRequest => ({ service: new NdrReader(stub, call).contextHandle('hService') });

// ---- 0 RCloseServiceHandle: [in, out] hSCObject; the server answers a zeroed handle on success ----

export interface CloseServiceHandleRequest {
  handle: Handle;
}
export const encodeCloseServiceHandle = (req: CloseServiceHandleRequest) => new NdrWriter().contextHandle(req.handle).toBuffer();
export const decodeCloseServiceHandleRequest = (stub: Buffer): CloseServiceHandleRequest => ({ handle: new NdrReader(stub, 'RCloseServiceHandle').contextHandle('hSCObject') });
export const encodeCloseServiceHandleResponse = encodeHandleResponse;
export const decodeCloseServiceHandle = (stub: Buffer): HandleResponse => decodeHandleResponse(stub, 'RCloseServiceHandle');

// ---- 1 RControlService: hService, dwControl → SERVICE_STATUS ------------------------------------

export interface ControlServiceRequest {
  service: Handle;
  control: number;
}
export const encodeControlService = (req: ControlServiceRequest) => new NdrWriter().contextHandle(req.service).u32(req.control).toBuffer();
export function decodeControlServiceRequest(stub: Buffer): ControlServiceRequest {
  const r = new NdrReader(stub, 'RControlService');
  return { service: r.contextHandle('hService'), control: r.u32('dwControl') };
}

// ---- 2 RDeleteService and 6 RQueryServiceStatus: hService --------------------------------------

export const encodeDeleteService = encodeServiceHandleRequest;
export const decodeDeleteServiceRequest = (stub: Buffer) => decodeServiceHandleRequest(stub, 'RDeleteService');
export const encodeQueryServiceStatus = encodeServiceHandleRequest;
export const decodeQueryServiceStatusRequest = (stub: Buffer) => decodeServiceHandleRequest(stub, 'RQueryServiceStatus');

// ---- 15 ROpenSCManagerW: [unique] lpMachineName, [unique] lpDatabaseName, dwDesiredAccess -------

export interface OpenSCManagerRequest {
  machineName: string | null;
  /** null means SERVICES_ACTIVE_DATABASE; the client sends "ServicesActive". */
  databaseName: string | null;
  desiredAccess: number;
}
export const encodeOpenSCManager = (req: OpenSCManagerRequest) =>
  new NdrWriter().uniqueString(req.machineName).uniqueString(req.databaseName).u32(req.desiredAccess).toBuffer();
export function decodeOpenSCManagerRequest(stub: Buffer): OpenSCManagerRequest {
  const r = new NdrReader(stub, 'ROpenSCManagerW');
  const machineName = optionalString(r, 'lpMachineName', ScmrBounds.COMPUTER_NAME);
  const databaseName = optionalString(r, 'lpDatabaseName', ScmrBounds.NAME);
  return { machineName, databaseName, desiredAccess: r.u32('dwDesiredAccess') };
}

// ---- 16 ROpenServiceW: hSCManager, [string] lpServiceName, dwDesiredAccess ---------------------

export interface OpenServiceRequest {
  scm: Handle;
  serviceName: string;
  desiredAccess: number;
}
export const encodeOpenService = (req: OpenServiceRequest) => new NdrWriter().contextHandle(req.scm).refString(req.serviceName).u32(req.desiredAccess).toBuffer();
export function decodeOpenServiceRequest(stub: Buffer): OpenServiceRequest {
  const r = new NdrReader(stub, 'ROpenServiceW');
  const scm = r.contextHandle('hSCManager');
  const serviceName = r.conformantVaryingString('lpServiceName', ScmrBounds.NAME);
  return { scm, serviceName, desiredAccess: r.u32('dwDesiredAccess') };
}
