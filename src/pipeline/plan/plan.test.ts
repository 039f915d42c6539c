// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${{ }} syntax under test, not JS templates
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue, type ConfigPath, formatPath } from '../../config/errors.js';
import type { LoadedConfig } from '../../config/loaded-config.js';
import { type ConfigInput, configSchema } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import type { SecretSource } from '../types.js';
import { type PlanContext, planPipeline } from './plan.js';

const ROOT = path.resolve('/projects/shop');

/**
 * A fake LoadedConfig (no YAML, no file): the config goes through the real schema; positions
 * come from `positions` keyed by formatted path, else line 1, col 1.
 */
function fakeLoaded(
  pipeline: ConfigInput['pipeline'],
  positions: Record<string, { line: number; col: number }> = {},
): LoadedConfig {
  const file = path.join(ROOT, 'tandem.yaml');
  const positionOf = (p: ConfigPath) => positions[formatPath(p)] ?? { line: 1, col: 1 };
  return {
    file,
    dir: ROOT,
    config: configSchema.parse({ project: 'shop', pipeline }),
    positionOf,
    issueAt: (p, message, extra = {}): ConfigIssue => ({
      file,
      ...positionOf(p),
      path: p,
      message,
      ...extra,
    }),
  };
}

function secrets(values: Record<string, string>): SecretSource {
  return { get: (name) => values[name], values: () => Object.values(values) };
}

const CTX: PlanContext = { env: {}, secrets: undefined };

function issuesOf(run: () => unknown): ConfigIssue[] {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('planPipeline (with a fake LoadedConfig)', () => {
  it('applies defaults to a simple job', () => {
    const plan = planPipeline(fakeLoaded({ jobs: { build: { run: 'make' } } }), CTX);
    expect(plan).toEqual({
      root: ROOT,
      jobs: [
        {
          name: 'build',
          baseName: 'build',
          matrix: {},
          run: 'make',
          needs: [],
          if: undefined,
          env: {},
          workingDirectory: '.',
          cwd: ROOT,
          timeoutMs: 3_600_000,
          retries: 0,
          inputs: undefined,
          outputs: [],
          cache: true,
        },
      ],
    });
  });

  it('expands a matrix in key order, names copies with values as written, and expands needs to every copy', () => {
    const plan = planPipeline(
      fakeLoaded({
        jobs: {
          test: {
            run: 'node${{ matrix.node }} on ${{ matrix.os }}',
            matrix: { node: [18, 20], os: ['linux', 'mac'] },
          },
          report: { run: 'report', needs: 'test' },
        },
      }),
      CTX,
    );
    expect(plan.jobs.map((j) => j.name)).toEqual([
      'test (node=18, os=linux)',
      'test (node=18, os=mac)',
      'test (node=20, os=linux)',
      'test (node=20, os=mac)',
      'report',
    ]);
    expect(plan.jobs[2]).toMatchObject({
      baseName: 'test',
      matrix: { node: 20, os: 'linux' },
      run: 'node20 on linux',
    });
    expect(plan.jobs[4]?.needs).toEqual(plan.jobs.slice(0, 4).map((j) => j.name));
  });

  it('accepts a need on one matrix copy by its full name', () => {
    const plan = planPipeline(
      fakeLoaded({
        jobs: {
          test: { run: 't', matrix: { node: [18, 20] } },
          pin: { run: 'p', needs: ['test (node=20)'] },
        },
      }),
      CTX,
    );
    expect(plan.jobs.find((j) => j.name === 'pin')?.needs).toEqual(['test (node=20)']);
  });

  it('orders jobs topologically, keeping config order among ready jobs', () => {
    const plan = planPipeline(
      fakeLoaded({
        jobs: {
          deploy: { run: 'd', needs: ['build', 'lint'] },
          lint: { run: 'l' },
          build: { run: 'b', needs: 'setup' },
          docs: { run: 'x' },
          setup: { run: 's' },
        },
      }),
      CTX,
    );
    expect(plan.jobs.map((j) => j.name)).toEqual(['lint', 'docs', 'setup', 'build', 'deploy']);
  });

  it('interpolates env (pipeline then job, job wins, values stringified), run, working_directory, inputs and outputs', () => {
    const plan = planPipeline(
      fakeLoaded({
        env: { REGION: '${{ env.REGION }}', DEBUG: true, LEVEL: 1 },
        jobs: {
          build: {
            run: 'deploy --token ${{ secrets.TOKEN }}',
            env: { LEVEL: 2, WHO: 'node-${{ matrix.node }}' },
            matrix: { node: [20] },
            working_directory: 'packages/${{ env.PKG }}',
            inputs: ['src/**', '${{ env.PKG }}.json'],
            outputs: ['dist/${{ matrix.node }}/**'],
            timeout: '10m',
            retries: 2,
            cache: false,
          },
        },
      }),
      { env: { REGION: 'eu', PKG: 'api' }, secrets: secrets({ TOKEN: 'tok-123' }) },
    );
    expect(plan.jobs[0]).toMatchObject({
      name: 'build (node=20)',
      run: 'deploy --token tok-123',
      env: { REGION: 'eu', DEBUG: 'true', LEVEL: '2', WHO: 'node-20' },
      workingDirectory: 'packages/api',
      cwd: path.join(ROOT, 'packages', 'api'),
      inputs: ['src/**', 'api.json'],
      outputs: ['dist/20/**'],
      timeoutMs: 600_000,
      retries: 2,
      cache: false,
    });
  });

  it('resolves secrets to a placeholder without a secret source (validate)', () => {
    const plan = planPipeline(fakeLoaded({ jobs: { a: { run: 'echo ${{ secrets.ANYTHING }}' } } }), CTX);
    expect(plan.jobs[0]?.run).toBe('echo ***');
  });

  it('turns interpolation errors into issues at the value position', () => {
    const loaded = fakeLoaded(
      {
        env: { A: '${{ env.MISSING }}' },
        jobs: {
          a: { run: 'echo ${{ secrets.NOPE }}', env: { B: '${{ matrix.node }}' }, outputs: ['${{ bad }}'] },
        },
      },
      {
        'pipeline.env.A': { line: 2, col: 8 },
        'pipeline.jobs.a.run': { line: 5, col: 10 },
        'pipeline.jobs.a.env.B': { line: 6, col: 15 },
        'pipeline.jobs.a.outputs[0]': { line: 7, col: 17 },
      },
    );
    const issues = issuesOf(() => planPipeline(loaded, { env: {}, secrets: secrets({}) }));
    expect(issues.map((i) => [i.line, i.col, formatPath(i.path)])).toEqual([
      [2, 8, 'pipeline.env.A'],
      [5, 10, 'pipeline.jobs.a.run'],
      [6, 15, 'pipeline.jobs.a.env.B'],
      [7, 17, 'pipeline.jobs.a.outputs[0]'],
    ]);
    expect(issues[0]?.message).toMatch(/MISSING/);
    expect(issues[1]?.message).toMatch(/secret "NOPE"/);
    expect(issues[2]?.message).toMatch(/matrix.*node/);
    expect(issues[3]?.message).toMatch(/malformed/);
  });

  it('reports an unknown need with a did-you-mean at the need', () => {
    const issues = issuesOf(() =>
      planPipeline(
        fakeLoaded({ jobs: { build: { run: 'b' }, test: { run: 't', needs: ['lint', 'buld'] } } }),
        CTX,
      ),
    );
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatchObject({ path: ['pipeline', 'jobs', 'test', 'needs', 0] });
    expect(issues[0]?.message).toBe('needs unknown job "lint" (jobs: build)');
    expect(issues[1]).toMatchObject({
      path: ['pipeline', 'jobs', 'test', 'needs', 1],
      message: 'needs unknown job "buld"',
      suggestion: 'build',
    });
  });

  it('reports a self-need', () => {
    const issues = issuesOf(() => planPipeline(fakeLoaded({ jobs: { a: { run: 'a', needs: ['a'] } } }), CTX));
    expect(issues).toEqual([
      expect.objectContaining({
        path: ['pipeline', 'jobs', 'a', 'needs', 0],
        message: 'job "a" needs itself',
      }),
    ]);
  });

  it('names the whole cycle at the need that closes it', () => {
    const issues = issuesOf(() =>
      planPipeline(
        fakeLoaded({
          jobs: {
            build: { run: 'b', needs: ['test'] },
            test: { run: 't', needs: ['lint', 'build'] },
            lint: { run: 'l' },
          },
        }),
        CTX,
      ),
    );
    expect(issues).toEqual([
      expect.objectContaining({
        path: ['pipeline', 'jobs', 'test', 'needs', 1],
        message: 'dependency cycle: build -> test -> build',
      }),
    ]);
  });

  it('reports a longer cycle once', () => {
    const issues = issuesOf(() =>
      planPipeline(
        fakeLoaded({
          jobs: { a: { run: 'a', needs: 'c' }, b: { run: 'b', needs: 'a' }, c: { run: 'c', needs: 'b' } },
        }),
        CTX,
      ),
    );
    expect(issues.map((i) => i.message)).toEqual(['dependency cycle: a -> c -> b -> a']);
  });

  it('checks if: it must parse and reference only needed jobs and matrix keys', () => {
    const issues = issuesOf(() =>
      planPipeline(
        fakeLoaded(
          {
            jobs: {
              build: { run: 'b' },
              lint: { run: 'l' },
              a: { run: 'a', if: "branch == 'main' &&", needs: 'build' },
              b: {
                run: 'b',
                if: "needs.lint.result == 'failed' || needs.buld.result == 'passed'",
                needs: 'build',
              },
              c: { run: 'c', if: 'matrix.nod == 20', matrix: { node: [20] } },
            },
          },
          { 'pipeline.jobs.a.if': { line: 9, col: 9 } },
        ),
        CTX,
      ),
    );
    expect(issues.map((i) => [formatPath(i.path), i.message, i.suggestion])).toEqual([
      [
        'pipeline.jobs.b.if',
        expect.stringMatching(
          /needs\.lint\.result refers to "lint", which is not in this job's needs \(needs: build\)/,
        ),
        undefined,
      ],
      ['pipeline.jobs.b.if', expect.stringMatching(/"buld"/), 'build'],
      ['pipeline.jobs.c.if', 'matrix.nod is not defined (matrix keys: node)', 'node'],
      [
        'pipeline.jobs.a.if',
        'invalid expression: unexpected end of expression at column 20, expected a value',
        undefined,
      ],
    ]);
    expect(issues[3]).toMatchObject({ line: 9, col: 9 });
  });

  it('accepts needs.X.result by base name and by copy name of a needed matrix job', () => {
    const plan = planPipeline(
      fakeLoaded({
        jobs: {
          test: { run: 't', matrix: { n: [1, 2] } },
          after: {
            run: 'a',
            needs: 'test',
            if: "always() && (needs.test.result == 'failed' || needs['test (n=1)'].result == 'passed')",
          },
        },
      }),
      CTX,
    );
    expect(plan.jobs.at(-1)?.if).toMatch(/^always/);
  });

  it('rejects a working_directory that escapes the project root', () => {
    const loaded = fakeLoaded({
      jobs: {
        up: { run: 'x', working_directory: '../elsewhere' },
        sneaky: { run: 'x', working_directory: 'a/../../b' },
        abs: { run: 'x', working_directory: '/etc' },
        inside: { run: 'x', working_directory: `${ROOT}/web/./src/..` },
        out: { run: 'x', outputs: ['../../etc/**'] },
      },
    });
    const issues = issuesOf(() => planPipeline(loaded, CTX));
    expect(issues.map((i) => [formatPath(i.path), i.message])).toEqual([
      ['pipeline.jobs.up.working_directory', 'working_directory "../elsewhere" is outside the project root'],
      ['pipeline.jobs.sneaky.working_directory', 'working_directory "a/../../b" is outside the project root'],
      ['pipeline.jobs.abs.working_directory', 'working_directory "/etc" is outside the project root'],
      ['pipeline.jobs.out.outputs[0]', 'outputs glob "../../etc/**" reaches outside the project root'],
    ]);
  });

  it('keeps an absolute working_directory inside the root, relative and posix', () => {
    const plan = planPipeline(
      fakeLoaded({
        jobs: { web: { run: 'x', working_directory: `${ROOT}/web/./src/..`, inputs: ['../shared/**'] } },
      }),
      CTX,
    );
    expect(plan.jobs[0]).toMatchObject({ workingDirectory: 'web', cwd: path.join(ROOT, 'web') });
  });

  it('collects every issue into one ConfigError sorted by position', () => {
    const loaded = fakeLoaded(
      { jobs: { a: { run: 'a', needs: 'zz' }, b: { run: '${{ env.X }}', if: 'nope()' } } },
      {
        'pipeline.jobs.a.needs[0]': { line: 3, col: 12 },
        'pipeline.jobs.b.run': { line: 5, col: 10 },
        'pipeline.jobs.b.if': { line: 6, col: 9 },
      },
    );
    try {
      planPipeline(loaded, CTX);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.exitCode).toBe(2);
      expect(e.issues.map((i) => i.line)).toEqual([3, 5, 6]);
      expect(e.message).toContain('tandem.yaml:3:12: pipeline.jobs.a.needs[0]: needs unknown job "zz"');
    }
  });

  describe('selection', () => {
    const loaded = fakeLoaded({
      jobs: {
        setup: { run: 's' },
        build: { run: 'b', needs: 'setup' },
        test: { run: 't', needs: 'build', matrix: { node: [18, 20] } },
        lint: { run: 'l' },
        deploy: { run: 'd', needs: ['test', 'lint'] },
      },
    });
    const names = (select: string[]) => planPipeline(loaded, { ...CTX, select }).jobs.map((j) => j.name);

    it('keeps the selected jobs and everything they need, transitively', () => {
      expect(names(['test'])).toEqual(['setup', 'build', 'test (node=18)', 'test (node=20)']);
      expect(names(['test (node=20)'])).toEqual(['setup', 'build', 'test (node=20)']);
      expect(names(['lint', 'build'])).toEqual(['setup', 'build', 'lint']);
      expect(names([])).toHaveLength(6);
    });

    it('rejects an unknown job with a did-you-mean and the available jobs', () => {
      expect(() => names(['tst'])).toThrow(UsageError);
      expect(() => names(['tst', 'zzz'])).toThrow(
        'unknown job "tst" (did you mean "test"?); unknown job "zzz"; available jobs: setup, build, test, test (node=18), test (node=20), lint, deploy',
      );
    });
  });
});
