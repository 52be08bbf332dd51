// The credits one connection holds (MS-SMB2 3.2.4.1.5): a request takes what it is
// charged or waits for a response to grant more; with no request outstanding none can come, so
// the wait ends at once with an error instead of never.
import { SmbProtocolError, SmbTransportError } from './errors.js';

export class CreditPool {
  private credits = 1;
  /** Each returns true once it has taken its credits (or failed) and may be dropped. */
  private waiters: (() => boolean)[] = [];

  constructor(
    private readonly timeoutMs: number,
    /** Requests sent and not yet answered: the responses that may still grant credits. */
    private readonly outstanding: () => number,
    private readonly closed: () => boolean,
  ) {}

  /** Takes `charge` credits (at least 1), waiting for responses to grant them if need be. */
  take(charge: number): Promise<void> {
    const need = Math.max(charge, 1);
    if (this.credits >= need) {
      this.credits -= need;
      return Promise.resolve();
    }
    // Only a response can grant credits: with none outstanding, waiting would never end (3.2.4.1.5).
    if (this.outstanding() === 0) {
      return Promise.reject(new SmbProtocolError(`The computer granted no credits for the next request (needs ${need}, has ${this.credits}).`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new SmbTransportError('timeout', 'The computer granted no credits for the next request in time.', 'The computer or the network is overloaded or stalled; retry.'));
      }, this.timeoutMs);
      const waiter = () => {
        if (!this.closed() && this.credits < need) {
          if (this.outstanding() > 0) return false;
          clearTimeout(timer);
          reject(new SmbProtocolError(`The computer granted no credits for the next request (needs ${need}, has ${this.credits}).`));
          return true;
        }
        clearTimeout(timer);
        if (!this.closed()) this.credits -= need;
        resolve();
        return true;
      };
      this.waiters.push(waiter);
    });
  }

  /** Adds what a response granted and lets waiters take theirs; grant(0) after close releases them all. */
  grant(n: number): void {
    this.credits += n;
    this.waiters = this.waiters.filter((waiter) => !waiter());
  }
}
