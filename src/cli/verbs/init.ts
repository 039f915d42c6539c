import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { colorEnabled, colors, type GlobalOptions, runAction } from '../output.js';

interface InitOptions {
  force?: boolean;
  dir?: string;
}

/** `tandem init`: write a commented tandem.yaml proposed from the project's files. Offline. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description(
      'write a commented tandem.yaml, with jobs proposed from the project (Node, Python, Go, Makefile)',
    )
    .option('--force', 'overwrite an existing tandem.yaml (or tandem.yml)')
    .option('--dir <dir>', 'the project directory (default: the working directory)')
    .addHelpText(
      'after',
      `
Examples:
  $ tandem init                      detect and write ./tandem.yaml
  $ tandem init --dir services/api   write services/api/tandem.yaml
  $ tandem init --force --json       overwrite, and print what was written as JSON

Exit codes: 0 written, 1 tandem.yaml already exists (pass --force) or cannot be written, 2 bad usage.`,
    )
    .action(async (_opts: InitOptions, cmd: Command) => {
      const options = cmd.optsWithGlobals<GlobalOptions & InitOptions>();
      const json = Boolean(options.json);
      await runAction(json, async () => {
        if (options.config !== undefined) {
          throw new UsageError('init writes DIR/tandem.yaml and takes no --config; use --dir DIR');
        }
        const cwd = process.cwd();
        const { initProject } = await import('../../init/init.js');
        const { file, detection } = await initProject({ dir: options.dir ?? cwd, force: options.force });
        const jobs = detection.jobs.map((j) => j.name);
        if (json) {
          const detected = detection.detected.map((e) => e.id);
          const out = { file, project: detection.project, jobs, detected, notes: detection.notes };
          process.stdout.write(`${JSON.stringify(out)}\n`);
          return 0;
        }
        const c = colors(colorEnabled());
        const shown = displayPath(cwd, file);
        const found = detection.detected.length
          ? detection.detected.map((e) => e.label).join('; ')
          : 'no project files it knows (package.json, pyproject.toml, requirements.txt, setup.py, go.mod, Makefile)';
        const lines = [
          `Detected: ${found}`,
          `${c.green('Wrote')} ${c.bold(shown)}: project "${detection.project}", ${jobs.length} job(s): ${jobs.join(', ')}`,
          ...detection.notes.map((n) => c.yellow(`Note: ${n}`)),
          '',
          'Next steps:',
          `  read and adjust ${shown} (every optional key is shown as a comment)`,
        ];
        const config = path.dirname(file) === cwd ? '' : ` --config ${shown}`;
        lines.push(`  tandem validate${config}`, `  tandem run${config}`);
        process.stdout.write(`${lines.join('\n')}\n`);
        return 0;
      });
    });
}

/** Relative to the working directory when inside it, else absolute. */
function displayPath(cwd: string, file: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
