import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { type GlobalOptions, runAction } from '../output.js';

interface LogInstance {
  id: string;
  environment: string;
  revision: string;
  state: string;
  logFile: string;
}

/**
 * `tandem logs SERVICE`: the instances' log files, each line prefixed with its instance. The
 * local runtime's logs are files on this machine, so they are read directly (the API says which).
 */
export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description("print a service's instance logs")
    .argument('<service>', 'service name')
    .option('--env <env>', 'environment (default: all)')
    .option('-n, --lines <n>', 'lines per instance to start with', '50')
    .option('-f, --follow', 'keep printing new lines (Ctrl-C stops)')
    .action(
      async (service: string, opts: { env?: string; lines: string; follow?: boolean }, cmd: Command) => {
        const globals = cmd.optsWithGlobals<GlobalOptions>();
        await runAction(Boolean(globals.json), async () => {
          const lines = Number(opts.lines);
          if (!Number.isInteger(lines) || lines < 0)
            throw new UsageError(`--lines must be a whole number, got "${opts.lines}"`);
          const { connect } = await import('../control-client.js');
          const client = connect({ config: globals.config, cwd: process.cwd(), env: process.env });
          const list = async () =>
            (await client.api.instances(service, opts.env === undefined ? {} : { environment: opts.env }))
              .instances;
          const offsets = new Map<string, number>();
          const print = (i: LogInstance, text: string) => {
            for (const line of text.split('\n')) {
              if (line === '') continue;
              process.stdout.write(
                globals.json ? `${JSON.stringify({ instance: i.id, line })}\n` : `${i.id} | ${line}\n`,
              );
            }
          };
          for (const i of await list()) {
            const { text, end } = lastLines(i.logFile, lines);
            offsets.set(i.id, end);
            print(i, text);
          }
          while (opts.follow) {
            await sleep(300);
            for (const i of await list()) {
              const from = offsets.get(i.id) ?? 0;
              const { text, end } = readFrom(i.logFile, from);
              offsets.set(i.id, end);
              print(i, text);
            }
          }
          return 0;
        });
      },
    );
}

function size(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readFrom(file: string, from: number): { text: string; end: number } {
  const end = size(file);
  // A rotated (truncated) file starts over.
  const start = end < from ? 0 : from;
  if (end === start) return { text: '', end };
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(end - start);
    readSync(fd, buf, 0, buf.length, start);
    return { text: buf.toString('utf8'), end };
  } finally {
    closeSync(fd);
  }
}

function lastLines(file: string, n: number): { text: string; end: number } {
  const end = size(file);
  const window = Math.min(end, Math.max(4096, n * 512));
  const { text } = readFrom(file, end - window);
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return { text: n === 0 ? '' : all.slice(-n).join('\n'), end };
}
