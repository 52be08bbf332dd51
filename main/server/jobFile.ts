// The job file the console writes next to the agent over SMB (agent/README.md "The job file"):
// where to call back, which certificate to trust, the one-time token, and what to fetch. It
// never holds a password. The agent refuses anything outside this format, so the console
// validates the same rules before it writes, and parseJobFile reads it back by the native
// agent's rules (agent/src/jobfile.c) for the lab's simulated agent and for round-trip tests.
import { ConsoleError } from '../ipc/errors.js';
import { AGENT_TRANSPORTS, type AgentTransport } from './agentProtocol.js';

export interface AgentJob {
  /**
   * How the agent gets its package and gives its result (agent/README.md "Transports"): `callback`
   * (absent; over TLS from the console), `smb` (from `<exe>.pkg` and the files the console copied
   * beside it; result in `<exe>.result`), `auto` (callback first; when no console answers, wait
   * `waitSeconds` for `<exe>.pkg` and go on as `smb`).
   */
  readonly transport?: AgentTransport;
  /** host:port pairs the agent tries in order (1..8); none for `smb`. */
  readonly consoles: readonly { host: string; port: number }[];
  /** The console certificate's SHA-256; '' for `smb`. */
  readonly fingerprint: string;
  /** The one-time token; '' for `smb`. */
  readonly token: string;
  /** `auto` only: how long the agent waits for `<exe>.pkg` once no console answered (1..86400 s; default 600). */
  readonly waitSeconds?: number;
  readonly runId: string;
  readonly packageId: string;
  readonly size: number;
  readonly sha256: string;
}

/** The value rules both the writer and the parser apply (agent/README.md "The job file"). */
export const JOB_LIMITS = { maxFileBytes: 16384, maxLineBytes: 1024, maxConsoles: 8, maxWaitSeconds: 86400, defaultWaitSeconds: 600 } as const;
const HOST = /^(?![-.])[A-Za-z0-9.-]{1,253}(?<![-.])$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;
const validHost = (host: string) => HOST.test(host) || IPV6.test(host);
const validPort = (port: number) => Number.isInteger(port) && port >= 1 && port <= 65535;
const validHash = (v: string) => /^[0-9a-f]{64}$/i.test(v);
const validToken = (v: string) => /^[A-Za-z0-9\-_.~+/=]{16,512}$/.test(v);
const validRunId = (v: string) => /^(?!-)[A-Za-z0-9_-]{1,64}$/.test(v);
const validPackageId = (v: string) => /^(?![.-])[A-Za-z0-9_.-]{1,64}$/.test(v);
const validSize = (v: number) => Number.isSafeInteger(v) && v >= 1;

const validWait = (v: number) => Number.isInteger(v) && v >= 1 && v <= JOB_LIMITS.maxWaitSeconds;
const smbOnly = (j: AgentJob) => j.transport === 'smb';

const rules: [keyof AgentJob, (job: AgentJob) => boolean, string][] = [
  ['transport', (j) => j.transport === undefined || AGENT_TRANSPORTS.includes(j.transport), 'callback, smb or auto'],
  ['consoles', (j) => (smbOnly(j) ? j.consoles.length === 0 : j.consoles.length >= 1 && j.consoles.length <= JOB_LIMITS.maxConsoles), '1 to 8 console addresses (none for the smb transport)'],
  ['consoles', (j) => j.consoles.every((c) => validPort(c.port) && validHost(c.host)), 'host names, IPv4 or IPv6 addresses with ports 1..65535'],
  ['fingerprint', (j) => (smbOnly(j) ? j.fingerprint === '' : validHash(j.fingerprint)), '64 hex digits (empty for the smb transport)'],
  ['token', (j) => (smbOnly(j) ? j.token === '' : validToken(j.token)), '16..512 token characters (empty for the smb transport)'],
  ['waitSeconds', (j) => j.waitSeconds === undefined || (j.transport === 'auto' && validWait(j.waitSeconds)), `1..${JOB_LIMITS.maxWaitSeconds} seconds, for the auto transport only`],
  ['runId', (j) => validRunId(j.runId), '1..64 of A-Z a-z 0-9 _ -'],
  ['packageId', (j) => validPackageId(j.packageId), '1..64 of A-Z a-z 0-9 _ - .'],
  ['size', (j) => validSize(j.size), 'a positive whole number of bytes'],
  ['sha256', (j) => validHash(j.sha256), '64 hex digits'],
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
    ...(job.transport && job.transport !== 'callback' ? [`transport=${job.transport}`] : []),
    ...(job.waitSeconds !== undefined ? [`wait=${job.waitSeconds}`] : []),
    ...job.consoles.map((c) => `console=${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`),
    ...(smbOnly(job) ? [] : [`fingerprint=${job.fingerprint.toLowerCase()}`, `token=${job.token}`]),
    `run=${job.runId}`,
    `package=${job.packageId}`,
    `size=${job.size}`,
    `sha256=${job.sha256.toLowerCase()}`,
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

/** A job file the agent refuses: exit code 10, with the reason (and line) in its log. */
export class JobFileError extends ConsoleError {
  constructor(readonly line: number, reason: string) {
    super('agent-job', line > 0 ? `line ${line}: ${reason}` : reason, 'The job file the console wrote is not one the agent accepts; retry the push, and report it if it happens again.');
    this.name = 'JobFileError';
  }
}

/** 64 hex digits, or 32 colon-separated pairs as openssl prints them; lower-case hex out. */
function parseHash(v: string): string | null {
  if (validHash(v)) return v.toLowerCase();
  if (/^[0-9a-f]{2}(:[0-9a-f]{2}){31}$/i.test(v)) return v.replace(/:/g, '').toLowerCase();
  return null;
}

function parseConsole(v: string): { host: string; port: number } | string {
  let host: string;
  let port: string;
  if (v.startsWith('[')) {
    const close = v.indexOf(']');
    if (close < 0) return "IPv6 address without ']'";
    if (v[close + 1] !== ':') return 'expected [ipv6]:port';
    host = v.slice(1, close);
    port = v.slice(close + 2);
    if (!IPV6.test(host)) return 'bad IPv6 address';
  } else {
    const colon = v.indexOf(':');
    if (colon < 0) return 'expected host:port';
    host = v.slice(0, colon);
    port = v.slice(colon + 1);
    if (port.includes(':')) return 'IPv6 addresses need brackets: [addr]:port';
    if (host.length < 1 || host.length > 253) return 'host name empty or longer than 253 characters';
    if (/^[-.]|[-.]$/.test(host)) return "host name starts or ends with '-' or '.'";
    if (!HOST.test(host)) return "host name may hold only letters, digits, '-' and '.'";
  }
  if (!/^[1-9][0-9]{0,4}$/.test(port) || !validPort(Number(port))) return 'port must be 1..65535';
  return { host, port: Number(port) };
}

/**
 * Reads a job file by the agent's rules: strict UTF-8 without NUL, at most 16 384 bytes, lines of
 * at most 1024 bytes (LF or CRLF), an optional BOM, blank and `#` lines ignored, `key=value` with
 * spaces and tabs trimmed, printable-ASCII values, no unknown or repeated keys (but `console`),
 * every required key present. Throws JobFileError with the agent's wording.
 */
export function parseJobFile(data: Buffer): AgentJob {
  if (data.length === 0) throw new JobFileError(0, 'the job file is empty');
  if (data.length > JOB_LIMITS.maxFileBytes) throw new JobFileError(0, `the job file is larger than ${JOB_LIMITS.maxFileBytes} bytes`);
  const nul = data.indexOf(0);
  let text: string;
  try {
    if (nul >= 0) throw new Error('NUL');
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data);
  } catch {
    throw new JobFileError(0, `not valid UTF-8 (or a NUL byte)${nul >= 0 ? ` at byte offset ${nul}` : ''}`);
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const consoles: { host: string; port: number }[] = [];
  const seen = new Map<string, string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    if (Buffer.byteLength(raw, 'utf8') > JOB_LIMITS.maxLineBytes) throw new JobFileError(line, `longer than ${JOB_LIMITS.maxLineBytes} bytes`);
    const content = raw.replace(/\r$/, '').replace(/^[ \t]+/, '');
    if (content === '' || content.startsWith('#')) continue;
    const eq = content.indexOf('=');
    if (eq < 0) throw new JobFileError(line, 'expected key=value');
    const key = content.slice(0, eq).replace(/[ \t]+$/, '');
    const value = content.slice(eq + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!/^[\x20-\x7e]*$/.test(value)) throw new JobFileError(line, 'values are printable ASCII only');
    if (key === 'console') {
      if (consoles.length >= JOB_LIMITS.maxConsoles) throw new JobFileError(line, `console: more than ${JOB_LIMITS.maxConsoles} addresses`);
      const parsed = parseConsole(value);
      if (typeof parsed === 'string') throw new JobFileError(line, `console: ${parsed}`);
      consoles.push(parsed);
      continue;
    }
    const check: Record<string, [(v: string) => boolean, string]> = {
      fingerprint: [(v) => parseHash(v) !== null, 'expected the SHA-256 as 64 hex digits'],
      token: [validToken, 'expected 16..512 characters of [A-Za-z0-9-_.~+/=]'],
      run: [validRunId, 'expected 1..64 characters of [A-Za-z0-9_-]'],
      package: [validPackageId, 'expected 1..64 characters of [A-Za-z0-9_.-]'],
      size: [(v) => /^[1-9][0-9]{0,15}$/.test(v) && validSize(Number(v)), 'expected a byte count 1..2^53-1 without leading zeros'],
      sha256: [(v) => parseHash(v) !== null, 'expected 64 hex digits'],
      version: [(v) => v === '1', 'only version 1 is understood'],
      transport: [(v) => (AGENT_TRANSPORTS as readonly string[]).includes(v), 'expected callback, smb or auto'],
      wait: [(v) => /^[1-9][0-9]{0,4}$/.test(v) && validWait(Number(v)), `expected 1..${JOB_LIMITS.maxWaitSeconds} seconds`],
    };
    const rule = Object.hasOwn(check, key) ? check[key] : undefined;
    if (!rule) throw new JobFileError(line, `unknown key '${key.slice(0, 40)}'`);
    if (seen.has(key)) throw new JobFileError(line, `${key}: given twice`);
    if (!rule[0](value)) throw new JobFileError(line, `${key}: ${rule[1]}`);
    seen.set(key, value);
  }
  const transport = (seen.get('transport') ?? 'callback') as AgentTransport;
  if (transport === 'smb') {
    // The smb transport never contacts a console: a job that names one is not understood.
    if (consoles.length > 0) throw new JobFileError(0, 'console: not allowed with transport=smb');
    for (const key of ['fingerprint', 'token']) if (seen.has(key)) throw new JobFileError(0, `${key}: not allowed with transport=smb`);
  } else {
    if (consoles.length === 0) throw new JobFileError(0, 'missing key: console');
    for (const key of ['fingerprint', 'token']) if (!seen.has(key)) throw new JobFileError(0, `missing key: ${key}`);
  }
  if (seen.has('wait') && transport !== 'auto') throw new JobFileError(0, 'wait: only with transport=auto');
  for (const key of ['run', 'package', 'size', 'sha256']) if (!seen.has(key)) throw new JobFileError(0, `missing key: ${key}`);
  return {
    ...(seen.has('transport') ? { transport } : {}),
    ...(transport === 'auto' ? { waitSeconds: Number(seen.get('wait') ?? JOB_LIMITS.defaultWaitSeconds) } : {}),
    consoles,
    fingerprint: transport === 'smb' ? '' : parseHash(seen.get('fingerprint')!)!,
    token: transport === 'smb' ? '' : seen.get('token')!,
    runId: seen.get('run')!,
    packageId: seen.get('package')!,
    size: Number(seen.get('size')),
    sha256: parseHash(seen.get('sha256')!)!,
  };
}
