import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { isAlias, LineCounter, parseDocument, visit, type YAMLError } from 'yaml';
import { TandemError } from '../errors.js';
import { ConfigError, type ConfigIssue, type ConfigPath } from './errors.js';
import type { LoadedConfig } from './loaded-config.js';
import { type Position, YamlPositions } from './positions.js';
import { configSchema } from './schema.js';
import { describeValue, mapZodIssues } from './zod-issues.js';

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
export async function loadConfig(opts: { config?: string; cwd: string }): Promise<LoadedConfig> {
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
  return parseConfig(text, shown, file);
}

/**
 * Parses and validates config text (no file system). `file` is used as given in issues;
 * LoadedConfig.file is its absolute form. Throws only ConfigError.
 */
export function loadConfigFromString(text: string, file: string): LoadedConfig {
  return parseConfig(text, file, resolve(file));
}

function parseConfig(text: string, shown: string, absolute: string): LoadedConfig {
  try {
    return parseUnguarded(String(text), shown, absolute);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // Last line of defence: whatever the input, the caller gets a ConfigError.
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError([
      {
        file: shown,
        line: 1,
        col: 1,
        path: [],
        message: `internal error while reading the config: ${reason}`,
      },
    ]);
  }
}

function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.col - b.col;
}

function fail(issues: ConfigIssue[]): never {
  const seen = new Set<string>();
  const unique = issues.filter((issue) => {
    const key = `${issue.line}:${issue.col}:${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  throw new ConfigError(unique.sort(byPosition));
}

/** yaml's message without its " at line X, column Y:" and source excerpt. */
function yamlMessage(error: YAMLError): string {
  const first = String(error.message ?? '').split('\n')[0] ?? '';
  return first.replace(/ at line \d+, column \d+:?\s*$/, '').trim() || 'invalid YAML';
}

function parseUnguarded(text: string, shown: string, absolute: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
  const positions = new YamlPositions(doc, lineCounter, text.length);
  const issue = (at: Position, path: ConfigPath, message: string): ConfigIssue => ({
    file: shown,
    line: at.line,
    col: at.col,
    path,
    message,
  });

  // 1. YAML syntax. Duplicate keys leave a usable document: keep validating to report all.
  const issues: ConfigIssue[] = [];
  let fatal = false;
  const duplicates = doc.errors.some((e) => e.code === 'DUPLICATE_KEY') ? positions.duplicateKeys() : [];
  for (const { path, at } of duplicates)
    issues.push(issue(at, path, `duplicate key "${String(path.at(-1))}"`));
  for (const error of doc.errors) {
    const offset = Array.isArray(error.pos) ? error.pos[0] : undefined;
    const linePos = error.linePos?.[0];
    const at =
      linePos &&
      Number.isFinite(linePos.line) &&
      Number.isFinite(linePos.col) &&
      linePos.line >= 1 &&
      linePos.col >= 1
        ? { line: linePos.line, col: linePos.col }
        : positions.at(offset);
    const path = offset === undefined ? [] : positions.pathAt(offset);
    if (error.code === 'DUPLICATE_KEY') {
      // Located by our own walk above; yaml's offset is not always the key's.
      if (duplicates.length === 0) issues.push(issue(at, path, 'duplicate key'));
    } else {
      fatal = true;
      issues.push(issue(at, path, `invalid YAML: ${yamlMessage(error)}`));
    }
  }
  if (fatal) fail(issues);

  // 2. The document as plain data.
  if (doc.contents === null || doc.contents === undefined) {
    fail([
      ...issues,
      {
        ...issue({ line: 1, col: 1 }, [], 'the file is empty'),
        expected: 'a mapping with at least "project" and "pipeline"',
      },
    ]);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    fail([...issues, aliasIssue(doc, positions, shown, err)]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    fail([
      ...issues,
      {
        ...issue({ line: 1, col: 1 }, [], `expected a mapping at the top level, got ${describeValue(data)}`),
        expected: 'a mapping',
      },
    ]);
  }

  // 3. The schema.
  const result = configSchema.safeParse(data);
  if (!result.success) {
    issues.push(
      ...mapZodIssues(result.error.issues, {
        file: shown,
        schema: configSchema,
        data,
        valueOf: (path) => positions.valueOf(path),
        keyOf: (path) => positions.keyOf(path),
      }),
    );
  }
  if (issues.length > 0 || !result.success) fail(issues);

  return {
    file: absolute,
    dir: dirname(absolute),
    config: result.data,
    positionOf: (path) => positions.valueOf(path),
    issueAt: (path, message, extra) => {
      const at = positions.valueOf(path);
      const found: ConfigIssue = { file: shown, line: at.line, col: at.col, path, message };
      if (extra?.expected) found.expected = extra.expected;
      if (extra?.suggestion) found.suggestion = extra.suggestion;
      return found;
    },
  };
}

/** toJS throws for an alias without anchor or too many aliases: locate the alias when we can. */
function aliasIssue(
  doc: ReturnType<typeof parseDocument>,
  positions: YamlPositions,
  file: string,
  err: unknown,
): ConfigIssue {
  const reason = err instanceof Error ? err.message : String(err);
  let offset: number | undefined;
  const unresolved = /alias[^:]*:\s*(\S+)\s*$/i.exec(reason)?.[1];
  try {
    visit(doc, {
      Alias(_key, node) {
        if (!isAlias(node)) return undefined;
        if (unresolved === undefined || node.source === unresolved) {
          offset = node.range?.[0];
          return visit.BREAK;
        }
        return undefined;
      },
    });
  } catch {
    offset = undefined;
  }
  const at = positions.at(offset);
  const path = offset === undefined ? [] : positions.pathAt(offset);
  const message = unresolved
    ? `unknown alias "*${unresolved}": define the anchor "&${unresolved}" before using it`
    : `cannot read the YAML: ${reason}`;
  return { file, line: at.line, col: at.col, path, message };
}
