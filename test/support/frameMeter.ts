// A page's frame times and long tasks while a test drives it (the recorder historyLoad.test.ts
// uses): start() installs it, stop() ends it and answers the figures — frames between animation
// frames (median, p95, max) and Long Tasks API entries (main-thread work of 50 ms or more).
import type { Page } from 'playwright-core';

const FRAME_RECORDER = `(() => {
  window.__frames = [];
  window.__long = [];
  window.__longObserver?.disconnect();
  window.__longObserver = new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); });
  window.__longObserver.observe({ type: 'longtask' });
  window.__stop = false;
  let last = performance.now();
  const loop = (t) => { window.__frames.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
})()`;

export interface FrameStats {
  readonly frames: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly longTasks: number;
  readonly longestTask: number;
  /** The time the frames cover, in ms. */
  readonly measured: number;
}

export async function startFrames(page: Page): Promise<void> {
  await page.evaluate(FRAME_RECORDER);
}

export async function stopFrames(page: Page): Promise<FrameStats> {
  const frames = (await page.evaluate('window.__stop = true, window.__frames')) as number[];
  const long = (await page.evaluate('window.__longObserver.disconnect(), window.__long')) as number[];
  const sorted = [...frames].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Infinity;
  return {
    frames: frames.length,
    p50: at(0.5),
    p95: at(0.95),
    max: sorted.at(-1) ?? Infinity,
    longTasks: long.length,
    longestTask: Math.max(0, ...long),
    measured: frames.reduce((a, b) => a + b, 0),
  };
}

/** The figures on one line, for the test's log. */
export function describeFrames(what: string, s: FrameStats): string {
  return `${what}: ${s.frames} frames in ${(s.measured / 1000).toFixed(1)} s, median ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, max ${s.max.toFixed(1)} ms; ${s.longTasks} long task(s), longest ${s.longestTask.toFixed(0)} ms`;
}

/** Runs `drive` with the recorder on; the figures of the frames it took. */
export async function measureFrames(page: Page, drive: () => Promise<void>): Promise<FrameStats> {
  await startFrames(page);
  await drive();
  return stopFrames(page);
}

/**
 * Scrolls a grid (its scrolling box, by test id) as an admin would, one step per animation frame:
 * `wheel` wheel-sized steps down, a drag of the thumb to the end in `drag` frames, and `wheel`
 * steps back up.
 */
export async function scrollGrid(page: Page, testId: string, o: { wheel: number; drag: number }): Promise<void> {
  await page.evaluate(`(async () => {
    const el = document.querySelector('[data-testid="${testId}"]');
    if (!el) throw new Error('no ${testId}');
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    for (let i = 0; i < ${o.wheel}; i++) { el.scrollTop += 300; await frame(); }
    const step = (el.scrollHeight - el.clientHeight - el.scrollTop) / ${o.drag};
    for (let i = 0; i < ${o.drag}; i++) { el.scrollTop += step; await frame(); }
    el.scrollTop = el.scrollHeight;
    await frame();
    for (let i = 0; i < ${o.wheel}; i++) { el.scrollTop -= 300; await frame(); }
  })()`);
}

/** Scrolls a grid back to its top and waits three frames for its rows to be painted. */
export async function scrollGridToTop(page: Page, testId: string): Promise<void> {
  await page.evaluate(`(async () => {
    document.querySelector('[data-testid="${testId}"]').scrollTop = 0;
    for (let i = 0; i < 3; i++) await new Promise((resolve) => requestAnimationFrame(resolve));
  })()`);
}
