/** The dashboard's hooks: data loading with polling, the live stream, the clock, the URL. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { adaptLogLines, adaptStreamEvent } from './api/adapters.js';
import type { LogLine, StreamEvent } from './api/types.js';
import { EVENT_NAMES, parseData, reconnectDelay, topicOf } from './lib/stream-topics.js';

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /** Loads again, keeping the current data on screen meanwhile. */
  reload(): void;
}

/**
 * Loads `load()` when `deps` change (dropping the old data) and on `reload()` or every `pollMs`
 * while the page is visible (keeping it). Answers to superseded requests are ignored.
 */
export function useResource<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  opts: { pollMs?: number } = {},
): Resource<T> {
  const [state, setState] = useState<{ data: T | undefined; error: Error | undefined; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const depsKey = JSON.stringify(deps);
  const lastDeps = useRef(depsKey);

  useEffect(() => {
    const mine = ++seq.current;
    const fresh = lastDeps.current !== depsKey;
    lastDeps.current = depsKey;
    setState((s) => (fresh ? { data: undefined, error: undefined, loading: true } : { ...s, loading: true }));
    loadRef.current().then(
      (data) => {
        if (mine === seq.current) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (mine === seq.current)
          setState((s) => ({
            data: s.data,
            error: error instanceof Error ? error : new Error(String(error)),
            loading: false,
          }));
      },
    );
  }, [depsKey, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  usePoll(reload, opts.pollMs);
  return { ...state, reload };
}

/** Calls `fn` every `ms` while the tab is visible, and once when it becomes visible again. */
export function usePoll(fn: () => void, ms: number | undefined): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    if (ms === undefined || ms <= 0) return;
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') ref.current();
    }, ms);
    const onVisible = () => {
      if (document.visibilityState === 'visible') ref.current();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(id);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [ms]);
}

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'off';

/**
 * Follows the server's event stream at `url` (null: none). EventSource reconnects by itself
 * (sending Last-Event-ID); when the server refuses or closes the stream for good, this opens a
 * new one after a growing delay.
 */
export function useStream(
  url: string | null,
  handlers: { onEvent?: (e: StreamEvent) => void; onLog?: (lines: LogLine[]) => void; onOpen?: () => void },
): StreamState {
  const [state, setState] = useState<StreamState>(url === null ? 'off' : 'connecting');
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    if (url === null || typeof EventSource === 'undefined') {
      setState('off');
      return;
    }
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let stopped = false;
    const onMessage = (ev: Event) => {
      const m = ev as MessageEvent<string>;
      const data = parseData(m.data);
      const id = m.lastEventId === '' ? null : m.lastEventId;
      if (topicOf(m.type, data) === 'logs') {
        const lines = adaptLogLines(data, id);
        if (lines.length > 0) ref.current.onLog?.(lines);
      } else {
        ref.current.onEvent?.(adaptStreamEvent(data, id));
      }
    };
    const open = () => {
      setState(attempt === 0 ? 'connecting' : 'reconnecting');
      const s = new EventSource(url);
      source = s;
      s.onopen = () => {
        attempt = 0;
        setState('live');
        ref.current.onOpen?.();
      };
      s.onerror = () => {
        if (stopped) return;
        if (s.readyState === EventSource.CLOSED) {
          s.close();
          timer = setTimeout(open, reconnectDelay(attempt++));
        }
        setState('reconnecting');
      };
      for (const name of ['message', ...EVENT_NAMES.events, ...EVENT_NAMES.logs])
        s.addEventListener(name, onMessage);
    };
    open();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      source?.close();
    };
  }, [url]);
  return state;
}

/**
 * The current time, for "3 min ago": read at every render (so an item that just arrived is never
 * "in 6 s" on a clock last read before it came), and a render at least every `ms`.
 */
export function useNow(ms = 15_000): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => setTick((t) => t + 1), ms);
    return () => clearInterval(id);
  }, [ms]);
  return Date.now();
}

/** The browser's location, following pushState navigation and the back button. */
export function useLocation(): { pathname: string; search: string } {
  const read = () => ({ pathname: location.pathname, search: location.search });
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const on = () => setLoc(read());
    addEventListener('popstate', on);
    addEventListener(NAVIGATE, on);
    return () => {
      removeEventListener('popstate', on);
      removeEventListener(NAVIGATE, on);
    };
  }, []);
  return loc;
}

const NAVIGATE = 'tandem:navigate';

/** Goes to a dashboard URL without reloading the page. */
export function navigate(href: string, opts: { replace?: boolean } = {}): void {
  if (href === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  dispatchEvent(new Event(NAVIGATE));
}
