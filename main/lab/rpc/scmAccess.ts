// Access rights on the simulated SCM and its services (MS-SCMR 2.2.x): generic rights mapped to
// specific ones the way the SCM maps them, and what an unelevated (UAC-filtered) token may hold.

// MS-SCMR 2.2.x access masks.
const GENERIC_READ = 0x80000000;
const GENERIC_WRITE = 0x40000000;
const GENERIC_EXECUTE = 0x20000000;
const GENERIC_ALL = 0x10000000;
const MAXIMUM_ALLOWED = 0x02000000;
const READ_CONTROL = 0x00020000;
const DELETE = 0x00010000;
export const ScmRight = { CONNECT: 0x1, CREATE_SERVICE: 0x2, ENUMERATE_SERVICE: 0x4, LOCK: 0x8, QUERY_LOCK_STATUS: 0x10, ALL: 0xf003f } as const;
export const ServiceRight = { QUERY_CONFIG: 0x1, CHANGE_CONFIG: 0x2, QUERY_STATUS: 0x4, START: 0x10, STOP: 0x20, INTERROGATE: 0x80, DELETE, ALL: 0xf01ff } as const;

/** What an unelevated (UAC-filtered) token may hold on the SCM: connect, enumerate, read. */
export const FILTERED_SCM_RIGHTS = ScmRight.CONNECT | ScmRight.ENUMERATE_SERVICE | ScmRight.QUERY_LOCK_STATUS | READ_CONTROL;
/** What it may hold on a service: query its configuration and status, enumerate its dependents (0x8), interrogate, read. */
export const FILTERED_SERVICE_RIGHTS = ServiceRight.QUERY_CONFIG | ServiceRight.QUERY_STATUS | ServiceRight.INTERROGATE | 0x8 | READ_CONTROL;

function mapGeneric(access: number, all: number, read: number, write: number, execute: number): number {
  let granted = access & 0x00ffffff & ~MAXIMUM_ALLOWED;
  if (access & (GENERIC_ALL | MAXIMUM_ALLOWED)) granted |= all;
  if (access & GENERIC_READ) granted |= read;
  if (access & GENERIC_WRITE) granted |= write;
  if (access & GENERIC_EXECUTE) granted |= execute;
  return granted >>> 0;
}
export const scmRights = (access: number) => mapGeneric(access >>> 0, ScmRight.ALL, READ_CONTROL | ScmRight.ENUMERATE_SERVICE | ScmRight.QUERY_LOCK_STATUS, READ_CONTROL | ScmRight.CREATE_SERVICE | 0x20, READ_CONTROL | ScmRight.CONNECT | ScmRight.LOCK);
export const serviceRights = (access: number) => mapGeneric(access >>> 0, ServiceRight.ALL, READ_CONTROL | 0x8d, READ_CONTROL | ServiceRight.CHANGE_CONFIG, READ_CONTROL | 0x170);
