// The lab host's \pipe\svcctl: MS-SCMR (interface 367ABB81-9844-35F1-AD32-98F038001003 v2.0)
// served over the DCE/RPC server connection, as a table opnum → handler. Each handler decodes
// its request with the shared codec (main/rpc/scmr/), asks the simulated SCM (scm.ts: state,
// access checks, the start wait) and encodes the answer with the same codec. An opnum not in the
// table faults with nca_s_op_rng_error; a stub that does not decode with RPC_X_BAD_STUB_DATA
// (rpcServer.ts maps the codec's RpcProtocolError).
import { FaultStatus } from '../../rpc/pdu.js';
import {
  Opnum, SVCCTL, ScmrBounds, decodeCloseServiceHandleRequest, decodeControlServiceRequest, decodeCreateServiceRequest, decodeDeleteServiceRequest,
  decodeOpenSCManagerRequest, decodeOpenServiceRequest, decodeQueryServiceConfigRequest, decodeQueryServiceStatusRequest, decodeStartServiceRequest,
  encodeCloseServiceHandleResponse, encodeCreateServiceResponse, encodeHandleResponse, encodeQueryServiceConfigResponse, encodeReturnOnly,
  encodeStatusResponse, type ServiceConfig,
} from '../../rpc/scmr.js';
import { personalityOf, type LabHostState, type LabService } from '../hostState.js';
import type { PipeEndpoint, PipeFactory } from '../pipe.js';
import { RpcCallFault, RpcServerConnection, type RpcInterface, type RpcServerOptions } from './rpcServer.js';
import { NULL_HANDLE, ScmSession, type ScmOptions } from './scm.js';
import { ScmCode } from './serviceStatus.js';

export interface SvcctlHooks {
  /** RStartServiceW started the service's process: run the simulated agent for it. */
  readonly startAgent: (service: LabService) => void;
}

export type SvcctlOptions = ScmOptions & RpcServerOptions;

/**
 * The bind_ack's secondary address. Windows: \PIPE\ntsvcs — svcctl is an NPFS alias of services.exe's
 * ntsvcs pipe (Jean-Baptiste Marchand, "NPFS (named pipes file system) symbolic links", OSR
 * community, 2003: "\pipe\ntsvcs aliases: … \pipe\svcctl"), and a Windows bind_ack on it names
 * \PIPE\ntsvcs (DynamoRIO core/win32/eventlog.c keeps one byte for byte). 'samba' keeps the
 * lab's earlier \PIPE\svcctl (smbd itself answers \pipe\svcctl, test/unit/rpc.test.ts SAMBA.bindAck).
 */
export const SECONDARY_ADDRESS = { windows: '\\PIPE\\ntsvcs', samba: '\\PIPE\\svcctl' } as const;

/** QUERY_SERVICE_CONFIGW (MS-SCMR 2.2.15) as the SCM counts its size: the record, then its strings. */
function configSize(c: ServiceConfig): number {
  const strings = [c.binaryPath, c.loadOrderGroup, c.dependencies, c.startName, c.displayName];
  return Math.min(36 + strings.reduce((n, s) => n + 2 * (s.length + 1), 0), ScmrBounds.CONFIG_BUF);
}

type Handler = (scm: ScmSession, stub: Buffer) => Buffer | Promise<Buffer>;

/** opnum → handler, in opnum order (MS-SCMR 3.1.4). */
const HANDLERS: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [Opnum.RCloseServiceHandle, (scm, stub) => {
    const { handle } = decodeCloseServiceHandleRequest(stub);
    const code = scm.close(handle);
    return encodeCloseServiceHandleResponse({ handle: code === ScmCode.SUCCESS ? NULL_HANDLE : handle, code });
  }],
  [Opnum.RControlService, (scm, stub) => {
    const { service, control } = decodeControlServiceRequest(stub);
    return encodeStatusResponse(scm.control(service, control));
  }],
  [Opnum.RDeleteService, (scm, stub) => encodeReturnOnly({ code: scm.delete(decodeDeleteServiceRequest(stub).service) })],
  [Opnum.RQueryServiceStatus, (scm, stub) => encodeStatusResponse(scm.queryStatus(decodeQueryServiceStatusRequest(stub).service))],
  [Opnum.RCreateServiceW, (scm, stub) => {
    const req = decodeCreateServiceRequest(stub);
    const { code, handle } = scm.create(req.scm, {
      name: req.serviceName, displayName: req.displayName, access: req.desiredAccess, serviceType: req.serviceType, startType: req.startType,
      errorControl: req.errorControl, binaryPath: req.binaryPath, startName: req.startName,
    });
    // [in, out, unique] lpdwTagId: echoed as a pointer to 0 (tags are for drivers' load order).
    return encodeCreateServiceResponse({ tagId: req.tagId === null ? null : 0, handle, code });
  }],
  [Opnum.ROpenSCManagerW, (scm, stub) => {
    const req = decodeOpenSCManagerRequest(stub);
    return encodeHandleResponse(scm.openSCManager(req.databaseName, req.desiredAccess));
  }],
  [Opnum.ROpenServiceW, (scm, stub) => {
    const req = decodeOpenServiceRequest(stub);
    return encodeHandleResponse(scm.openService(req.scm, req.serviceName, req.desiredAccess));
  }],
  [Opnum.RQueryServiceConfigW, (scm, stub) => {
    // The configuration, or ERROR_INSUFFICIENT_BUFFER with the size needed and the record zeroed.
    const { service, bufSize } = decodeQueryServiceConfigRequest(stub);
    const { code, config } = scm.queryConfig(service);
    const bytesNeeded = config ? configSize(config) : 0;
    if (config && bufSize < bytesNeeded) return encodeQueryServiceConfigResponse({ config: null, bytesNeeded, code: ScmCode.INSUFFICIENT_BUFFER });
    return encodeQueryServiceConfigResponse({ config, bytesNeeded, code });
  }],
  // The arguments are decoded and bounded, then dropped: they do not reach the agent (agent/README.md "Command line").
  [Opnum.RStartServiceW, async (scm, stub) => encodeReturnOnly({ code: await scm.start(decodeStartServiceRequest(stub).service) })],
]);

class SvcctlInterface implements RpcInterface {
  readonly syntax = SVCCTL;
  readonly secondaryAddress: string;
  private readonly scm: ScmSession;

  constructor(state: LabHostState, hooks: SvcctlHooks, options: ScmOptions) {
    this.scm = new ScmSession(state, hooks, options);
    this.secondaryAddress = SECONDARY_ADDRESS[personalityOf(state.config)];
  }

  close(): void {
    this.scm.rundown();
  }

  call(opnum: number, stub: Buffer): Buffer | Promise<Buffer> {
    const handler = HANDLERS.get(opnum);
    if (!handler) throw new RpcCallFault(FaultStatus.OP_RNG_ERROR);
    return handler(this.scm, stub);
  }
}

/** One open of the lab host's \pipe\svcctl: a DCE/RPC association serving MS-SCMR, answering as the host's personality does. */
export function createSvcctlEndpoint(state: LabHostState, hooks: SvcctlHooks, options: SvcctlOptions = {}): PipeEndpoint {
  return new RpcServerConnection(new SvcctlInterface(state, hooks, options), { personality: personalityOf(state.config), ...options });
}

/** The pipes a lab host serves on IPC$: svcctl, nothing else (STATUS_OBJECT_NAME_NOT_FOUND). */
export function svcctlPipeFactory(hooksFor: (host: LabHostState) => SvcctlHooks, options: SvcctlOptions = {}): PipeFactory {
  return (pipeName, host) => (pipeName.toLowerCase() === 'svcctl' ? createSvcctlEndpoint(host, hooksFor(host), options) : null);
}
