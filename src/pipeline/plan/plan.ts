import { ConfigError, type ConfigIssue, type ConfigPath, formatIssue } from '../../config/errors.js';
import { InterpolationError, interpolate } from '../../config/interpolate.js';
import type { LoadedConfig } from '../../config/loaded-config.js';
import type { JobConfig } from '../../config/schema.js';
import { didYouMean } from '../../util/did-you-mean.js';
import type { Expression } from '../expressions/ast.js';
import {
  ExpressionError,
  parseExpression,
  referencedMatrixKeys,
  referencedNeeds,
} from '../expressions/parse.js';
import type { MatrixValue, Plan, PlannedJob, SecretSource } from '../types.js';
import { type Dependency, findCycles, topologicalOrder } from './dag.js';
import { expandMatrix, MAX_MATRIX_COPIES, type MatrixCopy, matrixSize } from './matrix.js';
import { selectJobs } from './select.js';
import { globEscapesRoot, resolveWorkingDirectory } from './working-directory.js';

export interface PlanContext {
  /** Values of ${{ env.NAME }}. */
  env: Record<string, string | undefined>;
  /** Values of ${{ secrets.NAME }}; undefined (validate) resolves every secret to a placeholder. */
  secrets: SecretSource | undefined;
  /** Job names (base or full copy names) to run with everything they need; empty or absent: all. */
  select?: string[];
}

export const DEFAULT_TIMEOUT_MS = 3_600_000;
/** What ${{ secrets.NAME }} becomes when planning without secrets (`tandem validate`). */
export const SECRET_PLACEHOLDER = '***';

type Path = Array<string | number>;

/**
 * Compiles a loaded config into the plan that runs: matrix expanded, values interpolated, needs
 * resolved to copies, working directories checked, jobs in topological order (config order
 * among jobs ready together), then narrowed to `ctx.select`. Pure: everything comes from the
 * arguments. Throws one ConfigError with every problem found, or a UsageError for an unknown
 * selected job.
 */
export function planPipeline(loaded: LoadedConfig, ctx: PlanContext): Plan {
  const issues = new Issues(loaded);
  const { pipeline } = loaded.config;
  const baseNames = Object.keys(pipeline.jobs);
  const jobOf = (base: string) => pipeline.jobs[base] as JobConfig;

  // (a) Matrix expansion.
  const copiesOf = new Map<string, MatrixCopy[]>();
  const baseOfCopy = new Map<string, string>();
  for (const base of baseNames) {
    const job = jobOf(base);
    const size = matrixSize(job.matrix);
    if (size > MAX_MATRIX_COPIES) {
      issues.add(['pipeline', 'jobs', base, 'matrix'], `the matrix makes ${size} copies of "${base}"`, {
        expected: `at most ${MAX_MATRIX_COPIES}`,
      });
      copiesOf.set(base, []);
      continue;
    }
    const copies = expandMatrix(base, job.matrix);
    const unique: MatrixCopy[] = [];
    for (const copy of copies) {
      if (baseOfCopy.has(copy.name)) {
        issues.add(
          ['pipeline', 'jobs', base, 'matrix'],
          `two matrix combinations are both named "${copy.name}"`,
        );
        continue;
      }
      baseOfCopy.set(copy.name, base);
      unique.push(copy);
    }
    copiesOf.set(base, unique);
  }

  // (c) Needs: resolve each to copies; unknown names, self-needs and cycles are issues.
  const needsOf = new Map<string, string[]>();
  const dependencies = new Map<string, Dependency[]>();
  for (const base of baseNames) {
    const needs = jobOf(base).needs ?? [];
    const resolved: string[] = [];
    const deps: Dependency[] = [];
    needs.forEach((need, index) => {
      const path = ['pipeline', 'jobs', base, 'needs', index];
      const target = copiesOf.has(need) ? need : baseOfCopy.get(need);
      if (target === base) {
        issues.add(path, `job "${base}" needs itself`);
      } else if (target === undefined) {
        const others = baseNames.filter((name) => name !== base);
        const suggestion = didYouMean(need, others);
        const known = suggestion === undefined && others.length > 0 ? ` (jobs: ${others.join(', ')})` : '';
        issues.add(
          path,
          `needs unknown job "${need}"${known}`,
          suggestion === undefined ? {} : { suggestion },
        );
      } else {
        deps.push({ to: target, index });
        const names = copiesOf.has(need) ? (copiesOf.get(need) ?? []).map((c) => c.name) : [need];
        resolved.push(...names);
      }
    });
    needsOf.set(base, [...new Set(resolved)]);
    dependencies.set(base, deps);
  }
  for (const cycle of findCycles(baseNames, dependencies)) {
    issues.add(
      ['pipeline', 'jobs', cycle.from, 'needs', cycle.index],
      `dependency cycle: ${cycle.path.join(' -> ')}`,
    );
  }

  // `if`: it must parse, and reference only needed jobs and the job's own matrix keys.
  for (const base of baseNames) {
    const job = jobOf(base);
    if (job.if === undefined) continue;
    const path = ['pipeline', 'jobs', base, 'if'];
    let expr: Expression;
    try {
      expr = parseExpression(job.if);
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      issues.add(path, `invalid expression: ${err.message}`);
      continue;
    }
    const needs = job.needs ?? [];
    const visible = new Set(needs);
    for (const need of needs) {
      for (const copy of copiesOf.get(need) ?? []) visible.add(copy.name);
      const baseOfNeed = baseOfCopy.get(need);
      if (baseOfNeed !== undefined) visible.add(baseOfNeed);
    }
    for (const name of referencedNeeds(expr)) {
      if (visible.has(name)) continue;
      const suggestion = didYouMean(name, needs);
      const listed = needs.length === 0 ? 'the job needs no jobs' : `needs: ${needs.join(', ')}`;
      issues.add(
        path,
        `needs.${name}.result refers to "${name}", which is not in this job's needs (${listed})`,
        suggestion === undefined ? {} : { suggestion },
      );
    }
    const keys = Object.keys(job.matrix ?? {});
    for (const key of referencedMatrixKeys(expr)) {
      if (keys.includes(key)) continue;
      const suggestion = didYouMean(key, keys);
      const listed = keys.length === 0 ? 'the job has no matrix' : `matrix keys: ${keys.join(', ')}`;
      issues.add(
        path,
        `matrix.${key} is not defined (${listed})`,
        suggestion === undefined ? {} : { suggestion },
      );
    }
  }

  // (b, d) Per copy: interpolation, working directory, defaults.
  const planned: PlannedJob[] = [];
  for (const base of baseNames) {
    const job = jobOf(base);
    const jobPath = ['pipeline', 'jobs', base];
    for (const copy of copiesOf.get(base) ?? []) {
      // Env values see the process environment; every other field also sees the job's env.
      let resolve = resolver(ctx, copy.matrix, {});
      const value = (text: string, path: Path): string => {
        try {
          return interpolate(text, resolve);
        } catch (err) {
          if (!(err instanceof InterpolationError)) throw err;
          issues.add(path, err.message);
          return text;
        }
      };

      const env: Record<string, string> = {};
      for (const [key, raw] of Object.entries(pipeline.env ?? {})) {
        if (job.env !== undefined && Object.hasOwn(job.env, key)) continue;
        env[key] = value(String(raw), ['pipeline', 'env', key]);
      }
      for (const [key, raw] of Object.entries(job.env ?? {})) {
        env[key] = value(String(raw), [...jobPath, 'env', key]);
      }
      resolve = resolver(ctx, copy.matrix, env);

      let workingDirectory = '.';
      let cwd = loaded.dir;
      if (job.working_directory !== undefined) {
        const wdPath = [...jobPath, 'working_directory'];
        const resolved = resolveWorkingDirectory(loaded.dir, value(job.working_directory, wdPath));
        if ('error' in resolved) issues.add(wdPath, resolved.error);
        else ({ cwd, relative: workingDirectory } = resolved);
      }

      const globs = (field: 'inputs' | 'outputs', list: readonly string[]): string[] =>
        list.map((glob, i) => {
          const text = value(glob, [...jobPath, field, i]);
          if (globEscapesRoot(workingDirectory, text)) {
            issues.add([...jobPath, field, i], `${field} glob "${text}" reaches outside the project root`);
          }
          return text;
        });

      planned.push({
        name: copy.name,
        baseName: base,
        matrix: copy.matrix,
        run: value(job.run, [...jobPath, 'run']),
        needs: needsOf.get(base) ?? [],
        if: job.if,
        env,
        workingDirectory,
        cwd,
        timeoutMs: job.timeout ?? DEFAULT_TIMEOUT_MS,
        retries: job.retries ?? 0,
        inputs: job.inputs === undefined ? undefined : globs('inputs', job.inputs),
        outputs: globs('outputs', job.outputs ?? []),
        cache: job.cache ?? true,
      });
    }
  }

  issues.throwIfAny();

  // (e) Topological order, (f) selection.
  const byName = new Map(planned.map((job) => [job.name, job]));
  const order = topologicalOrder(
    planned.map((job) => job.name),
    new Map(planned.map((job) => [job.name, job.needs])),
  );
  const jobs = order.map((name) => byName.get(name) as PlannedJob);
  return { root: loaded.dir, jobs: selectJobs(jobs, ctx.select ?? []) };
}

function resolver(ctx: PlanContext, matrix: Record<string, MatrixValue>, jobEnv: Record<string, string>) {
  return (ns: string, name: string): string | undefined => {
    switch (ns) {
      case 'env':
        if (Object.hasOwn(jobEnv, name)) return jobEnv[name];
        return Object.hasOwn(ctx.env, name) ? ctx.env[name] : undefined;
      case 'secrets':
        return ctx.secrets === undefined ? SECRET_PLACEHOLDER : ctx.secrets.get(name);
      case 'matrix':
        return Object.hasOwn(matrix, name) ? String(matrix[name]) : undefined;
      default:
        return undefined;
    }
  };
}

/** Every issue found, once each, thrown together sorted by position. */
class Issues {
  private readonly list: ConfigIssue[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly loaded: LoadedConfig) {}

  add(path: ConfigPath, message: string, extra: Pick<ConfigIssue, 'expected' | 'suggestion'> = {}): void {
    const issue = this.loaded.issueAt(path, message, extra);
    const key = formatIssue(issue);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(issue);
  }

  throwIfAny(): void {
    if (this.list.length === 0) return;
    const sorted = [...this.list].sort((a, b) => a.line - b.line || a.col - b.col);
    throw new ConfigError(sorted);
  }
}
