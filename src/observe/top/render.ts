/**
 * Draws a TopSnapshot as text for a terminal `width` columns wide: one block per environment,
 * a row per service (its aggregate) and an indented row per instance. Lines longer than the
 * width are cut (ending in "…") rather than wrapped, so a live redraw never scrolls sideways.
 * Pure: colour codes only when asked.
 */
import { type Colors, colors } from '../../cli/output.js';
import type { TopInstance, TopService, TopSnapshot } from './types.js';

export interface RenderTopOptions {
  /** Terminal columns; every line fits in it. */
  width: number;
  color: boolean;
}

type Align = 'left' | 'right';
type Paint = (text: string) => string;

interface Cell {
  text: string;
  paint?: Paint;
}

interface Column {
  key: ColumnKey;
  title: string;
  width: number;
  align: Align;
  /** Narrow terminals drop the columns of lowest priority first (0: never dropped). */
  dropOrder: number;
}

type ColumnKey =
  | 'name'
  | 'revision'
  | 'state'
  | 'replicas'
  | 'rps'
  | 'errors'
  | 'p95'
  | 'cpu'
  | 'rss'
  | 'restarts'
  | 'uptime';

type Row = Partial<Record<ColumnKey, Cell>>;

const GAP = ' ';

function columnsFor(nameWidth: number, revisionWidth: number): Column[] {
  return [
    { key: 'name', title: 'NAME', width: nameWidth, align: 'left', dropOrder: 0 },
    { key: 'revision', title: 'REVISION', width: revisionWidth, align: 'left', dropOrder: 3 },
    { key: 'state', title: 'STATE', width: 9, align: 'left', dropOrder: 0 },
    { key: 'replicas', title: 'REPL', width: 5, align: 'right', dropOrder: 0 },
    { key: 'rps', title: 'REQ/S', width: 7, align: 'right', dropOrder: 0 },
    { key: 'errors', title: 'ERR%', width: 6, align: 'right', dropOrder: 0 },
    { key: 'p95', title: 'P95', width: 6, align: 'right', dropOrder: 7 },
    { key: 'cpu', title: 'CPU%', width: 6, align: 'right', dropOrder: 5 },
    { key: 'rss', title: 'RSS MB', width: 7, align: 'right', dropOrder: 4 },
    { key: 'restarts', title: 'RESTARTS', width: 8, align: 'right', dropOrder: 1 },
    { key: 'uptime', title: 'UPTIME', width: 7, align: 'right', dropOrder: 2 },
  ];
}

/** Drops columns (lowest dropOrder first) until a row fits in `width`, or none is left to drop. */
function fitColumns(columns: Column[], width: number): Column[] {
  let kept = columns;
  const rowWidth = (cols: Column[]) =>
    cols.reduce((sum, c) => sum + c.width, 0) + GAP.length * (cols.length - 1);
  const droppable = columns.filter((c) => c.dropOrder > 0).sort((a, b) => a.dropOrder - b.dropOrder);
  for (const col of droppable) {
    if (rowWidth(kept) <= width) break;
    kept = kept.filter((c) => c !== col);
  }
  return kept;
}

export function renderTop(snapshot: TopSnapshot, opts: RenderTopOptions): string {
  const c = colors(opts.color);
  const width = Math.max(1, Math.floor(opts.width));
  const services = snapshot.environments.flatMap((e) => e.services);
  const instances = services.flatMap((s) => s.instances);
  const out: string[] = [];

  const summary = [
    'tandem top',
    `${new Date(snapshot.at).toISOString().slice(11, 19)} UTC`,
    ...(snapshot.windowMs === null ? [] : [`window ${formatUptime(snapshot.windowMs)}`]),
    `${plural(snapshot.environments.length, 'environment')}, ${plural(services.length, 'service')}, ${plural(instances.length, 'instance')}`,
  ].join(' · ');
  out.push(fitLine([{ text: summary, paint: c.bold }], width));
  if (services.length === 0) {
    out.push(fitLine([{ text: 'no services running (start them with `tandem up`)' }], width));
    return `${out.join('\n')}\n`;
  }

  const longestName = Math.max(
    ...services.map((s) => s.name.length),
    ...instances.map((i) => i.id.length + 2),
  );
  const longestRevision = Math.max(0, ...instances.map((i) => i.revision.length));
  const columns = fitColumns(columnsFor(clamp(longestName, 12, 40), clamp(longestRevision, 8, 16)), width);
  const line = (row: Row): string => {
    const laid: Cell[] = [];
    columns.forEach((col, i) => {
      if (i > 0) laid.push({ text: GAP });
      laid.push(...pad(row[col.key] ?? { text: '' }, col));
    });
    return fitLine(laid, width);
  };

  for (const env of snapshot.environments) {
    out.push('');
    out.push(fitLine([{ text: env.name, paint: c.bold }], width));
    out.push(line(Object.fromEntries(columns.map((col) => [col.key, { text: col.title, paint: c.dim }]))));
    for (const s of env.services) {
      out.push(line(serviceRow(s, c)));
      const decision = s.autoscale?.lastDecision;
      if (decision) out.push(fitLine([{ text: `  autoscaler: ${decision}`, paint: c.dim }], width));
      for (const i of s.instances) out.push(line(instanceRow(i, c)));
    }
  }
  return `${out.join('\n')}\n`;
}

function serviceRow(s: TopService, c: Colors): Row {
  const { running, healthy, desired } = s.replicas;
  const short = desired !== null && healthy < desired;
  const revisions = [...new Set(s.instances.map((i) => i.revision))];
  return {
    name: { text: s.name, paint: c.bold },
    revision: { text: revisions.join(','), paint: c.dim },
    state:
      s.autoscale === null
        ? { text: '' }
        : { text: `auto ${s.autoscale.min}-${s.autoscale.max}`, paint: c.dim },
    replicas: { text: `${running}/${desired ?? '-'}`, paint: short ? c.yellow : undefined },
    ...measured(s, c),
  };
}

function instanceRow(i: TopInstance, c: Colors): Row {
  return {
    name: { text: `  ${i.id}` },
    revision: { text: i.revision },
    state: stateCell(i, c),
    ...measured(i, c),
    restarts: { text: String(i.restarts), paint: i.restarts > 0 ? c.yellow : undefined },
    uptime: { text: i.uptimeMs === null ? '-' : formatUptime(i.uptimeMs) },
  };
}

/** The supervisor's state, or `unhealthy` for a running instance failing its health check. */
function stateCell(i: TopInstance, c: Colors): Cell {
  if (i.state === 'running')
    return i.healthy ? { text: 'running', paint: c.green } : { text: 'unhealthy', paint: c.red };
  if (i.state === 'crashlooping') return { text: 'crashloop', paint: c.red };
  return { text: i.state, paint: i.state === 'exited' ? c.red : c.yellow };
}

function measured(m: Pick<TopService, 'rps' | 'errorPct' | 'p95Ms' | 'cpuPct' | 'rssBytes'>, c: Colors): Row {
  const err = m.errorPct;
  return {
    rps: { text: m.rps === null ? '-' : decimal(m.rps) },
    errors: {
      text: err === null ? '-' : `${err.toFixed(1)}%`,
      paint: err === null ? undefined : err >= 5 ? c.red : err >= 1 ? c.yellow : undefined,
    },
    p95: { text: m.p95Ms === null ? '-' : formatMs(m.p95Ms) },
    cpu: { text: m.cpuPct === null ? '-' : decimal(m.cpuPct) },
    rss: { text: m.rssBytes === null ? '-' : decimal(m.rssBytes / (1024 * 1024)) },
  };
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

/** The cell's text padded to its column; the padding stays outside the colour. */
function pad(cell: Cell, col: Column): Cell[] {
  const text =
    cell.text.length > col.width ? `${cell.text.slice(0, Math.max(0, col.width - 1))}…` : cell.text;
  const space = { text: ' '.repeat(col.width - text.length) };
  const body = { text, paint: cell.paint };
  return col.align === 'left' ? [body, space] : [space, body];
}

/** Joins cells into one line of at most `width` visible columns, trailing spaces dropped. */
function fitLine(cells: Cell[], width: number): string {
  const plain = cells.map((cell) => cell.text).join('');
  const visible = plain.trimEnd().length;
  const cut = visible > width;
  let room = cut ? width - 1 : visible;
  let line = '';
  for (const cell of cells) {
    if (room <= 0) break;
    const text = cell.text.slice(0, room);
    room -= text.length;
    line += cell.paint !== undefined && text.trim() !== '' ? cell.paint(text) : text;
  }
  return cut ? `${line}…` : line;
}

function decimal(n: number): string {
  return n < 100 ? n.toFixed(1) : String(Math.round(n));
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** 45s, 12m, 3h05m, 2d04h. */
export function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
