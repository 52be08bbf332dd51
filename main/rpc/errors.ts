// DCE/RPC and Win32 errors: each a ConsoleError with the class of docs/ARCHITECTURE.md §7 and
// advice, so the engine only adds the host and the step.
import { ConsoleError } from '../ipc/errors.js';
import type { ErrorClass } from '../ipc/errorClasses.js';

export class RpcProtocolError extends ConsoleError {
  constructor(message: string) {
    super('rpc-protocol', message, 'The computer\'s RPC answer is malformed; check that it is a Windows computer, then report it.');
    this.name = 'RpcProtocolError';
  }
}

/** MS-RPCE 2.2.2.11 / C706 appendix E fault statuses (and the Win32 codes servers fault with). */
const faultNames: Record<number, string> = {
  0x00000005: 'ERROR_ACCESS_DENIED',
  0x000006f7: 'RPC_X_BAD_STUB_DATA',
  0x000006d1: 'RPC_S_PROCNUM_OUT_OF_RANGE',
  0x1c010002: 'nca_s_op_rng_error',
  0x1c010003: 'nca_s_unk_if',
  0x1c00001a: 'nca_s_proto_error',
  0x1c000011: 'nca_s_fault_ndr',
  0x1c010014: 'nca_s_fault_context_mismatch',
  0x1c00001c: 'nca_s_fault_remote_no_memory',
};

export function faultName(status: number): string {
  return faultNames[status >>> 0] ?? `0x${(status >>> 0).toString(16).padStart(8, '0')}`;
}

/** The server answered a call with a fault PDU (MS-RPCE 2.2.2.11). */
export class RpcFaultError extends ConsoleError {
  readonly status: number;

  constructor(status: number, call: string, errorClass: ErrorClass = 'rpc-fault') {
    const name = faultName(status);
    const advice =
      status === 5
        ? 'The account may not use the Service Control Manager: use an administrator (see the UAC remote-restriction note).'
        : status === 0x1c010002
          ? 'The computer\'s Service Control Manager does not implement this call (not a Windows SCM, e.g. Samba\'s); push to a Windows computer.'
          : 'The computer refused the RPC call; check that it is a supported Windows version, then report it.';
    super(status === 5 ? 'access-denied' : errorClass, `${call} failed with RPC fault ${name}.`, advice, name);
    this.name = 'RpcFaultError';
    this.status = status >>> 0;
  }
}

/** The server refused the bind (bind_nak, or no acceptable presentation context). */
export class RpcBindError extends ConsoleError {
  constructor(message: string) {
    super('rpc-bind', message, 'The computer does not offer the Service Control Manager interface over \\pipe\\svcctl; check that it is a Windows computer with the Server service running.');
    this.name = 'RpcBindError';
  }
}
