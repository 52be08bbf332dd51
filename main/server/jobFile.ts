// The job file the console writes next to the agent over SMB (agent/README.md "The job file"):
// where to call back, which certificate to trust, the one-time token, and what to fetch. It
// never holds a password. The agent refuses anything outside this format, so the console
// validates the same rules before it writes.
import { ConsoleError } from '../ipc/errors.js';

export interface AgentJob {
  /** host:port pairs the agent tries in order (1..8). */
  readonly consoles: readonly { host: string; port: number }[];
  readonly fingerprint: string;
  readonly token: string;
  readonly runId: string;
  readonly packageId: string;
  readonly size: number;
  readonly sha256: string;
}

const HOST = /^(?![-.])[A-Za-z0-9.-]{1,253}(?<![-.])$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;
const rules: [keyof AgentJob, (job: AgentJob) => boolean, string][] = [
  ['consoles', (j) => j.consoles.length >= 1 && j.consoles.length <= 8, '1 to 8 console addresses'],
  ['consoles', (j) => j.consoles.every((c) => Number.isInteger(c.port) && c.port >= 1 && c.port <= 65535 && (HOST.test(c.host) || IPV6.test(c.host))), 'host names, IPv4 or IPv6 addresses with ports 1..65535'],
  ['fingerprint', (j) => /^[0-9a-f]{64}$/i.test(j.fingerprint), '64 hex digits'],
  ['token', (j) => /^[A-Za-z0-9\-_.~+/=]{16,512}$/.test(j.token), '16..512 token characters'],
  ['runId', (j) => /^(?!-)[A-Za-z0-9_-]{1,64}$/.test(j.runId), '1..64 of A-Z a-z 0-9 _ -'],
  ['packageId', (j) => /^(?![.-])[A-Za-z0-9_.-]{1,64}$/.test(j.packageId), '1..64 of A-Z a-z 0-9 _ - .'],
  ['size', (j) => Number.isSafeInteger(j.size) && j.size >= 1, 'a positive whole number of bytes'],
  ['sha256', (j) => /^[0-9a-f]{64}$/i.test(j.sha256), '64 hex digits'],
];

export function encodeJobFile(job: AgentJob): Buffer {
  for (const [field, ok, rule] of rules) {
    if (!ok(job)) {
      throw new ConsoleError('job-file', `The agent's job file cannot hold this ${field}: it must be ${rule}.`, 'This is a bug in the console; report it with the task\'s log.');
    }
  }
  const lines = [
    '# written by Push Install Console; deleted by the agent when it is done',
    'version=1',
    ...job.consoles.map((c) => `console=${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`),
    `fingerprint=${job.fingerprint.toLowerCase()}`,
    `token=${job.token}`,
    `run=${job.runId}`,
    `package=${job.packageId}`,
    `size=${job.size}`,
    `sha256=${job.sha256.toLowerCase()}`,
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}
