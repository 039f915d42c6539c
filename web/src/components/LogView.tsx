import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';

/**
 * Log lines, following the end while the reader is at the end (scrolling up stops following).
 * role="log": screen readers announce added lines politely.
 */
export function LogView({ lines, label, empty }: { lines: readonly string[]; label: string; empty: string }) {
  const ref = useRef<HTMLPreElement>(null);
  const follow = useRef(true);
  useEffect(() => {
    const el = ref.current;
    if (el === null) return;
    const onScroll = () => {
      follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    };
    el.addEventListener('scroll', onScroll);
    return () => el.removeEventListener('scroll', onScroll);
  }, []);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el !== null && follow.current) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: focusable so the log scrolls with the keyboard
    <pre class="log" role="log" aria-label={label} tabIndex={0} data-testid="log-view">
      {lines.length === 0 ? <span class="muted">{empty}</span> : lines.join('\n')}
    </pre>
  );
}
