// What an agent does when the console's package server says "not now": HTTP 429 (the
// per-address rate limit in packageServer.ts) or 503. The native agent (agent/src/console.h,
// CONSOLE_BUSY_*) and the simulated lab agent (main/lab/agent/simAgent.ts) follow the same rules:
// wait Retry-After and send the same request again, a bounded number of times per request and
// within a back-off budget per run; after that the refusal is the answer, and the agent's existing
// failure path runs with the reason "the console kept refusing: rate limited".

/**
 * What the agent asks msiexec to do with the package (`action` in `GET /v1/job`; absent = install,
 * so an agent and a console of different ages still agree): `/i`, `/x` or `/fvomus` (agent/README.md,
 * "Actions"). The package's MSI is downloaded and verified for those three: it names the product.
 * `restart` runs no msiexec and downloads nothing (its files may be empty): the agent applies the
 * job's restart policy as after a 3010 and ends with 0.
 */
export const PUSH_ACTIONS = ['install', 'uninstall', 'repair', 'restart'] as const;
/** How the agent gets its package and gives its result (agent/README.md "Transports"). */
export const AGENT_TRANSPORTS = ['callback', 'smb', 'auto'] as const;
export type AgentTransport = (typeof AGENT_TRANSPORTS)[number];
export type PushAction = (typeof PUSH_ACTIONS)[number];

/** msiexec's switch per action, as the native agent builds it (agent/src/install.c); `restart` runs no msiexec. */
export const MSIEXEC_SWITCH: Readonly<Partial<Record<PushAction, string>>> = { install: '/i', uninstall: '/x', repair: '/fvomus' };

/**
 * The console's restart policy, `restart` in the job (the GET /v1/job answer and the SMB manifest;
 * absent or null = none; agent/src/restart.c). The agent applies it only after msiexec's 3010
 * (agent code 103010) and for the action `restart`; 1641 (msiexec started a restart itself) is left alone.
 * - none: no restart;
 * - now: restart in `graceSeconds` (0..86400; absent 300);
 * - when-idle: as now when nobody is logged on; with a user logged on, as ask;
 * - ask: the restart scheduled at the deadline, `forceAfterSeconds` away (60..604800; absent 28800),
 *   and the user asked (`message`, ≤ 512 characters, no control characters) every `graceSeconds`
 *   (60 when 0): yes → the restart 30 s later.
 */
export const RESTART_POLICIES = ['none', 'when-idle', 'ask', 'now'] as const;
export type RestartPolicyName = (typeof RESTART_POLICIES)[number];
export interface RestartPolicy {
  readonly policy: RestartPolicyName;
  readonly graceSeconds: number;
  readonly forceAfterSeconds: number;
  readonly message: string;
}

/** What the agent did about a restart, `restart` in its result (POST /v1/result and `<exe>.result`). */
export const RESTART_STATES = ['scheduled', 'refused', 'left-to-msiexec', 'not-needed'] as const;
export type RestartState = (typeof RESTART_STATES)[number];
export interface RestartReport {
  readonly state: RestartState;
  readonly policy?: RestartPolicyName;
  /** ISO 8601 UTC: the latest moment the computer restarts (scheduled). */
  readonly at?: string;
  /** Scheduled: the logged-on user is asked (ask; when-idle with a user logged on). */
  readonly asked?: boolean;
  /** Refused: InitiateShutdownW's Win32 error (1115: a shutdown is already in progress). */
  readonly win32?: number;
}

export const AGENT_BUSY_RETRY = {
  /** The statuses that mean "wait and ask again". */
  statuses: [429, 503] as readonly number[],
  /** Retries per request after a 429/503 (so at most 1 + 5 tries). */
  retriesPerRequest: 5,
  /** Back-off per run, all requests together. */
  budgetSeconds: 300,
  /** Retry-After missing or not delta-seconds (an HTTP-date, say). */
  defaultSeconds: 5,
  /** Retry-After is clamped to min..max seconds. */
  minSeconds: 1,
  maxSeconds: 60,
} as const;

/** The seconds to wait for a Retry-After header value: delta-seconds (RFC 9110 §10.2.3), clamped; anything else the default. */
export function retryAfterSeconds(header: string | readonly string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  const m = typeof value === 'string' ? /^[ \t]*(\d+)[ \t]*$/.exec(value) : null;
  if (!m) return AGENT_BUSY_RETRY.defaultSeconds;
  const seconds = Number(m[1]);
  return Math.min(AGENT_BUSY_RETRY.maxSeconds, Math.max(AGENT_BUSY_RETRY.minSeconds, seconds));
}

/**
 * What the agent is told to do: the answer to `GET /v1/job`, and with the SMB transport the
 * manifest `<exe>.pkg` the console writes beside it (agent/README.md "Transports"); one shape,
 * so the agent reads both with one parser (agent/src/jobresponse.c).
 */
export interface JobAnswer {
  readonly runId: string;
  readonly parameters: string;
  readonly runAs: 'admin' | 'system';
  readonly action: PushAction;
  readonly files: readonly { readonly name: string; readonly size: number; readonly sha256: string; readonly role: string }[];
  /** The restart policy; absent = none. */
  readonly restart?: RestartPolicy;
}

export function jobAnswer(j: {
  runId: string; parameters: string; runAs: 'admin' | 'system'; action?: PushAction | undefined;
  files: readonly { name: string; size: number; sha256: string; role: string }[]; restart?: RestartPolicy | undefined;
}): JobAnswer {
  return {
    runId: j.runId, parameters: j.parameters, runAs: j.runAs, action: j.action ?? 'install',
    // A restart task runs no msiexec and sends no file.
    files: j.action === 'restart' ? [] : j.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, role: f.role })),
    ...(j.restart && j.restart.policy !== 'none' ? { restart: j.restart } : {}),
  };
}

/** The `restart` member of an agent's result, checked; null when absent or not understood (the install result stands either way). */
export function parseRestartReport(value: unknown): RestartReport | null {
  const v = value as Partial<Record<keyof RestartReport, unknown>> | null | undefined;
  if (!v || typeof v !== 'object' || !(RESTART_STATES as readonly unknown[]).includes(v.state)) return null;
  const at = typeof v.at === 'string' && Number.isFinite(Date.parse(v.at)) ? { at: new Date(Date.parse(v.at)).toISOString() } : {};
  return {
    state: v.state as RestartState,
    ...((RESTART_POLICIES as readonly unknown[]).includes(v.policy) ? { policy: v.policy as RestartPolicyName } : {}),
    ...at,
    ...(typeof v.asked === 'boolean' ? { asked: v.asked } : {}),
    ...(Number.isInteger(v.win32) ? { win32: v.win32 as number } : {}),
  };
}
