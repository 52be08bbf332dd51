// What an agent does when the console's package server says "not now": HTTP 429 (the
// per-address rate limit in packageServer.ts) or 503. The native agent (agent/src/console.h,
// CONSOLE_BUSY_*) and the simulated lab agent (main/lab/agent/simAgent.ts) follow the same rules:
// wait Retry-After and send the same request again, a bounded number of times per request and
// within a back-off budget per run; after that the refusal is the answer, and the agent's existing
// failure path runs with the reason "the console kept refusing: rate limited".

/**
 * What the agent asks msiexec to do with the package (`action` in `GET /v1/job`; absent = install,
 * so an agent and a console of different ages still agree): `/i`, `/x` or `/fvomus` (agent/README.md,
 * "Actions"). The package's MSI is downloaded and verified for all three: it names the product.
 */
export const PUSH_ACTIONS = ['install', 'uninstall', 'repair'] as const;
/** How the agent gets its package and gives its result (agent/README.md "Transports"). */
export const AGENT_TRANSPORTS = ['callback', 'smb', 'auto'] as const;
export type AgentTransport = (typeof AGENT_TRANSPORTS)[number];
export type PushAction = (typeof PUSH_ACTIONS)[number];

/** msiexec's switch per action, as the native agent builds it (agent/src/install.c). */
export const MSIEXEC_SWITCH: Readonly<Record<PushAction, string>> = { install: '/i', uninstall: '/x', repair: '/fvomus' };

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
}

export function jobAnswer(j: { runId: string; parameters: string; runAs: 'admin' | 'system'; action?: PushAction | undefined; files: readonly { name: string; size: number; sha256: string; role: string }[] }): JobAnswer {
  return { runId: j.runId, parameters: j.parameters, runAs: j.runAs, action: j.action ?? 'install', files: j.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, role: f.role })) };
}
