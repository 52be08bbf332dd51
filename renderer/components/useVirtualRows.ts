// The window of rows a virtualised grid puts in the DOM: those in view plus a margin, from its
// scroll position and height (followed with a ResizeObserver); kept inside the list when rows go.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';

export const ROW_HEIGHT = 30;
const OVERSCAN = 8;

export function useVirtualRows(count: number) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    setHeight(el.clientHeight || 600);
    const observer = new ResizeObserver(() => setHeight(el.clientHeight || 600));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Rows removed under the scroll position: keep the window inside the list.
  useEffect(() => {
    const el = box.current;
    if (el && scrollTop > count * ROW_HEIGHT) el.scrollTop = Math.max(0, count * ROW_HEIGHT - height);
  }, [count, scrollTop, height]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(count, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  return { box, height, first, last, onScroll: (top: number) => setScrollTop(top) };
}
