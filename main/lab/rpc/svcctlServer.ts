// The lab host's \pipe\svcctl: MS-SCMR (interface 367ABB81-9844-35F1-AD32-98F038001003 v2.0)
// served over the DCE/RPC server connection. Each call's request stub is decoded here with the
// project's NDR reader, handed to the simulated SCM (scm.ts), and its answer encoded — calls in
// opnum order (MS-SCMR 3.1.4); any other opnum faults with nca_s_op_rng_error, a stub that does
// not decode with RPC_X_BAD_STUB_DATA.
import { NdrReader, NdrWriter } from '../../rpc/ndr.js';
import { Opnum, SVCCTL, type ServiceStatus } from '../../rpc/scmr.js';
import type { LabHostState, LabService } from '../hostState.js';
import type { PipeEndpoint, PipeFactory } from '../pipe.js';
import { FaultStatus } from './serverPdu.js';
import { RpcCallFault, RpcServerConnection, type RpcInterface, type RpcServerOptions } from './rpcServer.js';
import { NULL_HANDLE, ScmSession, type ScmOptions, type ServiceConfig } from './scm.js';
import { ScmCode } from './serviceStatus.js';

export interface SvcctlHooks {
  /** RStartServiceW started the service's process: run the simulated agent for it. */
  readonly startAgent: (service: LabService) => void;
}

export type SvcctlOptions = ScmOptions & RpcServerOptions;

/** MS-SCMR range() bounds (2.2.x): names, paths, account names, dependencies, passwords. */
const SC_MAX_NAME_LENGTH = 256;
const SC_MAX_PATH_LENGTH = 32767;
const SC_MAX_COMPUTER_NAME_LENGTH = 1024;
const SC_MAX_ACCOUNT_NAME_LENGTH = 2 * 256 + 1;
const SC_MAX_DEPEND_SIZE = 4 * 1024;
const SC_MAX_PWD_SIZE = 514;
const SC_MAX_ARGUMENTS = 1024;
const BOUNDED_DWORD_8K = 8 * 1024;
export const QUERY_CONFIG_OPNUM = 17;

const ZERO_STATUS: ServiceStatus = { serviceType: 0, currentState: 0, controlsAccepted: 0, win32ExitCode: 0, serviceSpecificExitCode: 0, checkPoint: 0, waitHint: 0 };

function writeStatus(w: NdrWriter, s: ServiceStatus | null): NdrWriter {
  const v = s ?? ZERO_STATUS;
  return w.u32(v.serviceType).u32(v.currentState).u32(v.controlsAccepted).u32(v.win32ExitCode).u32(v.serviceSpecificExitCode).u32(v.checkPoint).u32(v.waitHint);
}

/** A [unique] conformant byte array (LPBYTE with size_is): skipped, bounded. */
function skipByteArray(r: NdrReader, field: string, max: number): void {
  if (!r.pointer(field)) return;
  const count = r.u32(`${field} max_count`);
  if (count > max) throw new RpcCallFault(FaultStatus.BAD_STUB_DATA);
  r.bytes(count, field);
}

const optionalString = (r: NdrReader, field: string, max: number) => (r.pointer(field) ? r.conformantVaryingString(field, max) : null);

/** QUERY_SERVICE_CONFIGW (MS-SCMR 2.2.15) as the SCM counts its size: the record, then its strings. */
function configSize(c: ServiceConfig): number {
  const strings = [c.binaryPath, c.loadOrderGroup, c.dependencies, c.startName, c.displayName];
  return Math.min(36 + strings.reduce((n, s) => n + 2 * (s.length + 1), 0), BOUNDED_DWORD_8K);
}

function writeConfig(w: NdrWriter, c: ServiceConfig | null): NdrWriter {
  w.u32(c?.serviceType ?? 0).u32(c?.startType ?? 0).u32(c?.errorControl ?? 0);
  const strings = c ? [c.binaryPath, c.loadOrderGroup, c.dependencies, c.startName, c.displayName] : [];
  // Embedded pointers: the referents sit in the record (dwTagId between group and dependencies), the strings follow it.
  const referent = (i: number) => (c ? 0x00020000 + 4 * i : 0);
  w.u32(referent(0)).u32(referent(1)).u32(0).u32(referent(2)).u32(referent(3)).u32(referent(4));
  for (const s of strings) w.conformantVaryingString(s);
  return w;
}

class SvcctlInterface implements RpcInterface {
  readonly syntax = SVCCTL;
  readonly secondaryAddress = '\\PIPE\\svcctl';
  private readonly scm: ScmSession;

  constructor(state: LabHostState, hooks: SvcctlHooks, options: ScmOptions) {
    this.scm = new ScmSession(state, hooks, options);
  }

  close(): void {
    this.scm.rundown();
  }

  async call(opnum: number, stub: Buffer): Promise<Buffer> {
    const name = `opnum ${opnum}`;
    const r = new NdrReader(stub, name);
    const w = new NdrWriter();
    switch (opnum) {
      case Opnum.RCloseServiceHandle: {
        const handle = r.contextHandle('hSCObject');
        const code = this.scm.close(handle);
        return w.contextHandle(code === ScmCode.SUCCESS ? NULL_HANDLE : handle).u32(code).toBuffer();
      }
      case Opnum.RControlService: {
        const handle = r.contextHandle('hService');
        const { code, status } = this.scm.control(handle, r.u32('dwControl'));
        return writeStatus(w, status).u32(code).toBuffer();
      }
      case Opnum.RDeleteService:
        return w.u32(this.scm.delete(r.contextHandle('hService'))).toBuffer();
      case Opnum.RQueryServiceStatus: {
        const { code, status } = this.scm.queryStatus(r.contextHandle('hService'));
        return writeStatus(w, status).u32(code).toBuffer();
      }
      case Opnum.RCreateServiceW:
        return this.createService(r, w);
      case Opnum.ROpenSCManagerW: {
        optionalString(r, 'lpMachineName', SC_MAX_COMPUTER_NAME_LENGTH);
        const database = optionalString(r, 'lpDatabaseName', SC_MAX_NAME_LENGTH);
        const { code, handle } = this.scm.openSCManager(database, r.u32('dwDesiredAccess'));
        return w.contextHandle(handle).u32(code).toBuffer();
      }
      case Opnum.ROpenServiceW: {
        const scm = r.contextHandle('hSCManager');
        const serviceName = r.conformantVaryingString('lpServiceName', SC_MAX_NAME_LENGTH);
        const { code, handle } = this.scm.openService(scm, serviceName, r.u32('dwDesiredAccess'));
        return w.contextHandle(handle).u32(code).toBuffer();
      }
      case QUERY_CONFIG_OPNUM:
        return this.queryConfig(r, w);
      case Opnum.RStartServiceW:
        return this.startService(r, w);
      default:
        throw new RpcCallFault(FaultStatus.OP_RNG_ERROR);
    }
  }

  /** RCreateServiceW (opnum 12): the request's fields in order, those the SCM does not keep read and bounded. */
  private createService(r: NdrReader, w: NdrWriter): Buffer {
    const scm = r.contextHandle('hSCManager');
    const serviceName = r.conformantVaryingString('lpServiceName', SC_MAX_NAME_LENGTH);
    const displayName = optionalString(r, 'lpDisplayName', SC_MAX_NAME_LENGTH);
    const access = r.u32('dwDesiredAccess');
    const serviceType = r.u32('dwServiceType');
    const startType = r.u32('dwStartType');
    const errorControl = r.u32('dwErrorControl');
    const binaryPath = r.conformantVaryingString('lpBinaryPathName', SC_MAX_PATH_LENGTH);
    optionalString(r, 'lpLoadOrderGroup', SC_MAX_NAME_LENGTH);
    const tagRequested = r.pointer('lpdwTagId');
    if (tagRequested) r.u32('dwTagId');
    skipByteArray(r, 'lpDependencies', SC_MAX_DEPEND_SIZE);
    r.u32('dwDependSize');
    const startName = optionalString(r, 'lpServiceStartName', SC_MAX_ACCOUNT_NAME_LENGTH);
    skipByteArray(r, 'lpPassword', SC_MAX_PWD_SIZE);
    r.u32('dwPwSize');
    const { code, handle } = this.scm.create(scm, { name: serviceName, displayName, access, serviceType, startType, errorControl, binaryPath, startName });
    // [in, out, unique] LPDWORD lpdwTagId: echoed as a pointer to 0 (tags are for drivers' load order).
    if (tagRequested) w.u32(0x00020000).u32(0);
    else w.u32(0);
    return w.contextHandle(handle).u32(code).toBuffer();
  }

  /** RQueryServiceConfigW (opnum 17): the configuration, or ERROR_INSUFFICIENT_BUFFER with the size needed. */
  private queryConfig(r: NdrReader, w: NdrWriter): Buffer {
    const handle = r.contextHandle('hService');
    const offered = r.u32('cbBufSize');
    if (offered > BOUNDED_DWORD_8K) throw new RpcCallFault(FaultStatus.BAD_STUB_DATA); // range(0, 8K)
    const { code, config } = this.scm.queryConfig(handle);
    const needed = config ? configSize(config) : 0;
    if (config && offered < needed) return writeConfig(w, null).u32(needed).u32(ScmCode.INSUFFICIENT_BUFFER).toBuffer();
    return writeConfig(w, config).u32(needed).u32(code).toBuffer();
  }

  /** RStartServiceW (opnum 19): the arguments are read and bounded, then dropped. */
  private async startService(r: NdrReader, w: NdrWriter): Promise<Buffer> {
    const handle = r.contextHandle('hService');
    const argc = r.u32('argc');
    if (r.pointer('argv')) {
      const count = r.u32('argv max_count');
      if (count !== argc || count > SC_MAX_ARGUMENTS) throw new RpcCallFault(FaultStatus.BAD_STUB_DATA);
      const present: boolean[] = [];
      for (let i = 0; i < count; i++) present.push(r.pointer(`argv[${i}]`));
      for (let i = 0; i < count; i++) if (present[i]) r.conformantVaryingString(`argv[${i}]`, SC_MAX_PATH_LENGTH);
    }
    // StartService arguments do not reach the agent (agent/README.md "Command line").
    return w.u32(await this.scm.start(handle)).toBuffer();
  }
}

/** One open of the lab host's \pipe\svcctl: a DCE/RPC association serving MS-SCMR. */
export function createSvcctlEndpoint(state: LabHostState, hooks: SvcctlHooks, options: SvcctlOptions = {}): PipeEndpoint {
  return new RpcServerConnection(new SvcctlInterface(state, hooks, options), options);
}

/** The pipes a lab host serves on IPC$: svcctl, nothing else (STATUS_OBJECT_NAME_NOT_FOUND). */
export function svcctlPipeFactory(hooksFor: (host: LabHostState) => SvcctlHooks, options: SvcctlOptions = {}): PipeFactory {
  return (pipeName, host) => (pipeName.toLowerCase() === 'svcctl' ? createSvcctlEndpoint(host, hooksFor(host), options) : null);
}
