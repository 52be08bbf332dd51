// The 'slow-link' profile: a host's link carries at most `bytesPerSec` each way, shared by its
// connections. A byte budget per direction advances with every chunk; the caller waits until its
// bytes would have crossed the link. No timer runs while the link is idle.
export type Direction = 'in' | 'out';

export class LinkThrottle {
  private readonly busyUntil: Record<Direction, number> = { in: 0, out: 0 };

  constructor(readonly bytesPerSec: number) {
    if (!(bytesPerSec > 0)) throw new RangeError('a slow link needs bandwidthBytesPerSec > 0');
  }

  /** Books `bytes` on the link; returns how many ms from now they finish crossing it. */
  book(direction: Direction, bytes: number, now = Date.now()): number {
    const start = Math.max(now, this.busyUntil[direction]);
    this.busyUntil[direction] = start + (bytes * 1000) / this.bytesPerSec;
    return this.busyUntil[direction] - now;
  }
}
