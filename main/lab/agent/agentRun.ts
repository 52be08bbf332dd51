// What every step of one run of the simulated agent shares: the host and the service it runs as,
// the options, the stop signal, the run's time-stamped log, its 429/503 back-off, and the files
// it writes next to its exe.
import { AGENT_BUSY_RETRY } from '../../server/agentProtocol.js';
import { adminSharePathOf, labPathKey, type LabHostState, type LabService } from '../hostState.js';
import { sleep } from './agentExit.js';
import type { RestartPlan } from './agentRestart.js';
import type { BusyBackoff, ConsoleClientOptions } from './consoleClient.js';

export interface SimAgentOptions {
  /** Extra TLS options for the callback (ciphers, versions…); the pin and the source address are the agent's. */
  readonly tls?: ConsoleClientOptions['tls'];
  /** Lines of the agent's log, as they are written (the lab's own log). */
  readonly log?: (line: string) => void;
  /** Rounds over every console address and the stoppable pause between them. The real agent: 3 rounds, 1 s then 2 s; the lab: 2 rounds, 200 ms. */
  readonly retry?: { readonly rounds: number; readonly backoffMs: number };
  readonly connectTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  /** slow-link without LabHostConfig.bandwidthBytesPerSec. */
  readonly defaultSlowLinkBytesPerSec?: number;
  /** The 429/503 back-off bounds; default AGENT_BUSY_RETRY's (5 retries per request, 300 s per run). */
  readonly busyRetry?: { readonly retriesPerRequest?: number; readonly budgetSeconds?: number };
  readonly now?: () => Date;
}

export interface AgentRun {
  readonly state: LabHostState;
  readonly service: LabService;
  readonly options: SimAgentOptions;
  readonly signal: AbortSignal;
  readonly now: () => Date;
  /** The agent's exe on ADMIN$ (its labPathKey), null when the service's binary is elsewhere. */
  readonly exe: string | null;
  /** The run's log so far, each line time-stamped: the agent's .log file and a reported failure's log. */
  readonly lines: string[];
  log(line: string): void;
  /** HTTP 429/503: waited out and sent again by each client (ConsoleClient.send), within one budget per run. */
  readonly busy: BusyBackoff;
  /** Writes `<exe><suffix>` next to the exe (nothing when there is no exe). */
  writeAgentFile(suffix: string, text: string): void;
  removeAgentFile(suffix: string): void;
  /** The host is going down (SERVICE_CONTROL_SHUTDOWN), not a STOP: set before the signal fires. */
  shutdown: boolean;
  /** A restart the agent scheduled after its result: it runs until the host goes down (agentRestart.ts). */
  restart: RestartPlan | null;
}

export function createRun(state: LabHostState, service: LabService, options: SimAgentOptions, signal: AbortSignal): AgentRun {
  const now = options.now ?? (() => new Date());
  const exe = adminSharePathOf(service.binaryPath);
  const lines: string[] = [];
  const log = (line: string) => {
    const stamped = `${now().toISOString()} ${line}`;
    lines.push(stamped);
    options.log?.(`${state.config.name}: ${line}`);
  };
  return {
    state,
    service,
    options,
    signal,
    now,
    exe,
    lines,
    log,
    busy: { ...AGENT_BUSY_RETRY, ...options.busyRetry, spentMs: 0, wait: (ms) => sleep(ms, signal), log },
    writeAgentFile(suffix, text) {
      if (!exe) return;
      const key = labPathKey(`${exe}${suffix}`);
      state.files.set(key, Buffer.from(text, 'utf8'));
      state.names.set(key, `${state.names.get(exe) ?? exe}${suffix}`);
    },
    shutdown: false,
    restart: null,
    removeAgentFile(suffix) {
      if (!exe) return;
      const key = labPathKey(`${exe}${suffix}`);
      state.files.delete(key);
      state.names.delete(key);
    },
  };
}
