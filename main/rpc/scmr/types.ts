// MS-SCMR's vocabulary (interface 367ABB81-9844-35F1-AD32-98F038001003 v2.0, MS-SCMR 2.1.1):
// opnums, access masks, service types and states, SERVICE_STATUS, and the range() bounds the IDL
// puts on the strings and buffers a server decodes (MS-SCMR 2.2 / 3.1.4).
import type { SyntaxId } from '../pdu.js';

export const SVCCTL: SyntaxId = { uuid: '367abb81-9844-35f1-ad32-98f038001003', major: 2, minor: 0 };

/** The calls the push makes and the lab answers, in opnum order (MS-SCMR 3.1.4). */
export const Opnum = {
  RCloseServiceHandle: 0,
  RControlService: 1,
  RDeleteService: 2,
  RQueryServiceStatus: 6,
  RCreateServiceW: 12,
  ROpenSCManagerW: 15,
  ROpenServiceW: 16,
  RQueryServiceConfigW: 17,
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

/** A 20-byte SC_RPC_HANDLE (MS-SCMR 2.2.4). */
export type Handle = Buffer;

/** MS-SCMR range() bounds: names, paths, computer and account names, dependencies, passwords, argv, config buffer. */
export const ScmrBounds = {
  NAME: 256,
  PATH: 32767,
  COMPUTER_NAME: 1024,
  ACCOUNT_NAME: 2 * 256 + 1,
  DEPEND_SIZE: 4 * 1024,
  PWD_SIZE: 514,
  ARGUMENTS: 1024,
  CONFIG_BUF: 8 * 1024,
} as const;
