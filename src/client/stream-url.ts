/** The query of the live stream (GET /api/v1/stream), as an EventSource URL needs it. */
export interface StreamQuery {
  topics: ReadonlyArray<'events' | 'logs' | 'joblog'>;
  environment?: string;
  service?: string;
  /** The instance whose log lines `logs` follows (the server requires one for that topic). */
  instance?: string;
  /** Event type prefixes (`pipeline.`, `rollout.`). */
  types?: readonly string[];
  /** The pipeline run and job whose log `joblog` follows, from byte `offset` (its tail without). */
  run?: string;
  job?: string;
  offset?: number;
}

/** `/stream?…`, relative to /api/v1; empty parts are left out. */
export function streamPath(q: StreamQuery): string {
  const params = new URLSearchParams();
  const set = (k: string, v: string | number | undefined) => {
    if (v !== undefined && v !== '') params.set(k, String(v));
  };
  set('topics', q.topics.join(','));
  set('environment', q.environment);
  set('service', q.service);
  set('instance', q.instance);
  set('types', q.types?.join(','));
  set('run', q.run);
  set('job', q.job);
  set('offset', q.offset);
  const s = params.toString();
  return s === '' ? '/stream' : `/stream?${s}`;
}
