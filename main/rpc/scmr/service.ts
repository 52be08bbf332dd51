// MS-SCMR stubs of the calls that carry a service's configuration, both directions (MS-SCMR
// 3.1.4): the client's request encoder and response decoder next to the server's request decoder
// and response encoder, one type per request / response with the same field names.
//   12 RCreateServiceW (3.1.4.12)   17 RQueryServiceConfigW (3.1.4.17)   19 RStartServiceW (3.1.4.19)
// Server-side decoders enforce the IDL's range() bounds and throw RpcProtocolError, which the lab
// answers with RPC_X_BAD_STUB_DATA.
import { RpcProtocolError } from '../errors.js';
import { NdrReader, NdrWriter } from '../ndr.js';
import { ErrorControl, ScmrBounds, ServiceAccess, ServiceType, StartType, type Handle } from './types.js';

const optionalString = (r: NdrReader, field: string, max: number) => (r.pointer(field) ? r.conformantVaryingString(field, max) : null);

/** A [unique, size_is(n)] LPBYTE, bounded by the IDL's range(). */
function optionalBytes(r: NdrReader, field: string, max: number): Buffer | null {
  if (!r.pointer(field)) return null;
  const count = r.u32(`${field} max_count`);
  if (count > max) throw new RpcProtocolError(`${field}: ${count} bytes, more than ${max}`);
  return r.bytes(count, field);
}

// ---- 12 RCreateServiceW -----------------------------------------------------------------------

/** The request's fields in IDL order; the client's defaults: own process, demand start, error-ignore, LocalSystem. */
export interface CreateServiceRequest {
  scm: Handle;
  serviceName: string;
  displayName: string | null;
  /** Stored as REG_EXPAND_SZ: `%SystemRoot%\…\agent.exe --args` works. */
  binaryPath: string;
  desiredAccess?: number;
  serviceType?: number;
  startType?: number;
  errorControl?: number;
  loadOrderGroup?: string | null;
  /** [in, out, unique] lpdwTagId: null sends NULL. */
  tagId?: number | null;
  dependencies?: Buffer | null;
  /** null = LocalSystem. */
  startName?: string | null;
  password?: Buffer | null;
}

export function encodeCreateService(req: CreateServiceRequest): Buffer {
  const dependencies = req.dependencies ?? null;
  const password = req.password ?? null;
  const tagId = req.tagId ?? null;
  const w = new NdrWriter()
    .contextHandle(req.scm)
    .refString(req.serviceName)
    .uniqueString(req.displayName)
    .u32(req.desiredAccess ?? ServiceAccess.ALL_ACCESS)
    .u32(req.serviceType ?? ServiceType.WIN32_OWN_PROCESS)
    .u32(req.startType ?? StartType.DEMAND_START)
    .u32(req.errorControl ?? ErrorControl.IGNORE)
    .refString(req.binaryPath)
    .uniqueString(req.loadOrderGroup ?? null)
    .pointer(tagId !== null);
  if (tagId !== null) w.u32(tagId);
  return w
    .uniqueBytes(dependencies)
    .u32(dependencies?.length ?? 0) // dwDependSize
    .uniqueString(req.startName ?? null)
    .uniqueBytes(password)
    .u32(password?.length ?? 0) // dwPwSize
    .toBuffer();
}

export function decodeCreateServiceRequest(stub: Buffer): Required<CreateServiceRequest> {
  const r = new NdrReader(stub, 'RCreateServiceW');
  const scm = r.contextHandle('hSCManager');
  const serviceName = r.conformantVaryingString('lpServiceName', ScmrBounds.NAME);
  const displayName = optionalString(r, 'lpDisplayName', ScmrBounds.NAME);
  const desiredAccess = r.u32('dwDesiredAccess');
  const serviceType = r.u32('dwServiceType');
  const startType = r.u32('dwStartType');
  const errorControl = r.u32('dwErrorControl');
  const binaryPath = r.conformantVaryingString('lpBinaryPathName', ScmrBounds.PATH);
  const loadOrderGroup = optionalString(r, 'lpLoadOrderGroup', ScmrBounds.NAME);
  const tagId = r.pointer('lpdwTagId') ? r.u32('dwTagId') : null;
  const dependencies = optionalBytes(r, 'lpDependencies', ScmrBounds.DEPEND_SIZE);
  r.u32('dwDependSize');
  const startName = optionalString(r, 'lpServiceStartName', ScmrBounds.ACCOUNT_NAME);
  const password = optionalBytes(r, 'lpPassword', ScmrBounds.PWD_SIZE);
  r.u32('dwPwSize');
  return { scm, serviceName, displayName, desiredAccess, serviceType, startType, errorControl, binaryPath, loadOrderGroup, tagId, dependencies, startName, password };
}

export interface CreateServiceResponse {
  /** lpdwTagId echoed: null when the request's was NULL. */
  tagId: number | null;
  handle: Handle;
  code: number;
}

export function encodeCreateServiceResponse(res: CreateServiceResponse): Buffer {
  const w = new NdrWriter().pointer(res.tagId !== null);
  if (res.tagId !== null) w.u32(res.tagId);
  return w.contextHandle(res.handle).u32(res.code).toBuffer();
}

export function decodeCreateService(stub: Buffer): CreateServiceResponse {
  const r = new NdrReader(stub, 'RCreateServiceW');
  const tagId = r.pointer('lpdwTagId') ? r.u32('dwTagId') : null;
  const handle = r.contextHandle('lpServiceHandle');
  return { tagId, handle, code: r.returnCode() };
}

// ---- 17 RQueryServiceConfigW ------------------------------------------------------------------

export interface QueryServiceConfigRequest {
  service: Handle;
  /** cbBufSize, range(0, 8K): what the caller can take. */
  bufSize: number;
}

export const encodeQueryServiceConfig = (req: QueryServiceConfigRequest) => new NdrWriter().contextHandle(req.service).u32(req.bufSize).toBuffer();
export function decodeQueryServiceConfigRequest(stub: Buffer): QueryServiceConfigRequest {
  const r = new NdrReader(stub, 'RQueryServiceConfigW');
  const service = r.contextHandle('hService');
  const bufSize = r.u32('cbBufSize');
  if (bufSize > ScmrBounds.CONFIG_BUF) throw new RpcProtocolError(`RQueryServiceConfigW: cbBufSize ${bufSize} is out of range(0, 8K)`);
  return { service, bufSize };
}

/** QUERY_SERVICE_CONFIGW (MS-SCMR 2.2.15); dwTagId is always 0 here (tags order drivers). */
export interface ServiceConfig {
  readonly serviceType: number;
  readonly startType: number;
  readonly errorControl: number;
  readonly binaryPath: string;
  readonly loadOrderGroup: string;
  readonly dependencies: string;
  readonly startName: string;
  readonly displayName: string;
}

export interface QueryServiceConfigResponse {
  /** null: the record is sent zeroed, its pointers NULL (an error, or a buffer too small). */
  config: ServiceConfig | null;
  bytesNeeded: number;
  code: number;
}

const configStrings = (c: ServiceConfig) => [c.binaryPath, c.loadOrderGroup, c.dependencies, c.startName, c.displayName];

export function encodeQueryServiceConfigResponse(res: QueryServiceConfigResponse): Buffer {
  const c = res.config;
  const w = new NdrWriter().u32(c?.serviceType ?? 0).u32(c?.startType ?? 0).u32(c?.errorControl ?? 0);
  // Embedded pointers: the referents sit in the record (dwTagId between group and dependencies), the strings follow it.
  w.pointer(c !== null).pointer(c !== null).u32(0).pointer(c !== null).pointer(c !== null).pointer(c !== null);
  if (c) for (const s of configStrings(c)) w.conformantVaryingString(s);
  return w.u32(res.bytesNeeded).u32(res.code).toBuffer();
}

export function decodeQueryServiceConfig(stub: Buffer): QueryServiceConfigResponse {
  const r = new NdrReader(stub, 'RQueryServiceConfigW');
  const serviceType = r.u32('dwServiceType');
  const startType = r.u32('dwStartType');
  const errorControl = r.u32('dwErrorControl');
  const present = [r.pointer('lpBinaryPathName'), r.pointer('lpLoadOrderGroup')];
  r.u32('dwTagId');
  present.push(r.pointer('lpDependencies'), r.pointer('lpServiceStartName'), r.pointer('lpDisplayName'));
  const fields = ['lpBinaryPathName', 'lpLoadOrderGroup', 'lpDependencies', 'lpServiceStartName', 'lpDisplayName'];
  const strings = present.map((p, i) => (p ? r.conformantVaryingString(fields[i]!, ScmrBounds.PATH) : null));
  const bytesNeeded = r.u32('pcbBytesNeeded');
  const code = r.returnCode();
  if (strings.every((s) => s === null)) return { config: null, bytesNeeded, code };
  const [binaryPath, loadOrderGroup, dependencies, startName, displayName] = strings.map((s) => s ?? '');
  return { config: { serviceType, startType, errorControl, binaryPath: binaryPath!, loadOrderGroup: loadOrderGroup!, dependencies: dependencies!, startName: startName!, displayName: displayName! }, bytesNeeded, code };
}

// ---- 19 RStartServiceW: argv as a [unique, size_is(argc)] array of [string] pointers ----------

export interface StartServiceRequest {
  service: Handle;
  argv: readonly string[];
}

export function encodeStartService(req: StartServiceRequest): Buffer {
  const w = new NdrWriter().contextHandle(req.service).u32(req.argv.length);
  if (req.argv.length === 0) return w.pointer(false).toBuffer();
  w.pointer(true).u32(req.argv.length); // the array's referent, then its conformance
  req.argv.forEach(() => w.pointer(true)); // one referent per string
  for (const arg of req.argv) w.conformantVaryingString(arg);
  return w.toBuffer();
}

/** NULL entries of argv are dropped. */
export function decodeStartServiceRequest(stub: Buffer): StartServiceRequest {
  const r = new NdrReader(stub, 'RStartServiceW');
  const service = r.contextHandle('hService');
  const argc = r.u32('argc');
  const argv: string[] = [];
  if (r.pointer('argv')) {
    const count = r.u32('argv max_count');
    if (count !== argc || count > ScmrBounds.ARGUMENTS) throw new RpcProtocolError(`RStartServiceW: argv of ${count} for argc ${argc}`);
    const present: boolean[] = [];
    for (let i = 0; i < count; i++) present.push(r.pointer(`argv[${i}]`));
    for (let i = 0; i < count; i++) if (present[i]) argv.push(r.conformantVaryingString(`argv[${i}]`, ScmrBounds.PATH));
  }
  return { service, argv };
}
