import type { RunObserver } from '../pipeline/run/ports.js';
import type { JobResult, PlannedJob, RunStatus } from '../pipeline/types.js';
import { formatDuration } from '../util/duration.js';
import type { Colors } from './output.js';

const MAX_PREFIX = 28;

/**
 * Live terminal output of a run: every output line prefixed with its job's name (coloured on a
 * TTY), one status line per job with the reason for skips and failures, and a summary.
 */
export class RunReporter implements RunObserver {
  readonly #out: (text: string) => void;
  readonly #c: Colors;
  readonly #width: number;
  readonly #partial = new Map<string, string>();

  constructor(jobs: PlannedJob[], out: (text: string) => void, colors: Colors) {
    this.#out = out;
    this.#c = colors;
    this.#width = Math.min(MAX_PREFIX, Math.max(4, ...jobs.map((j) => j.name.length)));
  }

  #prefix(job: PlannedJob): string {
    const name = job.name.length > this.#width ? `${job.name.slice(0, this.#width - 1)}…` : job.name;
    return this.#c.byName(job.name, `${name.padEnd(this.#width)} │`);
  }

  #status(job: PlannedJob, text: string): void {
    this.#out(`${this.#prefix(job)} ${text}\n`);
  }

  jobStarted(job: PlannedJob, attempt: number): void {
    this.#status(job, this.#c.dim(attempt > 1 ? `▶ attempt ${attempt}` : '▶ started'));
  }

  /** A replayed (cached) log is dimmed on a terminal; its status line says `cached` either way. */
  jobOutput(job: PlannedJob, text: string, replayed: boolean): void {
    const lines = `${this.#partial.get(job.name) ?? ''}${text}`.split('\n');
    this.#partial.set(job.name, lines.pop() ?? '');
    const style = replayed ? this.#c.dim : (line: string) => line;
    for (const line of lines) this.#out(`${this.#prefix(job)} ${style(line)}\n`);
    if (replayed) this.#flush(job, style);
  }

  #flush(job: PlannedJob, style: (line: string) => string = (line) => line): void {
    const rest = this.#partial.get(job.name);
    if (rest) this.#out(`${this.#prefix(job)} ${style(rest)}\n`);
    this.#partial.delete(job.name);
  }

  cacheMissExplained(job: PlannedJob, reasons: string[]): void {
    for (const reason of reasons) this.#status(job, this.#c.yellow(`cache miss: ${reason}`));
  }

  attemptFailed(job: PlannedJob, attempt: number, willRetry: boolean, why: string): void {
    this.#flush(job);
    if (willRetry) this.#status(job, this.#c.yellow(`attempt ${attempt} failed (${why}); retrying`));
  }

  jobFinished(job: PlannedJob, result: JobResult): void {
    this.#flush(job);
    const took = formatDuration(result.durationMs);
    const key = result.cacheKey ? this.#c.dim(` [${result.cacheKey.slice(0, 12)}]`) : '';
    const line: Record<JobResult['status'], string> = {
      passed: `${this.#c.green('✓ passed')} in ${took}${key}`,
      cached: `${this.#c.green('✓ cached')} (${job.outputs.length > 0 ? 'log replayed, outputs restored' : 'log replayed'})${key}`,
      failed: this.#c.red(`✗ failed: ${result.reason ?? 'failed'} in ${took}`),
      skipped: this.#c.dim(`○ skipped: ${result.reason ?? ''}`),
      cancelled: this.#c.yellow(`■ cancelled: ${result.reason ?? ''}`),
    };
    this.#status(job, line[result.status]);
  }

  summary(runId: string, status: RunStatus, durationMs: number, results: JobResult[]): void {
    const counts = new Map<string, number>();
    for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    const parts = ['passed', 'cached', 'failed', 'skipped', 'cancelled']
      .filter((s) => counts.has(s))
      .map((s) => `${counts.get(s)} ${s}`);
    const word =
      status === 'passed'
        ? this.#c.green('passed')
        : status === 'failed'
          ? this.#c.red('failed')
          : this.#c.yellow('cancelled');
    this.#out(
      `\n${this.#c.bold(`Run ${runId}`)} ${word} in ${formatDuration(durationMs)}: ${parts.join(', ')}\n`,
    );
    this.#out(this.#c.dim(`Logs: .tandem/runs/${runId}/\n`));
  }
}
