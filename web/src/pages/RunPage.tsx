import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import type { Run, RunJob } from '../api/types.js';
import { StateBadge } from '../components/Badge.js';
import { DagGraph } from '../components/DagGraph.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Link } from '../components/Link.js';
import { LogView } from '../components/LogView.js';
import { StreamIndicator } from '../components/StreamIndicator.js';
import { useApp } from '../context.js';
import { navigate, useNow, useResource, useStream } from '../hooks.js';
import { coalesce } from '../lib/coalesce.js';
import { formatDateTime, formatDuration, NO_DATA, shortSha } from '../lib/format.js';
import { canRerun } from '../lib/roles.js';
import { hrefOf } from '../lib/routes.js';
import { useJobLog } from '../use-job-log.js';

const FINAL = new Set(['passed', 'failed', 'cached', 'skipped', 'cancelled']);

/** One run: its job graph with each job's state, the jobs' reasons, live logs, and re-run. */
export function RunPage({ id, job }: { id: string; job: string | null }) {
  const { client, session, announce } = useApp();
  const now = useNow(1000);
  const [running, setRunning] = useState(true);
  const run = useResource(() => client.run(id), [id], { pollMs: running ? 3000 : 0 });
  useEffect(() => {
    if (run.data !== undefined) setRunning(run.data.status === 'running' || run.data.status === 'pending');
  }, [run.data]);
  const refresh = useMemo(() => coalesce(run.reload, 500), [run.reload]);
  useEffect(() => refresh.cancel, [refresh]);

  const stream = useStream(client.streamUrl({ topics: ['events'], types: ['pipeline.'] }), {
    onEvent: (e) => {
      if (e.runId === null || e.runId === id) refresh();
    },
  });

  const jobs = run.data?.jobs ?? [];
  const selected = job ?? defaultJob(jobs);
  const selectedJob = jobs.find((j) => j.name === selected);
  const finished = selectedJob !== undefined && FINAL.has(selectedJob.status);
  const didRun =
    selectedJob !== undefined && selectedJob.status !== 'pending' && selectedJob.status !== 'skipped';
  // The job's (masked) log: its tail, then live from the stream while it runs.
  const log = useJobLog(client, id, selected, !didRun ? 'none' : finished ? 'final' : 'running');
  const missing = log.error instanceof ApiError && log.error.status === 404;

  const [rerunning, setRerunning] = useState(false);
  const [rerunError, setRerunError] = useState<Error | null>(null);
  const rerun = async () => {
    setRerunning(true);
    setRerunError(null);
    try {
      const out = await client.rerun(id);
      if (out.runId === null) {
        announce(
          out.status === 'reused'
            ? `Release ${out.release ?? ''} of this commit exists already: nothing ran again`
            : `Run ${id} started again`,
        );
      } else {
        announce(`Started run ${out.runId}`);
        navigate(hrefOf({ name: 'run', id: out.runId, job: null }));
      }
    } catch (err) {
      setRerunError(err as Error);
    } finally {
      setRerunning(false);
    }
  };

  return (
    <>
      <p class="crumbs">
        <Link href="/pipelines">Pipelines</Link> / <span>{id}</span>
      </p>
      <div class="page-head">
        <h1>
          Run <code>{id}</code>
        </h1>
        {run.data !== undefined && <StateBadge state={run.data.status} testid="run-status" />}
        <StreamIndicator state={stream} />
        {canRerun(session.principal.roles) && run.data !== undefined && (
          <button
            type="button"
            class="primary push-right"
            onClick={rerun}
            disabled={rerunning || run.data.status === 'running'}
            data-testid="rerun"
          >
            {rerunning ? 'Starting…' : 'Re-run'}
          </button>
        )}
      </div>
      {rerunError !== null && <ErrorBox error={rerunError} />}
      {run.error !== undefined && <ErrorBox error={run.error} onRetry={run.reload} />}
      {run.data === undefined && run.error === undefined && <p class="muted">Loading…</p>}
      {run.data !== undefined && <RunFacts run={run.data} now={now} />}
      {run.data !== undefined && (
        <section aria-labelledby="graph-title">
          <h2 id="graph-title">Jobs</h2>
          <DagGraph
            jobs={jobs}
            now={now}
            selected={selected}
            hrefOf={(j) => hrefOf({ name: 'run', id, job: j })}
          />
          <JobTable jobs={jobs} runId={id} selected={selected} now={now} />
        </section>
      )}
      {run.data !== undefined && (
        <section aria-labelledby="log-title">
          <h2 id="log-title">
            {selected === null ? 'Log' : <>Log of {selected}</>}
            {selectedJob !== undefined && <StateBadge state={selectedJob.status} />}
          </h2>
          {log.stream !== 'off' && <StreamIndicator state={log.stream} testid="log-stream-state" />}
          {selectedJob?.reason && <p class="reason">{selectedJob.reason}</p>}
          {log.error !== undefined && !missing && <ErrorBox error={log.error} />}
          {log.truncated && <p class="muted">Only the end of the log is shown.</p>}
          <LogView
            lines={log.lines}
            label={selected === null ? `Log of run ${id}` : `Log of ${selected}`}
            empty={
              selectedJob === undefined
                ? 'Choose a job to see its log.'
                : selectedJob.status === 'cached'
                  ? 'Restored from the cache: the job did not run.'
                  : selectedJob.status === 'skipped'
                    ? 'Skipped: the job did not run.'
                    : selectedJob.status === 'pending'
                      ? 'Waiting for the jobs it needs…'
                      : !finished
                        ? 'Waiting for output…'
                        : missing
                          ? 'No log is available for this job.'
                          : 'The job wrote nothing.'
            }
          />
        </section>
      )}
    </>
  );
}

function RunFacts({ run, now }: { run: Run; now: number }) {
  const counts = new Map<string, number>();
  for (const j of run.jobs) counts.set(j.status, (counts.get(j.status) ?? 0) + 1);
  return (
    <dl class="facts">
      <div>
        <dt>Branch</dt>
        <dd>{run.branch ?? NO_DATA}</dd>
      </div>
      <div>
        <dt>Commit</dt>
        <dd>
          <code title={run.commit ?? undefined}>{shortSha(run.commit)}</code>
        </dd>
      </div>
      <div>
        <dt>Started</dt>
        <dd>{run.startedAt === null ? NO_DATA : formatDateTime(run.startedAt)}</dd>
      </div>
      <div>
        <dt>Duration</dt>
        <dd data-testid="run-duration">
          {run.status === 'running' && run.startedAt !== null
            ? `${formatDuration(now - run.startedAt)}…`
            : formatDuration(run.durationMs)}
        </dd>
      </div>
      {run.trigger !== null && (
        <div>
          <dt>Why</dt>
          <dd>{run.trigger}</dd>
        </div>
      )}
      <div>
        <dt>Jobs</dt>
        <dd>{[...counts.entries()].map(([s, n]) => `${n} ${s}`).join(', ') || NO_DATA}</dd>
      </div>
    </dl>
  );
}

function JobTable(props: { jobs: RunJob[]; runId: string; selected: string | null; now: number }) {
  const { jobs, runId, selected, now } = props;
  return (
    <div class="table-scroll">
      <table class="grid-table" data-testid="jobs-table">
        <caption class="sr-only">Jobs of the run, in plan order</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Duration
            </th>
            <th scope="col" class="num">
              Attempts
            </th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr
              key={j.name}
              data-testid="job-row"
              data-job={j.name}
              data-status={j.status}
              class={selected === j.name ? 'selected' : ''}
            >
              <th scope="row">
                <Link
                  href={hrefOf({ name: 'run', id: runId, job: j.name })}
                  aria-current={selected === j.name ? 'true' : undefined}
                >
                  {j.name}
                </Link>
              </th>
              <td>
                <StateBadge state={j.status} />
              </td>
              <td class="num">
                {j.status === 'running' && j.startedAt !== null
                  ? `${formatDuration(now - j.startedAt)}…`
                  : formatDuration(j.durationMs)}
              </td>
              <td class="num">{j.attempts || NO_DATA}</td>
              <td class="reason-cell">
                {j.reason ?? (j.needs.length > 0 ? `needs ${j.needs.join(', ')}` : '')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The job worth looking at first: the one running, else the first that failed. */
function defaultJob(jobs: readonly RunJob[]): string | null {
  return (
    jobs.find((j) => j.status === 'running')?.name ??
    jobs.find((j) => j.status === 'failed')?.name ??
    jobs[0]?.name ??
    null
  );
}
