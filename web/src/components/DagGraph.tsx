import { useMemo } from 'preact/hooks';
import type { RunJob } from '../api/types.js';
import { navigate } from '../hooks.js';
import { layoutDag } from '../lib/dag-layout.js';
import { formatDuration } from '../lib/format.js';

const GLYPH: Record<string, string> = {
  passed: '✓',
  cached: '↺',
  failed: '✕',
  cancelled: '⊘',
  skipped: '↷',
  running: '▶',
  pending: '○',
};

/**
 * A run's jobs as a graph: one box per job (state in colour, glyph and words), arrows from what
 * it needs. Each box is a link to the job's log (`?job=`), so the graph works with the keyboard.
 */
export function DagGraph(props: {
  jobs: RunJob[];
  selected: string | null;
  now: number;
  hrefOf(job: string): string;
}) {
  const { jobs, selected, hrefOf } = props;
  const layout = useMemo(() => layoutDag(jobs), [jobs]);
  const byName = useMemo(() => new Map(jobs.map((j) => [j.name, j])), [jobs]);
  const pad = 8;
  if (jobs.length === 0) return <p class="muted">This run has no jobs.</p>;
  return (
    <div class="dag-scroll">
      <svg
        class="dag"
        width={layout.width + 2 * pad}
        height={layout.height + 2 * pad}
        viewBox={`${-pad} ${-pad} ${layout.width + 2 * pad} ${layout.height + 2 * pad}`}
        aria-labelledby="dag-title"
        data-testid="dag"
      >
        <title id="dag-title">{`Job graph: ${jobs.length} jobs; each box links to its log`}</title>
        <defs>
          <marker
            id="dag-arrow"
            viewBox="0 0 8 8"
            refX="8"
            refY="4"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0 0L8 4L0 8z" class="dag-arrowhead" />
          </marker>
        </defs>
        {layout.edges.map((e) => (
          <path
            key={`${e.from}->${e.to}`}
            class={`dag-edge state-${byName.get(e.from)?.status ?? 'pending'}`}
            d={e.d}
            marker-end="url(#dag-arrow)"
          />
        ))}
        {layout.nodes.map((n) => {
          const job = byName.get(n.name)!;
          const href = hrefOf(job.name);
          const elapsed =
            job.status === 'running' && job.startedAt !== null
              ? `${formatDuration(props.now - job.startedAt)}…`
              : job.durationMs === null
                ? null
                : formatDuration(job.durationMs);
          const detail = [job.status, elapsed].filter((x) => x !== null).join(' · ');
          return (
            <a
              key={n.name}
              href={href}
              class={`dag-node state-${job.status}${selected === job.name ? ' selected' : ''}`}
              aria-label={`${job.name}: ${detail}${job.reason ? ` (${job.reason})` : ''}`}
              aria-current={selected === job.name ? 'true' : undefined}
              data-testid="dag-node"
              data-job={job.name}
              data-status={job.status}
              onClick={(e) => {
                if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
                e.preventDefault();
                navigate(href, { replace: true });
              }}
            >
              <title>{job.reason ? `${job.name}: ${job.reason}` : job.name}</title>
              <rect x={n.x} y={n.y} width={layout.nodeWidth} height={layout.nodeHeight} rx="6" />
              <text x={n.x + 12} y={n.y + 20} class="dag-glyph">
                {GLYPH[job.status] ?? '•'}
              </text>
              <text x={n.x + 30} y={n.y + 20} class="dag-name">
                {clip(job.name, 19)}
              </text>
              <text x={n.x + 30} y={n.y + 37} class="dag-detail">
                {clip(detail, 24)}
              </text>
            </a>
          );
        })}
      </svg>
    </div>
  );
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
