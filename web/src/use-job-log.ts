/**
 * A pipeline job's log, live: the tail from GET /runs/:id/jobs/:job/log, then the stream's
 * `joblog` messages from that byte offset until the job ends. The stream is reopened by hand
 * (with the offset reached) rather than by EventSource's own reconnect, whose URL would replay
 * lines already shown. Without EventSource it reads on from the offset every 2 s.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Client } from './api/client.js';
import type { StreamState } from './hooks.js';
import { applyMessage, EMPTY_LOG, fromSlice, type JobLogView, parseJobLogMessage } from './lib/job-log.js';
import { parseData, reconnectDelay } from './lib/stream-topics.js';

export interface JobLogResource extends JobLogView {
  error: Error | undefined;
  loading: boolean;
  stream: StreamState;
}

/** `phase`: none (no log: pending, skipped), running (follow it), final (read it once). */
export function useJobLog(
  client: Client,
  runId: string,
  job: string | null,
  phase: 'none' | 'running' | 'final',
): JobLogResource {
  const [view, setView] = useState<JobLogView>(EMPTY_LOG);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [stream, setStream] = useState<StreamState>('off');
  const shown = useRef<string | null>(null);

  useEffect(() => {
    // Another job starts empty; the same job that just ended keeps its lines while read again.
    const key = `${runId}\n${job ?? ''}`;
    if (shown.current !== key) setView(EMPTY_LOG);
    shown.current = key;
    setError(undefined);
    setStream('off');
    if (job === null || phase === 'none') {
      setLoading(false);
      return;
    }
    let stopped = false;
    let current = EMPTY_LOG;
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    const update = (next: JobLogView) => {
      current = next;
      setView(next);
    };

    const follow = () => {
      if (stopped || current.complete || current.offset === null) return;
      if (typeof EventSource === 'undefined') {
        timer = setTimeout(poll, 2000);
        return;
      }
      setStream(attempt === 0 ? 'connecting' : 'reconnecting');
      const s = new EventSource(
        client.streamUrl({ topics: ['joblog'], run: runId, job, offset: current.offset }),
      );
      source = s;
      s.onopen = () => {
        attempt = 0;
        setStream('live');
      };
      s.addEventListener('joblog', (ev) => {
        const m = parseJobLogMessage(parseData((ev as MessageEvent<string>).data));
        if (m === undefined) return;
        update(applyMessage(current, m));
        if (current.complete) {
          s.close();
          setStream('off');
        }
      });
      s.onerror = () => {
        s.close();
        if (stopped) return;
        setStream('reconnecting');
        timer = setTimeout(follow, reconnectDelay(attempt++));
      };
    };

    const poll = () => {
      client.jobLog(runId, job, { offset: current.offset ?? 0 }).then(
        (slice) => {
          if (stopped) return;
          update(applyMessage(current, { lines: slice.lines, offset: slice.offset, done: slice.complete }));
          if (!current.complete) timer = setTimeout(poll, 2000);
        },
        () => {
          if (!stopped) timer = setTimeout(poll, 2000);
        },
      );
    };

    setLoading(true);
    client.jobLog(runId, job).then(
      (slice) => {
        if (stopped) return;
        setLoading(false);
        update(fromSlice(slice));
        if (phase === 'running') follow();
      },
      (err: unknown) => {
        if (stopped) return;
        setLoading(false);
        setError(err instanceof Error ? err : new Error(String(err)));
      },
    );
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      source?.close();
    };
  }, [client, runId, job, phase]);

  return { ...view, error, loading, stream };
}
