import { useMemo, useRef, useState } from 'preact/hooks';
import { formatClock } from '../lib/format.js';
import { linearScale, linePath, nearestIndex, niceDomain, timeTicks } from '../lib/scale.js';
import type { DeployMarker } from '../lib/timeline.js';

export interface Series {
  label: string;
  /** One value per time (null: no data). */
  values: ReadonlyArray<number | null>;
  /** Colour class: `s1`…`s4`. */
  color: 's1' | 's2' | 's3' | 's4';
}

export interface ChartProps {
  id: string;
  title: string;
  times: readonly number[];
  series: readonly Series[];
  format(value: number): string;
  from: number;
  to: number;
  markers?: readonly DeployMarker[];
  /** The y axis reaches at least this (e.g. 1 replica), so a flat zero line sits low. */
  minMax?: number;
}

const W = 640;
const H = 180;
const M = { top: 10, right: 12, bottom: 22, left: 56 };

/**
 * A time-series line chart in plain SVG: nice y ticks, clock x ticks, gaps where data is missing,
 * dashed deploy markers. Pointer or arrow keys (when focused) read the values at one time.
 */
export function Chart(props: ChartProps) {
  const { times, series, from, to } = props;
  const [hover, setHover] = useState<number | null>(null);
  const [keyboard, setKeyboard] = useState(false);
  const svg = useRef<SVGSVGElement>(null);

  const geometry = useMemo(() => {
    const x = linearScale([from, to], [M.left, W - M.right]);
    const { domain, ticks } = niceDomain(
      series.flatMap((s) => s.values),
      props.minMax === undefined ? {} : { minMax: props.minMax },
    );
    const y = linearScale(domain, [H - M.bottom, M.top]);
    const offset = -new Date(from).getTimezoneOffset() * 60_000;
    return {
      x,
      y,
      yTicks: ticks,
      xTicks: timeTicks(from, to, 6, offset),
      xs: times.map((t) => x(t)),
      paths: series.map((s) => linePath(times.map((t, i) => [x(t), nullable(s.values[i], y)] as const))),
    };
  }, [times, series, from, to, props.minMax]);

  const hasData = series.some((s) => s.values.some((v) => v !== null));
  const legendTime = hover === null ? undefined : times[hover];
  const summary = `${props.title}: ${
    hasData
      ? series.map((s) => `${s.label} ${show(lastValue(s.values), props.format)}`).join(', ')
      : 'no data in this range'
  }`;

  const pick = (clientX: number) => {
    const el = svg.current;
    if (el === null || times.length === 0) return;
    const rect = el.getBoundingClientRect();
    const px = ((clientX - rect.left) / rect.width) * W;
    setHover(nearestIndex(geometry.xs, px));
  };
  const onKey = (e: KeyboardEvent) => {
    if (times.length === 0) return;
    const cur = hover ?? times.length - 1;
    const next =
      e.key === 'ArrowLeft'
        ? Math.max(0, cur - 1)
        : e.key === 'ArrowRight'
          ? Math.min(times.length - 1, cur + 1)
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? times.length - 1
              : null;
    if (next === null) return;
    e.preventDefault();
    setKeyboard(true);
    setHover(next);
  };

  return (
    <figure class="chart" data-testid={`chart-${props.id}`}>
      <figcaption>
        <span class="chart-title">{props.title}</span>
        <span class="chart-legend" aria-live={keyboard ? 'polite' : 'off'}>
          {legendTime !== undefined && <span class="chart-at">{formatClock(legendTime)}</span>}
          {series.map((s) => (
            <span class="chart-key" key={s.label}>
              <span class={`swatch ${s.color}`} aria-hidden="true" />
              {s.label}{' '}
              <strong>
                {show(hover === null ? lastValue(s.values) : (s.values[hover] ?? null), props.format)}
              </strong>
            </span>
          ))}
        </span>
      </figcaption>
      <svg
        ref={svg}
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${summary}. Arrow keys read earlier values.`}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: focusable so arrow keys can read the values
        tabIndex={0}
        onPointerMove={(e) => pick(e.clientX)}
        onPointerLeave={() => {
          setHover(null);
          setKeyboard(false);
        }}
        onKeyDown={onKey}
        onBlur={() => {
          setHover(null);
          setKeyboard(false);
        }}
      >
        <title>{summary}</title>
        <g class="grid">
          {geometry.yTicks.map((t) => (
            <g key={t}>
              <line x1={M.left} x2={W - M.right} y1={geometry.y(t)} y2={geometry.y(t)} />
              <text x={M.left - 6} y={geometry.y(t)} dy="0.32em" text-anchor="end">
                {props.format(t)}
              </text>
            </g>
          ))}
          {geometry.xTicks.map((t) => (
            <text key={t} x={geometry.x(t)} y={H - 6} text-anchor="middle">
              {formatClock(t).slice(0, to - from > 10 * 60_000 ? 5 : 8)}
            </text>
          ))}
        </g>
        {(props.markers ?? []).map((m) => (
          <g class={`marker tone-${m.tone}`} key={`${m.at}-${m.label}`} data-testid="deploy-marker">
            <title>{`${formatClock(m.at)} ${m.label}`}</title>
            <line x1={geometry.x(m.at)} x2={geometry.x(m.at)} y1={M.top} y2={H - M.bottom} />
            <path d={`M${geometry.x(m.at) - 4} ${M.top - 2}h8l-4 6z`} />
          </g>
        ))}
        {geometry.paths.map((d, i) => (
          <path key={series[i]!.label} class={`line ${series[i]!.color}`} d={d} />
        ))}
        {hover !== null && geometry.xs[hover] !== undefined && (
          <line
            class="crosshair"
            x1={geometry.xs[hover]}
            x2={geometry.xs[hover]}
            y1={M.top}
            y2={H - M.bottom}
          />
        )}
        {!hasData && (
          <text class="chart-empty" x={W / 2} y={H / 2} text-anchor="middle">
            No data in this range
          </text>
        )}
      </svg>
    </figure>
  );
}

function nullable(v: number | null | undefined, y: (v: number) => number): number | null {
  return v === null || v === undefined ? null : y(v);
}

function lastValue(values: ReadonlyArray<number | null>): number | null {
  for (let i = values.length - 1; i >= 0; i--)
    if (values[i] !== null && values[i] !== undefined) return values[i]!;
  return null;
}

function show(v: number | null, format: (v: number) => string): string {
  return v === null ? '—' : format(v);
}
