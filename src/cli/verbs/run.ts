import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { colorEnabled, colors, type GlobalOptions, runAction } from '../output.js';
import { RunReporter } from '../run-reporter.js';

interface RunOptions {
  concurrency?: string;
  cache: boolean;
  explain?: boolean;
}

/** `tandem run [JOB...]`: the pipeline, locally, with no server. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .argument('[jobs...]', 'jobs to run, with everything they need (default: all)')
    .description('run the pipeline locally: a DAG of jobs with caching, retries, timeouts and masked logs')
    .option('--concurrency <n>', 'how many jobs may run at once (default: number of CPUs)')
    .option('--no-cache', 'run every job even when its cache entry is valid (results are still stored)')
    .option('--explain', 'say, for each cache miss, what changed since the job last hit')
    .addHelpText(
      'after',
      `
Examples:
  $ tandem run                      run every job
  $ tandem run test                 run "test" and the jobs it needs
  $ tandem run "test (node=20)"     one copy of a matrix job
  $ tandem run --explain            show why each job missed the cache
  $ tandem run --json               print one JSON object when the run ends

Exit codes: 0 all passed, 1 a job failed or the run was cancelled, 2 invalid config or usage.`,
    )
    .action(async (jobs: string[], options: RunOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const json = Boolean(globals.json);
      await runAction(json, async () => {
        const concurrency = parseConcurrency(options.concurrency);
        // Loaded lazily: `tandem --help` should not pay for the engine.
        const [{ loadConfig }, { runPipeline, defaultConcurrency }] = await Promise.all([
          import('../../config/load.js'),
          import('../../pipeline/run/run-pipeline.js'),
        ]);
        const loaded = await loadConfig({ config: globals.config, cwd: process.cwd(), snapshot: true });
        const stream = json ? process.stderr : process.stdout;
        const palette = colors(colorEnabled(stream));
        const write = (text: string) => stream.write(text);
        const controller = new AbortController();
        let reporter: RunReporter | undefined;
        const onSignal = (signal: NodeJS.Signals) => {
          if (controller.signal.aborted) return;
          process.stderr.write(
            `\ntandem: ${signal} received, cancelling the run (jobs get SIGTERM, then SIGKILL)\n`,
          );
          controller.abort();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          const outcome = await runPipeline({
            loaded,
            select: jobs,
            concurrency: concurrency ?? defaultConcurrency(),
            readCache: options.cache,
            explain: Boolean(options.explain),
            env: process.env,
            signal: controller.signal,
            observe(plan) {
              reporter = new RunReporter(plan.jobs, write, palette);
              return reporter;
            },
          });
          const { result } = outcome;
          if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
          else reporter?.summary(outcome.runId, result.status, result.durationMs, result.jobs);
          return result.status === 'passed' ? 0 : 1;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      });
    });
}

function parseConcurrency(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw new UsageError(`--concurrency must be a whole number from 1 to 1024, got "${text}"`);
  }
  return n;
}
