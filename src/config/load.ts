import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { TandemError } from '../errors.js';
import { readSnapshot, writeSnapshot } from './config-snapshot.js';
import type { LoadedConfig } from './loaded-config.js';

/** The names looked for, in order, in each directory. */
export const CONFIG_FILE_NAMES = ['tandem.yaml', 'tandem.yml'] as const;

async function kindOf(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const info = await stat(path);
    if (info.isFile()) return 'file';
    if (info.isDirectory()) return 'dir';
    return undefined;
  } catch {
    return undefined;
  }
}

async function findIn(dir: string): Promise<string | undefined> {
  for (const name of CONFIG_FILE_NAMES) {
    const candidate = join(dir, name);
    if ((await kindOf(candidate)) === 'file') return candidate;
  }
  return undefined;
}

/** The absolute path of the nearest tandem.yaml (or tandem.yml) from `cwd` upwards, if any. */
export async function findConfigFile(cwd: string): Promise<string | undefined> {
  let dir = resolve(cwd);
  for (;;) {
    const found = await findIn(dir);
    if (found) return found;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function notFound(message: string): TandemError {
  return new TandemError('TANDEM_CONFIG_NOT_FOUND', message, { exitCode: 2 });
}

/**
 * Finds, reads, parses and validates tandem.yaml. Throws TandemError TANDEM_CONFIG_NOT_FOUND
 * (exit 2) when there is none, ConfigError (exit 2) with every problem when it is invalid.
 */
export async function loadConfig(opts: {
  config?: string;
  cwd: string;
  /** Reuse the validated config of an unchanged file (`tandem run`); see config-snapshot.ts. */
  snapshot?: boolean;
}): Promise<LoadedConfig> {
  const cwd = resolve(opts.cwd);
  let file: string;
  let shown: string;
  if (opts.config !== undefined) {
    const given = resolve(cwd, opts.config);
    const kind = await kindOf(given);
    if (kind === 'dir') {
      const inside = await findIn(given);
      if (!inside) {
        throw notFound(
          `no ${CONFIG_FILE_NAMES.join(' or ')} in ${given} (from --config ${opts.config}); pass the path of the file, or run \`tandem init\` there to create one`,
        );
      }
      file = inside;
      shown = inside;
    } else if (kind === 'file') {
      file = given;
      shown = opts.config;
    } else {
      throw notFound(
        `config file ${opts.config} does not exist${given === opts.config ? '' : ` (looked for ${given})`}; check the --config path, or run \`tandem init\` to create one`,
      );
    }
  } else {
    const found = await findConfigFile(cwd);
    if (!found) {
      throw notFound(
        `no ${CONFIG_FILE_NAMES.join(' or ')} found in ${cwd} or any parent directory; run \`tandem init\` to create one, or pass --config <path>`,
      );
    }
    file = found;
    // Relative to where the user stands, as editors and terminals link it: `tandem.yaml:12:7`.
    shown = relative(cwd, found) || found;
  }

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new TandemError(
      'TANDEM_CONFIG_UNREADABLE',
      `cannot read ${shown}: ${err instanceof Error ? err.message : String(err)}`,
      { exitCode: 2, cause: err },
    );
  }
  if (opts.snapshot) {
    const cached = await readSnapshot(file, shown, text);
    if (cached) return cached;
  }
  const { parseConfig } = await import('./parse.js');
  const loaded = parseConfig(text, shown, file);
  if (opts.snapshot) await writeSnapshot(loaded, shown, text);
  return loaded;
}
