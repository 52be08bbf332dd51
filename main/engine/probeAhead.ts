// Probing ahead of the push slots (docs/ARCHITECTURE.md §4). A push begins with a bare TCP connect
// to port 445; an offline computer that drops SYNs answers nothing, so its push used to hold one of
// the few push slots for the whole connect bound, and a task with many offline computers advanced
// one bound per slot-full of them. Here the next targets in the queue are probed while they wait —
// many at once, but only a bounded window ahead so results are fresh when used — and a push takes
// its target's probe instead of starting its own: an offline target then frees its slot as soon as
// it is taken, and the whole window's silent hosts cost one bound together.

import { SmbTransport } from '../smb/transport.js';

/** docs/ARCHITECTURE.md §3 step 1: a bare TCP connect to the SMB port, closed at once; throws the classified error (refused, unresolved, silent). */
export async function probeSmbPort(host: string, port: number, connectTimeoutMs: number): Promise<void> {
  const transport = await SmbTransport.connect({ host, port, connectTimeoutMs });
  transport.close();
}

export type ProbeOutcome =
  | { readonly ok: true; readonly ms: number; readonly at: number }
  | { readonly ok: false; readonly error: unknown; readonly ms: number; readonly at: number };

export interface ProbeAheadOptions {
  /** A bare connect to the target's SMB port; resolves when it answered, throws the classified error. */
  readonly probe: (targetId: number) => Promise<void>;
  /** Whether a target may be probed while it waits (default: every one). A LAPS target is not: nothing reaches its computer before its password is read. */
  readonly eligible?: (targetId: number) => boolean;
  /** How many queued targets, from the head, are probed ahead. */
  readonly window: () => number;
  /** How many probes run at once. */
  readonly maxActive: number;
  /** Called when a probe settles (the engine fills the window again). */
  readonly onSettled?: () => void;
  readonly now?: () => number;
}

/**
 * How long a probe is trusted when its push begins. An answer is cheap to get again, so an old one
 * is re-checked; a computer found offline minutes ago is still taken as offline (retry-when-offline
 * tries it again later), or one long install ahead of it would make it hold a slot for the bound.
 */
export const PROBE_FRESH_MS = { answered: 30_000, failed: 5 * 60_000 } as const;

/** Whether a probe may stand in for the push's own. */
export function probeIsFresh(outcome: ProbeOutcome, now = Date.now()): boolean {
  return now - outcome.at < (outcome.ok ? PROBE_FRESH_MS.answered : PROBE_FRESH_MS.failed);
}

export class ProbeAhead {
  private readonly started = new Map<number, Promise<ProbeOutcome>>();
  /** Targets in the window found not eligible, until they leave the line (bounded by the window). */
  private readonly ineligible = new Set<number>();
  private active = 0;
  /** The most probes that ran at once (tests read it). */
  peakActive = 0;

  constructor(private readonly o: ProbeAheadOptions) {}

  private get now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /** Starts probes for the first `window()` targets in line (in order, from the head) that have none, up to maxActive at once. */
  fill(queue: Iterable<{ readonly targetId: number }>): void {
    const end = this.o.window();
    let i = 0;
    for (const { targetId: id } of queue) {
      if (i++ >= end || this.active >= this.o.maxActive) break;
      if (this.started.has(id) || this.ineligible.has(id)) continue;
      // Asked once per wait (the engine reads the target's row): the window is walked at every settle.
      if (this.o.eligible && !this.o.eligible(id)) {
        this.ineligible.add(id);
        continue;
      }
      this.active++;
      this.peakActive = Math.max(this.peakActive, this.active);
      const t0 = this.now;
      const outcome = this.o.probe(id).then(
        (): ProbeOutcome => ({ ok: true, ms: this.now - t0, at: this.now }),
        (error: unknown): ProbeOutcome => ({ ok: false, error, ms: this.now - t0, at: this.now }),
      );
      this.started.set(id, outcome);
      void outcome.finally(() => {
        this.active--;
        this.o.onSettled?.();
      });
    }
  }

  /** The probe started for this target, handed over once (a later attempt probes afresh). */
  take(targetId: number): Promise<ProbeOutcome> | null {
    const outcome = this.started.get(targetId) ?? null;
    this.started.delete(targetId);
    this.ineligible.delete(targetId);
    return outcome;
  }

  /** Drops a target's probe (cancelled, or requeued for a retry). */
  forget(targetId: number): void {
    this.started.delete(targetId);
    this.ineligible.delete(targetId);
  }

  /** A target left the line for its turn: whether it was eligible is asked again if it waits again (its probe stays to be taken). */
  dequeued(targetId: number): void {
    this.ineligible.delete(targetId);
  }

  /** Probes held for targets not yet taken (bounded by the window plus cancelled leftovers). */
  get held(): number {
    return this.started.size;
  }
}
